"""Yunnan server-role checks: what the platform under test answered to valid and invalid traffic, judged."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from harness import crypto
from harness.jsonvalue import json_equal
from harness.checks import check, declare, fail, Problem, warn
from harness.schemagen import load
from harness.uploader import HttpReply
from schemas.yunnan.validate import to_problems, validate


@dataclass
class Reply(HttpReply):
    """One request the harness sent and what came back, read as a §4.3 answer (HTTP status and body code)."""

    @property
    def code(self) -> int | None:
        c = self.body.get("code") if isinstance(self.body, dict) else None
        if isinstance(c, bool):
            return None
        if isinstance(c, int) or (isinstance(c, str) and c.strip().isdigit()):
            return int(c)
        return None

    @property
    def message(self) -> str:
        return str(self.body.get("message", "")) if isinstance(self.body, dict) else ""

    @property
    def accepted(self) -> bool:
        return self.code == 200 and self.status is not None and 200 <= self.status < 300

    def is_token_error(self) -> bool:
        """E-YN-12: body code 401, or 500 whose message says the token is bad."""
        msg = self.message.lower()
        return self.code == 401 or (self.code == 500 and ("令牌" in msg or "token" in msg))

    def describe(self) -> str:
        if self.error:
            return f"no answer ({self.error})"
        if self.code is None:
            return f"HTTP {self.status}, not a §4.3 JSON answer: {self.raw[:120]!r}"
        return f"HTTP {self.status}, code {self.code} {self.message[:80]!r}"

    @property
    def outcome(self) -> str:
        return "ok" if self.accepted else (self.error and "transport_error") or f"code {self.code}"


@dataclass
class Pull:
    """A whole paging sequence as one reading of E-YN-11 walks it."""

    pages: list[Reply] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)
    flags: list[Any] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    error: str = ""


class Violation(AssertionError):
    """A property of the platform that broke, named by its check id, with the exchanges that show it."""

    def __init__(self, check_id: str, message: str, replies: Iterable[Any] = ()):
        super().__init__(message)
        self.check_id, self.replies = check_id, list(replies)


# ---- registration, tokens, answers ----------------------------------------------------------------------

@check("yunnan.server.register", "yunnan §6.1", "critical", "企业端注册成功",
       "init-auth registers the enterprise and returns apiKey, apiSecret and the platform public key")
def registration(reply) -> list[Problem]:
    if not reply.accepted:
        return [fail(f"init-auth with a new enterprise and a fresh RSA-2048 key was refused: {reply.describe()}")]
    data = reply.body.get("data")
    if not isinstance(data, dict):
        return [fail(f"init-auth answer data is {type(data).__name__}, spec requires {{apiKey, apiSecret, publicKey}} "
                     f"in plaintext (§6.1: this interface is not encrypted)")]
    out = [fail(f"init-auth answer lacks {k} (a non-empty string)") for k in ("apiKey", "apiSecret", "publicKey")
           if not isinstance(data.get(k), str) or not data.get(k)]
    if not out:
        try:
            key = crypto.load_public(data["publicKey"])
            if key.key_size < 2048:
                out.append(warn(f"platform key is RSA-{key.key_size}; §5.1 advises 2048 bits"))
        except ValueError as exc:
            out.append(fail(f"publicKey is not a Base64 X.509 RSA public key (Java getEncoded()): {exc}"))
    return out


@check("yunnan.server.token", "yunnan §6.2", "critical", "获取访问令牌", "getToken issues a token with its lifetime")
def token_issued(reply) -> list[Problem]:
    if not reply.accepted:
        return [fail(f"getToken with the issued apiKey/apiSecret was refused: {reply.describe()}")]
    data = reply.data if isinstance(reply.data, dict) else {}
    if reply.data_error:
        return [fail(reply.data_error)]
    if not data.get("token"):
        return [fail(f"getToken answer data has no token: {str(reply.data)[:120]}")]
    if not str(data.get("expireTime", "")).isdigit():
        return [fail(f"expireTime {data.get('expireTime')!r}: spec requires seconds as a string of digits")]
    return []


# Judged from the Hypothesis exploration itself (see test_server_2_accept): declared, no stand-in function.
declare("yunnan.server.accept", "yunnan §4.3; §6.3–§6.14", "critical", "合法数据被接受",
        "Every valid request is accepted with code 200")


@check("yunnan.server.answer.shape", "yunnan §4.3", "major", "应答为 {code, message, aesKey, data}",
       "Answers are {code, message, aesKey, data}, aesKey null when data is")
def answer_shape(reply) -> list[Problem]:
    where = f"#{reply.seq} {reply.path}"
    body = reply.body
    if not isinstance(body, dict):
        return [fail(f"{where}: {reply.describe()}")]
    out = []
    if reply.code is None:
        out.append(fail(f"{where}: code {body.get('code')!r}, spec requires a number (200 on success)"))
    elif not isinstance(body.get("code"), int):
        out.append(warn(f"{where}: code sent as {type(body.get('code')).__name__} {body.get('code')!r}, §4.3 shows a number"))
    if not isinstance(body.get("message"), str):
        out.append(fail(f"{where}: message {body.get('message')!r}, spec requires a text"))
    missing = [k for k in ("aesKey", "data") if k not in body]
    if missing:
        out.append(warn(f"{where}: answer omits {', '.join(missing)}; §4.3 shows them (null when empty)"))
    if body.get("data") in (None, "") and body.get("aesKey") not in (None, ""):
        out.append(fail(f"{where}: aesKey set while data is empty; §4.3: data 为空时，密钥 aesKey 也为空"))
    return out


@check("yunnan.server.answer.envelope", "yunnan §4.3; §5.1 step 10; §5.2", "critical", "应答数据加密",
       "Answer data is AES-256 encrypted, its key RSA-encrypted to the enterprise key")
def answer_envelope(reply) -> list[Problem]:
    where = f"#{reply.seq} {reply.path}"
    if reply.data_error:
        return [fail(f"{where}: {reply.data_error}")]
    body = reply.body if isinstance(reply.body, dict) else {}
    if body.get("data") not in (None, "") and not body.get("aesKey"):
        return [fail(f"{where}: data sent without aesKey; §6.1 note: every answer's data is AES-encrypted, "
                     f"its key RSA-encrypted to the enterprise public key")]
    return []


@check("yunnan.server.answer.schema", "yunnan §6.2; §6.6; §6.7; §6.9", "major", "应答数据符合字段表",
       "Decrypted answer data matches the interface's field table")
def answer_schema(interface: str, reply, profile: dict) -> list[Problem]:
    if not reply.accepted or reply.data_error:
        return []
    return [Problem(f"#{reply.seq}: {p.message}", p.level, p.errata)
            for p in to_problems(validate(interface, "response", reply.data, profile=profile))]


# ---- refusals -------------------------------------------------------------------------------------------

REJECTIONS = {  # mutation -> (clause, severity, title zh, title en)
    "missing_required": ("yunnan §6.3–§6.14 是否必传", "major", "缺必填字段被拒绝", "Missing required field refused"),
    "over_length": ("yunnan §6.3; §6.4; §6.11; §6.13; §6.14", "major", "超长字段被拒绝", "Over-length value refused"),
    "code_outside": ("yunnan §6; §7", "major", "码表外取值被拒绝", "Value outside its code table refused"),
    "date_format": ("yunnan §6.4; §6.11; §6.12; §6.13; §6.14", "major", "日期格式错误被拒绝", "Wrong date format refused"),
    "id_composition": ("yunnan §6.4; §6.11; §6.12; §6.13", "major", "编号组成错误被拒绝", "Broken id composition refused"),
    "content_tampered": ("yunnan §5.1 step 8; §5.3", "critical", "篡改密文被拒绝", "Tampered encryptedContent refused"),
    "signature_other_key": ("yunnan §5.1 step 8; §5.3", "critical", "他人密钥签名被拒绝", "Signature by another key refused"),
    "aes_key_wrong_public_key": ("yunnan §5.1 steps 5, 8", "critical", "会话密钥加密公钥错误被拒绝",
                                 "AES key encrypted to the wrong public key refused"),
    "aes_key_size": ("yunnan §5.2", "critical", "非 AES-256 会话密钥被拒绝", "AES key of the wrong size refused"),
    "envelope_incomplete": ("yunnan §4.3", "major", "信封缺字段被拒绝", "Envelope without encryptedAesKey refused"),
    "client_id_missing": ("yunnan §4.2", "critical", "缺 X-Client-Id 被拒绝", "Missing X-Client-Id refused"),
    "client_id_wrong": ("yunnan §4.2", "critical", "错误 X-Client-Id 被拒绝", "Unknown X-Client-Id refused"),
    "token_missing": ("yunnan §4.2; §6.2", "critical", "缺令牌被拒绝", "Missing Bearer token refused"),
    "token_forged": ("yunnan §4.2; §6.2", "critical", "伪造令牌被拒绝", "Forged Bearer token refused"),
    "token_expired": ("yunnan §6.2", "critical", "过期令牌被拒绝", "Expired token refused"),
    "init_auth_twice": ("yunnan §6.1", "critical", "重复注册被拒绝", "Second init-auth refused"),
    "confirm_unknown": ("yunnan §6.8; §6.10", "minor", "确认未知编号被拒绝", "Confirming unknown ids refused"),
    "confirm_too_many": ("yunnan §6.10", "major", "一次确认超过 100 个编号被拒绝", "Confirming more than 100 ids refused"),
    "malformed_json": ("yunnan §4.3", "major", "非法 JSON 得到 §4.3 失败应答", "Malformed JSON gets the §4.3 failure answer"),
    "oversize": ("yunnan §4.3", "major", "超大请求体被拒绝", "A body far larger than any legal one refused"),
}
for _m, (_ref, _sev, _zh, _en) in REJECTIONS.items():
    declare(f"yunnan.server.reject.{_m}", _ref, _sev, _zh, _en)
TOKEN_MUTATIONS = {"token_missing", "token_forged", "token_expired"}


def refusal(reply, profile: dict, mutation: str) -> list[Problem]:
    """A refusal is the §4.3 failure answer (JSON, code not 200); only a huge body may get a bare HTTP 413."""
    where = f"{reply.path} ({reply.note})" if reply.note else reply.path
    if mutation == "oversize" and reply.status == 413:
        return []
    if reply.error:
        return [fail(f"{where}: {reply.describe()}; spec requires the §4.3 failure answer")]
    if reply.code is None:
        return [fail(f"{where}: {reply.describe()}; spec requires the §4.3 failure answer {{code, message}}")]
    if reply.code == 200:
        return [fail(f"{where}: accepted ({reply.describe()}); spec requires a refusal")]
    out = []
    if mutation in TOKEN_MUTATIONS and reply.code != int(profile["token_error_code"]) and reply.code in (401, 500):
        msg = f"{where}: token refused with code {reply.code}; profile {profile['name']} expects {profile['token_error_code']}"
        out.append(fail(msg + " (strict profile)") if profile.get("strict") else warn(msg, "E-YN-12"))
    mirror = profile.get("http_status") == "mirror"
    if reply.status not in (None, 200) and not mirror:
        out.append(warn(f"{where}: HTTP {reply.status} for a failure; §4.3 shows failures in the body with HTTP 200",
                        "E-YN-16"))
    return out


# ---- one mutation of a valid record at a time -------------------------------------------------------------

WANTED_KIND = {"missing_required": "required", "over_length": "length", "code_outside": "code",
               "date_format": "format", "id_composition": "composition"}
_NOT_CODES = ("9", "99", "Z9", "XX")


def field_mutations(kind: str, interface: str, record: dict, profile: dict) -> list[tuple[str, dict]]:
    """(note, mutated record) pairs, each breaking one field so that the validator fails it for `kind`."""
    # A mutant the validator does not fail for that reason under the run's profile lands on an errata reading
    # (installDate as YYYY-MM-DD is E-YN-09's): it is no negative and is dropped.
    t = load("yunnan")
    out = []
    for f in t.fields(interface, "request"):
        name, value = f["name"], record.get(f["name"])
        for note, new in _candidates(kind, f, value, record, t):
            mutated = dict(record)
            if new is _DROP:
                mutated.pop(name, None)
            else:
                mutated[name] = new
            kinds = {v.kind for v in validate(interface, "request", mutated, profile=profile) if v.level == "fail"}
            if WANTED_KIND[kind] in kinds:
                out.append((note, mutated))
                break
    return out


_DROP = object()


def _candidates(kind: str, f: dict, value: Any, record: dict, t) -> list[tuple[str, Any]]:
    name = f["name"]
    if value is None:
        return []
    if kind == "missing_required":
        return [(f"{name} left out", _DROP)] if f.get("required") and not f.get("absent") else []
    if not isinstance(value, str):
        return []
    if kind == "over_length" and "length" in f and value:
        return [(f"{name} of {f['length'] + 1} characters", value + value[-1])]
    if kind == "code_outside" and f.get("code"):
        codes = set(t.code_values(f))
        return [(f"{name} {c!r} (not in its table)", c) for c in _NOT_CODES if c not in codes][:1]
    if kind == "date_format" and f.get("format") and len(value) >= 8:
        d = value.replace("-", "")
        new = f"{d[:4]}/{d[4:6]}/{d[6:8]}{value[10:]}"
        return [(f"{name} {new!r}", new)]
    if kind == "id_composition":
        return _broken_ids(name, value, record)
    return []


def _broken_ids(name: str, value: str, record: dict) -> list[tuple[str, str]]:
    """The same shape and length, composed wrongly: another enterprise's prefix, another entrance, another type."""
    eid = str(record.get("enterpriseId", ""))
    other = eid[:-1] + ("1" if eid[-1:] != "1" else "2")
    if name in ("vehicleId", "machineryId") and eid in value:
        return [(f"{name} with another enterprise's id", value.replace(eid, other, 1))]
    if name == "cameraId" and value.startswith(eid):
        ent = record.get("entranceId", "A")
        return [(f"cameraId under entrance {'B' if ent != 'B' else 'C'} (entranceId {ent})",
                 eid + ("B" if ent != "B" else "C") + value[len(eid) + 1:])]
    if name == "recordId" and value.endswith(str(record.get("accessType", "")) + value[-5:]):
        flipped = "1" if record.get("accessType") == "0" else "0"
        return [(f"recordId whose type digit says {flipped} (accessType {record.get('accessType')})",
                 value[:-6] + flipped + value[-5:])]
    if name == "gateId" and value and record.get("entranceId"):
        ent = record["entranceId"]
        return [(f"gateId {('B' if ent != 'B' else 'C') + value[1:]} under entrance {ent}",
                 ("B" if ent != "B" else "C") + value[1:])]
    return []


# ---- paging, confirms, heartbeat, token lifetime (§6.2, §6.5–§6.10) -----------------------------------------

@check("yunnan.server.pull.complete", "yunnan §6.6; §6.7; §6.9", "critical", "分页拉取完整不重复",
       "Every pending record served exactly once across pages, unaltered")
def pull_complete(pull, expected: list[dict] | None, id_field: str, *, extras_ok: bool = False) -> list[Problem]:
    out = []
    if pull.error:
        out.append(fail(f"pull stopped: {pull.error}"))
    ids = [r.get(id_field) if isinstance(r, dict) else r for r in pull.records]
    try:  # counted once (ids.count per id was quadratic: 40,000 comparisons a 200-record pull under load)
        dups = sorted({str(i) for i, n in Counter(ids).items() if n > 1})
    except TypeError:  # an id that is a list or an object: compared one by one
        dups = sorted({str(i) for i in ids if ids.count(i) > 1})
    if dups:
        out.append(fail(f"{len(dups)} records served more than once (first: {dups[:3]})"))
    if expected is None:
        return out
    want = {r[id_field]: r for r in expected}
    got = {i: r for i, r in zip(ids, pull.records)}
    missing = [i for i in want if i not in got]
    extra = [i for i in got if i not in want]
    if missing:
        out.append(fail(f"{len(missing)} of {len(want)} pending records never served (first: {missing[:3]})"))
    if extra:
        msg = f"{len(extra)} records served that were not pending (first: {[str(x) for x in extra[:3]]})"
        out.append(warn(msg + "; left by an earlier run?") if extras_ok else fail(msg))
    altered = [i for i, r in want.items() if i in got and any(not json_equal(got[i].get(k), v) for k, v in r.items())]
    if altered:
        out.append(fail(f"{len(altered)} records differ from what was seeded (first: {altered[:3]})"))
    return out


@check("yunnan.server.pull.isnew", "yunnan §6.6; §6.7; §6.9", "major", "isNew 与分页一致",
       "isNew is 1 exactly while more records follow; at most 100 records a page")
def pull_isnew(pull, n: int | None = None) -> list[Problem]:
    out = []
    flags = [str(f) for f in pull.flags]
    for i, size in enumerate(pull.sizes):
        if size > 100:
            out.append(fail(f"page {i + 1} carries {size} records; spec allows at most 100 per call"))
        if flags[i] not in ("0", "1"):
            out.append(fail(f"page {i + 1}: isNew {pull.flags[i]!r}, spec requires \"1\" or \"0\""))
        elif flags[i] == "1" and i + 1 < len(pull.sizes) and pull.sizes[i + 1] == 0:
            out.append(fail(f"page {i + 1} ({size} records) said isNew=1 but the next pull served nothing"
                            + (f" ({n} records pending in all)" if n is not None else "")))
    if flags and flags[-1] == "1" and not pull.error:
        out.append(fail(f"the last page said isNew=1 (sizes {pull.sizes})"))
    if n is not None and not pull.error and not out and len(pull.sizes) > max(1, math.ceil(n / 100)) + 1:
        out.append(fail(f"{n} records took {len(pull.sizes)} pages (sizes {pull.sizes})"))
    return out


@check("yunnan.server.confirm.applied", "yunnan §6.8; §6.10", "major", "已确认记录不再下发",
       "Confirmations of served ids are accepted and those ids are not served again")
def confirm_applied(replies: list, served_again: list[str]) -> list[Problem]:
    out = [fail(f"confirm {r.note or r.path} refused: {r.describe()}") for r in replies if not r.accepted]
    if served_again:
        out.append(fail(f"{len(served_again)} confirmed ids served again (first: {served_again[:3]})"))
    return out


@check("yunnan.server.token.lifetime", "yunnan §6.2", "major", "令牌在有效期内可用",
       "A token works until its expireTime")
def token_lifetime(reply, seconds: float) -> list[Problem]:
    if reply.accepted:
        return []
    return [fail(f"token refused {seconds:.0f} s after it was issued, before its expireTime: {reply.describe()}")]


@check("yunnan.server.heartbeat.state", "yunnan §6.5", "major", "心跳联网状态", "Heartbeat state: online, warning after 30 min, offline after 1 h")
def heartbeat_states(states: list[tuple[str, Any, str]]) -> list[Problem]:
    return [fail(f"{label}: platform state {got!r}, expected {want!r}") for label, got, want in states if got != want]


# ---- stateful fuzzing: each invariant is a check ------------------------------------------------------------

STATEFUL = {
    "token": ("yunnan §6.2", "有效令牌在过期前可用、过期后拒绝", "A valid token works until expiry and never after"),
    "confirmed": ("yunnan §6.8; §6.10", "已确认记录不再下发", "Nothing confirmed is served again"),
    "lost": ("yunnan §6.3–§6.14", "已接受数据不丢失", "Nothing accepted is lost"),
    "accept": ("yunnan §4.3; §6", "任意顺序的合法请求被接受", "Valid requests in any order are accepted"),
}
for _k, (_ref, _zh, _en) in STATEFUL.items():
    declare(f"yunnan.server.stateful.{_k}", _ref, "major", _zh, _en)

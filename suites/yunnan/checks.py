"""Yunnan client-role checks: what reached the mock platform, judged clause by clause (yunnan §4–§6)."""
from __future__ import annotations

import json
from typing import Any

from harness import crypto
from harness.adapter import AdapterResult
from schemas.yunnan import envelope
from harness.checks import check, declare, fail, header, post_json_problems, Problem, warn
from harness.journal import Exchange
from harness.jsonvalue import json_equal

PAYLOAD_KINDS = {
    "required": ("必填字段齐全", "Required fields present", "major"),
    "type": ("字段类型正确", "Field types as the tables state", "major"),
    "length": ("字段长度合规", "Field lengths within the spec", "major"),
    "code": ("代码取值在码表内", "Coded values in their §7 code table", "major"),
    "format": ("日期与数值格式正确", "Date and number formats as stated", "major"),
    "composition": ("编号组成合规", "Identifier compositions as stated", "major"),
    "rule": ("备注规则满足", "Rules stated in the tables' notes", "major"),
    "unknown_field": ("无表外字段", "No fields outside the table", "info"),
    "not_object": ("业务数据为 JSON 对象", "Business data is a JSON object", "major"),
}
for _kind, (_zh, _en, _sev) in PAYLOAD_KINDS.items():
    declare(f"yunnan.payload.{_kind}", "yunnan §6", _sev, _zh, _en)


# ---- the action as a whole -----------------------------------------------------------------------

@check("yunnan.transport.reached", "yunnan §4.1", "major", "请求到达接口", "Request reached the interface")
def reached(exchanges: list[Exchange], interface: str) -> list[Problem]:
    if not any(e.interface == interface for e in exchanges):
        paths = sorted({e.path for e in exchanges}) or ["nothing"]
        return [fail(f"no request reached {interface}; the platform received: {', '.join(paths)}")]
    return []


@check("yunnan.answer.accepted", "yunnan §4.3", "major", "平台接受请求", "Platform accepted the request")
def accepted(exchanges: list[Exchange], interface: str) -> list[Problem]:
    mine = [e for e in exchanges if e.interface == interface]
    if mine and mine[-1].outcome != "ok":
        last = mine[-1]
        return [fail(f"last {interface + ' ' if interface else ''}request answered "
                     f"code {last.response_body.get('code')} "
                     f"({last.outcome}): {last.response_body.get('message')}")]
    return []


# ---- HTTP and headers (§4.2) ---------------------------------------------------------------------

@check("yunnan.http.post_json", "yunnan §4.2", "minor", "POST + application/json + UTF-8", "POST with application/json in UTF-8")
def post_json(exchanges: list[Exchange]) -> list[Problem]:
    return [p for e in exchanges for p in post_json_problems(e, e.path, "spec")]


@check("yunnan.headers.client_id", "yunnan §4.2", "major", "携带 X-Client-Id", "X-Client-Id carries the apiKey")
def client_id(exchanges: list[Exchange], api_key: str) -> list[Problem]:
    out = []
    for e in exchanges:
        if e.interface == "init-auth":
            continue
        got = _header(e, "X-Client-Id")
        if got != api_key:
            out.append(fail(f"#{e.seq} {e.path}: X-Client-Id {got!r}, spec requires the issued apiKey"))
    return out


@check("yunnan.headers.bearer", "yunnan §4.2", "major", "携带 Bearer 令牌", "Authorization header carries the issued token")
def bearer(exchanges: list[Exchange]) -> list[Problem]:
    out = []
    for e in exchanges:
        if e.interface in ("init-auth", "getToken"):
            continue
        auth = _header(e, "Authorization")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            out.append(fail(f"#{e.seq} {e.path}: Authorization {'missing' if not auth else 'not Bearer <token>'}"))
    return out


@check("yunnan.token.valid", "yunnan §6.2", "major", "令牌有效", "Tokens used are live and the client's own")
def token_valid(exchanges: list[Exchange]) -> list[Problem]:
    """A refused token is tolerated once if the client then renews it (E-YN-12); reusing it is not."""
    out, refused = [], set()
    for e in exchanges:
        st = e.notes.get("token")
        if st in (None, "ok"):
            continue
        tok = _header(e, "Authorization")[7:].strip()
        if st in ("expired", "revoked") and tok not in refused:
            refused.add(tok)
            continue
        out.append(fail(f"#{e.seq} {e.path}: token {st}" + (" (sent again after the platform refused it)" if tok in refused else "")))
    return out


# ---- the envelope (§4.3, §5) ---------------------------------------------------------------------

ENVELOPE_CHECKS = {
    "shape": ("yunnan.envelope.shape", "yunnan §4.3", "请求体为三段式信封", "Body is {signature, encryptedAesKey, encryptedContent}"),
    "rsa": ("yunnan.envelope.rsa", "yunnan §5.1 step 5; §5.2", "会话密钥用平台公钥加密", "AES key RSA/PKCS1-encrypted to the platform key"),
    "aes256": ("yunnan.envelope.aes256", "yunnan §5.1 step 3; §5.2", "会话密钥为 AES-256", "Session key is AES-256"),
    "content": ("yunnan.envelope.content", "yunnan §5.1 step 4; §5.2", "业务数据 AES/ECB/PKCS5 加密", "Content AES/ECB/PKCS5-encrypted"),
    "signature": ("yunnan.envelope.signature", "yunnan §5.1 step 6; §5.3", "SHA256withRSA 签名", "SHA256withRSA signature verifies"),
    "plaintext": ("yunnan.payload.json", "yunnan §5.2 CHARSET; §6.1 note", "明文为 UTF-8 JSON", "Plaintext is a UTF-8 JSON object"),
}
for _aspect, (_id, _ref, _zh, _en) in ENVELOPE_CHECKS.items():
    declare(_id, _ref, "critical" if _aspect != "plaintext" else "major", _zh, _en)


def analyze_envelope(e: Exchange, platform_priv, client_pub, profile: dict) -> dict[str, list[Problem]]:
    """Take one request envelope apart independently of the mock's order of refusal; problems per aspect."""
    res: dict[str, list[Problem]] = {k: [] for k in ENVELOPE_CHECKS}
    where = f"#{e.seq} {e.path}"
    try:
        body = json.loads(e.request_body)
    except ValueError as exc:
        res["shape"].append(fail(f"{where}: request body is not JSON: {exc}"))
        return res
    default = envelope.default_reading(profile)
    opened = envelope.open_request(body, platform_priv, client_pub, envelope.readings(profile, accepted_only=False),
                                   thorough=True)
    for aspect, findings in opened.by_aspect().items():
        res[aspect].extend(fail(f"{where}: {f.message}") for f in findings)
    if opened.reading is not None and opened.reading != default:
        msg = (f"{where}: signature covers range={opened.reading[0]}, bytes={opened.reading[1]}; "
               f"default is {default[0]}/{default[1]}")
        errata = envelope.reading_errata(opened.reading, default)
        res["signature"].append(fail(f"{msg} (strict profile; {errata})") if profile.get("strict")
                                else warn(f"{msg}: a documented alternative reading ({errata}), accepted with a warning",
                                          errata))
    return res


# ---- the business data (§6) ------------------------------------------------------------------------

@check("yunnan.payload.params_intact", "DESIGN adapter protocol; yunnan §6", "major",
       "业务数据完整未被改动", "Business data arrived complete and unaltered")
def params_intact(sent: Any, params: dict, warned_fields: dict[str, str]) -> list[Problem]:
    """Every field the harness gave arrives with the same value; documented alternatives (errata) only warn."""
    if not isinstance(sent, dict):
        return [fail(f"no JSON object arrived (got {type(sent).__name__})")]
    out = []
    for k, v in params.items():
        errata = warned_fields.get(k)
        if k not in sent:
            msg = f"{k} given as {_short(v)} but missing on the wire"
            out.append(warn(msg, errata) if errata else fail(msg))
        elif not json_equal(sent[k], v):  # 141 and 141.0 are one JSON number (RFC 8259 §6)
            msg = f"{k} given as {_short(v)} but sent as {_short(sent[k])}"
            out.append(warn(msg, errata) if errata else fail(msg))
    for k in sent.keys() - params.keys():
        errata = warned_fields.get(k)
        out.append(warn(f"{k} sent but not given" + (f" ({errata})" if errata else ""), errata))
    return out


# ---- registration, pulls, confirms, flow --------------------------------------------------------------

@check("yunnan.register.once", "yunnan §6.1", "major", "注册接口只成功调用一次", "init-auth succeeds once and is not called again")
def register_once(all_exchanges: list[Exchange]) -> list[Problem]:
    calls = [e for e in all_exchanges if e.interface == "init-auth"]
    ok = [e for e in calls if e.outcome == "ok"]
    if not ok:
        return [fail(f"no successful init-auth among {len(calls)} call(s)")]
    after = [e for e in calls if e.seq > ok[0].seq]
    if after:
        return [fail(f"init-auth called {len(after)} more time(s) after it succeeded (#{ok[0].seq}); §6.1 allows one "
                     f"successful call only, so a registration already kept in state_dir means no new call (the "
                     f"harness triggers init-auth again as an installer that restarts would; see `vconform actions yunnan`)")]
    return []


@check("yunnan.register.public_key", "yunnan §5.1 step 1; §6.1", "major", "企业公钥为 X.509 编码 RSA", "publicKey is Base64 X.509 RSA-2048+")
def register_public_key(plain: dict) -> list[Problem]:
    try:
        key = crypto.load_public(str(plain.get("publicKey", "")))
    except (ValueError, TypeError) as exc:
        return [fail(f"publicKey is not Base64 X.509 SubjectPublicKeyInfo RSA: {exc}")]
    if key.key_size < 2048:
        return [fail(f"publicKey is RSA-{key.key_size}; §5.1 advises 2048")]
    return []


@check("yunnan.pull.complete", "yunnan §6.6; §6.7; §6.9", "major", "拉取记录完整且不重复", "Every served record received exactly once")
def pull_complete(output: Any, output_error: str, expected: list[dict], served: list[dict], id_field: str) -> list[Problem]:
    """The adapter's records equal every record pending for the query, each once, as served."""
    if output_error:
        return [fail(f"adapter output unusable: {output_error}")]
    got = [r.get(id_field) if isinstance(r, dict) else r for r in (output or [])]
    want = [r[id_field] for r in expected]
    by_id = {r[id_field]: r for r in served}
    got_set, want_set = set(got), set(want)
    out = []
    missing = [i for i in want if i not in got_set]
    dup = sorted({i for i in got if got.count(i) > 1})
    extra = [i for i in got if i not in want_set and i not in by_id]
    if missing:
        out.append(fail(f"{len(missing)} of {len(want)} pending records missing from the adapter output "
                        f"(first: {missing[:3]}); the platform served {len(served)}"))
    if dup:
        out.append(fail(f"{len(dup)} records reported more than once (first: {dup[:3]})"))
    if extra:
        out.append(fail(f"{len(extra)} records reported that were never served (first: {extra[:3]})"))
    altered = [r.get(id_field) for r in (output or []) if isinstance(r, dict) and r.get(id_field) in by_id
               and not json_equal(r, by_id[r.get(id_field)])]
    if altered:
        out.append(fail(f"{len(altered)} records differ from what was served (first: {altered[:3]})"))
    return out


@check("yunnan.pull.paging", "yunnan §6.6; §6.7; §6.9", "major", "按 isNew 翻页", "Keeps pulling while isNew is 1, stops at 0")
def pull_paging(exchanges: list[Exchange], interface: str) -> list[Problem]:
    pages = [e for e in exchanges if e.interface == interface and e.outcome == "ok"]
    if not pages:
        return [fail(f"no successful {interface} call")]
    flags = [(e.response_plaintext or {}).get("isNew") for e in pages]
    if flags[-1] != "0":
        return [fail(f"stopped after {len(pages)} page(s) while the last answer said isNew=1")]
    if "0" in flags[:-1]:
        return [fail(f"kept calling after isNew=0 ({len(pages)} calls, flags {flags})")]
    return []


@check("yunnan.confirm.applied", "yunnan §6.8; §6.10", "major", "确认通知已送达", "Confirmations reached the platform")
def confirm_applied(confirmed: set[str], ids: list[str]) -> list[Problem]:
    missing = [i for i in ids if i not in confirmed]
    if missing:
        return [fail(f"{len(missing)} of {len(ids)} ids never confirmed (first: {missing[:3]})")]
    return []


@check("yunnan.token.renewal", "yunnan §6.2; E-YN-12", "major", "令牌过期后重新获取并重传",
       "After token expiry the client renews and retries, nothing lost")
def token_renewal(res: AdapterResult, exchanges: list[Exchange], interface: str, key: str, value: Any) -> list[Problem]:
    out = []
    if not res.ok:
        out.append(fail(f"adapter {res.action} failed after the token expired (exit {res.exit_code})"))
    if not any(e.interface == "getToken" and e.outcome == "ok" for e in exchanges):
        out.append(fail("no new token was requested after the platform refused the expired one"))
    stored = [e for e in exchanges if e.interface == interface and e.outcome == "ok"
              and isinstance(e.request_plaintext, dict) and e.request_plaintext.get(key) == value]
    if len(stored) != 1:
        out.append(fail(f"the upload with {key}={value} was accepted {len(stored)} times, exactly once required"))
    return out


@check("yunnan.flow.fault_honest", "yunnan §4.3; DESIGN adapter protocol", "major", "故障时如实报告且不丢数据",
       "Under a platform fault the SUT reports failure or retries; nothing lost or doubled")
def fault_honest(first: AdapterResult, exchanges: list[Exchange], interface: str, key: str, value: Any) -> list[Problem]:
    """A 5xx or a dropped connection is not success: exit 0 only if the platform accepted the record, once."""
    accepted = [e for e in exchanges if e.interface == interface and e.outcome == "ok"
                and isinstance(e.request_plaintext, dict) and e.request_plaintext.get(key) == value]
    out = []
    if first.ok and not accepted:
        out.append(fail(f"adapter reported success for {key}={value} but the platform never accepted it"))
    if len(accepted) > 1:
        out.append(fail(f"{key}={value} accepted {len(accepted)} times after the fault; exactly once required"))
    if not accepted:
        out.append(fail(f"{key}={value} never reached the platform, even when the action was triggered again"))
    return out


@check("yunnan.heartbeat.state", "yunnan §6.5", "major", "心跳使平台状态为在线", "Heartbeats keep the enterprise online")
def heartbeat_state(states: list[tuple[str, str]]) -> list[Problem]:
    return [fail(f"after {label}: platform state {st}, expected online") for label, st in states if st != "online"]


@check("yunnan.flow.ledger_link", "yunnan §6.13 vehicleId", "minor", "进出记录车辆编号与台账一致",
       "Access records name a vehicle of the ledger")
def ledger_link(access: list[dict], ledger_ids: set[str]) -> list[Problem]:
    return [fail(f"vehicleAccess {a.get('recordId')} names vehicleId {a.get('vehicleId')!r}, not in the uploaded ledger")
            for a in access if a.get("vehicleId") not in ledger_ids]



# ---- the software's own confirm policy after a pull (§6.8, §6.10), judged on the wire ------------------

def confirm_ids(e: Exchange, ids_field: str) -> list[str]:
    """The ids one confirm request carried (comma-separated, §6.8/§6.10); [] when it carried none readable."""
    plain = e.request_plaintext if isinstance(e.request_plaintext, dict) else {}
    return [i.strip() for i in str(plain.get(ids_field, "")).split(",") if i.strip()]


def served_ids(e: Exchange, id_field: str) -> list[str]:
    """The record ids one accepted pull answer served."""
    if e.outcome != "ok" or not isinstance(e.response_plaintext, dict):
        return []
    return [str(r.get(id_field)) for r in e.response_plaintext.get("records") or [] if isinstance(r, dict)]


@check("yunnan.confirm.all_received", "yunnan §6.8; §6.10", "major", "收到的记录均由软件自行确认",
       "Every received id confirmed by the software itself")
def confirm_all_received(exchanges: list[Exchange], pull: str, id_field: str, confirm: str, ids_field: str) -> list[Problem]:
    """Within the pull action, every id served is confirmed in a call the platform accepted."""
    served = list(dict.fromkeys(i for e in exchanges if e.interface == pull for i in served_ids(e, id_field)))
    calls = [e for e in exchanges if e.interface == confirm]
    done = {i for e in calls if e.outcome == "ok" for i in confirm_ids(e, ids_field)}
    missing = [i for i in served if i not in done]
    if not missing:
        return []
    if not calls:
        return [fail(f"received {len(served)} records through {pull} but never called {confirm}; the software "
                     f"must notify the platform of what it received before the action ends")]
    return [fail(f"{len(missing)} of {len(served)} received ids never confirmed in an accepted {confirm} call "
                 f"(first: {missing[:3]})")]


@check("yunnan.confirm.once", "yunnan §6.8; §6.10", "minor", "每个编号只确认一次", "Each received id confirmed exactly once")
def confirm_once(exchanges: list[Exchange], confirm: str, ids_field: str) -> list[Problem]:
    """No id in two accepted confirm calls, nor twice in one (a refused call may be retried)."""
    seen: dict[str, list[int]] = {}
    for e in exchanges:
        if e.interface == confirm and e.outcome == "ok":
            for i in confirm_ids(e, ids_field):
                seen.setdefault(i, []).append(e.seq)
    dup = {i: seqs for i, seqs in seen.items() if len(seqs) > 1}
    if not dup:
        return []
    first = next(iter(dup))
    return [fail(f"{len(dup)} ids confirmed more than once in accepted {confirm} calls (first: {first} in "
                 f"{', '.join(f'#{s}' for s in dup[first])})")]


@check("yunnan.confirm.batch_size", "yunnan §6.10", "major", "每次确认不超过 100 个编号", "At most 100 ids per confirm call")
def confirm_batch_size(exchanges: list[Exchange], confirm: str, ids_field: str, limit: int, stated: bool,
                       strict: bool = False) -> list[Problem]:
    """§6.10 caps alarmConfirm at 100 ids; §6.8 states no cap for strategyConfirm (E-YN-20): there it warns."""
    out = []
    for e in exchanges:
        n = len(confirm_ids(e, ids_field)) if e.interface == confirm else 0
        if n > limit:
            msg = f"#{e.seq} {confirm} carried {n} ids in one call; at most {limit}"
            if stated or strict:
                out.append(fail(msg + ("" if stated else " (strict profile)")))
            else:
                out.append(warn(msg + " (§6.8 states no limit; §6.10 says 100)", "E-YN-20"))
    return out


@check("yunnan.confirm.after_receipt", "yunnan §6.8; §6.10", "major", "只确认已收到的记录",
       "Only ids already received are confirmed")
def confirm_after_receipt(all_exchanges: list[Exchange], action_seqs: set[int], pull: str, id_field: str,
                          confirm: str, ids_field: str) -> list[Problem]:
    """Each id in a confirm call of the action was served to this client by an earlier pull answer."""
    served: set[str] = set()
    early: list[str] = []
    for e in sorted(all_exchanges, key=lambda x: x.seq):
        if e.interface == confirm and e.seq in action_seqs:
            early += [f"{i} (#{e.seq})" for i in confirm_ids(e, ids_field) if i not in served]
        elif e.interface == pull:
            served.update(served_ids(e, id_field))
    if early:
        return [fail(f"{len(early)} ids confirmed that no earlier {pull} answer had served as {id_field} "
                     f"(first: {early[:3]})")]
    return []

_header = header  # the engine's (suites/yunnan/observe.py calls it by this name)


def _short(v: Any) -> str:
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= 60 else s[:57] + "…"

"""Henan city-level client-role checks: what a gate system sent to the city platform mock, judged clause by clause
(henan §2, §4.1, Appendix A/B). Each function returns the problems it found; [] is a pass."""
from __future__ import annotations

import json
from typing import Any

from harness.checks import Problem, check, declare, fail, header, post_json_problems, token_problems, warn
from harness.journal import Exchange
from harness.jsonvalue import json_equal
from schemas.henan.identifiers import lsh_problems
from schemas.henan.rules import DATA_URI

PAYLOAD_KINDS = {
    "required": ("必填字段齐全", "Required fields present", "major"),
    "type": ("字段类型正确", "Field types as the tables state", "major"),
    "length": ("字段长度合规", "Field lengths within the tables' 长度", "major"),
    "code": ("代码取值在码表内", "Coded values in their Appendix B table", "major"),
    "format": ("时间与编号格式正确", "Times, numbers and Appendix A codes as stated", "major"),
    "composition": ("流水号组成合规", "lsh composed as Appendix A §6.4 states", "major"),
    "rule": ("表旁规则满足", "Rules stated beside the tables (images, JPG <= 1M, times in order)", "major"),
    "unknown_field": ("无表外字段", "No fields outside the table", "info"),
}  # a body that is no JSON object is henan.envelope.shape's failure
for _kind, (_zh, _en, _sev) in PAYLOAD_KINDS.items():
    declare(f"henan.payload.{_kind}", "henan §4.1; Appendix A, B", _sev, _zh, _en)

DIRECT_ERRATA = ("E-HN-01", "E-HN-02", "E-HN-03", "E-HN-53")  # alternative readings the mock notes as warnings


def _warnings(e: Exchange, *errata: str) -> list[dict]:
    return [w for w in e.notes.get("warnings", []) if not errata or w.get("errata") in errata]


@check("henan.transport.reached", "henan §2.1; §3.1", "major", "请求到达接口", "Request reached the interface")
def reached(exchanges: list[Exchange], interface: str) -> list[Problem]:
    if not any(e.interface == interface for e in exchanges):
        paths = sorted({e.path for e in exchanges}) or ["nothing"]
        return [fail(f"no request reached {interface}; the platform received: {', '.join(paths)}")]
    return []


@check("henan.answer.accepted", "henan §2.5; §2.6", "major", "平台接受请求", "Platform accepted the request (code 200)")
def accepted(exchanges: list[Exchange], interface: str) -> list[Problem]:
    mine = [e for e in exchanges if e.interface == interface]
    if mine and mine[-1].outcome != "ok":
        body = mine[-1].response_body if isinstance(mine[-1].response_body, dict) else {}
        return [fail(f"last {interface + ' ' if interface else ''}request answered "
                     f"code {body.get('code')} ({mine[-1].outcome}): "
                     f"{body.get('status', body.get('err'))}")]
    return []


@check("henan.http.post_json", "henan §2.2", "minor", "POST + JSON + UTF-8", "POST with a JSON body in UTF-8")
def post_json(exchanges: list[Exchange]) -> list[Problem]:
    # §5.2's multipart photo (E-HN-02) has its Content-Type judged by henan.envelope.shape
    return [p for e in exchanges for p in post_json_problems(
        e, e.path, "henan §2.2", json_name="JSON",
        type_judged=not (header(e, "Content-Type").lower().startswith("multipart/form-data") and "multipart" in e.notes))]


@check("henan.envelope.shape", "henan §2.4; §3.1", "major", "通用报文结构与接口地址",
       "The §2.4 envelope (organ, ipctype, access_token, value) on the interface's own path")
def envelope_shape(exchanges: list[Exchange]) -> list[Problem]:
    out = []
    for e in exchanges:
        if e.outcome == "wrong_ipctype":
            out.append(fail(f"#{e.seq} {e.path}: ipctype {e.interface or '?'} does not belong to this path "
                            f"(henan §3.1: get_data, put_data or put_file per interface)"))
        elif e.outcome == "malformed":
            out.append(fail(f"#{e.seq} {e.path}: the body is no JSON object with the §2.4 envelope"))
        for w in _warnings(e, *DIRECT_ERRATA):
            out.append(warn(f"#{e.seq} {e.path}: {w['message']}", w["errata"]))
        if e.outcome.startswith("strict_"):
            out.append(fail(f"#{e.seq} {e.path}: alternative reading refused under the strict profile ({e.outcome[7:]})"))
    return out


@check("henan.envelope.organ", "henan §2.4; E-HN-18", "major", "organ 为平台分配的编码",
       "organ is the code the city platform assigned")
def envelope_organ(exchanges: list[Exchange], organ: str) -> list[Problem]:
    out = []
    for e in exchanges:
        body = e.request_plaintext
        if isinstance(body, dict) and "organ" in body and str(body["organ"]) != organ:
            out.append(fail(f"#{e.seq} {e.interface}: organ {body['organ']!r}, the platform assigned {organ!r}"))
    return out


@check("henan.token.valid", "henan §4.1.1; §2.4", "major", "携带有效授权码",
       "Every business request carries an access_token the platform issued")
def token_valid(exchanges: list[Exchange]) -> list[Problem]:
    return token_problems(
        exchanges, ("missing", "unknown", "other_organ"),
        lambda e, status: f"#{e.seq} {e.interface}: access_token {status} (henan §4.1.1: get one with getAccessToken)",
        ": after the 401 the client must get a new token, not resend the old one (henan §4.1.1, E-HN-19)")


@check("henan.token.renewal", "henan §4.1.1; §2.6 401; E-HN-19", "major", "授权码过期后重新获取",
       "After the 2-hour token expired, a new token is fetched and the record still arrives")
def token_renewal(exchanges: list[Exchange], interface: str) -> list[Problem]:
    mine = [e for e in exchanges if e.interface == interface]
    if not mine or mine[-1].outcome != "ok":
        return [fail(f"after the token expired, {interface} was not accepted "
                     f"({mine[-1].outcome if mine else 'no request'}); a 401 means: get a new token, resend once")]
    if not any(e.interface == "getAccessToken" and e.outcome == "ok" for e in exchanges):
        return [fail(f"{interface} accepted without a new getAccessToken after the token expired")]
    return []


@check("henan.payload.params_intact", "henan §4.1.2-§4.1.8", "major", "业务数据如实上报",
       "The business data given arrives unchanged")
def params_intact(sent: Any, params: dict) -> list[Problem]:
    if not isinstance(sent, dict):
        return [fail(f"no value object arrived (got {type(sent).__name__})")]
    out = []
    for k, v in params.items():
        if k not in sent:
            if v != "":
                out.append(fail(f"{k} given as {_short(v)} but missing on the wire"))
        elif not same_as_given(sent[k], v):
            out.append(fail(f"{k} given as {_short(v)} but sent as {_short(sent[k])}"))
    return out


def same_as_given(sent: Any, given: Any) -> bool:
    """The data given arrived: equal as JSON, or an image given as Base64 sent as a data:image/jpeg;base64, URI
    around the same Base64 (E-HN-22's alternative, warned or accepted by henan.payload.format, judged here as the
    image it carries). A member given as '' and left out is no change either (absent and empty are both 空; a
    required member left out is henan.payload.required's failure)."""
    if json_equal(sent, given):
        return True
    if isinstance(sent, str) and isinstance(given, str) and DATA_URI.match(sent):
        return DATA_URI.sub("", sent, count=1) == given
    if isinstance(sent, dict) and isinstance(given, dict):
        return all(same_as_given(sent[k], v) if k in sent else v == "" for k, v in given.items()) \
            and set(sent) <= set(given)
    if isinstance(sent, list) and isinstance(given, list):
        return len(sent) == len(given) and all(same_as_given(a, b) for a, b in zip(sent, given))
    return False


@check("henan.gate.decision", "henan §4.1.3; §2.7; E-HN-16", "critical", "管控车辆禁止通行",
       "A controlled vehicle (isControl 1) is refused, others pass, as the platform answered")
def gate_decision(output: Any, answered: dict | None) -> list[Problem]:
    if answered is None:
        return [fail("getCheckVehicle was not answered by the platform: the gate cannot decide")]
    try:
        said = json.loads(output) if isinstance(output, str) else output
    except ValueError:
        return [fail(f"the adapter printed {_short(output)}, not the JSON decision {{\"pass\": …}}")]
    if not isinstance(said, dict) or not isinstance(said.get("pass"), bool):
        return [fail(f"the adapter printed {_short(said)}; `vconform actions henan-city` asks for {{\"pass\": true|false}}")]
    controlled = answered.get("isControl") == "1"
    if controlled and said["pass"]:
        return [fail(f"{answered.get('license')} is controlled (isControl 1: {answered.get('controlReason')}), "
                     f"the gate let it pass")]
    if not controlled and not said["pass"]:
        return [fail(f"{answered.get('license')} is not controlled (isControl 0), the gate refused it")]
    return []


@check("henan.flow.lsh_link", "henan §6.4; §4.1.4-§4.1.6", "major", "照片与货物台账以流水号关联通行记录",
       "Photos and the goods record carry the lsh of their passage; the lsh is composed as §6.4 says")
def lsh_link(lsh: str | None, record: dict | None, photos: int, goods: int) -> list[Problem]:
    if not lsh or record is None:
        return [fail(f"no passage record with lsh {lsh!r} reached the platform")]
    out = [fail(m) for m in lsh_problems(lsh, record.get("qybh"), record.get("dzbh"), record.get("tgzt"))]
    if photos < 1:
        out.append(fail(f"no photo arrived with lsh {lsh} (sharePhotoInfo must carry the passage's lsh)"))
    if goods < 1:
        out.append(fail(f"no goods record arrived with lsh {lsh} (shareGoodsRecord must carry the passage's lsh)"))
    return out


def _short(v: Any) -> str:
    s = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else repr(v)
    return s if len(s) <= 60 else s[:57] + "…"


# ---- server role: the city platform under test (henan §2.5, §2.6, §4.1) ---------------------------------------------

@check("henan.server.token", "henan §4.1.1", "critical", "签发授权码与服务器时间",
       "getAccessToken answers code 200 with an access_token and the server time")
def server_token(reply: Any) -> list[Problem]:
    from schemas.henan.validate import validate

    if not reply.accepted:
        return [fail(f"getAccessToken with the harness's account: {reply.outcome}: {reply.describe()}")]
    return [fail(v.message) for v in validate("getAccessToken", "response", reply.body) if v.level == "fail"]


@check("henan.server.accept", "henan §4.1.2-§4.1.8; §2.5", "critical", "接受合规数据",
       "Valid requests are answered code 200 with the answer the tables show")
def server_accept(reply: Any, interface: str) -> list[Problem]:
    from schemas.henan.validate import validate

    if not reply.accepted:
        return [fail(f"a valid {interface} request was answered {reply.outcome}: {reply.describe()}")]
    return [fail(f"{interface} answer: {v.message}") for v in validate(interface, "response", reply.body)
            if v.level == "fail"]


@check("henan.server.check_vehicle", "henan §4.1.3", "critical", "车辆通行校验结果正确",
       "getCheckVehicle reports the controlled vehicle as isControl 1 and a free one as 0, for the plate asked")
def server_check_vehicle(reply: Any, asked: dict, controlled: bool) -> list[Problem]:
    if not reply.accepted:
        return [fail(f"getCheckVehicle answered {reply.outcome}")]
    value = reply.body.get("value") if isinstance(reply.body, dict) else None
    if not isinstance(value, dict):
        return [fail(f"getCheckVehicle answer without a value object: {reply.describe()}")]
    out = []
    if value.get("license") != asked["license"]:
        out.append(fail(f"asked about {asked['license']}, the answer is about {value.get('license')!r}"))
    want = "1" if controlled else "0"
    if value.get("isControl") != want:
        out.append(fail(f"{asked['license']} is {'controlled' if controlled else 'not controlled'}: isControl "
                        f"{want} expected, got {value.get('isControl')!r}"))
    return out


def refused(reply: Any, code: str, what: str) -> list[Problem]:
    """A refusal with the §2.6 code the case calls for; another refusal code warns, acceptance fails."""
    if reply.error:
        return [fail(f"{what}: no usable answer ({reply.error})")]
    if reply.accepted:
        return [fail(f"{what}: accepted (code 200); henan §2.6 calls for {code}")]
    if reply.code != code:
        return [warn(f"{what}: refused with code {reply.code} (HTTP {reply.status}); henan §2.6 calls for {code}")]
    return []


declare("henan.server.reject.token_missing", "henan §2.4; §2.6 401", "critical", "无有效授权码拒绝",
        "A request without a token the platform issued (none, or a forged one) is refused with 401")
declare("henan.server.reject.token_expired", "henan §4.1.1; §2.6 401", "critical", "授权码 2 小时后失效",
        "A token older than 2 hours is refused with 401")
declare("henan.server.reject.format", "henan §4.1.2-§4.1.8; §2.6 952", "major", "格式错误拒绝 (952)",
        "One field broken (missing, too long, outside its code table, wrong format) is refused with 952")
declare("henan.server.reject.rule", "henan §2.2; §4.1.2; §4.1.7; §2.6 952", "major",
        "违反表旁规则拒绝 (照片 JPG ≤ 1M，行驶证与随车清单不能同时为空)",
        "A photo that is no JPEG or over 1M, or a vehicle with neither licence nor list image, is refused with 952")
declare("henan.server.reject.wrong_ipctype", "henan §3.1; §2.6 404", "major", "业务接口代码与地址不符拒绝",
        "An ipctype sent to a path that does not carry it is refused")
declare("henan.server.reject.malformed", "henan §2.2; §2.6 400", "major", "非 JSON 报文拒绝",
        "A body that is no JSON object is refused with 400")
declare("henan.server.stateful", "henan §4.1.4-§4.1.6; §6.4", "major", "通行记录、照片、货物台账按流水号保存",
        "Random sequences of passages, photos and goods records: the platform keeps each accepted record, linked by lsh")

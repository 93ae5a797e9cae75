"""Gansu client-role checks: what an inspection station sent to the provincial platform mock, judged against the
reconstruction (zongjian.md; not the official text). Each function returns the problems it found; [] is a pass.
The mock's refusal reasons (the exchange's outcome, mocks/gansu/app.py) are the evidence most checks read."""
from __future__ import annotations

from harness.checks import Problem, check, declare, fail, post_json_problems, token_problems, warn
from harness.journal import Exchange

PAYLOAD_KINDS = {
    "required": ("必填字段齐全", "Required fields present", "major"),
    "type": ("字段类型正确", "Field types as the tables state", "major"),
    "code": ("代码取值在码表内", "Coded values in their table (JT/T 415 plate colours, evaluate, detectResult)", "major"),
    "format": ("时间与编号格式正确", "Times, station and region codes as stated", "major"),
    "rule": ("检测结论与项目评价一致", "The report's conclusion agrees with its item verdicts", "major"),
}
# Validator kinds with no check of their own are reported under `type` (a value of the wrong shape).
KIND_OF = {"not_object": "type", "length": "type", "composition": "format"}
for _kind, (_zh, _en, _sev) in PAYLOAD_KINDS.items():
    declare(f"gansu.payload.{_kind}", "zongjian §payload; §6.7; §6.8; §images", _sev, _zh, _en)

SERIAL_OUTCOMES = ("serial_unknown", "serial_other_station", "serial_other_vehicle")


@check("gansu.transport.reached", "zongjian §transport", "major", "请求到达接口", "Request reached the interface")
def reached(exchanges: list[Exchange], interface: str) -> list[Problem]:
    if not any(e.interface == interface for e in exchanges):
        paths = sorted({e.path.split(";", 1)[0] for e in exchanges}) or ["nothing"]
        return [fail(f"no request reached {interface}; the platform received: {', '.join(paths)}")]
    return []


@check("gansu.http.post_json", "zongjian §transport", "minor", "POST + JSON + UTF-8", "POST with a JSON body in UTF-8")
def post_json(exchanges: list[Exchange]) -> list[Problem]:
    return [p for e in exchanges for p in post_json_problems(e, e.interface, "zongjian §transport")]


@check("gansu.envelope.shape", "zongjian §transport", "major", "报文结构与接口地址",
       "The envelope (CompanyId, Source, IPCType, IPCType.value) on the interface's own path")
def envelope_shape(exchanges: list[Exchange]) -> list[Problem]:
    out = []
    for e in exchanges:
        if e.outcome == "wrong_ipctype":
            out.append(fail(f"#{e.seq} {e.path.split(';', 1)[0]}: IPCType {e.interface or '?'} does not belong to "
                            f"this path (get_access_token, get_data for the serial, put_data for uploads)"))
        elif e.outcome == "malformed":
            out.append(fail(f"#{e.seq} {e.path.split(';', 1)[0]}: the body is no JSON object"))
        elif e.outcome == "value_not_json":
            out.append(fail(f"#{e.seq} {e.interface}: IPCType.value is a string that is no JSON"))
    return out


@check("gansu.envelope.value_string", "zongjian §transport; E-GS-01", "major", "IPCType.value 为 JSON 字符串",
       "IPCType.value is the payload as a JSON string, not an object")
def value_string(exchanges: list[Exchange]) -> list[Problem]:
    return [fail(f"#{e.seq} {e.interface}: IPCType.value sent as a JSON object; the platform requires the payload "
                 f"serialised into a string")
            for e in exchanges if e.outcome == "value_not_string"]


@check("gansu.envelope.station", "zongjian §transport; §6.2", "major", "机构编码为平台登记的编码",
       "CompanyId is the station's registered code, and every dsId equals it")
def station(exchanges: list[Exchange], company_id: str) -> list[Problem]:
    out = []
    for e in exchanges:
        body = e.request_plaintext if isinstance(e.request_plaintext, dict) else {}
        if e.outcome == "unknown_station" or ("CompanyId" in body and str(body["CompanyId"]) != company_id):
            out.append(fail(f"#{e.seq} {e.interface}: CompanyId {body.get('CompanyId')!r}, the station is registered "
                            f"as {company_id!r}"))
        elif e.outcome == "owner":
            out.append(fail(f"#{e.seq} {e.interface}: dsId differs from CompanyId {company_id!r}"))
    return out


@check("gansu.token.valid", "zongjian §transport; §token", "major", "以 ;token= 携带有效令牌",
       "Every query and upload carries a token the platform issued, as the ;token= matrix parameter")
def token_valid(exchanges: list[Exchange]) -> list[Problem]:
    return token_problems(exchanges, ("missing", "unknown", "other_station"), lambda e, status: (
        f"#{e.seq} {e.interface}: token {status} in {e.path.split(';', 1)[0]};token=… "
        f"(get one with getAccessToken and send it as the path's ;token= parameter)"))


@check("gansu.serial.issued", "zongjian §6.7; §6.8; §images", "critical", "使用平台签发的本车流水号",
       "Uploads carry the detectSn the platform issued for that vehicle")
def serial_issued(exchanges: list[Exchange]) -> list[Problem]:
    return [fail(f"#{e.seq} {e.interface}: {e.outcome.replace('_', ' ')}: "
                 f"{(e.response_body or {}).get('status', '') if isinstance(e.response_body, dict) else ''}")
            for e in exchanges if e.outcome in SERIAL_OUTCOMES]


@check("gansu.answer.accepted", "zongjian §transport", "major", "平台接受请求", "Platform accepted the request (code \"1\")")
def accepted(exchanges: list[Exchange], interface: str) -> list[Problem]:
    mine = [e for e in exchanges if e.interface == interface]
    if mine and mine[-1].outcome != "ok":
        body = mine[-1].response_body if isinstance(mine[-1].response_body, dict) else {}
        return [fail(f"last {interface + ' ' if interface else ''}request answered "
                     f"code {body.get('code')} ({mine[-1].outcome}): "
                     f"{body.get('status')}")]
    return []


def warnings_of(exchanges: list[Exchange]) -> list[Problem]:
    """Documented alternative readings the mock accepted (E-GS-05): warnings citing the erratum."""
    return [warn(f"#{e.seq} {e.interface}: {w['message']}", w["errata"])
            for e in exchanges for w in e.notes.get("warnings", []) if w.get("errata") == "E-GS-05"]


# ---- server role: what the platform under test answered the harness ---------------------------------------------

def _said(reply) -> str:
    return reply.describe() if reply.code is None else f"code {reply.code}: {str((reply.body or {}).get('status'))[:120]}"


@check("gansu.server.token", "zongjian §token", "critical", "登录返回令牌",
       "getAccessToken answers code \"1\" with access_token at the top level")
def server_token(reply) -> list[Problem]:
    if not reply.accepted:
        return [fail(f"the login was not accepted ({_said(reply)})")]
    tok = reply.body.get("access_token")
    if not isinstance(tok, str) or not tok:
        return [fail(f"code \"1\" without an access_token string beside code/status (received {tok!r})")]
    return []


@check("gansu.server.accept", "zongjian §transport", "critical", "接受合规请求",
       "Valid traffic is answered code \"1\", data (when present) a JSON string")
def server_accept(reply, interface: str) -> list[Problem]:
    if not reply.accepted:
        return [fail(f"valid {interface} refused ({_said(reply)})")]
    data = reply.body.get("data")
    if data is not None and not isinstance(data, str):
        return [fail(f"{interface}: data is a JSON {type(data).__name__}, the answer carries it as a JSON string")]
    return []


@check("gansu.server.serial", "zongjian §6.7", "critical", "按车签发流水号",
       "getVehicleInfoAndDetectSn answers data as a JSON string holding a detectSn, a new one per vehicle")
def server_serial(replies: list, serials: list) -> list[Problem]:
    out = [fail(f"no detectSn in the answer ({_said(r)}; data {str((r.body or {}).get('data'))[:80]!r})")
           for r, sn in zip(replies, serials) if not sn]
    got = [s for s in serials if s]
    if len(got) != len(set(got)):
        out.append(fail(f"the same detectSn for different vehicles: {got}"))
    return out


def refused(reply, what: str) -> list[Problem]:
    """The platform must answer code "0" to the defect `what`."""
    if reply.accepted:
        return [fail(f"{what}: accepted (code \"1\"); the platform must refuse it with code \"0\"")]
    if reply.code != "0":
        return [fail(f"{what}: answered {reply.describe()}, not the code \"0\" refusal")]
    return []


for _id, _ref, _zh, _en in (
        ("gansu.server.reject.token", "zongjian §transport; §token", "拒绝无效令牌",
         "A query or upload without a token, or with one never issued, is refused"),
        ("gansu.server.reject.value_object", "zongjian §transport; E-GS-01", "拒绝对象形式的 IPCType.value",
         "IPCType.value sent as an object instead of a JSON string is refused"),
        ("gansu.server.reject.format", "zongjian §payload", "拒绝不合规字段",
         "A field outside its table (plate colour, date, evaluate, required field) is refused"),
        ("gansu.server.reject.serial", "zongjian §6.7; §6.8; §images", "拒绝非签发或他车流水号",
         "Data or images under a serial the platform did not issue, or of another vehicle, are refused"),
        ("gansu.server.reject.contradiction", "zongjian §payload; E-GS-08", "拒绝结论与评价矛盾的报告",
         "A report whose conclusion contradicts an item verdict of -1 is refused")):
    declare(_id, _ref, "major", _zh, _en)

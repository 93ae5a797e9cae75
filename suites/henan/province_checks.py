"""Client-role checks of the provincial level (SUT = a city platform calling the provincial platform, henan
§3.2, §4.2): what reached the provincial mock, judged clause by clause. Ids start with `henan.province.`."""
from __future__ import annotations

import json
from typing import Any, Iterable

from harness.checks import Problem, check, declare, fail, post_json_problems, warn
from harness.journal import Exchange

PAYLOAD_KINDS = {
    "required": ("必填字段齐全", "Required fields present", "major"),
    "type": ("字段类型正确（字符型、对象、数组）", "Field types as the tables state (strings, objects, lists)", "major"),
    "length": ("字段长度合规", "Field lengths within the printed lengths", "major"),
    "code": ("代码取值在附录 B 码表内", "Coded values in their Appendix B table", "major"),
    "format": ("日期与编号格式正确", "Date, number and identifier formats as stated", "major"),
    "composition": ("编号组成合规（附录 A）", "Identifier compositions of Appendix A", "major"),
    "rule": ("表中说明的规则满足", "Rules stated beside the tables", "major"),
    "unknown_field": ("无表外字段", "No fields outside the table", "info"),
}
for _kind, (_zh, _en, _sev) in PAYLOAD_KINDS.items():
    declare(f"henan.province.payload.{_kind}", "henan §4.2", _sev, _zh, _en)
# Violation kinds of harness.validation -> the check that reports them (a non-object is a type error).
KIND_CHECK = {k: k for k in PAYLOAD_KINDS} | {"not_object": "type"}

TOKEN_RENEWAL = declare("henan.province.token.renewal", "henan §4.2.1", "major", "授权码过期后重新获取",
                        "A new access token after the old one expired (2 h)")


@check("henan.province.transport.reached", "henan §3.2", "major", "请求到达省级平台方法",
       "Request reached the provincial method")
def reached(exchanges: list[Exchange], method: str) -> list[Problem]:
    """The method was reached; reached under an alternative path a documented reading allows, it warns."""
    mine = [e for e in exchanges if e.interface == method]
    if mine:
        return [warn(w["message"], w["errata"]) for w in mine[-1].notes.get("warnings", [])
                if w.get("errata") == "E-HN-45"]
    paths = sorted({e.path for e in exchanges}) or ["nothing"]
    return [fail(f"no request reached {method}; the platform received: {', '.join(paths)}")]


@check("henan.province.http.post_json", "henan §2.2", "major", "POST 提交 UTF-8 JSON 报文",
       "POST with a UTF-8 JSON object body")
def post_json(exchanges: Iterable[Exchange], profile: dict | None = None) -> list[Problem]:
    """POST and a UTF-8 JSON object body (§2.2); the Content-Type, which §3.2/§4.2 never state, under E-HN-54:
    application/json by default, anything else warned (failed under strict), not judged with "any"."""
    profile = profile or {}
    ctype_switch = profile.get("province_content_type", "json")
    out = []
    for e in exchanges:
        transport = post_json_problems(e, e.path, "henan §2.2", json_name="JSON")
        method = post_json_problems(e, e.path, "henan §2.2", type_judged=False)
        out += method
        if ctype_switch != "any":
            for p in transport[len(method):]:
                text = f"{p.message} (§3.2/§4.2 state no Content-Type; E-HN-54)"
                out.append(fail(text) if profile.get("strict") else warn(text, "E-HN-54"))
        if not method and e.outcome == "malformed":
            out.append(fail(f"{e.path}: body is not a UTF-8 JSON object: {e.request_body[:120]!r} (henan §2.2)"))
    return out


@check("henan.province.token.valid", "henan §4.2.1", "major", "请求携带有效授权码",
       "Every method but GetAuthorizationOrg carries a live accessToken")
def token_valid(exchanges: Iterable[Exchange]) -> list[Problem]:
    """A refusal the client recovers from (renewed token, same request resent) is not a failure; a call that only
    ever carried a missing, unknown or expired token is."""
    out, by_method = [], {}
    for e in exchanges:
        if e.interface and e.interface != "GetAuthorizationOrg":
            by_method.setdefault(e.interface, []).append(e)
    for method, exs in by_method.items():
        if exs[-1].notes.get("token", "ok") != "ok":
            out.append(fail(f"{method}: accessToken {exs[-1].notes['token']} "
                            f"({_field(exs[-1], 'accessToken')!r}), spec requires the token GetAuthorizationOrg issued "
                            "within its 2 hours"))
    return out


@check("henan.province.answer.accepted", "henan §4.2", "major", "省级平台返回 success",
       "The provincial platform answered result = success")
def accepted(exchanges: list[Exchange], method: str) -> list[Problem]:
    mine = [e for e in exchanges if e.interface == method]
    if not mine:
        return []
    last = mine[-1]
    body = last.response_body if isinstance(last.response_body, dict) else {}
    if body.get("result") == "success":
        return []
    return [fail(f"{method} refused ({last.outcome}): {body.get('err')}")]


@check("henan.province.flow.secrets_used", "henan §4.2.2; §4.2.5; §4.2.6", "major",
       "使用省平台签发的企业授权号与道闸授权号", "The company and gate secrets the province issued are used")
def secrets_used(sent: dict[str, Any], company_secret: str | None, gate_secrets: dict[str, str]) -> list[Problem]:
    out = []
    if company_secret is None:
        return [fail("the company was never connected with AddCompany, so no companySecretCode exists")]
    if sent.get("companySecretCode") != company_secret:
        out.append(fail(f"companySecretCode {sent.get('companySecretCode')!r}, spec requires the one AddCompany "
                        f"answered ({company_secret[:6]}…)"))
    if "gateSecretCode" in sent and sent.get("gateSecretCode") not in gate_secrets.values():
        out.append(fail(f"gateSecretCode {sent.get('gateSecretCode')!r} is none AddGate answered for the company"))
    return out


@check("henan.province.verify.relayed", "henan §4.2.2", "major", "如实采用车辆校验结果",
       "The city platform reports what VehVerifyEx answered (isNeedComplete, isControl)")
def relayed(output: Any, answered: dict[str, Any] | None) -> list[Problem]:
    if answered is None:
        return [fail("VehVerifyEx was not answered with data")]
    if not isinstance(output, dict):
        return [fail(f"the adapter printed {str(output)[:80]!r}, the action asks for the verification data as JSON")]
    out = []
    for key in ("isNeedComplete", "isControl", "emissionStandard", "licensePK"):
        if key in answered and str(output.get(key, "")) != str(answered[key]):
            out.append(fail(f"{key}: the adapter reported {output.get(key)!r}, the province answered {answered[key]!r}"))
    return out


@check("henan.province.flow.ledger_link", "henan §4.2.11; §4.2.14; §4.2.15", "major",
       "通行记录引用车辆备案唯一识别编码", "Records of a filed vehicle carry islicensePK = 1 and its licensePK")
def ledger_link(records: list[dict[str, Any]], ledgers: dict[tuple[str, str], str]) -> list[Problem]:
    out = []
    for rec in records:
        pk = ledgers.get((rec.get("license"), rec.get("licenseColor")))
        if pk and (rec.get("islicensePK") != "1" or rec.get("licensePK") != pk):
            out.append(fail(f"{rec.get('serialNum')}: vehicle {rec.get('license')} is filed (licensePK {pk[:8]}…), "
                            f"the record says islicensePK={rec.get('islicensePK')!r}, licensePK={rec.get('licensePK')!r}"))
    return out


def day_counts(passes: Iterable[dict[str, Any]], day: str, district: str = "") -> dict[str, int]:
    """What the records reported for a day (serial §6.4: A in, B out; yyMMdd at 13-18) count, per district."""
    recs = [r for r in passes if str(r.get("serialNum", ""))[13:19] == day[2:8]
            and (not district or str(r.get("companyCode", "")).startswith(district))]
    enter = sum(1 for r in recs if r["serialNum"][12] == "A")
    exits = sum(1 for r in recs if r["serialNum"][12] == "B")
    return {"enterVehTotal": enter, "exitVehTotal": exits, "vehTotal": enter + exits}


@check("henan.province.flow.day_totals", "henan §4.2.12; §4.2.13", "major", "日报数据与当日通行记录一致",
       "The day's totals agree with the pass records reported that day")
def day_totals(sent: dict[str, Any], counts: dict[str, int]) -> list[Problem]:
    out = []
    for key, want in counts.items():
        got = sent.get(key)
        if str(got) != str(want):
            problem = (f"{key}={got!r}, the pass records reported for {sent.get('date')} count {want}"
                       + (" (E-HN-52: vehTotal read as entries + exits)" if key == "vehTotal" else ""))
            out.append(warn(problem, "E-HN-52") if key == "vehTotal" and _entries_ok(sent, counts) else fail(problem))
    return out


def _entries_ok(sent: dict, counts: dict) -> bool:
    return all(str(sent.get(k)) == str(counts[k]) for k in ("enterVehTotal", "exitVehTotal"))


@check("henan.province.flow.project_lifecycle", "henan §4.2.22; §4.2.23; §4.2.24", "major",
       "管控方案按启动、调整、关闭的顺序报送", "A control project is run, modified and closed, under its issued code")
def project_lifecycle(history: list[str] | None, expected: list[str]) -> list[Problem]:
    if history is None:
        return [fail("no control project of that name reached the province")]
    if history != expected:
        return [fail(f"the project went through {history}, the actions asked for {expected} on the same "
                     "controlProjectCode")]
    return []


@check("henan.province.flow.fence", "henan §4.2.28; §4.2.29", "major", "禁行区修改引用新增时的区域 ID",
       "A forbidden zone is modified under the areaId its addition issued")
def fence(fences: list[dict[str, Any]], polygon: str) -> list[Problem]:
    if len(fences) != 1:
        return [fail(f"{len(fences)} zones of that name at the province, one expected (a modification is not a "
                     "new zone)")]
    f = fences[0]
    if f["history"] != ["add", "modify"] or f["areaCollection"] != polygon:
        return [fail(f"the zone went through {f['history']} with areaCollection {f['areaCollection'][:60]!r}…, "
                     "the actions asked for add then modify to the new polygon")]
    return []


def _field(e: Exchange, name: str) -> Any:
    return e.request_plaintext.get(name) if isinstance(e.request_plaintext, dict) else None


def parse_output(stdout: str) -> Any:
    try:
        return json.loads(stdout.strip().splitlines()[-1]) if stdout.strip() else None
    except (ValueError, IndexError):
        return stdout.strip()[:200]


@check("henan.province.payload.params_intact", "henan §4.2.5; §4.2.9", "major", "业务数据原样上报",
       "The business data reaches the province as given (no truncation, rounding or re-encoding)")
def params_intact(sent: Any, params: dict[str, Any]) -> list[Problem]:
    from suites.henan.checks import same_as_given

    if not isinstance(sent, dict):
        return [fail(f"no JSON object was sent: {str(sent)[:100]!r}")]
    out = []
    for key, want in params.items():
        got = sent.get(key)
        if key not in sent and want == "":
            continue  # absent and empty are both 空 (a required member left out is the payload checks' failure)
        if not same_as_given(got, want):
            out.append(fail(f"{key}: sent {str(got)[:80]!r}, the action gave {str(want)[:80]!r}"))
    return out


# §4.1.4 bgzt (1 摆杆通行, 0 未摆杆) -> §4.2.11 gateSignal (0 摆杆通行, 1 未摆杆, 2 摆杆未通行)
GATE_SIGNAL = {"1": "0", "0": "1"}


def relay_fields(passage: dict[str, Any]) -> dict[str, str]:
    """What a §4.2.11 record must carry for a §4.1.4 passage the city accepted (henan §2.7, §4.1.4 -> §4.2.11):
    the §6.4 serial, enterprise, gate, plate, plate colour and the gate signal of bgzt."""
    return {"serialNum": passage["lsh"], "companyCode": passage["qybh"], "gateCode": passage["dzbh"],
            "license": passage["cphm"], "licenseColor": passage["cpys"],
            "gateSignal": GATE_SIGNAL.get(str(passage.get("bgzt")), "0")}


def relay_times(passage: dict[str, Any]) -> set[str]:
    """The pass time tgsjq as §4.2.11 `date` may write it: yyMMddHHmmss (字符 12, E-HN-44's default) or
    yyyyMMddHHmmss (the alternative, warned by the payload checks)."""
    from datetime import datetime

    when = datetime.strptime(passage["tgsjq"], "%Y-%m-%d %H:%M:%S")
    return {when.strftime("%y%m%d%H%M%S"), when.strftime("%Y%m%d%H%M%S")}


@check("henan.province.flow.relayed", "henan §2.7; §4.1.4; §4.2.11", "major", "门禁通行记录经市级平台如实上报省级平台",
       "Each passage a gate reported to the city (§4.1.4) reaches the province (§4.2.11) unaltered")
def relayed_passages(passages: list[dict[str, Any]], held: dict[str, dict[str, Any]]) -> list[Problem]:
    """`passages`: what the gates reported and the city accepted; `held`: the province's records by serialNum."""
    out = []
    for p in passages:
        rec = held.get(p["lsh"])
        if rec is None:
            out.append(fail(f"passage {p['lsh']} ({p['cphm']}) was accepted from the gate but never reached the "
                            "province as a SendEnterExitDataEx record"))
            continue
        for key, want in relay_fields(p).items():
            if str(rec.get(key)) != want:
                out.append(fail(f"passage {p['lsh']}: {key} reached the province as {rec.get(key)!r}, the gate "
                                f"reported {want!r}"))
        if str(rec.get("date")) not in relay_times(p):
            out.append(fail(f"passage {p['lsh']}: date reached the province as {rec.get('date')!r}, the gate reported "
                            f"tgsjq {p['tgsjq']!r} (yyMMddHHmmss, E-HN-44)"))
    return out

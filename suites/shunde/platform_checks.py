"""Shunde server-role checks: how a district platform answers an operator (jt809 notes §Frame, §Messages)."""
from __future__ import annotations

from typing import Any

from harness.checks import check, declare, fail, Problem, warn
from harness.jt809 import Frame, unescape
from harness.jt809.messages import UP_CONNECT_RESULTS

# One check per refused-login case: (case, expected RESULT, what the harness changed, title zh, title en).
REFUSALS = {
    "password": (4, "a wrong PASSWORD", "密码错误应答 4", "Wrong password answered RESULT 4"),
    "user": (3, "a USERID the platform never issued", "用户未注册应答 3", "Unknown user answered RESULT 3"),
    "access_code": (2, "a wrong MSG_GNSSCENTERID", "接入码错误应答 2", "Wrong access code answered RESULT 2"),
    "ip": (1, "a source IP not on the access sheet", "IP 地址不正确应答 1", "Wrong source IP answered RESULT 1"),
    "busy": (5, "the account already logged in on another link", "重复登录应答 5", "Second login answered RESULT 5"),
}
for _case, (_code, _what, _zh, _en) in REFUSALS.items():
    declare(f"shunde.platform.login_{_case}", "jt809 notes §Messages (0x1002); E-SD-09", "major", _zh, _en)


def _result(rsp: Frame | None) -> int | None:
    return getattr(rsp.body, "result", None) if rsp is not None else None


@check("shunde.platform.login_ok", "jt809 notes §Messages (0x1001/0x1002); shunde Attachment 2", "critical",
       "正确账号登录成功", "A valid login is answered RESULT 0 with a VERIFY_CODE")
def login_ok(rsp: Frame | None, wait: float) -> list[Problem]:
    if rsp is None:
        return [fail(f"no 0x1002 UP_CONNECT_RSP within {wait:g} s of a valid 0x1001")]
    if rsp.body is None:
        return [fail("0x1002 body does not decode")]
    if rsp.body.result != 0:
        return [fail(f"0x1002 RESULT {rsp.body.result} ({UP_CONNECT_RESULTS.get(rsp.body.result, '?')}) to the "
                     "account's own USERID, PASSWORD and access code")]
    return []


def login_refusal(case: str, rsp: Frame | None, wait: float) -> list[Problem]:
    """The problems with the answer to a login that changed exactly one thing."""
    expected, what = REFUSALS[case][0], REFUSALS[case][1]
    got = _result(rsp)
    if rsp is None:
        return [fail(f"no 0x1002 within {wait:g} s to a login with {what}; RESULT {expected} expected")]
    if got == 0:
        return [fail(f"the platform ACCEPTED a login with {what} (RESULT 0); RESULT {expected} expected")]
    if got != expected:
        return [fail(f"0x1002 RESULT {got} ({UP_CONNECT_RESULTS.get(got, '?')}) to a login with {what}; "
                     f"RESULT {expected} ({UP_CONNECT_RESULTS[expected]}) expected")]
    return []


@check("shunde.platform.login_other", "jt809 notes §Messages (0x1002)", "minor", "畸形登录报文应答 6",
       "A malformed 0x1001 body is refused (RESULT 6)")
def login_other(rsp: Frame | None) -> list[Problem]:
    got = _result(rsp)
    if got == 0:
        return [fail("the platform ACCEPTED a 0x1001 whose body is 40 bytes instead of 46")]
    if got != 6:
        shown = "no answer" if rsp is None else f"RESULT {got}"
        return [warn(f"{shown} to a malformed 0x1001 body; RESULT 6 (other) is the code for it")]
    return []


@check("shunde.platform.slave_link", "jt809 notes §Messages (0x9001/0x9002); E-SD-06", "major",
       "平台建立从链路", "After a login the platform opens the slave link with the VERIFY_CODE")
def slave_link(codes: list[int], verify: int | None, target: str, wait: float) -> list[Problem]:
    if not codes:
        return [fail(f"no 0x9001 DOWN_CONNECT_REQ reached DOWN_LINK {target} within {wait:g} s of the login")]
    if verify not in codes:
        return [fail(f"0x9001 VERIFY_CODE {codes} differs from the 0x1002 VERIFY_CODE {verify}")]
    return []


@check("shunde.platform.heartbeat", "jt809 notes §Messages (0x1005/0x1006); E-SD-03", "major",
       "主链路心跳应答", "0x1005 answered 0x1006")
def heartbeat(rsp: Frame | None, wait: float) -> list[Problem]:
    return [] if rsp is not None else [fail(f"no 0x1006 UP_LINKTEST_RSP within {wait:g} s of 0x1005")]


@check("shunde.platform.malformed", "jt809 notes §Frame", "critical", "畸形帧不影响链路",
       "Malformed frames do not end the link; later valid frames are served")
def malformed(sent: list[str], rsp: Frame | None, open_after: bool, wait: float) -> list[Problem]:
    if not open_after and rsp is None:
        return [fail(f"the platform closed the main link after: {', '.join(sent)}")]
    if rsp is None:
        return [fail(f"after {', '.join(sent)}, a valid 0x1005 got no 0x1006 within {wait:g} s")]
    return []


@check("shunde.platform.positions", "jt809 notes §Messages (0x1200/0x1202/0x1203)", "major",
       "平台接收位置数据", "Positions accepted: the link stays up (and the mock stored them)")
def positions(rsp: Frame | None, stored: int | None, sent: int, wait: float) -> list[Problem]:
    out = []
    if rsp is None:
        out.append(fail(f"after {sent} positions the link no longer answers 0x1005 within {wait:g} s"))
    if stored is not None and stored != sent:
        out.append(fail(f"{sent} positions sent, the platform stored {stored}"))
    return out


@check("shunde.platform.disconnect", "jt809 notes §Messages (0x1003/0x1004)", "major",
       "主链路注销应答", "0x1003 answered 0x1004")
def disconnect(rsp: Frame | None, wait: float) -> list[Problem]:
    return [] if rsp is not None else [fail(f"no 0x1004 UP_DISCONNECT_RSP within {wait:g} s of 0x1003")]


@check("shunde.platform.frames", "jt809 notes §Frame; jt809 notes §Messages", "major",
       "平台发出的帧合规", "Every frame the platform sent is well-formed, codes in their tables")
def frames(items: list[dict[str, Any]], profile: dict[str, Any] | None = None) -> list[Problem]:
    """Fail-level findings fail; a documented alternative reading (a finding tagged with an errata register
    `codec_tag`) warns with its errata id, fails under the strict profile, and is dropped when the profile's errata
    switch selects that reading."""
    from suites.shunde.checks import CODEC_ERRATA

    profile = profile or {}
    out = []
    for it in items:
        if it.get("dir") != "received":
            continue
        for f in it.get("findings", []):
            text = f"{it['link']} {((it.get('header') or {}).get('msg_name')) or '?'}: [{f['code']}] {f['message']}"
            if f["level"] == "fail":
                out.append(fail(text))
            elif f.get("errata") in CODEC_ERRATA:
                eid, switch, default = CODEC_ERRATA[f["errata"]]
                if switch and profile.get(switch, default) != default:
                    continue
                out.append(fail(text + " (strict profile)") if profile.get("strict") else warn(text, eid))
    return out[:20]


# Operator requests a platform answers with a 0x9200 sub-message (layouts E-SD-16), and its RESULT codes as the
# codec's table names them (harness/jt809/layouts.toml); a code outside 0..3 is reported, not failed.
REQUEST_ANSWERS = {0x1209: 0x9209}
REQUEST_RESULTS = {0: "accepted", 1: "no data for the vehicle", 2: "time span wrong", 3: "other"}


def _ids(item: dict[str, Any]) -> tuple[int | None, int | None]:
    """MSG_ID and MSG_SN of a logged frame (the harness logs its own frames as hex: the header is never encrypted)."""
    try:
        inner = unescape(bytes.fromhex(item["hex"])[1:-1])[0]
    except (KeyError, ValueError):
        return None, None
    return (int.from_bytes(inner[8:10], "big"), int.from_bytes(inner[4:8], "big")) if len(inner) >= 10 else (None, None)


@check("shunde.platform.requests_answered", "E-SD-16; JT/T 809-2011 0x1209/0x9209", "minor",
       "补发车辆定位信息请求有应答", "An operator's 0x1209 APPLY_HISGNSSDATA_REQ is answered by 0x9209 (either link)")
def requests_answered(request: int, items: list[dict[str, Any]], wait: float) -> list[Problem]:
    """`items`: the frame log since the request (operator.FrameLog dicts, both links)."""
    want = REQUEST_ANSWERS[request]
    down = [i for i in items if i.get("dir") == "received" and (i.get("header") or {}).get("msg_id") == 0x9200]
    got = [i for i in down if (i.get("body") or {}).get("data_type") == want]
    if not got:
        seen = ", ".join(str((i.get("body") or {}).get("data_type_hex")) for i in down) or "nothing"
        return [fail(f"no 0x9200/0x{want:04X} within {wait:g} s of a 0x1200/0x{request:04X} (0x9200 frames seen: "
                     f"{seen})")]
    data = (got[0].get("body") or {}).get("data") or {}
    if "source_msg_sn" in data:  # the 2019 answer names the request by DATA_TYPE and MSG_SN
        sn = next((sn for i in items if i.get("dir") == "sent" for msg_id, sn in [_ids(i)] if msg_id == 0x1200), None)
        if (data.get("source_data_type"), data.get("source_msg_sn")) != (request, sn):
            return [fail(f"0x{want:04X} names SOURCE_DATA_TYPE 0x{data.get('source_data_type') or 0:04X} SOURCE_MSG_SN "
                         f"{data.get('source_msg_sn')}; the request was 0x{request:04X} with MSG_SN {sn}")]
    result = data.get("result")
    if result not in REQUEST_RESULTS:
        return [warn(f"0x{want:04X} RESULT {result}; the codes known to the harness are "
                     f"{', '.join(f'{k} {v}' for k, v in REQUEST_RESULTS.items())}", "E-SD-16")]
    return []


# ---- 2019 link management the platform starts: 0x9102 (answered 0x1102) and 0x9103 ------------------------------
@check("shunde.platform.manage_req", "JT/T 809-2019 0x9102/0x1102 (vectors o3, o1)", "minor",
       "平台链路管理查询 0x9102 接受应答 0x1102",
       "A platform's 0x9102 names a sound span, and it takes the operator's 0x1102 answer (the link goes on)")
def manage_req(reqs: list[dict[str, Any]], answered: int, open_after: bool, journaled: list[str] | None,
               wait: float) -> list[Problem]:
    """`reqs`: the logged 0x9102 frames; `answered`: 0x1102 the operator sent; `open_after`: a 0x1005 after them
    was answered; `journaled`: the in-process mock's journal outcomes of the 0x1102 it read (None: a target)."""
    out = []
    for it in reqs:
        body = it.get("body") or {}
        if body.get("start_time") is not None and body.get("end_time") is not None \
                and body["start_time"] > body["end_time"]:
            out.append(fail(f"0x9102 START_TIME {body.get('start_time_iso')} is after END_TIME {body.get('end_time_iso')}"))
    if not open_after:
        out.append(fail(f"after the operator's {answered} 0x1102 UP_MANAGE_MSG_RSP the platform closed the main link "
                        f"or left a 0x1005 without 0x1006 for {wait:g} s"))
    if journaled is not None and answered and not any(o == "ok" for o in journaled):
        out.append(fail(f"the platform's journal holds the operator's 0x1102 as {journaled or 'nothing'}, "
                        "not as a received answer"))
    return out


@check("shunde.platform.sn_inform", "JT/T 809-2019 0x9103 (vector o4)", "minor", "平台消息序列号通知 0x9103 所列为已发报文",
       "Each message a platform's 0x9103 lists (SUB_DATA_TYPE, MSG_SN) is one the operator sent")
def sn_inform(informs: list[dict[str, Any]], sent: dict[int, tuple[int | None, int | None]]) -> list[Problem]:
    """`informs`: the logged 0x9103 frames; `sent`: per MSG_SN the operator used, (MSG_ID, sub-message DATA_TYPE)."""
    out = []
    for it in informs:
        body = it.get("body") or {}
        items = body.get("items") or []
        if body.get("count") is not None and body["count"] != len(items):
            out.append(fail(f"0x9103 COUNT {body['count']} with {len(items)} records"))
        for rec in items:
            sn, kind = rec.get("msg_sn"), rec.get("sub_data_type")
            if sn not in sent:
                out.append(fail(f"0x9103 lists MSG_SN {sn} (SUB_DATA_TYPE 0x{kind or 0:04X}): the operator sent no "
                                "frame with that MSG_SN"))
            elif kind not in sent[sn]:
                msg_id, data_type = sent[sn]
                out.append(fail(f"0x9103 lists MSG_SN {sn} as SUB_DATA_TYPE 0x{kind or 0:04X}; the operator's frame "
                                f"with that MSG_SN was 0x{msg_id or 0:04X}"
                                + (f"/0x{data_type:04X}" if data_type is not None else "")))
    return out[:20]


def sent_ids(items: list[dict[str, Any]]) -> dict[int, tuple[int | None, int | None]]:
    """Per MSG_SN of a frame the harness sent (either link): its MSG_ID and, for a family message, DATA_TYPE."""
    out = {}
    for it in items:
        if it.get("dir") == "sent":
            msg_id, sn = _ids(it)
            if sn is not None:
                out[sn] = (msg_id, it.get("data_type"))
    return out

"""Shunde client-role checks: what a GPS forwarder put on the wire, judged clause by clause (jt809 notes, shunde)."""
from __future__ import annotations

from typing import Any, Iterable

from harness import specdata
from harness.checks import check, declare, fail, Problem, warn
from harness.journal import Exchange
from harness.jt809 import crc16
from harness.jt809.messages import CHINA_BOX
from mocks.shunde.platform import RESULT as LOGIN_RESULT
from suites.shunde import gpsrules

# The codec tags a finding of a documented alternative reading with its own id; the errata register's `codec_tag`
# names the entry (E-SD-02, E-SD-19, E-SD-20): tag -> (errata id, profile switch, the default reading's value).
CODEC_ERRATA = {e["codec_tag"]: (eid, e.get("switch", ""), e.get("switch_default"))
                for eid, e in specdata.load("shunde", "errata").items() if isinstance(e, dict) and e.get("codec_tag")}
POSITION_IFACES = ("UP_EXG_MSG_REAL_LOCATION", "UP_EXG_MSG_HISTORY_LOCATION")
POSITION_FIELDS = ("lon_deg", "lat_deg", "vec1", "vec2", "vec3", "direction", "altitude", "state", "alarm")
RESULT_BUSY = LOGIN_RESULT["busy"]  # 0x1002 RESULT 5: 资源紧张，稍后再连接 (jt809 notes §Messages)


def from_sut(exchanges: Iterable[Exchange], link: str | None = None) -> list[Exchange]:
    """The frames the SUT sent (the mock journals its own frames as method "send", link events as "event")."""
    return [e for e in exchanges if e.method == "recv" and (link is None or e.link == link)]


def where(e: Exchange) -> str:
    return f"#{e.seq} {e.link} {e.interface}"


# ---- framing (jt809 notes §Frame) ---------------------------------------------------------------------

FRAME_CHECKS = {
    "crc": ("shunde.frame.crc", "critical", "CRC-16/CCITT-FALSE 正确", "CRC-16/CCITT-FALSE over header and body"),
    "escape": ("shunde.frame.escape", "critical", "转义正确", "0x5B/0x5A/0x5D/0x5E escaped between the flags"),
    "length": ("shunde.frame.length", "critical", "MSG_LENGTH 为整帧长度", "MSG_LENGTH is the whole unescaped frame"),
    "boundary": ("shunde.frame.boundary", "major", "帧边界完整", "Every byte inside a 0x5B..0x5D frame"),
    "body": ("shunde.frame.body", "major", "消息体符合消息定义", "Body fits its message"),
}
for _k, (_id, _sev, _zh, _en) in FRAME_CHECKS.items():
    declare(_id, "jt809 notes §Frame", _sev, _zh, _en)
REASON_ASPECT = {"crc": "crc", "escape": "escape", "length": "length", "garbage": "boundary",
                 "truncated": "boundary", "oversize": "boundary", "body": "body", "unknown_msg_id": "body",
                 "unknown_data_type": "body", "unverified_layout": "body"}
# E-SD-01: the enhanced document may add messages; E-SD-16: layouts not in our spec texts are never failed on.
WARN_REASONS = {"unknown_msg_id": "E-SD-01", "unknown_data_type": "E-SD-01", "unverified_layout": "E-SD-16"}


def frame_problems(exchanges: Iterable[Exchange]) -> dict[str, list[Problem]]:
    """Problems per framing aspect over every frame the SUT sent (each reason of a FrameError counts)."""
    out: dict[str, list[Problem]] = {k: [] for k in FRAME_CHECKS}
    for e in from_sut(exchanges):
        notes = e.notes or {}
        if "reason" not in notes:
            continue
        reasons = [(notes["reason"], notes.get("message", ""))]
        reasons += [(o["reason"], o["message"]) for o in notes.get("others", [])]
        for reason, message in reasons:
            aspect = REASON_ASPECT.get(reason)
            if aspect is None:
                continue
            text = f"{where(e)}: {message} (hex {e.request_body[:80]}{'…' if len(e.request_body) > 80 else ''})"
            out[aspect].append(warn(text, WARN_REASONS[reason]) if reason in WARN_REASONS else fail(text))
    out["escape"] += [fail(m) for m in unescaped_frames(exchanges)]
    return out


def unescaped_frames(exchanges: Iterable[Exchange]) -> list[str]:
    """Runs of malformed pieces that join into one valid frame read without unescaping: a sender that never escapes.

    A raw 0x5D inside such a frame ends it early (length/CRC errors) and leaves the rest as garbage, so the
    decoder's reasons name the symptoms; putting the pieces back together names the cause.
    """
    out = []
    for link in ("main", "slave"):
        seq = [e for e in from_sut(exchanges, link)]
        i = 0
        while i < len(seq):
            found = 0
            for n in range(1, 5):
                run = seq[i:i + n]
                if len(run) < n or any("reason" not in (e.notes or {}) for e in run):
                    break
                joined = b"".join(bytes.fromhex(e.request_body) for e in run)
                if _whole_unescaped(joined):
                    found = n
                    break
            if found:
                specials = sorted({f"0x{b:02X}" for b in joined[1:-1] if b in (0x5A, 0x5B, 0x5D, 0x5E)})
                out.append(f"#{seq[i].seq}{f'..#{seq[i + found - 1].seq}' if found > 1 else ''} {link}: one frame "
                           f"sent without escaping ({', '.join(specials)} raw between the flags)")
                i += found
            else:
                i += 1
    return out[:10]


def _whole_unescaped(raw: bytes) -> bool:
    if len(raw) < 28 or raw[0] != 0x5B or raw[-1] != 0x5D:
        return False
    content = raw[1:-1]
    if not any(b in (0x5A, 0x5B, 0x5D, 0x5E) for b in content):
        return False
    return int.from_bytes(content[:4], "big") == len(raw) and crc16(content[:-2]) == int.from_bytes(content[-2:], "big")


@check("shunde.frame.values", "jt809 notes §Messages; E-SD-02", "major", "字段取值有效",
       "Decoded fields make sense (GBK text, code tables); documented alternatives warn")
def frame_values(exchanges: Iterable[Exchange], profile: dict[str, Any]) -> list[Problem]:
    """Value findings of every frame but positions (those are shunde.location.valid's)."""
    out = []
    for e in from_sut(exchanges):
        if e.interface in POSITION_IFACES:
            continue
        for f in (e.notes or {}).get("findings", []):
            eid, switch, default = CODEC_ERRATA.get(f.get("errata") or "", (f.get("errata"), "", None))
            if switch and profile.get(switch, default) != default:
                continue  # the profile selected this reading: no finding
            errata = eid
            text = f"{where(e)}: [{f['code']}] {f['message']}"
            if f["level"] == "fail" or (profile.get("strict") and errata):
                out.append(fail(text + (" (strict profile)" if f["level"] != "fail" else "")))
            else:
                out.append(warn(text, errata))
    return out[:30]


@check("shunde.header.access_code", "shunde Attachment 2; jt809 notes §Frame", "major",
       "MSG_GNSSCENTERID 为分配的接入码", "MSG_GNSSCENTERID is the issued access code")
def access_code(exchanges: Iterable[Exchange], code: int) -> list[Problem]:
    out = []
    for e in from_sut(exchanges):
        got = (e.headers or {}).get("gnss_center_id")
        if got is not None and got != code:
            out.append(fail(f"{where(e)}: MSG_GNSSCENTERID {got}, the platform issued {code}"))
    return out[:20]


@check("shunde.cipher.body", "jt809 notes §Frame (body cipher); E-SD-13", "critical",
       "消息体按约定加密", "Bodies encrypted as agreed, with the issued M1/IA1/IC1")
def cipher_body(exchanges: Iterable[Exchange], profile: dict[str, Any], user_id: int) -> list[Problem]:
    out = []
    for e in from_sut(exchanges):
        h = e.headers or {}
        if not h:
            continue
        has_body = int(h.get("msg_length") or 0) > (30 if "time" in h else 22) + 4
        flag = h.get("encrypt_flag")
        if not profile.get("encrypt"):
            if flag == 1:
                out.append(fail(f"{where(e)}: ENCRYPT_FLAG 1, but this platform issued no cipher constants (E-SD-13)"))
            continue
        if flag != 1 and has_body:
            out.append(fail(f"{where(e)}: ENCRYPT_FLAG {flag}, the platform's profile encrypts every body"))
            continue
        gbk = [f for f in (e.notes or {}).get("findings", []) if f.get("code") == "text_gbk"]
        if e.outcome in ("body", "unknown_data_type") or gbk:
            out.append(fail(f"{where(e)}: the body does not decode after decryption with the issued M1/IA1/IC1 "
                            f"({(e.notes or {}).get('message') or gbk[0]['message']}): wrong cipher constants?"))
        elif e.interface == "UP_CONNECT_REQ" and (e.request_plaintext or {}).get("user_id") != user_id:
            out.append(fail(f"{where(e)}: decrypted USERID {(e.request_plaintext or {}).get('user_id')}, the account "
                            f"is {user_id}: wrong cipher constants?"))
    return out[:20]


# ---- the link (jt809 notes §Messages) ---------------------------------------------------------------------

@check("shunde.login.fields", "jt809 notes §Messages (0x1001); shunde Attachment 2", "critical",
       "登录报文字段正确", "0x1001 carries the issued USERID, PASSWORD, access code and the down-link IP/port")
def login_fields(exchanges: Iterable[Exchange], creds: dict[str, Any]) -> list[Problem]:
    logins = [e for e in from_sut(exchanges, "main") if e.interface == "UP_CONNECT_REQ"]
    if not logins:
        return [fail("no 0x1001 UP_CONNECT_REQ reached the platform")]
    out = []
    for e in logins:
        b, h = e.request_plaintext or {}, e.headers or {}
        if e.outcome != "ok" and (e.notes or {}).get("reason") and not b:
            out.append(fail(f"{where(e)}: 0x1001 malformed ({e.notes['reason']}), its fields cannot be read"))
            continue
        if b.get("user_id") != creds["user_id"]:
            out.append(fail(f"{where(e)}: USERID {b.get('user_id')}, the account is {creds['user_id']}"))
        if b.get("password") != creds["password"]:
            out.append(fail(f"{where(e)}: PASSWORD differs from the issued one"))
        if h.get("gnss_center_id") != creds["access_code"]:
            out.append(fail(f"{where(e)}: header MSG_GNSSCENTERID {h.get('gnss_center_id')}, the access code "
                            f"issued is {creds['access_code']}"))
        if "msg_gnsscenterid" in b and b["msg_gnsscenterid"] != creds["access_code"]:  # the 2019 body (E-SD-17)
            out.append(fail(f"{where(e)}: body MSG_GNSSCENTERID {b['msg_gnsscenterid']}, the access code issued is "
                            f"{creds['access_code']}"))
        ip, port = b.get("down_link_ip") or "", b.get("down_link_port") or 0
        if not ip or not port:
            out.append(fail(f"{where(e)}: DOWN_LINK_IP {ip!r} / DOWN_LINK_PORT {port}: both are required for the "
                            "slave link"))
        elif creds.get("down_link_port") and (ip, port) != (creds["down_link_ip"], creds["down_link_port"]):
            out.append(warn(f"{where(e)}: down link {ip}:{port}, the access sheet says "
                            f"{creds['down_link_ip']}:{creds['down_link_port']}"))
    return out


@check("shunde.login.accepted", "jt809 notes §Messages (0x1002)", "critical", "登录成功", "Login answered RESULT 0")
def login_accepted(exchanges: Iterable[Exchange]) -> list[Problem]:
    """The last login of the exchanges accepted; a login the mock refused on purpose (note `probe`: E-SD-24, after
    the flow's main-link cut) is the platform's doing, not judged here."""
    logins = [e for e in from_sut(exchanges, "main") if e.interface == "UP_CONNECT_REQ" and not probe_refusal(e)]
    if not logins:
        return [fail("no 0x1001 reached the platform")]
    last = logins[-1]
    if last.response_body is None:
        why = (last.notes or {}).get("reason", last.outcome)
        return [fail(f"{where(last)}: no 0x1002 answer: the platform drops a malformed frame ({why})")]
    if last.status != 0 or last.outcome != "ok":
        return [fail(f"{where(last)}: 0x1002 RESULT {last.status} ({last.notes.get('login', last.outcome)})")]
    return []


@check("shunde.slave.answered", "jt809 notes §Messages (0x9001/0x9002); E-SD-06", "major",
       "从链路连接应答成功", "Slave link accepted, 0x9001 answered 0x9002 RESULT 0")
def slave_answered(exchanges: Iterable[Exchange], state: str) -> list[Problem]:
    rsps = [e for e in from_sut(exchanges, "slave") if e.interface == "DOWN_CONNECT_RSP"]
    failed = [e for e in exchanges if e.method == "event" and e.outcome == "slave_connect_failed"]
    if failed:
        n = failed[-1].notes
        return [fail(f"the platform could not open the slave link to {n.get('target')}: {n.get('error')}")]
    if not rsps:
        return [fail(f"no 0x9002 DOWN_CONNECT_RSP came back on the slave link (state {state})")]
    result = (rsps[-1].request_plaintext or {}).get("result")
    if result != 0:
        return [fail(f"{where(rsps[-1])}: 0x9002 RESULT {result}, 0 expected for the VERIFY_CODE of 0x1002")]
    return []


@check("shunde.heartbeat.main", "jt809 notes §Messages (0x1005/0x1006); E-SD-03", "major",
       "主链路心跳", "0x1005 heartbeats on the main link, no gap beyond the idle timeout")
def heartbeat_main(beats: list[Exchange], required: int, waited: float, interval: float,
                   idle: float) -> list[Problem]:
    out = []
    if len(beats) < required:
        out.append(fail(f"{len(beats)} 0x1005 UP_LINKTEST_REQ in {waited:.0f} s with an agreed interval of "
                        f"{interval:g} s; at least {required} expected"))
    for a, b in zip(beats, beats[1:]):
        if b.time - a.time > idle:
            out.append(fail(f"#{a.seq} → #{b.seq}: {b.time - a.time:.0f} s between heartbeats, the idle timeout is "
                            f"{idle:g} s"))
    return out


@check("shunde.heartbeat.slave", "jt809 notes §Messages (0x9005/0x9006)", "major",
       "从链路心跳应答", "0x9005 on the slave link answered 0x9006")
def heartbeat_slave(answered: bool) -> list[Problem]:
    return [] if answered else [fail("0x9005 DOWN_LINKTEST_REQ on the slave link got no 0x9006")]


@check("shunde.disconnect.orderly", "jt809 notes §Messages (0x1003/0x1004)", "major",
       "主链路有序断开", "0x1003 with USERID/PASSWORD before the main link closes")
def disconnect_orderly(exchanges: list[Exchange], creds: dict[str, Any]) -> list[Problem]:
    reqs = [e for e in from_sut(exchanges, "main") if e.interface == "UP_DISCONNECT_REQ"]
    closed = [e for e in exchanges if e.method == "event" and e.link == "main" and e.outcome == "closed"]
    if not reqs:
        how = f"closed ({closed[0].notes.get('reason')})" if closed else "still open"
        return [fail(f"no 0x1003 UP_DISCONNECT_REQ; the main link is {how}")]
    out = []
    b = reqs[0].request_plaintext or {}
    if b.get("user_id") != creds["user_id"] or b.get("password") != creds["password"]:
        out.append(fail(f"{where(reqs[0])}: USERID/PASSWORD differ from the account's"))
    if closed and closed[0].seq < reqs[0].seq:
        out.append(fail(f"the main link closed (#{closed[0].seq}) before 0x1003 (#{reqs[0].seq})"))
    return out


# ---- positions (0x1200) -------------------------------------------------------------------------------

@check("shunde.location.valid", "jt809 notes §Messages (0x1202/0x1203)", "major",
       "位置数据取值有效", "Position bodies decode to real dates, coordinates and codes")
def location_valid(frames: list[Exchange]) -> list[Problem]:
    out = []
    for e in frames:
        for f in (e.notes or {}).get("findings", []):
            if f.get("code") in ("outside_china",):
                continue  # judged by shunde.location.plausible
            errata = CODEC_ERRATA.get(f.get("errata") or "", (f.get("errata"),))[0]
            text = f"{where(e)}: [{f['code']}] {f['message']}"
            out.append(fail(text) if f["level"] == "fail" else warn(text, errata))
    return out[:30]


def expected_positions(params: dict[str, Any]) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Per vehicle, the positions the adapter was asked to send, in the order they must arrive."""
    out = {}
    for v in params.get("vehicles", []):
        ps = [dict(p, kind=v.get("mode", "real")) for p in v.get("positions", [])]
        if v.get("mode") == "history":
            ps.sort(key=lambda p: p["time"])
        out[(v["vehicle_no"], int(v["vehicle_color"]))] = ps
    return out


@check("shunde.location.complete", "DESIGN adapter protocol; jt809 notes §Messages (0x1202/0x1203)", "major",
       "位置数据完整送达", "Every position given arrived once, as 0x1202 or 0x1203 as asked")
def location_complete(params: dict[str, Any], received: dict[tuple[str, int], list[dict]]) -> list[Problem]:
    out = []
    want = expected_positions(params)
    for key, ps in want.items():
        got = received.get(key, [])
        if len(got) != len(ps):
            out.append(fail(f"{key[0]} (colour {key[1]}): {len(ps)} positions given, {len(got)} arrived"))
        kinds = {p["kind"] for p in ps}
        wrong = [g for g in got if g["kind"] not in kinds]
        if wrong:
            out.append(fail(f"{key[0]}: {len(wrong)} positions sent as {wrong[0]['kind']}, asked for "
                            f"{'/'.join(sorted(kinds))} (0x1202 real / 0x1203 history)"))
    for key in received.keys() - want.keys():
        out.append(fail(f"{key[0]} (colour {key[1]}): {len(received[key])} positions for a vehicle never given"))
    return out


@check("shunde.location.intact", "DESIGN adapter protocol; jt809 notes §Messages (0x1202)", "major",
       "位置数据与给定一致", "Plate, colour, time, coordinates, speeds, state arrive unaltered")
def location_intact(params: dict[str, Any], received: dict[tuple[str, int], list[dict]]) -> list[Problem]:
    out = []
    for key, ps in expected_positions(params).items():
        for i, (p, g) in enumerate(zip(ps, received.get(key, [])), 1):
            diffs = []
            if g["time"] != p["time"]:
                diffs.append(f"time {p['time']} → {g['time']}")
            for name in POSITION_FIELDS:
                given = p.get(name.replace("_deg", ""), 0)
                got = g.get(name)
                if name.endswith("_deg"):  # a partly decoded body may lack the field: that is a difference too
                    same = isinstance(got, (int, float)) and abs(float(got) - float(given)) < 1.5e-6
                else:
                    same = got == given
                if not same:
                    diffs.append(f"{name.replace('_deg', '').upper()} {given} → {got}")
            if diffs:
                out.append(fail(f"{key[0]} position {i}: " + ", ".join(diffs)))
    return out[:30]


def as_consequence(problems: list[Problem], frames: list[Exchange]) -> list[Problem]:
    """Mark the failures that follow from position frames whose body did not decode (judged by shunde.frame.body,
    e.g. 2011 bodies under a 2019 header): their positions are missing, not wrong."""
    undecoded = [e.seq for e in frames if e.outcome == "body"]
    if undecoded:
        for p in problems:
            p.message += (f" (a consequence of shunde.frame.body: {len(undecoded)} position frames whose body did not "
                          f"decode, #{', #'.join(map(str, undecoded[:5]))})")
    return problems


@check("shunde.location.plausible", "E-SD-05; jt809 notes §Messages (0x1202 LON/LAT)", "major",
       "位置在中国境内", "Positions lie inside China")
def location_plausible(positions: list[dict[str, Any]]) -> list[Problem]:
    lo_min, lo_max, la_min, la_max = CHINA_BOX
    located = [p for p in positions if all(isinstance(p.get(k), (int, float)) for k in ("lon_deg", "lat_deg"))]
    bad = [p for p in located if not (lo_min <= p["lon_deg"] <= lo_max and la_min <= p["lat_deg"] <= la_max)]
    return [fail(f"{p['vehicle_no']} {p['time']}: {p['lon_deg']:.6f}E {p['lat_deg']:.6f}N is outside China "
                 f"({lo_min}–{lo_max}E, {la_min}–{la_max}N)") for p in bad[:10]]


@check("shunde.location.timely", "E-SD-05; E-SD-08", "major", "定位时间合理",
       "Position times neither in the future nor stale (Beijing time)")
def location_timely(positions: list[dict[str, Any]], rules: dict[str, Any]) -> list[Problem]:
    out = []
    for p in positions:
        for f in gpsrules.position_findings(p, rules):
            if f["rule"] in ("future", "stale"):
                out.append(fail(f"{p['vehicle_no']}: {f['message']}"))
    return out[:10]


@check("shunde.history.batch", "jt809 notes §Messages (0x1203)", "major",
       "补报数据每包不超过5条且按时间顺序", "0x1203 batches of 1..5 blocks, in time order")
def history_batch(frames: list[Exchange], max_batch: int) -> list[Problem]:
    out, last = [], {}
    for e in frames:
        body = e.request_plaintext or {}
        data = body.get("data") or {}
        locs = data.get("locations") or []
        count = data.get("gnss_cnt", len(locs))  # as read, also when the records did not decode (shunde.frame.body)
        if not 1 <= count <= max_batch:
            out.append(fail(f"{where(e)}: GNSS_CNT {count}, 1..{max_batch} allowed"))
        times = [x.get("time") or "" for x in locs]
        if times != sorted(times):
            out.append(fail(f"{where(e)}: blocks out of time order ({', '.join(times)})"))
        key = (body.get("vehicle_no"), body.get("vehicle_color"))
        if times and key in last and times[0] < last[key]:
            out.append(fail(f"{where(e)}: batch starts at {times[0]}, before the previous batch's end {last[key]}"))
        if times:
            last[key] = times[-1]
    return out


# ---- the paper workflow -------------------------------------------------------------------------------

@check("shunde.flow.access_sheet", "shunde Attachment 1; shunde Attachment 3; E-SD-11", "major",
       "车辆接入情况反馈表：全部接入完成", "Access result sheet: every applied vehicle connected with normal GPS")
def access_sheet(sheet: Any) -> list[Problem]:
    out = []
    for row in sheet.rows:
        if not row.connected:
            out.append(fail(f"{row.plate} ({row.color_zh}): 是否接入 否 — {row.note or '窗口内无有效位置'}"))
        elif not row.gps_normal:
            out.append(fail(f"{row.plate} ({row.color_zh}): GPS是否正常 否 — {row.note}"))
    return out


# ---- link recovery ---------------------------------------------------------------------------------------

@check("shunde.link.reconnect", "jt809 notes §Messages (0x1001/0x1002, 0x1007)", "major", "主链路断开后重连",
       "Main link cut: log in again and deliver every position acknowledged, before and after the cut")
def link_reconnect(after_cut: list[Exchange], acknowledged: list[dict[str, Any]],
                   received: dict[tuple[str, int], list[dict]], slave_was_up: bool) -> list[Problem]:
    """`after_cut`: the journal from the cut on; `acknowledged`: send_positions params the adapter said it did."""
    out = []
    logins = [e for e in from_sut(after_cut, "main") if e.interface == "UP_CONNECT_REQ"]
    if not any(e.status == 0 and e.outcome == "ok" for e in logins):
        probes = sum(1 for e in logins if probe_refusal(e))
        why = (f", {probes} refused RESULT 5 on purpose (busy: connect again later, E-SD-24) and not tried again"
               if probes else "")
        out.append(fail(f"the main link was cut and no accepted 0x1001 followed ({len(logins)} login attempts{why}): "
                        "the forwarder did not reconnect"))
    for params in acknowledged:
        for key, ps in expected_positions(params).items():
            have = {g["time"] for g in received.get(key, [])}
            lost = [p["time"] for p in ps if p["time"] not in have]
            if lost:
                out.append(fail(f"{key[0]} (colour {key[1]}): {len(lost)} of {len(ps)} positions the adapter "
                                f"acknowledged never arrived (first {lost[0]})"))
    if slave_was_up and not any(e.interface == "UP_DISCONNECT_INFORM" for e in from_sut(after_cut, "slave")):
        out.append(warn("no 0x1007 UP_DISCONNECT_INFORM on the slave link after the main link broke (not required "
                        "by the notes: E-SD-22)", "E-SD-22"))
    return out[:30]


def probe_refusal(e: Exchange) -> bool:
    """A 0x1001 the mock answered RESULT 5 on purpose, to see the operator wait (E-SD-24)."""
    return bool((e.notes or {}).get("probe"))


@check("shunde.link.backoff", "jt809 notes §Messages (0x1002 RESULT 5); E-SD-24", "major", "登录被拒后稍后再连接",
       "After a login refused RESULT 5 (busy: connect again later), wait before the next 0x1001")
def link_backoff(logins: list[Exchange], min_wait_s: float, level: str = "required") -> list[Problem]:
    """`logins`: one USERID's 0x1001 frames in journal order. Each refused RESULT 5 must be followed by the next no
    sooner than `min_wait_s` later (E-SD-24; `level` "advised": a warning)."""
    out = []
    for refused, nxt in zip(logins, logins[1:]):
        if refused.status != RESULT_BUSY:
            continue
        gap = nxt.time - refused.time
        if gap < min_wait_s:
            msg = (f"{where(nxt)}: 0x1001 again {gap:.3f} s after {where(refused)} was refused RESULT 5 (busy: "
                   f"connect again later)")
            out.append(fail(f"{msg}; a wait of at least {min_wait_s:g} s is due (E-SD-24)") if level == "required"
                       else warn(f"{msg}; E-SD-24 advises a wait of at least {min_wait_s:g} s", "E-SD-24"))
    return out[:30]


# ---- the platform's requests and vehicle registration -----------------------------------------------------

@check("shunde.requests.answered", "E-SD-16; JT/T 809-2011 0x9200-0x9600 requests", "major", "上级平台请求有应答",
       "Each platform request (roll call, supervision, text, photo, travel data, static info…) answered on the "
       "main link, naming it")
def requests_answered(sent: list[tuple[Any, tuple[str, int]]], exchanges: list[Exchange],
                      wait: float | None = None) -> list[Problem]:
    """`sent`: (suites.shunde.requests.RequestRule, vehicle) per request the platform sent; `exchanges`: since, as
    far as the harness waited (`wait` seconds, for the message). A 2019 answer names its request by SOURCE_DATA_TYPE
    and SOURCE_MSG_SN: they must be the request's DATA_TYPE and the MSG_SN of the frame that carried it."""
    out = []
    up = [e for e in from_sut(exchanges, "main") if isinstance(e.request_plaintext, dict)]
    sns = {(e.request_plaintext or {}).get("data_type"): (e.headers or {}).get("msg_sn")
           for e in exchanges if e.method == "send" and isinstance(e.request_plaintext, dict)}
    within = f" within {wait:g} s" if wait is not None else ""
    for rule, vehicle in sent:
        answers = [e for e in up if (e.request_plaintext.get("data_type") if rule.answer_family is not None
                                     else (e.headers or {}).get("msg_id")) == rule.answer
                   and e.request_plaintext.get("vehicle_no", vehicle[0]) == vehicle[0]]
        if not answers:
            out.append(fail(f"0x{rule.request:04X} {rule.request_name} got no 0x{rule.answer:04X} "
                            f"{rule.answer_name} on the main link{within}"))
            continue
        data = answers[0].request_plaintext.get("data") or {}
        wrong = [f"{a.upper()} {data.get(a)!r} (the request's {r.upper()} was {rule.sample.get(r)!r})"
                 for a, r in rule.echo.items() if a in data and data.get(a) != rule.sample.get(r)]
        if "source_msg_sn" in data:  # the answer's layout (2019) names the request by type and serial number
            for field, want in (("source_data_type", rule.request), ("source_msg_sn", sns.get(rule.request))):
                if data.get(field) != want:
                    wrong.append(f"{field.upper()} {data.get(field)!r} (the request's was {want!r})")
        if wrong:
            out.append(fail(f"{where(answers[0])}: answers 0x{rule.request:04X} with " + ", ".join(wrong)))
    return out


@check("shunde.informs.kept", "jt809 notes §Messages; JT/T 809-2011 0x9200/0x9400 informs (E-SD-16)", "major",
       "上级平台通知后链路保持", "The platform's informs that want no answer (cross-region position, vehicle info, "
       "warning notices) leave the operator's main and slave links up")
def informs_kept(sent: list[str], main_up: bool, slave_was_up: bool, slave_up: bool) -> list[Problem]:
    """`sent`: the informs' names as sent; `main_up` / `slave_up`: the links they were sent over still open once the
    requests sent after them were answered (or the harness stopped waiting); `slave_was_up`: before the informs."""
    out = []
    told = ", ".join(sent)
    if not main_up:
        out.append(fail(f"the main link closed after the platform sent {told}"))
    if slave_was_up and not slave_up:
        out.append(fail(f"the slave link closed after the platform sent {told}"))
    return out


@check("shunde.register.sent", "jt809 notes §Messages (0x1201)", "major", "车辆注册信息上报",
       "Each vehicle registered with 0x1201 before its first position (E-SD-23: on this login, if per login)")
def register_sent(params: dict[str, Any], since_login: list[Exchange]) -> list[Problem]:
    out = []
    up = [e for e in from_sut(since_login, "main") if isinstance(e.request_plaintext, dict)]
    for key in expected_positions(params):
        mine = [e for e in up if (e.request_plaintext.get("vehicle_no"), e.request_plaintext.get("vehicle_color"))
                == key]
        regs = [e for e in mine if e.request_plaintext.get("data_type") == 0x1201]
        first = next((e for e in mine if e.interface in POSITION_IFACES), None)
        if not regs:
            out.append(fail(f"{key[0]} (colour {key[1]}): no 0x1201 UP_EXG_MSG_REGISTER since the login"))
        elif first is not None and regs[0].seq > first.seq:
            out.append(fail(f"{key[0]}: 0x1201 (#{regs[0].seq}) after its first position (#{first.seq})"))
    return out[:30]

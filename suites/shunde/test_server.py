"""Server role: the harness plays a GPS operator; the district platform must answer every login case with
its RESULT, open the slave link, answer heartbeats, survive malformed frames and take positions."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from harness.pytest_plugin import require
from harness.jt809.messages import (HistoryLocation, Location, UpConnectReq, UpDisconnectReq, UpExgMsg,
                                    UpLinktestReq, body_class, encode_body)
from suites.shunde import platform_checks as P

pytestmark = [pytest.mark.role("server"), pytest.mark.stage("interface")]
STAGE = "interface"


def _frames(op, n0: int, iface: str):
    items = op.log.since(n0)
    return op.record("shunde.platform.frames", P.frames(items, op.vrun.profile), interface=iface, stage=STAGE,
                     evidence=[i for i in items if i["dir"] == "received"][:8])


def _need_login(op):
    if not op.ensure_logged_in():
        pytest.fail("the valid login failed; see shunde.platform.login_ok")


@pytest.mark.interface("connect")
def test_login_ok(op, vrun):
    n0, before = len(op.log), len(op.slave.connect_reqs)
    op.main = op.link()
    rsp = op.login(op.main)
    if rsp is not None and rsp.body is not None and rsp.body.result == 0:
        op.accept_verify(rsp.body.verify_code)
    else:
        op.login_failed = True
    results = [op.record("shunde.platform.login_ok", P.login_ok(rsp, op.wait), interface="connect", stage=STAGE,
                         evidence=op.log.since(n0)[:4])]
    if op.main_link_only:
        results.append(op.skip("shunde.platform.slave_link", "profile main-link-only (E-SD-06)", interface="connect",
                               stage=STAGE))
    elif op.verify_code is not None:
        codes = op.slave.wait_connect_req(before, op.wait)
        results.append(op.record("shunde.platform.slave_link",
                                 P.slave_link(codes, op.verify_code, f"{op.listen_ip}:{op.slave.port}", op.wait),
                                 interface="connect", stage=STAGE,
                                 evidence=[i for i in op.log.since(n0) if i["link"] == "slave"][:4]))
    results.append(_frames(op, n0, "connect"))
    require(vrun, results)


@pytest.mark.interface("connect")
@pytest.mark.parametrize("case", list(P.REFUSALS) + ["other"])
def test_login_refused(op, vrun, case):
    """One thing wrong per login, each on its own connection; the rest is the account's own values."""
    if case == "busy":
        _need_login(op)  # the first link must be up for a second login to be "busy"
    n0, acct = len(op.log), op.account
    try:
        link = op.link(source_ip=op.wrong_ip if case == "ip" else None)
    except OSError as exc:
        pytest.skip(f"cannot connect from the wrong source IP {op.wrong_ip}: {exc} (account sheet [harness] "
                    "wrong_source_ip)")
    try:
        if case == "other":
            _center_id, body = encode_body(UpConnectReq(acct.user_id, acct.password, op.listen_ip, op.slave.port))
            link.send_raw(op.wire.raw_frame(0x1001, body[:40]), "0x1001 with a 40-byte body")
            rsp = link.expect(0x1002)
            problems = P.login_other(rsp)
        else:
            kw = {"password": {"password": (acct.password[::-1] + "x")[:8] if acct.password[::-1] != acct.password
                               else "wrong!!x"},
                  "user": {"user_id": (acct.user_id ^ 0x5A5A5A5A) or 1},
                  "access_code": {"center": (acct.access_code + 1) & 0xFFFFFFFF}}.get(case, {})
            rsp = op.login(link, **kw)
            problems = P.login_refusal(case, rsp, op.wait)
    finally:
        link.close()
    cid = "shunde.platform.login_other" if case == "other" else f"shunde.platform.login_{case}"
    require(vrun, [op.record(cid, problems, interface="connect", stage=STAGE, evidence=op.log.since(n0)[:4]),
                   _frames(op, n0, "connect")])


@pytest.mark.interface("heartbeat")
def test_heartbeat(op, vrun):
    _need_login(op)
    n0 = len(op.log)
    op.main.send(UpLinktestReq())
    rsp = op.main.expect(0x1006)
    require(vrun, [op.record("shunde.platform.heartbeat", P.heartbeat(rsp, op.wait), interface="heartbeat",
                             stage=STAGE, evidence=op.log.since(n0)[:4]), _frames(op, n0, "heartbeat")])


def _location(when: datetime, i: int) -> Location:
    return Location(0, when, 113.2 + i * 1e-4, 22.8 + i * 1e-4, 40, 40, 1000 + i, 90, 10, 3, 0)


@pytest.mark.interface("framing")
def test_malformed_frames(op, vrun):
    """Bad CRC, bad escape, wrong MSG_LENGTH, a cut-off frame and garbage, then a valid heartbeat."""
    _need_login(op)
    n0 = len(op.log)
    _id, body = encode_body(UpExgMsg("粤X00001", 2, 0x1202, _location(datetime.now().replace(microsecond=0), 0)))
    good = op.wire.raw_frame(0x1200, body)
    bad_crc = op.wire.raw_frame(0x1200, body, crc=0x0000 if good[-3:-1] != b"\x00\x00" else 0x1111)
    bad_escape = good[:-3] + b"\x5a\x07" + good[-3:]
    wrong_length = op.wire.raw_frame(0x1200, body, msg_length=len(good) + 10)
    plan = [("bad CRC", bad_crc), ("bad escape 5A 07", bad_escape), ("MSG_LENGTH 10 too long", wrong_length),
            ("a frame cut off by the next start flag", good[:20]), ("garbage bytes", b"\x00\xffGARBAGE\r\n")]
    for note, raw in plan:
        op.main.send_raw(raw, note)
    op.main.send(UpLinktestReq())
    rsp = op.main.expect(0x1006)
    open_after = op.main.is_open()
    require(vrun, [op.record("shunde.platform.malformed", P.malformed([n for n, _ in plan], rsp, open_after, op.wait),
                             interface="framing", stage=STAGE, evidence=op.log.since(n0)[:10]),
                   _frames(op, n0, "framing")])


@pytest.mark.interface("send_positions")
def test_positions(op, vrun):
    """Two 0x1202 and one 0x1203 of three blocks; the link must carry on (and our mock must store all five)."""
    _need_login(op)
    n0 = len(op.log)
    plate, now = "粤X0S001", datetime.now().replace(microsecond=0) - timedelta(seconds=30)
    for i in range(2):
        op.main.send(UpExgMsg(plate, 2, 0x1202, _location(now + timedelta(seconds=10 * i), i)))
    op.main.send(UpExgMsg(plate, 2, 0x1203, HistoryLocation([_location(now - timedelta(minutes=5 - i), i)
                                                             for i in range(3)])))
    op.main.send(UpLinktestReq())
    rsp = op.main.expect(0x1006)
    stored = None
    if op.mock is not None:
        stored = len(op.mock.positions.get((plate, 2), []))
    require(vrun, [op.record("shunde.platform.positions", P.positions(rsp, stored, 5, op.wait),
                             interface="send_positions", stage=STAGE, evidence=op.log.since(n0)[:6]),
                   _frames(op, n0, "send_positions")])


@pytest.mark.interface("send_positions")
def test_history_request_answered(op, vrun):
    """0x1200/0x1209 APPLY_HISGNSSDATA_REQ: the platform answers 0x9200/0x9209, on the slave or the main link."""
    _need_login(op)
    n0 = len(op.log)
    req = body_class("UP_EXG_MSG_APPLY_HISGNSSDATA_REQ")(int(time.time()) - 3600, int(time.time()))
    op.main.send(UpExgMsg("粤X0S001", 2, None, req))
    deadline = time.monotonic() + op.wait
    while time.monotonic() < deadline and not any(
            i["dir"] == "received" and (i.get("header") or {}).get("msg_id") == 0x9200 for i in op.log.since(n0)):
        op.main.expect(0x9200, 0.2)  # reads the main link; the slave listener logs its frames on its own
    items = op.log.since(n0)
    require(vrun, [op.record("shunde.platform.requests_answered", P.requests_answered(0x1209, items, op.wait),
                             interface="send_positions", stage=STAGE, evidence=op.log.since(n0)[:6])])


MANAGE_CHECKS = ("shunde.platform.manage_req", "shunde.platform.sn_inform")


def _platform_sent(op, msg_id: int) -> list[dict]:
    return [i for i in op.log.since(0) if i["dir"] == "received" and (i.get("header") or {}).get("msg_id") == msg_id]


@pytest.mark.interface("heartbeat")
def test_link_management_2019(op, vrun):
    """2019: the platform's 0x9102 (answered 0x1102 by the operator, whatever link it came on) and 0x9103, sent at
    the platform's own initiative (our mock: `manage_after_s` after a login); each judged when it came."""
    if op.wire.profile.name != "2019":
        require(vrun, [op.skip(cid, "0x9102/0x9103 are JT/T 809-2019 messages (profile jt809-2019)",
                               interface="heartbeat", stage=STAGE) for cid in MANAGE_CHECKS])
        return
    _need_login(op)
    n0 = len(op.log)
    plate, now = "粤X0S002", datetime.now().replace(microsecond=0) - timedelta(seconds=5)
    op.main.send(UpExgMsg(plate, 2, 0x1202, _location(now, 0)))  # something for a 0x9103 to list
    op.main.send(UpLinktestReq())
    op.main.expect(0x1006)
    deadline = time.monotonic() + op.wait
    while time.monotonic() < deadline and not (_platform_sent(op, 0x9102) and _platform_sent(op, 0x9103)):
        op.main.poll(0.2)  # the slave listener logs (and hands over) its frames on its own
    reqs, informs = _platform_sent(op, 0x9102), _platform_sent(op, 0x9103)
    results = []
    if reqs:
        op.main.send(UpLinktestReq())
        open_after = op.main.expect(0x1006) is not None
        journaled = None
        if op.mock is not None:
            journaled = [e.outcome for e in op.mock.journal.since(0) if e.path == "0x1102"]
        results.append(op.record("shunde.platform.manage_req",
                                 P.manage_req(reqs, len(op.manage_answers), open_after, journaled, op.wait),
                                 interface="heartbeat", stage=STAGE, evidence=(reqs + op.log.since(n0))[:8]))
    else:
        results.append(op.skip("shunde.platform.manage_req", f"the platform sent no 0x9102 within {op.wait:g} s "
                               "(it sends one at its own initiative)", interface="heartbeat", stage=STAGE))
    if informs:
        results.append(op.record("shunde.platform.sn_inform", P.sn_inform(informs, P.sent_ids(op.log.since(0))),
                                 interface="heartbeat", stage=STAGE, evidence=informs[:4]))
    else:
        results.append(op.skip("shunde.platform.sn_inform", f"the platform sent no 0x9103 within {op.wait:g} s "
                               "(it sends one at its own initiative)", interface="heartbeat", stage=STAGE))
    results.append(_frames(op, n0, "heartbeat"))
    require(vrun, results)


@pytest.mark.interface("disconnect")
def test_disconnect(op, vrun):
    _need_login(op)
    n0 = len(op.log)
    op.main.send(UpDisconnectReq(op.account.user_id, op.account.password))
    rsp = op.main.expect(0x1004)
    op.main.close()
    op.main, op.verify_code = None, None
    require(vrun, [op.record("shunde.platform.disconnect", P.disconnect(rsp, op.wait), interface="disconnect",
                             stage=STAGE, evidence=op.log.since(n0)[:4]), _frames(op, n0, "disconnect")])

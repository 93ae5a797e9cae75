"""The Shunde district platform mock: every 0x1002 RESULT, journal-before-answer, slave link, heartbeats,
disconnect, idle close, malformed frames, garbage (never a crash), positions, account sheets."""
from __future__ import annotations

import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shunde_fakes import FakeTransport
from harness.clock import FixedClock
from harness.journal import Journal
from harness.jt809 import Header, decode_stream, encode
from harness.jt809.messages import (HistoryLocation, Location, UpConnectReq, UpDisconnectReq, UpExgMsg,
                                    UpLinktestReq, encode_body)
from harness.tcpmock import BackgroundMock
from mocks.shunde.accounts import Account, AccountSheet, SheetError
from mocks.shunde.journal import BatchJournal
from mocks.shunde.links import Link
from mocks.shunde.platform import DistrictPlatform
from suites.shunde.operator import FrameLog, OperatorLink, SlaveListener, Wire

ACCT = Account(user_id=7001, password="pw7001ab", access_code=9001, allowed_ips=["127.0.0.1"])
PROFILE = {"name": "t", "header": "2011", "encrypt": False, "main_link_only": False}


@pytest.fixture()
def platform(tmp_path):
    clock = FixedClock()
    journal = BatchJournal(tmp_path / "journal.sqlite")
    mock = DistrictPlatform(journal=journal, profile=dict(PROFILE), clock=clock, accounts=AccountSheet([ACCT]),
                            overrides={"tick_s": 3600, "answer_timeout_s": 10}, seed=1)
    with BackgroundMock(mock) as bg:
        log = FrameLog()
        wire = Wire(PROFILE, ACCT.access_code)
        slave = SlaveListener("127.0.0.1", wire, log)
        yield mock, bg, wire, log, slave, clock, tmp_path / "journal.sqlite"
        slave.stop()
    journal.close()


def connect(bg, wire, log, source_ip=None) -> OperatorLink:
    return OperatorLink("127.0.0.1", bg.port, wire, log, source_ip=source_ip, timeout=10)


def login(link, slave, *, user_id=ACCT.user_id, password=ACCT.password, center=None):
    link.send(UpConnectReq(user_id, password, "127.0.0.1", slave.port), center=center)
    return link.expect(0x1002)


def test_valid_login_answers_0_and_opens_the_slave_link(platform):
    mock, bg, wire, log, slave, _clock, _ = platform
    link = connect(bg, wire, log)
    rsp = login(link, slave)
    assert rsp.body.result == 0 and rsp.body.verify_code
    slave.expected_verify = rsp.body.verify_code
    slave.verify_ready.set()
    assert slave.wait_connect_req(0, 10) == [rsp.body.verify_code]
    session = mock.session_of(ACCT.user_id)
    assert _wait(lambda: session.slave_state == "up")
    assert bg.call(mock.slave_linktest(ACCT.user_id)) is True and slave.linktests == 1


@pytest.mark.parametrize("case,expected", [("password", 4), ("user", 3), ("access_code", 2), ("ip", 1),
                                           ("busy", 5), ("malformed", 6)])
def test_every_refusal_code_is_reachable(platform, case, expected):
    mock, bg, wire, log, slave, _clock, _ = platform
    if case == "busy":
        first = connect(bg, wire, log)
        assert login(first, slave).body.result == 0
    try:
        link = connect(bg, wire, log, source_ip="127.0.0.2" if case == "ip" else None)
    except OSError as exc:
        pytest.skip(f"cannot bind 127.0.0.2: {exc}")
    if case == "malformed":
        _id, body = encode_body(UpConnectReq(ACCT.user_id, ACCT.password, "127.0.0.1", slave.port))
        link.send_raw(wire.raw_frame(0x1001, body[:40]))
        rsp = link.expect(0x1002)
    else:
        kw = {"password": {"password": "nope"}, "user": {"user_id": 1}, "access_code": {"center": 1}}.get(case, {})
        rsp = login(link, slave, **kw)
    assert rsp is not None and rsp.body.result == expected
    # E-SD-10 default: a refused login's link is closed after the answer.
    assert not link.is_open() or _wait(lambda: not link.is_open())


def test_journal_holds_the_frame_before_the_answer_arrives(platform):
    mock, bg, wire, log, slave, _clock, path = platform
    link = connect(bg, wire, log)
    rsp = login(link, slave, password="nope")
    assert rsp.body.result == 4
    # Read the SQLite file from outside the mock the moment the answer is in: the exchange is already committed.
    rows = [r for r in Journal.read(path) if r["interface"] == "UP_CONNECT_REQ"]
    assert rows and rows[0]["outcome"] == "password_wrong" and rows[0]["status"] == 4
    assert decode_stream(bytes.fromhex(rows[0]["response_body"]))[0].body.result == 4
    assert rows[0]["request_body"].startswith("5B") and rows[0]["peer"].startswith("127.0.0.1:")
    assert rows[0]["request_plaintext"]["user_id"] == ACCT.user_id


def test_heartbeat_disconnect_and_positions(platform):
    mock, bg, wire, log, slave, _clock, _ = platform
    link = connect(bg, wire, log)
    assert login(link, slave).body.result == 0
    link.send(UpLinktestReq())
    assert link.expect(0x1006) is not None
    loc = Location(0, _now(), 113.2, 22.8, 40, 40, 100, 90, 5, 3, 0)
    link.send(UpExgMsg("粤X12345", 2, 0x1202, loc))
    link.send(UpExgMsg("粤X12345", 2, 0x1203, HistoryLocation([loc, loc])))
    link.send(UpDisconnectReq(ACCT.user_id, ACCT.password))
    assert link.expect(0x1004) is not None
    assert _wait(lambda: not link.is_open())
    assert [p["kind"] for p in mock.positions[("粤X12345", 2)]] == ["real", "history", "history"]
    assert mock.session_of(ACCT.user_id) is None  # a new login is not "busy" any more
    main = [s for s in mock.link_states() if s["kind"] == "main"][0]
    assert main["user_id"] == ACCT.user_id and not main["open"] and main["close_reason"] == "disconnect"


def test_malformed_frames_are_journaled_and_the_link_survives(platform):
    mock, bg, wire, log, slave, _clock, _ = platform
    link = connect(bg, wire, log)
    assert login(link, slave).body.result == 0
    _id, body = encode_body(UpLinktestReq())
    good = wire.raw_frame(0x1005, body)
    for raw in (wire.raw_frame(0x1005, body, crc=0), good[:-3] + b"\x5a\x07" + good[-3:],
                wire.raw_frame(0x1005, body, msg_length=99), b"\x00garbage", good[:10]):
        link.send_raw(raw)
    link.send(UpLinktestReq())
    assert link.expect(0x1006) is not None and link.is_open()
    reasons = [e.notes.get("reason") for e in mock.journal.entries if e.method == "recv" and "reason" in e.notes]
    assert {"crc", "escape", "length", "garbage", "truncated"} <= set(reasons)
    assert not mock.errors


def test_idle_link_is_closed(platform):
    mock, bg, wire, log, slave, clock, _ = platform
    link = connect(bg, wire, log)
    assert login(link, slave).body.result == 0
    clock.advance(float(mock.settings["idle_timeout_s"]) + 1)

    async def tick():
        mock.tick()

    bg.call(tick())
    assert _wait(lambda: not link.is_open())
    closes = [e for e in mock.journal.entries if e.outcome == "closed" and e.link == "main"]
    assert closes and closes[0].notes["reason"] == "idle"


def test_main_link_only_profile_opens_no_slave_link(tmp_path):
    mock = DistrictPlatform(profile={**PROFILE, "main_link_only": True}, accounts=AccountSheet([ACCT]), seed=2)
    with BackgroundMock(mock) as bg:
        log, wire = FrameLog(), Wire(PROFILE, ACCT.access_code)
        slave = SlaveListener("127.0.0.1", wire, log)
        try:
            link = connect(bg, wire, log)
            assert login(link, slave).body.result == 0
            link.send(UpLinktestReq())
            assert link.expect(0x1006) is not None  # by then a slave link would have been tried
            assert mock.session_of(ACCT.user_id).slave_state == "none" and not slave.connect_reqs
        finally:
            slave.stop()


def test_unreachable_down_link_is_reported_with_0x9007(platform):
    mock, bg, wire, log, _slave, _clock, _ = platform
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    link = connect(bg, wire, log)
    link.send(UpConnectReq(ACCT.user_id, ACCT.password, "127.0.0.1", dead))
    assert link.expect(0x1002).body.result == 0
    inform = link.expect(0x9007)
    assert inform is not None and inform.body.error_code == 0
    assert mock.session_of(ACCT.user_id).slave_state == "refused"


LOGIN = encode(UpConnectReq(ACCT.user_id, ACCT.password, "127.0.0.1", 1), Header(msg_sn=1, gnss_center_id=9001))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(garbage=st.lists(st.binary(max_size=120) | st.sampled_from([b"\x5b", b"\x5d", b"\x5a", b"\x5e\x03", LOGIN[:30]]),
                        max_size=12))
def test_garbage_never_crashes_and_a_later_login_is_answered(garbage):
    mock = DistrictPlatform(profile={**PROFILE, "main_link_only": True}, accounts=AccountSheet([ACCT]),
                            clock=FixedClock(), seed=3)
    link, transport = Link(mock, "main"), FakeTransport()
    link.connection_made(transport)
    for chunk in garbage:
        link.data_received(chunk)
    link.data_received(b"\x5d" + LOGIN)  # an end flag first: whatever came before is finished
    answers = [e for e in decode_stream(bytes(transport.out)) if getattr(e, "header", None)]
    assert answers and answers[-1].header.msg_id == 0x1002
    assert not mock.errors
    link.connection_lost(None)


def test_account_sheets(tmp_path):
    csv_path = tmp_path / "accounts.csv"
    csv_path.write_text("user_id,password,access_code,allowed_ips,down_link_ip,down_link_port\n"
                        "11,abc12345,22,127.0.0.1;10.0.0.0/8,127.0.0.1,809\n", "utf-8")
    sheet = AccountSheet.load(csv_path)
    a = sheet.get(11)
    assert a.access_code == 22 and a.ip_allowed("10.1.2.3") and not a.ip_allowed("192.168.0.1")
    assert a.down_link_port == 809
    assert len(AccountSheet.default()) >= 1
    with pytest.raises(SheetError, match="E-SD-14"):
        Account(user_id=1, password="123456789", access_code=1)
    bad = tmp_path / "bad.toml"
    bad.write_text("[[account]]\nuser_id = 1\n", "utf-8")
    with pytest.raises(SheetError):
        AccountSheet.load(bad)


def _now():
    import datetime as dt

    return dt.datetime.now().replace(microsecond=0)


def _wait(pred, timeout: float = 10.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


# ---- the messages beyond the link's own (issue 13) --------------------------------------------------------

def test_history_request_answered_and_acks_journaled_and_total_recv_counted():
    from datetime import datetime

    from harness import specdata
    from harness.jt809 import Frame
    from harness.jt809.messages import MESSAGES, body_class

    clock = FixedClock()
    mock = DistrictPlatform(profile={**specdata.profile("shunde", "main-link-only")}, accounts=AccountSheet([ACCT]),
                            clock=clock, seed=1)
    link = Link(mock, "main")
    link.connection_made(FakeTransport(("127.0.0.1", 1)))
    req = body_class("UP_EXG_MSG_APPLY_HISGNSSDATA_REQ")(1714550000, 1714552000)
    ack = body_class("UP_WARN_MSG_URGE_TODO_ACK")(77, 0)
    pos = UpExgMsg("粤X1", 2, 0x1202, Location(0, datetime(2024, 5, 1, 8), 113.2, 22.8, 1, 1, 1, 90, 1, 3, 0))
    for i, msg in enumerate([UpConnectReq(ACCT.user_id, ACCT.password, "127.0.0.1", 1), pos,
                             UpExgMsg("粤X1", 2, None, req), MESSAGES[0x1400].cls("粤X1", 2, None, ack)], 1):
        link.data_received(encode(msg, Header(msg_sn=i, gnss_center_id=ACCT.access_code)))
    clock.advance(30)
    mock.send_total_recv(ACCT.user_id, 0, clock.now() + 1)
    sent = [f for f in decode_stream(bytes(link.transport.out)) if isinstance(f, Frame)]
    assert [f.header.msg_id for f in sent] == [0x1002, 0x9200, 0x9101]
    assert (sent[1].body.data_type, sent[1].body.data.result, sent[1].body.vehicle_no) == (0x9209, 0, "粤X1")
    assert sent[2].body.dynamic_info_total == 1
    outcomes = {e.interface: e.outcome for e in mock.journal.entries if e.method == "recv"}
    assert outcomes["UP_WARN_MSG_URGE_TODO_ACK"] == outcomes["UP_EXG_MSG_APPLY_HISGNSSDATA_REQ"] == "ok"


def test_2019_history_answer_names_the_request_and_the_2019_manage_answer_is_journaled():
    from harness import specdata
    from harness.jt809 import HEADER_2019, Frame
    from harness.jt809.messages import body_class, to_2019
    from suites.shunde import requests

    mock = DistrictPlatform(profile={**specdata.profile("shunde", "jt809-2019"), "main_link_only": True},
                            accounts=AccountSheet([ACCT]), clock=FixedClock(), seed=1)
    link = Link(mock, "main")
    link.connection_made(FakeTransport(("127.0.0.1", 1)))
    req = body_class("UP_EXG_MSG_APPLY_HISGNSSDATA_REQ")(1714550000, 1714552000)
    manage = requests.answer_message(requests.RULES[0x9102], requests.request_message(requests.RULES[0x9102],
                                                                                        ("粤X1", 2)), "2019", 3)
    login = to_2019(UpConnectReq(ACCT.user_id, ACCT.password, "127.0.0.1", 1), ACCT.access_code)
    for i, msg in enumerate([login, UpExgMsg("粤X1", 2, None, req), manage], 1):
        link.data_received(encode(msg, Header(msg_sn=40 + i, gnss_center_id=ACCT.access_code, time=1714552000),
                                  profile=HEADER_2019))
    sent = [f for f in decode_stream(bytes(link.transport.out), HEADER_2019) if isinstance(f, Frame)]
    assert [f.header.msg_id for f in sent] == [0x1002, 0x9200]
    data = sent[1].body.data
    assert (data.source_data_type, data.source_msg_sn, data.result) == (0x1209, 42, 0)
    outcomes = {e.interface: e.outcome for e in mock.journal.entries if e.method == "recv"}
    assert outcomes["UP_MANAGE_MSG_RSP"] == "ok"


def _in_process(profile: dict, *msgs, header_2019: bool = False):
    """Frames the mock sent back to `msgs` on one main link (no slave link), decoded."""
    from harness.jt809 import HEADER_2019, PROFILES, Frame

    mock = DistrictPlatform(profile={**profile, "main_link_only": True}, accounts=AccountSheet([ACCT]),
                            clock=FixedClock(), seed=1)
    link = Link(mock, "main")
    link.connection_made(FakeTransport(("127.0.0.1", 1)))
    hp = HEADER_2019 if header_2019 else PROFILES["2011"]
    for i, msg in enumerate(msgs, 1):
        link.data_received(encode(msg, Header(msg_sn=60 + i, gnss_center_id=ACCT.access_code, time=1714552000),
                                  profile=hp))
    return mock, [f for f in decode_stream(bytes(link.transport.out), hp) if isinstance(f, Frame)]


def test_2019_registration_answered_with_0x9201_naming_it_and_a_2011_one_not():
    from harness import specdata
    from harness.jt809 import lint
    from harness.jt809.messages import Register, to_2019

    reg = UpExgMsg("粤X1", 2, None, Register("P1", "M1", "T20", "ID1", "13800000000"))
    login = UpConnectReq(ACCT.user_id, ACCT.password, "127.0.0.1", 1)
    _, sent = _in_process(specdata.profile("shunde", "jt809-2019"), to_2019(login, ACCT.access_code),
                          to_2019(reg, ACCT.access_code), header_2019=True)
    assert [f.header.msg_id for f in sent] == [0x1002, 0x9200]
    body = sent[1].body  # E-SD-20's default: the vehicle head, then SOURCE_DATA_TYPE, SOURCE_MSG_SN, RESULT
    assert (body.vehicle_no, body.vehicle_color, body.data_type) == ("粤X1", 2, 0x9201)
    assert (body.data.source_data_type, body.data.source_msg_sn, body.data.result) == (0x1201, 62, 1)
    assert lint(sent[1]) == []
    _, sent = _in_process(specdata.profile("shunde", "default"), login, reg)  # 2011: no 0x9201 in the revision
    assert [f.header.msg_id for f in sent] == [0x1002]


@pytest.mark.parametrize("profile,empty", [("default", False), ("authorize-ack-empty", True)])
def test_0x1702_answered_with_0x9702_codes_or_empty_under_the_switch(profile, empty):
    from harness import specdata
    from harness.jt809 import lint
    from harness.jt809.messages import TABLES

    ask = TABLES["2011"].messages[0x1700].cls("粤X1", 2, None, TABLES["2011"].subs[0x1700][0x1702].cls())
    mock, sent = _in_process(specdata.profile("shunde", profile),
                             UpConnectReq(ACCT.user_id, ACCT.password, "127.0.0.1", 1), ask)
    assert [f.header.msg_id for f in sent] == [0x1002, 0x9700]
    body = sent[1].body
    assert (body.vehicle_no, body.data_type) == ("粤X1", 0x9702)
    codes = [getattr(body.data, k, None) for k in ("authorize_code_1", "authorize_code_2")]
    if empty:  # E-SD-21's other reading: no data, read with its errata warning
        assert codes == [None, None] and sent[1].body_raw.endswith(bytes.fromhex("970200000000"))
        assert [(f.code, f.errata) for f in lint(sent[1])] == [("empty_reading", "jt1078-9702-empty")]
    else:
        assert all(len(c) == 32 for c in codes) and codes[0] != codes[1] and lint(sent[1]) == []
    assert {e.interface: e.outcome for e in mock.journal.entries if e.method == "recv"}[
        "UP_AUTHORIZE_MSG_STARTUP_REQ"] == "ok"

"""Client-role check functions: E-SD-02 mapping, strict profile, and no crash on whatever a SUT may send."""
from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shunde_fakes import feed_main_link
from harness.clock import FixedClock
from harness.jt809 import Header, encode
from harness.jt809.messages import Location, Register, UpConnectReq, UpExgMsg
from mocks.shunde.accounts import Account
from mocks.shunde.store import by_vehicle, positions_from_journal
from suites.shunde import checks as C
from suites.shunde import gpsrules

ACCT = Account(user_id=1, password="pw", access_code=2)
PROFILE = {"name": "t", "header": "2011", "encrypt": False, "main_link_only": True, "strict": False}
LOGIN = encode(UpConnectReq(1, "pw", "127.0.0.1", 9), Header(msg_sn=1, gnss_center_id=2))


def feed(*chunks: bytes):
    return feed_main_link(PROFILE, [ACCT], FixedClock(), *chunks)


def test_register_with_8_byte_model_warns_as_e_sd_02_and_fails_when_strict():
    reg = UpExgMsg("粤X1", 2, 0x1201, Register("P1", "M1", "T8", "ID1", "13800000000", model_size=8))
    entries = feed(LOGIN, encode(reg, Header(msg_sn=2, gnss_center_id=2)))
    problems = C.frame_values(entries, PROFILE)
    assert [(p.level, p.errata) for p in problems] == [("warn", "E-SD-02")]
    assert [p.level for p in C.frame_values(entries, {**PROFILE, "strict": True})] == ["fail"]


FRAME = encode(UpExgMsg("粤X1", 2, 0x1202, Location(0, dt.datetime(2024, 5, 1, 8), 113.2, 22.8, 1, 1, 1, 90, 1, 3, 0)),
               Header(msg_sn=3, gnss_center_id=2))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.lists(st.tuples(st.integers(0, len(FRAME) - 1), st.integers(0, 255)), max_size=6),
       noise=st.binary(max_size=40))
def test_checks_never_crash_on_mangled_frames(cut, noise):
    """Corrupt bytes of a valid 0x1202 frame: every check still returns problems, never raises."""
    raw = bytearray(FRAME)
    for i, b in cut:
        raw[i] = b
    entries = feed(LOGIN, bytes(raw), noise, FRAME)
    params = {"vehicles": [{"vehicle_no": "粤X1", "vehicle_color": 2, "mode": "history",
                            "positions": [{"time": "2024-05-01T08:00:00", "lon": 113.2, "lat": 22.8}]}]}
    recs = positions_from_journal(entries)
    frames = [e for e in C.from_sut(entries) if e.interface in C.POSITION_IFACES]
    C.frame_problems(entries)
    C.frame_values(entries, PROFILE)
    C.access_code(entries, 2)
    C.cipher_body(entries, PROFILE, 1)
    C.location_valid(frames)
    C.location_complete(params, by_vehicle(recs))
    C.location_intact(params, by_vehicle(recs))
    C.location_plausible(recs)
    C.location_timely(recs, gpsrules.load_rules())
    C.history_batch(frames, 5)
    for key, ps in by_vehicle(recs).items():
        gpsrules.track_findings(ps, gpsrules.load_rules(), None)

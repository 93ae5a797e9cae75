"""Documented alternative readings of 2019 bodies (errata E-SD-19, E-SD-20): another implementation's frames
(tests/wire/vectors/jt809/readings/, each with its source) decode with a warning carrying the errata id under the
default profile, fail only under the strict profile, and are clean when the profile's errata switch selects that
reading (profile jt809-2019-smallchi)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from proving import assert_fails, assert_passes
from shunde_fakes import feed_main_link

from harness import specdata
from harness.checks import evaluate
from harness.clock import FixedClock
from harness.jt809 import PROFILES, Frame, decode_frame, lint
from harness.jt809.journalview import finding
from harness.jt809.jsonview import event_to_json
from mocks.shunde.accounts import Account
from suites.shunde import checks as C
from suites.shunde import platform_checks as P

READINGS = {p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((Path(__file__).resolve().parents[1] / "vectors" / "jt809" / "readings").glob("*.json"))}
ERRATA = specdata.load("shunde", "errata")
DEFAULT = specdata.profile("shunde", "jt809-2019")
SWITCHED = specdata.profile("shunde", "jt809-2019-smallchi")


def test_readings_are_outside_frames():
    assert len(READINGS) == 3
    for v in READINGS.values():
        assert v["source"].startswith("SmallChi/JT809 ") and "@" in v["source"]
        assert ERRATA[v["errata"]]["codec_tag"] == v["codec_tag"]
        assert SWITCHED[ERRATA[v["errata"]]["switch"]] != ERRATA[v["errata"]]["switch_default"]


@pytest.mark.parametrize("name", sorted(READINGS))
def test_reading_decodes_with_its_errata_warning(name):
    v = READINGS[name]
    frame = decode_frame(bytes.fromhex(v["hex"]), PROFILES["2019"])
    assert isinstance(frame, Frame), frame
    body = event_to_json(frame)["body"]
    assert body["data_type_hex"] == v["data_type"]
    for key, want in v["expected"]["body"].items():
        assert body[key] == want, key
    found = [finding(f) for f in lint(frame)]
    assert [(f["code"], f["level"], f.get("errata")) for f in found] == [(v["finding"], "warn", v["codec_tag"])]


@pytest.mark.proves("shunde.frame.values")
@pytest.mark.parametrize("name", [n for n, v in READINGS.items() if v["msg_id"].startswith("0x1")])
def test_operator_reading_warns_by_default_and_is_clean_under_the_switch(name):
    """Client role: the forwarder's 0x1205/0x1206 in the other order, journaled by the mock, judged by frame_values."""
    v = READINGS[name]
    entries = feed_main_link(DEFAULT, [Account(user_id=1, password="pw", access_code=0x457)], FixedClock(),
                             bytes.fromhex(v["hex"]))
    default = evaluate("shunde.frame.values", C.frame_values(entries, DEFAULT))
    assert default.verdict == "warn" and v["errata"] in json.dumps(default.as_dict(), ensure_ascii=False)
    assert_fails("shunde.frame.values", C.frame_values(entries, {**DEFAULT, "strict": True}))
    assert_passes("shunde.frame.values", C.frame_values(entries, SWITCHED))


@pytest.mark.proves("shunde.platform.frames")
@pytest.mark.parametrize("name", [n for n, v in READINGS.items() if v["msg_id"].startswith("0x9")])
def test_platform_reading_warns_by_default_and_is_clean_under_the_switch(name):
    """Server role: the platform's 0x9201 without the vehicle head, as the operator's frame log holds it."""
    v = READINGS[name]
    frame = decode_frame(bytes.fromhex(v["hex"]), PROFILES["2019"])
    item = {"dir": "received", "link": "slave", **event_to_json(frame), "findings": [finding(f) for f in lint(frame)]}
    default = evaluate("shunde.platform.frames", P.frames([item], DEFAULT))
    assert default.verdict == "warn" and v["errata"] in json.dumps(default.as_dict(), ensure_ascii=False)
    assert_fails("shunde.platform.frames", P.frames([item], {**DEFAULT, "strict": True}))
    assert_passes("shunde.platform.frames", P.frames([item], SWITCHED))


def _0x9702(data: bytes) -> bytes:
    from harness.jt809 import Header, encode_raw

    head = "粤A12345".encode("gbk").ljust(21, b"\x00") + bytes([2]) + bytes.fromhex("9702")
    return encode_raw(Header(msg_sn=5, gnss_center_id=7, msg_id=0x9700), head + len(data).to_bytes(4, "big") + data)


@pytest.mark.proves("shunde.platform.frames")
def test_empty_0x9702_is_e_sd_21s_other_reading():
    """Server role: a platform's 0x9702 without the two codes (zboyco/jtt809, jt809core) warns with E-SD-21 by
    default, fails under the strict profile, is clean under profile authorize-ack-empty; the codes are clean."""
    plain = specdata.profile("shunde", "default")
    items = {}
    for name, data in (("empty", b""), ("codes", b"A" * 64 + b"B" * 64)):
        frame = decode_frame(_0x9702(data))
        assert isinstance(frame, Frame) and frame.body.data_type == 0x9702, frame
        items[name] = {"dir": "received", "link": "slave", **event_to_json(frame),
                       "findings": [finding(f) for f in lint(frame)]}
    assert items["codes"]["findings"] == [] and items["codes"]["body"]["data"]["authorize_code_2"] == "B" * 64
    assert items["empty"]["body"]["data"] == {} and items["empty"]["body"]["data_length"] == 0
    default = evaluate("shunde.platform.frames", P.frames([items["empty"]], plain))
    assert default.verdict == "warn" and "E-SD-21" in json.dumps(default.as_dict(), ensure_ascii=False)
    assert_fails("shunde.platform.frames", P.frames([items["empty"]], {**plain, "strict": True}))
    switched = specdata.profile("shunde", "authorize-ack-empty")
    assert_passes("shunde.platform.frames", P.frames([items["empty"]], switched))
    assert_passes("shunde.platform.frames", P.frames([items["codes"]], {**plain, "strict": True}))
    short = decode_frame(_0x9702(b"A" * 127))  # neither reading: the vector-verified row fails
    assert not isinstance(short, Frame) and short.reason == "body"


@pytest.mark.proves("shunde.frame.values")
def test_a_2019_driver_answer_without_valid_date_warns_citing_e_sd_26():
    """E-SD-26: the 2019 0x120A ends with VALID_DATE (outside vector o74); a body that ends at ORG_NAME (the layout
    the project documented before o74) decodes with the warning short_reading, fails only under strict, and is
    clean under profile driver-ack-without-valid-date."""
    from harness.jt809 import Header, encode_raw

    full = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "jt809" /
                       "o74_up_exg_msg_report_driver_info_ack_2019.json").read_text(encoding="utf-8"))
    data = bytes.fromhex(full["hex"])[:-8]
    body = "粤E12345".encode("gbk").ljust(21, b"\0") + bytes([2]) + (0x120A).to_bytes(2, "big") + \
        len(data).to_bytes(4, "big") + data
    raw = encode_raw(Header(msg_sn=1, msg_id=0x1200, gnss_center_id=0x457, version=(1, 0, 0)), body,
                     profile=PROFILES["2019"])
    frame = decode_frame(raw, PROFILES["2019"])
    assert isinstance(frame, Frame), frame
    view = event_to_json(frame)["body"]["data"]
    assert view["org_name"] == "www123456789" and "valid_date" not in view
    assert [(f.code, f.errata) for f in lint(frame)] == [("short_reading", ERRATA["E-SD-26"]["codec_tag"])]
    entries = feed_main_link(DEFAULT, [Account(user_id=1, password="pw", access_code=0x457)], FixedClock(), raw)
    default = evaluate("shunde.frame.values", C.frame_values(entries, DEFAULT))
    assert default.verdict == "warn" and "E-SD-26" in json.dumps(default.as_dict(), ensure_ascii=False)
    assert_fails("shunde.frame.values", C.frame_values(entries, {**DEFAULT, "strict": True}))
    assert_passes("shunde.frame.values", C.frame_values(entries, specdata.profile("shunde",
                                                                                  "driver-ack-without-valid-date")))

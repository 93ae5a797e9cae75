"""Every malformed-frame kind yields a FrameError with its reason code; value lint flags odd but decodable fields."""
from __future__ import annotations

from datetime import datetime

import pytest

from harness.jt809 import REASONS, Frame, FrameError, Header, decode_frame, decode_stream, encode, encode_raw, lint
from harness.jt809.messages import (DownConnectRsp, DownDisconnectInform, HistoryLocation, Location, Register,
                                    UpConnectReq, UpConnectRsp, UpExgMsg, UpLinktestReq)

LOGIN = UpConnectReq(20180920, "20180920", "127.0.0.1", 809)
HEAD = Header(msg_sn=133, gnss_center_id=20180920, encrypt_key=9999)
V1 = encode(LOGIN, HEAD)
GOOD = Location(0, datetime(2024, 5, 1, 8, 30), 113.26, 22.84, 40, 40, 100, 90, 10, 3, 0)


def _error(raw: bytes) -> FrameError:
    event = decode_frame(raw)
    assert isinstance(event, FrameError), event
    assert event.reason in REASONS
    return event


def _exg(data, data_type=None, **kw) -> bytes:
    return encode(UpExgMsg("粤B12345", 2, data_type, data, **kw), Header(msg_sn=9))


def test_bad_crc():
    raw = encode_raw(Header(msg_sn=1, msg_id=0x1005), b"", crc=0x1234)
    error = _error(raw)
    assert error.reason == "crc" and "0x1234" in error.message
    assert error.partial.header.msg_sn == 1 and error.partial.body == UpLinktestReq()


@pytest.mark.parametrize("bad", [b"\x5a\x03", b"\x5e\x00", b"\x5a\x5a"])
def test_bad_escape_sequence(bad):
    raw = V1[:40] + bad + V1[42:]
    error = _error(raw)
    assert error.reason == "escape" and bad[:2].hex(" ").upper() in error.message
    assert error.partial is not None and error.partial.header.msg_id == 0x1001


def test_escape_byte_at_the_end():
    error = _error(V1[:-3] + b"\x5e\x5d")
    assert error.reason == "escape"


@pytest.mark.parametrize("declared, hint", [
    (70, "the two flags or the CRC left out"),
    (68, "both flags and the CRC left out"),
    (71, "one flag left out"),
    (46, "only the body counted"),
    (73, None),
])
def test_length_mismatch(declared, hint):
    raw = encode_raw(Header(msg_length=declared, msg_sn=133, msg_id=0x1001), encode(LOGIN)[23:-3])
    error = _error(raw)
    assert error.reason == "length" and "72" in error.message
    if hint:
        assert hint in error.message
    assert error.partial.body == LOGIN  # the body still decodes


def test_length_counted_after_escaping():
    # VERIFY_CODE 0x5B000001 escapes to one more byte: 31 on the wire, 30 unescaped.
    raw = encode_raw(Header(msg_length=31, msg_sn=1, msg_id=0x9001), bytes.fromhex("5B000001"))
    assert len(raw) == 31
    error = _error(raw)
    assert error.reason == "length" and "counted after escaping" in error.message


def test_length_and_crc_both_wrong_reports_both():
    raw = encode_raw(Header(msg_length=70, msg_id=0x1005), b"", crc=0)
    error = _error(raw)
    assert error.reason == "length" and [r for r, _ in error.others] == ["crc"]


@pytest.mark.parametrize("raw", [b"\x5b\x5d", b"\x5b" + bytes(20) + b"\x5d", V1[:10] + b"\x5d"])
def test_too_short_for_a_header_is_truncated(raw):
    error = _error(raw)
    assert error.reason == "truncated" and error.partial is None


def test_truncated_in_a_stream():
    events = decode_stream(V1[:50])
    assert [e.reason for e in events] == ["truncated"]


def test_unknown_msg_id_keeps_header_and_raw_body():
    raw = encode_raw(Header(msg_sn=7, msg_id=0x1234, gnss_center_id=42), b"\x01\x02\x5b")
    error = _error(raw)
    assert error.reason == "unknown_msg_id" and "0x1234" in error.message
    assert error.partial.header.gnss_center_id == 42 and error.partial.body_raw == b"\x01\x02\x5b"
    assert error.partial.body is None


def test_unknown_data_type_keeps_outer_body():
    error = _error(_exg(b"\xaa\xbb", 0x1299))
    assert error.reason == "unknown_data_type"
    assert error.partial.body.vehicle_no == "粤B12345" and error.partial.body.data == b"\xaa\xbb"


@pytest.mark.parametrize("raw, words", [
    (encode_raw(Header(msg_id=0x1002), b"\x00\x12"), "needs 5"),
    (encode_raw(Header(msg_id=0x1005), b"\x00\x00"), "2 left over"),
    (encode_raw(Header(msg_id=0x1200), b"\x00" * 10), "fixed part"),
    (_exg(GOOD, data_length=35), "DATA_LENGTH is 35"),
    (_exg(GOOD.encode()[:30], 0x1202), "30 bytes"),
    (_exg(b"\x02" + GOOD.encode(), 0x1203), "GNSS_CNT 2"),
    (_exg(b"", 0x1203), "empty"),
    (_exg(b"\x00" * 40, 0x1201), "REGISTER body is 40 bytes"),
])
def test_body_does_not_fit_its_message(raw, words):
    error = _error(raw)
    assert error.reason == "body" and words in error.message, error.message
    assert error.partial is not None and error.partial.header is not None


def test_body_error_keeps_partial_decode():
    error = _error(_exg(b"\x02" + GOOD.encode(), 0x1203))
    assert error.partial.body.vehicle_no == "粤B12345"
    assert error.partial.body.data == HistoryLocation([GOOD])


def test_reason_codes_are_stable():
    assert set(REASONS) == {"garbage", "truncated", "oversize", "escape", "length", "crc", "unknown_msg_id",
                            "unknown_data_type", "body", "unverified_layout"}


# ---- value lint


def _codes(raw: bytes, **kw) -> list[tuple[str, str]]:
    event = decode_frame(raw, **kw)
    frame = event if isinstance(event, Frame) else event.partial
    return [(f.code, f.level) for f in lint(frame)]


def test_clean_frames_have_no_findings():
    assert _codes(V1) == [] and _codes(_exg(GOOD)) == []


def test_unusual_version_flag_is_not_a_finding():
    for version in ((1, 0, 1), (16, 0, 0), (0, 0, 0), (255, 255, 255)):
        assert _codes(encode(LOGIN, Header(version=version))) == []


@pytest.mark.parametrize("fields", [(31, 2, 2024, 0, 0, 0), (0, 1, 2024, 0, 0, 0), (1, 13, 2024, 0, 0, 0),
                                    (1, 1, 2024, 24, 0, 0), (29, 2, 2023, 0, 0, 0)])
def test_date_that_is_not_a_real_date(fields):
    loc = Location(0, None, 113.0, 23.0, time_fields=fields)
    assert ("date_invalid", "fail") in _codes(_exg(loc))


@pytest.mark.parametrize("lon, lat, expected", [
    (180.5, 23.0, ("lon_range", "fail")),
    (113.0, 90.01, ("lat_range", "fail")),
    (2.35, 48.85, ("outside_china", "warn")),
    (113.0, 0.0, ("outside_china", "warn")),
])
def test_coordinates(lon, lat, expected):
    codes = _codes(_exg(Location(0, datetime(2024, 1, 1), lon, lat)))
    assert expected in codes and len(codes) == 1


@pytest.mark.parametrize("count", [0, 6])
def test_gnss_cnt_outside_1_to_5(count):
    blocks = [Location(0, datetime(2024, 1, 1, 0, 0, i), 113.0, 23.0) for i in range(count)]
    assert ("gnss_cnt", "fail") in _codes(_exg(HistoryLocation(blocks)))


def test_history_blocks_out_of_time_order():
    blocks = [Location(0, datetime(2024, 1, 1, 0, 0, s), 113.0, 23.0) for s in (10, 5, 20)]
    assert _codes(_exg(HistoryLocation(blocks))) == [("history_order", "fail")]
    in_order = [Location(0, datetime(2024, 1, 1, 0, 0, s), 113.0, 23.0) for s in (5, 5, 20)]
    assert _codes(_exg(HistoryLocation(in_order))) == []


def test_undecodable_gbk_is_reported_not_raised():
    body = b"A\xff" + bytes(19) + bytes([2]) + (0x1202).to_bytes(2, "big") + (36).to_bytes(4, "big")
    event = decode_frame(encode_raw(Header(msg_id=0x1200), body + GOOD.encode()))
    assert isinstance(event, Frame) and event.body.vehicle_no == "A\\xff"
    assert ("text_gbk", "fail") in [(f.code, f.level) for f in lint(event)]


def test_text_with_bytes_after_a_nul():
    raw = encode_raw(Header(msg_id=0x1001), (1).to_bytes(4, "big") + b"ab\x00\xcc\xcc" + bytes(3) + bytes(34))
    assert ("text_nul", "warn") in _codes(raw)


def test_codes_outside_their_tables():
    assert _codes(encode(UpConnectRsp(7, 1))) == [("result_code", "fail")]
    assert _codes(encode(DownConnectRsp(4))) == [("result_code", "fail")]
    assert _codes(encode(DownDisconnectInform(3))) == [("error_code", "fail")]
    assert _codes(encode(UpExgMsg("A", 5, None, GOOD))) == [("vehicle_color", "warn")]


def test_encrypt_flag_outside_0_1():
    assert _codes(encode(LOGIN, Header(encrypt_flag=2))) == [("encrypt_flag", "fail")]


def test_encrypted_frame_without_cipher_constants():
    secret = bytes.fromhex("5B000000480000008510010133EFB8010000010003E8B2D37D9CC4900C77DC78F8676527D8AE12243CFB64"
                           "CC2FBA619AEFAD33ACCB3256F67BFF19DF33097841098665703FE36E5D")
    frame = decode_frame(secret)
    assert isinstance(frame, Frame) and frame.body is None and frame.body_plain is None
    assert _codes(secret) == [("cipher_constants_missing", "warn")]


def test_register_with_the_8_byte_model_is_a_warning_with_errata():
    reg = Register("44060600001", "70111", "YX-G7", "1234567", "013800138000", model_size=8)
    frame = decode_frame(_exg(reg))
    assert isinstance(frame, Frame) and frame.body.data == reg
    (finding,) = lint(frame)
    assert (finding.code, finding.level) == ("register_model_8", "warn") and finding.errata


def test_text_padded_at_the_front_reads_without_the_nuls():
    # A captured 0x1201 pads PLATFORM_ID with 0x00 at the front: the value is the text, the warning stays.
    from harness.jt809.messages import Register

    data = bytes(2) + b"440606001" + b"70111".ljust(11, b"\x00") + b"M".ljust(20, b"\x00") + b"1234567" + \
        b"013800138000"
    body = b"X".ljust(21, b"\x00") + bytes([2]) + (0x1201).to_bytes(2, "big") + len(data).to_bytes(4, "big") + data
    event = decode_frame(encode_raw(Header(msg_id=0x1200), body))
    assert isinstance(event, Frame) and isinstance(event.body.data, Register)
    assert event.body.data.platform_id == "440606001"
    assert ("text_nul", "warn") in [(f.code, f.level) for f in lint(event)]


@pytest.mark.parametrize("revision", ["2011", "2019"])
def test_random_bodies_of_every_message_never_raise(revision):
    """Every MSG_ID and DATA_TYPE of the tables, fed random bodies (invalid GBK included): decode, lint and the
    JSON view never raise."""
    import json
    import random

    from harness.jt809 import PROFILES
    from harness.jt809.jsonview import event_to_json
    from harness.jt809.messages import TABLES

    rng, profile, table = random.Random(809), PROFILES[revision], TABLES[revision]
    for msg_id, row in table.messages.items():
        vehicle = "vehicle_no" in getattr(row.cls, "__dataclass_fields__", {})
        for data_type in list(table.subs.get(msg_id, {})) or [None]:
            for _ in range(8):
                data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 120)))
                if data_type is None:
                    body = data
                else:
                    head = bytes(rng.randrange(0x80, 0x100) for _ in range(21)) + b"\x02" if vehicle else b""
                    body = head + data_type.to_bytes(2, "big") + len(data).to_bytes(4, "big") + data
                event = decode_frame(encode_raw(Header(msg_id=msg_id, time=1), body, profile=profile), profile)
                frame = event if isinstance(event, Frame) else event.partial
                json.dumps(event_to_json(event), ensure_ascii=False)
                lint(frame)


def test_2019_login_body_access_code_differs_from_the_header():
    from harness.jt809 import HEADER_2019
    from harness.jt809.messages import body_class

    login = body_class("UP_CONNECT_REQ", "2019")
    raw = encode(login(1, "pw", 7, "127.0.0.1", 9), Header(gnss_center_id=2, time=1), profile=HEADER_2019)
    assert ("access_code_mismatch", "fail") in [(f.code, f.level) for f in lint(decode_frame(raw, HEADER_2019))]
    same = encode(login(1, "pw", 2, "127.0.0.1", 9), Header(gnss_center_id=2, time=1), profile=HEADER_2019)
    assert lint(decode_frame(same, HEADER_2019)) == []

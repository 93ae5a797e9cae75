"""Client role: a forwarder's 0x1700/0x1701 (authorisation codes, layout confirmed by outside vector o56) is
journaled by the district mock and judged like the other families: a correct one passes shunde.frame.body, one
whose data does not fit the vector-verified row fails it (no longer a warning)."""
from __future__ import annotations

import json
from pathlib import Path

from proving import assert_fails, assert_passes
from shunde_fakes import feed_main_link
from harness.clock import FixedClock
from harness.jt809 import HEADER_2019, Header, decode_frame, encode, encode_raw
from harness.jt809.messages import body_class
from mocks.shunde.accounts import Account
from suites.shunde import checks as C

import pytest

VECTOR = Path(__file__).resolve().parents[2] / "wire" / "vectors" / "jt809" / "o56_up_authorize_msg_startup_2019.json"
ACCT = Account(user_id=1, password="pw", access_code=2)
PROFILE_2019 = {"name": "t", "header": "2019", "encrypt": False, "main_link_only": True, "strict": False}


def _h19(sn: int, msg_id: int | None = None) -> Header:
    return Header(msg_sn=sn, gnss_center_id=2, time=1714552200, msg_id=msg_id)


def _journal(*chunks: bytes):
    login = encode(body_class("UP_CONNECT_REQ", "2019")(1, "pw", 2, "127.0.0.1", 9), _h19(1), profile=HEADER_2019)
    return feed_main_link(PROFILE_2019, [ACCT], FixedClock(), login, *chunks)


def _body_bytes() -> bytes:
    """The o56 vector's body (another implementation's bytes), sent under this account's header."""
    frame = decode_frame(bytes.fromhex(json.loads(VECTOR.read_text("utf-8"))["hex"]), HEADER_2019)
    return frame.body_raw


@pytest.mark.proves("shunde.frame.body")
def test_0x1701_from_the_vector_passes_and_a_short_one_fails():
    body = _body_bytes()
    good = _journal(encode_raw(_h19(2, 0x1700), body, profile=HEADER_2019))
    assert_passes("shunde.frame.body", C.frame_problems(good)["body"])
    assert [e.outcome for e in C.from_sut(good)] == ["ok", "ok"]
    short = body[:-10]  # DATA_LENGTH and the data shortened together: the head fits, the 0x1701 row does not
    short = short[:24] + (len(short) - 28).to_bytes(4, "big") + short[28:]
    bad = _journal(encode_raw(_h19(2, 0x1700), short, profile=HEADER_2019))
    problem = assert_fails("shunde.frame.body", C.frame_problems(bad)["body"])
    assert "0x1700" in problem.message or "UP_AUTHORIZE_MSG_STARTUP" in problem.message, problem.message


def test_the_journaled_codes_are_redacted_in_the_decoded_view_and_the_hex():
    import dataclasses

    from harness.report.redact import Redactor

    codes = ("TL-SECRET-0001", "XR-SECRET-0002")
    body = _body_bytes()
    body = body[:28] + b"P0000000001" + b"".join(c.encode().ljust(64, b"\x00") for c in codes)
    journal = _journal(encode_raw(_h19(2, 0x1700), body, profile=HEADER_2019))
    exchanges = [dataclasses.asdict(e) if dataclasses.is_dataclass(e) else dict(vars(e)) for e in journal]
    raw = json.dumps(exchanges, ensure_ascii=False, default=str)
    assert all(c in raw and c.encode().hex().upper() in raw for c in codes)  # the journal holds them both ways
    shown = json.dumps(Redactor().redact(exchanges), ensure_ascii=False, default=str)
    assert not any(c in shown or c.encode().hex().upper() in shown for c in codes)
    assert "P0000000001" in shown and "UP_AUTHORIZE_MSG_STARTUP" in shown

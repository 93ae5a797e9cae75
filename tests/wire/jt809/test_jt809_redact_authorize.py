"""The 0x1700/0x1701 authorisation codes are secrets: a decoded record that reaches a report shows neither code,
as text or inside the frame's hex, while the other fields stay readable."""
from __future__ import annotations

import json

from harness.jt809 import Header, encode_raw
from harness.jt809.cli import decode_main
from harness.report.redact import MASK, Redactor, is_secret_key

CODE_1, CODE_2 = "TL-7f3a9c21e0b4", "XR-55d1c0ffee42"


def _record(capsys) -> dict:
    data = b"P0000000001" + CODE_1.encode().ljust(64, b"\x00") + CODE_2.encode().ljust(64, b"\x00")
    body = "粤B1".encode("gbk").ljust(21, b"\x00") + bytes([2]) + (0x1701).to_bytes(2, "big")
    raw = encode_raw(Header(msg_id=0x1700), body + len(data).to_bytes(4, "big") + data)
    assert decode_main([raw.hex().upper()]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    return record


def test_the_json_views_names_are_secret_names():
    assert is_secret_key("authorize_code_1") and is_secret_key("authorize_code_2")
    assert not is_secret_key("platform_id")


def test_decoded_0x1701_is_redacted_text_and_hex(capsys):
    record = _record(capsys)
    assert record["body"]["data"]["authorize_code_1"] == CODE_1 and CODE_2.encode().hex().upper() in record["hex"]
    shown = json.dumps(Redactor().redact(record), ensure_ascii=False)
    for code in (CODE_1, CODE_2):
        assert code not in shown and code.encode().hex().upper() not in shown and code.encode().hex() not in shown
    data = Redactor().redact(record)["body"]["data"]
    assert data == {"platform_id": "P0000000001", "authorize_code_1": MASK, "authorize_code_2": MASK}

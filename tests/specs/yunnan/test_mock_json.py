"""The HTTP mocks parse and encode JSON with orjson (issue 10) but must read and write exactly what the stdlib did:
what orjson refuses goes to the stdlib, so a body is accepted, refused and worded as before."""
from __future__ import annotations

import json

import pytest

from harness.httpmock import dump_json, load_json

ODD_BUT_STDLIB = [b'{"a": NaN, "b": Infinity}', b'{"n": 123456789012345678901234567890}', b'{"x": "\\ud800"}',
                  b'{"f": 1e999999}', b'{"a": 1, "a": 2}', '{"名": "值"}'.encode()]
NOT_JSON = [b"", b"{", b"[1,]", b'{"a": "\xff"}', b"\xef\xbb\xbf{}", b"nul"]


@pytest.mark.parametrize("raw", ODD_BUT_STDLIB)
def test_what_the_stdlib_reads_is_read_alike(raw):
    got, want = load_json(raw), json.loads(raw)
    assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)


@pytest.mark.parametrize("raw", NOT_JSON)
def test_what_the_stdlib_refuses_is_refused_with_its_words(raw):
    def stdlib(b):
        return json.loads(b.decode("utf-8"))

    with pytest.raises((ValueError, UnicodeDecodeError)) as got:
        load_json(raw, stdlib)
    with pytest.raises((ValueError, UnicodeDecodeError)) as want:
        stdlib(raw)
    assert (type(got.value), str(got.value)) == (type(want.value), str(want.value))


@pytest.mark.parametrize("value", [{"code": 500, "message": "✖ 参数校验失败", "aesKey": None, "data": None},
                                   {"n": 2**70}, {1: "int key"}, [1.5, "x", True, None]])
def test_answers_encode_to_the_same_json_value(value):
    data = dump_json(value)
    assert json.loads(data) == json.loads(json.dumps(value, ensure_ascii=False))
    assert "✖".encode() in data or "✖" not in json.dumps(value, ensure_ascii=False)  # characters as they are

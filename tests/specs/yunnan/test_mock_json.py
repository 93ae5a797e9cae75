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


def test_json_nested_deeper_than_any_parser_follows_is_refused_as_malformed_not_an_internal_error(tmp_path):
    import urllib.request

    from harness.clock import FixedClock
    from harness.journal import Journal
    from harness.serve import BackgroundServer
    from mocks.yunnan.app import YunnanMock
    from schemas.yunnan.datagen import YunnanData
    from suites.yunnan.client import YunnanClient

    mock = YunnanMock(journal=Journal(None), clock=FixedClock(), key_bits=1024)
    deep = b"[" * 100_000 + b"]" * 100_000
    with BackgroundServer(mock.app) as srv:
        base = srv.url + mock.ep["prefix"]
        data = YunnanData(2)
        c = YunnanClient(base, tmp_path / "client", data.enterprise_id)
        c.init_auth(data.enterprise_id, data.enterprise()["enterpriseName"])
        c.get_token()
        for path, headers in (("/init-auth", {}), ("/enterprise", c.headers())):
            req = urllib.request.Request(base + path, data=deep, method="POST", headers=headers)
            with urllib.request.urlopen(req, timeout=30) as r:
                assert json.loads(r.read())["code"] == 500
    assert [e.outcome for e in mock.journal.entries][-2:] == ["plaintext_json", "malformed"]

"""The lean request path's shortcuts (harness/leanhttp.py, harness/httpmock.py) give what the plain steps gave: header
text decoded once per distinct line and remembered (the journal's `headers` and the handler's case-insensitive
view unchanged, bytes beyond UTF-8 included), plain request targets remembered with the same path and query, and
answers written from the connection's stored answer in order; and the check for integers orjson could not hold
(`_maybe_lossy`, which `load_json` relies on) as exact as its definition. In-process: fake
transports, no sockets."""
from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.http_path_cpu import _Transport as _Counted
from harness import leanhttp
from harness.clock import FixedClock
from harness.httpmock import _maybe_lossy, load_json
from harness.journal import Journal
from harness.leanhttp import LeanConnection

from tests.engine.test_httpmock import ToyMock


class _Transport(_Counted):
    """The bench's fake transport, keeping what was written."""

    def __init__(self) -> None:
        super().__init__()
        self.out: list[bytes] = []

    def write(self, data: bytes) -> None:
        super().write(data)
        self.out.append(data)


class _HeaderToy(ToyMock):
    """The toy mock, also keeping what its handler read of the headers: the ways a spec reads them."""

    max_body = 4096

    def __init__(self, **kw):
        self.seen: list[tuple] = []
        super().__init__(**kw)

    def respond(self, ex, route, incoming):
        h = incoming.headers
        self.seen.append((h.get("x-bin"), h.get("x-toy"), h.get("X-TOY"), h.get("Content-Type", ""),
                          list(h.getall("x-toy", [])), len(h)))
        return super().respond(ex, route, incoming)


def _serve(mock, *wire: bytes) -> list[bytes]:
    """Feed `wire` (one chunk per loop turn) to one lean connection; its answers as written."""
    async def run():
        c = LeanConnection(mock, lambda: None, b"/__vconform/")
        t = _Transport()
        c.connection_made(t)
        for chunk in wire:
            c.data_received(chunk)
            for _ in range(12):  # turns enough for pipelined answers: one commit (a turn's end) each
                await asyncio.sleep(0)
        c.connection_lost(None)
        return t.out

    return asyncio.run(run())


def _req(i: int, headers: bytes) -> bytes:
    body = b'{"id": %d}' % i
    return b"POST /toy/put HTTP/1.1\r\nHost: t\r\n" + headers + b"Content-Length: %d\r\n\r\n" % len(body) + body


HEADERS = (b"X-Bin: caf\xe9 \xff\r\n"          # not UTF-8: kept as surrogates, as before
           b"X-Toy: first\r\n"
           b"x-toy: second\r\n"               # the same name in another case: the handler's get gives the first
           b"Content-Type: application/json; charset=utf-8\r\n"
           b"X-Long: " + b"v" * 600 + b"\r\n")  # too long to be remembered: decoded every time


def _expected_pairs(headers: bytes, i: int) -> list[tuple[str, str]]:
    raw = _req(i, headers).split(b"\r\n\r\n")[0].split(b"\r\n")[1:]
    return [tuple(x.decode("utf-8", "surrogateescape") for x in line.split(b": ", 1)) for line in raw]


def test_header_text_is_the_same_decoded_or_remembered(monkeypatch):
    monkeypatch.setattr(leanhttp, "_PAIRS", {})  # nothing remembered from other tests
    mock = _HeaderToy(journal=Journal(None), clock=FixedClock(1000.0))
    out = _serve(mock, _req(1, HEADERS), _req(2, HEADERS), _req(3, HEADERS) + _req(4, HEADERS))
    assert len(out) == 4 and all(a.startswith(b"HTTP/1.1 200 ") and a.endswith(b'"header":"first"}') for a in out)
    rows = mock.journal.since(0)
    assert [r.seq for r in rows] == [1, 2, 3, 4]
    for i, row in enumerate(rows, 1):
        pairs = _expected_pairs(HEADERS, i)
        assert row.headers == dict(pairs)  # the journal: a plain dict, the last of an exact name
        assert row.headers["X-Bin"] == "caf\udce9 \udcff" and row.headers["x-toy"] == "second"
    # the handler: case-insensitive, the first of a name whatever its case, every value of it, each request alike
    first = ("caf\udce9 \udcff", "first", "first", "application/json; charset=utf-8", ["first", "second"], 7)
    assert mock.seen == [first] * 4
    assert all(len(n) + len(v) <= 256 for n, v in leanhttp._PAIRS)  # the long line was not kept
    assert (b"X-Bin", b"caf\xe9 \xff") in leanhttp._PAIRS


def test_remembered_header_lines_are_bounded(monkeypatch):
    monkeypatch.setattr(leanhttp, "_PAIRS", {})
    monkeypatch.setattr(leanhttp, "_PAIRS_MAX", 8)
    mock = _HeaderToy(journal=Journal(None), clock=FixedClock(1000.0))
    wire = [_req(i, b"Authorization: token-%d\r\n" % i) for i in range(20)]  # a distinct line every request
    out = _serve(mock, *wire)
    assert len(out) == 20 and len(leanhttp._PAIRS) == 8
    rows = mock.journal.since(0)
    assert [r.headers["Authorization"] for r in rows] == [f"token-{i}" for i in range(20)]


def test_pipelined_answers_wait_for_the_commit_in_order():
    """The answer waits in the connection (`_reply`) for the journal's commit of its turn: each written after its row
    is committed, in the order of the requests, the last closing the connection."""
    mock = _HeaderToy(journal=Journal(None), clock=FixedClock(1000.0))
    committed: list[int] = []
    real = mock.journal.when_settled

    def when_settled(callback):
        real(lambda err: (committed.append(len(mock.journal.since(0))), callback(err)))

    mock.journal.when_settled = when_settled
    wire = b"".join(_req(i, b"X-Toy: %d\r\n" % i) for i in range(3)) + _req(3, b"Connection: close\r\n")
    out = _serve(mock, wire)
    assert [json.loads(a.split(b"\r\n\r\n", 1)[1])["header"] for a in out] == ["0", "1", "2", ""]
    assert committed == [1, 2, 3, 4]
    assert b"Connection: close" in out[-1] and b"Connection: close" not in out[0]


def _lossy_by_definition(value) -> bool:
    if isinstance(value, dict):
        return any(_lossy_by_definition(v) for v in value.values())
    if isinstance(value, list):
        return any(_lossy_by_definition(v) for v in value)
    return type(value) is float and not -9.2e18 < value < 9.2e18


_SCALARS = (st.none() | st.booleans() | st.text(max_size=4) | st.integers(-2**63, 2**64 - 1)
            | st.floats(allow_nan=False) | st.sampled_from([9.2e18, -9.2e18, 9.19e18, 1e19, -1e30, 0.5]))
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=3), inner, max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_maybe_lossy_is_the_definition(value):
    assert _maybe_lossy(value) is _lossy_by_definition(value)


@pytest.mark.parametrize("text, exact", [
    (b'{"a": [1, {"b": 123456789012345678901234}], "c": "x"}', {"a": [1, {"b": 123456789012345678901234}], "c": "x"}),
    (b'[1, 2, 18446744073709551616]', [1, 2, 18446744073709551616]),
    (b'{"a": "1e19", "b": 1.5, "c": [true, null, -3]}', {"a": "1e19", "b": 1.5, "c": [True, None, -3]}),
])
def test_load_json_keeps_integers_orjson_cannot(text, exact):
    value = load_json(text)
    assert value == exact and json.dumps(value) == json.dumps(exact)


def test_request_targets_are_the_same_parsed_or_remembered(monkeypatch):
    monkeypatch.setattr(leanhttp, "_PATHS", {})
    mock = _HeaderToy(journal=Journal(None), clock=FixedClock(1000.0))
    targets = [b"/toy/put", b"/toy/put/", b"/toy/put?x=1&y=%41", b"/toy/%70ut", b"/toy/put"] * 2
    body = b'{"id": 1}'
    wire = [b"POST %s HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s" % (t, len(body), body) for t in targets]
    out = _serve(mock, *wire) + _serve(mock, b"POST /toy/p\xc3\xa9ut HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
    assert [a.split(b" ", 2)[1] for a in out] == [b"200"] * 10 + [b"400"]
    rows = mock.journal.since(0)
    seen = [(r.path, r.notes.get("query"), r.interface) for r in rows[:10]]
    first = [("/toy/put", None, "put"), ("/toy/put/", None, "put"), ("/toy/put", "x=1&y=A", "put"),
             ("/toy/put", None, "put"), ("/toy/put", None, "put")]
    assert seen == first * 2
    assert rows[10].outcome == "bad_request" and "url path" in rows[10].notes["parser"]  # refused, not remembered
    assert set(leanhttp._PATHS) == {b"/toy/put", b"/toy/put/"}  # the plain targets only

"""The HTTP mocks' lean request path (harness/leanhttp.py) on the wire: what aiohttp did for the mocks, it must do
too — pipelining in order, chunked bodies, Expect: 100-continue, HTTP/1.0, HEAD, faults that wait or drop, oversized
bodies answered before the connection closes, admin calls on a connection of mock requests — each answer journaled
before it is sent."""
from __future__ import annotations

import json
import socket
import time

import pytest

from harness.clock import FixedClock
from harness.journal import Journal
from harness.serve import BackgroundServer

from tests.engine.test_httpmock import ToyMock, _json_answer, raw_exchange


@pytest.fixture()
def toy():
    mock = ToyMock(journal=Journal(None), clock=FixedClock(1000.0))
    with BackgroundServer(mock.app) as srv:
        yield mock, srv.port


def _answers(raw: bytes) -> list[tuple[int, dict]]:
    """Split a stream of HTTP answers (each with a Content-Length) into (status, JSON body)."""
    out = []
    while raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        if head.startswith(b"HTTP/1.1 100"):
            raw = rest
            continue
        length = int(next(x.split(b":")[1] for x in head.split(b"\r\n") if x.lower().startswith(b"content-length")))
        out.append((int(head.split(b" ", 2)[1]), json.loads(rest[:length])))
        raw = rest[length:]
    return out


def _put(i: int, close: bool = False) -> bytes:
    body = b'{"id": %d}' % i
    return (b"POST /toy/put HTTP/1.1\r\nHost: t\r\nX-Toy: %d\r\nContent-Length: %d\r\n%s\r\n"
            % (i, len(body), b"Connection: close\r\n" if close else b"") + body)


def test_pipelined_requests_are_answered_in_order(toy):
    mock, port = toy
    mock.faults.arm("delay", times=1, interface="put", value=0.2)  # the first waits; the others must wait for it
    out, _ = raw_exchange(port, b"".join(_put(i, close=i == 4) for i in range(5)))
    assert [b["header"] for _, b in _answers(out)] == ["0", "1", "2", "3", "4"]
    assert [r["id"] for r in mock.store] == [0, 1, 2, 3, 4]
    assert [e.outcome for e in mock.journal.entries] == ["ok"] * 5


def test_chunked_body_expect_continue_http10_and_head(toy):
    mock, port = toy
    chunked = (b"POST /toy/put HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
               b"4\r\n{\"id\r\n5\r\n\": 7}\r\n0\r\n\r\n")
    assert _json_answer(raw_exchange(port, chunked)[0]) == (200, {"status": "1", "header": ""})
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(b"POST /toy/put HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 9\r\n"
                  b"Connection: close\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 100 Continue")
        s.sendall(b'{"id": 8}')
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    finally:
        s.close()
    assert _json_answer(out)[0] == 200
    out, _ = raw_exchange(port, b'POST /toy/put HTTP/1.0\r\nContent-Length: 9\r\n\r\n{"id": 9}')
    assert _json_answer(out)[0] == 200  # HTTP/1.0 without keep-alive: answered, then closed
    out, _ = raw_exchange(port, b"HEAD /toy/put HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 405") and out.endswith(b"\r\n\r\n")  # a HEAD answer has no body
    assert [r["id"] for r in mock.store] == [7, 8, 9]
    assert [e.outcome for e in mock.journal.entries] == ["ok", "ok", "ok", "method"]


def test_a_body_over_the_limit_is_answered_and_the_rest_dropped(toy):
    mock, port = toy
    body = b'{"id": "' + b"x" * 200_000 + b'"}'
    out, took = raw_exchange(port, b"POST /toy/put HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(body)
                             + body)
    assert _json_answer(out) == (413, {"status": "0", "reason": "too_large", "limit": 64})
    assert [e.outcome for e in mock.journal.entries] == ["too_large"]


def test_a_drop_fault_closes_without_an_answer_and_the_next_connection_is_served(toy):
    mock, port = toy
    mock.faults.arm("drop", times=1, interface="put")
    out, _ = raw_exchange(port, _put(1, close=True))
    assert out == b""
    assert _json_answer(raw_exchange(port, _put(2, close=True))[0])[0] == 200
    assert [e.outcome for e in mock.journal.entries] == ["fault_drop", "ok"]


def test_an_admin_call_on_a_connection_of_mock_requests_is_served(toy):
    mock, port = toy
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(_put(1))
        first = s.recv(65536)
        assert _answers(first)[0][0] == 200
        body = b'{"record": {"id": 5}}'
        s.sendall(b"POST /__vconform/put HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        out = b""
        deadline = time.monotonic() + 10
        while b"stored" not in out and time.monotonic() < deadline:
            out += s.recv(65536)
        assert b'"ok": true' in out or b'"ok":true' in out
        s.sendall(_put(2, close=True))  # the connection still serves the mock after it
        rest = b""
        while chunk := s.recv(65536):
            rest += chunk
    finally:
        s.close()
    assert _answers(rest)[0][0] == 200
    assert [r["id"] for r in mock.store] == [1, 5, 2]


def test_a_request_asking_to_upgrade_is_served_as_http11_with_its_body(toy):
    """Java's HttpClient asks every http:// request to upgrade to h2c; the mock answers it as HTTP/1.1, body read."""
    mock, port = toy
    up = b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAEAAEAAAAIAAAAA\r\n"
    first = (b"POST /toy/put HTTP/1.1\r\nHost: t\r\n" + up + b"Content-Length: 9\r\nX-Toy: 1\r\n\r\n")
    out, _ = raw_exchange(port, chunks=[first, b'{"id": 1}' + _put(2, close=True)], pause=0.05)
    assert [(s, b["header"]) for s, b in _answers(out)] == [(200, "1"), (200, "2")]
    assert [r["id"] for r in mock.store] == [1, 2]


def test_a_request_line_trickling_in_gets_the_timeout_answer(toy):
    mock, port = toy
    mock.header_timeout = 0.5
    out, took = raw_exchange(port, chunks=[b"P", b"O", b"S", b"T"] + [b" "] * 30, pause=0.1)
    assert _json_answer(out)[0] == 408 and took < 8
    assert [e.outcome for e in mock.journal.entries] == ["timeout"]

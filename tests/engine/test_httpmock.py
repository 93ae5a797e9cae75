"""The engine's HTTP mock base, tried with a toy spec that has no envelope, no encryption and its own answer shape."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from harness.clock import FixedClock
from harness.httpmock import HttpMock, Incoming
from harness.journal import Exchange, Journal
from harness.serve import BackgroundServer


class ToyMock(HttpMock):
    """A toy spec: answers {"status": "1"|"0", ...}, HTTP 200 for success and 400 for refusals."""

    spec = "toy"
    max_body = 64
    fault_kinds = HttpMock.fault_kinds + ("expire_token",)  # the toy's own reading: forget the store

    def __init__(self, **kw):
        self.store: list[dict] = []
        self.forgotten = 0
        super().__init__(**kw)

    def _routes(self):
        return {"/toy/put": ("put", "plain"), "/toy/boom": ("boom", None)}

    def failure(self, reason, status, info):
        return {"status": "0", "reason": reason, **{k: v for k, v in info.items() if k != "error"}}

    def http_status(self, body):
        return 200 if body["status"] == "1" else 400

    def respond(self, ex: Exchange, route, incoming: Incoming):
        if route[0] == "boom":
            raise ZeroDivisionError("the handler fell over")
        record = json.loads(incoming.body)
        if "id" not in record:
            ex.outcome = "no_id"
            return {"status": "0", "reason": "no_id"}
        self.store.append(record)
        ex.request_plaintext = record
        return {"status": "1", "header": incoming.headers.get("x-toy", "")}  # headers case-insensitive

    def on_fault(self, fault, ex):
        if fault.kind == "expire_token":
            self.forgotten += len(self.store)
            self.store.clear()

    def admin_ops(self):
        return {"put": lambda args: self.store.append(args["record"])}

    def snapshot(self):
        return {"stored": len(self.store), "now": self.clock.now()}


@pytest.fixture()
def toy():
    mock = ToyMock(journal=Journal(None), clock=FixedClock(1000.0))
    with BackgroundServer(mock.app) as srv:
        yield mock, srv.url


def post(url, body: bytes = b"{}", method="POST", headers=None):
    req = urllib.request.Request(url, data=body if method == "POST" else None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_an_answer_is_journaled_as_sent(toy):
    mock, url = toy
    status, body = post(url + "/toy/put", b'{"id": 1}', headers={"X-Toy": "t"})
    assert (status, body) == (200, {"status": "1", "header": "t"})
    ex = mock.journal.entries[-1]
    assert (ex.spec, ex.interface, ex.method, ex.path, ex.outcome) == ("toy", "put", "POST", "/toy/put", "ok")
    assert (ex.status, ex.response_body, ex.request_plaintext, ex.time) == (200, body, {"id": 1}, 1000.0)
    assert ex.request_body == '{"id": 1}' and ex.duration_ms > 0
    status, body = post(url + "/toy/put/", b'{"no": 1}')  # a trailing slash routes the same
    assert (status, body) == (400, {"status": "0", "reason": "no_id"})
    assert mock.journal.entries[-1].outcome == "no_id"


class FailingJournal(Journal):
    def record(self, ex):
        raise OSError("disk full")


def test_no_answer_goes_out_unless_it_was_journaled_first():
    """The journal is written before the answer: when the write fails, the client never sees the spec's answer."""
    mock = ToyMock(journal=FailingJournal(None))
    with BackgroundServer(mock.app) as srv:
        req = urllib.request.Request(srv.url + "/toy/put", data=b'{"id": 1}', method="POST")
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=10)
    assert info.value.code == 500 and b'"status"' not in info.value.read()
    assert mock.store == [{"id": 1}]  # the handler ran; its answer was held back


def test_body_over_the_limit_gets_the_spec_failure_answer(toy):
    mock, url = toy
    status, body = post(url + "/toy/put", b'{"id": "' + b"x" * 100 + b'"}')
    assert (status, body) == (413, {"status": "0", "reason": "too_large", "limit": 64})
    assert mock.journal.entries[-1].outcome == "too_large" and mock.store == []


def test_handler_exception_gets_the_spec_failure_answer_and_is_journaled(toy):
    mock, url = toy
    status, body = post(url + "/toy/boom")
    assert (status, body) == (400, {"status": "0", "reason": "internal_error"})  # the spec's status rule
    ex = mock.journal.entries[-1]
    assert ex.outcome == "internal_error" and ex.status == 400
    assert ex.notes["internal_error"] == "ZeroDivisionError: the handler fell over"


def test_method_and_unknown_path(toy):
    mock, url = toy
    assert post(url + "/toy/put", method="GET") == (405, {"status": "0", "reason": "method", "allowed": ["POST"]})
    assert post(url + "/nowhere") == (404, {"status": "0", "reason": "not_found", "path": "/nowhere"})
    assert [e.outcome for e in mock.journal.entries] == ["method", "not_found"]
    assert mock.journal.entries[-1].interface == ""


def test_faults(toy):
    mock, url = toy
    mock.faults.arm("http_5xx", value=502, interface="put")
    assert post(url + "/toy/boom")[0] == 400  # armed for another interface: untouched
    assert post(url + "/toy/put", b'{"id": 1}') == (502, {"status": "0", "reason": "fault_5xx"})
    assert mock.store == [] and mock.journal.entries[-1].notes["faults"] == ["http_5xx"]
    mock.faults.arm("drop")
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        post(url + "/toy/put", b'{"id": 2}')
    assert mock.journal.entries[-1].outcome == "fault_drop" and mock.store == []
    mock.faults.arm("delay", value=0.3)
    t0 = time.perf_counter()
    assert post(url + "/toy/put", b'{"id": 3}')[0] == 200
    assert time.perf_counter() - t0 >= 0.3 and mock.journal.entries[-1].notes["faults"] == ["delay"]
    mock.faults.arm("expire_token")  # a kind of the spec's own reaches its hook
    assert post(url + "/toy/put", b'{"id": 4}')[0] == 200
    assert mock.forgotten == 1 and mock.store == [{"id": 4}]


def test_admin_hook(toy):
    mock, url = toy
    admin = url + "/__vconform/"
    assert post(admin + "state") == (200, {"ok": True, "state": {"stored": 0, "now": 1000.0}})
    assert post(admin + "clock", b'{"advance": 60}')[1]["state"]["now"] == 1060.0
    assert mock.clock.now() == 1060.0
    assert post(admin + "put", b'{"record": {"id": 9}}')[1]["state"]["stored"] == 1
    status, body = post(admin + "fault", b'{"kind": "http_5xx", "value": 503, "times": 2}')
    assert status == 200 and mock.faults.pending()[0]["remaining"] == 2
    mock.fault_kinds = HttpMock.fault_kinds
    assert post(admin + "fault", b'{"kind": "expire_token"}')[0] == 400  # not a fault this mock offers
    assert post(admin + "clock", b'{}')[0] == 400
    assert post(admin + "nothing")[0] == 404
    assert mock.journal.entries == []  # admin calls are not exchanges of the spec


# ---- hostile bytes, timeouts and the connection cap (issue 9) ------------------------------------------------
import select  # noqa: E402
import socket  # noqa: E402


def raw_exchange(port: int, data: bytes = b"", *, pause: float = 0.0, chunks: list[bytes] | None = None,
                 timeout: float = 10.0) -> tuple[bytes, float]:
    """Send `data` (or `chunks`, `pause` s apart) on a fresh connection; everything read until the mock closes it,
    and how long that took."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    t0 = time.monotonic()
    try:
        for chunk in chunks or [data]:
            if select.select([s], [], [], 0)[0]:
                break  # the mock answered (or closed): stop sending, read
            if chunk:
                try:
                    s.sendall(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    break
            if pause:
                select.select([s], [], [], pause)
        out = b""
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            out += b
        return out, time.monotonic() - t0
    finally:
        s.close()


def _json_answer(out: bytes) -> tuple[int, dict]:
    head, _, body = out.partition(b"\r\n\r\n")
    assert b"application/json" in head, out[:300]
    return int(head.split(b" ", 2)[1]), json.loads(body)


def _req(path: bytes = b"/toy/put", extra: bytes = b"", body: bytes = b'{"id": 1}', method: bytes = b"POST") -> bytes:
    return (method + b" " + path + b" HTTP/1.1\r\nHost: t\r\n" + extra + b"Content-Length: " + str(len(body)).encode()
            + b"\r\nConnection: close\r\n\r\n" + body)


def test_undecodable_bytes_anywhere_get_the_spec_answer_and_are_journaled():
    mock = ToyMock(journal=Journal(None))
    with BackgroundServer(mock.app) as srv:
        cases = [_req(extra=b"X-A: \xff\xfe\r\n"), _req(path=b"/toy/p\xffut"), _req(path=b"/toy/put?a=\xff"),
                 _req(extra=b"X-\xff: 1\r\n"), _req(method=b"P\xffST"), b"\x16\x03\x01\x00\xff\r\n\r\n"]
        answers = [_json_answer(raw_exchange(srv.port, c)[0]) for c in cases]
    assert answers[0] == (200, {"status": "1", "header": "\ufffd\ufffd"}) or answers[0][0] == 200
    assert all(a == (400, {"status": "0", "reason": "bad_request"}) for a in answers[1:]), answers
    journal = mock.journal.entries
    assert [e.outcome for e in journal] == ["ok"] + ["bad_request"] * 5
    assert journal[0].headers["X-A"] == "\udcff\udcfe"  # kept as received (surrogate-escaped bytes)
    assert "url path" in journal[1].notes["parser"]


@pytest.fixture()
def guarded():
    mock = ToyMock(journal=Journal(None))
    mock.header_timeout, mock.body_timeout, mock.idle_timeout = 0.5, 0.5, 1.5
    mock.max_connections, mock.over_cap_grace = 3, 0.3
    with BackgroundServer(mock.app) as srv:
        yield mock, srv.port


def test_silent_and_idle_connections_are_closed(guarded):
    mock, port = guarded
    out, took = raw_exchange(port)  # connects and says nothing
    assert out == b"" and took < 5
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(_req().replace(b"Connection: close", b"Connection: keep-alive"))
    first = s.recv(65536)
    assert b"200 OK" in first
    t0 = time.monotonic()
    assert s.recv(65536) == b"" and time.monotonic() - t0 < 5  # idle keep-alive closed
    s.close()
    assert [e.outcome for e in mock.journal.entries] == ["ok"]  # a silent connection is no exchange


def test_trickled_headers_get_a_timeout_answer(guarded):
    mock, port = guarded
    chunks = [b"POST /toy/put HTTP/1.1\r\n"] + [b"X-Slow: 1\r\n"] * 40
    out, took = raw_exchange(port, chunks=chunks, pause=0.1)
    status, body = _json_answer(out)
    assert (status, body["reason"]) == (408, "timeout") and took < 8
    ex = mock.journal.entries[-1]
    assert ex.outcome == "timeout" and ex.notes["received_bytes"] > 0


def test_trickled_headers_after_a_keep_alive_pause_get_a_timeout_answer(guarded):
    mock, port = guarded
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(_req().replace(b"Connection: close", b"Connection: keep-alive"))
        assert b"200 OK" in s.recv(65536)
        time.sleep(0.8)  # longer than the header timeout: the pause itself is the idle timeout's business
        t0 = time.monotonic()
        out = b""
        for line in [b"POST /toy/put HTTP/1.1\r\n"] + [b"X-Slow: 1\r\n"] * 40:
            if select.select([s], [], [], 0.1)[0]:
                break
            s.sendall(line)
        while chunk := s.recv(65536):
            out += chunk
        assert _json_answer(out)[0] == 408 and time.monotonic() - t0 < 5
    finally:
        s.close()
    assert [e.outcome for e in mock.journal.entries] == ["ok", "timeout"]


def test_a_body_shorter_than_its_length_times_out(guarded):
    mock, port = guarded
    head = b"POST /toy/put HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n"
    out, took = raw_exchange(port, chunks=[head + b'{"id":', b""], pause=0.0)
    status, body = _json_answer(out)
    assert (status, body["reason"]) == (408, "timeout") and took < 5
    ex = mock.journal.entries[-1]
    assert (ex.outcome, ex.interface, ex.status) == ("timeout", "put", 408) and mock.store == []


def test_connections_over_the_cap_get_a_clear_answer(guarded):
    mock, port = guarded
    mock.header_timeout = 30  # the idle ones must hold their slots for the whole test
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(3)]
    try:
        time.sleep(0.2)
        status, body = _json_answer(raw_exchange(port, _req())[0])
        assert (status, body["reason"]) == (503, "busy")
        out, took = raw_exchange(port)  # over the cap and silent: closed after the grace period
        assert out == b"" and took < 5
    finally:
        for s in idle:
            s.close()
    deadline = time.monotonic() + 5
    while mock.connections and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mock.connections == 0
    assert _json_answer(raw_exchange(port, _req())[0]) == (200, {"status": "1", "header": ""})
    assert [e.outcome for e in mock.journal.entries] == ["busy", "ok"]

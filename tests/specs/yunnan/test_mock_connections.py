"""The HTTP mock's connections under a burst of clients (issue 9 reliability run): the listen backlog takes the
burst, and the connection cap counts only live connections."""
from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest
from aiohttp import web

from harness.httpmock import GuardedHandler
from harness.mocklimits import BACKLOG, MAX_CONNECTIONS
from harness.serve import BackgroundServer
from mocks.yunnan.app import YunnanMock


def test_the_listen_backlog_takes_a_burst_as_large_as_the_connection_cap():
    """With aiohttp's default backlog (128), a burst of clients overflowed the kernel's accept queue: it dropped
    the handshakes' last ACKs, and clients that believed they were connected were reset or waited forever
    without the mock ever seeing them (the reliability run's "unanswered" inputs)."""
    assert BACKLOG >= MAX_CONNECTIONS
    ss = shutil.which("ss")
    if ss is None:
        pytest.skip("needs `ss` (iproute2) to read a listening socket's backlog")
    with BackgroundServer(YunnanMock(key_bits=1024).app) as srv:
        out = subprocess.run([ss, "-ltnH", f"sport = :{srv.port}"], capture_output=True, text=True, check=True).stdout
    fields = out.split()
    assert fields and fields[0] == "LISTEN", out
    somaxconn = int(open("/proc/sys/net/core/somaxconn").read())
    assert int(fields[2]) == min(BACKLOG, somaxconn), out  # Send-Q of a listener is its backlog


class _Transport:
    """Just enough of an asyncio transport for aiohttp's connection protocol."""

    def __init__(self):
        self.closing = False

    def get_extra_info(self, name, default=None):
        return ("127.0.0.1", 40000) if name == "peername" else default

    def is_closing(self):
        return self.closing

    def close(self):
        self.closing = True

    def write(self, data):
        pass

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass


def test_the_cap_counts_live_connections_not_those_closed_or_done():
    """A connection the mock closed, or whose last answer closes it, holds no slot, though a loaded event loop
    has not yet reported it lost (the cap used to count it until connection_lost)."""

    async def main():
        mock = YunnanMock(key_bits=1024)
        mock.max_connections = 2
        server = web.Server(lambda request: None)
        loop = asyncio.get_running_loop()
        opened = []

        def connect():
            h = GuardedHandler(mock, server, loop=loop, keepalive_timeout=60)
            h.connection_made(_Transport())
            opened.append(h)
            return h

        try:
            a, b = connect(), connect()
            assert not a.over_cap and not b.over_cap and mock.connections == 2
            assert connect().over_cap  # a third live one is over the cap
            opened[-1].transport.close()
            a.transport.close()  # closed by the mock; connection_lost not yet delivered
            assert mock.connections == 1
            assert not connect().over_cap
            b.request_started()
            b.request_done(last=True)  # answered with Connection: close; aiohttp may still linger on it
            assert mock.connections == 1 and not connect().over_cap
            assert connect().over_cap  # and the live ones still count
        finally:
            for h in opened:
                h.connection_lost(None)
        assert mock.connections == 0 and not mock._open

    asyncio.run(main())


def test_a_client_that_shuts_its_side_mid_body_still_gets_the_answer():
    """A body shorter than its Content-Length, then a half-close: the client still reads, so the spec's failure
    answer must reach it (it used to be journaled but never written: asyncio closed the connection on EOF)."""
    import socket

    mock = YunnanMock(key_bits=1024)
    with BackgroundServer(mock.app) as srv:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        try:
            s.sendall(b"POST /access/api/dataReceive/vehicleInfo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
                      b'{"signature": ')
            s.shutdown(socket.SHUT_WR)
            out = b""
            while chunk := s.recv(65536):
                out += chunk
        finally:
            s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400") and b"application/json" in head, out[:200]
    assert b"Connection: close" in head
    ex = mock.journal.entries[-1]
    assert ex.outcome == "bad_request" and "before the body was complete" in ex.notes["read_error"]


def test_a_late_event_loop_does_not_time_out_headers_that_arrived_in_time():
    """The header timer and the bytes that beat it can become due in the same turn of a loaded event loop: a
    request whose headers are complete (or still unread in the socket) is served, not answered 408."""
    import socket
    import time

    mock = YunnanMock(key_bits=1024)
    mock.header_timeout = 0.3
    with BackgroundServer(mock.app) as srv:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        try:
            time.sleep(0.1)  # accepted: its header timer runs
            srv.loop.call_soon_threadsafe(time.sleep, 2.0)  # the loop stalls past the timeout...
            time.sleep(0.05)
            s.sendall(b"POST /access/api/dataReceive/nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                      b"Connection: close\r\n\r\n{}")  # ...while the request arrives in time
            out = b""
            while chunk := s.recv(65536):
                out += chunk
        finally:
            s.close()
    assert out.startswith(b"HTTP/1.1 404"), out[:200]  # the path's answer, not a header timeout
    assert [e.outcome for e in mock.journal.entries] == ["not_found"]


def _admin_call(s, op: str = "state") -> bytes:
    """One keep-alive admin call on socket s; its whole answer (read up to its Content-Length)."""
    s.sendall(f"GET /__vconform/{op} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    out = b""
    while b"\r\n\r\n" not in out:
        chunk = s.recv(65536)
        if not chunk:
            return out
        out += chunk
    head, _, body = out.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    while len(body) < length and (chunk := s.recv(65536)):
        body += chunk
    return head + b"\r\n\r\n" + body


def test_a_client_that_closes_after_admin_calls_leaves_no_connection_behind():
    """Admin calls (a suite reading state, moving the clock) are requests like any other for the guard: when their
    client closes the connection, the mock closes it too. They used to be invisible to the guard, so their bytes
    counted as a request in flight: each such connection stayed half-open for good, live, and after
    max_connections of them every request was answered 503 "busy" (the yunnan server fuzz stage's Flaky)."""
    import socket
    import time

    mock = YunnanMock(key_bits=1024)
    mock.header_timeout = 300.0  # (the header timer, never stopped by an admin call, closed the connection late)
    with BackgroundServer(mock.app) as srv:
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
            try:
                for _ in range(2):
                    assert _admin_call(s).startswith(b"HTTP/1.1 200"), "admin state"
                s.shutdown(socket.SHUT_WR)
                assert s.recv(65536) == b""  # the mock closes its side too (it used to hold it open: a timeout)
            finally:
                s.close()
        deadline = time.monotonic() + 30  # a wait for the close to get through, not a timing assertion
        while mock._open and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not mock._open and mock.connections == 0


def test_an_idle_keep_alive_connection_after_an_admin_call_is_not_timed_out_as_slow_headers():
    """An admin call ends the header timer like any other request: the next request on the connection, after a
    pause longer than the header timeout, is served (it used to be answered 408 and closed)."""
    import socket
    import time

    mock = YunnanMock(key_bits=1024)
    mock.header_timeout = 0.3
    with BackgroundServer(mock.app) as srv:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        try:
            assert _admin_call(s).startswith(b"HTTP/1.1 200")
            time.sleep(1.0)  # idle past the header timeout (the idle timeout is 60 s)
            out = _admin_call(s)
        finally:
            s.close()
    assert out.startswith(b"HTTP/1.1 200"), out[:200]
    assert not [e for e in mock.journal.entries if e.outcome == "timeout"]

"""The HTTP mocks' request path without aiohttp: an asyncio Protocol on httptools (llhttp, the parser uvicorn uses).

aiohttp's request and response machinery was most of a bare request's cost (issue 10: a mock at 0.3-0.4 of a bare
aiohttp server, for which every microsecond of journal and rules came on top of aiohttp's own). This protocol reads
a request, hands it to the same pipeline (`HttpMock._exchange` / `_pipeline` / `_record`: routes, faults, handler,
journal-before-answer) and writes the answer itself. It keeps every promise of the connection guard
(harness/httpmock.py's docstring): header timeout from the connection or from a request's first byte after a
keep-alive pause (extended once when the bytes wait unread in the socket of a late loop), body timeout from the end
of the headers, idle keep-alive timeout, the live-connection cap (503 "busy", a silent connection closed after the
grace), parser refusals answered 400 "bad_request", a half-closed client still answered (an incomplete body fails at
once), body size limit (413, then the rest of the body is read and dropped for up to a second so that the client
sees the answer, not a reset), keep-alive, pipelining (answers in order), chunked bodies, `Expect: 100-continue`.

Connections whose first request is an admin call (`/__vconform/...`: suites, the dashboard) are handed, bytes and
all, to aiohttp's guarded protocol, which serves the application's own routes; an admin call later on a mock
connection is handed over the same way once the requests before it are answered. Each connection has one timer
for all its deadlines (moved, not re-created, per request; a request that arrives whole in one read moves none).
"""
from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Callable

import httptools
from multidict import CIMultiDict
from yarl import URL

if TYPE_CHECKING:
    from harness.httpmock import HttpMock

MAX_HEAD = 64 * 1024  # request line + headers; beyond, the request is refused 400 (aiohttp: 8190 per line)
MAX_LINE = 8190       # request target, and one header (name + value), as aiohttp's parser limits them
MAX_QUEUED = 64       # pipelined requests parsed ahead of their answers; beyond, reading pauses
LINGER = 1.0          # seconds a refused body is still read and dropped before the connection closes

_PHRASES = {s.value: s.phrase for s in HTTPStatus}
_CT = b"Content-Type: application/json; charset=utf-8\r\nContent-Length: "
_SERVER_ERROR = (b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 b"Content-Length: 25\r\nConnection: close\r\n\r\n500 Internal Server Error")
_HEADS: dict[tuple[int, int], bytes] = {}  # (status, connection kind) -> the head up to Content-Length's value
_CONN = (b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", b"\r\nConnection: keep-alive\r\n\r\n")


def _head(status: int, conn: int) -> bytes:
    h = _HEADS.get((status, conn))
    if h is None:
        h = f"HTTP/1.1 {status} {_PHRASES.get(status, 'Unknown')}\r\n".encode() + _CT
        if len(_HEADS) < 512:
            _HEADS[(status, conn)] = h
    return h


_METHODS = {m.encode(): m for m in ("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH")}
_BAD_URL = re.compile(rb"[^\x21-\x7e]").search  # bytes no request target may hold (aiohttp: "invalid character
# in url path")


_PAIRS: dict[tuple[bytes, bytes], tuple[str, str]] = {}  # a header line's bytes -> its (name, value) as text
_PAIRS_MAX = 4096  # lines kept (each of at most 256 bytes); beyond, new ones are decoded every time


def _pair(line: tuple[bytes, bytes]) -> tuple[str, str]:
    """A header (name, value) decoded as text (UTF-8, undecodable bytes kept as surrogates), remembered: most
    lines of a client's requests repeat (Host, User-Agent, Content-Type, a token), and a dict lookup costs less
    than two decodes."""
    n, v = line
    pair = (n.decode("utf-8", "surrogateescape"), v.decode("utf-8", "surrogateescape"))
    if len(_PAIRS) < _PAIRS_MAX and len(n) + len(v) <= 256:
        _PAIRS[line] = pair
    return pair


_PATHS: dict[bytes, str] = {}  # a request target that is a plain origin-form path (no '?', '%', '#') -> its text
_PATHS_MAX = 1024  # targets kept (each of at most 256 bytes; they passed _BAD_URL): the routes, mostly


def _target(url: bytes) -> tuple[str, str]:
    """The path and query string of a request target, as aiohttp gave them; a plain origin-form path is
    remembered (`_PATHS`)."""
    if url[:1] == b"/" and b"?" not in url and b"%" not in url and b"#" not in url:
        path = url.decode("ascii")  # the usual origin-form path: nothing to parse or decode
        if len(_PATHS) < _PATHS_MAX and len(url) <= 256 and not _BAD_URL(url):
            _PATHS[url] = path
        return path, ""
    try:
        parsed = httptools.parse_url(url)
        path_b, query_b = parsed.path or b"/", parsed.query or b""
    except httptools.HttpParserInvalidURLError:
        path_b, _, query_b = url.partition(b"?")
    path = path_b.decode("ascii")  # (bytes beyond ASCII were refused with the request line)
    query = query_b.decode("ascii") if query_b else ""
    if "%" in path or query:  # decoded as aiohttp (yarl) decodes them, undecodable escapes kept
        u = URL.build(path=path, query_string=query, encoded=True)
        path, query = u.path, u.query_string
    return path, query


class _ParseRefusal(Exception):
    pass


class LeanConnection(asyncio.Protocol):
    """One client connection of an HttpMock: parse, guard, serve in order, answer."""

    def __init__(self, mock: "HttpMock", handover: Callable[[], asyncio.Protocol], prefix: bytes):
        self.mock = mock
        self._waits = mock.waits()  # its pipeline may wait (see HttpMock.waits): stepped as a coroutine, not run now
        self._handover, self._prefix = handover, prefix
        self.transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()
        self.parser = httptools.HttpRequestParser(self)
        self._start = b""          # the first bytes, until it is known whether the connection is an admin one
        self._decided = False
        self.over_cap = False
        self._last = False         # its last answer closes it: not live any more
        self.eof = False           # the client shut its write side
        self._late = False         # the header deadline was extended once for bytes the loop had not delivered
        self._received = 0         # bytes of the request being read
        self._first = True         # no request has begun yet: the connection's own header deadline runs
        self._in_message = False
        self._headers_done = False
        self._queue: deque = deque()  # complete (or failed) requests waiting for their answer, in order
        self._running = False
        self._closing = False      # an answer that closes the connection is queued: input is dropped
        self._deadline = 0.0       # 0: none
        self._due = 0.0            # a deadline (seconds) the callbacks asked for, armed after the feed (0: none)
        self._timer: asyncio.TimerHandle | None = None
        self._peer = ""
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._size = 0
        self._continue = False
        self._paused = False
        self._method = b""
        self._reply: tuple | None = None      # the answer waiting for the journal's commit (status, bytes, ...)
        self._upgrading: tuple | None = None  # a request asking to upgrade, whose body is still to come
        self._raw: tuple | None = None        # ... being read (method, url, headers, keep-alive, version, length, parts)
        self._raw_got = 0

    # ---- the connection ----------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        m = self.mock
        self._peer, self.over_cap = m._admit(self, transport)
        self._set_deadline(m.over_cap_grace if self.over_cap else m.header_timeout)

    def live(self) -> bool:
        t = self.transport
        return not self._last and t is not None and not t.is_closing()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._detach()

    def _detach(self) -> None:
        """No longer this protocol's connection: uncounted, no deadline."""
        self.mock._open.discard(self)
        self._deadline = 0.0
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.transport = None

    def data_received(self, data: bytes) -> None:
        if not self._decided:
            data = self._start + data
            admin = self._is_admin(data)
            if admin is None:
                self._start = data
                return
            self._decided, self._start = True, b""
            if admin:
                self._to_aiohttp(data)
                return
        if self._closing:
            return
        self._received += len(data)
        if self._raw is not None:
            self._take(data)
        else:
            self._feed(data)
        if self._in_message and not self._headers_done and self._received > MAX_HEAD and not self._closing:
            self._refuse_parser("request line and headers larger than %d bytes" % MAX_HEAD)
        if len(self._queue) > MAX_QUEUED and self.transport is not None:
            self._paused = True  # a client pipelining faster than it is answered waits in its own socket
            self.transport.pause_reading()
        if self._queue and not self._running:
            self._next()

    def _feed(self, data: bytes) -> None:
        """Parse what came. A deadline the callbacks asked for (the headers' from a request's first byte, the body's
        from the end of its headers) is armed once the bytes are parsed, if the request is still being read then:
        a request that came whole in them needs none (no clock read, no timer moved for it)."""
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as up:
            self._no_upgrade(data[up.args[0]:])
        except _ParseRefusal as exc:
            self._refuse_parser(str(exc))
        except httptools.HttpParserError as exc:
            cause = exc.__context__
            self._refuse_parser(str(cause) if isinstance(cause, _ParseRefusal) else str(exc) or type(exc).__name__)
        else:
            if self._due:
                self._set_deadline(self._due)
                self._due = 0.0

    def _no_upgrade(self, rest: bytes) -> None:
        """A request asking to upgrade (Java's HttpClient asks every http:// request for `Upgrade: h2c`) is served
        as the HTTP/1.1 request it also is, as aiohttp did: llhttp stops at its headers, so its Content-Length body
        is read here (`_take`) and a fresh parser takes what follows. CONNECT and chunked upgrade bodies are
        refused."""
        method, url, headers, keep_alive, ver = self._upgrading
        self._upgrading, self._due = None, 0.0
        length = next((v for n, v in headers if n.lower() == b"content-length"), b"0").strip()
        chunked = any(n.lower() == b"transfer-encoding" for n, _v in headers)
        if method == b"CONNECT" or chunked or not length.isdigit():
            self._refuse_parser("protocol upgrade not offered")
            return
        self.parser = httptools.HttpRequestParser(self)
        self._raw = (method, url, headers, keep_alive, ver, int(length), [])
        self._raw_got = 0
        self._url, self._headers, self._method = url, headers, method
        self._in_message = self._headers_done = True
        if not (self._running or self._queue):
            self._set_deadline(self.mock.body_timeout)
        self._take(rest)

    def _take(self, data: bytes) -> None:
        """Body bytes of a request whose upgrade was declined, up to its Content-Length; the rest is parsed."""
        method, url, headers, keep_alive, ver, length, parts = self._raw
        need = length - self._raw_got
        part, rest = data[:need], data[need:]
        self._raw_got += len(part)
        if self._raw_got > self.mock.max_body:
            self._fail_current("too_large")
            return
        if part:
            parts.append(part)
        if self._raw_got < length:
            return
        self._raw = None
        self._in_message = False
        self._queue.append((method, url, headers, b"".join(parts), keep_alive, ver, None))
        self._received = 0
        self._deadline = self._due = 0.0
        if rest:
            self._feed(rest)

    def _is_admin(self, data: bytes) -> bool | None:
        """Whether the first request targets the admin prefix; None while too few bytes have come to tell."""
        sp = data.find(b" ")
        if sp < 0:
            return None if len(data) < 32 and b"\n" not in data else False
        target = data[sp + 1:sp + 1 + len(self._prefix)]
        if len(target) < len(self._prefix) and b"\n" not in data[sp:] and len(data) < 4096:
            return self._prefix.startswith(target) or None
        return target == self._prefix

    def _to_aiohttp(self, data: bytes) -> None:
        """From here on aiohttp's guarded protocol serves this connection (admin routes, the application's own)."""
        t = self.transport
        self._detach()
        proto = self._handover()
        t.set_protocol(proto)
        proto.connection_made(t)
        if data:
            proto.data_received(data)

    def eof_received(self) -> bool | None:
        if self._decided is False and self._start:
            self._decided = True
            data, self._start = self._start, b""
            self._feed(data)
        if not (self._running or self._queue or self._in_message):
            return None  # nothing in flight: close (asyncio's default)
        self.eof = True
        if self._in_message and not self._closing:
            self._in_message = False
            if self._headers_done:
                self._fail_current("short")
            else:
                self._refuse_parser("the client shut its side before the headers were complete")
        if self._queue and not self._running:
            self._next()
        return True

    # ---- deadlines: one timer per connection, moved rather than re-created ----------------------------------
    def _set_deadline(self, seconds: float) -> None:
        when = self._loop.time() + seconds
        self._deadline = when
        t = self._timer
        if t is None or t.when() > when:
            if t is not None:
                t.cancel()
            self._timer = self._loop.call_at(when, self._tick)

    def _tick(self) -> None:
        self._timer = None
        if not self._deadline or self.transport is None:
            return
        if self._loop.time() < self._deadline:
            self._timer = self._loop.call_at(self._deadline, self._tick)
            return
        self._deadline = 0.0
        self._expired()

    def _expired(self) -> None:
        transport = self.transport
        if self._running or self._queue or transport is None or transport.is_closing() or self._closing:
            return
        from harness.httpmock import _unread

        if not self._late and not self._headers_done and _unread(transport):
            # Bytes wait in the socket that a loaded event loop has not delivered yet: their lateness is not the
            # client's. Once per request, the client gets another header timeout from now.
            self._late = True
            self._set_deadline(self.mock.header_timeout)
            return
        m = self.mock
        if not self._decided and self._start:  # a request line trickling in: parsed as far as it came
            self._decided = True
            data, self._start = self._start, b""
            self._received = len(data)
            self._feed(data)
            if self._queue:
                self._next()
                return
        if self._in_message and self._headers_done:  # the body did not come in time
            self._fail_current("timeout")
            self._next()
            return
        self._last = True
        if self._in_message:  # headers trickled in too slowly: a clear answer, journaled
            try:
                transport.write(m.refused("timeout", 408, {"timeout_s": m.header_timeout}, peer=self._peer,
                                          notes={"timeout": f"headers not complete within {m.header_timeout:g} s",
                                                 "received_bytes": self._received}))
            except Exception:  # noqa: BLE001 - not journaled, so not answered: just close
                transport.close()
                return
            self._closing = True  # the client may still be sending: read and drop, so that it sees the answer
            self._close_soon(transport)
            return
        transport.close()

    # ---- httptools callbacks ----------------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._in_message, self._headers_done, self._continue, self._late = True, False, False, False
        self._url, self._headers, self._body, self._size, self._method = b"", [], [], 0, b""
        if self._first:
            self._first = False  # the connection's first request runs on the deadline armed when it connected
        elif not (self._running or self._queue):
            self._due = self.mock.header_timeout  # the first byte after a keep-alive pause (armed after the feed)

    def on_url(self, url: bytes) -> None:
        self._url += url
        if len(self._url) > MAX_LINE:
            raise _ParseRefusal(f"request target longer than {MAX_LINE} bytes")

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(name) + len(value) > MAX_LINE:
            raise _ParseRefusal(f"header longer than {MAX_LINE} bytes")
        self._headers.append((name, value))
        if len(name) == 6 and name.lower() == b"expect" and value.lower() == b"100-continue":
            self._continue = True

    def on_headers_complete(self) -> None:
        self._headers_done = True
        self._method = self.parser.get_method()
        if self._url not in _PATHS and _BAD_URL(self._url):  # (a target seen before has passed it)
            raise _ParseRefusal("invalid character in url path")
        if not (self._running or self._queue):
            self._due = self.mock.body_timeout  # (armed after the feed if the body is still to come)
        if self._continue and self.transport is not None:
            length = next((v for n, v in self._headers if n.lower() == b"content-length"), b"")
            if length.strip().isdigit() and int(length) > self.mock.max_body:
                self._fail_current("too_large")  # a client waiting to be told to send: told no at once
                return
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        if self._closing:
            return
        self._size += len(body)
        if self._size > self.mock.max_body:
            self._fail_current("too_large")
            return
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._closing:
            return
        self._in_message = False
        p = self.parser
        if p.should_upgrade():  # its body (if any) comes after this: see _no_upgrade
            self._upgrading = (p.get_method(), self._url, self._headers, p.should_keep_alive(), p.get_http_version())
            return
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        self._queue.append((self._method, self._url, self._headers, body, p.should_keep_alive(),
                            p.get_http_version(), None))
        self._received = 0
        self._deadline = self._due = 0.0

    # ---- failures of the request being read ------------------------------------------------------------------
    def _fail_current(self, why: str) -> None:
        """The request being read ends here (too large, body late or cut short): answered, then the connection
        closes; nothing more is read from it."""
        self._raw = None
        self._queue.append((self._method, self._url, self._headers, b"", False, "1.1", why))
        self._closing = True
        self._in_message = False
        self._deadline = self._due = 0.0

    def _refuse_parser(self, message: str) -> None:
        self._queue.append((b"", b"", [], b"", False, "1.1", "parser:" + message[:300]))
        self._closing = True
        self._in_message = False
        self._deadline = self._due = 0.0
        if not self._running:
            self._next()

    # ---- answering, in order --------------------------------------------------------------------------------
    def _next(self) -> None:
        if self._running or not self._queue or self.transport is None:
            return
        item = self._queue.popleft()
        if not item[0] and item[6] and item[6].startswith("parser:"):
            self._write_refusal(item[6][7:])
            return
        if item[1].startswith(self._prefix) and item[6] is None:
            self._admin_later(item)
            return
        self._running = True
        self._serve(item)

    def _write_refusal(self, message: str) -> None:
        t = self.transport
        try:
            data = self.mock.refused("bad_request", 400, {}, peer=self._peer, notes={"parser": message})
        except Exception:  # noqa: BLE001 - not journaled: no answer
            data = b""
        self._last = True
        if t is not None:
            if data:
                t.write(data)
            self._close_soon(t)

    def _admin_later(self, item: tuple) -> None:
        """An admin call after mock requests on one connection: rebuilt as bytes for aiohttp's protocol (chunked
        bodies arrive whole, so sent with their length), which serves the rest of the connection. Requests
        pipelined after it, already parsed, go behind it in the same order."""
        method, url, headers, body, keep_alive, ver, _ = item
        parts = [method + b" " + url + b" HTTP/" + ver.encode() + b"\r\n"]
        for name, value in headers:
            if name.lower() not in (b"content-length", b"transfer-encoding"):
                parts.append(name + b": " + value + b"\r\n")
        parts.append(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        rest = list(self._queue)
        self._queue.clear()
        for m, u, h, b, _k, v, why in rest:
            if why is not None:
                break
            parts.append(m + b" " + u + b" HTTP/" + v.encode() + b"\r\n")
            parts.extend(n + b": " + x + b"\r\n" for n, x in h if n.lower() not in (b"content-length",
                                                                                      b"transfer-encoding"))
            parts.append(b"Content-Length: %d\r\n\r\n" % len(b) + b)
        self._to_aiohttp(b"".join(parts))

    def _serve(self, item: tuple) -> None:
        """Answer one request: the pipeline run without a Task (at once unless it waits: a delay fault, worker
        processes), journaled, and written once the journal's commit of this loop turn is through."""
        method_b, url, raw_headers, body, keep_alive, ver, why = item
        m = self.mock
        try:
            t0 = time.perf_counter()
            method = _METHODS.get(method_b) or method_b.decode("ascii", "replace")
            path, query = _PATHS.get(url), ""
            if path is None:
                path, query = _target(url)
            known = _PAIRS.get
            pairs = [known(line) or _pair(line) for line in raw_headers]
            ex, route = m._exchange(method, path, query, dict(pairs), self._peer)
            state = (ex, t0, method, keep_alive, ver)
            if self.over_cap:
                res = (m.failure("busy", 503, {"max_connections": m.max_connections}), "busy", 503, True)
            elif why == "too_large":
                res = (m.failure("too_large", 413, {"limit": m.max_body}), "too_large", 413, True)
            elif why == "timeout":
                ex.notes["timeout"] = f"body not complete within {m.body_timeout:g} s"
                res = (m.failure("timeout", 408, {"timeout_s": m.body_timeout}), "timeout", 408, True)
            elif why == "short":
                ex.notes["read_error"] = "EOFError: the client shut its side before the body was complete"
                res = (m.failure("bad_request", 400, {}), "bad_request", 400, True)
            elif m.faults or self._waits:  # it may wait (a delay fault, worker processes): stepped as a Task would
                coro = m._pipeline(ex, t0, route, method, path, CIMultiDict(pairs), body, self._peer, self.transport)
                self._drive(coro, state)
                return
            else:  # nothing to wait for: the same steps without a coroutine
                res = m.pipeline_now(ex, route, method, path, CIMultiDict(pairs), body, self._peer)
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)
            return
        self._piped(state, res, None)

    def _drive(self, coro: Any, state: tuple) -> None:
        """Step the pipeline coroutine as a Task would: to its end, or to a future it waits for (then again from
        that future's callback)."""
        try:
            fut = coro.send(None)
        except StopIteration as stop:
            self._piped(state, stop.value, None)
            return
        except BaseException as exc:  # noqa: BLE001 - CancelledError (a drop fault) included
            self._piped(state, None, exc)
            return
        if fut is None:  # a bare yield (asyncio.sleep(0))
            self._loop.call_soon(self._drive, coro, state)
        else:
            fut._asyncio_future_blocking = False
            fut.add_done_callback(lambda _f: self._drive(coro, state))

    def _piped(self, state: tuple, res: Any, exc: BaseException | None) -> None:
        if exc is not None:
            self._failed(exc)
            return
        ex, t0, method, keep_alive, ver = state
        try:
            answer, outcome, status, force = res
            status, data = self.mock._record(ex, t0, answer, outcome, status)
        except Exception as e:  # noqa: BLE001
            self._failed(e)
            return
        # journaled before answering: written once the commit of this turn's exchanges is through (the answer
        # waits in `_reply`, a bound method is called back: no closure per request; one answer at a time runs)
        self._reply = (status, data, method, ver, not keep_alive or force)
        self.mock.journal.when_settled(self._answer)

    def _failed(self, exc: BaseException) -> None:
        self._running = False
        self._last = True
        t = self.transport
        if isinstance(exc, asyncio.CancelledError) or t is None or t.is_closing():
            return  # a "drop" fault: the connection is gone, unanswered
        # The pipeline itself failed (the journal): not the spec's answer, which was not journaled, but a bare 500
        # as aiohttp gave, and the connection closes.
        t.write(_SERVER_ERROR)
        self._close_soon(t)

    def _answer(self, err: BaseException | None) -> None:
        status, data, method, ver, close = self._reply
        self._reply = None
        if err is not None:
            self._failed(err)
            return
        self._running = False
        t = self.transport
        if t is None or t.is_closing():
            return
        close = close or (self._closing or self.eof) and not self._queue
        conn = 1 if close else (2 if ver == "1.0" else 0)
        head = _HEADS.get((status, conn)) or _head(status, conn)
        if method == "HEAD":
            t.write(head + b"%d" % len(data) + _CONN[conn])
        else:
            t.write(b"".join((head, b"%d" % len(data), _CONN[conn], data)))
        if close:
            self._last = True
            self._close_soon(t)
            return
        if self._paused and len(self._queue) < MAX_QUEUED // 4:
            self._paused = False
            t.resume_reading()
        m = self.mock
        if self._queue:
            self._next()
        elif self._in_message:  # a pipelined request being read: its deadline starts now
            self._set_deadline(m.body_timeout if self._headers_done else m.header_timeout)
        else:
            self._set_deadline(m.idle_timeout)

    def _close_soon(self, t: asyncio.Transport) -> None:
        """Close once written; when the client may still be sending (a refused body), read and drop its bytes for
        up to LINGER seconds first, so that it reads the answer rather than a reset."""
        if self.eof or not self._in_message and not self._closing:
            t.close()
            return
        self._closing = True
        self._loop.call_later(min(LINGER, self.mock.body_timeout), t.close)

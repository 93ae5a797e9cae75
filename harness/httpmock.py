"""The request pipeline every HTTP mock platform shares, as an aiohttp application.

For each request: route it by path, read the body under a size limit, apply the faults a suite armed
(delay, dropped connection, 5xx), hand it to the spec's pure handler, and journal the exchange BEFORE the
answer is sent. Whatever the handler raises, the client gets the spec's failure answer (never aiohttp's
plain-text 500) and the journal keeps the exchange with the error. An admin hook, `/__vconform/{op}`, lets a
suite driving the mock out of process arm faults, move the clock, read the state and run the spec's own
operations (e.g. seeding records).

A spec's mock subclasses `HttpMock` and supplies:
- `spec`, its name in the journal;
- `_routes()`, path -> (interface, anything the spec attaches to the path), from its endpoint data;
- `failure(reason, status, info)`, the body of its failure answer for a pipeline reason (REASONS);
- `respond(ex, route, incoming)`, the handler: the answer body, with `ex.outcome` set when it refuses;
optionally `http_status(body)`, `begin(ex)`, `on_fault(fault, ex)`, `admin_ops()`, `snapshot()`, `encode(body)`.
Nothing here assumes an envelope, encryption or an answer shape.

Served through `runner(app)` (harness.serve does), each connection is guarded: the request line and headers
must arrive within `header_timeout` seconds of the connection (of the first byte, after a keep-alive pause), the
body within `body_timeout`, an idle keep-alive connection is closed after `idle_timeout`, and beyond
`max_connections` live connections (open, not closing, not done with their last request: a connection the mock
has closed holds no slot while a loaded loop has yet to report it lost) a request gets the failure answer
"busy" (HTTP 503) and its connection is closed (a silent one after `over_cap_grace` seconds). A request the
HTTP parser refuses (bytes not allowed in the method, path, query or a header name) gets the failure answer
"bad_request" (HTTP 400). A client that shuts its write side mid-request still gets its answer. Every one of
these answers is journaled before it is sent, like any other.
"""
from __future__ import annotations

import asyncio
import functools
import json
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping

from aiohttp import StreamReader, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler

from harness.clock import Clock
from harness.faults import Fault, Faults
from harness.journal import Exchange, Journal
from harness.mocklimits import BODY_TIMEOUT, HEADER_TIMEOUT, IDLE_TIMEOUT, MAX_CONNECTIONS

try:
    import orjson
except ImportError:  # a dependency; without it the stdlib does the same, slower
    orjson = None

# Reasons the pipeline itself answers with the spec's failure answer (the journal's `outcome`).
REASONS = ("too_large", "fault_5xx", "method", "not_found", "internal_error", "bad_request", "timeout", "busy")
ADMIN_PATH = "/__vconform/{op}"
ADMIN_PREFIX = ADMIN_PATH.split("{", 1)[0]
MOCK_KEY = web.AppKey("vconform_mock", object)
_JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


def load_json(raw: bytes, fallback: Callable[[bytes], Any] = json.loads) -> Any:
    """JSON text parsed with orjson; what orjson refuses goes to `fallback` (the stdlib by default), which accepts
    what it accepts (NaN, lone surrogates) and words its errors as before. orjson reads an integer beyond 64 bits as
    a float: a result holding a float that large goes to the fallback too, which reads such integers exactly."""
    if orjson is not None:
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
        else:
            if not _maybe_lossy(value):
                return value
    return fallback(raw)


def _maybe_lossy(value: Any) -> bool:
    """Whether an orjson result holds a float of 64-bit integer size or more (perhaps an integer it could not
    hold). A walk of the values (iterative: orjson nests 1024 deep), not a scan of the text: a regex for 19
    digits in a row cost 40 ns per byte of base64 (180 us for an encrypted upload)."""
    t = type(value)
    if t is not dict and t is not list:
        return t is float and not -9.2e18 < value < 9.2e18
    stack = [value]
    pop, push = stack.pop, stack.append
    while stack:
        v = pop()
        for x in (v.values() if type(v) is dict else v):  # strings (most values) looked at once, not stacked
            t = type(x)
            if t is str:
                continue
            if t is dict or t is list:
                push(x)
            elif t is float and not -9.2e18 < x < 9.2e18:
                return True
    return False


_ORJSON_OPTS = orjson.OPT_NON_STR_KEYS if orjson is not None else 0


def dump_json(value: Any) -> bytes:
    """UTF-8 JSON (characters as they are, not \\u-escaped), with orjson when it can encode the value. Without
    OPT_NON_STR_KEYS first (it costs ~0.3 us on every call; a value it refuses takes it, so the bytes are the same)."""
    if orjson is not None:
        try:
            return orjson.dumps(value)
        except TypeError:  # keys that are no strings; integers beyond 64 bits, types orjson does not know
            try:
                return orjson.dumps(value, option=_ORJSON_OPTS)
            except TypeError:
                pass
    return json.dumps(value, ensure_ascii=False).encode()


@dataclass(frozen=True)
class Incoming:
    """What the handler sees of a request: no socket, headers case-insensitive as received."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    peer: str = ""
    prepared: Any = None  # what the spec's `prepare` hook computed off the event loop (e.g. an opened envelope)


def _incoming(method: str, path: str, headers: Mapping[str, str], body: bytes, peer: str) -> Incoming:
    """Incoming(...) without the frozen dataclass's __init__ (a setattr through object per field: ~1 us of every
    request); the same object."""
    inc = object.__new__(Incoming)
    inc.__dict__.update(method=method, path=path, headers=headers, body=body, peer=peer, prepared=None)
    return inc


class HttpMock:
    """Routes, journal, faults and clock of one HTTP mock platform; subclass per spec."""

    spec = ""
    max_body = 1024 * 1024           # bytes; larger bodies get the failure answer "too_large" (HTTP 413)
    methods = ("POST",)              # others get "method" (HTTP 405)
    fault_kinds = ("delay", "drop", "http_5xx")  # faults the admin hook may arm; a spec adds its own
    header_timeout = HEADER_TIMEOUT  # request line + headers, from the first byte (or the connection)
    body_timeout = BODY_TIMEOUT      # the whole body, from the end of the headers
    idle_timeout = IDLE_TIMEOUT      # an idle keep-alive connection
    max_connections = MAX_CONNECTIONS
    over_cap_grace = 1.0             # a connection over the cap that sends nothing is closed after this
    dashboard: Any = None            # a harness.dashboard Dashboard: its page and JSON under the admin prefix
    observer = None                  # observe mode: the harness.observe.Observer judging this mock's exchanges

    def __init__(self, *, journal: Journal | None = None, clock: Clock | None = None):
        self.journal = journal or Journal(None)
        self.journal.write_behind()  # one commit per loop turn; handle() releases an answer after its commit
        self.clock = clock or Clock()
        self.faults = Faults()
        self.routes = self._routes()
        self._prepares = type(self).prepare is not HttpMock.prepare
        self._json_answers = type(self).encode is HttpMock.encode  # an answer's bytes are its JSON (dump_json)
        self._open: set[GuardedHandler] = set()  # connections served through runner(), until connection_lost

    @property
    def connections(self) -> int:
        """Live connections: open, not closing, and not done with their last request (what the cap counts)."""
        return sum(1 for h in self._open if h.live())

    def _admit(self, conn: Any, transport: Any) -> tuple[str, bool]:
        """Count a new connection (aiohttp's guarded one or a lean one): its peer address, and whether it is over
        the cap. Live ones are counted only when the set is over the cap: connections closed but not yet reported
        lost (a loaded loop reports them late) or done with their last request are not live and hold no slot."""
        self._open.add(conn)
        peer = transport.get_extra_info("peername")
        over = len(self._open) > self.max_connections and self.connections > self.max_connections
        return (str(peer[0]) if peer else ""), over

    @staticmethod
    def note_violations(ex: Exchange, violations: list[Any]) -> list[Any]:
        """Keep a request's validation findings in its journal notes (`violations`, and each warning an errata
        reading allows under `warnings` too, a list the spec's `begin` set up); return the failing ones."""
        if not violations:  # (the usual request)
            ex.notes["violations"] = []
            return []
        ex.notes["violations"] = [v.__dict__ for v in violations]
        ex.notes["warnings"].extend({"errata": v.errata, "message": v.message} for v in violations
                                    if v.level == "warn" and v.errata)
        return [v for v in violations if v.level == "fail"]

    # ---- what a spec supplies --------------------------------------------------------------------------
    def _routes(self) -> dict[str, tuple[str, Any]]:
        """path -> (interface, spec data for that path)."""
        raise NotImplementedError

    def failure(self, reason: str, status: int | None, info: dict[str, Any]) -> Any:
        """The spec's failure answer for a pipeline reason; `status` is the HTTP status it will go with
        (None: the spec's `http_status` decides); `info` holds details (limit, path, error)."""
        raise NotImplementedError

    def respond(self, ex: Exchange, route: tuple[str, Any], incoming: Incoming) -> Any:
        """Answer one routed request; set `ex.outcome` to a reason code when refusing (default "ok")."""
        raise NotImplementedError

    def http_status(self, body: Any) -> int:
        """The HTTP status of an answer the handler built."""
        return 200

    def begin(self, ex: Exchange) -> None:
        """Prepare a new exchange (e.g. its notes) before anything else happens to it."""

    async def prepare(self, ex: Exchange, route: tuple[str, Any], incoming: Incoming) -> Any:
        """Optional: CPU-heavy work on a routed request done off the event loop (in worker processes) before
        `respond` runs; its result reaches `respond` as `incoming.prepared`. It must not change state or the
        answer: `respond` decides everything, and does the work itself when this gives None."""
        return None

    def on_fault(self, fault: Fault, ex: Exchange) -> None:
        """A fault kind of the spec's own (not delay, drop or http_5xx) fired for this request."""

    def admin_ops(self) -> dict[str, Callable[[dict], None]]:
        """The spec's admin operations beyond fault, clock and state: name -> handler(args)."""
        return {}

    def snapshot(self) -> Any:
        """A JSON-able summary of the state, answered by every admin call."""
        return {}

    def encode(self, body: Any) -> bytes:
        return dump_json(body)

    # ---- the application ------------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.max_body)
        app[MOCK_KEY] = self
        for path, view in self.dashboard.routes() if self.dashboard is not None else ():
            app.router.add_get(path, functools.partial(self._guarded_view, view))
        app.router.add_route("*", ADMIN_PATH, self._guarded_admin)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        guard = request.protocol if isinstance(request.protocol, GuardedHandler) else None
        if guard is None:
            resp = await self._handle(request, None)
            await self.journal.settled()  # journaled before answering, served without the guard too
            return resp
        return await self._guarded(request, guard, self._settled(self._handle(request, guard)))

    async def _settled(self, answer: Any) -> web.StreamResponse:
        resp = await answer
        await self.journal.settled()  # journaled before answering: the commit of this turn's exchanges
        return resp

    async def _guarded_admin(self, request: web.Request) -> web.StreamResponse:
        # Admin calls are requests on the connection like any other: the guard must see them start and end,
        # or their bytes stay counted as a request in flight and the connection outlives its client.
        guard = request.protocol if isinstance(request.protocol, GuardedHandler) else None
        if guard is None:
            return await self.admin(request)
        return await self._guarded(request, guard, self.admin(request))

    async def _guarded_view(self, view: Callable, request: web.Request) -> web.StreamResponse:
        """A read-only page under the admin prefix (the dashboard), through the connection guard like admin calls."""
        guard = request.protocol if isinstance(request.protocol, GuardedHandler) else None
        return await (view(request) if guard is None else self._guarded(request, guard, view(request)))

    @staticmethod
    async def _guarded(request: web.Request, guard: "GuardedHandler", answer: Any) -> web.StreamResponse:
        """Await `answer` (a coroutine giving the response) between the guard's request_started/request_done."""
        guard.request_started(request)
        resp = None
        try:
            resp = await answer
            if guard.eof:  # the client has shut its side: answer, then close (no next request can come)
                resp.force_close()
            return resp
        finally:
            # A connection whose last answer closes it no longer counts against the cap, even while aiohttp
            # lingers on it or its close is not yet through.
            guard.request_done(last=resp is None or not request.keep_alive or resp.keep_alive is False)

    async def _handle(self, request: web.Request, guard: "GuardedHandler | None") -> web.StreamResponse:
        t0 = time.perf_counter()
        peer = request.remote or ""
        ex, route = self._exchange(request.method, request.path, request.query_string, dict(request.headers), peer)
        if guard is not None and guard.over_cap:
            return self._fail(ex, t0, "busy", 503, {"max_connections": self.max_connections}, close=True)
        try:
            # A body already complete (the usual case) is read without a timer task.
            raw = await (request.read() if request.content.is_eof() else
                         asyncio.wait_for(request.read(), self.body_timeout))
        except web.HTTPRequestEntityTooLarge:
            return self._fail(ex, t0, "too_large", 413, {"limit": self.max_body})
        except asyncio.TimeoutError:
            ex.notes["timeout"] = f"body not complete within {self.body_timeout:g} s"
            return self._fail(ex, t0, "timeout", 408, {"timeout_s": self.body_timeout}, close=True)
        except Exception as exc:  # noqa: BLE001 - the body ended short of its length, a bad chunk, an encoding
            ex.notes["read_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
            return self._fail(ex, t0, "bad_request", 400, {}, close=True)
        body, outcome, status, close = await self._pipeline(ex, t0, route, request.method, request.path,
                                                            request.headers, raw, peer, request.transport)
        return self._send(ex, t0, body, outcome, status, close=close)

    def _exchange(self, method: str, path: str, query: str, headers: dict[str, str],
                  peer: str) -> tuple[Exchange, tuple[str, Any] | None]:
        """A new exchange for a request, and its route (None: no such path)."""
        ex = Exchange(self.spec, self.clock.now(), method, path, peer=peer, headers=headers)
        if query:
            ex.notes["query"] = query
        self.begin(ex)
        route = self.routes.get(path.rstrip("/") or "/")
        ex.interface = route[0] if route else ""
        return ex, route

    async def _pipeline(self, ex: Exchange, t0: float, route: tuple[str, Any] | None, method: str, path: str,
                        headers: Mapping[str, str], raw: bytes, peer: str,
                        transport: Any) -> tuple[Any, str, int | None, bool]:
        """Faults, method, route and the spec's handler for a request read whole: (answer body, outcome, HTTP
        status or None for the spec's `http_status`, close the connection after it). Journals nothing but a
        dropped request (whose connection is aborted: CancelledError)."""
        self._take_body(ex, raw)
        for fault in (self.faults.take(ex.interface) if self.faults else ()):
            ex.notes.setdefault("faults", []).append(fault.kind)
            if fault.kind == "delay":
                await asyncio.sleep(fault.value)
            elif fault.kind == "drop":
                ex.outcome = "fault_drop"
                ex.duration_ms = (time.perf_counter() - t0) * 1000
                self.journal.record(ex)
                if transport is not None:
                    transport.abort()
                raise asyncio.CancelledError()
            elif fault.kind == "http_5xx":
                status = int(fault.value or 503)
                return self.failure("fault_5xx", status, {}), "fault_5xx", status, False
            else:
                self.on_fault(fault, ex)
        early = self._unroutable(method, route, path)
        if early is not None:
            return early
        incoming = _incoming(method, path, headers, raw, peer)
        if self._prepares:
            try:
                prepared = await self.prepare(ex, route, incoming)
            except Exception as exc:  # noqa: BLE001 - as the handler's own errors
                return self._internal(ex, exc)
            if prepared is not None:
                incoming = replace(incoming, prepared=prepared)
        return self._respond(ex, route, incoming)

    def waits(self) -> bool:
        """Whether a request's pipeline may wait: a `prepare` hook, or a pipeline of its own. Then the lean path steps
        it as a coroutine; otherwise it runs `pipeline_now` when no fault is armed (read as each connection opens). A
        mock whose hook does something only in some configurations says when (e.g. only with worker processes)."""
        return self._prepares or type(self)._pipeline is not HttpMock._pipeline

    def pipeline_now(self, ex: Exchange, route: tuple[str, Any] | None, method: str, path: str,
                     headers: Mapping[str, str], raw: bytes, peer: str) -> tuple[Any, str, int | None, bool]:
        """`_pipeline` for a request it would not wait on (no fault armed: check `self.faults` first; `waits()`),
        without a coroutine: the same steps and answer."""
        self._take_body(ex, raw)
        if route is None or method not in self.methods:  # (the usual request needs no call to find it routable)
            return self._unroutable(method, route, path)
        return self._respond(ex, route, _incoming(method, path, headers, raw, peer))

    @staticmethod
    def _take_body(ex: Exchange, raw: bytes) -> None:
        ex.request_body = text = raw.decode("utf-8", "replace")  # (positional: keyword arguments cost a dict)
        ex.raw_body = (raw, text)  # the journal keeps these bytes, not the text (harness/journal.py: _compact)

    def _unroutable(self, method: str, route: tuple[str, Any] | None,
                    path: str) -> tuple[Any, str, int | None, bool] | None:
        """The pipeline's own answer to a method not served or a path with no route (None: neither)."""
        if method not in self.methods:
            return self.failure("method", 405, {"allowed": list(self.methods)}), "method", 405, False
        if route is None:
            return self.failure("not_found", 404, {"path": path}), "not_found", 404, False
        return None

    def _respond(self, ex: Exchange, route: tuple[str, Any], incoming: Incoming) -> tuple[Any, str, int | None, bool]:
        try:
            body = self.respond(ex, route, incoming)
        except Exception as exc:  # noqa: BLE001 - input nobody foresaw still gets the spec's answer, journaled
            return self._internal(ex, exc)
        return body, ex.outcome or "ok", None, False

    def _internal(self, ex: Exchange, exc: Exception) -> tuple[Any, str, int | None, bool]:
        ex.notes["internal_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        return self.failure("internal_error", None, {"error": ex.notes["internal_error"]}), "internal_error", None, \
            False

    def _fail(self, ex: Exchange, t0: float, reason: str, status: int | None, info: dict[str, Any], *,
              close: bool = False) -> web.Response:
        return self._send(ex, t0, self.failure(reason, status, info), reason, status, close=close)

    def _record(self, ex: Exchange, t0: float, body: Any, outcome: str, status: int | None) -> tuple[int, bytes]:
        """Journal the answer: (its HTTP status, its bytes). Every answer of every path passes here."""
        if status is None:
            status = self.http_status(body)
        ex.status, ex.response_body, ex.outcome = status, body, outcome
        ex.duration_ms = (time.perf_counter() - t0) * 1000
        try:
            data = dump_json(body) if self._json_answers else self.encode(body)
        except Exception:
            self.journal.record(ex)  # journaled as before (the caller answers a bare 500)
            raise
        if self._json_answers:
            ex.wire_answer = (body, data)  # the journal keeps the bytes sent rather than a second encoding
        self.journal.record(ex)
        return status, data

    def _send(self, ex: Exchange, t0: float, body: Any, outcome: str, status: int | None = None, *,
              close: bool = False) -> web.Response:
        """Journal, then answer."""
        status, data = self._record(ex, t0, body, outcome, status)
        resp = web.Response(status=status, body=data, headers=_JSON_HEADERS)
        if close:
            resp.force_close()
        return resp

    def refused(self, reason: str, status: int, info: dict[str, Any], *, peer: str = "",
                notes: dict[str, Any] | None = None) -> bytes:
        """A whole HTTP/1.1 answer (connection closed) for what never became a request: parser refusals and
        header timeouts. Journaled first; raises when the journal does."""
        ex = Exchange(self.spec, self.clock.now(), peer=peer, notes=dict(notes or {}))
        self.begin(ex)
        ex.notes.update(notes or {})
        body = self.failure(reason, status, info)
        ex.status, ex.response_body, ex.outcome = status, body, reason
        self.journal.record(ex)
        self.journal.flush()  # written at once by the caller: committed first
        data = self.encode(body)
        phrase = {400: "Bad Request", 408: "Request Timeout", 503: "Service Unavailable"}.get(status, "Error")
        return (f"HTTP/1.1 {status} {phrase}\r\nContent-Type: application/json; charset=utf-8\r\n"
                f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode() + data

    # ---- admin hook for suites driving a mock out of process -------------------------------------------
    async def admin(self, request: web.Request) -> web.Response:
        op = request.match_info["op"]
        try:
            args = await request.json() if request.can_read_body else {}
            ops = self.admin_ops()
            if op == "fault":
                if args["kind"] not in self.fault_kinds:
                    raise ValueError(f"fault {args['kind']!r} not offered; this mock offers {', '.join(self.fault_kinds)}")
                self.faults.arm(args["kind"], times=int(args.get("times", 1)),
                                interface=args.get("interface"), value=float(args.get("value", 0)))
            elif op == "clock":
                self.clock.advance(float(args["advance"]))
            elif op in ops:
                ops[op](args)
            elif op != "state":
                return web.json_response({"ok": False, "error": f"unknown admin op {op}"}, status=404)
            return web.json_response({"ok": True, "state": self.snapshot()})
        except (ValueError, KeyError, TypeError) as exc:
            return web.json_response({"ok": False, "error": f"{type(exc).__name__}: {exc}"}, status=400)


# ---- the connection guard ----------------------------------------------------------------------------------
class GuardedHandler(RequestHandler):
    """aiohttp's connection protocol with header timeout, connection cap and spec-shaped parser refusals."""

    def __init__(self, mock: HttpMock, *args: Any, **kw: Any):
        super().__init__(*args, **kw)
        self.mock = mock
        self.over_cap = False
        self._busy = False
        self._last = False  # its last request was answered: the connection is on its way out
        self.eof = False  # the client shut its side (half-close) with a request in flight
        self._late = False  # the header timer was once extended for bytes the loop had not delivered yet
        self._request: web.Request | None = None
        self._received = 0
        self._timer: asyncio.TimerHandle | None = None
        self._peer = ""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        m = self.mock
        self._peer, self.over_cap = m._admit(self, transport)
        self._arm(m.over_cap_grace if self.over_cap else m.header_timeout)

    def live(self) -> bool:
        transport = self.transport
        return not self._last and transport is not None and not transport.is_closing()

    def connection_lost(self, exc: BaseException | None) -> None:
        self.mock._open.discard(self)
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._busy:
            if self._received == 0 and self._timer is None:
                # The first byte of a request after a keep-alive pause: its headers are due in header_timeout.
                # (A connection's first request runs on the timer armed when it connected.)
                self._arm(self.mock.header_timeout)
            self._received += len(data)
        super().data_received(data)

    def eof_received(self) -> bool | None:
        """The client shut its write side. With nothing in flight the connection closes (asyncio's default);
        with a request under way, the write side stays open so that its answer still reaches the client (a
        client that sends a body shorter than its Content-Length and shuts its side waits for that answer), and
        a body still incomplete fails at once instead of waiting for the body timeout."""
        if not (self._busy or self._received):
            return None
        self.eof = True
        for _msg, payload in self._messages:
            _fail_short(payload)
        if self._request is not None:
            _fail_short(self._request.content)
        return True

    def request_started(self, request: web.Request | None = None) -> None:
        self._busy, self._request = True, request
        self._disarm()
        if self.eof and request is not None:
            _fail_short(request.content)

    def request_done(self, last: bool = False) -> None:
        self._busy, self._received, self._last, self._request, self._late = False, 0, last, None, False

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = asyncio.get_running_loop().call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        self._timer = None
        transport = self.transport
        if self._busy or transport is None or transport.is_closing() or self._messages:
            return  # (a request whose headers are complete waits for its handler: no header timeout)
        if not self._late and _unread(transport):
            # Bytes wait in the socket that a loaded event loop has not delivered yet: its lateness is not the
            # client's. Once per request, the client gets another header timeout from now.
            self._late = True
            self._arm(self.mock.header_timeout)
            return
        if self._received:  # headers trickled in too slowly: a clear answer, journaled
            m = self.mock
            try:
                transport.write(m.refused("timeout", 408, {"timeout_s": m.header_timeout}, peer=self._peer,
                                          notes={"timeout": f"headers not complete within {m.header_timeout:g} s",
                                                 "received_bytes": self._received}))
            except Exception:  # noqa: BLE001 - not journaled, so not answered: just close
                pass
        transport.close()

    def handle_error(self, request: Any, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if status == 400 and isinstance(exc, HttpProcessingError):
            m = self.mock
            try:
                ex = Exchange(m.spec, m.clock.now(), peer=self._peer)
                m.begin(ex)
                ex.notes["parser"] = str(getattr(exc, "message", exc))[:300]
                body = m.failure("bad_request", 400, {})
                ex.status, ex.response_body, ex.outcome = 400, body, "bad_request"
                m.journal.record(ex)
                m.journal.flush()
            except Exception:  # noqa: BLE001 - not journaled: aiohttp's own refusal
                return super().handle_error(request, status, exc, message)
            resp = web.Response(status=400, body=m.encode(body), headers=_JSON_HEADERS)
            resp.force_close()
            return resp
        return super().handle_error(request, status, exc, message)


def _unread(transport: Any) -> int:
    """Bytes received by the kernel on the transport's socket and not yet read (0 when it cannot tell)."""
    try:
        import fcntl
        import termios
        from array import array

        buf = array("i", [0])
        fcntl.ioctl(transport.get_extra_info("socket").fileno(), termios.FIONREAD, buf)
        return buf[0]
    except Exception:  # noqa: BLE001 - not a socket, not Linux/Unix: no extension
        return 0


def _fail_short(payload: Any) -> None:
    """A body the client will not finish: reading it fails now; aiohttp need not linger on it."""
    if isinstance(payload, StreamReader) and not payload.is_eof():
        payload.set_exception(EOFError("the client shut its side before the body was complete"))
        payload.feed_eof()


class _GuardedServer(web.Server):
    def __init__(self, mock: HttpMock, *args: Any, **kw: Any):
        super().__init__(*args, **kw)
        self._mock = mock

    def __call__(self) -> RequestHandler:
        return GuardedHandler(self._mock, self, loop=self._loop, **self._kwargs)


class _GuardedRunner(web.AppRunner):
    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        mock = self._app[MOCK_KEY]
        app_handle = server.request_handler

        async def dispatch(request: web.Request) -> web.StreamResponse:
            # The mock's requests go straight to its pipeline (the application's router, middlewares and match
            # info are per-request work it does not use); the admin hook goes through the application.
            if request.path.startswith(ADMIN_PREFIX):
                return await app_handle(request)
            return await mock.handle(request)

        guarded = _GuardedServer(mock, dispatch, request_factory=server.request_factory,
                                 handler_cancellation=server.handler_cancellation, **server._kwargs)
        return guarded


def runner(app: web.Application) -> web.AppRunner:
    """The runner to serve `app` with: guarded connections when it is an HttpMock's application."""
    mock = app.get(MOCK_KEY)
    if mock is None:
        return web.AppRunner(app, access_log=None, handle_signals=False)
    # lingering_time: how long aiohttp keeps reading a body nobody will read (a refused or timed-out request)
    # before it closes the connection; its default (10 s) would hold a slot well past the answer.
    return _GuardedRunner(app, access_log=None, handle_signals=False, keepalive_timeout=mock.idle_timeout,
                          lingering_time=min(1.0, mock.body_timeout))

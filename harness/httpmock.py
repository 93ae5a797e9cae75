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
"""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from aiohttp import web

from harness.clock import Clock
from harness.faults import Fault, Faults
from harness.journal import Exchange, Journal

# Reasons the pipeline itself answers with the spec's failure answer (the journal's `outcome`).
REASONS = ("too_large", "fault_5xx", "method", "not_found", "internal_error")
ADMIN_PATH = "/__vconform/{op}"


@dataclass(frozen=True)
class Incoming:
    """What the handler sees of a request: no socket, headers case-insensitive as received."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    peer: str = ""


class HttpMock:
    """Routes, journal, faults and clock of one HTTP mock platform; subclass per spec."""

    spec = ""
    max_body = 1024 * 1024           # bytes; larger bodies get the failure answer "too_large" (HTTP 413)
    methods = ("POST",)              # others get "method" (HTTP 405)
    fault_kinds = ("delay", "drop", "http_5xx")  # faults the admin hook may arm; a spec adds its own

    def __init__(self, *, journal: Journal | None = None, clock: Clock | None = None):
        self.journal = journal or Journal(None)
        self.clock = clock or Clock()
        self.faults = Faults()
        self.routes = self._routes()

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

    def on_fault(self, fault: Fault, ex: Exchange) -> None:
        """A fault kind of the spec's own (not delay, drop or http_5xx) fired for this request."""

    def admin_ops(self) -> dict[str, Callable[[dict], None]]:
        """The spec's admin operations beyond fault, clock and state: name -> handler(args)."""
        return {}

    def snapshot(self) -> Any:
        """A JSON-able summary of the state, answered by every admin call."""
        return {}

    def encode(self, body: Any) -> bytes:
        return json.dumps(body, ensure_ascii=False).encode()

    # ---- the application ------------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.max_body)
        app.router.add_route("*", ADMIN_PATH, self.admin)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        t0 = time.perf_counter()
        ex = Exchange(self.spec, self.clock.now(), request.method, request.path, peer=request.remote or "",
                      headers=dict(request.headers))
        self.begin(ex)
        route = self.routes.get(request.path.rstrip("/") or "/")
        ex.interface = route[0] if route else ""
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._fail(ex, t0, "too_large", 413, {"limit": self.max_body})
        ex.request_body = raw.decode("utf-8", errors="replace")
        for fault in self.faults.take(ex.interface):
            ex.notes.setdefault("faults", []).append(fault.kind)
            if fault.kind == "delay":
                await asyncio.sleep(fault.value)
            elif fault.kind == "drop":
                ex.outcome = "fault_drop"
                ex.duration_ms = (time.perf_counter() - t0) * 1000
                self.journal.record(ex)
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError()
            elif fault.kind == "http_5xx":
                status = int(fault.value or 503)
                return self._fail(ex, t0, "fault_5xx", status, {})
            else:
                self.on_fault(fault, ex)
        if request.method not in self.methods:
            return self._fail(ex, t0, "method", 405, {"allowed": list(self.methods)})
        if route is None:
            return self._fail(ex, t0, "not_found", 404, {"path": request.path})
        incoming = Incoming(request.method, request.path, request.headers, raw, request.remote or "")
        try:
            body = self.respond(ex, route, incoming)
        except Exception as exc:  # noqa: BLE001 - input nobody foresaw still gets the spec's answer, journaled
            ex.notes["internal_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
            return self._fail(ex, t0, "internal_error", None, {"error": ex.notes["internal_error"]})
        return self._send(ex, t0, body, ex.outcome or "ok")

    def _fail(self, ex: Exchange, t0: float, reason: str, status: int | None, info: dict[str, Any]) -> web.Response:
        return self._send(ex, t0, self.failure(reason, status, info), reason, status)

    def _send(self, ex: Exchange, t0: float, body: Any, outcome: str, status: int | None = None) -> web.Response:
        """Journal, then answer."""
        if status is None:
            status = self.http_status(body)
        ex.status, ex.response_body, ex.outcome = status, body, outcome
        ex.duration_ms = (time.perf_counter() - t0) * 1000
        self.journal.record(ex)
        return web.Response(status=status, body=self.encode(body), content_type="application/json", charset="utf-8")

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

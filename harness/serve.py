"""Run an aiohttp application on loopback, in a background thread (suites) or in the foreground (CLI).

An HttpMock's application is served by its lean request path (harness.leanhttp: httptools, the connection guard's
timeouts and cap), with aiohttp's guarded protocol for admin connections; any other application by aiohttp."""
from __future__ import annotations

import asyncio
import gc
import os
import signal
import socket
import threading
from typing import Awaitable, Callable

from aiohttp import web

from harness.httpmock import ADMIN_PREFIX, MOCK_KEY, runner
from harness.mocklimits import BACKLOG


class PortInUse(OSError):
    """The requested port is taken: a harness error (exit 2), not a SUT failure."""


class BackgroundServer:
    """An aiohttp app served from its own thread and event loop; `url` is set once it accepts connections."""

    def __init__(self, app_factory: Callable[[], web.Application], host: str = "127.0.0.1", port: int = 0):
        self.app_factory, self.host, self.port = app_factory, host, port
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="vconform-mock", daemon=True)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._close: Callable[[], Awaitable[None]] | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._start())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self._close())
        self.loop.close()

    async def _start(self) -> None:
        sock = bind(self.host, self.port)
        self._close = await listen(self.app_factory(), sock)
        self.port = sock.getsockname()[1]

    def start(self) -> "BackgroundServer":
        self._thread.start()
        self._ready.wait(30)
        if self._error:
            raise self._error
        return self

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


async def listen(app: web.Application, sock: socket.socket) -> Callable[[], Awaitable[None]]:
    """Serve `app` on the listening socket; returns the coroutine function that stops it. An HttpMock's requests
    take the lean path (harness.leanhttp) unless VCONFORM_HTTP=aiohttp or its class overrides aiohttp's entry
    points; its admin connections go to aiohttp."""
    r = runner(app)
    await r.setup()
    mock = app.get(MOCK_KEY)
    if mock is None or os.environ.get("VCONFORM_HTTP") == "aiohttp" or not _lean(mock):
        await web.SockSite(r, sock, backlog=BACKLOG).start()
        return r.cleanup
    from harness.leanhttp import LeanConnection

    handover, prefix = r.server, ADMIN_PREFIX.encode()
    server = await asyncio.get_running_loop().create_server(lambda: LeanConnection(mock, handover, prefix),
                                                            sock=sock, backlog=BACKLOG)

    async def close() -> None:
        server.close()
        for conn in list(mock._open):
            if isinstance(conn, LeanConnection) and conn.transport is not None:
                conn.transport.close()
        await r.cleanup()
    return close


def _lean(mock) -> bool:
    """Whether the lean path serves this mock: not when its class overrides aiohttp's entry points (a catalog's
    broken platform that wraps `handle`, e.g. to race requests across an await), which only aiohttp calls."""
    from harness.httpmock import HttpMock

    cls = type(mock)
    return all(getattr(cls, name) is getattr(HttpMock, name) for name in ("handle", "_handle", "_send"))


def bind(host: str, port: int, backlog: int = BACKLOG) -> socket.socket:
    """Bind a listening socket, turning 'address in use' into PortInUse."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(backlog)
    return sock


class AppMock:
    """Gives an aiohttp application the `start`/`close` shape every foreground mock has."""

    def __init__(self, app: web.Application):
        self.app, self._close = app, None

    async def start(self, host: str, port: int) -> int:
        sock = bind(host, port)
        self._close = await listen(self.app, sock)
        return sock.getsockname()[1]

    async def close(self) -> None:
        await self._close()


def serve_forever(app: web.Application, host: str, port: int, scheme: str = "http",
                  on_stop: Callable[[], None] | None = None, stop_after: float | None = None) -> int:
    """Foreground: print `listening on ...` once accepting, run until SIGINT/SIGTERM (or `stop_after` seconds),
    then clean up."""
    return serve_mock_forever(AppMock(app), host, port, scheme, on_stop, stop_after)


def serve_mock_forever(mock, host: str, port: int, scheme: str = "tcp",
                       on_stop: Callable[[], None] | None = None, stop_after: float | None = None) -> int:
    """Foreground for a mock exposing `async start(host, port) -> port` and `async close()`."""

    async def main() -> None:
        try:
            real = await mock.start(host, port)
        except PortInUse:
            raise
        except OSError as exc:
            raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        for sig, hook in (getattr(mock, "signal_hooks", dict)()).items():  # a mock's own test hooks, e.g. SIGUSR1
            loop.add_signal_handler(sig, hook)
        # Everything built so far (tables, schemas, keys, the application) lives as long as the process: out of
        # the collector's generations, so that collections during the load stay short (p99 latency).
        gc.freeze()
        print(f"listening on {scheme}://{host}:{real}", flush=True)
        try:
            await asyncio.wait_for(stop.wait(), stop_after)
        except asyncio.TimeoutError:
            pass  # the observe window ended
        await mock.close()

    run_loop(main())
    if on_stop:
        on_stop()
    return 0


def run_loop(coro) -> None:
    """asyncio.run, on uvloop where it is installed (a dependency on Linux): the same protocol semantics, a
    faster event loop and transports for every mock `vconform mock` serves."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(coro)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as r:
        r.run(coro)

"""Run asyncio TCP mocks (objects with `async start(host, port) -> port` / `async close()`) from sync code."""
from __future__ import annotations

import asyncio
import threading
from typing import Any, Awaitable, Callable, TypeVar

T = TypeVar("T")


class LoopThread:
    """An asyncio event loop in a daemon thread; `call()` runs a coroutine there and waits for its result."""

    def __init__(self, name: str = "vconform-loop"):
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        # Let cancelled tasks finish their cleanup before the loop goes away.
        pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for t in pending:
            t.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()

    def call(self, coro: Awaitable[T], timeout: float | None = 60.0) -> T:
        """Run `coro` on the loop thread; raises what it raises (TimeoutError after `timeout` seconds)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        self.loop.call_soon_threadsafe(fn, *args)

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)


class BackgroundMock:
    """A TCP mock served from its own loop thread: `with BackgroundMock(mock) as bg: bg.port`."""

    def __init__(self, mock: Any, host: str = "127.0.0.1", port: int = 0, *, name: str = "vconform-mock"):
        self.mock, self.host, self.port = mock, host, port
        self.runner = LoopThread(name)

    def start(self) -> "BackgroundMock":
        try:
            self.port = self.runner.call(self.mock.start(self.host, self.port), 30)
        except BaseException:
            self.runner.stop()
            raise
        return self

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    def call(self, coro: Awaitable[T], timeout: float | None = 60.0) -> T:
        return self.runner.call(coro, timeout)

    def stop(self) -> None:
        try:
            self.runner.call(self.mock.close(), 30)
        finally:
            self.runner.stop()

    def __enter__(self) -> "BackgroundMock":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

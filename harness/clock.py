"""Injectable clocks, so token expiry and heartbeat windows are tested without waiting."""
from __future__ import annotations

import threading
import time


class Clock:
    """Wall clock plus an offset the suites can advance (`advance(7201)` expires a 7200 s token)."""

    def __init__(self, offset: float = 0.0):
        self._offset = offset
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    @property
    def offset(self) -> float:
        return self._offset


class FixedClock(Clock):
    """A clock that only moves when told to."""

    def __init__(self, start: float = 1_750_000_000.0):
        super().__init__()
        self._t = start

    def now(self) -> float:
        return self._t

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._t += seconds

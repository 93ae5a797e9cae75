"""Faults a suite can switch on in a mock: expire tokens, answer 5xx, delay, drop the connection."""
from __future__ import annotations

import threading
from dataclasses import dataclass

FAULT_KINDS = ("expire_token", "http_5xx", "delay", "drop")


@dataclass
class Fault:
    kind: str
    remaining: int = 1          # how many matching requests it applies to
    interface: str | None = None  # only this interface, or any
    value: float = 0.0          # delay seconds, or HTTP status for http_5xx


class Faults:
    """A queue of armed faults; each request takes the ones that match it."""

    def __init__(self) -> None:
        self._armed: list[Fault] = []
        self._lock = threading.Lock()

    def arm(self, kind: str, *, times: int = 1, interface: str | None = None, value: float = 0.0) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; known: {', '.join(FAULT_KINDS)}")
        if times < 1:
            raise ValueError("times must be >= 1")
        f = Fault(kind, times, interface, value)
        with self._lock:
            self._armed.append(f)
        return f

    def take(self, interface: str) -> list[Fault]:
        """The faults that fire for this request (each use counts down)."""
        fired = []
        with self._lock:
            for f in list(self._armed):
                if f.interface in (None, interface):
                    fired.append(Fault(f.kind, 1, f.interface, f.value))
                    f.remaining -= 1
                    if f.remaining <= 0:
                        self._armed.remove(f)
        return fired

    def __bool__(self) -> bool:
        """Any fault armed (a request's pipeline skips take() when none is)."""
        return bool(self._armed)

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def pending(self) -> list[dict]:
        with self._lock:
            return [f.__dict__.copy() for f in self._armed]

"""Bounded state for the mocks: whatever a peer sends, a mock keeps the newest entries of what grows with traffic
(the journal keeps every exchange on disk)."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Hashable


def put_newest(d: OrderedDict, key: Hashable, value: Any, limit: int, dropped: dict[str, int] | None = None,
               what: str = "") -> tuple[Hashable, Any] | None:
    """`d[key] = value` in an OrderedDict that holds at most `limit` keys: a new key beyond it lets the oldest go
    (counted in `dropped[what]`; its (key, value) returned, for what refers to it); a key set again keeps its place."""
    d[key] = value
    if len(d) > limit:
        old = d.popitem(last=False)
        if dropped is not None:
            dropped[what] = dropped.get(what, 0) + 1
        return old
    return None

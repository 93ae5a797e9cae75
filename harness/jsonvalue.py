"""JSON values compared as JSON, not as Python types (RFC 8259 §6: JSON has one number type).

A Java, Go or JavaScript client writes the number 141.0 as `141`; Python writes `141.0`. Both are the same JSON
number, and `true` is not the number 1. Every check that compares what was sent with what was given uses this."""
from __future__ import annotations

from typing import Any


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def json_equal(a: Any, b: Any) -> bool:
    """True when `a` and `b` are the same JSON value: numbers by value, objects regardless of member order."""
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if type(a) is not type(b) and not (isinstance(a, str) and isinstance(b, str)):
        return False
    return a == b

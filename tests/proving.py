"""Unit cases that prove a check can fail: `@pytest.mark.proves("check.id")` plus `assert_fails("check.id", ...)`.

tests/conftest.py fails a marked test that never called `assert_fails` for every id its mark names, so a unit
case that asserts nothing cannot count as coverage; tests/test_every_spec.py reads the marks to measure it.
"""
from __future__ import annotations

from typing import Any, Iterable

from harness import checks

_proven: set[str] | None = None


def start() -> None:
    global _proven
    _proven = set()


def stop() -> set[str]:
    global _proven
    got, _proven = _proven or set(), None
    return got


def assert_fails(check_id: str, found: checks.CheckResult | Iterable[checks.Problem] | None) -> checks.CheckResult:
    """Judge `found` (the problems a check produced, or its result) as the run does and assert a failure."""
    result = found if isinstance(found, checks.CheckResult) else checks.evaluate(check_id, found)
    assert result.id == check_id, f"result of {result.id}, {check_id} expected"
    assert result.verdict == "fail", f"{check_id}: {result.verdict} ({result.message}), fail expected"
    if _proven is not None:
        _proven.add(check_id)
    return result


def assert_passes(check_id: str, found: Any) -> checks.CheckResult:
    """The control: the same judgement on good input passes (a check failing everything proves nothing)."""
    result = found if isinstance(found, checks.CheckResult) else checks.evaluate(check_id, found)
    assert result.verdict == "pass", f"{check_id}: {result.verdict} ({result.message}), pass expected"
    return result

"""The check registry: verdicts from problems, and no declared check that silently passes."""
from __future__ import annotations

import pytest

from harness import checks


def test_declared_check_cannot_be_run_as_a_stand_in_pass():
    checks.declare("test.declared", "spec §1", "major", "声明", "Declared")
    with pytest.raises(TypeError):
        checks.run_check("test.declared")
    assert checks.evaluate("test.declared", [checks.fail("bad")]).verdict == "fail"
    assert checks.evaluate("test.declared", [checks.warn("alt", "E-1")]).verdict == "warn"
    assert checks.evaluate("test.declared", []).verdict == "pass"


def test_redeclaring_with_another_clause_is_refused():
    checks.declare("test.twice", "spec §1", "major", "a", "a")
    with pytest.raises(ValueError):
        checks.declare("test.twice", "spec §2", "major", "a", "a")

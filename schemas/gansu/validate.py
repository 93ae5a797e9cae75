"""Validate gansu bodies (with IPCType.value decoded) and answers: harness.validation bound to Gansu's tables."""
from __future__ import annotations

from pathlib import Path

from harness.schemagen import load
from harness.validation import KINDS, Validator, Violation, to_problems

from .rules import RULES

__all__ = ["KINDS", "Violation", "VALIDATOR", "validate", "to_problems"]

SPEC = "gansu"
VALIDATOR = Validator(lambda: load(SPEC), Path(__file__).resolve().parent / "generated", RULES)
validate = VALIDATOR.validate

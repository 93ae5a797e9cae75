"""Validate yunnan plaintext requests and decrypted answers: harness.validation bound to Yunnan's tables and rules."""
from __future__ import annotations

from pathlib import Path

from harness.schemagen import load
from harness.validation import KINDS, Validator, Violation, to_problems

from .rules import RULES

__all__ = ["KINDS", "Violation", "VALIDATOR", "validate", "to_problems", "default_profile"]

SPEC = "yunnan"
VALIDATOR = Validator(lambda: load(SPEC), Path(__file__).resolve().parent / "generated", RULES)
validate = VALIDATOR.validate
default_profile = VALIDATOR.default_profile

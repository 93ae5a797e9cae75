"""Validate the provincial platform's requests and answers (henan §4.2): harness.validation bound to Henan's
tables and the province rules; the profile is visible to the rules that read an errata switch."""
from __future__ import annotations

from pathlib import Path

from harness.schemagen import load
from harness.validation import KINDS, Validator, Violation, to_problems

from .province_rules import PROFILE, RULES

__all__ = ["KINDS", "Violation", "VALIDATOR", "validate", "to_problems"]

SPEC = "henan"
VALIDATOR = Validator(lambda: load(SPEC), Path(__file__).resolve().parent / "generated", RULES)


def validate(interface: str, direction: str, obj, *, profile: dict | None = None) -> list[Violation]:
    token = PROFILE.set(profile or {})
    try:
        out = VALIDATOR.validate(interface, direction, obj, profile=profile)
    finally:
        PROFILE.reset(token)
    if direction == "response" and interface == "GetGateInfo" and (profile or {}).get("gate_info_rows") == "rows":
        out += _gate_info_rows(obj)
    return out


def _gate_info_rows(obj) -> list[Violation]:
    """E-HN-43 under the rows' reading: gateMaintainCompany at most 32 characters."""
    out = []
    for i, item in enumerate(obj.get("data") or [] if isinstance(obj, dict) else []):
        value = item.get("gateMaintainCompany") if isinstance(item, dict) else None
        if isinstance(value, str) and len(value) > 32:
            out.append(Violation(f"$.data[{i}].gateMaintainCompany", "gateMaintainCompany", "length",
                                 f"received {len(value)} characters, the §4.2.8 row prints 32 (E-HN-43, profile rows)",
                                 "fail", "E-HN-43", "henan §4.2.8"))
    return out

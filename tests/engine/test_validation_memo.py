"""Validation's per-schema and per-field memos (harness/validation.py: `_walk` per schema path, `requires` per field
definition and kind, a required field under its other spelling) change no finding: a validator whose memos were
filled by other objects and profiles lists what a fresh one lists for the same object when it takes its errors from
pure-Python jsonschema (no schema-path memo). bench/validation_corpus.py
compares every finding of a larger corpus with another source tree."""
from __future__ import annotations

import orjson
import pytest

from bench.invalid_bodies import invalid_bodies
from harness.validation import Validator
from schemas.henan.validate import VALIDATOR as HENAN
from schemas.yunnan.datagen import YunnanData
from schemas.yunnan.validate import VALIDATOR as YUNNAN


def _fresh(v: Validator, python_errors: bool = False) -> Validator:
    fresh = Validator(v.tables, v.generated, v.rules, v._checksums)
    fresh.python_errors = python_errors
    return fresh


def _cases(v: Validator) -> list[tuple[str, str, dict]]:
    out = [("init-auth", "request", orjson.loads(b)) for b in invalid_bodies()[:10]] if v is YUNNAN else []
    if v is YUNNAN:
        d = YunnanData(5)
        for interface in ("cameraInfo", "vehicleInfo", "vehicleAccess", "enterprise"):
            obj = d.sample(interface, "request")
            broken = {k: (7 if i % 2 else None) for i, k in enumerate(obj)}
            out += [(interface, "request", obj), (interface, "request", broken), (interface, "request", {})]
    else:
        for interface in list(v.tables.interfaces)[:8]:
            names = list(v.field_defs(interface, "request"))
            out += [(interface, "request", {}), (interface, "request", {n: [1] for n in names}),
                    (interface, "request", {n: "" for n in names[::2]})]
    return out


def _profiles(v: Validator) -> list[dict | None]:
    out: list[dict | None] = [None, {"strict": True}]
    out += [{e["switch"]: e["accept"]} for e in v.tables.meta.get("errata_switches", {}).values() if "accept" in e]
    return out


@pytest.mark.parametrize("validator", [YUNNAN, HENAN], ids=["yunnan", "henan"])
def test_memos_change_no_finding(validator):
    warm = _fresh(validator)
    cases, profiles = _cases(validator), _profiles(validator)
    assert cases and len(profiles) > 2
    for prof in profiles:  # every memo filled first, under every profile
        for interface, direction, obj in cases:
            warm.validate(interface, direction, obj, profile=prof)
    found_any = False
    for prof in reversed(profiles):
        for interface, direction, obj in reversed(cases):
            got = [x.__dict__ for x in warm.validate(interface, direction, obj, profile=prof)]
            want = [x.__dict__ for x in _fresh(validator, True).validate(interface, direction, obj, profile=prof)]
            assert got == want, (interface, obj, prof)
            found_any = found_any or bool(want)
    assert found_any

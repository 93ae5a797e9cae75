"""An invalid body's errors are listed by jsonschema-rs (issue 10, validation fast path): the findings must be the
very ones the pure-Python jsonschema listing gives (same paths, kinds, levels, errata and words)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.yunnan.datagen import YunnanData
from schemas.yunnan.validate import VALIDATOR

GENERATED = Path(__file__).resolve().parents[3] / "schemas" / "yunnan" / "generated"
EXAMPLES = int(os.environ.get("LISTING_EXAMPLES", 25))  # more for a deeper search
CASES = sorted(tuple(p.name.split(".")[:2]) for p in GENERATED.glob("*.schema.json"))
ODD = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**12), st.floats(allow_nan=False),
                st.text(max_size=30), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
                st.sampled_from(["", "A", "A01", "20220620", "2022-06-20", "2023-02-30 08:30:45", "粤A12345", "9", "x" * 300]))


def _listing(interface, direction, obj, python: bool):
    VALIDATOR.python_errors = python
    try:
        return [v.__dict__ for v in VALIDATOR.validate(interface, direction, obj)]
    finally:
        VALIDATOR.python_errors = False


def _mutate(data, obj):
    """Break some fields of obj (and of its records): wrong values, missing, unknown, items that are not objects."""
    for _ in range(data.draw(st.integers(1, 6))):
        target = obj
        recs = [k for k, v in obj.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
        if recs and data.draw(st.booleans()):
            items = obj[data.draw(st.sampled_from(recs))]
            i = data.draw(st.integers(0, len(items) - 1))
            if data.draw(st.integers(0, 5)) == 0:
                items[i] = data.draw(ODD)
                continue
            target = items[i]
        if not isinstance(target, dict) or not target:
            continue
        key = data.draw(st.sampled_from(sorted(target)))
        how = data.draw(st.integers(0, 3))
        if how == 0:
            del target[key]
        elif how == 3:
            target["unknown_" + key] = 1
        else:
            target[key] = data.draw(ODD)


@pytest.mark.parametrize("interface,direction", CASES)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), data=st.data())
def test_jsonschema_rs_lists_the_findings_the_detailed_validator_lists(interface, direction, seed, data):
    if VALIDATOR.fast_validator(interface, direction) is None:
        pytest.skip("jsonschema-rs not installed: only the detailed validator lists errors")
    obj = YunnanData(seed).sample(interface, direction)
    if isinstance(obj, dict):
        _mutate(data, obj)
    fast, detailed = _listing(interface, direction, obj, False), _listing(interface, direction, obj, True)
    assert fast == detailed, json.dumps(obj, ensure_ascii=False, default=str)[:600]


def test_an_invalid_body_is_listed_by_jsonschema_rs_not_the_detailed_validator(monkeypatch):
    """The detailed (pure-Python) validator is not even built for an invalid body when jsonschema-rs is there."""
    if VALIDATOR.fast_validator("vehicleInfo", "request") is None:
        pytest.skip("jsonschema-rs not installed")

    def refuse(*a, **k):
        raise AssertionError("the pure-Python validator ran")

    monkeypatch.setattr(VALIDATOR, "validator", refuse)
    found = VALIDATOR.validate("vehicleInfo", "request", {"enterpriseId": 5, "licensePlate": ""})
    kinds = {(v.field, v.kind) for v in found if v.level == "fail"}
    assert ("enterpriseId", "type") in kinds and ("licensePlate", "required") in kinds
    assert any(v.kind == "required" and v.field == "vin" for v in found)


@pytest.mark.parametrize("value", [float("inf"), float("-inf")])
def test_a_number_that_is_not_finite_is_a_type_error_in_both_listings(value):
    """The mock's stdlib fallback reads `Infinity`, which RFC 8259 has no room for: both listings call it a type error
    (the detailed one used to pass it, so an invalid body could be listed with no finding)."""
    if VALIDATOR.fast_validator("vehicleAccess", "request") is None:
        pytest.skip("jsonschema-rs not installed")
    obj = YunnanData(1).sample("vehicleAccess", "request")
    obj["cargoWeight"] = value
    fast, detailed = _listing("vehicleAccess", "request", obj, False), _listing("vehicleAccess", "request", obj, True)
    assert fast == detailed
    assert [(v["field"], v["kind"], v["level"]) for v in detailed] == [("cargoWeight", "type", "fail")]

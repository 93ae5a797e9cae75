"""The jsonschema-rs fast path must agree with the detailed jsonschema pass: it may only skip work, never verdicts."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.yunnan.datagen import YunnanData
from schemas.yunnan.validate import VALIDATOR

GENERATED = Path(__file__).resolve().parents[3] / "schemas" / "yunnan" / "generated"
INTERFACES = sorted(p.name.split(".")[0] for p in GENERATED.glob("*.request.schema.json"))
ODD_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**12), st.floats(allow_nan=False),
                       st.text(max_size=30), st.sampled_from(["", "A", "A01", "A001", "20220620", "2022-06-20",
                                                               "2023-10-20 08:30:45", "粤A12345", "9", "0"]))


@pytest.mark.parametrize("interface", INTERFACES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), data=st.data())
def test_fast_and_detailed_validators_agree(interface, seed, data):
    fast = VALIDATOR.fast_validator(interface, "request")
    if fast is None:
        pytest.skip("jsonschema-rs not installed: only the detailed validator runs")
    obj = YunnanData(seed).sample(interface, "request")
    if obj and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(obj)))
        if data.draw(st.booleans()):
            obj[key] = data.draw(ODD_VALUES)
        else:
            del obj[key]
    detailed = not any(True for _ in VALIDATOR.validator(interface, "request").iter_errors(obj))
    assert fast.is_valid(obj) == detailed, json.dumps(obj, ensure_ascii=False)[:500]

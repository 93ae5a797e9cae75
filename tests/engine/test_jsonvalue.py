"""Every JSON-equal encoding of what was given is judged the same: number forms, member order, \\u escapes,
optional whitespace, UTF-8 or escaped Chinese, an escaped solidus (RFC 8259 §6, §7, §8)."""
from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.jsonvalue import json_equal
from proving import assert_fails, assert_passes
from suites.yunnan import checks as C

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                    st.floats(allow_nan=False, allow_infinity=False, width=64),
                    st.integers(-10**6, 10**6).map(float),  # whole-number floats: 141.0, which JS writes 141
                    st.text(alphabet=st.sampled_from("粤云A1/\\\"é 📦\t-"), max_size=12))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.text(max_size=6), inner, max_size=4)),
                      max_leaves=12)


def reencode(value, how: random.Random) -> str:
    """The same JSON value as another writer (JavaScript, Go, Java) might put it on the wire."""
    def numbers(v):
        if isinstance(v, float) and v.is_integer() and abs(v) < 2**53 and how.random() < 0.7:
            return int(v)  # JavaScript's JSON.stringify(141.0) is "141"
        if isinstance(v, dict):
            items = list(v.items())
            how.shuffle(items)  # member order carries no meaning (RFC 8259 §4)
            return {k: numbers(x) for k, x in items}
        if isinstance(v, list):
            return [numbers(x) for x in v]
        return v
    text = json.dumps(numbers(value), ensure_ascii=how.random() < 0.5,
                      separators=how.choice([(",", ":"), (", ", ": "), (" ,", " : ")]),
                      indent=how.choice([None, None, 2]))
    if how.random() < 0.5:
        text = text.replace("/", "\\/")  # an escaped solidus is the same string (RFC 8259 §7)
    return text


@settings(max_examples=300, deadline=None)
@given(value=VALUES, seed=st.integers(0, 2**32))
def test_reencoded_json_is_the_same_value(value, seed):
    wire = json.loads(reencode(value, random.Random(seed)))
    assert json_equal(value, wire)


@settings(max_examples=200, deadline=None)
@given(params=st.dictionaries(st.sampled_from(["cargoWeight", "longitude", "enterpriseName", "gateId", "records"]),
                              VALUES, min_size=1), seed=st.integers(0, 2**32))
def test_params_arrive_intact_in_any_json_equal_encoding(params, seed):
    sent = json.loads(reencode(params, random.Random(seed)))
    assert C.params_intact(sent, params, {}) == []


@pytest.mark.proves("yunnan.payload.params_intact")
def test_a_changed_value_is_still_caught():
    assert_passes("yunnan.payload.params_intact", C.params_intact({"cargoWeight": 141}, {"cargoWeight": 141.0}, {}))
    assert_fails("yunnan.payload.params_intact", C.params_intact({"cargoWeight": 141.5}, {"cargoWeight": 141.0}, {}))
    assert_fails("yunnan.payload.params_intact", C.params_intact({"cargoWeight": "141"}, {"cargoWeight": 141.0}, {}))
    assert_fails("yunnan.payload.params_intact", C.params_intact({"flag": 1}, {"flag": True}, {}))
    assert not json_equal({"a": [1, 2]}, {"a": [2, 1]}) and json_equal({"a": 1, "b": 2}, {"b": 2, "a": 1.0})

"""The signer's RFC 8785 writer (stdlib C encoder, floats set aside) gives exactly rfc8785's bytes, and leaves the
model as it found it."""
from __future__ import annotations

import copy
import math

import pytest
import rfc8785
from hypothesis import given, settings, strategies as st

from harness.report.sign import jcs_dumps

KEYS = st.text(alphabet=st.characters(codec="utf-8"), max_size=6)  # control characters, non-BMP, U+E000..U+FFFF
FLOATS = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [0.0, -0.0, 3.0, -3.0, 0.25, -2.5, 0.0001, 123.456, 1e15 + 0.5, 1e-7, 1e-6, 1.5e-5, 1e16, 1e20, 1e21, 1e22,
     123456789012345680.0, 5e-324, 1.7976931348623157e308])
SCALARS = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | FLOATS | st.text(
    alphabet=st.characters(codec="utf-8"), max_size=12)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(KEYS, inner, max_size=5),
                      max_leaves=40)


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_same_bytes_as_rfc8785(value):
    before = copy.deepcopy(value)
    assert jcs_dumps(value) == rfc8785.dumps(value)
    assert repr(value) == repr(before)  # floats put back, nothing left changed


@pytest.mark.parametrize("bad", [{"a": 2**60}, {"a": [math.nan]}, {"a": math.inf}, 2**64])
def test_what_rfc8785_refuses_is_refused(bad):
    with pytest.raises(Exception):
        rfc8785.dumps(bad)
    with pytest.raises(Exception):
        jcs_dumps(bad)


def test_keys_beyond_the_bmp_ordered_by_utf16():
    value = {"\U0001f600": 1, "\ufb01": 2, "a": 3.0}
    assert jcs_dumps(value) == rfc8785.dumps(value)

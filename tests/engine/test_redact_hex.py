"""The automaton that leaves the hex forms of the secrets' bytes out (and finds them by decoding each run of hex
digits) masks exactly what one automaton, or the trie-shaped regular expression, of every encoding masks."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from harness.report import redact as R

pytestmark = pytest.mark.skipif(R._ahocorasick is None, reason="ahocorasick-rs is not installed")

SECRET = st.text(alphabet="0123456789abcdefABCDEF-x=é", min_size=4, max_size=20)
NOISE = st.text(alphabet="0123456789abcdefABCDEFx", max_size=5)


@settings(max_examples=300, deadline=None)
@given(st.lists(SECRET, min_size=1, max_size=4, unique=True), st.data())
def test_hex_forms_found_by_decoding_mask_what_every_literal_masks(secrets, data):
    words = {e for s in secrets for e in R.encodings(s)}
    pieces = st.one_of(st.sampled_from(sorted(words)), NOISE,
                       st.sampled_from(sorted(words)).map(lambda w: w[:len(w) // 2].upper() + w[len(w) // 2:]))
    text = "".join(data.draw(st.lists(pieces, max_size=8)))
    split = R._Literals.of_secrets(secrets)
    assert split.sub("*", text) == R._Literals(words).sub("*", text)
    assert split.sub("*", text) == re.compile(R.literal_alternation(words)).sub("*", text)


def test_hex_of_a_secret_is_masked_at_either_alignment_and_only_in_one_case():
    secret = "s3cr3t-value-1"
    lower = secret.encode().hex()
    lit = R._Literals.of_secrets([secret])
    assert lit.sub("*", f"x{lower}y 0{lower.upper()}") == "x*y 0*"
    mixed = lower.replace("d", "D", 1)
    assert lit.sub("*", mixed) == mixed  # not one of its encodings: as the full automaton leaves it
    assert (0, len(lower)) not in lit._matches(lower)  # the hex forms are not words of the automaton

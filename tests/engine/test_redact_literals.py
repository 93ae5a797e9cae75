"""Redaction's one-pass literal search (Aho-Corasick) masks exactly what the trie-shaped regular expression masks
(leftmost match, longest there), and in-place redaction gives the same report as the copying one."""
from __future__ import annotations

import copy
import re

from hypothesis import given, settings, strategies as st

from harness.report import redact as R

ALPHA = "ab-c="
WORDS = st.lists(st.text(alphabet=ALPHA, min_size=1, max_size=6), min_size=1, max_size=8, unique=True)


@settings(max_examples=400, deadline=None)
@given(WORDS, st.text(alphabet=ALPHA + "x", max_size=60))
def test_same_masks_as_the_trie_regex(words, text):
    assert R._Literals(words).sub("*", text) == re.compile(R.literal_alternation(words)).sub("*", text)


def test_in_place_equals_copy():
    model = {"exchanges": [{"headers": {"Authorization": "Bearer abcdefgh12345678"},
                            "request_body": '{"apiSecret": "s3cr3t-value-1", "x": 1}',
                            "note": "sent s3cr3t-value-1 and abcdefgh12345678", "n": [1, 2.5, None, True],
                            "t": ("tuple", "s3cr3t-value-1")}],
             "checks": [{"message": "apiSecret=s3cr3t-value-1 --password hunter22"}]}
    original = copy.deepcopy(model)
    copied = R.Redactor(["registered-secret"]).redact(model)
    assert model == original
    same = R.Redactor(["registered-secret"]).redact(model, in_place=True)
    assert same is model and same == copied
    assert "s3cr3t-value-1" not in repr(same) and "abcdefgh12345678" not in repr(same)

"""Redaction's automaton (ahocorasick-rs, leftmost-longest, searched as bytes) masks exactly what the matcher before it
did (pyahocorasick, every match listed and the leftmost-longest chosen in Python: bench/redact_matcher.py's
`PyLiterals`), on random secrets and texts made of their encodings: non-ASCII text, lone surrogates, hex forms that
overlap the automaton's own matches."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from harness.report import redact as R

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from redact_matcher import PyLiterals  # noqa: E402

pytestmark = pytest.mark.skipif(R._ahocorasick is None, reason="ahocorasick-rs is not installed")
try:
    import ahocorasick  # noqa: F401  (the old matcher, the reference)
    OLD = True
except ImportError:  # pragma: no cover - in the test extra
    OLD = False
needs_old = pytest.mark.skipif(not OLD, reason="pyahocorasick (the reference matcher) is not installed")

# Secrets that are hex, base64-looking, plain, non-ASCII, or hold a lone surrogate (JSON's "\ud800" parsed).
SECRET = st.one_of(
    st.text(alphabet="0123456789abcdefABCDEF", min_size=4, max_size=24),
    st.text(alphabet="ab+/=-_01", min_size=4, max_size=24),
    st.text(alphabet="xyz-é云\ud800\udfff😀", min_size=4, max_size=10),
)
NOISE = st.text(alphabet="0123456789abcdefABxyz=é\ud800-", max_size=6)


def _pieces(words: list[str]):
    return st.one_of(
        st.sampled_from(words), NOISE,
        st.sampled_from(words).map(lambda w: w[:len(w) // 2]),  # a secret cut short
        st.sampled_from(words).map(lambda w: w[len(w) // 2:]),
        st.sampled_from(words).map(lambda w: w[:len(w) // 2].upper() + w[len(w) // 2:]))


@needs_old
@settings(max_examples=400, deadline=None)
@given(st.lists(SECRET, min_size=1, max_size=5, unique=True), st.data())
def test_same_masks_as_the_old_matcher(secrets, data):
    forms = {e for s in secrets for e in R.encodings(s)}
    hexes = sorted(b.hex() for s in secrets for b in R._forms(s)[1])
    text = "".join(data.draw(st.lists(_pieces(sorted(forms) + hexes), max_size=10)))
    new, old = R._Literals.of_secrets(secrets), PyLiterals.of_secrets(secrets)
    assert new.sub("*", text) == old.sub("*", text)
    assert new.sub("*", text) == re.compile(R.literal_alternation(forms)).sub("*", text)


@needs_old
@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="ab-é\ud800", min_size=1, max_size=6), min_size=1, max_size=8, unique=True),
       st.text(alphabet="ab-é\ud800x", max_size=60))
def test_plain_literals_same_as_the_old_matcher(words, text):
    assert R._Literals(words).sub("*", text) == PyLiterals(words).sub("*", text)


def test_a_hex_match_hiding_the_automatons_next_match_is_searched_again_after_it():
    # The automaton's leftmost-longest matches are "39zzzz" (18-24) only: it hides "zzz1" (21-25). The hex form of
    # the first secret's bytes (0-20) is chosen first, so the search resumes at 20 and finds "zzz1", as the old
    # matcher, which listed every match, did.
    lit = R._Literals.of_secrets(["0123456789", "39zzzz", "zzz1"])
    assert lit._matches("30313233343536373839zzzz1") == [(18, 24)]
    assert lit.sub("*", "30313233343536373839zzzz1") == "*z*"


def test_texts_with_lone_surrogates_and_non_ascii_are_masked_at_the_right_places():
    text = 'x\ud800 s3cret-value-1 é云 "s3cret-value-1" \udfff'
    assert R.redact_text(text, ["s3cret-value-1"]) == 'x\ud800 *** é云 "***" \udfff'
    assert R.redact_text("a\ud800bcd-é" * 2, ["\ud800bcd-é"]) == "a***a***"


def test_a_secret_holding_a_lone_surrogate_is_masked_where_it_used_to_stop_the_report():
    # Its UTF-8 has no form: the encodings take its "surrogatepass" bytes (it raised UnicodeEncodeError before).
    out = R.Redactor().redact({"apiSecret": "\ud800abcdefgh", "note": "x \ud800abcdefgh y", "h": "%ED%A0%80abcdefgh"})
    assert out == {"apiSecret": "***", "note": "x *** y", "h": "***"}

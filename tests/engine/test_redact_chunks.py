"""The secrets' literals held in several automata of at most CHUNK words (the build's transient bounded) mask exactly
what one automaton of them all, and the trie-shaped regular expression, mask: the leftmost match of any automaton,
the longest there, then on after it. CHUNK and WINDOW are made tiny here, so that words sharing a prefix, one inside
another or overlapping land in different automata and hide each other's matches."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from harness.report import redact as R
from tests.engine.test_redact_matcher import SECRET, _pieces  # secrets of every shape, texts made of their forms

pytestmark = pytest.mark.skipif(R._ahocorasick is None, reason="ahocorasick-rs is not installed")

ALPHA = "ab-é\ud800"
WORDS = st.lists(st.text(alphabet=ALPHA, min_size=1, max_size=6), min_size=1, max_size=10, unique=True)


def _chunked(monkeypatch: pytest.MonkeyPatch, chunk: int, window: int) -> None:
    monkeypatch.setattr(R, "CHUNK", chunk)
    monkeypatch.setattr(R, "WINDOW", window)


def _one_automaton(build):
    """`build()` with every literal in one automaton (CHUNK larger than any test's set)."""
    chunk, window = R.CHUNK, R.WINDOW
    R.CHUNK, R.WINDOW = 10 ** 9, 256
    try:
        return build()
    finally:
        R.CHUNK, R.WINDOW = chunk, window


@settings(max_examples=400, deadline=None)
@given(WORDS, st.data(), st.integers(1, 3), st.integers(1, 4))
def test_chunked_words_mask_as_one_automaton_and_the_regex(words, data, chunk, window):
    pieces = st.one_of(st.sampled_from(words), st.text(alphabet=ALPHA + "x", max_size=4))
    text = "".join(data.draw(st.lists(pieces, max_size=12)))
    with pytest.MonkeyPatch.context() as mp:
        _chunked(mp, chunk, window)
        chunked = R._Literals(words)
        assert len(chunked._autos) == -(-len(words) // chunk)
        got = chunked.sub("*", text)
    assert got == _one_automaton(lambda: R._Literals(words)).sub("*", text)
    assert got == re.compile(R.literal_alternation(words)).sub("*", text)


@settings(max_examples=300, deadline=None)
@given(st.lists(SECRET, min_size=1, max_size=5, unique=True), st.data(), st.integers(1, 4), st.integers(1, 8))
def test_chunked_secrets_with_hex_forms_mask_as_one_automaton_and_the_regex(secrets, data, chunk, window):
    forms = {e for s in secrets for e in R.encodings(s)}
    hexes = sorted(b.hex() for s in secrets for b in R._forms(s)[1])
    text = "".join(data.draw(st.lists(_pieces(sorted(forms) + hexes), max_size=10)))
    with pytest.MonkeyPatch.context() as mp:
        _chunked(mp, chunk, window)
        got = R._Literals.of_secrets(secrets).sub("*", text)
    assert got == _one_automaton(lambda: R._Literals.of_secrets(secrets)).sub("*", text)
    assert got == re.compile(R.literal_alternation(forms)).sub("*", text)


def test_a_match_of_one_automaton_hiding_anothers_next_match():
    # "abcd" and "cdef" in one automaton, "bc" and "de" in a second, "ef" in a third: from 0 "abcd" is chosen (the
    # second automaton's "bc" starts later), which hides that automaton's "de" (3-5); from 4 the third one's "ef" is
    # next, then the second one's "bc" and "de".
    words = ["abcd", "cdef", "bc", "de", "ef"]
    text = "abcdefxbcdex"
    with pytest.MonkeyPatch.context() as mp:
        _chunked(mp, 2, 1)
        lit = R._Literals(words)
        assert len(lit._autos) == 3
        assert lit.sub("*", text) == re.compile(R.literal_alternation(words)).sub("*", text) == "**x**x"
        assert lit._matches(text) == [(0, 4), (4, 6), (7, 9), (9, 11)]


def test_a_long_text_where_automata_keep_hiding_each_other_is_searched_in_linear_time(monkeypatch):
    # "ab" and "bc" in different automata: in "abcabc..." every "ab" chosen hides the next "bc", so the second
    # automaton is searched again after every match. Each search covers a window from that point, not the rest of
    # the text: the characters searched grow as the text does, not as its square.
    _chunked(monkeypatch, 1, 16)
    lit = R._Literals(["ab", "bc"])
    searched = []
    inner = lit._search

    def counting(auto, s, start, end):
        searched[-1] += end - start
        return inner(auto, s, start, end)

    monkeypatch.setattr(lit, "_search", counting)
    for n in (2000, 8000):
        searched.append(0)
        text = "abc" * n
        assert lit.sub("*", text) == "*c" * n
    assert searched[0] > 0 and searched[1] <= 5 * searched[0]  # linear (4 times); quadratic would be 16 times


def test_the_build_is_chunked_and_gives_the_same_masks_at_the_default_chunk(monkeypatch):
    # Just over one chunk of words (3 non-hex forms per bench-like secret): two word automata and one raw one.
    monkeypatch.setattr(R, "CHUNK", 64)
    secrets = [f"secret-{i:08d}-{i * 104729 % 10 ** 8:08d}" for i in range(30)]
    lit = R._Literals.of_secrets(secrets)
    assert len(lit._autos) == 2 and len(lit._raws) == 1
    text = " ".join(secrets[::7]) + " " + secrets[3].encode().hex().upper() + " secret-00000031-x"
    whole = _one_automaton(lambda: R._Literals.of_secrets(secrets))
    assert lit.sub("*", text) == whole.sub("*", text) == "* * * * * * secret-00000031-x"

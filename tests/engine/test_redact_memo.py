"""The masker's memo of short strings' masks (issue 10, report writing CPU): the same masks as without it, bounded,
and let go with the automaton when the masker is released (the writer drops the automaton before writing files)."""
from __future__ import annotations

from harness.report import redact
from harness.report.redact import MASK, Redactor

SECRET = "s3cret-value-0042"


def test_memoised_masks_are_the_masks():
    red = Redactor([SECRET])
    model = {"a": f"id {SECRET}", "b": ["ok", f"id {SECRET}", "ok"], "c": {"d": f"id {SECRET}"}}
    plain = Redactor([SECRET]).redact(model)  # no masker: no memo
    masker = red.masker(set())
    first = masker.redacted_or_same(model)
    second = masker.redacted_or_same(model)  # every short string now read from the memo
    assert first == second == plain and plain["a"] == f"id {MASK}"
    assert masker.redacted_or_same({"e": "ok"}) == {"e": "ok"}


def test_the_memo_is_bounded_and_released(monkeypatch):
    monkeypatch.setattr(redact, "MEMO_SIZE", 8)
    red = Redactor([SECRET])
    masker = red.masker(set())
    for n in range(50):
        assert masker.redact_in_place([f"text {n}", f"{SECRET}"]) == [f"text {n}", MASK]
    assert red._memo is not None and len(red._memo[1]) <= 8
    masker.release()
    assert red._memo is None  # the redactor no longer holds the automaton

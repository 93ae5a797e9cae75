"""The journal's column encoding: recurring small notes are encoded once, and identically to a fresh encoding."""
from __future__ import annotations

import json

from harness.journal import Exchange, Journal, _dump


def test_memoised_encodings_equal_fresh_ones():
    for v in ({"findings": []}, {"findings": {}}, {"x": []}, {1: []}, {"k" * 100: []}, {"a": [1]}, {"a": 0},
              {"a": None}, {"a": "", "b": []}, {}, [], {"findings": []}):
        assert _dump(v) == json.dumps(v, ensure_ascii=False) == _dump(v)
    assert _dump(None) is None and _dump(b"\x01\xff") == "01ff"


def test_notes_round_trip_through_the_file(tmp_path):
    j = Journal(tmp_path / "j.sqlite")
    for notes in ({"findings": []}, {"findings": [{"level": "fail"}]}, {"findings": []}):
        j.record(Exchange("s", 1.0, notes=notes))
    j.close()
    assert [r["notes"] for r in Journal.read(tmp_path / "j.sqlite")] == [
        {"findings": []}, {"findings": [{"level": "fail"}]}, {"findings": []}]

"""The journal's column encoding: recurring small notes are encoded once, and identically to a fresh encoding."""
from __future__ import annotations

import json

from harness.journal import Exchange, Journal, _dump


def test_memoised_encodings_equal_fresh_ones():
    for v in ({"findings": []}, {"findings": {}}, {"x": []}, {1: []}, {"k" * 100: []}, {"a": [1]}, {"a": 0},
              {"a": None}, {"a": "", "b": []}, {}, [], {"findings": []}):
        assert _dump(v) == _dump(v) and json.loads(_dump(v)) == json.loads(json.dumps(v))
    assert _dump(None) is None and _dump(b"\x01\xff") == "01ff"


def test_values_orjson_refuses_are_written_as_the_standard_encoder_does():
    from datetime import datetime

    for v in ({"h": "\udcff"}, {"n": 2 ** 70}, {"t": datetime(2024, 1, 2, 3, 4, 5)}, {"b": b"x"}, {2: "int key"}):
        assert json.loads(_dump(v)) == json.loads(json.dumps(v, ensure_ascii=False, default=str))


def test_notes_round_trip_through_the_file(tmp_path):
    j = Journal(tmp_path / "j.sqlite")
    for notes in ({"findings": []}, {"findings": [{"level": "fail"}]}, {"findings": []}):
        j.record(Exchange("s", 1.0, notes=notes))
    j.close()
    assert [r["notes"] for r in Journal.read(tmp_path / "j.sqlite")] == [
        {"findings": []}, {"findings": [{"level": "fail"}]}, {"findings": []}]

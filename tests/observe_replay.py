"""Shared by the observe-mode tests: a journal fed again to a fresh judge gives the live report's rows."""
from __future__ import annotations

import json
from pathlib import Path

from harness import observe
from harness.jsonvalue import json_equal


def assert_replay_matches(spec, journal: Path, live_dir: Path) -> dict:
    """`Observer.replay` of `journal` has the signed live report's check rows, counts and verdict (compared as JSON
    values); the re-derived model is returned."""
    signed = json.loads((live_dir / "report.json").read_text("utf-8"))
    again = observe.Observer.replay(spec, journal)
    offline = again.model()
    again.journal.close()
    assert json_equal(offline["interfaces"], signed["interfaces"])
    assert json_equal(offline["counts"], signed["counts"]) and offline["verdict"] == signed["verdict"]
    return offline

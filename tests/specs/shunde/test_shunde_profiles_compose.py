"""Profiles combined (`--profile jt809-2019,encrypted`, tester13 D4): each part's changes from the default applied
together; two parts that set one switch differently are refused (exit 2); the reference forwarder passes under the
2019 header with encrypted bodies."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import specdata

ROOT = Path(__file__).resolve().parents[3]


def test_composed_profile_merges_the_switches_of_its_parts():
    p = specdata.profile("shunde", "jt809-2019,encrypted")
    assert (p["header"], p["encrypt"], p["m1"], p["name"]) == ("2019", True, 30000000, "jt809-2019,encrypted")
    q = specdata.profile("shunde", "jt809-2019, main-link-only")
    assert (q["header"], q["main_link_only"], q["encrypt"]) == ("2019", True, False)


def test_parts_that_disagree_or_do_not_exist_are_refused():
    base = specdata.profile("shunde")
    a, b = dict(base, name="a", header="2019"), dict(base, name="b", header="2013")
    with pytest.raises(specdata.ProfileError, match="cannot be combined"):
        specdata.compose(base, [a, b], "a,b")
    with pytest.raises(specdata.ProfileError, match="unknown profile"):
        specdata.profile("shunde", "jt809-2019,nope")


def test_reference_forwarder_passes_under_2019_with_encrypted_bodies(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "shunde", "--seed", "5", "--out", str(out),
                           "--profile", "jt809-2019,encrypted", "--stage", "interface", "--only", "send_positions",
                           "--sut-cmd", f"{sys.executable} -m suites.shunde.reference_forwarder"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "VCONFORM_HOME": str(tmp_path / "home")})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert "jt809-2019,encrypted" in json.dumps(report)

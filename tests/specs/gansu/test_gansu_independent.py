"""A station client written independently in another language (Node.js built-ins, from the README, `vconform
actions gansu` and zongjian.md only) passes the whole gansu client run with its own JSON encoding of IPCType.value
(keys sorted, \\u escapes, whole numbers as N.0): no false failures from Python-only readings. With the counts as
JSON numbers (the 2018 mock's typing, E-GS-05) it passes with warnings citing that erratum, and fails under the
strict profile."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CLIENT = Path(__file__).resolve().parent / "independent" / "station_client.mjs"


def run(tmp_path: Path, seed: int, *extra: str, numeric: bool = False) -> tuple[subprocess.CompletedProcess, dict]:
    node = shutil.which("node")
    if not node:
        pytest.skip("no Node.js on this machine: the independent station client cannot run here (.ci/run installs it)")
    out = tmp_path / "report"
    env = {**os.environ, "VCONFORM_HOME": str(tmp_path / "home"), "GANSU_NUMERIC_COUNTS": "1" if numeric else "0"}
    cmd = [sys.executable, "-m", "harness.cli", "run", "gansu", "--seed", str(seed), "--out", str(out),
           "--sut-cmd", f"{node} {CLIENT}", *extra]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    return proc, json.loads((out / "report.json").read_text("utf-8"))


def verdicts(report: dict, verdict: str) -> list[str]:
    return [f"{c['id']}: {c['message'][:200]}" for i in report["interfaces"] for c in i["checks"]
            if c["verdict"] == verdict]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 4242])
def test_independent_node_station_passes(tmp_path, seed):
    proc, report = run(tmp_path, seed)
    fails = verdicts(report, "fail")
    assert proc.returncode == 0 and not fails, "\n".join(fails) + proc.stdout[-2000:] + proc.stderr[-2000:]
    assert not verdicts(report, "warn")
    assert [s["name"] for s in report["stages"]] == ["interface", "flow"]


@pytest.mark.slow
def test_counts_as_numbers_are_the_documented_reading(tmp_path):
    proc, report = run(tmp_path, 7, "--only", "shareDetectInfo", numeric=True)
    assert proc.returncode == 0 and not verdicts(report, "fail"), proc.stdout[-2000:] + proc.stderr[-2000:]
    warns = [c for i in report["interfaces"] for c in i["checks"] if c["verdict"] == "warn"]
    assert warns and all(c["id"] == "gansu.payload.type" and "E-GS-05" in json.dumps(c) for c in warns), warns
    proc, report = run(tmp_path / "strict", 7, "--only", "shareDetectInfo", "--profile", "strict", numeric=True)
    assert proc.returncode == 1 and any(f.startswith("gansu.payload.type") for f in verdicts(report, "fail"))

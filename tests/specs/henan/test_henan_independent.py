"""A gate system written independently in another language (Node.js, from the README, `vconform actions henan-city`
and the spec only) passes the whole henan-city client run: no false failures from Python-only readings."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
ADAPTER = Path(__file__).resolve().parent / "independent" / "gate_adapter.mjs"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 4242])
def test_independent_node_gate_passes(tmp_path, seed):
    node = shutil.which("node")
    if not node:
        pytest.skip("no Node.js on this machine: the independent gate client cannot run here")
    out = tmp_path / "report"
    cmd = [sys.executable, "-m", "harness.cli", "run", "henan-city", "--seed", str(seed), "--out", str(out),
           "--sut-cmd", f"{node} {ADAPTER}"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "VCONFORM_HOME": str(tmp_path / "home")})
    report = json.loads((out / "report.json").read_text("utf-8"))
    fails = [f"{c['id']}: {c['message'][:200]}" for i in report["interfaces"] for c in i["checks"] if c["verdict"] == "fail"]
    assert proc.returncode == 0 and not fails, "\n".join(fails) + proc.stdout[-2000:] + proc.stderr[-2000:]
    assert [s["name"] for s in report["stages"]] == ["interface", "flow"]

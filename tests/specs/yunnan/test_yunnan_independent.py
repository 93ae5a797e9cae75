"""A client written independently in another language passes: no false failures from Python-only readings.

The Node.js adapter (independent/node_adapter.mjs) writes JSON the JavaScript way: a whole-number weight given as
12.0 arrives as 12, one JSON number (RFC 8259 §6). The data generator puts such a weight in every fourth access
record on purpose, so each seed exercises it."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
ADAPTER = Path(__file__).resolve().parent / "independent" / "node_adapter.mjs"
ONLY = ["init-auth", "getToken", "heartBeat", "enterprise", "vehicleInfo", "vehicleAccess"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 4242, 31337])
def test_independent_node_client_passes(tmp_path, seed):
    node = shutil.which("node")
    if not node:
        pytest.skip("no Node.js on this machine: the independent client cannot run here")
    out = tmp_path / "report"
    cmd = [sys.executable, "-m", "harness.cli", "run", "yunnan", "--seed", str(seed), "--out", str(out),
           "--sut-cmd", f"{node} {ADAPTER}", *[a for o in ONLY for a in ("--only", o)]]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "VCONFORM_HOME": str(tmp_path / "home")})
    report = json.loads((out / "report.json").read_text("utf-8"))
    fails = [f"{c['id']}: {c['message'][:200]}" for i in report["interfaces"] for c in i["checks"] if c["verdict"] == "fail"]
    assert proc.returncode == 0 and not fails, "\n".join(fails) + proc.stdout[-2000:] + proc.stderr[-2000:]
    sent = [e for e in report["exchanges"] if e.get("path", "").endswith("/vehicleAccess")]
    assert sent, "the access record reached the platform"

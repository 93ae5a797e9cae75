"""An independent JT/T 809 forwarder in Node.js (tests/independent/jt809-node-forwarder/, built-in modules only,
written from README, docs/adapter.md, the errata register and the shared jt809 notes, not from our Python code)
certified by `vconform run shunde` through the adapter protocol, as an operator's engineer would.

Quick: its codec re-encodes the notes' vectors; under the 2019 profile its positions (JT/T 808 GNSS_DATA, 110-byte
0x1201) pass the send_positions interface. Slow: the flow stage under 2019 (main link cut and reconnect, every
platform request answered, the result sheet), and its 2011 login under a 2019 header refused with the finding that
names the mix. Skipped when node is absent (CI installs it: .ci/run)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORWARDER = ROOT / "tests" / "independent" / "jt809-node-forwarder"


def node() -> str:
    exe = shutil.which("node")
    if not exe:
        pytest.skip("no Node.js here (CI installs it: .ci/run)")
    return exe


def run(tmp_path: Path, *args: str, flags: str = "") -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "out"
    cmd = f"{node()} {FORWARDER / 'adapter.mjs'} {flags}".strip()
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "shunde", "--seed", "13", "--out", str(out),
                           "--sut-cmd", cmd, *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "VCONFORM_HOME": str(tmp_path / "home")})
    return proc, json.loads((out / "report.json").read_text("utf-8"))


def not_passing(model: dict) -> list[str]:
    return [f"{c['id']} {c['verdict']} ({i['name']}): {c['message'][:300]}" for i in model["interfaces"]
            for c in i["checks"] if c["verdict"] not in ("pass", "skip")]


def test_node_codec_reencodes_the_notes_vectors():
    proc = subprocess.run([node(), str(FORWARDER / "vectors.test.mjs")], cwd=FORWARDER, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and "vectors ok" in proc.stdout, proc.stdout + proc.stderr


def test_2019_positions_of_the_node_forwarder_pass(tmp_path):
    proc, model = run(tmp_path, "--profile", "jt809-2019", "--stage", "interface", "--only", "send_positions")
    assert proc.returncode == 0 and model["verdict"] == "pass" and not not_passing(model), \
        "\n".join(not_passing(model)) + proc.stdout[-3000:] + proc.stderr[-2000:]
    judged = {c["id"] for i in model["interfaces"] for c in i["checks"]}
    assert {"shunde.register.sent", "shunde.location.intact", "shunde.history.batch", "shunde.frame.body"} <= judged


@pytest.mark.slow
def test_2019_flow_of_the_node_forwarder_passes(tmp_path):
    """The main link cut mid-run (reconnect with back-off, nothing acknowledged lost) and every platform request."""
    proc, model = run(tmp_path, "--profile", "jt809-2019", "--stage", "flow")
    assert proc.returncode == 0 and model["verdict"] == "pass" and not not_passing(model), \
        "\n".join(not_passing(model)) + proc.stdout[-3000:] + proc.stderr[-2000:]
    verdicts = {c["id"]: c["verdict"] for i in model["interfaces"] for c in i["checks"]}
    assert verdicts.get("shunde.link.reconnect") == "pass" and verdicts.get("shunde.requests.answered") == "pass"


@pytest.mark.slow
def test_2011_login_body_under_a_2019_header_is_refused_with_the_mix_named(tmp_path):
    proc, model = run(tmp_path, "--profile", "jt809-2019", "--stage", "interface", "--only", "connect",
                      flags="--bodies=2011")
    assert proc.returncode == 1 and model["verdict"] == "fail", proc.stdout[-3000:] + proc.stderr[-2000:]
    body = [c["message"] for i in model["interfaces"] for c in i["checks"]
            if c["id"] == "shunde.frame.body" and c["verdict"] == "fail"]
    assert body and "2011 bodies under a 2019 header" in body[0], not_passing(model)

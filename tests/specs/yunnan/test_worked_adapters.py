"""The worked adapters a vendor starts from (examples/adapters/yunnan/, docs/adapter.md §9): Node.js and Java,
each covering every yunnan action, must pass `vconform run yunnan` (exit 0) when node / a JDK is present. CI
installs both (.ci/run). A short run (every kind of action once) is in the quick suite; the whole suite is slow."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness import actions, specdata

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples" / "adapters" / "yunnan"
NODE_ADAPTER = EXAMPLES / "adapter.mjs"
JAVA_ADAPTER = EXAMPLES / "YunnanAdapter.java"
# One of each kind: registration, token, an upload, a pull that confirms by itself, an explicit confirm.
SHORT = ["init-auth", "getToken", "heartBeat", "vehicleAccess", "basStrategy", "alarmConfirm"]


def node_cmd(tmp_path: Path) -> str:
    node = shutil.which("node")
    if not node:
        pytest.skip("no Node.js here (CI installs it: .ci/run)")
    return f"{node} {NODE_ADAPTER}"


def java_cmd(tmp_path: Path) -> str:
    javac, java = shutil.which("javac"), shutil.which("java")
    if not (javac and java):
        pytest.skip("no JDK here (CI installs one: .ci/run)")
    build = tmp_path / "build"
    subprocess.run([javac, "-d", str(build), str(JAVA_ADAPTER)], check=True, timeout=300)
    return f"{java} -cp {build} YunnanAdapter"


def run(tmp_path: Path, cmd: str, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "yunnan", "--seed", "29", "--out", str(out),
                           "--sut-cmd", cmd, *args], cwd=ROOT, capture_output=True, text=True, timeout=1200,
                          env={**os.environ, "VCONFORM_HOME": str(tmp_path / "home")})
    return proc, json.loads((out / "report.json").read_text("utf-8"))


def assert_passes(proc, model) -> None:
    fails = [f"{c['id']} ({i['name']}): {c['message'][:200]}" for i in model["interfaces"] for c in i["checks"]
             if c["verdict"] == "fail"]
    assert proc.returncode == 0 and model["verdict"] == "pass" and not fails, \
        "\n".join(fails) + proc.stdout[-3000:] + proc.stderr[-2000:]


@pytest.mark.parametrize("path", [NODE_ADAPTER, JAVA_ADAPTER], ids=["node", "java"])
def test_each_worked_adapter_handles_every_yunnan_action(path):
    """Every action `vconform actions yunnan` lists appears in the adapter's dispatch."""
    text = path.read_text("utf-8")
    names = list(actions.load("yunnan")["actions"])
    assert set(names) == set(specdata.sections("yunnan"))
    missing = [a for a in names if f"'{a}'" not in text and f'"{a}"' not in text and f"{a}:" not in text]
    assert not missing, f"{path.name} lacks {missing}"


@pytest.mark.parametrize("make_cmd", [node_cmd, java_cmd], ids=["node", "java"])
def test_worked_adapter_passes_one_of_each_kind_of_action(tmp_path, make_cmd):
    cmd = make_cmd(tmp_path)
    proc, model = run(tmp_path, cmd, "--stage", "interface", *[a for o in SHORT for a in ("--only", o)])
    assert_passes(proc, model)
    ran = {i["name"] for i in model["interfaces"]}
    assert {"heartBeat", "vehicleAccess", "basStrategy", "alarmConfirm"} <= ran
    paths = {e.get("path", "").rsplit("/", 1)[-1] for e in model["exchanges"]}
    assert "strategyConfirm" in paths  # after the pull the adapter confirmed what it received, by itself


@pytest.mark.slow
@pytest.mark.parametrize("make_cmd", [node_cmd, java_cmd], ids=["node", "java"])
def test_worked_adapter_passes_the_whole_suite(tmp_path, make_cmd):
    proc, model = run(tmp_path, make_cmd(tmp_path))
    assert_passes(proc, model)
    assert not model["scope"]["partial"]

"""A provincial platform written independently in another language (Node.js built-ins, from zongjian.md and the
README only: its own serial form, UUID tokens, its own validation code) passes the whole server-role run
(`vconform run gansu --role server --target URL`): our server checks hold no reading only our mock has. The same
platform started with --lenient-serial (it takes any detectSn) fails gansu.server.reject.serial."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PLATFORM = Path(__file__).resolve().parent / "independent" / "platform.mjs"


def serve_and_run(tmp_path: Path, *platform_args: str, run_args: tuple[str, ...] = ()):
    node = shutil.which("node")
    if not node:
        pytest.skip("no Node.js on this machine: the independent platform cannot run here (.ci/run installs it)")
    proc = subprocess.Popen([node, str(PLATFORM), "0", *platform_args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # blocks until the platform serves (or exits)
        assert line.startswith("listening "), line + proc.stderr.read()
        out = tmp_path / "report"
        cmd = [sys.executable, "-m", "harness.cli", "run", "gansu", "--role", "server", "--seed", "11",
               "--target", f"http://127.0.0.1:{int(line.split()[1])}", "--out", str(out), *run_args]
        run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                             env={**os.environ, "VCONFORM_HOME": str(tmp_path / "home")})
        return run, json.loads((out / "report.json").read_text("utf-8"))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def fails(report: dict) -> list[str]:
    return [f"{c['id']}: {c['message'][:200]}" for i in report["interfaces"] for c in i["checks"]
            if c["verdict"] == "fail"]


@pytest.mark.slow
def test_independent_node_platform_passes_every_server_check(tmp_path):
    run, report = serve_and_run(tmp_path)
    assert run.returncode == 0 and not fails(report), "\n".join(fails(report)) + run.stdout[-2000:] + run.stderr[-2000:]
    ran = {c["id"] for i in report["interfaces"] for c in i["checks"]}
    assert {"gansu.server.token", "gansu.server.accept", "gansu.server.serial", "gansu.server.reject.token",
            "gansu.server.reject.value_object", "gansu.server.reject.format", "gansu.server.reject.serial",
            "gansu.server.reject.contradiction"} <= ran


@pytest.mark.slow
def test_independent_platform_taking_any_serial_fails(tmp_path):
    run, report = serve_and_run(tmp_path, "--lenient-serial", run_args=("--stage", "negative"))
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    assert [f.split(":")[0] for f in fails(report)] == ["gansu.server.reject.serial"], fails(report)

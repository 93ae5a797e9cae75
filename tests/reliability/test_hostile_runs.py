"""Whole runs against a hostile system under test: the verdict, exit code, report and JUnit each case must give,
within a bounded time (issues 8 and 9). Loopback only."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from . import hostile_targets as HT

ROOT = Path(__file__).resolve().parents[2]


def vconform(tmp_path: Path, *args: str, limit: float) -> tuple[int, str, float]:
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "yunnan", "--out", str(tmp_path / "out"),
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=limit)
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - t0


def report(tmp_path: Path) -> tuple[dict, ET.Element, str]:
    out = tmp_path / "out"
    return (json.loads((out / "report.json").read_text("utf-8")), ET.parse(out / "junit.xml").getroot(),
            (out / "report.html").read_text("utf-8"))


def assert_error_report(tmp_path: Path, needle: str) -> None:
    model, junit, html = report(tmp_path)
    assert model["verdict"] == "error" and any(needle in e for e in model["harness_errors"])
    n = len(model["harness_errors"])
    assert junit.get("errors") == str(n) and n > 0
    errors = junit.findall(".//testcase/error")
    assert len(errors) == n and needle in errors[0].get("message") + (errors[0].text or "")
    assert "v-error" in html and needle in html


def test_a_target_that_is_down_is_a_harness_error(tmp_path):
    with HT.HostileServer(HT.hang) as srv:
        url = srv.url
    code, text, took = vconform(tmp_path, "--role", "server", "--target", url, "--only", "getToken", limit=120)
    assert code == 2, text
    assert "ERROR" in text and "Traceback" not in text
    assert_error_report(tmp_path, "cannot reach the target")


def test_the_run_deadline_ends_a_run_held_by_a_hanging_target(tmp_path):
    deadline = 5
    with HT.HostileServer(HT.hang) as srv:
        code, text, took = vconform(tmp_path, "--role", "server", "--target", srv.url, "--deadline", str(deadline),
                                    limit=deadline + 90)
    assert took < deadline + 30, f"the run took {took:.0f} s with --deadline {deadline}"
    assert code == 2, text
    assert_error_report(tmp_path, "run deadline")


def test_a_hanging_adapter_fails_its_action_within_the_adapter_timeout(tmp_path):
    script = tmp_path / "adapter.sh"
    script.write_text("#!/bin/sh\nsleep 600 &\nsleep 600\n")
    script.chmod(0o755)
    code, text, took = vconform(tmp_path, "--sut-cmd", str(script), "--adapter-timeout", "1", "--only", "init-auth",
                                "--stage", "interface", limit=120)
    assert code == 1, text
    assert took < 1 * 5 + 30
    model, junit, html = report(tmp_path)
    assert model["verdict"] == "fail" and junit.get("errors") == "0"
    assert any("adapter.completed" == c["id"] and "timeout" in c["message"]
               for i in model["interfaces"] for c in i["checks"])


@pytest.mark.parametrize("args, scope", [
    (["--only", "init-auth", "--stage", "interface"], {"partial": True, "only": ["init-auth"], "stages": ["interface"]}),
])
def test_a_restricted_run_is_headlined_partial_everywhere(args, scope, tmp_path):
    code, text, _ = vconform(tmp_path, *args, limit=300)
    assert code == 0, text
    model, junit, html = report(tmp_path)
    assert model["scope"] == scope and model["verdict"] == "pass"
    assert "PARTIAL RUN" in text.splitlines()[[i for i, l in enumerate(text.splitlines()) if "PASS" in l][0]]
    assert 'id="partial-run"' in html and "PARTIAL RUN" in html.split("<table", 1)[0]
    assert "PARTIAL" in junit.get("name")

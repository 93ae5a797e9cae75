"""`vconform replay` (issue 8): a failing row's one-line command re-sends the recorded stimulus to the adapter
against a fresh mock and reproduces the failure; the same stimulus sent to the reference adapter passes. Secrets
are masked in the report, so what the harness gave is regenerated from the run's seed (a camera's password
included) and what the platform issues comes from the fresh mock."""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BROKEN = ROOT / "tests" / "specs" / "yunnan" / "broken_clients.py"
REFERENCE = f"{sys.executable} -m suites.yunnan.reference_client"


def vconform(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "VCONFORM_HOME": str(home)})


def failing_run(tmp_path: Path, variant: str, only: str) -> tuple[Path, dict, str]:
    out = tmp_path / "out"
    res = vconform(tmp_path / "home", "run", "yunnan", "--seed", "11", "--out", str(out),
                   "--sut-cmd", f"{sys.executable} {BROKEN} {variant}", "--only", only)
    assert res.returncode == 1, res.stdout + res.stderr
    return out, json.loads((out / "report.json").read_text("utf-8")), res.stdout


def rows(model: dict, check_id: str) -> list[dict]:
    return [c for i in model["interfaces"] for c in i["checks"] if c["id"] == check_id]


def test_replay_reproduces_a_failure_and_the_reference_passes_it(tmp_path):
    out, model, terminal = failing_run(tmp_path, "aes128", "heartBeat")
    row = rows(model, "yunnan.envelope.aes256")[0]
    ev = next(e for e in row["evidence"] if e["kind"] == "adapter")
    # The row carries the context the adapter received and its one-line replay command; the terminal line too.
    assert ev["context"]["action"] == "heartBeat" and ev["context"]["params"] == ev["params"]
    assert ev["replay"] == f"vconform replay {shlex.quote(str(out / 'report.json'))} --call {ev['call']}"
    lines = terminal.splitlines()
    at = next(i for i, ln in enumerate(lines) if "FAIL yunnan.envelope.aes256" in ln)
    # the cause's replay command: beside it, or on its own line below when the terminal is too narrow
    line = next(ln for ln in lines[at:at + 4] if "replay: " in ln)
    cmd = line.split("replay: ", 1)[1]
    assert cmd.endswith("--check yunnan.envelope.aes256")

    again = vconform(tmp_path / "home", *shlex.split(cmd)[1:])
    assert again.returncode == 1, again.stdout + again.stderr
    assert "→ FAIL yunnan.envelope.aes256: #" in again.stdout and "AES session key is 128 bits" in again.stdout
    assert "replayed FAIL" in again.stdout and "setup init-auth" in again.stdout

    by_call = vconform(tmp_path / "home", *shlex.split(ev["replay"])[1:])
    assert by_call.returncode == 1 and "FAIL yunnan.envelope.aes256" in by_call.stdout, by_call.stdout

    fixed = vconform(tmp_path / "home", *shlex.split(cmd)[1:], "--sut-cmd", REFERENCE)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "→ PASS yunnan.envelope.aes256" in fixed.stdout and "replayed PASS" in fixed.stdout


def test_replay_regenerates_masked_params_from_the_seed(tmp_path):
    out, model, _ = failing_run(tmp_path, "broken-composition", "cameraInfo")
    row = rows(model, "yunnan.payload.composition")[0]
    ev = next(e for e in row["evidence"] if e["kind"] == "adapter")
    assert ev["context"]["params"]["cameraPassword"] == "***"  # the report keeps no secret
    res = vconform(tmp_path / "home", "replay", str(out), "--check", "yunnan.payload.composition")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "params regenerated from the seed (the report masked cameraUsername, cameraPassword" in res.stdout
    assert "→ FAIL yunnan.payload.composition" in res.stdout
    ref = vconform(tmp_path / "home", "replay", str(out), "--check", "yunnan.payload.composition",
                   "--sut-cmd", REFERENCE)
    assert ref.returncode == 0 and "→ PASS yunnan.payload.composition" in ref.stdout, ref.stdout + ref.stderr
    # params_intact compares what was sent with the regenerated params: the reference sends them unaltered
    assert "FAIL yunnan.payload.params_intact" not in ref.stdout


@pytest.fixture(scope="module")
def aes128_run(tmp_path_factory) -> Path:
    """One failing run (its report and home) for every case below: each case edits a copy of it."""
    base = tmp_path_factory.mktemp("replay")
    res = vconform(base / "home", "run", "yunnan", "--seed", "3", "--out", str(base / "out"),
                   "--sut-cmd", f"{sys.executable} {BROKEN} aes128", "--only", "heartBeat")
    assert res.returncode == 1, res.stdout + res.stderr
    return base


@pytest.mark.parametrize("edit, args, needle", [
    (None, ["--check", "yunnan.payload.json"], "no failing or warning row"),
    (None, ["--check", "no.such.check"], "is not in the report"),
    (None, ["--call", "999"], "adapter call 999 is not in the report"),
    (lambda m: m.update(reproducibility={**m["reproducibility"], "faker": "0.0.1"}), ["--check",
     "yunnan.envelope.aes256"], "faker"),
    (lambda m: m["spec"].update(name="nope"), ["--check", "yunnan.envelope.aes256"], "not installed"),
])
def test_replay_that_cannot_run_says_why_and_exits_2(aes128_run, tmp_path, edit, args, needle):
    out = tmp_path / "out"
    shutil.copytree(aes128_run / "out", out)
    shutil.copytree(aes128_run / "home", tmp_path / "home")
    if edit is not None:
        model = json.loads((out / "report.json").read_text("utf-8"))
        edit(model)
        (out / "report.json").write_text(json.dumps(model, ensure_ascii=False), "utf-8")
    got = vconform(tmp_path / "home", "replay", str(out), *args)
    assert got.returncode == 2 and needle in got.stderr and "Traceback" not in got.stderr, got.stderr


def test_replay_of_a_missing_report_is_a_harness_error(tmp_path):
    got = vconform(tmp_path / "home", "replay", str(tmp_path / "nothing"), "--call", "1")
    assert got.returncode == 2 and "no such file" in got.stderr

"""Test the server-role tests beyond the catalog (tests/specs/yunnan/catalog.toml): the mock passes clean, served
as a foreign target or without the admin hook; a Hypothesis failure names its seed and example."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import catalog
import pytest

from harness.serve import BackgroundServer

ROOT = Path(__file__).resolve().parents[3]
PREFIX = "/access/api/dataReceive"
SEED = "4242"


def _platforms():
    spec = importlib.util.spec_from_file_location("yunnan_platforms", ROOT / "tests" / "specs" / "yunnan" / "broken_platforms.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


PLATFORMS = _platforms()

def vconform(tmp: Path, *args: str, cli: bool = False) -> tuple[int, dict, str]:
    """`vconform run yunnan --role server ARGS`: in this process (tests/catalog.py), or with `cli` as the command
    line's own process (the tests of what the command prints and exits with)."""
    out = tmp / "report"
    argv = ["run", "yunnan", "--role", "server", "--seed", SEED, "--out", str(out), *args]
    if cli:
        proc = subprocess.run([sys.executable, "-m", "harness.cli", *argv], cwd=ROOT, capture_output=True, text=True,
                              timeout=600, env={**os.environ, "VCONFORM_HOME": str(tmp / "home")})
        code, output = proc.returncode, proc.stdout + proc.stderr
    else:
        code, output = catalog.in_process(argv, tmp / "home")
    report = json.loads((out / "report.json").read_text("utf-8")) if (out / "report.json").exists() else {}
    return code, report, output


def checks(report: dict, verdict: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for iface in report.get("interfaces", []):
        for c in iface["checks"]:
            if c["verdict"] == verdict:
                out.setdefault(c["id"], []).append(c)
    return out


def serve(variant: str) -> BackgroundServer:
    return BackgroundServer(PLATFORMS.make(variant).app).start()


@pytest.mark.slow
def test_hypothesis_failure_names_seed_and_falsifying_example(catalog_runs):
    """A failure found by Hypothesis carries the shrunk example, the seed and a one-line replay command."""
    run = catalog_runs.get(catalog_runs.entry("yunnan", "server", "yunnan-plates-only"))  # the catalog's own run
    code, report, output = run.code, run.report, run.output
    assert code == 1, output
    (accept,) = checks(report, "fail")["yunnan.server.accept"]
    assert f"seed {SEED}" in accept["message"] and "replay: vconform run yunnan --role server" in accept["message"]
    assert "Falsifying example" in accept["message"] or "Failing test case" in accept["message"]
    notes = [e for e in accept["evidence"] if e.get("kind") == "note"]
    assert notes and notes[0]["seed"] == int(SEED) and "licensePlate" in notes[0]["falsifying"]


@pytest.mark.slow
def test_embedded_mock_passes_clean(tmp_path):
    code, report, output = vconform(tmp_path)
    assert code == 0, output
    assert report["role"] == "server" and report["verdict"] == "pass"
    assert not checks(report, "skip"), "the embedded mock offers the admin hook: nothing may be skipped"
    assert {s["name"] for s in report["stages"]} == {"interface", "negative", "flow", "fuzz"}
    tested = {i["name"] for i in report["interfaces"]}
    assert tested >= {"init-auth", "getToken", "enterprise", "cameraInfo", "heartBeat", "exceedVehicle", "basStrategy",
                      "strategyConfirm", "alarmVehicle", "alarmConfirm", "vehicleInfo", "nonMachinery",
                      "vehicleAccess", "exceedVehicleConfirm"}


@pytest.mark.slow
def test_mock_as_foreign_target_passes(tmp_path):
    srv = serve("mock")
    try:
        code, report, output = vconform(tmp_path, "--target", srv.url + PREFIX)
    finally:
        srv.stop()
    assert code == 0, output
    assert report["sut"]["kind"] == "target" and report["sut"]["admin_hook"] is True


@pytest.mark.slow
def test_platform_without_admin_hook_passes_with_stated_skips(tmp_path):
    """Without the admin hook what needs it is skipped with the reason; pre-loaded exceed records are still paged."""
    from schemas.yunnan.datagen import YunnanData

    mock = PLATFORMS.make("no-admin-hook")
    mock.state.seed("exceed", [YunnanData(1).exceed_record(i) for i in range(250)])  # the tester's setup step
    srv = BackgroundServer(mock.app).start()
    try:
        code, report, output = vconform(tmp_path, "--target", srv.url)  # a bare origin gets the spec's prefix
    finally:
        srv.stop()
    assert code == 0, output
    skipped = checks(report, "skip")
    assert {"yunnan.server.reject.token_expired", "yunnan.server.heartbeat.state",
            "yunnan.server.confirm.applied", "yunnan.server.stateful.lost"} <= set(skipped)
    assert all("admin hook" in c["message"] for cs in skipped.values() for c in cs)
    paged = [c for i in report["interfaces"] if i["name"] == "exceedVehicle" and i["stage"] == "flow" for c in i["checks"]]
    assert {c["id"] for c in paged} == {"yunnan.server.pull.complete", "yunnan.server.pull.isnew"}
    assert all(c["verdict"] == "pass" for c in paged)


def test_unreachable_target_is_a_harness_error(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, _report, output = vconform(tmp_path, "--target", f"http://127.0.0.1:{port}{PREFIX}", "--only", "init-auth",
                                     cli=True)
    assert code == 2 and "cannot reach the target" in output


def test_target_must_be_an_http_url(tmp_path):
    code, _report, output = vconform(tmp_path, "--target", "ftp://example.invalid/x", "--only", "init-auth", cli=True)
    assert code == 2 and "http(s) URL" in output


def test_a_target_that_is_down_prints_its_reason_once(tmp_path):
    """issue 8: one cause, one line: no per-test 'not judged' lines, no pytest summary (it printed 58 lines)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, _report, output = vconform(tmp_path, "--target", f"http://127.0.0.1:{port}{PREFIX}", cli=True)
    lines = [ln for ln in output.splitlines() if ln.strip() and not ln.startswith("WARNING")]
    assert code == 2
    errors = [ln for ln in lines if "HARNESS ERROR" in ln]
    assert len(errors) == 1 and "cannot reach the target" in errors[0], output
    assert "not judged" not in output and "deselected" not in output and "pytest output" not in output, output
    assert len(lines) <= 6, output

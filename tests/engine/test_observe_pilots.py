"""A short observed window fed by `vconform pilot-feed SPEC` (the reference client on its own timers, docs/observe.md)
passes clean for every spec with a pilot plan, and `report --journal` re-derives the live check rows exactly. Slow:
real processes on real timers (a few seconds each, time-scaled)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from harness.jsonvalue import json_equal

ROOT = Path(__file__).resolve().parents[2]


def rows(model: dict) -> dict:
    return {(c["id"], c["interface"]): c for i in model["interfaces"] for c in i["checks"]}


def _env(tmp: Path) -> dict:
    return {**os.environ, "VCONFORM_HOME": str(tmp / "home")}


def _start_mock(tmp: Path, spec: str, *extra: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "mock", spec, "--port", "0", "--observe",
                             "--journal", str(tmp / "pilot.db"), "--report-dir", str(tmp / "live"), *extra],
                            cwd=ROOT, env=_env(tmp), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    while not (line := proc.stdout.readline()).startswith("listening on "):  # a dashboard's URL comes first
        assert line, "".join(seen) + proc.stderr.read()
        seen.append(line)
    proc.dashboard = next((x.split()[-1] for x in seen if x.startswith("dashboard on ")), None)
    return proc, line.split()[-1]


def pilot_passes_clean(tmp: Path, spec: str, feed: list[str], mock_args: tuple = ()) -> dict:
    """A short observed window fed by `vconform pilot-feed SPEC` passes clean, and `report --journal` re-derives
    the same check rows (shared by the per-spec pilot tests)."""
    mock, url = _start_mock(tmp, spec, *mock_args)
    try:
        if mock.dashboard:  # the dashboard's side port serves the observed TCP mock
            with urllib.request.urlopen(mock.dashboard, timeout=30) as page:
                assert page.status == 200 and spec in page.read().decode("utf-8")
        fed = subprocess.run([sys.executable, "-m", "harness.cli", "pilot-feed", spec, "--target", url, *feed],
                             cwd=ROOT, env=_env(tmp), capture_output=True, text=True, timeout=600)
    finally:
        mock.send_signal(signal.SIGINT)  # the window ends on SIGINT: the report is written then
    out, err = mock.communicate(timeout=120)
    assert fed.returncode == 0 and " 0 failed" in fed.stdout, fed.stdout + fed.stderr
    live = json.loads((tmp / "live" / "report.json").read_text("utf-8"))
    bad = {k: r["message"] for k, r in rows(live).items() if r["verdict"] == "fail"}
    assert mock.returncode == 0 and live["verdict"] == "pass", (bad, out, err[-3000:])
    assert live["scope"]["stages"] == ["pilot"] and live["pilot"]["observed"] is True
    subprocess.run([sys.executable, "-m", "harness.cli", "report", "--journal", str(tmp / "pilot.db"), "--out",
                    str(tmp / "offline")], cwd=ROOT, env=_env(tmp), capture_output=True, timeout=300)
    offline = json.loads((tmp / "offline" / "report.json").read_text("utf-8"))
    assert json_equal([c for i in offline["interfaces"] for c in i["checks"]],
                      [c for i in live["interfaces"] for c in i["checks"]])
    assert json_equal(offline["counts"], live["counts"]) and offline["pilot"] == live["pilot"]
    return live


@pytest.mark.slow
def test_cli_shunde_pilot_fed_by_the_reference_forwarder_passes_clean(tmp_path):
    live = pilot_passes_clean(tmp_path, "shunde", ["--duration", "16s", "--time-scale", "10"],
                              ("--time-scale", "10", "--dashboard"))
    got = rows(live)
    for key in [("shunde.login.accepted", "connect"), ("shunde.slave.answered", "connect"),
                ("shunde.heartbeat.main", "heartbeat"), ("shunde.register.sent", "send_positions"),
                ("shunde.history.batch", "send_positions"), ("shunde.disconnect.orderly", "disconnect")]:
        assert got[key]["verdict"] == "pass", key


@pytest.mark.slow
@pytest.mark.parametrize("spec", ["henan-city", "henan-province", "gansu"])
def test_cli_pilot_fed_by_the_reference_client_passes_clean(tmp_path, spec):
    live = pilot_passes_clean(tmp_path, spec, ["--duration", "6s", "--time-scale", "30"], ("--time-scale", "30"))
    assert live["pilot"]["exchanges"] >= 4
    assert any(r["verdict"] == "pass" for r in rows(live).values())

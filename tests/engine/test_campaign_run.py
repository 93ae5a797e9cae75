"""`vconform run --campaign URL` records real Yunnan runs: a `--only` run updates its interfaces alone, and (slow) a
campaign reaches go-live through interface runs, the full flow run and a pilot report, then a verified certificate."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.campaign import open_campaign
from harness import registry

from test_campaign import pilot_report

IFACES = list(registry.get("yunnan").interfaces)


def vconform(home: Path, *argv: str, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "VCONFORM_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "harness.cli", *argv], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=Path(__file__).resolve().parents[2])


def run(home, db, out, *extra) -> subprocess.CompletedProcess:
    return vconform(home, "run", "yunnan", "--out", str(out), "--campaign", str(db), "--sut-name", "RefClient",
                    "--sut-version", "2.4.0", "--tester", "t", "--organisation", "o", *extra)


@pytest.fixture
def home(tmp_path, monkeypatch):
    h = tmp_path / "home"
    monkeypatch.setenv("VCONFORM_HOME", str(h))
    return h


def test_run_with_campaign_records_its_report(home, tmp_path):
    db = tmp_path / "campaign.sqlite"
    res = run(home, db, tmp_path / "r1", "--only", "init-auth")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "campaign: recorded: yunnan RefClient 2.4.0 (client), pass --only init-auth" in res.stdout
    with open_campaign(db) as camp:
        board = camp.board("yunnan", "RefClient")
    rows = {r["interface"]: r["verdict"] for r in board["interfaces"]}
    assert rows["init-auth"] == "pass" and all(v == "not run" for k, v in rows.items() if k != "init-auth")
    assert board["stages"][0]["state"] == "open" and board["stages"][1]["state"] == "refused"


@pytest.mark.slow
def test_yunnan_campaign_reaches_go_live(home, tmp_path):
    db = tmp_path / "campaign.sqlite"
    first, rest = IFACES[:2], IFACES[2:]
    res = run(home, db, tmp_path / "a", *[a for i in first for a in ("--only", i)])
    assert res.returncode == 0, res.stdout + res.stderr
    gate = vconform(home, "campaign", "gate", "yunnan", "--sut", "RefClient", "--stage", "interface",
                    "--campaign", str(db))
    assert gate.returncode == 1 and f"{len(rest)} of {len(IFACES)}" in gate.stdout

    res = run(home, db, tmp_path / "b", *[a for i in rest for a in ("--only", i)])
    assert res.returncode == 0, res.stdout + res.stderr
    gate = vconform(home, "campaign", "gate", "yunnan", "--sut", "RefClient", "--stage", "interface",
                    "--campaign", str(db))
    assert gate.returncode == 0, gate.stdout
    assert vconform(home, "campaign", "gate", "yunnan", "--sut", "RefClient", "--stage", "flow",
                    "--campaign", str(db)).returncode == 1

    res = run(home, db, tmp_path / "full")
    assert res.returncode == 0, res.stdout + res.stderr
    assert vconform(home, "campaign", "gate", "yunnan", "--sut", "RefClient", "--stage", "flow",
                    "--campaign", str(db)).returncode == 0
    cert = ["campaign", "certificate", "yunnan", "--sut", "RefClient", "--version", "2.4.0", "--campaign", str(db),
            "--pilot-window", "10m", "--out", str(tmp_path / "cert")]
    refused = vconform(home, *cert)
    assert refused.returncode == 1 and "pilot stage open" in refused.stdout

    # the pilot: an observe-mode report of that shape (names no SUT: the recorder names it)
    pilot = pilot_report(tmp_path, hours=0.25, exchanges=120, sut="", version="")
    rec = vconform(home, "campaign", "record", str(pilot), "--campaign", str(db), "--sut", "RefClient",
                   "--sut-version", "2.4.0")
    assert rec.returncode == 0, rec.stdout + rec.stderr
    status = vconform(home, "campaign", "status", "yunnan", "--sut", "RefClient", "--campaign", str(db), "--json",
                      "--pilot-window", "10m")
    board = json.loads(status.stdout)
    assert [g["state"] for g in board["stages"]] == ["passed"] * 4
    assert {r["interface"] for r in board["interfaces"] if r["verdict"] == "pass"} == set(IFACES)
    issued = vconform(home, *cert)
    assert issued.returncode == 0, issued.stdout + issued.stderr
    verified = vconform(home, "verify", str(tmp_path / "cert" / "certificate.json"))
    assert verified.returncode == 0 and "certificate of RefClient 2.4.0" in verified.stdout

"""Honest sign-off and reproducibility (issue 8): a blank tester or organisation is warned about, the HTML sign-off
shows the signer's key fingerprint, report.json records the versions that decide generated data, and a replay with
`--expect-versions` refuses (exit 2, one line) when this install differs."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from harness import __version__
from harness.report import ReportContractError, check_contract

ROOT = Path(__file__).resolve().parents[2]


def vconform(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "VCONFORM_HOME": str(home)})


THIS = {"python": platform.python_version(), "hypothesis": metadata.version("hypothesis"),
        "faker": metadata.version("faker"), "vconform": __version__}


@pytest.fixture(scope="module")
def unsigned_off_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("signoff")
    res = vconform("run", "yunnan", "--only", "heartBeat", "--seed", "11", "--out", str(tmp / "o"),
                   "--tester", "  ", home=tmp / "home")
    return res, tmp


def test_blank_tester_and_organisation_are_warned_in_terminal_and_report(unsigned_off_run):
    res, tmp = unsigned_off_run
    assert res.returncode == 0, res.stdout + res.stderr
    warning = [line for line in (res.stdout + res.stderr).splitlines() if line.startswith("WARNING")]
    assert len(warning) == 1 and "tester" in warning[0] and "organisation" in warning[0], res.stdout
    report = json.loads((tmp / "o" / "report.json").read_text("utf-8"))
    warnings = report["signoff"]["warnings"]
    assert any("tester" in w for w in warnings) and any("organisation" in w for w in warnings)
    html = (tmp / "o" / "report.html").read_text("utf-8")
    assert warnings[0] in html


def test_report_records_the_versions_that_decide_generated_data(unsigned_off_run):
    res, tmp = unsigned_off_run
    report = json.loads((tmp / "o" / "report.json").read_text("utf-8"))
    assert report["reproducibility"] == THIS
    expect = ",".join(f"{k}={v}" for k, v in THIS.items())
    assert f"--expect-versions {expect}" in report["reproduce"]


def test_html_signoff_shows_the_key_fingerprint(unsigned_off_run):
    _res, tmp = unsigned_off_run
    report = json.loads((tmp / "o" / "report.json").read_text("utf-8"))
    fp = report["signature"]["fingerprint"]
    html = (tmp / "o" / "report.html").read_text("utf-8")
    signoff = html[html.index("Sign-off"):html.index("</table>", html.index("Sign-off"))]
    assert fp in signoff


def test_replay_refuses_other_versions(tmp_path):
    other = dict(THIS, hypothesis="6.1.0")
    res = vconform("run", "yunnan", "--only", "heartBeat", "--seed", "11", "--out", str(tmp_path / "o"),
                   "--expect-versions", ",".join(f"{k}={v}" for k, v in other.items()), home=tmp_path / "home")
    text = (res.stdout + res.stderr).strip()
    assert res.returncode == 2, text
    assert len(text.splitlines()) == 1 and "hypothesis" in text and "6.1.0" in text and THIS["hypothesis"] in text
    assert "Traceback" not in text and not (tmp_path / "o" / "report.json").exists()


@pytest.mark.parametrize("bad", ["hypothesis", "python=3.11,color=blue", ""])
def test_malformed_expect_versions_is_refused(tmp_path, bad):
    res = vconform("run", "yunnan", "--only", "heartBeat", "--out", str(tmp_path / "o"), "--expect-versions", bad,
                   home=tmp_path / "home")
    assert res.returncode == 2 and "--expect-versions" in res.stderr and "Traceback" not in res.stderr


def test_replay_with_the_same_versions_runs(tmp_path):
    res = vconform("run", "yunnan", "--only", "heartBeat", "--seed", "11", "--out", str(tmp_path / "o"),
                   "--tester", "t", "--organisation", "o",
                   "--expect-versions", ",".join(f"{k}={v}" for k, v in THIS.items()), home=tmp_path / "home")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "WARNING" not in res.stdout + res.stderr


def test_schema_holds_the_new_members(unsigned_off_run):
    _res, tmp = unsigned_off_run
    data = json.loads((tmp / "o" / "report.json").read_text("utf-8"))
    check_contract(data)
    broken = dict(data, reproducibility={"python": "3.11.7"})
    with pytest.raises(ReportContractError, match="reproducibility"):
        check_contract(broken)
    broken = dict(data, signoff=dict(data["signoff"], warnings="none"))
    with pytest.raises(ReportContractError, match="warnings"):
        check_contract(broken)

"""End to end: `vconform run shunde` passes the reference forwarder (client) and the mock (server), signs and
redacts its report, writes the Attachment 3 sheet; exit codes 0/1 as DESIGN.md."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def vconform(*args: str, home: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "VCONFORM_HOME": str(home)})


@pytest.mark.slow
def test_reference_forwarder_passes_and_report_is_clean(tmp_path):
    out, journal = tmp_path / "report", tmp_path / "journal.sqlite"
    proc = vconform("run", "shunde", "--seed", "21", "--out", str(out), "--journal", str(journal), home=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["verdict"] == "pass" and report["counts"]["fail"] == 0
    assert {s["name"] for s in report["stages"]} == {"interface", "flow"}
    assert {i["name"] for i in report["interfaces"]} >= {"connect", "heartbeat", "send_positions", "disconnect",
                                                        "access_result"}
    judged = {i["name"] for i in report["interfaces"] if any(c["id"] == "adapter.completed" for c in i["checks"])}
    assert judged >= {"connect", "send_positions", "disconnect"}
    sheet = [c for i in report["interfaces"] for c in i["checks"] if c["id"] == "shunde.flow.access_sheet"][0]
    assert "全部接入完成" in sheet["evidence"][0]["sheet"] and sheet["evidence"][0]["table"]["complete"]
    assert (out / "shunde-attachment3.xlsx").exists()
    assert vconform("verify", str(out), home=tmp_path).returncode == 0
    # The forwarding password never shows, neither as text nor as the hex of the raw 0x1001/0x1003 frames.
    from harness.journal import Journal

    login = next(r for r in Journal.read(journal) if r["interface"] == "UP_CONNECT_REQ")
    password = login["request_plaintext"]["password"]
    for name in ("report.html", "report.json", "junit.xml"):
        text = (out / name).read_text("utf-8")
        assert password not in text and password.encode("gbk").hex().upper() not in text, name


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["encrypted", "jt809-2019", "main-link-only"])
def test_reference_forwarder_passes_every_profile(tmp_path, profile):
    proc = vconform("run", "shunde", "--seed", "22", "--profile", profile, "--out", str(tmp_path / "r"),
                    home=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["default", "encrypted", "main-link-only", "jt809-2019"])
def test_mock_passes_the_server_role(tmp_path, profile):
    proc = vconform("run", "shunde", "--role", "server", "--profile", profile, "--out", str(tmp_path / "r"),
                    home=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_adapter_that_fails_is_the_sut_failing(tmp_path):
    proc = vconform("run", "shunde", "--only", "connect", "--seed", "3", "--out", str(tmp_path / "o"),
                    "--sut-cmd", f"{sys.executable} -c 'import sys; sys.exit(3)'", home=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads((tmp_path / "o" / "report.json").read_text("utf-8"))
    failed = {(i["name"], c["id"]) for i in report["interfaces"] for c in i["checks"] if c["verdict"] == "fail"}
    assert ("connect", "adapter.completed") in failed  # the engine's check, under the interface it judged

"""`vconform mock yunnan`: prints its address once listening, journals, exits 0 on SIGTERM; port in use is exit 2."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from harness.journal import Journal

ROOT = Path(__file__).resolve().parents[3]


def start_mock(*args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "mock", "yunnan", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    line = proc.stdout.readline().strip()
    return proc, line


def test_mock_serves_journals_and_stops_cleanly(tmp_path):
    journal = tmp_path / "j.sqlite"
    proc, line = start_mock("--port", "0", "--journal", str(journal))
    try:
        assert line.startswith("listening on http://127.0.0.1:"), line
        url = line.split("listening on ", 1)[1] + "/access/api/dataReceive/init-auth"
        req = urllib.request.Request(url, data=b"{not json", method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            answer = json.loads(resp.read())
        assert answer["code"] == 500 and answer["data"] is None
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    rows = Journal.read(journal)
    assert [(r["interface"], r["outcome"]) for r in rows] == [("init-auth", "plaintext_json")]


def test_port_in_use_is_exit_2(tmp_path):
    proc, line = start_mock("--port", "0")
    try:
        port = line.rsplit(":", 1)[1]
        second = subprocess.run([sys.executable, "-m", "harness.cli", "mock", "yunnan", "--port", port], cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 2 and "cannot listen" in second.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0

"""`vconform mock` passes its connection limits to the HTTP mock, and makes its journal private."""
from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import time

from . import fuzz_mocks as F


def test_mock_options_reach_the_http_mock(tmp_path):
    journal = tmp_path / "j.sqlite"
    mock = F.MockProcess("yunnan", journal, "--header-timeout", "0.5", "--body-timeout", "0.5")
    try:
        t0 = time.monotonic()
        assert asyncio.run(F._http_one(mock.port, F.HttpInput("silent", [], answer=False), 10)) == b""
        assert time.monotonic() - t0 < 5
        trickle = F.HttpInput("trickle", [b"POST /x HTTP/1.1\r\n"] + [b"X-Slow: 1\r\n"] * 50, pause=0.1)
        assert F._classify(asyncio.run(F._http_one(mock.port, trickle, 10))) == ("json", 408)
        assert stat.S_IMODE(os.stat(journal).st_mode) == 0o600
    finally:
        assert mock.stop() == 0
    assert [r["outcome"] for r in F.journal_rows(journal)] == ["timeout"]


def test_mock_rejects_a_bad_limit():
    r = subprocess.run([sys.executable, "-m", "harness.cli", "mock", "yunnan", "--header-timeout", "0"],
                       cwd=F.ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "must be > 0" in r.stderr

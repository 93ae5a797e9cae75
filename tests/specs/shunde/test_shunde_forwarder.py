"""The reference forwarder as an adapter: daemon start and stop, control errors, and no daemon outliving a session."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from harness import registry
from harness.run import RunConfig, RunContext
from suites.shunde.daemon import alive
from suites.shunde.session import ShundeClientSession

ROOT = Path(__file__).resolve().parents[3]


def _session(tmp_path) -> ShundeClientSession:
    ctx = RunContext(RunConfig(spec="shunde", seed=3, out=tmp_path / "out"), registry.get("shunde"))
    return ShundeClientSession(ctx, ctx.spec.reference_cmd())


def _gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def test_connect_starts_a_daemon_and_disconnect_stops_it(tmp_path):
    s = _session(tmp_path)
    try:
        res, exs = s.act("connect", {})
        assert res.ok, res.stderr
        pid = int((s.state_dir / "daemon.pid").read_text())
        assert alive(pid)
        assert any(e.interface == "UP_CONNECT_REQ" and e.outcome == "ok" for e in exs)
        res, _ = s.act("send_positions", {"vehicles": []})
        assert res.ok, res.stderr
        res, _ = s.act("disconnect", {})
        assert res.ok, res.stderr
        assert _gone(pid) and not (s.state_dir / "daemon.pid").exists()
        res, _ = s.act("send_positions", {"vehicles": []})
        assert res.exit_code == 1 and "not connected" in res.stderr
    finally:
        s.close()


def test_session_close_kills_a_leftover_daemon(tmp_path):
    s = _session(tmp_path)
    res, _ = s.act("connect", {})
    assert res.ok, res.stderr
    pid = int((s.state_dir / "daemon.pid").read_text())
    s.connected = False  # as if the run ended without the orderly disconnect
    s.close()
    assert _gone(pid)


def test_adapter_usage(tmp_path):
    ctx = tmp_path / "ctx.json"
    ctx.write_text(json.dumps({"state_dir": str(tmp_path / "state"), "base_url": "tcp://127.0.0.1:1",
                               "credentials": {}, "params": {}}), "utf-8")
    run = [sys.executable, "-m", "suites.shunde.reference_forwarder"]
    assert subprocess.run(run + ["fly", str(ctx)], cwd=ROOT, capture_output=True).returncode == 2
    proc = subprocess.run(run + ["connect", str(ctx)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "connect:" in proc.stderr  # no credentials: the daemon says why and ends


def test_daemon_ends_when_the_platform_goes_away(tmp_path):
    """If the harness dies, its in-process platform closes the main link: the daemon must not linger."""
    s = _session(tmp_path)
    try:
        res, _ = s.act("connect", {})
        assert res.ok, res.stderr
        pid = int((s.state_dir / "daemon.pid").read_text())
        s.bg.stop()
        assert _gone(pid, timeout=30)
    finally:
        s.connected = False
        s.bg.stop = lambda: None  # already stopped
        s.close()

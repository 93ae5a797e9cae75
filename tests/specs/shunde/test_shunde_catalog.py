"""Test the tests: each broken forwarder (client role) and broken district platform (server role) fails with
the named check and clause, exit 1; the unbroken references pass, exit 0.

The runs are independent processes mostly waiting on sockets, so the selected ones start together in a pool;
every assertion is about a verdict, none about how long anything took.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FORWARDERS = ROOT / "tests" / "specs" / "shunde" / "broken_forwarders.py"
PLATFORMS = ROOT / "tests" / "specs" / "shunde" / "broken_platforms.py"

# variant -> (run arguments that reach the broken behaviour, expected failing check, its spec clause)
CLIENT = {
    "wrong-crc": (["--only", "connect"], "shunde.frame.crc", "jt809 notes §Frame"),
    "no-escaping": (["--only", "send_positions"], "shunde.frame.escape", "jt809 notes §Frame"),
    "length-excluding-flags": (["--only", "connect"], "shunde.frame.length", "jt809 notes §Frame"),
    "wrong-cipher-constants": (["--only", "connect", "--profile", "encrypted"], "shunde.cipher.body",
                               "jt809 notes §Frame (body cipher); E-SD-13"),
    "no-heartbeat": (["--only", "heartbeat"], "shunde.heartbeat.main",
                     "jt809 notes §Messages (0x1005/0x1006); E-SD-03"),
    "slave-refused": (["--only", "connect"], "shunde.slave.answered",
                      "jt809 notes §Messages (0x9001/0x9002); E-SD-06"),
    "outside-china": (["--only", "send_positions"], "shunde.location.plausible",
                      "E-SD-05; jt809 notes §Messages (0x1202 LON/LAT)"),
    "future-timestamps": (["--only", "send_positions"], "shunde.location.timely", "E-SD-05; E-SD-08"),
    "history-unsorted": (["--only", "send_positions"], "shunde.history.batch", "jt809 notes §Messages (0x1203)"),
    "no-disconnect": (["--only", "disconnect"], "shunde.disconnect.orderly", "jt809 notes §Messages (0x1003/0x1004)"),
}
SERVER = {
    "accepts-wrong-password": (["--only", "connect"], "shunde.platform.login_password",
                               "jt809 notes §Messages (0x1002); E-SD-09"),
    "closes-on-malformed": (["--only", "framing"], "shunde.platform.malformed", "jt809 notes §Frame"),
    "no-heartbeat-answer": (["--only", "heartbeat"], "shunde.platform.heartbeat",
                            "jt809 notes §Messages (0x1005/0x1006); E-SD-03"),
    "no-slave-link": (["--only", "connect"], "shunde.platform.slave_link",
                      "jt809 notes §Messages (0x9001/0x9002); E-SD-06"),
}


def run_client(out: Path, variant: str, extra: list[str]) -> tuple[int, dict, str]:
    cmd = [sys.executable, "-m", "harness.cli", "run", "shunde", "--seed", "4242", "--out", str(out),
           "--sut-cmd", f"{sys.executable} {FORWARDERS} {variant}", *extra]
    return _run(cmd, out)


def run_server(out: Path, variant: str, extra: list[str]) -> tuple[int, dict, str]:
    platform = subprocess.Popen([sys.executable, str(PLATFORMS), variant], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    try:
        line = platform.stdout.readline()
        if not line.startswith("listening on tcp://"):
            return 2, {}, line + platform.stderr.read()
        target = line.split()[-1]
        cmd = [sys.executable, "-m", "harness.cli", "run", "shunde", "--role", "server", "--seed", "4242",
               "--out", str(out), "--target", target, *extra]
        return _run(cmd, out)
    finally:
        platform.terminate()
        platform.wait(30)


def _run(cmd: list[str], out: Path) -> tuple[int, dict, str]:
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "VCONFORM_HOME": str(out.parent / "home")})
    report = json.loads((out / "report.json").read_text("utf-8")) if (out / "report.json").exists() else {}
    return proc.returncode, report, proc.stdout + proc.stderr


def failing(report: dict) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for iface in report.get("interfaces", []):
        for c in iface["checks"]:
            if c["verdict"] == "fail":
                out.setdefault(c["id"], set()).add(c["spec_ref"])
    return out


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory):
    """Start every selected run of this module at once; each test waits for its own."""
    jobs: dict[tuple[str, str], tuple] = {}
    for item in request.session.items:
        if item.module is not request.module:
            continue
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "variant" in params:
            role = params.get("role", "client")
            table = CLIENT if role == "client" else SERVER
            jobs[(role, params["variant"])] = (table[params["variant"]][0],)
        elif item.name.startswith("test_references"):
            jobs[("client", "reference")] = ([],)
            jobs[("server", "reference")] = ([],)
    base = tmp_path_factory.mktemp("catalog")
    pool = ThreadPoolExecutor(max_workers=4)
    lock = threading.Lock()
    futures: dict[tuple[str, str], Future] = {}
    with lock:
        for (role, variant), (extra,) in jobs.items():
            fn = run_client if role == "client" else run_server
            futures[(role, variant)] = pool.submit(fn, base / f"{role}-{variant}", variant, extra)
    yield futures
    pool.shutdown(wait=True)


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(CLIENT))
def test_broken_forwarder_fails_with_named_check(runs, variant):
    _extra, check_id, clause = CLIENT[variant]
    code, report, output = runs[("client", variant)].result()
    assert code == 1, output
    fails = failing(report)
    assert check_id in fails, f"{check_id} not among failures {sorted(fails)}\n{output}"
    assert clause in fails[check_id]


@pytest.mark.slow
@pytest.mark.parametrize("role", ["server"])
@pytest.mark.parametrize("variant", sorted(SERVER))
def test_broken_platform_fails_with_named_check(runs, role, variant):
    _extra, check_id, clause = SERVER[variant]
    code, report, output = runs[(role, variant)].result()
    assert code == 1, output
    fails = failing(report)
    assert check_id in fails, f"{check_id} not among failures {sorted(fails)}\n{output}"
    assert clause in fails[check_id]


@pytest.mark.slow
def test_references_pass(runs):
    for role in ("client", "server"):
        code, report, output = runs[(role, "reference")].result()
        assert code == 0, output
        assert not failing(report)

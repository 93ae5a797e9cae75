"""The hostile catalogs (hostile_adapters.py, hostile_targets.py) against the harness, each bounded in time."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest

from . import hostile_adapters as HA
from . import hostile_targets as HT
from harness import adapter as adapter_mod
from harness.adapter import Adapter, AdapterNotFound, completion_problems
from harness.registry import SpecInfo
from harness.run import DeadlineReached, RunConfig, RunContext
from harness.uploader import Uploader


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead (its parent, the killed adapter, is gone and init reaps it soon)
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("name", list(HA.ADAPTERS))
def test_hostile_adapter(name, tmp_path, monkeypatch):
    case = HA.ADAPTERS[name]
    if case.escapes and shutil.which("setsid") is None:
        pytest.skip("needs setsid(1)")
    script = tmp_path / "adapter.sh"
    script.write_text("#!/bin/sh\n" + case.script)
    script.chmod(0o755)
    pidfile = tmp_path / "child.pid"
    monkeypatch.setenv("PIDFILE", str(pidfile))
    monkeypatch.setenv("PYTHON", sys.executable)
    ad = Adapter([str(script)], "toy", "http://127.0.0.1:9", {}, tmp_path / "state", timeout=HA.TIMEOUT)
    t0 = time.monotonic()
    res = ad.run("basStrategy", {}, expect_output=True)
    took = time.monotonic() - t0
    assert took < case.within, f"{name} held the harness {took:.0f} s"
    assert res.timed_out == case.timed_out
    assert (not completion_problems(res)) == case.completed, completion_problems(res)
    assert len(res.stdout.encode()) <= adapter_mod.OUTPUT_CAP * 3 + 16  # kept output bounded ('replace' may grow)
    if case.output_error:
        assert case.output_error in res.output_error
    elif case.completed:
        assert res.output_error == "" and res.output == []
    if case.forks:
        deadline = time.monotonic() + 10
        pid = int(pidfile.read_text())
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(pid), f"{name}: the adapter's child {pid} outlived it"
    if case.escapes:  # out of the adapter's group and session, but holding its output: found by its pipe, killed
        pid = int(pidfile.read_text())
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
            pytest.fail(f"{name}: the escaped child {pid} holding the adapter's output outlived it")
    json.dumps(res.evidence())  # evidence stays reportable


def test_a_timed_out_call_never_outlives_the_run_deadline(tmp_path):
    script = tmp_path / "adapter.sh"
    script.write_text("#!/bin/sh\nsleep 600\n")
    script.chmod(0o755)
    ad = Adapter([str(script)], "toy", "", {}, tmp_path / "s", timeout=600, deadline=time.monotonic() + 1.5)
    t0 = time.monotonic()
    assert ad.run("x", {}).timed_out
    assert time.monotonic() - t0 < 1.5 + 30


@pytest.mark.parametrize("text, why", [("#!/bin/sh\nexit 0\n", "not executable")])
def test_an_adapter_that_cannot_run_is_a_harness_error(text, why, tmp_path):
    script = tmp_path / "adapter.sh"
    script.write_text(text)
    script.chmod(0o755)
    ad = Adapter([str(script)], "toy", "", {}, tmp_path / "s")
    script.chmod(0o644)  # made unrunnable after the up-front check: still no PermissionError traceback
    with pytest.raises(AdapterNotFound, match=why):
        ad.run("x", {})


# ---- targets ------------------------------------------------------------------------------------------------

TOY = SpecInfo(name="toy", version="1", title_zh="玩具", title_en="Toy", source="none", roles=("server",),
               interfaces={"upload": "toy §1"}, suite_dir=Path("."))


class ToyUploader(Uploader):
    timeout = 1.5  # the per-request deadline the catalog runs with

    def __init__(self, vrun: RunContext):
        super().__init__(vrun, prefix="/toy/api", embedded=None)


@pytest.fixture
def toy_run(monkeypatch, tmp_path):
    monkeypatch.setattr("harness.specdata.profile", lambda spec, name=None: {"name": name or "default"})

    def make(target: str, **config) -> RunContext:
        return RunContext(RunConfig(spec="toy", role="server", target=target, seed=7, out=tmp_path, **config), TOY)

    return make


@pytest.mark.parametrize("name", list(HT.TARGETS))
def test_hostile_target(name, toy_run):
    case = HT.TARGETS[name]
    with HT.HostileServer(case.serve) as srv:
        t0 = time.monotonic()
        up = ToyUploader(toy_run(srv.url))  # probes the admin hook: a hostile answer there is "no hook"
        assert not up.hook
        reply = up.post("/upload", b"{}", {}, interface="upload")
        took = time.monotonic() - t0
    assert took < 2 * case.within, f"{name} held the harness {took:.0f} s"
    assert reply.status == case.status, reply.describe()
    if case.error:
        assert case.error in reply.error, reply.error
    if name in ("garbage", "reset"):
        assert reply.error and not reply.accepted
    assert len(reply.raw) <= Uploader.response_cap
    assert not reply.accepted or name == "deep-json"
    if case.error and case.status is not None:
        assert reply.describe().startswith(f"HTTP {case.status}, unusable: ")
    json.dumps(reply.evidence())  # evidence stays reportable


def test_replies_kept_are_bounded(toy_run, monkeypatch):
    """Past KEEP_REPLIES exchanges the oldest are dropped; past KEEP_FULL a large answer keeps only its head."""
    import harness.uploader as U

    big = b"x" * (U.KEEP_BYTES * 4)

    def serve(conn, stop):
        while True:
            HT._read_request(conn)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(big) + big)
            except OSError:
                return

    monkeypatch.setattr(U, "KEEP_REPLIES", 30)
    monkeypatch.setattr(U, "KEEP_FULL", 5)
    with HT.HostileServer(serve) as srv:
        up = ToyUploader(toy_run(srv.url))
        for _ in range(40):
            up.post("/upload", b"{}", {}, interface="upload")
    assert len(up.replies) == 30 and up.replies[-1].seq == 40 and up.sent == 40
    assert all(len(r.raw) == len(big) for r in up.replies[-5:])
    assert all(len(r.raw) <= U.KEEP_BYTES for r in up.replies[:-5])


def test_the_run_deadline_ends_requests(toy_run):
    with HT.HostileServer(HT.hang) as srv:
        ctx = toy_run(srv.url, deadline=2.0)
        t0 = time.monotonic()
        with pytest.raises(DeadlineReached):  # each request ends by the run's deadline; then none starts
            up = ToyUploader(ctx)
            while True:
                up.post("/upload", b"{}", {}, interface="upload")
        assert time.monotonic() - t0 < 2.0 + 30
    assert any("run deadline" in e for e in ctx.harness_errors)


# ---- the catalogs as whole runs, with their figures (hostile_catalogs.py; full size by its documented command) -----

def _catalog_rows(catalog: str, names: set[str] | None):
    from . import hostile_catalogs as HC

    figures = HC.run("small", {catalog}, names, echo=lambda line: None)
    bad = [f.line() for f in figures if not f.ok(HC.bound_of(f, HC.SIZES["small"]))]
    assert figures and not bad, "\n".join(bad)
    return figures


@pytest.mark.skipif(shutil.which("setsid") is None, reason="needs setsid(1)")
def test_catalog_runs_end_with_their_verdicts_small():
    """One adapter row and one target row of each outcome, as whole runs (every row: the slow test below)."""
    _catalog_rows("adapters", {"setsid-hangs"})
    _catalog_rows("targets", {"reset"})


@pytest.mark.slow
@pytest.mark.parametrize("catalog", ["adapters", "targets"])
def test_every_catalog_row_ends_with_its_verdict_small(catalog):
    _catalog_rows(catalog, None)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the child's VmHWM from /proc")
def test_catalog_peak_rss_is_the_childs_own_not_the_parents():
    """issue 9: every row showed 136 MB, the parent's high-water mark inherited through fork+exec (ru_maxrss).
    A child that holds 150 MB and one that holds next to nothing must show different figures, the small one
    below the (bloated) parent's own peak."""
    from . import hostile_catalogs as HC

    ballast = bytearray(200 * 2**20)  # this process's peak: what ru_maxrss would report for every child
    ballast[::4096] = b"x" * len(ballast[::4096])
    hold = "import time; b = bytearray(150 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(1.0)"
    _, _, big = HC.run_measured([sys.executable, "-c", hold], 60)
    _, _, small = HC.run_measured([sys.executable, "-c", "import time; time.sleep(1.0)"], 60)
    del ballast
    assert big > 150 and small < 100 and big - small > 100, (big, small)

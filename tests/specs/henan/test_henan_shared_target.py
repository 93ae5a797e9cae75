"""Two server-role runs sharing one target (tester11 D7: two CI jobs against one test platform). Each run moves the
target's clock to expire its own tokens, which expires the other's: the run that notices (its login answer shows a
clock moved further than it moved it) stops with a harness error naming the cause, instead of failing the platform
with Hypothesis' "Inconsistent data generation". A second run with the same seed on a provincial target that
already holds its company is refused before it starts. On the old code both runs went on (exit 0 / exit 1)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from harness.clock import Clock
from harness.journal import Journal
from harness.run import HarnessError
from harness.serve import BackgroundServer
from suites.henan.shared_target import TargetClock


class OtherRunToo(Clock):
    """A target clock that another run moves as well: the first time this run moves it, 3 h more go by."""

    def advance(self, seconds: float) -> None:
        super().advance(seconds + (3 * 3600 if not getattr(self, "moved", False) else 0))
        self.moved = True


def run(tmp_path, spec, url, *extra):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", spec, "--role", "server", "--seed", "7",
                           "--target", url, "--out", str(out), *extra], capture_output=True, text=True, timeout=600)
    return proc, json.loads((out / "report.json").read_text("utf-8"))


def test_target_clock_moved_by_another_run():
    class U:
        clock, base = 0.0, "http://t/ysgk"

    u = U()
    clock = TargetClock(u, "accounts collide")
    clock.seen("2026-11-30 08:00:00", "%Y-%m-%d %H:%M:%S")
    u.clock = 7201.0  # this run moved it 2 h: a login 2 h later is no collision
    clock.seen("2026-11-30 10:00:02", "%Y-%m-%d %H:%M:%S")
    clock.seen("not a time", "%Y-%m-%d %H:%M:%S")  # unreadable: ignored
    with pytest.raises(HarnessError, match="another run shares the target http://t/ysgk: its clock moved 2.0 h"):
        clock.seen("2026-11-30 12:00:02", "%Y-%m-%d %H:%M:%S")
    assert "accounts collide" in clock.collision and "one server-role run per target" in clock.collision


def test_city_run_notices_a_clock_it_did_not_move(tmp_path):
    from mocks.henan.city_app import HenanCityMock

    with BackgroundServer(HenanCityMock(journal=Journal(None), seed=7, clock=OtherRunToo()).app) as server:
        proc, report = run(tmp_path, "henan-city", server.url + "/ysgk", "--stage", "negative")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert report["verdict"] == "error"
    assert any("another run shares the target" in e for e in report["harness_errors"]), report["harness_errors"]


def test_province_second_run_with_the_same_seed_is_refused(tmp_path):
    from mocks.henan.province_app import HenanProvinceMock

    with BackgroundServer(HenanProvinceMock(journal=Journal(None)).app) as server:
        first, _ = run(tmp_path / "1", "henan-province", server.url, "--stage", "negative")
        assert first.returncode == 0, first.stdout + first.stderr
        proc, report = run(tmp_path / "2", "henan-province", server.url, "--stage", "negative")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert report["counts"]["fail"] == 0
    assert any("already holds company" in e and "--seed" in e for e in report["harness_errors"])

"""The city server role against a --target: a wrong path prefix is the harness's error (exit 2, one line), not
failures charged to the platform (tester11 D6); the report's coverage lists the server role's checks only, not the
client role's as 'not covered' (D7). Both failed on the old code: exit 1 with 404s judged, client ids listed."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from harness.journal import Journal
from harness.serve import BackgroundServer
from mocks.henan.city_app import HenanCityMock


@pytest.fixture(scope="module")
def target():
    with BackgroundServer(HenanCityMock(journal=Journal(None), seed=5).app) as server:
        yield server.url


def run(tmp_path, url, *extra):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "henan-city", "--role", "server", "--seed", "5",
                           "--target", url, "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=600)
    return proc, json.loads((out / "report.json").read_text("utf-8"))


def test_wrong_prefix_is_a_harness_error(tmp_path, target):
    proc, report = run(tmp_path, target + "/wrongprefix", "--stage", "negative")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert report["counts"]["fail"] == 0
    assert report["harness_errors"] and all("nothing at --target" in e for e in report["harness_errors"])


def test_server_report_covers_server_checks_only(tmp_path, target):
    proc, report = run(tmp_path, target + "/ysgk", "--stage", "negative")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    listed = {cid for row in report["coverage"] for cid in row["checks"]}
    assert listed and all(".server." in cid for cid in listed), sorted(listed)
    assert "henan.server.reject.rule" in listed


# ---- the provincial level (E-HN-40: no URL printed; /ysgk/province by default) ---------------------------------
@pytest.fixture
def province_target():
    from mocks.henan.province_app import HenanProvinceMock

    with BackgroundServer(HenanProvinceMock(journal=Journal(None)).app) as server:
        yield server.url


def run_province(tmp_path, url, *extra):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "henan-province", "--role", "server",
                           "--seed", "5", "--target", url, "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=600)
    return proc, out


@pytest.mark.parametrize("path, profile", [("/wrongprefix", "default"), ("", "province-root-path")])
def test_province_wrong_path_is_a_harness_error(tmp_path, province_target, path, profile):
    """A wrong path (or E-HN-40's root reading, a bare host:port, against a platform serving /ysgk/province) is exit
    2, verdict error, JUnit <error>, and the message names the path expected and E-HN-40's switch; no check is
    charged to the platform. On the old code: exit 1, the 404s judged as the platform's refusals."""
    proc, out = run_province(tmp_path, province_target + path, "--stage", "negative", "--profile", profile)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["verdict"] == "error"
    assert report["counts"]["fail"] == 0
    errors = report["harness_errors"]
    assert errors and all("nothing at --target" in e and "E-HN-40" in e and "province_path" in e for e in errors)
    assert any(f"{province_target + path}/<方法名>" in e for e in errors), errors
    assert "<error" in (out / "junit.xml").read_text("utf-8")


def test_province_right_path_runs(tmp_path, province_target):
    proc, out = run_province(tmp_path, province_target + "/ysgk/province", "--stage", "negative")
    assert proc.returncode == 0, proc.stdout + proc.stderr

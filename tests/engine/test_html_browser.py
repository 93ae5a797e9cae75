"""A failing report as a person first sees it, in headless Chromium: the failure summary is on the first screen,
names the failing check and quotes its clause in Chinese, and the page's script draws the evidence on demand.

A broken client (AES-128 where yunnan §5.2 requires AES-256) is run through the real CLI with `--only heartBeat`.
Chromium and a CJK font come from Debian (.ci/run installs them); Playwright drives the system Chromium and never
downloads a browser of its own. The test asserts on the DOM; the screenshot is kept in the test's tmp dir for a
person to look at.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.report import clauses

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 800}

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it as root)")


@pytest.fixture(scope="module")
def failing_report(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("browser")
    client = f"{sys.executable} {ROOT / 'tests/specs/yunnan/broken_clients.py'} aes128"
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "yunnan", "--only", "heartBeat", "--seed", "1",
                           "--out", str(tmp / "out"), "--sut-cmd", client, "--tester", "T", "--organisation", "O"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "VCONFORM_HOME": str(tmp / "home")})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    return tmp / "out" / "report.html"


@pytest.fixture(scope="module")
def page(failing_report):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the test extra has it)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            pg = browser.new_page(viewport=VIEWPORT)
            errors: list[str] = []
            pg.on("pageerror", lambda exc: errors.append(str(exc)))
            pg.goto(failing_report.as_uri())
            pg.wait_for_load_state("load")
            pg.script_errors = errors
            yield pg
        finally:
            browser.close()


def test_failure_summary_on_the_first_screen(page, tmp_path):
    summary = page.locator("#failures")
    assert summary.count() == 1
    box = summary.bounding_box()
    assert box is not None and box["y"] < VIEWPORT["height"], box
    cause = page.locator("#failures li.cause", has_text="yunnan.envelope.aes256")
    assert cause.count() == 1, page.locator("#failures").inner_text()
    cause_box = cause.bounding_box()
    assert cause_box["y"] < VIEWPORT["height"], "the defect itself is on the first screen, not only the heading"
    quote = clauses.load("yunnan")["clauses"]["yunnan §5.1 step 3"]["quote"]
    assert "AES-256 会话密钥" in quote  # the Chinese clause text, as the spec words it
    assert quote in cause.inner_text()
    shot = tmp_path / "failing-report.png"
    page.screenshot(path=str(shot))
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert not page.script_errors


def test_first_evidence_link_draws_the_evidence(page):
    link = page.locator("#failures li.cause", has_text="yunnan.envelope.aes256").locator("a", has_text="first evidence")
    target = link.get_attribute("href")
    link.click()
    row = page.locator(target)
    evidence = row.locator("details.evi .ev")
    evidence.first.wait_for(state="visible")
    assert evidence.count() >= 1
    assert "getToken" in row.inner_text()
    assert not page.script_errors


def test_filters_hide_rows_by_verdict(page):
    passing = page.locator("details.passing").first
    assert passing.is_visible()
    page.locator("#filters input[value=pass]").uncheck()
    assert not passing.is_visible()
    page.locator("#filters input[value=pass]").check()
    assert passing.is_visible()
    fail_row = page.locator("tr.r-fail").first
    page.locator("#filters input[value=fail]").uncheck()
    assert not fail_row.is_visible()
    page.locator("#filters input[value=fail]").check()


def test_journal_is_drawn_a_page_at_a_time(page):
    entries = page.locator("#journal details.jx")
    assert 0 < entries.count() <= 100
    first = entries.first
    first.locator("summary").click()
    first.locator(".ev").wait_for(state="visible")
    assert "/access/api/dataReceive/" in first.inner_text()
    # JSON bodies travel compact in the page and are indented by its script for reading.
    texts = first.locator("pre").all_inner_texts()
    assert any(t.startswith("{\n  \"") for t in texts), texts


def test_passing_rows_are_drawn_when_opened(page):
    passing = page.locator("details.passing").first
    rows = passing.locator("tr.r-pass")
    assert rows.count() == 0, "passing rows are not in the DOM until their interface's list is opened"
    passing.locator("summary").click()
    rows.first.wait_for(state="visible")
    assert rows.count() >= 1
    first = rows.first
    assert first.get_attribute("id").startswith("c-")
    evidence = first.locator("details.evi")
    if evidence.count():
        evidence.locator("summary").click()
        first.locator(".ev").first.wait_for(state="visible")
    assert not page.script_errors

"""The live dashboard as a person watches it, in headless Chromium: a Yunnan mock serves the page; traffic sent to
the mock appears without a reload, with the finding a (fake) observer makes of it and the board of a (fake)
campaign, and a secret sent in a body never reaches the page.

Chromium and a CJK font come from Debian (.ci/run installs them); Playwright drives the system Chromium and never
downloads a browser of its own (as tests/engine/test_html_browser.py)."""
from __future__ import annotations

import shutil

import pytest

from dashboard_fakes import BOARD, FakeObserver, install_campaign, post
from harness.dashboard import PATH
from harness.dashboard.live import Dashboard
from harness.journal import Journal
from harness.serve import BackgroundServer
from mocks.yunnan.app import YunnanMock

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
API = "/access/api/dataReceive/"
SECRET = "Kp4-dashboard-secret-77"
WAIT_MS = 15_000  # generous: a loaded 2-core machine; the page polls once a second

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it as root)")


@pytest.fixture()
def served(tmp_path, monkeypatch):
    install_campaign(monkeypatch)
    mock = YunnanMock(key_bits=1024, journal=Journal(tmp_path / "j.sqlite"))
    mock.dashboard = Dashboard(mock, spec="yunnan", campaign="sqlite:///campaign", sut="acme-gateway")
    mock.observer = FakeObserver(mock.journal)
    with BackgroundServer(mock.app) as srv:
        yield srv


@pytest.fixture()
def page(served):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the test extra has it)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            pg = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            pg.on("pageerror", lambda exc: errors.append(str(exc)))
            pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            pg.goto(served.url + PATH)
            pg.wait_for_selector("#status.live", timeout=WAIT_MS)
            pg.script_errors = errors
            yield pg
        finally:
            browser.close()


def test_traffic_appears_without_a_reload_with_findings_and_board(served, page, tmp_path):
    assert page.locator("#exchanges tr").count() == 0
    assert page.locator("#findings").get_attribute("data-state") == "on"
    page.evaluate("window.__same_document = true")  # gone if the page reloads

    post(served.url + API + "heartBeat", f'{{"apiSecret": "{SECRET}", "enterpriseId": "E1"}}'.encode())
    post(served.url + API + "enterprise", f"token={SECRET}".encode(), {"Authorization": f"Bearer {SECRET}"})
    page.wait_for_selector("#exchanges tr.ex[data-seq='2']", timeout=WAIT_MS)
    assert page.evaluate("window.__same_document") is True, "the rows came without a reload"

    rows = page.locator("#exchanges tr.ex")
    assert rows.count() == 2 and rows.first.get_attribute("data-seq") == "2", "newest first"
    first = page.locator("#exchanges tr.ex[data-seq='1']")
    assert first.locator("td.interface").inner_text() == "heartBeat"
    assert first.locator("td.peer").inner_text() == "127.0.0.1"
    assert first.locator("td.outcome").inner_text() == "client_id"  # refused: no X-Client-Id
    assert '"apiSecret": "***"' in first.locator("td.request").inner_text()

    counts = page.locator("#interfaces tr[data-interface='heartBeat']")
    counts.wait_for(timeout=WAIT_MS)
    assert counts.locator("td.total").inner_text() == "1"

    finding = page.locator("#findings-recent tr.finding", has_text="fake.refused")
    page.wait_for_function("document.querySelectorAll('#findings-recent tr.finding').length === 2", timeout=WAIT_MS)
    assert "refused: client_id" in finding.first.inner_text()
    assert page.locator("#findings-summary", has_text="fail: ").count() == 1

    stages = page.locator("#stages tr.stage")
    assert stages.count() == len(BOARD["stages"])
    assert stages.nth(1).locator("td.state").inner_text() == "open"
    assert BOARD["stages"][2]["reason"] in stages.nth(2).inner_text()
    assert page.locator("#board-interfaces tr.board-interface td.verdict").first.inner_text() == "pass"
    assert "acme-gateway" in page.locator("#campaign-note").inner_text()

    # A third request: one new row, the two shown before stay the same elements (moved, not rebuilt).
    page.evaluate("document.querySelector(\"#exchanges tr[data-seq='1']\").dataset.mark = 'kept'")
    post(served.url + API + "getToken", b"{}")
    page.wait_for_selector("#exchanges tr.ex[data-seq='3']", timeout=WAIT_MS)
    assert page.locator("#exchanges tr[data-seq='1']").get_attribute("data-mark") == "kept"

    html = page.content()
    assert SECRET not in html and SECRET not in page.locator("body").inner_text()
    assert page.evaluate("window.__same_document") is True
    page.screenshot(path=str(tmp_path / "dashboard.png"))
    assert not page.script_errors, page.script_errors


def test_the_page_says_when_the_mock_stops_answering(served, page):
    served.stop()
    page.wait_for_selector("#status.lost", timeout=WAIT_MS)
    assert "no answer from the mock" in page.locator("#status").inner_text()

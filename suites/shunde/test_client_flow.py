"""Stage `flow` (gansu rollout: the full business-process data test): an operator applies for a fleet
(Attachment 1), connects again, forwards each vehicle's history and live positions, and the district
platform's result sheet (Attachment 3) must say 全部接入完成; then it leaves in order."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from harness.pytest_plugin import require
from mocks.shunde.store import positions_from_journal
from suites.shunde import checks as C
from suites.shunde.access import build_sheet

pytestmark = [pytest.mark.role("client"), pytest.mark.stage("flow")]
STAGE = "flow"
FLEET = 6
HISTORY, LIVE = 10, 3


@pytest.mark.interface("connect")
def test_main_link_lost(sd, vrun):
    """The district platform's main link drops mid-run (a network fault, not a 0x1003): the forwarder reports it
    on the slave link (0x1007), logs in again with back-off and resends what the platform had not confirmed."""
    if not sd.ensure_connected(STAGE):
        pytest.fail("connect failed; see the connect interface")
    vehicles = sd.data.fleet(2, sd.operator)
    end = sd.now_local() - dt.timedelta(seconds=2)
    tracks = {v["vehicle_no"]: sd.data.track(2 * LIVE, end) for v in vehicles}
    before, after = ({"vehicles": [{"vehicle_no": v["vehicle_no"], "vehicle_color": v["vehicle_color"], "mode": "real",
                                    "positions": tracks[v["vehicle_no"]][part]} for v in vehicles]}
                     for part in (slice(0, LIVE), slice(LIVE, None)))
    require(vrun, sd.main_link_lost(before, after, STAGE))


@pytest.mark.interface("connect")
def test_platform_requests(sd, vrun):
    """The district platform's roll call, alarm supervision, text and monitoring requests: each answered."""
    if not sd.ensure_connected(STAGE):
        pytest.fail("connect failed; see the connect interface")
    require(vrun, sd.platform_requests(STAGE))


@pytest.mark.interface("access_result")
def test_fleet_access_sheet(sd, vrun):
    if sd.connect_failed:
        pytest.fail("connect failed in an earlier test; the flow cannot start")
    results = []
    if sd.connected:
        results += sd.disconnect(STAGE)
    results += sd.connect(STAGE)  # a second login after an orderly disconnect must be accepted
    if not sd.connected:
        require(vrun, results)
        pytest.fail("connect failed")
    start = sd.mock.clock.now()
    seq0 = sd.journal.last_seq
    vehicles = sd.data.fleet(FLEET, sd.operator)
    application = sd.data.application(vehicles, sd.operator)
    end = sd.now_local() - dt.timedelta(seconds=2)
    tracks = {v["vehicle_no"]: sd.data.track(HISTORY + LIVE, end) for v in vehicles}
    for mode, part in (("history", slice(0, HISTORY)), ("real", slice(HISTORY, None))):
        params = {"vehicles": [{"vehicle_no": v["vehicle_no"], "vehicle_color": v["vehicle_color"], "mode": mode,
                                "positions": tracks[v["vehicle_no"]][part]} for v in vehicles]}
        res, _ = sd.send_positions(params, STAGE)
        results += res
    now = sd.mock.clock.now()
    sheet = build_sheet(application, positions_from_journal(sd.since(seq0)), window=(start, now), now=now,
                        rules=sd.rules)
    evidence = {"kind": "note", "text": f"{sheet.title} (shunde Attachment 3): {len(sheet.rows)} 辆, 汇总结果 "
                                        f"{sheet.summary}", "sheet": sheet.as_text(), "table": sheet.as_dict()}
    _write_sheet(sheet, Path(vrun.config.out))
    results.append(sd.record("shunde.flow.access_sheet", C.access_sheet(sheet), interface="access_result",
                             stage=STAGE, evidence=[evidence]))
    results += sd.disconnect(STAGE)
    require(vrun, results)


def _write_sheet(sheet, out: Path) -> None:
    """The sheet beside the report, as the district platform would send it back (XLSX and HTML)."""
    from suites.shunde.sheets import write_html, write_xlsx

    out.mkdir(parents=True, exist_ok=True)
    write_xlsx(sheet, out / "shunde-attachment3.xlsx")
    write_html(sheet, out / "shunde-attachment3.html")

"""Stage `flow`: the business process of one inspection (zongjian §6.7, §6.8, §images): serial, data, images; and a
failed inspection whose report says 不合格."""
from __future__ import annotations

import pytest

from harness.pytest_plugin import require

pytestmark = [pytest.mark.role("client"), pytest.mark.stage("flow")]
STAGE = "flow"
FLOW = ["getVehicleInfoAndDetectSn", "shareDetectInfo", "sharePrintImage", "shareReportImage", "shareSignatureImage"]


@pytest.mark.interface("shareDetectInfo")
def test_whole_inspection(gs, vrun):
    results = []
    for interface in FLOW:
        results += gs.run_action(interface, gs.params(interface, 10), stage=STAGE,
                                 expect_output=interface == "getVehicleInfoAndDetectSn")[2]
    require(vrun, results)


@pytest.mark.interface("shareDetectInfo")
def test_failed_inspection(gs, vrun):
    results = gs.run_action("getVehicleInfoAndDetectSn", gs.params("getVehicleInfoAndDetectSn", 11), stage=STAGE,
                            expect_output=True)[2]
    results += gs.run_action("shareDetectInfo", gs.params("shareDetectInfo", 11, failed=True), stage=STAGE)[2]
    require(vrun, results)

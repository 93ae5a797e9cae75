"""Stage `interface`: one action per station interface (zongjian §token, §6.2, §6.3, §6.7, §6.8, §images), judged.
An upload under a serial gets its serial first, as a station does (that call is not judged here)."""
from __future__ import annotations

import pytest

from harness.pytest_plugin import require

pytestmark = [pytest.mark.role("client"), pytest.mark.stage("interface")]
STAGE = "interface"
PLAIN = ["getAccessToken", "shareDetectionStationInfo", "shareVehicleInfo", "getVehicleInfoAndDetectSn"]
UNDER_SERIAL = ["shareDetectInfo", "sharePrintImage", "shareReportImage", "shareSignatureImage"]


@pytest.mark.parametrize("interface", [pytest.param(i, marks=pytest.mark.interface(i), id=i) for i in PLAIN])
def test_plain(gs, vrun, interface):
    _res, _exs, results = gs.run_action(interface, gs.params(interface), stage=STAGE,
                                        expect_output=interface == "getVehicleInfoAndDetectSn")
    require(vrun, results)


@pytest.mark.parametrize("interface", [pytest.param(i, marks=pytest.mark.interface(i), id=i) for i in UNDER_SERIAL])
def test_under_serial(gs, vrun, interface):
    n = UNDER_SERIAL.index(interface) + 1
    gs.act("getVehicleInfoAndDetectSn", gs.params("getVehicleInfoAndDetectSn", n), expect_output=True)
    _res, _exs, results = gs.run_action(interface, gs.params(interface, n), stage=STAGE)
    require(vrun, results)

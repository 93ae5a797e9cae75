"""Server role, stage `interface`: the harness logs in and sends valid traffic on every interface, in the order a
station does (serial first, then data and images under it); each must be answered code "1"."""
from __future__ import annotations

import pytest

from harness.pytest_plugin import require
from suites.gansu import checks as C

pytestmark = [pytest.mark.role("server"), pytest.mark.stage("interface")]
STAGE = "interface"
PLAIN = ["shareDetectionStationInfo", "shareVehicleInfo"]
UNDER_SERIAL = ["shareDetectInfo", "sharePrintImage", "shareReportImage", "shareSignatureImage"]


@pytest.mark.interface("getAccessToken")
def test_login(gss, vrun):
    reply = gss.login()
    require(vrun, [gss.record("gansu.server.token", C.server_token(reply), interface="getAccessToken", stage=STAGE,
                              evidence=[reply])])


@pytest.mark.parametrize("interface", [pytest.param(i, marks=pytest.mark.interface(i), id=i) for i in PLAIN])
def test_plain_upload(gss, vrun, interface):
    reply = gss.call(interface, gss.valid(interface, 1), note="valid")
    require(vrun, [gss.record("gansu.server.accept", C.server_accept(reply, interface), interface=interface,
                              stage=STAGE, evidence=[reply])])


@pytest.mark.interface("getVehicleInfoAndDetectSn")
def test_serial_per_vehicle(gss, vrun):
    replies = [gss.serial(1), gss.serial(2)]
    serials = [gss.serials.get(1), gss.serials.get(2)]
    require(vrun, [gss.record("gansu.server.accept", C.server_accept(replies[0], "getVehicleInfoAndDetectSn"),
                              interface="getVehicleInfoAndDetectSn", stage=STAGE, evidence=replies[:1]),
                   gss.record("gansu.server.serial", C.server_serial(replies, serials),
                              interface="getVehicleInfoAndDetectSn", stage=STAGE, evidence=replies)])


@pytest.mark.parametrize("interface", [pytest.param(i, marks=pytest.mark.interface(i), id=i) for i in UNDER_SERIAL])
def test_under_serial(gss, vrun, interface):
    n = 10 + UNDER_SERIAL.index(interface)
    gss.serial(n)
    reply = gss.call(interface, gss.valid(interface, n), note="valid, under the issued serial")
    require(vrun, [gss.record("gansu.server.accept", C.server_accept(reply, interface), interface=interface,
                              stage=STAGE, evidence=[reply])])

"""Server role, stage `negative`: one defect per request; the platform must refuse each with code "0"."""
from __future__ import annotations

import pytest

from harness.pytest_plugin import require
from suites.gansu import checks as C

pytestmark = [pytest.mark.role("server"), pytest.mark.stage("negative")]
STAGE = "negative"
# One detectRecord field broken at a time: (field, a value its table row refuses, what is wrong).
MUTANTS = [
    ("plateColorCode", "0", "a plate colour outside JT/T 415 (Henan's 0 blue)"),
    ("detectDate", "2026/11/29 09:00:00", "a date not YYYY-MM-DD hh:mm:ss"),
    ("engineNo", None, "engineNo missing"),
    ("power", {"evaluate": "7"}, "an evaluate outside 0/-1/1/2/4/N"),
    ("mainLamp", [{"evaluate": "0"}, {}], "a headlamp result without its evaluate"),
]


def _record(gss, vrun, cid, interface, problems, evidence):
    require(vrun, [gss.record(cid, problems, interface=interface, stage=STAGE, evidence=evidence)])


@pytest.mark.interface("getVehicleInfoAndDetectSn")
def test_token(gss, vrun):
    value = gss.valid("getVehicleInfoAndDetectSn", 30)
    none = gss.call("getVehicleInfoAndDetectSn", value, token="", note="no ;token=")
    forged = gss.call("getVehicleInfoAndDetectSn", value, token="0" * 32, note="a token never issued")
    _record(gss, vrun, "gansu.server.reject.token", "getVehicleInfoAndDetectSn",
            C.refused(none, "no token") + C.refused(forged, "a forged token"), [none, forged])


@pytest.mark.interface("shareVehicleInfo")
def test_value_object(gss, vrun):
    reply = gss.call("shareVehicleInfo", gss.valid("shareVehicleInfo", 31), as_object=True,
                     note="IPCType.value as an object")
    _record(gss, vrun, "gansu.server.reject.value_object", "shareVehicleInfo",
            C.refused(reply, "IPCType.value as a JSON object"), [reply])


@pytest.mark.interface("shareDetectInfo")
def test_format(gss, vrun):
    gss.serial(32)
    problems, replies = [], []
    for field, bad, what in MUTANTS:
        value = gss.valid("shareDetectInfo", 32)
        if bad is None:
            value["detectRecord"].pop(field)
        else:
            value["detectRecord"][field] = bad
        reply = gss.call("shareDetectInfo", value, note=what)
        replies.append(reply)
        problems += C.refused(reply, what)
    _record(gss, vrun, "gansu.server.reject.format", "shareDetectInfo", problems, replies)


@pytest.mark.interface("shareDetectInfo")
def test_serial(gss, vrun):
    gss.serial(33)
    gss.serial(34)
    d = gss.data
    invented = gss.call("shareDetectInfo", d.detect_info(d.vehicle(33), gss.account["CompanyId"] + "99999999"),
                        note="a serial never issued")
    other = gss.call("shareDetectInfo", d.detect_info(d.vehicle(33), gss.serials.get(34, "")),
                     note="the serial of another vehicle")
    image = gss.call("sharePrintImage", {"printImage": d.image_items(d.vehicle(33), "NOT-ISSUED", "1")},
                     note="an image under a serial never issued")
    _record(gss, vrun, "gansu.server.reject.serial", "shareDetectInfo",
            C.refused(invented, "a serial never issued") + C.refused(other, "another vehicle's serial")
            + C.refused(image, "an image under a serial never issued"), [invented, other, image])


@pytest.mark.interface("shareDetectInfo")
def test_contradiction(gss, vrun):
    gss.serial(35)
    value = gss.data.detect_info(gss.data.vehicle(35), gss.serials.get(35, ""), failed=True)
    value["detectReport"]["detectResult"] = "合格"
    reply = gss.call("shareDetectInfo", value, note="合格 while a brake axle evaluates -1")
    _record(gss, vrun, "gansu.server.reject.contradiction", "shareDetectInfo",
            C.refused(reply, "a conclusion 合格 with an item at -1"), [reply])

"""The §6.8 body judged whole (zongjian §payload): every result group of detectRecord at any depth (power,
fuelEconomy, brake per axle, emission, suspension, lamps, single items) with its `evaluate`, detectReport's fields,
the conclusion-contradicts-verdicts rule, and the §6.2 / §6.3 fields named elsewhere (E-GS-10). What the
reconstruction leaves open (measured values, the items of initData / manualTestResult, E-GS-03 / E-GS-12) passes."""
from __future__ import annotations

import copy

import pytest

from schemas.gansu.datagen import StationData
from schemas.gansu.validate import validate

D = StationData(3)
V = D.vehicle(0)
BASE = D.detect_info(V, "X")


def judged(interface: str, value: dict) -> list[tuple[str, str, str]]:
    body = {"CompanyId": D.company_id, "Source": D.source, "IPCType": interface, "IPCType.value": value}
    return [(v.level, v.kind, v.path) for v in validate(interface, "request", body) if v.level == "fail"]


def mutated(fn) -> dict:
    body = copy.deepcopy(BASE)
    fn(body["detectRecord"], body["detectReport"])
    return body


def test_the_seeded_body_passes():
    assert judged("shareDetectInfo", BASE) == []


@pytest.mark.parametrize("where, fn, kind", [
    ("power.evaluate", lambda r, _: r["power"].pop("evaluate"), "required"),
    ("fuelEconomy.evaluate", lambda r, _: r["fuelEconomy"].update(evaluate="7"), "code"),
    ("brake.singleAxle[1].evaluate", lambda r, _: r["brake"]["singleAxle"][1].pop("evaluate"), "required"),
    ("brake.wholeVehicle.evaluate", lambda r, _: r["brake"]["wholeVehicle"].update(evaluate=0), "type"),
    ("brake.roadTest.evaluate", lambda r, _: r["brake"]["roadTest"].update(evaluate="pass"), "code"),
    ("brake.initData[0]", lambda r, _: r["brake"].update(initData=["1"]), "not_object"),
    ("emission.dieselVehicle.evaluate", lambda r, _: r["emission"].update(dieselVehicle={}), "required"),
    ("suspension", lambda r, _: r.update(suspension={"evaluate": "0"}), "type"),
    ("mainLamp[0].evaluate", lambda r, _: r["mainLamp"][0].update(evaluate="-2"), "code"),
    ("singleItem[0].evaluate", lambda r, _: r["singleItem"][0].pop("evaluate"), "required"),
    ("detectReport.detectResult", lambda _, p: p.update(detectResult="通过"), "code"),
    ("detectReport.tractorInfo", lambda _, p: p.update(tractorInfo="牵引车"), "not_object"),
    ("detectReport.manualTestResult", lambda _, p: p.update(manualTestResult={}), "type"),
    ("detectReport.performanceItem[0]", lambda _, p: p.update(performanceItem=[1]), "not_object"),
])
def test_each_group_and_report_field_is_judged(where, fn, kind):
    found = judged("shareDetectInfo", mutated(fn))
    assert any(k == kind and p.endswith(where) for _, k, p in found), found


def test_a_minus_one_at_any_depth_contradicts_a_passing_conclusion():
    for fn in (lambda r, _: r["brake"]["singleAxle"][0].update(evaluate="-1"),
               lambda r, _: r["emission"][next(iter(r["emission"]))].update(evaluate="-1"),
               lambda r, _: r["mainLamp"][1].update(evaluate="-1")):
        assert [k for _, k, _p in judged("shareDetectInfo", mutated(fn))] == ["rule"]
    failed = mutated(lambda r, p: (r["singleItem"][0].update(evaluate="-1"), p.update(detectResult="不合格")))
    assert judged("shareDetectInfo", failed) == []


def test_what_the_reconstruction_leaves_open_passes():
    """E-GS-03: measured values and unnamed items; E-GS-11: seatCount optional; E-GS-12: report items' verdicts,
    grades and a 不合格 with no item at -1 are not judged; groups are optional."""
    def open_(r, p):
        r["power"]["maxPower"] = "120.5"
        r["brake"]["initData"] = [{"axle": "1", "leftForce": 3100}, {}]
        r.pop("fuelEconomy")
        p.update(detectResult="不合格", tractorInfo={"vehicleNo": "甘A12345"},
                 manualTestResult=[{"item": "外观", "evaluate": "-1"}], performanceItem=[{"name": "制动"}])
    assert judged("shareDetectInfo", mutated(open_)) == []
    graded = mutated(lambda r, p: (r["power"].update(evaluate="2"), p.update(detectResult="一级")))
    assert judged("shareDetectInfo", graded) == []


def test_station_and_vehicle_fields_named_elsewhere_are_judged_when_present():
    assert judged("shareDetectionStationInfo", {"dsId": D.company_id}) == []
    assert judged("shareDetectionStationInfo", {"dsId": D.company_id, "dsName": 7}) == [
        ("fail", "type", "$.IPCType.value.dsName")]
    assert judged("shareVehicleInfo", dict(V)) == []
    bare = {k: V[k] for k in ("vehicleNo", "plateColorCode", "vinNo")}
    assert judged("shareVehicleInfo", bare) == []
    assert judged("shareVehicleInfo", {**V, "engineNo": 123456}) == [("fail", "type", "$.IPCType.value.engineNo")]

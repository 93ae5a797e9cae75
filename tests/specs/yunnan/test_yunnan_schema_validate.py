"""The yunnan validator: one test per violation kind, the errata readings, and the rules."""
from __future__ import annotations

import pytest

from harness.checks import Problem
from schemas.yunnan.datagen import YunnanData
from schemas.yunnan.validate import KINDS, to_problems, validate

DATA = YunnanData(7, "91530102MA6K0W1X5Q001P")


def fails(vs):
    return [v for v in vs if v.level == "fail"]


def only(vs, **want):
    """The single violation of vs, checked against the wanted attributes."""
    assert len(vs) == 1, [v.message for v in vs]
    for k, w in want.items():
        assert getattr(vs[0], k) == w, (k, vs[0])
    return vs[0]


def test_the_samples_are_clean():
    for name in DATA.tables.interfaces:
        for direction in ("request", "response"):
            assert validate(name, direction, DATA.sample(name, direction)) == [], (name, direction)


def test_kinds_are_the_documented_nine():
    assert KINDS == ("required", "type", "length", "code", "format", "composition", "rule", "unknown_field", "not_object")


def test_missing_required_field():
    v = DATA.vehicle(1)
    del v["vin"]
    only(validate("vehicleInfo", "request", v), kind="required", level="fail", path="$.vin", field="vin")
    v = DATA.vehicle(1) | {"fleetName": ""}
    only(validate("vehicleInfo", "request", v), kind="required", path="$.fleetName")


def test_wrong_json_type():
    e = DATA.enterprise() | {"entranceNums": "2"}
    only(validate("enterprise", "request", e), kind="type", level="fail", path="$.entranceNums")
    e = DATA.enterprise() | {"gateNums": 2.5}
    only(validate("enterprise", "request", e), kind="type", level="fail")


def test_length_with_a_data_first_message():
    c = DATA.camera() | {"entranceId": "AB"}
    v = only(validate("cameraInfo", "request", c), kind="length", level="fail", path="$.entranceId")
    assert v.message == "received 'AB' (2 chars) at $.entranceId, spec requires 1 letter A-Z (yunnan §6.4)"
    c = DATA.camera() | {"gateId": "A001"}
    only(validate("cameraInfo", "request", c), kind="length", level="fail", path="$.gateId")
    c = DATA.camera() | {"gateId": ""}  # 非道闸摄像头此项可为空
    assert validate("cameraInfo", "request", c) == []


def test_code_not_in_its_table():
    v = DATA.vehicle(2) | {"plateColor": "9"}
    got = only(validate("vehicleInfo", "request", v), kind="code", level="fail", path="$.plateColor")
    assert "§7.6" in got.spec_ref and "0 蓝牌" in got.message
    e = DATA.enterprise() | {"areaCode": "5530900"}
    only(validate("enterprise", "request", e), kind="code", errata="E-YN-14")


def test_format_fails_where_no_errata_applies_and_warns_where_e_yn_09_does():
    v = DATA.vehicle(3) | {"registrationDate": "2022-06-20"}
    only(validate("vehicleInfo", "request", v), kind="format", level="fail", errata=None)
    c = DATA.camera() | {"installDate": "2023-10-02"}
    only(validate("cameraInfo", "request", c), kind="format", level="warn", errata="E-YN-09")
    assert validate("cameraInfo", "request", c, profile={"example_dates": "accept"}) == []
    assert fails(validate("cameraInfo", "request", c, profile={"strict": True}))
    c = DATA.camera() | {"installDate": "2023/10/02"}
    only(validate("cameraInfo", "request", c), kind="format", level="fail")


def test_dates_must_be_real():
    v = DATA.vehicle(3) | {"registrationDate": "20230229"}
    only(validate("vehicleInfo", "request", v), kind="format", level="fail")
    c = DATA.camera() | {"installDate": "2023-02-30"}  # the E-YN-09 shape (a warning), but no such day
    only(fails(validate("cameraInfo", "request", c)), kind="format", path="$.installDate")


def test_composition_of_identifiers():
    c = DATA.camera("B", 3) | {"cameraId": "91530102MA6K0W1X5Q002PB03"}
    only(validate("cameraInfo", "request", c), kind="composition", level="fail", path="$.cameraId")
    c = DATA.camera("B", 3) | {"gateId": "A03"}
    only(validate("cameraInfo", "request", c), kind="composition", path="$.gateId")
    v = DATA.vehicle(4) | {"vehicleId": "91530102MA6K0W1X5Q002P00004"}
    only(validate("vehicleInfo", "request", v), kind="composition")
    m = DATA.machinery(4) | {"machineryId": "JX91530102MA6K0W1X5Q001Q00004"}
    only(validate("nonMachinery", "request", m), kind="composition")


def test_record_id_composition_and_timestamp_widths():
    rec = DATA.access_record(DATA.vehicle(1), 5, 1)
    eid = rec["enterpriseId"]
    only(validate("vehicleAccess", "request", rec | {"accessType": "0"}), kind="composition", level="fail")
    for stamp, level in (("20251015090000123", "warn"), ("1760490000123", "warn"), ("2025101509", "fail")):
        r = rec | {"recordId": f"{stamp}{eid}100005"}
        got = only(validate("vehicleAccess", "request", r), kind="composition", level=level)
        assert (got.errata == "E-YN-10") == (level == "warn")


def test_access_vehicle_id_like_the_spec_example_is_a_warning():
    rec = DATA.access_record(DATA.vehicle(1), 1) | {"vehicleId": "VCL202311150001"}
    only(validate("vehicleAccess", "request", rec), kind="composition", level="warn", errata="E-YN-28")


def test_cross_field_rules():
    e = DATA.enterprise() | {"industryType": "07", "industryBranch": "0601"}
    only(validate("enterprise", "request", e), kind="rule", level="fail", path="$.industryBranch")
    e = DATA.enterprise() | {"areaCode": "530100", "regionCode": "532301"}
    only(validate("enterprise", "request", e), kind="rule", level="fail", path="$.regionCode")
    e = DATA.enterprise() | {"areaCode": "530900", "regionCode": "530902"}
    assert validate("enterprise", "request", e) == []
    e = DATA.enterprise() | {"areaCode": "530102"}  # a county where the city belongs
    only(validate("enterprise", "request", e), kind="code", path="$.areaCode")


def test_machinery_img3_is_required_from_2017_07_01():
    m = DATA.machinery(1) | {"manufactureDate": "20170701"}
    m.pop("machineryImg3", None)
    only(validate("nonMachinery", "request", m), kind="rule", level="fail", errata="E-YN-22")
    assert validate("nonMachinery", "request", m | {"manufactureDate": "20170630"}) == []


def test_confirmation_id_lists():
    ids = ",".join(f"A{i}" for i in range(100))
    assert validate("alarmConfirm", "request", {"alarmId": ids}) == []
    assert validate("alarmConfirm", "request", {"alarmId": "1754552008412_1, 1754552008412_2"}) == []  # §6.10 example
    only(validate("alarmConfirm", "request", {"alarmId": ids + ",A100"}), kind="rule")
    only(validate("alarmConfirm", "request", {"alarmId": "A1,A2,A1"}), kind="rule")
    only(validate("alarmConfirm", "request", {"alarmId": "A1,,A2"}), kind="rule")
    many = ",".join(f"S{i}" for i in range(300))  # E-YN-20: no limit for strategies
    assert validate("strategyConfirm", "request", {"strategyId": many, "enterpriseId": DATA.enterprise_id}) == []


def test_vin_length_and_alphabet_fail_but_the_check_digit_only_warns():
    v = DATA.vehicle(5)
    vin = v["vin"]
    wrong = vin[:8] + ("1" if vin[8] != "1" else "2") + vin[9:]
    only(validate("vehicleInfo", "request", v | {"vin": wrong}), kind="format", level="warn", errata="E-YN-26")
    only(validate("vehicleInfo", "request", v | {"vin": vin[:16]}), kind="length", level="fail", errata="E-YN-21")
    only(validate("vehicleInfo", "request", v | {"vin": vin[:3] + "I" + vin[4:]}), kind="format", level="fail")
    only(validate("vehicleInfo", "request", v | {"vin": vin.lower()}), kind="format", level="fail")
    e = DATA.enterprise()
    bad = e["enterpriseCode"][:17] + ("0" if e["enterpriseCode"][17] != "0" else "1")
    only(validate("enterprise", "request", e | {"enterpriseCode": bad}), kind="format", level="warn")


def test_example_types_e_yn_08():
    c = DATA.camera() | {"cameraType": 2, "recordingEnabled": 1, "status": 1}
    vs = validate("cameraInfo", "request", c)
    assert len(vs) == 3 and all(v.level == "warn" and v.errata == "E-YN-08" and v.kind == "type" for v in vs)
    assert validate("cameraInfo", "request", c, profile={"example_types": "accept"}) == []
    only(validate("cameraInfo", "request", DATA.camera() | {"cameraType": 9}), level="fail")
    rec = DATA.access_record(DATA.vehicle(1), 1)
    only(validate("vehicleAccess", "request", rec | {"cargoWeight": "2.5"}), level="warn", errata="E-YN-08")
    only(validate("vehicleAccess", "request", rec | {"cargoWeight": "heavy"}), kind="type", level="fail")
    page = DATA.page("alarmVehicle", count=2)
    page["totalRecords"] = 2
    page["records"][1]["alarmType"] = 2
    vs = validate("alarmVehicle", "response", page)
    assert {(v.path, v.level, v.errata) for v in vs} == {("$.totalRecords", "warn", "E-YN-08"),
                                                         ("$.records[1].alarmType", "warn", "E-YN-08")}


def test_nvr_port_spelling_e_yn_07():
    c = DATA.camera()
    c["nvrPort"] = c.pop("nvrPost")
    only(validate("cameraInfo", "request", c), kind="unknown_field", level="warn", errata="E-YN-07", path="$.nvrPort")
    assert validate("cameraInfo", "request", c, profile={"nvr_port_field": "nvrPort"}) == []
    only(validate("cameraInfo", "request", DATA.camera(), profile={"nvr_port_field": "nvrPort"}),
         level="warn", errata="E-YN-07", path="$.nvrPost")
    c["nvrPort"] = "0"
    got = only(validate("cameraInfo", "request", c, profile={"nvr_port_field": "nvrPort"}), kind="format")
    assert got.path == "$.nvrPort"
    del c["nvrPort"]
    only(validate("cameraInfo", "request", c, profile={"nvr_port_field": "nvrPort"}), kind="required", path="$.nvrPort")


def test_access_images_absent_e_yn_06():
    rec = DATA.access_record(DATA.vehicle(1), 1)
    del rec["carHeadImg"], rec["carImg"]
    vs = validate("vehicleAccess", "request", rec)
    assert [(v.kind, v.level, v.errata) for v in vs] == [("required", "warn", "E-YN-06")] * 2
    assert validate("vehicleAccess", "request", rec, profile={"access_images": "omitted"}) == []
    rec["carImg"] = "/9j/4AAQSkZJRg"  # bare base64 without the data URL
    assert fails(validate("vehicleAccess", "request", rec))[0].kind == "format"


def test_proposed_errata_readings_warn():
    v = DATA.vehicle(1) | {"vehicleType": "B11"}  # §6.11 example
    only(validate("vehicleInfo", "request", v), kind="code", level="warn", errata="E-YN-23")
    page = DATA.page("exceedVehicle", count=1)
    page["records"][0]["emissionStandard"] = "04"  # §6.6 example
    only(validate("exceedVehicle", "response", page), kind="code", level="warn", errata="E-YN-24")
    m = DATA.machinery(1) | {"fuelType": "5"}  # §6.12 example: no reading gives it a meaning
    only(validate("nonMachinery", "request", m), kind="code", level="fail", errata="E-YN-25")


def test_numbers_precision_and_range():
    e = DATA.enterprise()
    assert validate("enterprise", "request", e | {"longitude": 102.123456}) == []
    only(validate("enterprise", "request", e | {"longitude": 102.1234567}), kind="format", level="fail")
    only(validate("enterprise", "request", e | {"latitude": 95.0}), kind="format", level="fail")


def test_unknown_fields_warn():
    got = only(validate("heartBeat", "request", {"enterpriseId": "ENTERPRISE4", "ts": 1}), kind="unknown_field")
    assert got.level == "warn" and got.path == "$.ts"
    page = DATA.page("basStrategy", count=1)
    page["records"][0]["extra"] = "x"
    only(validate("basStrategy", "response", page), kind="unknown_field", path="$.records[0].extra")


def test_not_an_object():
    only(validate("heartBeat", "request", ["ENTERPRISE4"]), kind="not_object", path="$")
    page = DATA.page("exceedVehicle", count=2)
    page["records"][1] = "EV1"
    only(validate("exceedVehicle", "response", page), kind="not_object", path="$.records[1]")


def test_pull_pages_and_null_answers():
    page = DATA.page("exceedVehicle", count=1)
    page["records"] = page["records"] * 101
    only(validate("exceedVehicle", "response", page), kind="length", path="$.records")
    page = DATA.page("basStrategy", count=1)
    rec = page["records"][0]
    rec["enddate"], rec["startdate"] = rec["startdate"], rec["enddate"]
    only(validate("basStrategy", "response", page), kind="rule", path="$.records[0].enddate")
    assert validate("heartBeat", "response", None) == []
    only(validate("enterprise", "response", {}), kind="type", level="fail")


def test_timestamps_of_pulls_accept_the_e_yn_17_forms():
    for ts in ("2025-08-20", "20250820", "2025-08-20 10:00:00"):
        assert validate("exceedVehicle", "request", {"vehicleTimestamp": ts}) == []
    only(validate("exceedVehicle", "request", {"vehicleTimestamp": "08/20/2025"}), kind="format")


def test_to_problems():
    c = DATA.camera() | {"installDate": "2023-10-02", "entranceId": "1"}
    probs = to_problems(validate("cameraInfo", "request", c))
    assert all(isinstance(p, Problem) for p in probs)
    assert sorted((p.level, p.errata) for p in probs) == [("fail", None), ("warn", "E-YN-09")]


@pytest.mark.parametrize("bad", ["interface", "direction"])
def test_unknown_interface_or_direction_raises(bad):
    with pytest.raises((KeyError, ValueError)):
        validate("nope" if bad == "interface" else "heartBeat", "sideways" if bad == "direction" else "request", {})

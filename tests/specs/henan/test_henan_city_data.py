"""Henan city level as data: tables, code tables, Appendix A validators and strategies, seeded data, schemas."""
from __future__ import annotations

from hypothesis import given, settings

from harness import schemagen, specdata
from schemas.henan import identifiers as ids
from schemas.henan.datagen import CityData, enterprise_codes, gate_codes, lshs
from schemas.henan.validate import validate

CITY = ["getAccessToken", "getCheckVehicle", "shareVehInfo", "shareDrivingRecord", "sharePhotoInfo",
        "shareGoodsRecord", "shareInnerVehInfo", "shareInnerMHYElec"]


def test_data_folder_is_valid_and_schemas_do_not_drift():
    assert specdata.validate_spec_data(specdata.SCHEMAS_DIR / "henan") == []
    assert schemagen.drift("henan") == []


def test_the_city_level_has_the_eight_interfaces_of_3_1():
    assert list(specdata.sections("henan", "city")) == CITY
    paths = {n: i["path"] for n, i in specdata.endpoints("henan")["interfaces"].items() if n in CITY}
    assert paths["getAccessToken"] == paths["getCheckVehicle"] == "/restapi/transportControl/get_data"
    assert paths["sharePhotoInfo"] == "/restapi/transportControl/put_file"
    assert specdata.endpoints("henan")["base_path"] == "/ysgk"


def test_every_appendix_b_table_is_transcribed():
    codes = schemagen.load("henan").codes
    sections = {t["section"] for t in codes.values()}
    for n in list(range(1, 17)) + list(range(18, 23)):
        assert f"henan §7.{n}" in sections, f"§7.{n} missing"
    assert len(codes["vehicleType"]["codes"]) == 158  # as printed in §7.7
    assert "40" not in codes["industry"]["codes"] and "4" not in codes["enterpriseMeasure"]["codes"]
    assert {c["parent"] for c in codes["subIndustry"]["codes"].values()} <= set(codes["industry"]["codes"])
    assert len(codes["cityBureau"]["codes"]) == 18


def test_appendix_a_validators():
    assert ids.enterprise_code_problems("4110020001") == []  # the §6.2 example, 许昌市魏都区
    assert ids.enterprise_code_problems("4120020001")  # 4120: no §6.1 city
    assert ids.enterprise_code_problems("4110020000")  # the sequence starts at 0001
    assert ids.gate_code_problems("01") == [] and ids.gate_code_problems("00") and ids.gate_code_problems("1")
    good = "411002000101A261129080000"
    assert len(good) == 25 and ids.lsh_problems(good, "4110020001", "01", "1") == []
    assert ids.lsh_problems(good, "4110020001", "02", "1")  # another gate
    assert ids.lsh_problems(good, "4110020001", "01", "2")  # A is 进门, the record says 出门
    assert ids.lsh_problems("411002000101A261329080000")  # month 13
    assert ids.org_code_problems("4117000000") == [] and ids.org_code_problems("4118000000")


@settings(max_examples=60, deadline=None)
@given(enterprise_codes(), gate_codes(), lshs())
def test_strategies_draw_valid_numbers(code, gate, lsh):
    assert ids.enterprise_code_problems(code) == []
    assert ids.gate_code_problems(gate) == []
    assert ids.lsh_problems(lsh) == []


def _env(interface, value, organ="4110020001"):
    return {"organ": organ, "ipctype": interface, "access_token": "A" * 32, "value": value}


def test_seeded_data_is_valid_and_deterministic():
    d = CityData(11)
    assert d.account() == CityData(11).account() and d.account() != CityData(12).account()
    record = d.passage(d.free_vehicle())
    made = {"getCheckVehicle": d.free_vehicle(), "shareDrivingRecord": record, "sharePhotoInfo": d.photo(record),
            "shareGoodsRecord": d.goods(record), "shareVehInfo": d.veh_info(), "shareInnerVehInfo": d.inner_veh_info(),
            "shareInnerMHYElec": d.machine()}
    for interface, value in made.items():
        assert validate(interface, "request", _env(interface, value, d.qybh)) == [], interface


def test_rules_beside_the_tables():
    d = CityData(3)
    info = {**d.veh_info(), "drivingLicenseImg": "", "drivingLicenseImg2": ""}
    got = validate("shareVehInfo", "request", _env("shareVehInfo", info, d.qybh))
    assert [v.kind for v in got] == ["rule"] and "行驶证与随车清单不能同时为空" in got[0].message
    record = d.passage(d.free_vehicle())
    photo = {**d.photo(record), "base64Image": "iVBORw0KGgoAAAANSUhEUg=="}  # a PNG
    got = validate("sharePhotoInfo", "request", _env("sharePhotoInfo", photo, d.qybh))
    assert [v.kind for v in got] == ["rule"] and "no JPEG" in got[0].message
    late = {**record, "tgsjz": "2020-01-01 00:00:00"}
    assert [v.kind for v in validate("shareDrivingRecord", "request", _env("shareDrivingRecord", late, d.qybh))] == ["rule"]


def test_nested_fields_are_judged_with_their_own_rows():
    d = CityData(5)
    record = {**d.passage(d.free_vehicle()), "cpys": "7"}
    record.pop("qymc")
    got = {(v.kind, v.path) for v in validate("shareDrivingRecord", "request", _env("shareDrivingRecord", record))}
    assert ("code", "$.value.cpys") in got and ("required", "$.value.qymc") in got


def test_photo_over_one_megabyte_is_refused():
    """§2.2: a JPG of at most 1M (1 048 576 bytes); one byte more is a rule violation."""
    import base64

    d = CityData(4)
    record = d.passage(d.free_vehicle())
    jpeg = d.photo_bytes("big")
    for size, kinds in ((1048576, []), (1048577, ["rule"])):
        photo = {**d.photo(record), "base64Image": base64.b64encode(jpeg + b"\0" * (size - len(jpeg))).decode()}
        got = validate("sharePhotoInfo", "request", _env("sharePhotoInfo", photo, d.qybh))
        assert [v.kind for v in got] == kinds, (size, [v.message for v in got])


def test_lsh_time_reading_agrees_with_strptime():
    """§6.4's yyMMddHHmmss: the fast reading (a cached date, then hour/minute/second ranges) gives strptime's answer
    for every hour, minute and second edge on real and impossible dates, and for what is no 12 ASCII digits."""
    from datetime import datetime

    def strptime_ok(t: str) -> bool:
        try:
            datetime.strptime(t, "%y%m%d%H%M%S")
            return True
        except ValueError:
            return False

    dates = [f"{y:02d}{m:02d}{d:02d}" for y in (0, 4, 26, 68, 69, 99) for m in (0, 1, 2, 12, 13) for d in
             (0, 1, 28, 29, 30, 31, 32)]
    times = [f"{h:02d}{mi:02d}{s:02d}" for h in (0, 23, 24, 99) for mi in (0, 59, 60) for s in (0, 59, 60, 61, 62)]
    odd = ["", "26112908000", "2611290800000", "26112908000a", "２61129080000", "26112908000 ", "-61129080000"]
    values = [d + t for d in dates for t in times] + odd
    assert [ids._real_time(v) for v in values] == [strptime_ok(v) for v in values]
    assert sum(map(ids._real_time, values)) > 100  # both answers occur

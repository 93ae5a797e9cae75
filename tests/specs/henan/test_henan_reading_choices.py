"""Three reading choices of henan 附录 A and the image fields, each an errata entry with a default and a switch
(E-HN-21 enterprise codes under the §6.1 cities only, E-HN-22 plain Base64 images, E-HN-23 gates from 01): the
alternative is warned citing its id under the default profile, accepted silently under its switch, failed under
strict; a value that fits neither reading fails under every profile. Both levels."""
from __future__ import annotations

import pytest

from harness import specdata
from schemas.henan import identifiers as ids
from schemas.henan import province_validate as province
from schemas.henan import validate as city
from schemas.henan.datagen import CityData
from schemas.henan.province_datagen import ProvinceData

JIYUAN = "4190010001"  # 济源 (419001) + sequence 0001
DATA_URI = "data:image/jpeg;base64,"
SWITCHED = {"E-HN-21": "henan-gb2260-codes", "E-HN-22": "data-uri-images", "E-HN-23": "gates-from-00"}


def _envelope(interface: str, value: dict) -> dict:
    return {"organ": value.get("qybh", "4110020001"), "ipctype": interface, "access_token": "t" * 32, "value": value}


def city_cases():
    d = CityData(3)
    record = d.passage(d.free_vehicle(1), 1)
    jiyuan = record | {"qybh": JIYUAN, "lsh": JIYUAN + record["lsh"][10:]}
    gate00 = record | {"dzbh": "00", "lsh": record["lsh"][:10] + "00" + record["lsh"][12:]}
    photo = d.photo(record)
    return [("E-HN-21", "shareDrivingRecord", jiyuan, "4120010001"),
            ("E-HN-23", "shareDrivingRecord", gate00, "0A"),
            ("E-HN-22", "sharePhotoInfo", photo | {"base64Image": DATA_URI + photo["base64Image"]},
             "data:image/png;base64," + photo["base64Image"])]


def province_cases():
    pd = ProvinceData(3)
    rec = pd.pass_record(pd.company_code(1), "01", "A", "豫A10001") | {"islicensePK": "0"}
    ledger = pd.vehicle_ledger("豫A10002", "1", CityData(3).image("licence"))
    return [("E-HN-21", "SendEnterExitDataEx", {"list": [rec | {"companyCode": JIYUAN,
                                                                "serialNum": JIYUAN + rec["serialNum"][10:]}]}),
            ("E-HN-23", "SendEnterExitDataEx", {"list": [rec | {"gateCode": "00",
                                                                "serialNum": rec["serialNum"][:10] + "00" + rec["serialNum"][12:]}]}),
            ("E-HN-22", "VehElecAccountAdd", ledger | {"drivingLicenseImg": DATA_URI + ledger["drivingLicenseImg"]})]


def _levels(violations, errata=None):
    return sorted({v.level for v in violations if errata is None or v.errata == errata})


@pytest.mark.parametrize("errata,interface,value,_bad", city_cases(), ids=lambda x: x if isinstance(x, str) else "")
def test_city_alternative_warns_passes_under_its_switch_fails_strict(errata, interface, value, _bad):
    body = _envelope(interface, value)
    default = city.validate(interface, "request", body, profile=specdata.profile("henan"))
    assert [v.level for v in default] == ["warn"] and default[0].errata == errata, default
    assert city.validate(interface, "request", body, profile=specdata.profile("henan", SWITCHED[errata])) == []
    assert _levels(city.validate(interface, "request", body, profile=specdata.profile("henan", "strict"))) == ["fail"]


@pytest.mark.parametrize("errata,interface,value,bad", city_cases(), ids=lambda x: x if isinstance(x, str) else "")
def test_city_value_outside_both_readings_fails_everywhere(errata, interface, value, bad):
    field = {"E-HN-21": "qybh", "E-HN-23": "dzbh", "E-HN-22": "base64Image"}[errata]
    body = _envelope(interface, value | {field: bad})
    for profile in ("default", SWITCHED[errata]):
        assert "fail" in _levels(city.validate(interface, "request", body, profile=specdata.profile("henan", profile)))


@pytest.mark.parametrize("errata,interface,body", province_cases(), ids=lambda x: x if isinstance(x, str) else "")
def test_province_alternative_warns_passes_under_its_switch_fails_strict(errata, interface, body):
    body = {"accessToken": "t" * 32} | body
    default = province.validate(interface, "request", body, profile=specdata.profile("henan"))
    assert default and {v.level for v in default} == {"warn"} and {v.errata for v in default} == {errata}, default
    assert province.validate(interface, "request", body, profile=specdata.profile("henan", SWITCHED[errata])) == []
    assert "fail" in _levels(province.validate(interface, "request", body, profile=specdata.profile("henan", "strict")))


def test_identifiers_take_the_alternatives_only_when_asked():
    assert ids.enterprise_code_problems(JIYUAN) and ids.enterprise_code_problems(JIYUAN, alternatives=True) == []
    assert ids.enterprise_code_problems("4120010001", alternatives=True)  # 4120: no Henan division at all
    assert ids.gate_code_problems("00") and ids.gate_code_problems("00", alternatives=True) == []


def test_the_register_cites_appendix_a_and_the_image_rows():
    register = specdata.errata("henan")
    for eid, words in (("E-HN-21", "§6.2"), ("E-HN-22", "§4.1.5"), ("E-HN-23", "§6.3")):
        entry = register[eid]
        assert entry["switch"] and any(words in s for s in entry["sections"]) and entry["switch_accept"]

"""One record travels gate -> city -> province (issue 11, Flows): the reference gate client reports a passage to the
city mock (henan §4.1.4); the reference city platform forwards the passage the city accepted to the provincial mock
as a §4.2.11 SendEnterExitDataEx record (suites/henan/relay.py); the province holds it under the same §6.4 serial."""
from __future__ import annotations

from harness.clock import Clock, FixedClock
from harness.journal import Journal
from harness.serve import BackgroundServer
from mocks.henan.city_app import HenanCityMock
from mocks.henan.province_app import HenanProvinceMock
from schemas.henan.datagen import CityData
from schemas.henan.province_datagen import ProvinceData
from schemas.henan.province_validate import validate
from suites.henan.reference_city_platform import CityPlatform, perform
from suites.henan.reference_gate_client import GateClient
from suites.henan.relay import forward, pass_record

SEED = 11


def test_a_gate_record_travels_gate_to_city_to_province(tmp_path):
    d, pd = CityData(SEED), ProvinceData(1)
    city = HenanCityMock(journal=Journal(None), clock=FixedClock(), seed=SEED)
    province = HenanProvinceMock(journal=Journal(None), clock=Clock())
    with BackgroundServer(city.app) as cs, BackgroundServer(province.app) as ps:
        # gate -> city: the reference gate client reports a passage; the city platform accepts it
        gate = GateClient(cs.url + city.ep["base_path"], str(tmp_path / "gate"),
                          d.account() | {"qybh": d.qybh, "dzbh": d.dzbh})
        sent = d.passage(d.free_vehicle())
        gate.perform("shareDrivingRecord", {k: v for k, v in sent.items() if k not in ("qybh", "qymc", "dzbh")})
        accepted = city.state.record(sent["lsh"])
        assert accepted["cphm"] == sent["cphm"]

        # city -> province: the city platform connects the enterprise and its gate, then forwards the passage
        platform = CityPlatform(ps.url + province.base, str(tmp_path / "city"), dict(province.state.account))
        company = pd.company(1) | {"companyCode": d.qybh, "dictrictCode": d.qybh[:6], "cityCode": d.qybh[:4] + "00"}
        perform(platform, "AddCompany", company)
        gates = [g | {"gateCode": d.dzbh} for g in pd.gates()[:1]]
        perform(platform, "AddGate", {"companyCode": d.qybh, "uscc": company["uscc"], "list": gates})
        forwarded = forward(platform, [accepted])

    held = province.state.passes[sent["lsh"]]
    assert (held["companyCode"], held["gateCode"], held["license"], held["licenseColor"]) == (
        d.qybh, d.dzbh, sent["cphm"], sent["cpys"])
    assert held["date"] == sent["lsh"][13:] and held["islicensePK"] == "0" and held["gateSignal"] == "0"
    assert forwarded == [held]
    body = {"accessToken": "x" * 32, "list": forwarded}
    assert [v for v in validate("SendEnterExitDataEx", "request", body) if v.level == "fail"] == []


def test_pass_record_maps_the_gate_fields():
    """§4.1.4 -> §4.2.11: bgzt 1 (摆杆通行) is gateSignal 0, bgzt 0 (未摆杆) is 1; the time is tgsjq in 12 or 14 digits."""
    d = CityData(SEED)
    passage = d.passage(d.free_vehicle()) | {"bgzt": "0"}
    rec = pass_record(passage)
    assert rec["serialNum"] == passage["lsh"] and rec["gateSignal"] == "1"
    assert rec["date"] == passage["lsh"][13:] and len(pass_record(passage, digits=14)["date"]) == 14

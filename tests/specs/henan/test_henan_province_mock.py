"""The provincial platform mock (mocks/henan/province_*.py) keeps the state henan §4.2 describes, answers
{result, err, data} and journals every exchange; the province rules judge what the tables' notes say."""
from __future__ import annotations

import json
import urllib.request

import pytest

from harness import specdata
from harness.clock import Clock
from harness.journal import Journal
from harness.serve import BackgroundServer
from mocks.henan.province_app import HenanProvinceMock
from mocks.henan.province_state import load_fixtures
from schemas.henan.province_datagen import ProvinceData
from schemas.henan.province_validate import validate

SCAN = load_fixtures()["scan"][0]


@pytest.fixture()
def province():
    mock = HenanProvinceMock(journal=Journal(None), clock=Clock())
    with BackgroundServer(mock.app) as server:
        def post(method, body, base=mock.base):
            req = urllib.request.Request(f"{server.url}{base}/{method}", data=json.dumps(body).encode(), method="POST")
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    assert resp.status == 200
                    return json.load(resp)
            except urllib.error.HTTPError as exc:  # what the pipeline refuses (404 unknown method, 405, 413)
                return json.load(exc) | {"http": exc.code}

        yield mock, post


def connect(mock, post, data=ProvinceData(1)):
    token = post("GetAuthorizationOrg", mock.state.account)["data"]["accessToken"]
    secret = post("AddCompany", {"accessToken": token, "data": data.company(1)})["data"]["companySecretCode"]
    gates = post("AddGate", {"accessToken": token, "companyCode": data.company_code(1), "list": data.gates()})["data"]
    return token, secret, {g["gateCode"]: g["gateSecretCode"] for g in gates}


def test_token_lives_two_hours(province):
    mock, post = province
    answer = post("GetAuthorizationOrg", mock.state.account)
    assert answer["result"] == "success" and len(answer["data"]["accessToken"]) <= 32
    token = answer["data"]["accessToken"]
    assert post("GetNeedCompleteVehEx", {"accessToken": token, "companySecretCode": "x"})["err"] == "企业授权号无效"
    mock.clock.advance(specdata.endpoints("henan")["province_token_ttl"] + 1)
    refused = post("GetNeedCompleteVehEx", {"accessToken": token, "companySecretCode": "x"})
    assert refused["result"] == "fail" and "授权码" in refused["err"]
    assert post("GetAuthorizationOrg", mock.state.account | {"pwd": "wrong"})["result"] == "fail"


def test_verification_needs_the_issued_secrets_and_reports_need_complete(province):
    mock, post = province
    token, secret, gates = connect(mock, post)
    ask = {"accessToken": token, "companySecretCode": secret, "gateSecretCode": gates["01"], "licenseColor": "1"}
    assert post("VehVerifyEx", ask | {"companySecretCode": "4101000000", "license": "豫A10001"})["result"] == "fail"
    assert post("VehVerifyEx", ask | {"gateSecretCode": "nope", "license": "豫A10001"})["result"] == "fail"
    assert post("VehVerifyEx", ask | {"license": "豫A10001"})["data"]["isNeedComplete"] == "0"
    assert post("VehVerifyEx", ask | {"license": "豫A10002"})["data"]["isControl"] == "1"
    assert post("VehVerifyEx", ask | {"license": "豫A10003"})["data"]["isNeedComplete"] == "2"
    unknown = post("VehVerifyEx", ask | {"license": "豫B99999"})["data"]
    assert unknown["isNeedComplete"] == "1" and "emissionStandard" not in unknown
    listed = post("GetNeedCompleteVehEx", {"accessToken": token, "companySecretCode": secret})["data"]
    assert len(listed) == 20 and len(mock.state.need_complete) == 24  # 23 fixture plates + the unknown one


def test_filing_issues_the_license_pk_that_records_need(province):
    mock, post = province
    d = ProvinceData(1)
    token, secret, gates = connect(mock, post, d)
    ledger = d.vehicle_ledger("豫A10003", "1", SCAN["image"])
    filed = post("VehElecAccountAdd", {"accessToken": token, "companySecretCode": secret} | ledger)["data"]
    pk = filed["licensePK"]
    ask = {"accessToken": token, "companySecretCode": secret, "gateSecretCode": gates["01"], "license": "豫A10003",
           "licenseColor": "1"}
    answered = post("VehVerifyEx", ask)["data"]
    assert (answered["isNeedComplete"], answered["licensePK"]) == ("0", pk)
    rec = d.pass_record(d.company_code(1), "01", "A", "豫A10003")
    assert post("SendEnterExitDataEx", {"accessToken": token, "list": [rec | {"islicensePK": "1", "licensePK": "PKnope"}]})["result"] == "fail"
    assert post("SendEnterExitDataEx", {"accessToken": token, "list": [rec | {"islicensePK": "1", "licensePK": pk}]})["result"] == "success"
    assert post("VehElecAccountModify", {"accessToken": token, "licensePK": "PKnope"} | ledger)["result"] == "fail"
    assert post("VehElecAccountModify", {"accessToken": token, "licensePK": pk} | ledger | {"license": "豫A10004"})["result"] == "fail"
    gained = post("VehElecAccountGain", {"accessToken": token, "license": "豫A10003", "licenseColor": "1", "licensePK": pk})
    assert gained["data"]["licensePK"] == pk and gained["data"]["vin"] == ledger["vin"]


def test_control_project_runs_then_is_modified_then_closed(province):
    mock, post = province
    token = post("GetAuthorizationOrg", mock.state.account)["data"]["accessToken"]
    project = ProvinceData(1).project()
    code = post("RunControlProject", {"accessToken": token} | project)["data"]["controlProjectCode"]
    adjust = {k: v for k, v in project.items() if k != "controlRunTime"} | {"controlAdjustTime": "2026-11-30 12:00:00"}
    assert post("ModifyControlProject", {"accessToken": token, "controlProjectCode": code} | adjust)["result"] == "success"
    close = {"accessToken": token, "controlProjectCode": code, "controlProject": project["controlProject"],
             "controlEndTime": "2026-12-01 00:00:00"}
    assert post("CloseControlProject", close)["result"] == "success"
    assert post("CloseControlProject", close)["result"] == "fail"
    assert post("ModifyControlProject", {"accessToken": token, "controlProjectCode": code} | adjust)["result"] == "fail"
    assert mock.state.projects[code]["history"] == ["RunControlProject", "ModifyControlProject", "CloseControlProject"]


def test_fences_are_polygons(province):
    mock, post = province
    token = post("GetAuthorizationOrg", mock.state.account)["data"]["accessToken"]
    two = {"accessToken": token, "areaName": "a", "areaCollection": "113.831181,34.742967$113.825181,34.742968"}
    refused = post("ElectronicFenceAdd", two)
    assert refused["result"] == "fail" and "three points" in refused["err"]
    area = post("ElectronicFenceAdd", {"accessToken": token} | ProvinceData(1).fence())["data"]["areaId"]
    swapped = "34.7,113.5$34.8,113.5$34.8,113.6"
    assert post("ElectronicFenceModify", {"accessToken": token, "areaId": area, "areaCollection": swapped})["result"] == "fail"
    assert mock.state.fences[area]["history"] == ["add"]


def test_licence_scan_answers_from_the_fixture(province):
    mock, post = province
    token, secret, _ = connect(mock, post)
    read = post("DrivingLicenseScanEx", {"accessToken": token, "companySecretCode": secret, "drivingLicenseImg": SCAN["image"]})
    assert read["data"] == {k: v for k, v in SCAN.items() if k != "image"}
    other = post("DrivingLicenseScanEx", {"accessToken": token, "companySecretCode": secret, "drivingLicenseImg": "AAAA"})
    assert other == {"result": "fail", "err": "行驶证识别失败", "data": None}


def test_every_exchange_is_journaled_with_its_outcome(province):
    mock, post = province
    post("GetAuthorizationOrg", mock.state.account)
    post("VehVerifyEx", {"accessToken": "forged"})
    assert post("NoSuchMethod", {})["http"] == 404
    assert [e.outcome for e in mock.journal.since(0)] == ["ok", "token_unknown", "not_found"]
    assert mock.journal.since(0)[2].response_body == {"result": "fail", "err": "方法不存在: /ysgk/province/NoSuchMethod",
                                                      "data": None}


def test_alternative_paths_of_the_errata():
    mock = HenanProvinceMock(journal=Journal(None), profile="province-root-path")
    assert "/GetAuthorizationOrg" in mock.routes and mock.base == ""
    default = HenanProvinceMock(journal=Journal(None))
    assert default.routes["/ysgk/province/InnerFYElecAccountAdd"] == ("InnerMHYElecAccountAdd", "E-HN-45")
    assert default.routes["/ysgk/province/InnerMHYElecAccountAdd"] == ("InnerMHYElecAccountAdd", None)


@pytest.mark.parametrize("method, body, kind, needle", [
    ("AddCompany", {"data": {"companyCode": "4101020001", "industryType": "15", "industrySubType": "1601"}},
     "composition", "B7.16 puts 1601 under 16"),
    ("VehElecAccountAdd", {"license": "豫A1", "licenseColor": "1"}, "rule", "行驶证与随车清单不能同时为空"),
    ("SendDayDataCity", {"date": "20261129", **{k: "1" for k in ("companyTotal", "gateTotal", "vehTotal", "exitVehTotal",
     "violationTotal", "controlTotal", "otherVehEnterTotal", "otherVehExitTotal", "otherAddVehTotal", "standard3EnterTotal",
     "standard3ExitTotal", "standard4EnterTotal", "standard4ExitTotal", "violationHandleTotal")}, "enterVehTotal": "0"},
     "rule", "otherVehEnterTotal=1 > enterVehTotal=0"),
    ("RunControlProject", {"controlProject": "p", "controlLevel": "1", "controlArea": "1", "controlType": "1",
                           "controlStrategy": "1", "controlRunTime": "2026-12-02 00:00:00",
                           "controlEndTime": "2026-12-01 00:00:00"}, "rule", "controlIndustry"),
])
def test_province_rules(method, body, kind, needle):
    found = [v for v in validate(method, "request", {"accessToken": "t"} | body) if v.level == "fail"]
    assert any(v.kind == kind and needle in v.message for v in found), found


def test_swapped_company_coordinates_warn_and_switch():
    data = {"accessToken": "t", "data": {"companyCode": "4101020001", "lng": "34.700000", "lat": "113.600000"}}
    warned = [v for v in validate("AddCompany", "request", data) if v.field == "lng"]
    assert [(v.level, v.errata) for v in warned] == [("warn", "E-HN-42")]
    label = specdata.profile("henan") | {"company_lnglat": "label"}
    assert [v for v in validate("AddCompany", "request", data, profile=label) if v.field == "lng"] == []
    nowhere = {"accessToken": "t", "data": {"companyCode": "4101020001", "lng": "1.000000", "lat": "2.000000"}}
    assert [v.level for v in validate("AddCompany", "request", nowhere) if v.field == "lng"] == ["fail"]


def test_the_province_state_stays_bounded_whatever_is_sent(monkeypatch):
    """Pass and goods records and live tokens keep their newest entries only, the report logs their last entries;
    what was let go is counted (the journal has every exchange). Limits made small here; the same code runs at the
    real ones."""
    from harness.clock import Clock
    from mocks.henan.province_state import ProvinceState

    monkeypatch.setattr(ProvinceState, "max_records", 2)
    monkeypatch.setattr(ProvinceState, "max_log", 2)
    st = ProvinceState(Clock(), 7200, 20)
    tokens = [st.do_GetAuthorizationOrg(dict(st.account))[0]["accessToken"] for _ in range(3)]
    assert list(st.tokens) == tokens[1:] and st.token_ok(tokens[0]) == "unknown" and st.token_ok(tokens[2]) == "ok"
    for i in range(3):
        st.do_SendDayDataCity({"date": f"2026-11-0{i + 1}"})
    assert [r["date"] for r in st.day_reports] == ["2026-11-02", "2026-11-03"]
    st._record_owner = lambda rec: None  # (owner checks are the mock's own tests'; here only what is kept)
    for i in range(3):
        assert st.do_SendEnterExitDataEx({"list": [{"serialNum": f"S{i}"}]}) == ({}, None)
    assert list(st.passes) == ["S1", "S2"]
    assert st.do_SendGoodsRecordData({"list": [{"serialNum": "S0"}]})[1] == "S0: 无对应的通行记录"
    assert {k: v for k, v in st.snapshot()["dropped"].items() if v} == {"passes": 1, "tokens": 1}


def test_registrations_are_bounded_and_take_what_refers_to_them_along(monkeypatch):
    """Companies (with their gates' and their own secret codes), ledgers (with the vehicle index), vehicles waiting
    for a ledger, projects and fences keep their newest entries; a dropped company's codes no longer verify."""
    from harness.clock import Clock
    from mocks.henan.province_state import ProvinceState, _note

    monkeypatch.setattr(ProvinceState, "max_records", 2)
    monkeypatch.setattr(ProvinceState, "max_log", 2)
    st = ProvinceState(Clock(), 7200, 20)
    st.need_complete.clear()
    secrets_ = [st.do_AddCompany({"data": {"companyCode": f"C{i}"}})[0]["companySecretCode"] for i in range(3)]
    assert list(st.companies) == ["C1", "C2"] and secrets_[0] not in st.secrets and st.secrets[secrets_[2]] == "C2"
    gates = st.do_AddGate({"companyCode": "C2", "list": [{"gateCode": c} for c in ("01", "02", "03")]})[0]
    assert list(st.companies["C2"].gates) == ["02", "03"] and gates[0]["gateSecretCode"] not in st.gate_secrets
    st.do_AddCompany({"data": {"companyCode": "C3"}})  # C1 goes; so would C2's gates' codes with C2
    pks = [st._ledger_add({"license": f"豫A{i}", "licenseColor": "1"}, "vehicle", False, ())[0]["licensePK"]
           for i in range(3)]
    assert list(st.ledgers) == pks[1:] and st.ledger_of("豫A0", "1") is None and st.ledger_of("豫A2", "1") == pks[2]
    for i in range(3):
        st.do_VehVerifyEx({"companySecretCode": secrets_[2], "gateSecretCode": gates[2]["gateSecretCode"],
                           "license": f"豫B{i}", "licenseColor": "2"})
    assert [k[0] for k in st.need_complete] == ["豫B1", "豫B2"]
    assert st.do_GetNeedCompleteVehEx({"companySecretCode": secrets_[2]})[0] == [dict(n) for n in st.need_complete.values()]
    history: list[str] = []
    for i in range(150):
        _note(history, f"s{i}")
    assert len(history) == 100 and history[0] == "s0" and history[-1] == "s149"
    assert {k: v for k, v in st.snapshot()["dropped"].items() if v} == {"companies": 2, "gates": 1, "ledgers": 1,
                                                                         "need_complete": 1}

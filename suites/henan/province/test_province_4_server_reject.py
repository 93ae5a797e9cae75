"""Server role, stage `negative`: what a provincial platform must refuse (result = fail with the reason in err)."""
from __future__ import annotations

import pytest

from harness.pytest_plugin import require
from suites.henan import province_server as S

pytestmark = [pytest.mark.role("server"), pytest.mark.stage("negative")]
STAGE = "negative"


def _record(hps, name, interface, problems, reply):
    return hps.record(f"henan.province.server.reject.{name}", problems, interface=interface, stage=STAGE,
                      evidence=[reply])


def _connected(hps) -> tuple[str, str, str]:
    """A token, and the company + gate 01 the harness connected (positive stage, or now)."""
    city, d = hps.city, hps.data
    code = d.company_code(1)
    if code not in city.state["companies"]:
        from suites.henan.reference_city_platform import perform

        perform(city, "AddCompany", d.company(1))
        perform(city, "AddGate", {"companyCode": code, "uscc": d.uscc(1), "list": d.gates()})
    return city.token(), code, city.state["gates"][f"{code}/01"]


@pytest.mark.interface("GetAuthorizationOrg")
def test_wrong_password(hps, vrun):
    reply = hps.raw("GetAuthorizationOrg", hps.account | {"pwd": hps.account["pwd"] + "x"})
    hps.learn(reply)
    require(vrun, [_record(hps, "bad_password", "GetAuthorizationOrg", S.refused(reply, "a wrong pwd"), reply)])


@pytest.mark.interface("GetNeedCompleteVehEx")
def test_tokens(hps, vrun):
    token, code, _ = _connected(hps)
    secret = hps.city.company_secret(code)
    body = {"companySecretCode": secret}
    results = []
    reply = hps.raw("GetNeedCompleteVehEx", body)
    results.append(_record(hps, "token_missing", "GetNeedCompleteVehEx", S.refused(reply, "no accessToken"), reply))
    reply = hps.raw("GetNeedCompleteVehEx", body | {"accessToken": "0" * 32})
    results.append(_record(hps, "token_forged", "GetNeedCompleteVehEx", S.refused(reply, "a forged accessToken"), reply))
    fresh = hps.city.authorize()
    if hps.advance(S.TTL + 60):
        reply = hps.raw("GetNeedCompleteVehEx", body | {"accessToken": fresh})
        results.append(_record(hps, "token_expired", "GetNeedCompleteVehEx",
                               S.refused(reply, "a token issued 2 h 1 min ago"), reply))
        hps.city.state.pop("token", None)
    else:
        results.append(hps.skip("henan.province.server.reject.token_expired", hps.no_hook_reason("moving the clock 2 h"),
                                interface="GetNeedCompleteVehEx", stage=STAGE))
    require(vrun, results)


@pytest.mark.interface("VehVerifyEx")
def test_verify_refusals(hps, vrun):
    token, code, gate = _connected(hps)
    ask = {"accessToken": token, "companySecretCode": hps.city.company_secret(code), "gateSecretCode": gate,
           "license": "豫A10001", "licenseColor": "1"}
    reply = hps.raw("VehVerifyEx", ask | {"companySecretCode": "CS" + "9" * 22})
    require(vrun, [_record(hps, "secret_wrong", "VehVerifyEx", S.refused(reply, "a companySecretCode never issued"),
                           reply)])


@pytest.mark.interface("SeasonalControlReport")
def test_missing_required_field(hps, vrun):
    token, code, _ = _connected(hps)
    report = {k: v for k, v in hps.data.seasonal(code).items() if k != "controlMeasures"}
    reply = hps.raw("SeasonalControlReport", {"accessToken": token} | report)
    require(vrun, [_record(hps, "missing_required", "SeasonalControlReport", S.refused(reply, "no controlMeasures"),
                           reply)])


@pytest.mark.interface("AddCompany")
def test_code_outside_its_table(hps, vrun):
    token = hps.city.token()
    reply = hps.raw("AddCompany", {"accessToken": token, "data": hps.data.company(9) | {"industryType": "40"}})
    require(vrun, [_record(hps, "code_outside", "AddCompany", S.refused(reply, "industryType 40 (not in B7.16)"), reply)])


@pytest.mark.interface("SendEnterExitDataEx")
def test_unknown_ledger(hps, vrun):
    token, code, _ = _connected(hps)
    rec = hps.data.pass_record(code, "01", "A", "豫A10001") | {"islicensePK": "1", "licensePK": "PK" + "0" * 30}
    reply = hps.raw("SendEnterExitDataEx", {"accessToken": token, "list": [rec]})
    require(vrun, [_record(hps, "ledger_unknown", "SendEnterExitDataEx", S.refused(reply, "a licensePK never issued"),
                           reply)])


@pytest.mark.interface("ModifyControlProject")
def test_closed_project_stays_closed(hps, vrun):
    from suites.henan.reference_city_platform import Refused, perform

    project = hps.data.project() | {"controlProject": "已关闭的管控方案"}
    try:
        for method, params in (("RunControlProject", project), ("CloseControlProject", hps.data.project_close(project))):
            perform(hps.city, method, params)
    except Refused as exc:
        pytest.fail(f"could not run and close a project first: {exc}")
    code = hps.city.state["projects"][project["controlProject"]]
    reply = hps.raw("ModifyControlProject", {"accessToken": hps.city.token(), "controlProjectCode": code}
                    | hps.data.project_modify(project))
    require(vrun, [_record(hps, "project_closed", "ModifyControlProject", S.refused(reply, "modifying a closed project"),
                           reply)])


@pytest.mark.interface("ElectronicFenceAdd")
def test_zone_needs_three_points(hps, vrun):
    reply = hps.raw("ElectronicFenceAdd", {"accessToken": hps.city.token(), "areaName": "两点区域",
                                           "areaCollection": "113.831181,34.742967$113.825181,34.742968"})
    require(vrun, [_record(hps, "fence_two_points", "ElectronicFenceAdd", S.refused(reply, "a two-point zone"), reply)])

"""Stage `flow`: the city -> province flow of issue 11 (henan §4.2): authorization -> AddCompany -> AddGate ->
VehVerifyEx -> VehElecAccountAdd when the province asks for it -> SendEnterExitDataEx -> SendDayDataCity /
SendDayDataDistrict agreeing with the day's records -> control-project life cycle -> forbidden zones, and a token
that expires on the way; and the relay (henan §2.7 -> §4.2.11): passages a gate reported to a city platform travel
on to the province unaltered."""
from __future__ import annotations

import pytest

from harness.pytest_plugin import require
from suites.henan import province_checks as C
from suites.henan.province_plans import SCAN_IMAGE

pytestmark = [pytest.mark.role("client"), pytest.mark.stage("flow")]
STAGE = "flow"
FLOW_COMPANY = 4
RELAY_COMPANY, RELAY_N = 6, 60  # the relay's province company data and gate-side data numbers
VEHICLES = {"豫A10001": "0", "豫A10002": "0", "豫A10003": "2"}  # plate -> isNeedComplete the registry answers first


@pytest.fixture(scope="module")
def flow(hp):
    """The company connected in this stage, and the results so far (each test appends and requires its own)."""
    return {"code": hp.data.company_code(FLOW_COMPANY)}


def _secrets(hp, code: str) -> tuple[str | None, dict[str, str]]:
    company = hp.state.companies.get(code)
    return (company.secret, {g: d["secret"] for g, d in company.gates.items()}) if company else (None, {})


@pytest.mark.interface("AddCompany")
def test_connect_company_and_gates(hp, vrun, flow):
    d, code = hp.data, flow["code"]
    _, _, results = hp.run("AddCompany", d.company(FLOW_COMPANY), stage=STAGE)
    _, _, more = hp.run("AddGate", {"companyCode": code, "uscc": d.uscc(FLOW_COMPANY), "list": d.gates()}, stage=STAGE)
    require(vrun, results + more)


@pytest.mark.interface("VehVerifyEx")
def test_verify_then_file_when_asked(hp, vrun, flow):
    """Each vehicle checked at the gate; the one the province marks isNeedComplete = 2 is filed, then checked again."""
    code, results = flow["code"], []

    def verify(plate: str) -> object:
        res, exs, judged = hp.run("VehVerifyEx", {"companyCode": code, "gateCode": "01", "license": plate,
                                                  "licenseColor": "1"}, stage=STAGE)
        results.extend(judged)
        sent = [e.request_plaintext for e in exs if e.interface == "VehVerifyEx" and isinstance(e.request_plaintext, dict)]
        if sent:
            results.append(hp.record("henan.province.flow.secrets_used", C.secrets_used(sent[-1], *_secrets(hp, code)),
                                     interface="VehVerifyEx", stage=STAGE, evidence=exs))
        answered = hp.answered(exs, "VehVerifyEx")
        results.append(hp.record("henan.province.verify.relayed", C.relayed(C.parse_output(res.stdout), answered),
                                 interface="VehVerifyEx", stage=STAGE, evidence=[res, *exs]))
        return answered

    for plate, need in VEHICLES.items():
        answered = verify(plate)
        if not (isinstance(answered, dict) and answered.get("isNeedComplete") == "2"):
            continue
        # the province asks for the filing (isNeedComplete 2): read the licence, file the vehicle, check again
        res, _exs, scan = hp.run("DrivingLicenseScanEx", {"companyCode": code, "drivingLicenseImg": SCAN_IMAGE},
                                 stage=STAGE)
        results.extend(scan)
        read = C.parse_output(res.stdout) if res.ok else None
        ledger = hp.data.vehicle_ledger(plate, "1", SCAN_IMAGE) | (
            {k: read[k] for k in ("vin", "engineNo", "onwer", "address", "model", "registerDate", "issueDate")
             if k in read} if isinstance(read, dict) else {}) | {"companyCode": code}
        results.extend(hp.run("VehElecAccountAdd", ledger, stage=STAGE)[2])
        verify(plate)
    require(vrun, results)


@pytest.mark.interface("SendEnterExitDataEx")
def test_records_carry_the_ledger_and_the_day_adds_up(hp, vrun, flow):
    d, code, results = hp.data, flow["code"], []
    if not hp.ensure_company(FLOW_COMPANY, STAGE):  # connected by the first test unless --only left it out
        pytest.fail("set-up failed: the company could not be connected")
    records = [d.pass_record(code, "01", "A", "豫A10001"), d.pass_record(code, "01", "A", "豫A10002", emission="3",
                                                                         control="1", signal="2"),
               d.pass_record(code, "01", "A", "豫A10003", emission="5"), d.pass_record(code, "02", "B", "豫A10003", emission="5"),
               d.pass_record(code, "02", "B", "豫A10001")]
    _, exs, judged = hp.run("SendEnterExitDataEx", {"list": records}, stage=STAGE)
    results += judged
    sent = [r for e in exs if e.interface == "SendEnterExitDataEx" and isinstance(e.request_plaintext, dict)
            for r in (e.request_plaintext.get("list") or []) if isinstance(r, dict)]
    ledgers = {(l["data"]["license"], l["data"]["licenseColor"]): pk for pk, l in hp.state.ledgers.items()
               if l["kind"] == "vehicle"}
    results.append(hp.record("henan.province.flow.ledger_link", C.ledger_link(sent, ledgers) if sent else
                             [C.fail("no pass record reached the province")],
                             interface="SendEnterExitDataEx", stage=STAGE, evidence=exs))
    goods = [d.goods(records[2])]
    _, exs, judged = hp.run("SendGoodsRecordData", {"list": goods}, stage=STAGE)
    results += judged
    sent = [r for e in exs if e.interface == "SendGoodsRecordData" and isinstance(e.request_plaintext, dict)
            for r in (e.request_plaintext.get("list") or []) if isinstance(r, dict)]
    results.append(hp.record("henan.province.flow.ledger_link", C.ledger_link(sent, ledgers),
                             interface="SendGoodsRecordData", stage=STAGE, evidence=exs))
    for method, params in (("SendDayDataCity", {"date": d.day}),
                           ("SendDayDataDistrict", {"date": d.day, "dictrictCode": d.district(FLOW_COMPANY)})):
        _, exs, judged = hp.run(method, params, stage=STAGE)
        results += judged
        sent = [e.request_plaintext for e in exs if e.interface == method and isinstance(e.request_plaintext, dict)]
        counts = C.day_counts(hp.state.passes.values(), d.day, params.get("dictrictCode", ""))
        results.append(hp.record("henan.province.flow.day_totals", C.day_totals(sent[-1], counts) if sent else
                                 [C.fail(f"no {method} reached the province")], interface=method, stage=STAGE,
                                 evidence=exs))
    require(vrun, results)


@pytest.mark.interface("SendEnterExitDataEx")
def test_gate_passages_travel_to_the_province(hp, vrun, tmp_path_factory):
    """gate -> city -> province in one run: the harness's gate (the reference gate client) reports an entry and an
    exit to a city platform (the project's city mock, §4.1.4); the passages the city accepted are given to the city
    platform under test (SendEnterExitDataEx with params {"passages": [...]}) to report as it does in production;
    the province must then hold each under its §6.4 serial with the gate's enterprise, gate, plate and time."""
    from harness.journal import Journal
    from harness.serve import BackgroundServer
    from mocks.henan.city_app import HenanCityMock
    from schemas.henan.datagen import CityData
    from suites.henan.reference_gate_client import GateClient

    seed = int(vrun.config.seed)
    d = CityData(seed)
    company = hp.data.company(RELAY_COMPANY) | {"companyCode": d.qybh, "dictrictCode": d.qybh[:6],
                                                 "cityCode": d.qybh[:4] + "00", "companyName": d.qymc}
    if d.qybh not in hp.state.companies and not (
            hp.setup("AddCompany", company, STAGE) and hp.setup(
                "AddGate", {"companyCode": d.qybh, "uscc": company["uscc"],
                            "list": [g | {"gateCode": d.dzbh} for g in hp.data.gates()[:1]]}, STAGE)):
        pytest.fail("set-up failed: the gate's enterprise could not be connected to the province")
    city = HenanCityMock(journal=Journal(None), profile=vrun.profile, seed=seed)
    with BackgroundServer(city.app) as cs:
        gate = GateClient(cs.url + city.ep["base_path"], str(tmp_path_factory.mktemp("relay-gate")),
                          d.account() | {"qybh": d.qybh, "dzbh": d.dzbh})
        made = [d.passage(d.free_vehicle(RELAY_N), RELAY_N), d.passage(d.free_vehicle(RELAY_N), RELAY_N + 1, entering=False)]
        for p in made:
            gate.perform("shareDrivingRecord", {k: v for k, v in p.items() if k not in ("qybh", "qymc", "dzbh")})
    accepted = [city.state.record(p["lsh"]) for p in made if p["lsh"] in city.state.passages]
    if len(accepted) != len(made):
        pytest.fail("set-up failed: the city mock did not accept the harness gate's passages")
    _, exs, results = hp.run("SendEnterExitDataEx", {"passages": accepted}, stage=STAGE)
    held = {lsh: hp.state.passes[lsh] for lsh in (p["lsh"] for p in accepted) if lsh in hp.state.passes}
    results.append(hp.record("henan.province.flow.relayed", C.relayed_passages(accepted, held),
                             interface="SendEnterExitDataEx", stage=STAGE,
                             evidence=[{"gate -> city (accepted, §4.1.4)": accepted,
                                        "city -> province (held, §4.2.11)": list(held.values())}, *exs]))
    require(vrun, results)


@pytest.mark.interface("RunControlProject")
def test_control_project_life_cycle(hp, vrun):
    project = hp.data.project()
    name, results = project["controlProject"], []
    steps = [("RunControlProject", project), ("ModifyControlProject", hp.data.project_modify(project)),
             ("CloseControlProject", hp.data.project_close(project))]
    for method, params in steps:
        results += hp.run(method, params, stage=STAGE)[2]
        mine = [p for p in hp.state.projects.values() if p["data"]["controlProject"] == name]
        history = mine[0]["history"] if len(mine) == 1 else None if not mine else [h for p in mine for h in p["history"]]
        expected = [m for m, _ in steps[: steps.index((method, params)) + 1]]
        results.append(hp.record("henan.province.flow.project_lifecycle", C.project_lifecycle(history, expected),
                                 interface=method, stage=STAGE, evidence=[{"projects": [p["history"] for p in mine]}]))
    require(vrun, results)


@pytest.mark.interface("ElectronicFenceAdd")
def test_forbidden_zone_added_then_changed(hp, vrun):
    fence = hp.data.fence()
    bigger = hp.data.BIGGER_ZONE
    results = hp.run("ElectronicFenceAdd", fence, stage=STAGE)[2]
    results += hp.run("ElectronicFenceModify", {"areaName": fence["areaName"], "areaCollection": bigger,
                                                "remark": "扩大"}, stage=STAGE)[2]
    mine = [f for f in hp.state.fences.values() if f["areaName"] == fence["areaName"]]
    results.append(hp.record("henan.province.flow.fence", C.fence(mine, bigger), interface="ElectronicFenceModify",
                             stage=STAGE, evidence=[{"fences": mine}]))
    require(vrun, results)


@pytest.mark.interface("GateStatusReport")
def test_expired_token_is_renewed(hp, vrun, flow):
    """Two hours later (§4.2.1) the token is dead: the city platform gets a new one and its report still lands."""
    hp.state.expire_tokens()
    res, exs, results = hp.run("GateStatusReport", {"companyCode": flow["code"], "gateCode": "01", "gateStatus": "1"},
                               stage=STAGE)
    renewed = any(e.interface == "GetAuthorizationOrg" and e.outcome == "ok" for e in exs)
    landed = any(e.interface == "GateStatusReport" and e.outcome == "ok" for e in exs)
    problems = [] if renewed and landed else [C.fail(
        "after the token expired the report " + ("was accepted without a new token" if landed else
                                                 "never landed: no GetAuthorizationOrg followed the refusal"
                                                 if not renewed else "was refused even with the new token"))]
    results.append(hp.record("henan.province.token.renewal", problems, interface="GateStatusReport", stage=STAGE,
                             evidence=[res, *exs]))
    require(vrun, results)

"""Server role (SUT = a provincial platform, henan §4.2): stage `interface` sends every method a valid request as
a city platform would, in business order, and judges each answer; stage `negative` sends what the platform must
refuse. Default target: the project's own provincial mock."""
from __future__ import annotations

import time
from typing import Any

import pytest

from harness import specdata
from harness.checks import fail
from harness.pytest_plugin import require
from suites.henan import province_server as S
from suites.henan.reference_city_platform import Refused, perform

pytestmark = [pytest.mark.role("server")]
METHODS = list(specdata.sections("henan", "province"))


def positive_steps(hps) -> list[tuple[str, Any]]:
    """Every method once, in an order where each finds what it needs (company before gates, ledger before records)."""
    d, img = hps.data, hps.scan_image
    code, plate, inner = d.company_code(1), d.plate(2, 1), d.plate(3, 1)
    project, fence = d.project(), d.fence()
    rec = d.pass_record(code, "01", "A", plate)
    return [
        ("GetAuthorizationOrg", {}), ("AddCompany", d.company(1)),
        ("AddGate", {"companyCode": code, "uscc": d.uscc(1), "list": d.gates()}),
        ("GetCompanyInfo", {"list": [{"companyCode": code, "uscc": d.uscc(1)}]}),
        ("GetGateInfo", {"companyCode": code, "uscc": d.uscc(1), "gateCode": "01,02"}),
        ("ModifyCompany", {k: v for k, v in d.company(1).items() if k != "addDate"} | {"phone": "13811112222"}),
        ("ModifyGate", {"companyCode": code, "data": d.gates()[0] | {"gateName": "东门"}}),
        ("VehVerifyEx", {"companyCode": code, "gateCode": "01", "license": "豫A10001", "licenseColor": "1"}),
        ("GetNeedCompleteVehEx", {"companyCode": code}),
        ("DrivingLicenseScanEx", {"companyCode": code, "drivingLicenseImg": img}),
        ("VehElecAccountAdd", d.vehicle_ledger(plate, "1", img)),
        ("VehElecAccountModify", d.vehicle_ledger(plate, "1", img) | {"onwer": "郑州市另一物流有限公司"}),
        ("VehElecAccountGain", {"license": plate, "licenseColor": "1"}),
        ("InnerVehElecAccountAdd", d.inner(code, inner, "1", img)),
        ("InnerVehElecAccountModify", d.inner(code, inner, "2", img)),
        ("InnerMHYElecAccountAdd", d.machinery(code, "1", img)),
        ("InnerMHYElecAccountModify", d.machinery(code, "2", img)),
        ("SendEnterExitDataEx", {"list": [rec]}), ("SendGoodsRecordData", {"list": [d.goods(rec)]}),
        ("SendDayDataCity", {"date": d.day}), ("SendDayDataDistrict", {"date": d.day, "dictrictCode": d.district(1)}),
        ("RunControlProject", project), ("ModifyControlProject", d.project_modify(project)),
        ("CloseControlProject", d.project_close(project)),
        ("GateStatusReport", {"companyCode": code, "gateCode": "01", "gateStatus": "1"}),
        ("SeasonalControlReport", d.seasonal(code)), ("CheckFeedbackReport", d.feedback(rec)),
        ("ElectronicFenceAdd", fence),
        ("ElectronicFenceModify", {"areaName": fence["areaName"], "areaCollection": d.BIGGER_ZONE, "remark": "扩大"}),
    ]


@pytest.mark.stage("interface")
@pytest.mark.parametrize("method", [pytest.param(m, marks=pytest.mark.interface(m), id=m) for m in METHODS])
def test_accepts_valid_requests(hps, vrun, method):
    """The whole positive sequence runs once (the first test); each method's test records its own checks."""
    if not hasattr(hps, "positive"):
        hps.positive = {}
        for name, params in positive_steps(hps):
            try:
                perform(hps.city, name, params)
                hps.positive[name] = ""
            except Refused as exc:
                hps.positive[name] = str(exc)
            reply = hps.last(name)
            if reply is not None:
                hps.learn(reply)
    reply = hps.last(method)
    if reply is None:
        pytest.fail(f"{method} was never sent: {hps.positive.get(method) or 'an earlier step failed'}")
    results = []
    if method == "DrivingLicenseScanEx" and hps.foreign:
        results.append(hps.skip("henan.province.server.accept", "the licence image is the mock's fixture; a real "
                                "platform's OCR cannot be expected to read it", interface=method, stage="interface"))
    else:
        results.append(hps.record("henan.province.server.accept",
                                  [fail(hps.positive[method])] if hps.positive.get(method) else [],
                                  interface=method, stage="interface", evidence=[reply]))
    if isinstance(reply.body, dict) and reply.body.get("result") == "success":
        results.append(hps.record("henan.province.server.answer.schema", S.answer_schema(method, reply, vrun.profile),
                                  interface=method, stage="interface", evidence=[reply]))
    if method == "GetAuthorizationOrg":
        results.append(hps.record("henan.province.server.token.lifetime", lifetime(reply),
                                  interface=method, stage="interface", evidence=[reply]))
    if method == "GetNeedCompleteVehEx":
        results.append(hps.record("henan.province.server.need_complete.max20", S.need_complete_max(reply),
                                  interface=method, stage="interface", evidence=[reply]))
    require(vrun, results)


def lifetime(reply) -> list:
    data = reply.body.get("data") if isinstance(reply.body, dict) else None
    try:
        expire = time.mktime(time.strptime(data["expire"], "%Y%m%d%H%M%S"))
        now = time.mktime(time.strptime(data["serverTime"], "%Y%m%d%H%M%S"))
    except (TypeError, KeyError, ValueError):
        return [fail(f"expire / serverTime not readable as yyyyMMddHHmmss: {str(data)[:200]}")]
    if abs((expire - now) - S.TTL) > 60:
        return [fail(f"expire - serverTime = {expire - now:.0f} s, spec requires 2 hours ({S.TTL} s)")]
    return []

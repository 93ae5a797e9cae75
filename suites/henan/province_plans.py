"""What each provincial method's action asks the city platform to do in the interface stage: the params (the
business event) and the set-up it needs first (through the SUT, so the SUT holds what the province issued)."""
from __future__ import annotations

from typing import Any

from mocks.henan.province_state import load_fixtures

SCAN_IMAGE = load_fixtures()["scan"][0]["image"]


def _company(hp, n: int, stage: str) -> str | None:
    return hp.data.company_code(n) if hp.ensure_company(n, stage) else None


def _ledger(hp, plate: str, stage: str) -> bool:
    if hp.state.ledger_of(plate, "1"):
        return True
    return hp.setup("VehElecAccountAdd", hp.data.vehicle_ledger(plate, "1", SCAN_IMAGE), stage)


def _inner(hp, code: str, plate: str, status: str) -> dict[str, Any]:
    return hp.data.inner(code, plate, status, SCAN_IMAGE)


def _machinery(hp, code: str, status: str) -> dict[str, Any]:
    return hp.data.machinery(code, status, SCAN_IMAGE)


def _project(hp) -> dict[str, Any]:
    return hp.data.project() | {"controlProject": "接口测试管控方案"}


def params(hp, method: str, stage: str) -> Any:
    """The params of `method`'s interface-stage action; None when its set-up failed (already recorded)."""
    d = hp.data
    if method == "GetAuthorizationOrg":
        return {}
    if method == "AddCompany":
        return d.company(2)
    if method == "AddGate":
        if not hp.ensure_company(3, stage, gates=False):
            return None
        return {"companyCode": d.company_code(3), "uscc": d.uscc(3), "list": d.gates()}
    code = _company(hp, 1, stage)
    if code is None:
        return None
    if method == "VehVerifyEx":
        return {"companyCode": code, "gateCode": "01", "license": "豫A10001", "licenseColor": "1"}
    if method in ("GetNeedCompleteVehEx",):
        return {"companyCode": code}
    if method == "DrivingLicenseScanEx":
        return {"companyCode": code, "drivingLicenseImg": SCAN_IMAGE}
    if method == "GetCompanyInfo":
        return {"list": [{"companyCode": code, "uscc": d.uscc(1)}]}
    if method == "GetGateInfo":
        return {"companyCode": code, "uscc": d.uscc(1), "gateCode": "01,02"}
    if method == "ModifyCompany":
        return {k: v for k, v in d.company(1).items() if k != "addDate"} | {"phone": "13811112222", "contact": "周七"}
    if method == "ModifyGate":
        return {"companyCode": code, "data": d.gates()[0] | {"gateName": "东门", "gateStatus": "1"}}
    if method == "SendEnterExitDataEx":
        return {"list": [d.pass_record(code, "01", "A", "豫A10001"), d.pass_record(code, "02", "B", "豫A10001")]}
    if method == "SendDayDataCity":
        return {"date": d.day}
    if method == "SendDayDataDistrict":
        return {"date": d.day, "dictrictCode": d.district(1)}
    if method == "SendGoodsRecordData":
        rec = hp.ensure_pass(stage)
        if rec is None:
            return None
        return {"list": [d.goods(rec)]}
    plate = d.plate(2, 1)
    if method == "VehElecAccountAdd":
        return d.vehicle_ledger(plate, "1", SCAN_IMAGE)
    if method in ("VehElecAccountModify", "VehElecAccountGain"):
        if not _ledger(hp, plate, stage):
            return None
        if method == "VehElecAccountGain":
            return {"license": plate, "licenseColor": "1"}
        return d.vehicle_ledger(plate, "1", SCAN_IMAGE) | {"onwer": "郑州市另一物流有限公司"}
    inner = d.plate(3, 1)
    if method == "InnerVehElecAccountAdd":
        return _inner(hp, code, inner, "1")
    if method == "InnerVehElecAccountModify":
        if not any(l["kind"] == "inner" and l["data"]["license"] == inner for l in hp.state.ledgers.values()):
            if not hp.setup("InnerVehElecAccountAdd", _inner(hp, code, inner, "1"), stage):
                return None
        return _inner(hp, code, inner, "2")
    if method == "InnerMHYElecAccountAdd":
        return _machinery(hp, code, "1")
    if method == "InnerMHYElecAccountModify":
        if not any(l["kind"] == "machinery" for l in hp.state.ledgers.values()):
            if not hp.setup("InnerMHYElecAccountAdd", _machinery(hp, code, "1"), stage):
                return None
        return _machinery(hp, code, "2")
    project = _project(hp)
    running = [p for p in hp.state.projects.values() if p["data"]["controlProject"] == project["controlProject"]
               and p["state"] != "closed"]
    if method == "RunControlProject":
        return project
    if method in ("ModifyControlProject", "CloseControlProject"):
        if not running and not hp.setup("RunControlProject", project, stage):
            return None
        return d.project_modify(project) if method == "ModifyControlProject" else d.project_close(project)
    if method == "GateStatusReport":
        return {"companyCode": code, "gateCode": "01", "gateStatus": "1"}
    if method == "SeasonalControlReport":
        return d.seasonal(code)
    if method == "CheckFeedbackReport":
        rec = hp.ensure_pass(stage)
        if rec is None:
            return None
        return d.feedback(rec)
    fence = d.fence() | {"areaName": "接口测试禁行区"}
    if method == "ElectronicFenceAdd":
        return fence
    if method == "ElectronicFenceModify":
        if not any(f["areaName"] == fence["areaName"] for f in hp.state.fences.values()):
            if not hp.setup("ElectronicFenceAdd", fence, stage):
                return None
        return {"areaName": fence["areaName"], "remark": "扩大", "areaCollection": d.BIGGER_ZONE}
    raise KeyError(f"no interface-stage plan for {method}")

"""The provincial platform's business state (henan §4.2), without I/O: what each method does once its request
passed validation. Every method returns (data, None) or (None, err): the mock answers `result: success` with the
data, or `result: fail` with err.

What the spec makes stateful: the 2-hour access token (§4.2.1); AddCompany issues the companySecretCode (§4.2.5),
AddGate the gates' secret codes and credentials (§4.2.6); VehVerifyEx needs a valid company and gate secret and
reports isNeedComplete (§4.2.2); VehElecAccountAdd issues the licensePK (§4.2.15) that pass records, goods records
and the modify / download calls refer to; GetNeedCompleteVehEx serves at most 20 (§4.2.3); a control project
runs, may be modified, and is closed, in that order (§4.2.22-§4.2.24); fences are polygons (§4.2.28).
Vehicle registry and licence OCR answers come from schemas/henan/province_fixtures.toml.
"""
from __future__ import annotations

import hashlib
import itertools
import secrets
import time
import tomllib
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from harness.bounded import put_newest
from harness.clock import Clock

FIXTURES = Path(__file__).resolve().parents[2] / "schemas" / "henan" / "province_fixtures.toml"
PROJECT_FLOW = {"RunControlProject": ((), "running"), "ModifyControlProject": (("running", "modified"), "modified"),
                "CloseControlProject": (("running", "modified"), "closed")}


def load_fixtures() -> dict[str, Any]:
    with FIXTURES.open("rb") as fh:
        return tomllib.load(fh)


def stamp(t: float) -> str:
    return time.strftime("%Y%m%d%H%M%S", time.localtime(t))


@dataclass
class Company:
    code: str
    secret: str
    data: dict[str, Any]
    gates: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)  # gateCode -> data + credentials


class ProvinceState:
    """Companies, gates, vehicle ledgers, pass records, reports, control projects and fences of one mock run.

    What grows with what a peer sends is bounded (the journal keeps every exchange): the newest `max_records` pass
    and goods records, live tokens, companies, ledgers, control projects and fences, the newest `max_log` gates of a
    company and vehicles waiting for a ledger, the last `max_log` day and status reports. `dropped` counts what was
    let go; what referred to it goes with it (a company's and its gates' secret codes, a vehicle's ledger index)."""

    max_records = 100_000
    max_log = 10_000

    def __init__(self, clock: Clock, token_ttl: int, max_need_complete: int, *, is_control_values: str = "0-1-2"):
        self.clock, self.token_ttl, self.max_need = clock, token_ttl, max_need_complete
        fx = load_fixtures()
        self.account = dict(fx["account"])
        self.vehicles = {(v["license"], v["licenseColor"]): v for v in fx.get("vehicle", [])}
        self.scans = {hashlib.sha256(_b64(s["image"]) or b"").hexdigest(): s for s in fx.get("scan", [])}
        # (license, licenseColor) -> the vehicle waiting for a ledger (§4.2.3), in the order first seen
        self.need_complete: OrderedDict[tuple[str, str], dict[str, str]] = OrderedDict(
            ((n["license"], n["licenseColor"]), dict(n)) for n in fx.get("need_complete", []))
        self.is_control_values = is_control_values
        self.tokens: OrderedDict[str, float] = OrderedDict()  # token -> expiry (clock time), in the order issued
        self.companies: OrderedDict[str, Company] = OrderedDict()
        self.secrets: dict[str, str] = {}  # companySecretCode -> companyCode
        self.gate_secrets: dict[str, tuple[str, str]] = {}  # gateSecretCode -> (companyCode, gateCode)
        self.ledgers: OrderedDict[str, dict[str, Any]] = OrderedDict()  # licensePK -> ledger (kind, data)
        self._vehicle_pk: dict[tuple[str, str], str] = {}  # (license, licenseColor) -> its vehicle ledger's licensePK
        self.passes: OrderedDict[str, dict[str, Any]] = OrderedDict()  # serialNum -> record
        self.goods: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.day_reports: deque[dict[str, Any]] = deque(maxlen=self.max_log)
        self.dropped = {"passes": 0, "goods": 0, "tokens": 0, "companies": 0, "gates": 0, "ledgers": 0, "projects": 0,
                        "fences": 0, "need_complete": 0}
        self.projects: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.fences: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.reports: dict[str, deque[dict[str, Any]]] = {}  # GateStatusReport, SeasonalControlReport, CheckFeedbackReport
        self._seq = itertools.count(1)

    # ---- tokens (§4.2.1) -----------------------------------------------------------------------
    def token_ok(self, token: Any) -> str:
        """"ok", "missing", "unknown" or "expired"."""
        if not isinstance(token, str) or not token:
            return "missing"
        if token not in self.tokens:
            return "unknown"
        return "ok" if self.clock.now() < self.tokens[token] else "expired"

    def expire_tokens(self) -> None:
        for t in self.tokens:
            self.tokens[t] = self.clock.now() - 1

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._seq):06d}{secrets.token_hex(8)}"[:32]

    # ---- the methods ---------------------------------------------------------------------------
    def handler(self, method: str) -> Callable[[dict], tuple[Any, str | None]]:
        return getattr(self, "do_" + method)

    def do_GetAuthorizationOrg(self, req: dict):
        if any(req.get(k) != v for k, v in self.account.items()):
            return None, "地市授权号、用户名或密码错误"
        token = secrets.token_hex(16)
        now = self.clock.now()
        put_newest(self.tokens, token, now + self.token_ttl, self.max_records, self.dropped, "tokens")
        return {"accessToken": token, "expire": stamp(now + self.token_ttl), "serverTime": stamp(now)}, None

    def _company_by_secret(self, secret: Any) -> Company | None:
        code = self.secrets.get(secret) if isinstance(secret, str) else None
        return self.companies.get(code) if code else None

    def do_AddCompany(self, req: dict):
        data = req["data"]
        code = data["companyCode"]
        if code in self.companies:
            return None, f"企业编号 {code} 已联网，请用 ModifyCompany 修改"
        company = Company(code, self._id("CS"), dict(data))
        old = put_newest(self.companies, code, company, self.max_records, self.dropped, "companies")
        if old is not None:  # its secret codes go with it
            self.secrets.pop(old[1].secret, None)
            for gate in old[1].gates.values():
                self.gate_secrets.pop(gate["secret"], None)
        self.secrets[company.secret] = code
        return {"companySecretCode": company.secret}, None

    def do_ModifyCompany(self, req: dict):
        data = req["data"]
        company = self.companies.get(data["companyCode"])
        if company is None:
            return None, f"企业编号 {data['companyCode']} 未联网"
        company.data.update({k: v for k, v in data.items() if v not in (None, "")})
        return {"companySecretCode": company.secret}, None

    def do_AddGate(self, req: dict):
        company = self.companies.get(req["companyCode"])
        if company is None:
            return None, f"企业编号 {req['companyCode']} 未联网，请先调用 AddCompany"
        codes = [g["gateCode"] for g in req["list"]]
        dup = sorted({c for c in codes if c in company.gates or codes.count(c) > 1})
        if dup:
            return None, f"道闸编号重复: {','.join(dup)}"
        out = []
        for g in req["list"]:
            gate = dict(g) | {"secret": self._id("GS"), "username": f"{company.code}{g['gateCode']}",
                              "pwd": secrets.token_urlsafe(12)}
            old = put_newest(company.gates, g["gateCode"], gate, self.max_log, self.dropped, "gates")
            if old is not None:
                self.gate_secrets.pop(old[1]["secret"], None)
            self.gate_secrets[gate["secret"]] = (company.code, g["gateCode"])
            out.append({"gateCode": g["gateCode"], "gateSecretCode": gate["secret"], "username": gate["username"],
                        "pwd": gate["pwd"]})
        return out, None

    def do_ModifyGate(self, req: dict):
        company = self.companies.get(req["companyCode"])
        gate = company.gates.get(req["data"]["gateCode"]) if company else None
        if gate is None:
            return None, f"道闸 {req['companyCode']}/{req['data']['gateCode']} 未联网"
        gate.update({k: v for k, v in req["data"].items() if v not in (None, "")})
        return {"gateCode": gate["gateCode"], "gateSecretCode": gate["secret"]}, None

    def do_GetCompanyInfo(self, req: dict):
        out = []
        for key in req["list"]:
            company = self.companies.get(key.get("companyCode"))
            if company is None:
                return None, f"企业编号 {key.get('companyCode')} 未联网"
            out.append({k: v for k, v in company.data.items() if k not in ("companyCode", "uscc")})
        return out, None

    def do_GetGateInfo(self, req: dict):
        company = self.companies.get(req["companyCode"])
        if company is None:
            return None, f"企业编号 {req['companyCode']} 未联网"
        out = []
        for code in req["gateCode"].split(","):
            gate = company.gates.get(code)
            if gate is None:
                return None, f"道闸编号 {code} 未联网"
            out.append({k: v for k, v in gate.items() if k not in ("gateCode", "secret", "username", "pwd")})
        return out, None

    def do_VehVerifyEx(self, req: dict):
        company = self._company_by_secret(req["companySecretCode"])
        if company is None:
            return None, "企业授权号无效"
        owner = self.gate_secrets.get(req["gateSecretCode"])
        if owner is None or owner[0] != company.code:
            return None, "道闸授权号无效或不属于该企业"
        key = (req["license"], req["licenseColor"])
        veh = self.vehicles.get(key)
        base = {"license": key[0], "licenseColor": key[1]}
        if veh is None:
            if key not in self.need_complete:
                put_newest(self.need_complete, key, base | {"addDate": stamp(self.clock.now())}, self.max_log,
                           self.dropped, "need_complete")
            return base | {"isNeedComplete": "1"}, None
        out = base | {k: v for k, v in veh.items() if k not in ("license", "licenseColor", "needs_ledger")}
        if out.get("isControl") == "2" and self.is_control_values == "0-1":
            out["isControl"] = "1"
        pk = self.ledger_of(*key)
        out["isNeedComplete"] = "2" if veh.get("needs_ledger") and pk is None else "0"
        if pk:
            out["licensePK"] = pk
        return out, None

    def do_GetNeedCompleteVehEx(self, req: dict):
        if self._company_by_secret(req["companySecretCode"]) is None:
            return None, "企业授权号无效"
        return [dict(n) for n in itertools.islice(self.need_complete.values(), self.max_need)], None

    def do_DrivingLicenseScanEx(self, req: dict):
        if self._company_by_secret(req["companySecretCode"]) is None:
            return None, "企业授权号无效"
        raw = _b64(req["drivingLicenseImg"])
        scan = self.scans.get(hashlib.sha256(raw).hexdigest()) if raw is not None else None
        if scan is None:
            return None, "行驶证识别失败"
        return {k: v for k, v in scan.items() if k != "image"}, None

    # ---- ledgers (§4.2.15-§4.2.21) ----------------------------------------------------------------
    def ledger_of(self, license: str, color: str) -> str | None:
        return self._vehicle_pk.get((license, color))  # (a lookup: a scan of every ledger made each add quadratic)

    def _company_secret_ok(self, req: dict, required: bool) -> str | None:
        secret = req.get("companySecretCode")
        if not secret and not required:
            return None  # §4.2.15: empty means the platform builder vouches for the data
        if self._company_by_secret(secret) is None:
            return "企业授权号无效"
        if req.get("companyCode") and self.secrets[secret] != req["companyCode"]:
            return "企业授权号与企业编号不符"
        return None

    def _ledger_add(self, req: dict, kind: str, required: bool, answer: tuple[str, ...]):
        err = self._company_secret_ok(req, required)
        if err:
            return None, err
        if kind == "vehicle" and self.ledger_of(req["license"], req["licenseColor"]):
            return None, f"车辆 {req['license']} 已备案，请用更新接口"
        pk = self._id("PK")
        old = put_newest(self.ledgers, pk, {"kind": kind, "data": dict(req)}, self.max_records, self.dropped, "ledgers")
        if old is not None and old[1]["kind"] == "vehicle":
            data = old[1]["data"]
            if self._vehicle_pk.get((data["license"], data["licenseColor"])) == old[0]:
                del self._vehicle_pk[(data["license"], data["licenseColor"])]
        if kind == "vehicle":
            self._vehicle_pk[(req["license"], req["licenseColor"])] = pk
            self.need_complete.pop((req["license"], req["licenseColor"]), None)
        return {k: req.get(k, "") for k in answer} | {"licensePK": pk}, None

    def _ledger_modify(self, req: dict, kind: str, required: bool, same: tuple[str, ...], answer: tuple[str, ...]):
        err = self._company_secret_ok(req, required)
        if err:
            return None, err
        ledger = self.ledgers.get(req["licensePK"])
        if ledger is None or ledger["kind"] != kind:
            return None, f"车辆备案唯一识别编码 {req['licensePK']} 不存在"
        changed = [k for k in same if req.get(k) and req[k] != ledger["data"].get(k)]
        if changed:
            return None, f"{','.join(changed)} 不可修改"
        ledger["data"].update({k: v for k, v in req.items() if v not in (None, "") and k != "accessToken"})
        return {k: ledger["data"].get(k, "") for k in answer} | {"licensePK": req["licensePK"]}, None

    def do_VehElecAccountAdd(self, req):
        return self._ledger_add(req, "vehicle", False, ("license", "licenseColor"))

    def do_VehElecAccountModify(self, req):
        return self._ledger_modify(req, "vehicle", False, ("license", "licenseColor"), ("license", "licenseColor"))

    def do_VehElecAccountGain(self, req):
        ledger = self.ledgers.get(req["licensePK"])
        if ledger is None or (ledger["data"]["license"], ledger["data"]["licenseColor"]) != (req["license"], req["licenseColor"]):
            return None, "车辆备案信息不存在"
        keys = ("license", "licenseColor", "vin", "engineNo", "onwer", "registerDate", "emissionStandard",
                "drivingLicenseImg", "drivingLicenseImg2")
        return {k: ledger["data"][k] for k in keys if ledger["data"].get(k)} | {"licensePK": req["licensePK"]}, None

    def do_InnerVehElecAccountAdd(self, req):
        return self._ledger_add(req, "inner", True, ("license", "licenseColor"))

    def do_InnerVehElecAccountModify(self, req):
        return self._ledger_modify(req, "inner", True, ("license", "licenseColor"), ("license", "licenseColor"))

    def do_InnerMHYElecAccountAdd(self, req):
        data, err = self._ledger_add(req, "machinery", True, ())
        if data is not None:
            data = {"mhyPlate": req.get("mhyPlate") or f"HN{data['licensePK'][-10:].upper()}", "licensePK": data["licensePK"]}
            self.ledgers[data["licensePK"]]["data"]["mhyPlate"] = data["mhyPlate"]
        return data, err

    def do_InnerMHYElecAccountModify(self, req):
        data, err = self._ledger_modify(req, "machinery", True, ("mhyPlate",), ("mhyPlate",))
        return data, err

    # ---- records and reports (§4.2.11-§4.2.14, §4.2.25-§4.2.27) ---------------------------------------
    def _record_owner(self, rec: dict) -> str | None:
        company = self.companies.get(rec.get("companyCode"))
        if company is None:
            return f"企业编号 {rec.get('companyCode')} 未联网"
        if rec.get("gateCode") not in company.gates:
            return f"道闸编号 {rec.get('gateCode')} 不属于企业 {company.code}"
        pk = rec.get("licensePK")
        if rec.get("islicensePK") == "1" or pk:
            ledger = self.ledgers.get(pk)
            if ledger is None or ledger["data"].get("license") != rec.get("license"):
                return f"车辆备案唯一识别编码 {pk} 不存在或不属于 {rec.get('license')}"
        return None

    def do_SendEnterExitDataEx(self, req):
        for rec in req["list"]:
            err = self._record_owner(rec)
            if err:
                return None, f"{rec.get('serialNum')}: {err}"
        for rec in req["list"]:
            put_newest(self.passes, rec["serialNum"], dict(rec), self.max_records, self.dropped, "passes")
        return {}, None

    def do_SendGoodsRecordData(self, req):
        for rec in req["list"]:
            err = self._record_owner(rec) or (None if rec["serialNum"] in self.passes else "无对应的通行记录")
            if err:
                return None, f"{rec.get('serialNum')}: {err}"
        for rec in req["list"]:
            put_newest(self.goods, rec["serialNum"], dict(rec), self.max_records, self.dropped, "goods")
        return {}, None

    def do_SendDayDataCity(self, req):
        self.day_reports.append({"level": "city"} | req)
        return {}, None

    def do_SendDayDataDistrict(self, req):
        self.day_reports.append({"level": "district"} | req)
        return {}, None

    def _report(self, method: str, req: dict):
        self.reports.setdefault(method, deque(maxlen=self.max_log)).append(dict(req))
        return {}, None

    def do_GateStatusReport(self, req):
        owner = self.gate_secrets.get(req["gateSecretCode"])
        if owner != (req["companyCode"], req["gateCode"]):
            return None, "道闸授权号与企业编号、道闸编号不符"
        return self._report("GateStatusReport", req)

    def do_SeasonalControlReport(self, req):
        if req["companyCode"] not in self.companies:
            return None, f"企业编号 {req['companyCode']} 未联网"
        return self._report("SeasonalControlReport", req)

    def do_CheckFeedbackReport(self, req):
        if req["serialNum"] not in self.passes:
            return None, f"通行记录 {req['serialNum']} 不存在"
        return self._report("CheckFeedbackReport", req)

    # ---- control projects (§4.2.22-§4.2.24) and fences (§4.2.28-§4.2.29) ------------------------------
    def _project(self, method: str, req: dict):
        allowed, then = PROJECT_FLOW[method]
        if method == "RunControlProject":
            code = self._id("CP")
            put_newest(self.projects, code, {"state": "running", "history": [method], "data": dict(req)}, self.max_records,
                       self.dropped, "projects")
            return {"controlProjectCode": code, "controlProject": req["controlProject"]}, None
        project = self.projects.get(req["controlProjectCode"])
        if project is None:
            return None, f"管控方案编号 {req['controlProjectCode']} 不存在"
        if project["state"] not in allowed:
            return None, f"管控方案已{ {'closed': '关闭'}.get(project['state'], project['state']) }，不能{method}"
        project["state"] = then
        _note(project["history"], method)
        project["data"].update({k: v for k, v in req.items() if v not in (None, "")})
        if method == "CloseControlProject":
            return {}, None
        return {"controlProjectCode": req["controlProjectCode"], "controlProject": project["data"]["controlProject"]}, None

    def do_RunControlProject(self, req):
        return self._project("RunControlProject", req)

    def do_ModifyControlProject(self, req):
        return self._project("ModifyControlProject", req)

    def do_CloseControlProject(self, req):
        return self._project("CloseControlProject", req)

    def do_ElectronicFenceAdd(self, req):
        area = self._id("AR")
        put_newest(self.fences, area, {"areaName": req["areaName"], "areaCollection": req["areaCollection"],
                                       "history": ["add"]}, self.max_records, self.dropped, "fences")
        return {"areaId": area, "areaName": req["areaName"]}, None

    def do_ElectronicFenceModify(self, req):
        fence = self.fences.get(req["areaId"])
        if fence is None:
            return None, f"区域 ID {req['areaId']} 不存在"
        fence["areaCollection"] = req["areaCollection"]
        _note(fence["history"], "modify")
        return {}, None

    def snapshot(self) -> dict[str, Any]:
        return {"companies": {c: sorted(co.gates) for c, co in self.companies.items()}, "ledgers": len(self.ledgers),
                "passes": len(self.passes), "goods": len(self.goods), "day_reports": len(self.day_reports),
                "projects": {c: p["state"] for c, p in self.projects.items()}, "fences": len(self.fences),
                "need_complete": len(self.need_complete), "reports": {k: len(v) for k, v in self.reports.items()},
                "dropped": dict(self.dropped)}


def _note(history: list[str], step: str, keep: int = 100) -> None:
    """Append a step to a project's or fence's history, which keeps its first step and its last `keep` - 1."""
    history.append(step)
    if len(history) > keep:
        del history[1:len(history) - keep + 1]


def _b64(text: Any) -> bytes | None:
    import base64
    import binascii

    if not isinstance(text, str):
        return None
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None

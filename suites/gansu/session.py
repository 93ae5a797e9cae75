"""One client-role session against the Gansu platform mock: start the mock, drive the station's adapter, judge."""
from __future__ import annotations

from typing import Any

from harness.adapter import AdapterResult
from harness.checks import CheckResult, Problem
from harness.journal import Exchange
from harness.run import RunContext
from harness.session import MockClientSession
from mocks.gansu.app import GansuMock
from schemas.gansu.datagen import StationData
from suites.gansu import checks as C

VEHICLE = ("vehicleNo", "plateColorCode", "vinNo")
IMAGE_TYPES = {"sharePrintImage": "1", "shareReportImage": "1", "shareSignatureImage": "3"}


class GansuSession(MockClientSession):
    mock: GansuMock

    def __init__(self, vrun: RunContext, adapter_cmd: list[str] | str):
        seed = int(vrun.config.seed)
        super().__init__(vrun, lambda journal: GansuMock(journal=journal, profile=vrun.profile, seed=seed))
        self.base_url = self.server.url + str(self.mock.ep.get("base_path", "")).rstrip("/")
        self.data = StationData(seed)
        self.credentials = self.data.account()
        self.start_adapter(adapter_cmd, vrun.spec.name, self.base_url, self.credentials)

    def learn_secrets(self, e: Exchange) -> None:
        self.vrun.add_secret(e.notes.get("token_issued"))
        self.vrun.add_secret(self.credentials["password"])

    def judge(self, interface: str, res: AdapterResult, exchanges: list[Exchange], *, stage: str) -> list[CheckResult]:
        """Every check of one action: adapter, transport, envelope, token, payload, serial, answer."""
        out = self.judging(interface, res, exchanges, stage=stage)
        rec = out.add
        rec("gansu.transport.reached", C.reached(exchanges, interface))
        if not exchanges:
            return out
        rec("gansu.http.post_json", C.post_json(exchanges))
        rec("gansu.envelope.shape", C.envelope_shape(exchanges))
        rec("gansu.envelope.value_string", C.value_string(exchanges))
        rec("gansu.envelope.station", C.station(exchanges, self.credentials["CompanyId"]))
        if interface != "getAccessToken":
            rec("gansu.token.valid", C.token_valid(exchanges))
        mine = [e for e in exchanges if e.interface == interface and "violations" in e.notes]
        if mine:
            last = mine[-1]
            found: dict[str, list[Problem]] = {k: [] for k in C.PAYLOAD_KINDS}
            for v in last.notes["violations"]:
                kind = C.KIND_OF.get(v["kind"], v["kind"])
                if kind in found:
                    found[kind].append(Problem(v["message"], v["level"], v.get("errata")))
            strict = bool((self.vrun.profile or {}).get("strict"))  # a strict profile takes no alternative reading
            found["type"] += [Problem(p.message, "fail", p.errata) if strict else p for p in C.warnings_of([last])]
            for kind, probs in found.items():
                rec(f"gansu.payload.{kind}", probs, [last.evidence()])
        if interface not in ("getAccessToken", "getVehicleInfoAndDetectSn", "shareDetectionStationInfo",
                             "shareVehicleInfo"):
            rec("gansu.serial.issued", C.serial_issued(exchanges))
        rec("gansu.answer.accepted", C.accepted(exchanges, interface))
        return out

    def run_action(self, interface: str, params: dict | None, *, stage: str,
                   expect_output: bool = False) -> tuple[AdapterResult, list[Exchange], list[CheckResult]]:
        res, exs = self.act(interface, params or {}, expect_output=expect_output)
        return res, exs, self.judge(interface, res, exs, stage=stage)

    # ---- params of each action: the business event, without what the station knows from its configuration ----
    def params(self, interface: str, n: int = 0, *, failed: bool = False) -> dict[str, Any]:
        d = self.data
        v = d.vehicle(n)
        if interface in ("getAccessToken",):
            return {}
        if interface == "shareDetectionStationInfo":
            return {}
        if interface == "shareVehicleInfo":
            return dict(v)
        if interface == "getVehicleInfoAndDetectSn":
            return {k: v[k] for k in VEHICLE}
        if interface == "shareDetectInfo":
            body = d.detect_info(v, "", failed=failed)
            record = {k: x for k, x in body["detectRecord"].items() if k not in ("dsId", "dsName", "detectSn")}
            return {**body, "detectRecord": record}
        items = d.image_items(v, "", IMAGE_TYPES[interface])
        return {"items": [{k: x for k, x in i.items() if k not in ("dsId", "detectSn")} for i in items]}

"""One client-role session against the Henan city mock: start the mock, drive the gate system's adapter, judge."""
from __future__ import annotations

from typing import Any

from harness.adapter import AdapterResult
from harness.checks import CheckResult
from harness.journal import Exchange
from harness.run import RunContext
from harness.session import MockClientSession
from mocks.henan.city_app import HenanCityMock
from schemas.henan.datagen import CityData
from schemas.henan.validate import validate
from suites.henan import checks as C

# What the gate system knows from its own configuration, not from the action's params (credentials).
FROM_CONFIG = {"qybh", "qymc", "dzbh", "companySecretCode", "companyCode"}


class HenanCitySession(MockClientSession):
    mock: HenanCityMock

    def __init__(self, vrun: RunContext, adapter_cmd: list[str] | str):
        seed = int(vrun.config.seed)
        super().__init__(vrun, lambda journal: HenanCityMock(journal=journal, profile=vrun.profile, seed=seed))
        self.base_url = self.server.url + self.mock.ep["base_path"]
        self.data = CityData(seed)
        acc = self.data.account()
        self.organ = acc["organ"]
        self.credentials = {**acc, "qybh": self.data.qybh, "dzbh": self.data.dzbh}
        self.start_adapter(adapter_cmd, vrun.spec.name, self.base_url, self.credentials)

    def learn_secrets(self, e: Exchange) -> None:
        self.vrun.add_secret(e.notes.get("token_issued"))
        self.vrun.add_secret(self.credentials["password"])
        self.vrun.add_secret(self.credentials["companySecretCode"])

    def judge(self, interface: str, res: AdapterResult, exchanges: list[Exchange], params: dict | None, *,
              stage: str) -> list[CheckResult]:
        """Every check of one action: adapter, transport, envelope, token, payload, answer."""
        out = self.judging(interface, res, exchanges, stage=stage)
        rec = out.add
        rec("henan.transport.reached", C.reached(exchanges, interface))
        if not exchanges:
            return out
        rec("henan.http.post_json", C.post_json(exchanges))
        rec("henan.envelope.shape", C.envelope_shape(exchanges))
        rec("henan.envelope.organ", C.envelope_organ(exchanges, self.organ))
        if interface != "getAccessToken":
            rec("henan.token.valid", C.token_valid(exchanges))
        mine = [e for e in exchanges if e.interface == interface and isinstance(e.request_plaintext, dict)]
        if mine:
            last = mine[-1]
            evidence = [last.evidence()]
            body = last.notes.get("as_envelope", last.request_plaintext)  # E-HN-03: a flat body read as the envelope
            violations = validate(interface, "request", body, profile=self.vrun.profile)
            for kind in C.PAYLOAD_KINDS:
                probs = [C.Problem(v.message, "warn" if kind == "unknown_field" else v.level, v.errata)
                         for v in violations if v.kind == kind]
                rec(f"henan.payload.{kind}", probs, evidence)
            if params is not None:
                sent = body.get("value", body)
                rec("henan.payload.params_intact", C.params_intact(sent, params), evidence)
        rec("henan.answer.accepted", C.accepted(exchanges, interface))
        return out

    def run_action(self, interface: str, params: dict | None, *, stage: str, intact: bool = True,
                   expect_output: bool = False) -> tuple[AdapterResult, list[Exchange], list[CheckResult]]:
        res, exs = self.act(interface, params or {}, expect_output=expect_output)
        return res, exs, self.judge(interface, res, exs, params if intact else None, stage=stage)

    def decide(self, vehicle: dict, *, stage: str) -> list[CheckResult]:
        """A vehicle at the gate: getCheckVehicle judged as an action, then the gate's decision against the answer."""
        res, exs, results = self.run_action("getCheckVehicle", vehicle, stage=stage, expect_output=True)
        answered = next((e.response_body.get("value") for e in reversed(exs)
                         if e.interface == "getCheckVehicle" and e.outcome == "ok"), None)
        results.append(self.record("henan.gate.decision", C.gate_decision(res.stdout, answered),
                                   interface="getCheckVehicle", stage=stage,
                                   evidence=[res.evidence()] + [e.evidence() for e in exs]))
        return results

    # ---- params of each action: the business event, without what the gate knows from its configuration --------
    def params(self, interface: str, n: int = 1) -> dict[str, Any]:
        d = self.data
        if interface == "getAccessToken":
            return {}
        if interface == "getCheckVehicle":
            return d.free_vehicle(n)
        record = d.passage(d.free_vehicle(n), n)
        made = {"shareDrivingRecord": record, "sharePhotoInfo": d.photo(record), "shareGoodsRecord": d.goods(record),
                "shareVehInfo": d.veh_info(n), "shareInnerVehInfo": d.inner_veh_info(n + 1),
                "shareInnerMHYElec": d.machine(n)}[interface]
        return {k: v for k, v in made.items() if k not in FROM_CONFIG}

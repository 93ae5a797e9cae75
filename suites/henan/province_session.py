"""One client-role session of the provincial level: the provincial mock on loopback, the SUT (a city platform)
driven through its adapter, and the judgement of each action (henan §3.2, §4.2)."""
from __future__ import annotations

from typing import Any

from harness.adapter import AdapterResult
from harness.checks import CheckResult, Problem
from harness.journal import Exchange
from harness.run import RunContext
from harness.session import MockClientSession
from mocks.henan.province_app import HenanProvinceMock
from schemas.henan.province_datagen import ProvinceData
from schemas.henan.province_validate import validate
from suites.henan import province_checks as C

SECRET_NOTES = ("token_issued",)
SECRET_FIELDS = ("accessToken", "companySecretCode", "gateSecretCode", "pwd")


class ProvinceSession(MockClientSession):
    mock: HenanProvinceMock

    def __init__(self, vrun: RunContext, adapter_cmd: list[str] | str):
        super().__init__(vrun, lambda journal: HenanProvinceMock(journal=journal, profile=vrun.profile))
        self.base_url = self.server.url + self.mock.base
        self.data = ProvinceData(int(vrun.config.seed))
        self.state = self.mock.state
        self.credentials = dict(self.state.account)
        self.vrun.add_secret(self.credentials["pwd"])
        self.start_adapter(adapter_cmd, vrun.spec.name, self.base_url, self.credentials)

    def learn_secrets(self, e: Exchange) -> None:
        for key in SECRET_NOTES:
            self.vrun.add_secret(e.notes.get(key))
        for obj in (e.request_plaintext, e.response_plaintext):
            for item in (obj if isinstance(obj, list) else [obj]):
                if isinstance(item, dict):
                    for key in SECRET_FIELDS:
                        if isinstance(item.get(key), str):
                            self.vrun.add_secret(item[key])

    # ---- judging one action -------------------------------------------------------------------
    def judge(self, method: str, res: AdapterResult, exchanges: list[Exchange], *, stage: str) -> list[CheckResult]:
        """Every check of one action: adapter, transport, token, fields of the last request, the answer."""
        out = self.judging(method, res, exchanges, stage=stage)
        rec = out.add
        rec("henan.province.transport.reached", C.reached(exchanges, method))
        if not exchanges:
            return out
        rec("henan.province.http.post_json", C.post_json(exchanges, self.vrun.profile))
        if method != "GetAuthorizationOrg":
            rec("henan.province.token.valid", C.token_valid(exchanges))
        mine = [e for e in exchanges if e.interface == method]
        if not mine:
            return out
        last = mine[-1]
        if isinstance(last.request_plaintext, dict):
            violations = validate(method, "request", last.request_plaintext, profile=self.vrun.profile)
            for kind in C.PAYLOAD_KINDS:
                probs = [Problem(v.message, v.level, v.errata) for v in violations if C.KIND_CHECK[v.kind] == kind]
                if kind == "unknown_field":
                    probs = [Problem(p.message, "warn", p.errata) for p in probs]
                rec(f"henan.province.payload.{kind}", probs, [last])
        rec("henan.province.answer.accepted", C.accepted(exchanges, method))
        return out

    def run(self, method: str, params: Any, *, stage: str, expect_output: bool = False
            ) -> tuple[AdapterResult, list[Exchange], list[CheckResult]]:
        res, exs = self.act(method, params, expect_output=expect_output)
        return res, exs, self.judge(method, res, exs, stage=stage)

    def answered(self, exchanges: list[Exchange], method: str) -> Any:
        mine = [e for e in exchanges if e.interface == method and e.outcome == "ok"]
        return mine[-1].response_plaintext if mine else None

    # ---- set-up through the SUT, recorded like any action (a run restricted with --only shows it) ----------
    def setup(self, method: str, params: Any, stage: str) -> bool:
        res, exs = self.act(method, params)
        ok = res.ok and any(e.interface == method and e.outcome == "ok" for e in exs)
        self.completed(res, also=[] if ok or not res.ok else [C.fail(f"{method} (set-up) was not accepted")],
                       interface=method, stage=stage, evidence=[res, *exs])
        return ok

    def ensure_company(self, n: int, stage: str, *, gates: bool = True) -> bool:
        code = self.data.company_code(n)
        if code not in self.state.companies and not self.setup("AddCompany", self.data.company(n), stage):
            return False
        company = self.state.companies[code]
        if gates and not company.gates:
            return self.setup("AddGate", {"companyCode": code, "uscc": self.data.uscc(n), "list": self.data.gates()}, stage)
        return True

    def ensure_pass(self, stage: str) -> dict[str, Any] | None:
        """A pass record of company 1 the province holds (for goods records and feedback)."""
        code = self.data.company_code(1)
        held = [r for r in self.state.passes.values() if r["companyCode"] == code]
        if held:
            return held[-1]
        if not self.ensure_company(1, stage):
            return None
        rec = self.data.pass_record(code, "01", "A", "豫A10001")
        return rec if self.setup("SendEnterExitDataEx", {"list": [rec]}, stage) else None

"""One client-role session against the Yunnan mock: start the mock, drive the SUT adapter, judge each action."""
from __future__ import annotations

from typing import Any

from harness import crypto
from harness.adapter import AdapterResult
from harness.checks import CheckResult
from harness.journal import Exchange
from harness.run import RunContext
from harness.session import MockClientSession
from mocks.yunnan.app import YunnanMock
from schemas.yunnan.datagen import YunnanData
from schemas.yunnan.validate import validate
from suites.yunnan import checks as C


class YunnanSession(MockClientSession):
    """Owns the mock, the adapter and the data generator for one run; records checks into the RunContext."""

    mock: YunnanMock

    def __init__(self, vrun: RunContext, adapter_cmd: list[str] | str):
        cfg = vrun.config
        super().__init__(vrun, lambda journal: YunnanMock(journal=journal, profile=vrun.profile))
        self.base_url = self.server.url + self.mock.ep["prefix"]
        self.data = YunnanData(int(cfg.seed))
        self.enterprise_id = self.data.enterprise_id
        self.enterprise = self.data.enterprise()
        self.credentials = {"enterpriseId": self.enterprise_id, "enterpriseName": self.enterprise["enterpriseName"]}
        self.start_adapter(adapter_cmd, "yunnan", self.base_url, self.credentials)
        self.registered = False

    # ---- helpers ------------------------------------------------------------------------------
    @property
    def ent(self):
        return self.mock.state.enterprises.get(self.enterprise_id)

    def learn_secrets(self, e: Exchange) -> None:
        for v in (e.notes.get("token_issued"), (e.response_plaintext or {}).get("apiSecret") if isinstance(e.response_plaintext, dict) else None):
            self.vrun.add_secret(v)
        auth = next((v for k, v in e.headers.items() if k.lower() == "authorization"), "")
        if auth.startswith("Bearer "):
            self.vrun.add_secret(auth[7:].strip())

    def ensure_registered(self, stage: str) -> bool:
        """Register through the SUT once (yunnan §6.1 allows one successful call); later tests reuse it."""
        if self.registered or self.ent is not None:
            self.registered = True
            return True
        res, exs = self.act("init-auth", self.credentials)
        self.registered = self.ent is not None
        # Recorded whether it worked or not: a run restricted with --only still shows the setup call it made.
        self.completed(res, also=[C.fail("init-auth did not register the enterprise")] if res.ok and not self.registered
                       else [], interface="init-auth", stage=stage, evidence=[res, *exs])
        return self.registered

    # ---- the common judgement of one action ------------------------------------------------------
    def judge(self, interface: str, res: AdapterResult, exchanges: list[Exchange], params: Any, *,
              stage: str, intact: bool = True) -> list[CheckResult]:
        """Every check that applies to one upload-like action: adapter, transport, headers, envelope, payload."""
        out = self.judging(interface, res, exchanges, stage=stage)
        rec = out.add
        rec("yunnan.transport.reached", C.reached(exchanges, interface))
        mine = [e for e in exchanges if e.interface == interface]
        if not exchanges:
            return out
        # Transport, headers and envelope are judged on every request the action caused (a failing
        # /getToken before the upload is where an AES-128 key or a bad signature shows first).
        rec("yunnan.http.post_json", C.post_json(exchanges))
        ent = self.ent
        if interface != "init-auth" and ent is not None:
            rec("yunnan.headers.client_id", C.client_id(exchanges, ent.api_key))
            if interface != "getToken":
                rec("yunnan.headers.bearer", C.bearer(exchanges))
                rec("yunnan.token.valid", C.token_valid(exchanges))
            aspects: dict[str, list] = {k: [] for k in C.ENVELOPE_CHECKS}
            client_pub = crypto.load_public(ent.public_key)
            for e in exchanges:
                if e.interface in ("init-auth", ""):
                    continue
                for k, probs in C.analyze_envelope(e, self.mock.state.platform_key, client_pub, self.vrun.profile).items():
                    aspects[k].extend(probs)
            for k, (cid, *_rest) in C.ENVELOPE_CHECKS.items():
                rec(cid, aspects[k])
        if not mine:
            return out
        last = mine[-1]
        sent = last.request_plaintext
        if isinstance(sent, dict):
            out.extend(self.judge_payload(interface, sent, stage, [res.evidence()] + [e.evidence() for e in mine[-1:]],
                                          params if intact else None))
        rec("yunnan.answer.accepted", C.accepted(exchanges, interface))
        return out

    def judge_payload(self, interface: str, sent: dict, stage: str, evidence: list, params: Any) -> list[CheckResult]:
        """Schema and rule checks per violation kind, then the params-intact comparison."""
        violations = validate(interface, "request", sent, profile=self.vrun.profile)
        out = []
        for kind in C.PAYLOAD_KINDS:
            probs = [C.Problem(f"{v.message}", v.level, v.errata) for v in violations if v.kind == kind]
            if kind == "unknown_field":
                probs = [C.Problem(p.message, "warn", p.errata) for p in probs]
            out.append(self.record(f"yunnan.payload.{kind}", probs, interface=interface, stage=stage, evidence=evidence))
        if isinstance(params, dict):
            warned = {v.field: v.errata for v in violations if v.level == "warn" and v.errata}
            if self.vrun.profile.get("strict"):
                warned = {}
            out.append(self.record("yunnan.payload.params_intact", C.params_intact(sent, params, warned),
                                   interface=interface, stage=stage, evidence=evidence))
        return out

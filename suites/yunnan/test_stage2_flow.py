"""Stage `flow` (gansu rollout: the full business-process data test): register → token → master data →
access records → multi-page pulls whose ids the software confirms by itself → token expiry mid-flow → heartbeats."""
from __future__ import annotations

import pytest

from harness.pytest_plugin import require
from suites.yunnan import checks as C
from suites.yunnan.plans import judge_own_confirms, pull_and_judge

pytestmark = [pytest.mark.role("client"), pytest.mark.stage("flow")]
STAGE = "flow"
FLOW_RECORDS = 250  # three pages: 100 + 100 + 50
TOKEN_TTL = 7200


def _need_registration(yn):
    if not yn.ensure_registered(STAGE):
        pytest.fail("registration failed; the flow cannot go on")


def test_register_once(yn, vrun):
    """Triggered again (as an installer that restarts would), init-auth must not call /init-auth: §6.1 allows one
    successful call, and a registration kept in state_dir is the software's own (`vconform actions yunnan`)."""
    _need_registration(yn)
    res, exs = yn.act("init-auth", yn.credentials)
    results = [yn.completed(res, interface="init-auth", stage=STAGE),
               yn.record("yunnan.register.once", C.register_once(yn.journal.of("init-auth")), interface="init-auth",
                         stage=STAGE, evidence=[e.evidence() for e in yn.journal.of("init-auth")])]
    require(vrun, results)


def test_token(yn, vrun):
    _need_registration(yn)
    res, exs = yn.act("getToken", {})
    require(vrun, yn.judge("getToken", res, exs, None, stage=STAGE, intact=False))


def test_master_data(yn, vrun):
    """Enterprise, cameras on two entrances, vehicles and machinery, each accepted (§6.3, §6.4, §6.11, §6.12)."""
    _need_registration(yn)
    d = yn.data
    plan = [("enterprise", yn.enterprise)]
    plan += [("cameraInfo", d.camera(ent, seq)) for ent, seq in (("A", 1), ("A", 2), ("B", 1))]
    plan += [("vehicleInfo", d.vehicle(seq)) for seq in (11, 12, 13)]
    plan += [("nonMachinery", d.machinery(seq)) for seq in (11, 12)]
    results = []
    for interface, params in plan:
        res, exs = yn.act(interface, params)
        results += yn.judge(interface, res, exs, params, stage=STAGE)
    require(vrun, results)


def test_access_records(yn, vrun):
    """Entry and exit records for ledger vehicles; their vehicleId must name a ledger vehicle (§6.13)."""
    _need_registration(yn)
    d = yn.data
    results, sent = [], []
    for seq, (vseq, kind) in enumerate([(11, "0"), (11, "1"), (12, "0"), (12, "1")], start=11):
        params = d.access_record(d.vehicle(vseq), seq, kind)
        res, exs = yn.act("vehicleAccess", params)
        results += yn.judge("vehicleAccess", res, exs, params, stage=STAGE)
        # What reached the platform, not what the harness asked for: the link is the SUT's to keep.
        sent += [e.request_plaintext for e in exs if e.interface == "vehicleAccess" and isinstance(e.request_plaintext, dict)]
    ledger = {u["record"].get("vehicleId") for u in yn.mock.state.uploads.get("vehicleInfo", [])}
    results.append(yn.record("yunnan.flow.ledger_link", C.ledger_link(sent, ledger), interface="vehicleAccess",
                             stage=STAGE))
    require(vrun, results)


@pytest.mark.parametrize("pull", ["basStrategy", "alarmVehicle", "exceedVehicle"])
def test_pull_pages_and_confirm(yn, vrun, pull):
    """250 records over three pages, each received once; the software then confirms, by itself, every received id
    once, after receiving it, at most 100 a call (§6.6–§6.10). The harness triggers no confirm action here."""
    _need_registration(yn)
    results, exs = pull_and_judge(yn, pull, FLOW_RECORDS, offset=1000, stage=STAGE)
    results += judge_own_confirms(yn, pull, exs, stage=STAGE)
    require(vrun, results)


def test_token_expiry_mid_flow(yn, vrun):
    """The token expires (7200 s pass on the platform's clock): the next upload must renew and retry, nothing lost."""
    _need_registration(yn)
    yn.mock.state.clock.advance(TOKEN_TTL + 1)
    params = yn.data.access_record(yn.data.vehicle(13), 21, "0")
    res, exs = yn.act("vehicleAccess", params)
    results = yn.judge("vehicleAccess", res, exs, params, stage=STAGE)
    results.append(yn.record("yunnan.token.renewal", C.token_renewal(res, exs, "vehicleAccess", "recordId", params["recordId"]),
                             interface="getToken", stage=STAGE, evidence=[res.evidence()] + [e.evidence() for e in exs]))
    require(vrun, results)


@pytest.mark.parametrize("fault", ["http_5xx", "drop"])
def test_transient_fault(yn, vrun, fault):
    """The platform answers 503 or drops the connection once: the SUT must not claim success for a record the
    platform did not take; triggered again (as a vendor's retry queue would), it arrives exactly once."""
    _need_registration(yn)
    params = yn.data.access_record(yn.data.vehicle(13), 31 if fault == "drop" else 32, "1")
    yn.mock.faults.arm(fault, interface="vehicleAccess", value=503)
    first, exs = yn.act("vehicleAccess", params)
    if not first.ok:
        _again, more = yn.act("vehicleAccess", params)
        exs = exs + more
    results = [yn.record("yunnan.flow.fault_honest",
                         C.fault_honest(first, exs, "vehicleAccess", "recordId", params["recordId"]),
                         interface="vehicleAccess", stage=STAGE, evidence=[first.evidence()] + [e.evidence() for e in exs])]
    require(vrun, results)


def test_heartbeat_cadence(yn, vrun):
    """Heartbeats at the advised 15 min keep the enterprise online (§6.5); the platform's clock is advanced."""
    _need_registration(yn)
    states, results = [], []
    for i in range(3):
        if i:
            yn.mock.state.clock.advance(15 * 60)
        params = yn.data.heartbeat()
        res, exs = yn.act("heartBeat", params)
        results += yn.judge("heartBeat", res, exs, params, stage=STAGE)
        states.append((f"heartbeat {i + 1} at +{15 * i} min", yn.mock.state.heartbeat_state(yn.enterprise_id)))
    results.append(yn.record("yunnan.heartbeat.state", C.heartbeat_state(states), interface="heartBeat", stage=STAGE,
                             evidence=[{"kind": "note", "states": states}]))
    require(vrun, results)

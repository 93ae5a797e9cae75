"""Replay of one recorded Yunnan client-role stimulus (`vconform replay`, harness/replay.py).

What a fresh run needs to re-send one action is rebuilt, never read back from the redacted report:
- the credentials (enterpriseId, enterpriseName) and the params the harness gave are regenerated from the run's
  seed with the data generator and matched, leaf by leaf, against the recorded context (values the report masked,
  such as a camera's password, are left out of the match and come back from the generator);
- registration, apiKey/apiSecret and the token are the fresh mock's and the adapter's own: before any action but
  `init-auth` the adapter registers once (`init-auth`, shown as setup);
- the platform condition of the row is set again: the token expired for `yunnan.token.renewal`, the armed fault
  (503 or dropped connection) for `yunnan.flow.fault_honest`, the records a pull or a confirm refers to.
The `fuzz` stage's stimuli are not replayed: its feeds come from a Hypothesis search over the whole stage."""
from __future__ import annotations

from typing import Any, Iterator

from harness.jsonvalue import json_equal
from harness.replay import ReplayError, ReplayOutcome, Stimulus
from harness.report.redact import MASK
from harness.run import RunContext
from suites.yunnan import checks as C

TOKEN_TTL = 7200
# Where each stage seeds a pull's records (suites/yunnan/plans.py PULL_RECORDS; test_stage2_flow.py FLOW_RECORDS).
PULL_PLAN = {"interface": (0, 130), "flow": (1000, 250)}


def replay(vrun: RunContext, stim: Stimulus, cmd: str | list[str]) -> ReplayOutcome:
    from suites.yunnan.session import YunnanSession

    if stim.stage == "fuzz":
        raise ReplayError("stage fuzz: the feed the adapter was served came from a Hypothesis search over the whole "
                          "stage, which one call cannot rebuild; rerun the report's reproduce line (same --seed)")
    yn = YunnanSession(vrun, cmd)
    try:
        return _replay(yn, vrun, stim)
    finally:
        yn.close()


def _replay(yn, vrun: RunContext, stim: Stimulus) -> ReplayOutcome:
    from suites.yunnan.plans import CONFIRMS, PULLS, judge_own_confirms, pull_and_judge

    notes: list[str] = []
    recorded = stim.context.get("credentials") or {}
    differ = [k for k, v in recorded.items() if _unmasked(v) and not json_equal(yn.credentials.get(k), v)]
    if differ:
        raise ReplayError(f"the credentials regenerated from seed {vrun.config.seed} differ from the recorded ones "
                          f"({', '.join(differ)}): this report was not written by this data generator")
    action, stage = stim.action, stim.stage or "interface"
    params = _restore_params(yn, action, stim.context.get("params"), notes)
    before = len(vrun.results)

    def setup_done() -> list:
        return vrun.results[before:]

    if action == "init-auth" and stim.check_id != "yunnan.register.once" and stage != "flow":
        res, exs = yn.act("init-auth", params or yn.credentials)
        results = yn.judge("init-auth", res, exs, yn.credentials, stage=stage, intact=False)
        reg = [e for e in exs if e.interface == "init-auth"]
        if reg and isinstance(reg[-1].request_plaintext, dict):
            results.append(yn.record("yunnan.register.public_key", C.register_public_key(reg[-1].request_plaintext),
                                     interface="init-auth", stage=stage, evidence=[reg[-1].evidence()]))
        return ReplayOutcome(res, results, notes=notes)
    if not yn.ensure_registered(stage):
        setup = setup_done()
        return ReplayOutcome(yn.last_result, setup, notes=notes + ["init-auth (setup) did not register: the action "
                                                                    "itself was not sent"])
    setup = setup_done()
    mark = len(vrun.results)
    if action == "init-auth":  # the flow's second trigger: no second /init-auth call (§6.1)
        res, _exs = yn.act("init-auth", yn.credentials)
        yn.completed(res, interface="init-auth", stage=stage)
        yn.record("yunnan.register.once", C.register_once(yn.journal.of("init-auth")), interface="init-auth",
                  stage=stage)
    elif action in PULLS:
        offset, n = PULL_PLAN.get(stage, PULL_PLAN["interface"])
        _results, exs = pull_and_judge(yn, action, n, offset=offset, stage=stage)
        if stage == "flow":
            judge_own_confirms(yn, action, exs, stage=stage)
        sent = yn.last_result.context.get("params") if yn.last_result else None
        if isinstance(params, dict) and not json_equal(sent, params):
            notes.append(f"the pull query rebuilt from the seed ({sent}) differs from the recorded one ({params})")
        res = yn.last_result
    elif action in CONFIRMS:
        feed, maker, id_field, param = CONFIRMS[action]
        records = [getattr(yn.data, maker)(500 + i) for i in range(3)]
        yn.mock.state.seed(feed, records, yn.enterprise_id)
        ids = str((params or {}).get(param, "")).split(",")
        if sorted(ids) != sorted(r[id_field] for r in records):
            notes.append(f"the {param}s recorded are not the ones the seed issues; sent as recorded")
        res, exs = yn.act(action, params)
        yn.judge(action, res, exs, params, stage=stage)
        yn.record("yunnan.confirm.applied", C.confirm_applied(yn.mock.state.confirmed[feed], ids), interface=action,
                  stage=stage, evidence=[res.evidence()])
    elif action == "getToken":
        res, exs = yn.act("getToken", {})
        yn.judge("getToken", res, exs, None, stage=stage, intact=False)
    else:
        res = _upload(yn, stim, action, params, stage, notes)
    return ReplayOutcome(res, vrun.results[mark:], setup=setup, notes=notes)


def _upload(yn, stim: Stimulus, action: str, params: Any, stage: str, notes: list[str]):
    if stim.check_id == "yunnan.token.renewal":
        got, _ = yn.act("getToken", {})  # a token the adapter holds, then let it expire on the platform's clock
        yn.completed(got, interface="getToken", stage=stage)
        yn.mock.state.clock.advance(TOKEN_TTL + 1)
        notes.append(f"token obtained, then the platform's clock advanced {TOKEN_TTL + 1} s (expired)")
    if stim.check_id == "yunnan.flow.fault_honest":
        fault = "drop" if any("drop" in str(e.get("outcome", "")) or "drop" in (e.get("notes") or {}).get("faults", [])
                              for e in stim.evidence if isinstance(e, dict)) else "http_5xx"
        yn.mock.faults.arm(fault, interface=action, value=503)
        notes.append(f"platform fault armed once on {action}: {fault}")
        first, exs = yn.act(action, params)
        if not first.ok:
            _again, more = yn.act(action, params)
            exs = exs + more
        yn.record("yunnan.flow.fault_honest", C.fault_honest(first, exs, action, "recordId", params["recordId"]),
                  interface=action, stage=stage, evidence=[first.evidence()])
        return first
    res, exs = yn.act(action, params)
    yn.judge(action, res, exs, params, stage=stage)
    if stim.check_id == "yunnan.token.renewal":
        yn.record("yunnan.token.renewal", C.token_renewal(res, exs, action, "recordId", params["recordId"]),
                  interface="getToken", stage=stage)
    return res


# ---- params: regenerated from the seed ----------------------------------------------------------------------


def _candidates(yn, action: str) -> Iterator[Any]:
    """What the Yunnan suites give each action (suites/yunnan/plans.py and the stages), from the run's seed."""
    d = yn.data
    if action == "init-auth":
        yield yn.credentials
    elif action == "enterprise":
        yield yn.enterprise
    elif action == "cameraInfo":
        yield from (d.camera(ent, seq) for ent in "AB" for seq in (1, 2, 3))
    elif action == "vehicleInfo":
        yield from (d.vehicle(seq) for seq in (1, 11, 12, 13))
    elif action == "nonMachinery":
        yield from (d.machinery(seq) for seq in (1, 11, 12))
    elif action == "heartBeat":
        yield d.heartbeat()
    elif action == "exceedVehicleConfirm":
        yield d.exceed_confirm()
    elif action == "vehicleAccess":
        plan = [(1, 1, "0"), (11, 11, "0"), (11, 12, "1"), (12, 13, "0"), (12, 14, "1"), (13, 21, "0"),
                (13, 31, "1"), (13, 32, "1")]
        yield from (d.access_record(d.vehicle(v), seq, kind) for v, seq, kind in plan)


def _restore_params(yn, action: str, recorded: Any, notes: list[str]) -> Any:
    masked = _masked_paths(recorded)
    for cand in _candidates(yn, action):
        if _matches(cand, recorded):
            if masked:
                notes.append(f"params regenerated from the seed (the report masked {', '.join(masked)})")
            return cand
    if masked:
        raise ReplayError(f"the report masked {', '.join(masked)} in the {action} params and no record the seed "
                          f"generates matches the rest; replay would send other data than the run did")
    return recorded


def _unmasked(v: Any) -> bool:
    return not (isinstance(v, str) and MASK in v)


def _masked_paths(obj: Any, path: str = "") -> list[str]:
    if isinstance(obj, dict):
        return [p for k, v in obj.items() for p in _masked_paths(v, f"{path}.{k}" if path else str(k))]
    if isinstance(obj, list):
        return [p for i, v in enumerate(obj) for p in _masked_paths(v, f"{path}[{i}]")]
    return [] if _unmasked(obj) else [path]


def _matches(cand: Any, rec: Any) -> bool:
    """Equal as JSON values, except where the report masked the recorded value."""
    if not _unmasked(rec):
        return True
    if isinstance(cand, dict) and isinstance(rec, dict):
        return cand.keys() == rec.keys() and all(_matches(cand[k], rec[k]) for k in cand)
    if isinstance(cand, list) and isinstance(rec, list):
        return len(cand) == len(rec) and all(_matches(a, b) for a, b in zip(cand, rec))
    return json_equal(cand, rec)

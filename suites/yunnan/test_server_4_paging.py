"""Server role, stage `flow`: paging under both readings of E-YN-11, confirms, heartbeat state (§6.5–§6.10)."""
from __future__ import annotations

import pytest
from hypothesis import strategies as st

from harness import specdata
from harness.checks import Problem, fail, warn
from harness.explore import explore, run_seed
from harness.pytest_plugin import require
from suites.yunnan import server_checks as C
from suites.yunnan.server_session import PULLS as PULL_SPECS

pytestmark = [pytest.mark.role("server"), pytest.mark.stage("flow")]
STAGE = "flow"
SIZES = (0, 100, 101, 200)  # empty, exactly one page, one over, exactly two pages (yunnan §6.6: 100 a call)
READINGS = ("repeat", "advance")
PULLS = {f["pull"]: (feed, f["record_id"], f["confirm"]) for feed, f in specdata.feeds("yunnan").items()}
CONFIRMS = {f["confirm"]: f["pull"] for f in specdata.feeds("yunnan").values() if f["confirm"]}


def _ready(yns):
    if not yns.ready:
        pytest.fail("registration or token failed; see init-auth and getToken")


def _query(yns, interface: str, since: str) -> dict:
    q = {PULL_SPECS[interface]["timestamp_field"]: since}
    return q if interface == "exceedVehicle" else {**q, "enterpriseId": yns.main.eid}


def _tag(problems: list[Problem], label: str) -> list[Problem]:
    return [Problem(f"{label}: {p.message}", p.level, p.errata) for p in problems]


def _readings_verdict(by_reading: dict[str, list[Problem]], strict: bool) -> list[Problem]:
    """Both readings must page right; a platform serving only one of them follows E-YN-11's alternative: a warning."""
    failing = [r for r, ps in by_reading.items() if any(p.level == "fail" for p in ps)]
    if len(failing) == 1 and not strict:
        ok = next(r for r in by_reading if r not in failing)
        return [warn(f"only the {ok} reading pages right; {p.message}", "E-YN-11") for p in by_reading[failing[0]]]
    return [p for ps in by_reading.values() for p in ps]


@pytest.mark.parametrize("interface", [pytest.param(i, marks=pytest.mark.interface(i), id=i) for i in PULLS])
def test_paging(yns, vrun, interface):
    """Seeded feeds of 0, 100, 101 and 200 records: each served once, isNew right, confirmed ids never again."""
    _ready(yns)
    if not yns.hook:
        return _paging_without_hook(yns, vrun, interface)
    feed, id_field, confirm = PULLS[interface]
    complete = {r: [] for r in READINGS}
    isnew: list[Problem] = []
    evidence: list = []
    confirms, served_again = [], []
    for n in SIZES:
        start = yns.window()
        recs = yns.feed_records(feed, n, start)
        yns.seed_feed(yns.main, feed, recs)
        query = _query(yns, interface, yns.since(start))
        for reading in READINGS:
            pull = yns.pull(yns.main, interface, query, reading)
            label = f"{n} records, {reading} reading"
            found = C.pull_complete(pull, recs, id_field, extras_ok=yns.foreign)
            complete[reading] += _tag(found, label)
            bad_pages = C.pull_isnew(pull, n)
            isnew += _tag(bad_pages, label)
            if (found or bad_pages) and len(evidence) < 4:
                evidence += pull.pages[:3]
        if confirm and n:
            ids = [r[id_field] for r in recs]
            for i in range(0, n, 100):
                body = {id_field: ",".join(ids[i:i + 100])}
                body.update({"enterpriseId": yns.main.eid} if confirm == "strategyConfirm" else {})
                confirms.append(yns.send(yns.main, confirm, body, note=f"{len(ids[i:i + 100])} of {n} ids"))
            for reading in READINGS:  # neither reading may bring a confirmed id back
                after = yns.pull(yns.main, interface, query, reading)
                served_again += [f"{r.get(id_field)} ({reading})" for r in after.records
                                 if isinstance(r, dict) and r.get(id_field) in ids]
    results = [yns.record("yunnan.server.pull.complete", _readings_verdict(complete, vrun.profile.get("strict")),
                          interface=interface, stage=STAGE, evidence=evidence[:4],
                          pass_message=f"feeds of {', '.join(map(str, SIZES))} records served exactly once "
                                       f"under both readings"),
               yns.record("yunnan.server.pull.isnew", isnew, interface=interface, stage=STAGE, evidence=evidence[:4])]
    if confirm:
        results.append(yns.record("yunnan.server.confirm.applied", C.confirm_applied(confirms, served_again),
                                  interface=confirm, stage=STAGE, evidence=confirms[:2]))
    require(vrun, results)


def _paging_without_hook(yns, vrun, interface: str):
    """No seeding possible: page whatever the platform holds (pre-loaded exceed records) and check consistency."""
    _feed, id_field, confirm = PULLS[interface]
    query = _query(yns, interface, "2000-01-01")
    pulls = {r: yns.pull(yns.main, interface, query, r) for r in READINGS}
    if not any(p.records for p in pulls.values()):
        reason = (f"no exceedVehicle records pending from 2000-01-01: pre-load at least 201 for the paging checks "
                  f"(docs/yunnan-server-role.md)" if interface == "exceedVehicle" else
                  yns.no_hook_reason(f"paging {interface}, a feed of the run's own enterprise,"))
        for cid in ("yunnan.server.pull.complete", "yunnan.server.pull.isnew"):
            yns.skip(cid, reason, interface=interface, stage=STAGE)
    else:
        sets = {r: {str(x.get(id_field)) for x in p.records if isinstance(x, dict)} for r, p in pulls.items()}
        differ = [] if sets["repeat"] == sets["advance"] else [fail(
            f"the readings received different records: {len(sets['repeat'] ^ sets['advance'])} ids in one only")]
        complete = {r: _tag(C.pull_complete(p, None, id_field), r) for r, p in pulls.items()}
        ev = [pg for p in pulls.values() for pg in p.pages[:2]]
        yns.record("yunnan.server.pull.complete", _readings_verdict(complete, vrun.profile.get("strict")) + differ,
                   interface=interface, stage=STAGE, evidence=ev)
        yns.record("yunnan.server.pull.isnew", [q for r, p in pulls.items() for q in _tag(C.pull_isnew(p), r)],
                   interface=interface, stage=STAGE, evidence=ev)
    if confirm:
        yns.skip("yunnan.server.confirm.applied", yns.no_hook_reason("confirming served ids"), interface=confirm,
                 stage=STAGE)
    require(vrun, [r for r in vrun.results if r.interface == interface and r.stage == STAGE])


@pytest.mark.parametrize("interface", [pytest.param(i, marks=pytest.mark.interface(i), id=i) for i in CONFIRMS])
def test_valid_confirms_accepted(yns, vrun, interface):
    """Generated id lists (any subset of served ids, with or without the §6.10 example's blanks) are accepted."""
    _ready(yns)
    if not yns.hook:
        return yns.skip("yunnan.server.accept", yns.no_hook_reason(f"confirming served ids ({interface})"),
                        interface=interface, stage=STAGE)
    pull_iface = CONFIRMS[interface]
    feed, id_field, _ = PULLS[pull_iface]
    first: list = []

    def one(picks: tuple[str, list[int]]) -> None:
        sep, chosen = picks
        start = yns.window()
        recs = yns.feed_records(feed, 5, start)
        yns.seed_feed(yns.main, feed, recs)
        yns.pull(yns.main, pull_iface, _query(yns, pull_iface, yns.since(start)))
        body = {id_field: sep.join(recs[i][id_field] for i in chosen)}
        body.update({"enterpriseId": yns.main.eid} if interface == "strategyConfirm" else {})
        reply = yns.send(yns.main, interface, body, note="generated valid id list")
        if not first:
            first.append(reply)
        if not reply.accepted:
            raise C.Violation("yunnan.server.accept", f"valid {interface} refused: {reply.describe()}", [reply])

    picks = st.tuples(st.sampled_from([",", ", "]), st.lists(st.integers(0, 4), min_size=1, max_size=5, unique=True))
    outcome = explore(one, picks, seed=run_seed(yns.seed, f"accept:{interface}"), max_examples=5)
    require(vrun, [yns.record_outcome("yunnan.server.accept", outcome, interface=interface, stage=STAGE, first=first,
                                      passed=f"{outcome.examples} generated valid id lists accepted")])


@pytest.mark.interface("heartBeat")
def test_heartbeat_state(yns, vrun):
    """§6.5: online after a heartbeat, warning after 30 min without one, offline after 1 h (the clock is moved)."""
    _ready(yns)
    if not yns.hook:
        return yns.skip("yunnan.server.heartbeat.state", yns.no_hook_reason("reading the heartbeat state"),
                        interface="heartBeat", stage=STAGE)
    eid, plan, states, replies = yns.main.eid, [(0, "online"), (31 * 60, "warning"), (30 * 60, "offline")], [], []
    replies.append(yns.send(yns.main, "heartBeat", {"enterpriseId": eid}, note="heartbeat"))
    elapsed = 0
    for step, want in plan:
        yns.advance(step)
        elapsed += step
        got = ((yns.state() or {}).get("enterprises", {}).get(eid) or {}).get("heartbeat")
        if got is None:
            return yns.skip("yunnan.server.heartbeat.state", "the admin hook's state does not report heartbeat "
                            "states (enterprises.<id>.heartbeat)", interface="heartBeat", stage=STAGE)
        states.append((f"{elapsed // 60} min after the heartbeat", got, want))
    replies.append(yns.send(yns.main, "heartBeat", {"enterpriseId": eid}, note="heartbeat after going offline"))
    states.append(("right after a new heartbeat", ((yns.state() or {}).get("enterprises", {}).get(eid) or {})
                   .get("heartbeat"), "online"))
    probs = C.heartbeat_states(states) + [fail(f"heartbeat refused: {r.describe()}") for r in replies if not r.accepted]
    require(vrun, [yns.record("yunnan.server.heartbeat.state", probs, interface="heartBeat", stage=STAGE,
                              evidence=replies + [{"kind": "note", "text": "heartbeat states", "states": states}])])

"""What each Yunnan action is given and how a pull is judged: shared by the interface and flow stages."""
from __future__ import annotations

import datetime as dt

from harness import specdata
from mocks.yunnan.state import parse_time
from suites.yunnan import checks as C

# From the interface table; a feed's records are made by the data generator's `<feed>_record`.
UPLOADS = specdata.interfaces_of_kind("yunnan", "upload", "heartbeat")
_FEEDS = specdata.feeds("yunnan")
PULLS = {f["pull"]: (feed, f"{feed}_record", f["record_id"], f["timestamp_field"], f["owner_field"])
         for feed, f in _FEEDS.items()}
CONFIRMS = {f["confirm"]: (feed, f"{feed}_record", f["record_id"],
                           specdata.endpoints("yunnan")["interfaces"][f["confirm"]]["ids_field"])
            for feed, f in _FEEDS.items() if f["confirm"]}
PULL_RECORDS = 130  # more than one page of 100 (yunnan §6.6), so paging is exercised in this stage too


def upload_params(yn, interface: str) -> dict:
    d = yn.data
    if interface == "enterprise":
        return yn.enterprise
    if interface == "cameraInfo":
        return d.camera("A", 1)
    if interface == "heartBeat":
        return d.heartbeat()
    if interface == "vehicleInfo":
        return d.vehicle(1)
    if interface == "nonMachinery":
        return d.machinery(1)
    if interface == "vehicleAccess":
        return d.access_record(d.vehicle(1), 1, "0")
    if interface == "exceedVehicleConfirm":
        return d.exceed_confirm()
    raise KeyError(interface)


def pull_and_judge(yn, interface: str, n: int, *, offset: int, stage: str):
    """Seed n records, trigger the SUT's pull, check it received each served record exactly once; returns (results,
    the exchanges the action caused)."""
    feed, maker, id_field, ts_field, owner_field = PULLS[interface]
    records = [getattr(yn.data, maker)(offset + i) for i in range(n)]
    yn.mock.state.seed(feed, records, yn.enterprise_id if owner_field else None)
    query = {ts_field: earliest_date(yn, feed, records)}
    if owner_field:
        query[owner_field] = yn.enterprise_id
    expected = yn.mock.state.pending(yn.enterprise_id, feed, parse_time(query[ts_field]))
    res, exs = yn.act(interface, query, expect_output=True)
    results = yn.judge(interface, res, exs, query, stage=stage)
    pages = [e for e in exs if e.interface == interface and e.outcome == "ok"]
    served = [r for e in pages for r in (e.response_plaintext or {}).get("records", [])]
    ev = [res.evidence()] + [e.evidence() for e in pages[:3]]
    problem = res.output_error if res.ok else f"adapter exit {res.exit_code}"
    results.append(yn.record("yunnan.pull.complete", C.pull_complete(res.output, problem, expected, served, id_field),
                             interface=interface, stage=stage, evidence=ev))
    results.append(yn.record("yunnan.pull.paging", C.pull_paging(exs, interface), interface=interface, stage=stage, evidence=ev))
    return results, exs


def confirm_of(yn, pull: str) -> str | None:
    """The notification interface that confirms what `pull` served (same feed in the endpoint map), if any."""
    interfaces = yn.mock.ep["interfaces"]
    feed = interfaces[pull]["feed"]
    return next((name for name, spec in interfaces.items() if spec["kind"] == "confirm" and spec["feed"] == feed), None)


def judge_own_confirms(yn, pull: str, exs: list, *, stage: str) -> list:
    """The software's own confirm policy during one pull action, judged on the wire (yunnan §6.8, §6.10)."""
    confirm = confirm_of(yn, pull)
    if confirm is None:
        return []
    ep = yn.mock.ep
    id_field, ids_field = ep["interfaces"][pull]["record_id"], ep["interfaces"][confirm]["ids_field"]
    stated = ep["interfaces"][confirm].get("max_ids")
    calls = [e for e in exs if e.interface == confirm]
    ev = [e.evidence() for e in calls[:4]] or [e.evidence() for e in exs if e.interface == pull][:1]
    seqs = {e.seq for e in exs}
    found = {
        "yunnan.confirm.all_received": C.confirm_all_received(exs, pull, id_field, confirm, ids_field),
        "yunnan.confirm.once": C.confirm_once(exs, confirm, ids_field),
        "yunnan.confirm.batch_size": C.confirm_batch_size(exs, confirm, ids_field, int(stated or _stated_confirm_limit(ep)),
                                                          bool(stated), bool(yn.vrun.profile.get("strict"))),
        "yunnan.confirm.after_receipt": C.confirm_after_receipt(yn.journal.of(pull, confirm), seqs, pull, id_field, confirm, ids_field),
    }
    out = [yn.record(cid, probs, interface=confirm, stage=stage, evidence=ev) for cid, probs in found.items()]
    sent = [e for e in calls if isinstance(e.request_plaintext, dict)]
    if sent:  # the software's own notification against the §6.8/§6.10 field table
        out += yn.judge_payload(confirm, sent[-1].request_plaintext, stage, [sent[-1].evidence()], None)
    return out


def _stated_confirm_limit(ep) -> int:
    """The one id limit the spec states for a confirm (§6.10: 100), applied as advice where it states none (E-YN-20)."""
    return max(int(i.get("max_ids", 0)) for i in ep["interfaces"].values() if i.get("kind") == "confirm")


def earliest_date(yn, feed: str, records: list[dict]) -> str:
    spec = yn.mock.state._pull_spec(feed)
    first = min(parse_time(r[spec["record_time"]]) for r in records)
    return (first - dt.timedelta(days=1)).strftime("%Y-%m-%d")

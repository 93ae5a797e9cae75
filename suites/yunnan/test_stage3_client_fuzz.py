"""Client role, stage `fuzz`: the mock serves Hypothesis-generated edge feeds; the SUT must print exactly what it got."""
from __future__ import annotations

import itertools
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from hypothesis import strategies as st

from harness.adapter import ADAPTER_COMPLETED, completion_problems
from harness.explore import explore, run_seed
from harness.pytest_plugin import require
from mocks.yunnan.state import parse_time
from suites.yunnan import checks as C
from suites.yunnan import strategies as S
from suites.yunnan.plans import PULLS

pytestmark = [pytest.mark.role("client"), pytest.mark.stage("fuzz")]
STAGE = "fuzz"
EXAMPLES = 3  # each example is one adapter run: the whole stage stays a few seconds on the reference client
FIRST_COUNT = {"exceedVehicle": S.PAGE, "basStrategy": 2 * S.PAGE, "alarmVehicle": 350}  # the first example's size
_windows = itertools.count()


def window() -> datetime:
    """Disjoint windows starting just before a year end or a leap day, later than anything the other stages seeded."""
    k = next(_windows)
    year = 2027 + 4 * (k // 2)
    return datetime(year, 12, 31, 23, 59, 58) if k % 2 == 0 else datetime(year + 1, 2, 28, 23, 59, 58)


def exotic_plates() -> st.SearchStrategy[str]:
    """Plates a real feed may carry: the well-formed ones, and any Unicode text (other plates, typos, astral CJK)."""
    odd = st.text(st.characters(codec="utf-8", categories=("Lu", "Ll", "Lo", "Nd", "So", "Pd")), min_size=1, max_size=10)
    return S.plates() | odd


def _served_template(interface: str) -> st.SearchStrategy[dict]:
    if interface == "exceedVehicle":
        return st.fixed_dictionaries({
            "licensePlate": exotic_plates(), "plateColor": st.sampled_from(S.PLATE_COLOURS), "vin": S.vins(),
            "fuelType": st.sampled_from("ABCE"), "emissionStandard": st.sampled_from("0123456"),
            "exceedlistReason": st.sampled_from("1234567"), "isRemove": st.sampled_from("01")})
    if interface == "basStrategy":
        return st.fixed_dictionaries({
            "pollutionLevel": st.sampled_from("123"), "strategyLevel": st.sampled_from("123"),
            "controlMeasures": S.words(1, 40)}, optional={"strategyName": S.words(1, 12)})
    return st.fixed_dictionaries({
        "recordId": st.text(st.sampled_from(string.digits + "ABC"), min_size=20, max_size=46),
        "licensePlate": exotic_plates(), "plateColor": st.sampled_from(S.PLATE_COLOURS), "vin": S.vins(),
        "alarmType": st.sampled_from("123"), "alarmStatus": st.sampled_from("01")},
        optional={"alarmReason": S.words(1, 20)})


def _stamp(t: datetime, interface: str) -> dict:
    if interface == "exceedVehicle":
        return {"sendTime": t.strftime("%Y%m%d")}
    if interface == "basStrategy":
        return {"startdate": f"{t:%Y-%m-%d %H:%M:%S}", "enddate": f"{t + timedelta(days=1):%Y-%m-%d %H:%M:%S}"}
    return {"inTime": f"{t - timedelta(hours=2):%Y-%m-%d %H:%M:%S}", "outTime": f"{t - timedelta(hours=1):%Y-%m-%d %H:%M:%S}",
            "alarmTime": f"{t:%Y-%m-%d %H:%M:%S}"}


ID_FIELD = {"exceedVehicle": "recordId", "basStrategy": "strategyId", "alarmVehicle": "alarmId"}
PAGE_COUNTS = (S.PAGE, 2 * S.PAGE, 1, S.PAGE - 1, S.PAGE + 1, 350)  # full pages first: Hypothesis starts from the first


@dataclass(frozen=True)
class Feed:
    """The shape of what a pull serves, drawn once and laid out in any time window (see `records`)."""

    interface: str
    count: int
    templates: tuple
    offsets: tuple

    def records(self, start: datetime, tag: str) -> list[dict]:
        """count records with unique ids `tag`NNNN, their times `start` + an offset (+ i s to keep them apart)."""
        out = []
        for i in range(self.count):
            t = start + timedelta(seconds=self.offsets[i % len(self.offsets)] + i)
            rec = {ID_FIELD[self.interface]: f"{tag}{i:04d}", **self.templates[i % len(self.templates)],
                   **_stamp(t, self.interface)}
            if self.interface == "exceedVehicle" and rec["isRemove"] == "1":
                rec["removeTime"] = (t + timedelta(days=1)).strftime("%Y%m%d")
            out.append(rec)
        return out


def feeds(interface: str, counts: tuple[int, ...] = PAGE_COUNTS) -> st.SearchStrategy[Feed]:
    """Page-boundary counts, Unicode plates, boundary times, many pages; a few templates repeated make a big feed cheap."""
    offsets = st.sampled_from([0, 1, 86399, 86400, 31 * 86400 - 1]) | st.integers(0, 40 * 86400)
    return st.builds(Feed, st.just(interface), st.sampled_from(counts),
                     st.lists(_served_template(interface), min_size=1, max_size=4).map(tuple),
                     st.lists(offsets, min_size=1, max_size=4).map(tuple))



class Failed(AssertionError):
    """An example whose pull the SUT got wrong; its checks are kept for the report."""


@pytest.mark.parametrize("interface", [pytest.param(i, marks=pytest.mark.interface(i), id=i) for i in PULLS])
def test_pull_edge_feeds(yn, vrun, interface):
    if not yn.ensure_registered(STAGE):
        pytest.fail("registration failed; see init-auth")
    feed_name, _maker, id_field, ts_field, owner_field = PULLS[interface]
    problems: dict[str, list] = {ADAPTER_COMPLETED: [], "yunnan.pull.complete": [], "yunnan.pull.paging": []}
    evidence: dict[str, list] = {k: [] for k in problems}
    shapes: list[str] = []

    def one(feed: Feed) -> None:
        start = window()
        records = feed.records(start, f"FZ{start:%Y%m%d}")
        yn.mock.state.seed(feed_name, records, yn.enterprise_id if owner_field else None)
        query = {ts_field: (start - timedelta(days=1)).strftime("%Y-%m-%d")}
        if owner_field:
            query[owner_field] = yn.enterprise_id
        expected = yn.mock.state.pending(yn.enterprise_id, feed_name, parse_time(query[ts_field]))
        res, exs = yn.act(interface, query, expect_output=True)
        pages = [e for e in exs if e.interface == interface and e.outcome == "ok"]
        served = [r for e in pages for r in (e.response_plaintext or {}).get("records", [])]
        shape = f"{feed.count} records from {start:%Y-%m-%d %H:%M:%S} over {len(pages)} pages"
        shapes.append(shape)
        found = {ADAPTER_COMPLETED: completion_problems(res),
                 "yunnan.pull.complete": C.pull_complete(res.output, res.output_error if res.ok else
                                                         f"adapter exit {res.exit_code}", expected, served, id_field),
                 "yunnan.pull.paging": C.pull_paging(exs, interface)}
        bad = False
        for cid, probs in found.items():
            for p in probs:
                problems[cid].append(C.Problem(f"{shape}: {p.message}", p.level, p.errata))
            if any(p.level == "fail" for p in probs):
                bad = True
                evidence[cid] = [res.evidence(), *[e.evidence() for e in pages[:2]],
                                 {"kind": "note", "text": "generated feed", "feed": shape, "first_records": records[:3]}]
        if bad:
            raise Failed(f"{interface}: {shape}")

    outcome = explore(one, feeds(interface, (FIRST_COUNT[interface],) + PAGE_COUNTS),
                        seed=run_seed(vrun.config.seed, f"client-fuzz:{interface}"), max_examples=EXAMPLES,
                        shrink=False, failure_types=(Failed,))
    results = []
    for cid, probs in problems.items():
        if outcome.failure is not None and any(p.level == "fail" for p in probs):
            probs = probs + [C.fail(f"seed {vrun.config.seed}; replay: {vrun.reproduce_line()}"
                                    + (f"; {outcome.falsifying[:1500]}" if outcome.falsifying else ""))]
        results.append(yn.record(cid, probs, interface=interface, stage=STAGE, evidence=evidence[cid],
                                 pass_message=f"{outcome.examples} generated feeds: " + "; ".join(shapes)))
    require(vrun, results)

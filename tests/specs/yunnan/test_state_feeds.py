"""The indexed feeds of the Yunnan mock's state answer exactly as a whole-feed scan would (E-YN-11 exactly-once,
totalRecords, isNew, confirms), and uploads and the served log read back from the state's disk store."""
from __future__ import annotations

import random
import stat
import os
from datetime import datetime, timedelta

import pytest

from harness import specdata
from mocks.yunnan.state import PlatformState

EP = specdata.endpoints("yunnan")
SPEC = EP["interfaces"]["basStrategy"]
RID, RTIME = SPEC["record_id"], SPEC["record_time"]
T0 = datetime(2024, 3, 1)


class Scan:
    """The reference: every page and count by scanning the whole feed (the state's semantics, stated simply)."""

    def __init__(self, page: int):
        self.page, self.feed, self.confirmed, self.cursors = page, {}, set(), {}

    def seed(self, recs, owner):
        for r in recs:
            self.feed[r[RID]] = ((datetime.strptime(r[RTIME], "%Y-%m-%d %H:%M:%S"), r[RID]), owner, r)

    def pull(self, eid, since):
        cur = self.cursors.setdefault(eid, {"active": False, "served": set()})
        if not cur["active"]:
            cur["active"], cur["served"] = True, set()
        cands = sorted((k, r) for k, o, r in self.feed.values() if o in (None, eid) and k[0] >= since
                       and k[1] not in self.confirmed and k[1] not in cur["served"])
        page = cands[:self.page]
        cur["served"].update(k[1] for k, _ in page)
        more = len(cands) > len(page)
        cur["active"] = more
        return [r for _, r in page], len(cands), more

    def confirm(self, eid, ids):
        unknown = [i for i in ids if i not in self.feed or self.feed[i][1] not in (None, eid)]
        if not unknown:
            self.confirmed.update(ids)
        return unknown


def _rec(i: int, minute: int) -> dict:
    return {RID: f"S{i:05d}", RTIME: (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%d %H:%M:%S")}


@pytest.mark.parametrize("seed", range(12))
def test_indexed_feed_answers_as_a_full_scan(seed):
    rng = random.Random(seed)
    state = PlatformState(EP, key_bits=1024)
    page = int(EP["max_page"])
    ref = Scan(page)
    ents = [state.register(f"E{k}", f"n{k}", "") for k in range(3)]
    n = 0
    for _step in range(60):
        op = rng.random()
        ent = rng.choice(ents)
        if op < 0.25:  # seed a batch (times collide and go backwards; some platform-wide, some an id again)
            owner = rng.choice([None, ent.enterprise_id])
            recs = []
            for _ in range(rng.randint(1, 250)):
                i = rng.randint(0, n + 5) if rng.random() < 0.1 else n
                n += i == n
                recs.append(_rec(i, rng.randint(0, 300)))
            state.seed("strategy", recs, owner)
            ref.seed(recs, owner)
        elif op < 0.75:  # a page, from a fixed time or advanced to the last record's time (both readings)
            since = T0 + timedelta(minutes=rng.choice([0, 0, 50, 150, rng.randint(0, 320)]))
            got = state.pull(ent, "strategy", since)
            want = ref.pull(ent.enterprise_id, since)
            assert got == want
        else:  # confirm some served or unknown ids
            ids = [f"S{rng.randint(0, n + 3):05d}" for _ in range(rng.randint(0, 120))]
            assert state.confirm(ent, "strategy", ids) == ref.confirm(ent.enterprise_id, ids)
        assert state.confirmed["strategy"] == ref.confirmed
    for ent in ents:
        assert state.pending(ent.enterprise_id, "strategy", T0) == \
            [r for k, o, r in sorted(ref.feed.values(), key=lambda x: x[0])
             if o in (None, ent.enterprise_id) and k[1] not in ref.confirmed]


def test_a_paging_sequence_serves_every_record_once_and_a_confirm_costs_its_ids():
    state = PlatformState(EP, key_bits=1024)
    ent = state.register("E1", "n", "")
    state.seed("strategy", [_rec(i, i % 7) for i in range(1050)], ent.enterprise_id)
    seen, totals = [], []
    while True:
        recs, total, more = state.pull(ent, "strategy", T0)
        seen += [r[RID] for r in recs]
        totals.append(total)
        if not more:
            break
    assert len(seen) == len(set(seen)) == 1050 and totals[0] == 1050 and totals[-1] == 50
    assert state.confirm(ent, "strategy", seen[:10]) == []
    assert state.pull(ent, "strategy", T0)[1] == 1040  # a new sequence serves what is still unconfirmed
    assert state.confirm(state.register("E2", "m", ""), "strategy", seen[10:12]) == seen[10:12]  # not E2's


def test_uploads_and_served_log_live_on_disk_and_read_back(tmp_path):
    path = tmp_path / "state.sqlite"
    state = PlatformState(EP, key_bits=1024, store=path)
    ent = state.register("E1", "n", "")
    for i in range(1200):  # more than one write batch
        state.store_upload("vehicleInfo", {"vehicleId": f"V{i}", "enterpriseId": "E1", "note": "\udcff"})
    state.store_upload("cameraInfo", {"cameraId": 1})
    assert len(state.uploads["vehicleInfo"]) == 1200 and state.uploads["vehicleInfo"][0]["record"]["vehicleId"] == "V0"
    assert state.uploads["vehicleInfo"][-1]["record"] == {"vehicleId": "V1199", "enterpriseId": "E1", "note": "\udcff"}
    assert [u["record"]["vehicleId"] for u in state.uploads.get("vehicleInfo", [])][:3] == ["V0", "V1", "V2"]
    assert state.uploads.get("nonMachinery", []) == [] and "nonMachinery" not in state.uploads
    assert state.snapshot()["uploads"] == {"cameraInfo": 1, "vehicleInfo": 1200}
    state.seed("exceed", [{EP["interfaces"]["exceedVehicle"]["record_id"]: "X1",
                           EP["interfaces"]["exceedVehicle"]["record_time"]: "2024-03-01 00:00:00"}])
    state.pull(ent, "exceed", T0)
    assert list(state.served_log) == [("E1", "exceed", "X1")]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_uploads_do_not_stay_in_memory(tmp_path):
    """30,000 accepted uploads of ~1 KB kept as dicts cost > 40 MB; on disk the state grows by far less."""
    import gc

    from schemas.yunnan.datagen import YunnanData
    from tests.engine.test_journal_bounded import _rss_kb

    state = PlatformState(EP, key_bits=1024, store=tmp_path / "state.sqlite")
    base = YunnanData(3).vehicle(1)

    def upload(i: int) -> None:  # each record its own objects, as parsed from a request
        state.store_upload("vehicleInfo", {**{k: (f"{v}{i}" if isinstance(v, str) else v) for k, v in base.items()},
                                           "vehicleId": f"V{i:07d}", "pad": f"{i:08d}" + "x" * 600})

    for i in range(10_000):
        upload(i)
    gc.collect()
    before = _rss_kb()
    for i in range(10_000, 40_000):
        upload(i)
    gc.collect()
    grown_mb = (_rss_kb() - before) / 1024
    assert len(state.uploads["vehicleInfo"]) == 40_000
    assert state.uploads["vehicleInfo"][39_999]["record"]["vehicleId"] == "V0039999"
    assert grown_mb < 12, f"RSS grew {grown_mb:.1f} MB over 30,000 uploads"

"""Write-behind journal: exchanges recorded in one event-loop turn share one commit, and an HTTP mock's answer
leaves only after the commit of its exchange (journaled before answering, at one transaction per turn)."""
from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
import urllib.request

from harness.journal import Exchange, Journal
from harness.serve import BackgroundServer
from tests.engine.test_httpmock import ToyMock


def _on_disk(path: str) -> int:
    db = sqlite3.connect(path)  # another connection: sees committed rows only
    try:
        return db.execute("SELECT COUNT(*) FROM exchanges").fetchone()[0]
    finally:
        db.close()


class CountingJournal(Journal):
    commits = 0

    def _flush(self) -> None:
        if self.pending and not self._closed:
            self.commits += 1
        super()._flush()


def test_one_commit_per_loop_turn(tmp_path):
    j = CountingJournal(tmp_path / "j.sqlite")
    j.write_behind()

    async def turn() -> tuple[int, int]:
        for i in range(5):
            j.record(Exchange("toy", float(i)))
        before = _on_disk(j.path)  # nothing committed while the turn runs
        await j.settled()
        return before, _on_disk(j.path)

    assert asyncio.run(turn()) == (0, 5)
    assert j.commits == 1
    j.record(Exchange("toy", 9.0))  # off the loop: committed at once
    assert _on_disk(j.path) == 6 and j.commits == 2
    j.close()


def test_an_answer_leaves_after_its_exchange_is_committed(tmp_path):
    journal = tmp_path / "j.sqlite"
    mock = ToyMock(journal=Journal(journal))
    with BackgroundServer(mock.app) as srv:
        def one(i: int) -> int:
            req = urllib.request.Request(srv.url + "/toy/put", data=b'{"id": %d}' % i, method="POST")
            with urllib.request.urlopen(req, timeout=30) as resp:
                assert resp.status == 200
            return _on_disk(str(journal))  # read the moment the answer arrived

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            seen = list(pool.map(one, range(40)))
    # Each client saw at least its own exchange, and as many as had been answered before it, on disk.
    assert all(n >= 1 for n in seen) and max(seen) == 40
    assert [n >= i + 1 for i, n in enumerate(sorted(seen))] == [True] * 40
    mock.journal.close()


def test_bench_timing_counts_each_answers_wait_and_each_commit(tmp_path, monkeypatch):
    """The bench-only timing (VCONFORM_JOURNAL_WAITS, read by bench/plain_json.py BENCH_WAITS=1): one wait per answer
    released, one commit time (wall and own) per commit, written to the file; off without the variable."""
    import json

    from harness.journal import _Timing

    out = tmp_path / "waits.json"
    monkeypatch.setenv("VCONFORM_JOURNAL_WAITS", str(out))
    j = Journal(tmp_path / "j.sqlite")
    j.write_behind()

    async def turns() -> None:
        for n in (3, 2):
            done = []
            for i in range(n):
                j.record(Exchange("toy", float(i)))
                j.when_settled(done.append)
            await j.settled()
            assert done == [None] * n

    asyncio.run(turns())
    hist = json.loads(out.read_text())  # the first commit writes the file; the second is counted in memory
    assert sum(hist["waits"]) == 3 and sum(hist["commits"]) == 1 == sum(hist["own"])
    assert [sum(j._timing.hist[k]) for k in ("waits", "commits", "own")] == [5, 2, 2]
    j.close()
    assert [_Timing.bucket(s) for s in (0.0, 9e-6, 1e-5, 0.00999, 0.01, 0.5, 5.0)] == [0, 0, 1, 999, 1000, 1490, 1999]
    assert _Timing.seconds(0) == 1e-5 and _Timing.seconds(1000) == 0.011
    monkeypatch.delenv("VCONFORM_JOURNAL_WAITS")
    j2 = Journal(tmp_path / "j2.sqlite")
    j2.write_behind()
    assert j2._timing is None
    j2.close()

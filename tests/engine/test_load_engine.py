"""The load engine without a spec and without Locust: tallies, the key cache, Locust's statistics, the CLI's
and that vconform's own process never imports Locust (its gevent monkey-patching stays in the workers)."""
from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from harness.checks import declare, fail, warn
from harness.load import keys, tally
from harness.load.engine import read_stats

ROOT = Path(__file__).resolve().parents[2]

declare("toy.load.judged", "toy §1", "major", "玩具", "toy check judged under load")


def test_sample_is_one_in_k():
    t = tally.Tally(4)
    assert [t.sample() for _ in range(8)] == [False, False, False, True] * 2
    with pytest.raises(ValueError):
        tally.Tally(0)


def test_tally_counts_keeps_few_messages_and_builds_evidence_only_when_kept():
    t = tally.Tally(1)
    built = []

    def evidence():
        built.append(1)
        return [{"kind": "note", "text": f"exchange {len(built)}"}]

    for _ in range(5):
        assert t.judge("toy.load.judged", "up", [], evidence)
    assert not built  # passing judgements cost no evidence
    for i in range(5):
        assert not t.judge("toy.load.judged", "up", [fail(f"refused #{i}")], evidence)
    assert len(built) == tally.KEEP
    entry = t.snapshot()["checks"]["toy.load.judged|up"]
    assert (entry["judged"], entry["fail"], len(entry["problems"])) == (10, 5, tally.KEEP)


def test_merge_adds_workers_and_results_fail_with_the_count():
    a, b = tally.Tally(1), tally.Tally(1)
    a.judge("toy.load.judged", "up", [])
    b.judge("toy.load.judged", "up", [fail("lost")])
    b.judge("toy.load.judged", "down", [warn("odd but allowed", "E-TOY-01")])
    a.count("acked.up", 3)
    b.count("acked.up", 2)
    merged = tally.merge([a.snapshot(), b.snapshot()])
    assert merged["counters"] == {"acked.up": 5}
    by = {r.interface: r for r in tally.results(merged, stage="pilot")}
    assert by["up"].verdict == "fail" and "1 of 2 answers" in by["up"].message and "lost" in by["up"].message
    assert by["down"].verdict == "warn" and by["down"].errata == ["E-TOY-01"]
    assert all(r.stage == "pilot" for r in by.values())


def test_key_cache_generates_once_private_files(tmp_path):
    told = []
    assert keys.ensure(3, bits=1024, folder=tmp_path, announce=lambda n, where: told.append((n, where))) == 3
    assert told == [(3, tmp_path)]  # said before the minutes thousands of keys take
    assert keys.ensure(3, bits=1024, folder=tmp_path, announce=lambda n, where: told.append((n, where))) == 0
    assert len(told) == 1  # cached: nothing to say
    files = sorted(tmp_path.glob("*.der"))
    assert [f.name for f in files] == ["00000.der", "00001.der", "00002.der"]
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    k0, k1 = keys.load(0, folder=tmp_path), keys.load(1, folder=tmp_path)
    assert k0.private_numbers() != k1.private_numbers()
    assert keys.load(0, folder=tmp_path).private_numbers() == k0.private_numbers()
    keys.load(5, bits=1024, folder=tmp_path)  # a worker on another machine fills its own cache on demand
    assert (tmp_path / "00005.der").is_file()


def test_locust_stats_are_read_per_interface(tmp_path):
    csv = tmp_path / "locust_stats.csv"
    csv.write_text(
        "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
        "Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,"
        "99.99%,100%\n"
        "POST,heartBeat,100,0,3,3.5,1,20,60,10.0,0.0,3,4,4,5,6,8,12,15,20,20,20\n"
        "POST,vehicleAccess,50,2,5,6.25,2,40,60,5.0,0.2,5,6,7,8,9,12,30,35,40,40,40\n"
        ",Aggregated,150,2,4,4.4,1,40,60,15.0,0.2,4,5,5,6,7,9,20,30,40,40,40\n"
        "POST,getToken,0,0,0,0,0,0,0,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A\n", encoding="utf-8")
    stats = read_stats(csv)
    rows = {r["name"]: r for r in stats["interfaces"]}
    assert rows["heartBeat"]["p50_ms"] == 3 and rows["heartBeat"]["p99_ms"] == 15
    assert rows["vehicleAccess"]["failures"] == 2 and rows["vehicleAccess"]["rps"] == 5.0
    assert rows["getToken"]["p99_ms"] == 0  # N/A: no sample
    assert stats["total"]["requests"] == 150
    assert read_stats(tmp_path / "absent.csv")["total"]["requests"] == 0


def test_vconform_never_imports_locust_itself():
    """Locust patches sockets and threads with gevent on import; vconform runs it in subprocesses only."""
    code = ("import sys, harness.cli, harness.load.engine, harness.load.cli; harness.cli.build_parser(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('locust', 'gevent')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"

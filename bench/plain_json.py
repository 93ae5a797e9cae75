"""Benchmark: a plain-JSON endpoint of the HTTP mock engine (Yunnan /init-auth; Henan and Gansu are all plain JSON)
against a bare aiohttp + uvloop + orjson + jsonschema-rs server (bench/reference_server.py) in the same run.

Both servers run pinned to one core; wrk (or bench/_common.py's replayer) loads them from the other core with 16
keep-alive connections, each request a distinct valid registration (so every one is a real registration answered
200, journaled). Rounds of the reference and the mock are interleaved; medians. Targets (issue 10): the mock
reaches >= 0.80 of the reference's requests/s and its p99 is <= 3 ms. The mock runs as `vconform mock yunnan`
does, journal on a file; a third server with the journal off (bench/mock_server.py) gives the journal's share.
`BENCH_BASE=DIR` adds the mock of the source tree in DIR (e.g. `git archive BASE | tar -x -C DIR`) to the same
interleaved rounds: before/after as a ratio measured in one run. `BENCH_WAITS=1` adds the same mock with its
journal's bench-only timing on (harness/journal.py `_Timing`) and prints each answer's wait for its commit and each
commit's time, wall and less the loop thread's wait for a CPU: the commit's own share of a latency tail.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import orjson  # noqa: E402

from bench._common import PY, Server, cores, interleaved, load, measured, plain_json_rows, stopping  # noqa: E402
from harness import crypto, specdata  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
SECONDS = float(os.environ.get("BENCH_SECONDS", 3))
CONNECTIONS = 16
BASE = os.environ.get("BENCH_BASE")  # a source tree whose mock is measured too, interleaved (before/after)
WAITS = os.environ.get("BENCH_WAITS") == "1"  # a fourth server: the mock noting each answer's wait for its commit
TARGET_RATIO, TARGET_P99_MS = 0.80, 3.0


def bodies(tag: str, n: int = 4000) -> list[bytes]:
    pub = crypto.public_b64(crypto.generate_rsa())
    return [orjson.dumps({"enterpriseId": f"{tag}{i:06d}", "enterpriseName": f"企业{i}", "publicKey": pub})
            for i in range(n)]


def commit_waits(hist: dict) -> str:
    """p50 / p99 / p99.9 of the histograms of harness/journal.py's bench-only timing (VCONFORM_JOURNAL_WAITS)."""
    from harness.journal import _Timing

    def pct(counts: list[int], p: float) -> float:
        total, seen = sum(counts), 0
        for i, c in enumerate(counts):
            seen += c
            if total and seen >= p * total:
                return _Timing.seconds(i) * 1000
        return float("nan")

    what = {"waits": "an answer's wait from its record to its commit's end",
            "commits": "a commit, wall", "own": "a commit less its thread's wait for a CPU"}
    return "; ".join(f"{label} p50 {pct(hist[k], .5):.2f} p99 {pct(hist[k], .99):.2f} p99.9 {pct(hist[k], .999):.2f} "
                     f"({sum(hist[k])})" for k, label in what.items())


def main() -> int:
    server_core, load_core = cores()
    path = specdata.endpoints("yunnan")["prefix"] + "/init-auth"
    workers = os.environ.get("BENCH_WORKERS")
    with tempfile.TemporaryDirectory(prefix="vconform-bench-") as tmp:
        with stopping({}) as servers:
            servers["reference"] = Server([PY, "bench/reference_server.py", "yunnan", "init-auth", path], server_core)
            servers["mock"] = Server([PY, "-m", "harness.cli", "mock", "yunnan", "--port", "0", "--journal",
                                      str(Path(tmp) / "journal.sqlite")], server_core)
            servers["mock, journal off"] = Server([PY, "bench/mock_server.py"], server_core)
            waits = Path(tmp) / "waits.json"
            if WAITS:  # the mock again, its journal timing itself (harness/journal.py _Timing; costs it a little CPU)
                servers["mock, commit waits noted"] = Server(
                    [PY, "-m", "harness.cli", "mock", "yunnan", "--port", "0", "--journal",
                     str(Path(tmp) / "timed.sqlite")], server_core, env={"VCONFORM_JOURNAL_WAITS": str(waits)})
            if BASE:  # the same mock from another source tree (e.g. `git archive` of a base commit), for before/after
                servers["mock (BENCH_BASE)"] = Server([PY, "-m", "harness.cli", "mock", "yunnan", "--port", "0",
                                                       "--journal", str(Path(tmp) / "base.sqlite")], server_core,
                                                      cwd=Path(BASE))
            counter = iter(range(10**6))

            def run(s: Server):
                # Fresh enterprise ids every round: each request registers a new enterprise.
                def one():
                    b = bodies(f"R{next(counter)}X")
                    return measured(s, lambda: load(s.url + path, b, connections=CONNECTIONS, seconds=SECONDS,
                                                    core=load_core))
                return one

            res = interleaved(ROUNDS, {name: run(s) for name, s in servers.items()})
            if WAITS:
                # The histograms are written on a commit at most once a second: one more request, a second after
                # the last round, writes them whole.
                time.sleep(1.1)
                urllib.request.urlopen(urllib.request.Request(servers["mock, commit waits noted"].url + path,
                                                              data=bodies("LAST", 1)[0], method="POST",
                                                              headers={"Content-Type": "application/json"})).read()
                hist = json.loads(waits.read_text())
    ok, eff, bad = plain_json_rows(res, "plain-JSON endpoint (yunnan init-auth)", rounds=ROUNDS,
                                   connections=CONNECTIONS, target_ratio=TARGET_RATIO, target_p99_ms=TARGET_P99_MS)
    print(f"  the journal's share of the mock's CPU per request: {100 * (1 - eff['mock'] / eff['mock, journal off']):.0f} % "
          f"(journal off, a bench-only server: {eff['mock, journal off'] / eff['reference']:.2f} of the reference)")
    if WAITS:
        print(f"  the journal's commits, noted in the mock itself (all rounds; ms): {commit_waits(hist)}")
    if BASE:
        print(f"  this tree's mock / BENCH_BASE's mock, req per CPU-s in the same rounds: "
              f"{eff['mock'] / eff['mock (BENCH_BASE)']:.3f} (BENCH_BASE's mock: "
              f"{eff['mock (BENCH_BASE)'] / eff['reference']:.3f} of the reference)")
    print("  (absolute figures are context only: the machine is shared; the ratios are of rounds interleaved in this "
          "run, and per CPU-second of each server, which the other work on the machine does not change)")
    return 0 if ok and not bad["mock"] else 1


if __name__ == "__main__":
    sys.exit(main())

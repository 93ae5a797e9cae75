"""Benchmark: a plain-JSON endpoint of the HTTP mock engine (Yunnan /init-auth; Henan and Gansu are all plain JSON)
against a bare aiohttp + uvloop + orjson + jsonschema-rs server (bench/reference_server.py) in the same run.

Both servers run pinned to one core; wrk (or bench/_common.py's replayer) loads them from the other core with 16
keep-alive connections, each request a distinct valid registration (so every one is a real registration answered
200, journaled). Rounds of the reference and the mock are interleaved; medians. Targets (issue 10): the mock
reaches >= 0.80 of the reference's requests/s and its p99 is <= 3 ms. The mock runs as `vconform mock yunnan`
does, journal on a file; a third server with the journal off (bench/mock_server.py) gives the journal's share.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import orjson  # noqa: E402

from bench._common import PY, Server, cores, interleaved, load, measured, median, medians, row, stopping  # noqa: E402
from harness import crypto, specdata  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
SECONDS = float(os.environ.get("BENCH_SECONDS", 3))
CONNECTIONS = 16
TARGET_RATIO, TARGET_P99_MS = 0.80, 3.0


def bodies(tag: str, n: int = 4000) -> list[bytes]:
    pub = crypto.public_b64(crypto.generate_rsa())
    return [orjson.dumps({"enterpriseId": f"{tag}{i:06d}", "enterpriseName": f"企业{i}", "publicKey": pub})
            for i in range(n)]


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
            counter = iter(range(10**6))

            def run(s: Server):
                # Fresh enterprise ids every round: each request registers a new enterprise.
                def one():
                    b = bodies(f"R{next(counter)}X")
                    return measured(s, lambda: load(s.url + path, b, connections=CONNECTIONS, seconds=SECONDS,
                                                    core=load_core))
                return one

            res = interleaved(ROUNDS, {name: run(s) for name, s in servers.items()})
    rps = medians(res, "rps")
    eff = medians(res, "per_cpu")
    p99 = medians(res, "p99_ms")
    bad = {k: sum(x.not_2xx for x in v) for k, v in res.items()}
    for k in res:
        print(f"  {k}: {rps[k]:.0f} req/s, {eff[k]:.0f} req per CPU-s, p50 {median(x.p50_ms for x in res[k]):.2f} ms, "
              f"p99 {p99[k]:.2f} ms, not 2xx {bad[k]} (rounds req/s: {', '.join(f'{x.rps:.0f}' for x in res[k])})")
    ok = row("plain-JSON endpoint (yunnan init-auth), journal on a file, share of the reference (req per CPU-s)",
             eff["mock"] / eff["reference"], TARGET_RATIO, context=f"req/s share {rps['mock'] / rps['reference']:.2f}; "
             f"{CONNECTIONS} connections, medians of {ROUNDS} interleaved rounds")
    ok &= row("plain-JSON endpoint p99 at 16 connections", p99["mock"], TARGET_P99_MS, unit=" ms", higher=False,
              context=f"reference p99 {p99['reference']:.2f} ms in the same rounds")
    print(f"  the journal's share of the mock's CPU per request: {100 * (1 - eff['mock'] / eff['mock, journal off']):.0f} % "
          f"(journal off, a bench-only server: {eff['mock, journal off'] / eff['reference']:.2f} of the reference)")
    print("  (absolute figures are context only: the machine is shared; the ratios are of rounds interleaved in this "
          "run, and per CPU-second of each server, which the other work on the machine does not change)")
    return 0 if ok and not bad["mock"] else 1


if __name__ == "__main__":
    sys.exit(main())

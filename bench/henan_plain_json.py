"""Benchmark: the Henan city-level mock (all plain JSON, issue 11 item 7) against a bare aiohttp + uvloop + orjson +
jsonschema-rs server answering the same interface's generated schema (bench/reference_server.py), in the same run.

The interface is shareDrivingRecord (henan §4.1.2, put_data): each request a distinct valid passage record of the
mock's own account, under one live access_token, so every request is validated, judged (owner, token) and stored,
and journaled on a file as `vconform mock henan-city` runs. Both servers are pinned to one core; wrk (or
bench/_common.py's replayer) loads them from the other with 16 keep-alive connections; rounds interleaved,
medians. Targets as issue 10's plain-JSON row: >= 0.80 of the reference per CPU-second, p99 <= 3 ms.

    python bench/henan_plain_json.py            # BENCH_ROUNDS, BENCH_SECONDS as the other benches

`BENCH_BASE=DIR` adds the mock of the source tree in DIR (e.g. `git archive BASE | tar -x -C DIR`) to the same
interleaved rounds, with its own token and journal: before/after in one run.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import orjson  # noqa: E402

from bench._common import PY, Server, cores, interleaved, load, measured, plain_json_rows, stopping  # noqa: E402
from harness import specdata  # noqa: E402
from schemas.henan.datagen import CityData  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
SECONDS = float(os.environ.get("BENCH_SECONDS", 3))
CONNECTIONS = 16
TARGET_RATIO, TARGET_P99_MS = 0.80, 3.0
BASE = os.environ.get("BENCH_BASE")  # a source tree whose mock is measured too, interleaved (before/after)
INTERFACE = "shareDrivingRecord"
EP = specdata.endpoints("henan")
PATH = EP["base_path"] + EP["interfaces"][INTERFACE]["path"]
TOKEN_PATH = EP["base_path"] + EP["interfaces"]["getAccessToken"]["path"]
DATA = CityData(0)  # the mock's own enterprise data at its default seed (mocks/henan/city_app.py)


def post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def login(base: str) -> str:
    a = DATA.account()
    ans = post(base + TOKEN_PATH, {"organ": a["organ"], "ipctype": "getAccessToken", "username": a["username"],
                                   "password": a["password"]})
    if str(ans.get("code")) != "200":
        raise SystemExit(f"henan mock refused the bench's login: {ans}")
    return str(ans["access_token"])


def envelope(token: str, n: int) -> dict:
    return {"organ": DATA.account()["organ"], "ipctype": INTERFACE, "access_token": token,
            "value": DATA.passage(DATA.free_vehicle(n), n)}


def main() -> int:
    server_core, load_core = cores()
    with tempfile.TemporaryDirectory(prefix="vconform-bench-") as tmp:
        with stopping({}) as servers:
            servers["reference"] = Server([PY, "bench/reference_server.py", "henan", INTERFACE, PATH], server_core)
            servers["mock"] = Server([PY, "-m", "harness.cli", "mock", "henan-city", "--port", "0", "--journal",
                                      str(Path(tmp) / "journal.sqlite")], server_core)
            if BASE:  # the same mock from another source tree, for before/after
                servers["mock (BENCH_BASE)"] = Server([PY, "-m", "harness.cli", "mock", "henan-city", "--port", "0",
                                                       "--journal", str(Path(tmp) / "base.sqlite")], server_core,
                                                      cwd=Path(BASE))
            # Each mock's own token (the reference checks none: the mock's does for it).
            tokens = {name: login(s.url) for name, s in servers.items() if name != "reference"}
            tokens["reference"] = tokens["mock"]
            # All must accept what they are loaded with, or the figures measure refusals.
            for name, s in servers.items():
                ans = post(s.url + PATH, envelope(tokens[name], 10**7))
                if str(ans.get("code")) != "200":
                    raise SystemExit(f"{name} refused a valid {INTERFACE} body: {ans}")
            counter = iter(range(1, 10**6))

            def run(name: str, s: Server):
                def one():
                    start = next(counter) * 5000  # fresh records every round
                    bodies = [orjson.dumps(envelope(tokens[name], start + i)) for i in range(4000)]
                    return measured(s, lambda: load(s.url + PATH, bodies, connections=CONNECTIONS, seconds=SECONDS,
                                                    core=load_core))
                return one

            res = interleaved(ROUNDS, {name: run(name, s) for name, s in servers.items()})
            after = post(servers["mock"].url + PATH, envelope(tokens["mock"], 10**7 + 1))
        # What the mock journaled for the load: every request answered, and how (a refusal is HTTP 200 in Henan).
        import sqlite3
        import time

        time.sleep(1)  # the write-behind journal commits within its batch interval
        db = sqlite3.connect(Path(tmp) / "journal.sqlite")
        outcomes = dict(db.execute("SELECT outcome, COUNT(*) FROM exchanges WHERE interface = ? GROUP BY outcome",
                                   (INTERFACE,)).fetchall())
        db.close()
    ok, eff, bad = plain_json_rows(res, f"henan-city plain JSON ({INTERFACE})", rounds=ROUNDS, connections=CONNECTIONS,
                                 target_ratio=TARGET_RATIO, target_p99_ms=TARGET_P99_MS)
    print(f"  a valid record after the rounds: code {after.get('code')} (the token and the mock still good); "
          f"the mock's journal for {INTERFACE}, by outcome: {outcomes}")
    refused = sum(v for k, v in outcomes.items() if k != "ok")
    if BASE:
        print(f"  this tree's mock / BENCH_BASE's mock, req per CPU-s in the same rounds: "
              f"{eff['mock'] / eff['mock (BENCH_BASE)']:.3f} (BENCH_BASE's mock: "
              f"{eff['mock (BENCH_BASE)'] / eff['reference']:.3f} of the reference)")
    print("  (absolute figures are context only: the machine is shared; the ratios are of rounds interleaved in this "
          "run, and per CPU-second of each server, which the other work on the machine does not change)")
    return 0 if ok and not bad["mock"] and not refused and str(after.get("code")) == "200" else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: invalid request bodies answered per second by the mock, against Prism (npm @stoplight/prism-cli) and
WireMock (npm package `wiremock`, its standalone jar; needs java) serving the same JSON Schema (issue 10).

The endpoint is Yunnan's plain-JSON /init-auth; every request body is invalid (missing fields, wrong types, an
enterpriseId off its pattern), and each server answers with its own listing of what is wrong: the mock its spec
failure answer and journaled findings, Prism its 422 with the violations, WireMock its no-match answer (404 with
the diff against the JSON-Schema-matching stub; request journal off, as PERFORMANCE.md measured it). All run
pinned to one core, the load (wrk, or bench/_common.py's replayer) from the other; rounds interleaved, medians,
compared per CPU-second of each server (the machine is shared) with the requests/s ratio printed beside it.
Target: >= 4x both.

Warm-up: WireMock is a JVM and Prism runs on node; both compile as they serve, and WireMock's answers per CPU-second
rise ~20-fold over its first minute of load (with the fallback stub: ~900 in the first 5 s, ~18,000 once compiled,
on this 2-core machine). Rounds started after a fixed short warm-up measured its compiler, not its serving. So every
server is warmed in steps of BENCH_WARMUP_STEP seconds (5) until its answers per CPU-second have settled: the last
three steps within 5 % of each other and their median not 5 % above that of the three steps before them (a JIT that
still climbs slowly, 1,155 / 1,215 / 1,269, is not settled), for at least BENCH_WARMUP seconds (5) and at most
BENCH_WARMUP_MAX (240); the steps are printed, and a server that did not settle is named (its ratio is then not a fair
one).

`BENCH_BASE=DIR` adds the mock of the source tree in DIR (e.g. `git archive BASE | tar -x -C DIR`) to the same
interleaved rounds: a before/after of the mock itself.

Prism and WireMock are looked for in the node_modules folder $VCONFORM_NPM names (default: bench/.npm/node_modules,
made by `npm install --prefix bench/.npm @stoplight/prism-cli wiremock`); a peer that is absent is named and skipped.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import orjson  # noqa: E402

from bench._common import PY, ROOT, Server, cores, free_port, interleaved, load, measured, median, medians, row, stopping  # noqa: E402
from harness import specdata  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
SECONDS = float(os.environ.get("BENCH_SECONDS", 3))
CONNECTIONS = 16
TARGET = 4.0
WARMUP = float(os.environ.get("BENCH_WARMUP", 5))
BASE = os.environ.get("BENCH_BASE")  # a source tree whose mock is measured too, interleaved (before/after)
WARMUP_STEP = float(os.environ.get("BENCH_WARMUP_STEP", 5))
WARMUP_MAX = float(os.environ.get("BENCH_WARMUP_MAX", 240))
SETTLED = 0.05  # the last three warm-up steps within 5 % of each other, and not 5 % above the three before them


def warm(name: str, s: Server, step) -> bool:
    """Load `s` in steps until its answers per CPU-second settle (see the module doc); print the steps; whether it
    settled within WARMUP_MAX."""
    rates: list[float] = []
    spent = 0.0
    while True:
        r = measured(s, step)
        rates.append(r.per_cpu)
        spent += WARMUP_STEP
        last, before = rates[-3:], rates[-6:-3]
        settled = (len(before) == 3 and max(last) <= (1 + SETTLED) * min(last)
                   and median(last) <= (1 + SETTLED) * median(before))
        if spent >= WARMUP and settled or spent >= WARMUP_MAX:
            break
    print(f"  warm-up {name}: {spent:.0f} s, per CPU-s by step {', '.join(f'{x:.0f}' for x in rates)}"
          + ("" if settled else " (NOT settled: its ratio below is not a fair one)"), flush=True)
    return settled


def invalid_bodies() -> list[bytes]:
    """A mix of invalid /init-auth bodies, each one line."""
    out = []
    for i in range(200):
        k = i % 5
        body = {"enterpriseId": f"E{i:05d}", "enterpriseName": f"企业{i}", "publicKey": "MIIB" + "A" * 300}
        if k == 0:
            del body["publicKey"]
        elif k == 1:
            body["enterpriseId"] = i
        elif k == 2:
            body["enterpriseId"] = f"bad id {i}!"
        elif k == 3:
            body = {"enterpriseName": ""}
        else:
            body["enterpriseName"] = ["x", i]
            del body["enterpriseId"]
        out.append(orjson.dumps(body))
    return out


def npm_bin(name: str) -> Path | None:
    for base in [os.environ.get("VCONFORM_NPM"), ROOT / "bench" / ".npm" / "node_modules"]:
        if base and (Path(base) / ".bin" / name).exists():
            return Path(base)
    return None


def openapi(path: str, schema: dict) -> dict:
    schema = {k: v for k, v in schema.items() if k not in ("$id", "$schema")}
    return {"openapi": "3.1.0", "info": {"title": "yunnan init-auth", "version": "1"},
            "paths": {path: {"post": {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
                                      "responses": {"200": {"description": "ok", "content": {"application/json": {
                                          "example": {"code": 200, "message": "获取成功", "aesKey": None, "data": None}}}}}}}}}


def wiremock_root(root: Path, path: str, schema: dict, fallback: bool) -> None:
    """The JSON-Schema-matching stub; with `fallback`, a lower-priority stub answering every other body 400 (no
    near-miss diff is computed then)."""
    (root / "mappings").mkdir(parents=True)
    (root / "__files").mkdir()
    stub = {"priority": 1, "request": {"method": "POST", "url": path,
            "bodyPatterns": [{"matchesJsonSchema": json.dumps(schema), "schemaVersion": "V202012"}]},
            "response": {"status": 200, "jsonBody": {"code": 200, "message": "获取成功", "aesKey": None, "data": None}}}
    (root / "mappings" / "init-auth.json").write_text(json.dumps(stub))
    if fallback:
        other = {"priority": 10, "request": {"method": "POST", "url": path},
                 "response": {"status": 400, "jsonBody": {"code": 400, "message": "invalid"}}}
        (root / "mappings" / "init-auth-invalid.json").write_text(json.dumps(other))


def main() -> int:
    server_core, load_core = cores()
    path = specdata.endpoints("yunnan")["prefix"] + "/init-auth"
    schema = json.loads((ROOT / "schemas/yunnan/generated/init-auth.request.schema.json").read_text())
    bodies = invalid_bodies()
    servers: dict[str, Server] = {}
    absent: list[str] = []
    with tempfile.TemporaryDirectory(prefix="vconform-bench-") as tmp:
        tmpd = Path(tmp)
        with stopping(servers):
            servers["mock"] = Server([PY, "-m", "harness.cli", "mock", "yunnan", "--port", "0", "--journal",
                                      str(tmpd / "journal.sqlite")], server_core)
            servers["mock, journal off"] = Server([PY, "bench/mock_server.py"], server_core)
            if BASE:
                servers["mock (BENCH_BASE)"] = Server([PY, "-m", "harness.cli", "mock", "yunnan", "--port", "0",
                                                       "--journal", str(tmpd / "base.sqlite")], server_core,
                                                      cwd=Path(BASE))
            npm = npm_bin("prism")
            if npm is None or not shutil.which("node"):
                absent.append("Prism (npm @stoplight/prism-cli, needs node): not installed")
            else:
                doc = tmpd / "openapi.json"
                doc.write_text(json.dumps(openapi(path, schema), ensure_ascii=False))
                port = free_port()
                servers["Prism"] = Server([str(npm / ".bin" / "prism"), "mock", str(doc), "-p", str(port), "-h",
                                           "127.0.0.1", "-v", "error"], server_core, port=port)
            npm = npm_bin("wiremock")
            jars = sorted((npm / "wiremock" / "build").glob("wiremock-standalone-*.jar")) if npm else []
            if not jars or not shutil.which("java"):
                absent.append("WireMock (npm wiremock, needs java): not installed")
            else:
                for name, fallback in (("WireMock", False), ("WireMock, fallback stub", True)):
                    root = tmpd / name.replace(" ", "").replace(",", "")
                    wiremock_root(root, path, schema, fallback)
                    port = free_port()
                    servers[name] = Server(["java", "-jar", str(jars[-1]), "--port", str(port), "--bind-address",
                                            "127.0.0.1", "--no-request-journal", "--disable-banner", "--root-dir",
                                            str(root)], server_core, port=port)

            def run(s: Server):
                return lambda: measured(s, lambda: load(s.url + path, bodies, connections=CONNECTIONS, seconds=SECONDS,
                                                        core=load_core))

            unsettled = []
            for name, s in servers.items():  # warm-up until served at a steady rate (the JVM's JIT), not counted
                step = (lambda s=s: load(s.url + path, bodies, connections=CONNECTIONS, seconds=WARMUP_STEP,
                                         core=load_core))
                if not warm(name, s, step):
                    unsettled.append(name)
            res = interleaved(ROUNDS, {name: run(s) for name, s in servers.items()})
    rps = medians(res, "rps")
    eff = medians(res, "per_cpu")
    for k, v in res.items():
        not2xx = sum(x.not_2xx for x in v)
        print(f"  {k}: {rps[k]:.0f} invalid bodies answered/s, {eff[k]:.0f} per CPU-s, p99 "
              f"{median(x.p99_ms for x in v):.2f} ms, answers not 2xx: {not2xx} of {sum(x.requests for x in v)} "
              f"(rounds: {', '.join(f'{x.rps:.0f}' for x in v)})")
    print("  (the mock answers HTTP 200 with body code 500 and its findings, as yunnan §4.3 shows; Prism 422; WireMock "
          "404 with its diff, or 400 from the fallback stub)")
    ok = True
    for peer in ("Prism", "WireMock", "WireMock, fallback stub"):
        if peer not in res:
            continue
        ok &= row(f"invalid bodies answered, mock (journal on a file) vs {peer} (per CPU-s)", eff["mock"] / eff[peer],
                  TARGET, unit="x", context=f"req/s ratio {rps['mock'] / rps[peer]:.2f}; journal off: "
                  f"{eff['mock, journal off'] / eff[peer]:.2f}x")
    if BASE:
        print(f"  this tree's mock / BENCH_BASE's mock, invalid bodies per CPU-s in the same rounds: "
              f"{eff['mock'] / eff['mock (BENCH_BASE)']:.3f}")
    for a in absent:
        print(f"  not measured: {a}")
    for name in unsettled:
        print(f"  not settled after {WARMUP_MAX:g} s of warm-up: {name} (raise BENCH_WARMUP_MAX)")
    print("  (absolute figures are context only: the machine is shared; the ratios are of rounds interleaved in this "
          "run, per CPU-second of each server)")
    return 0 if ok and not absent and not unsettled else 1


if __name__ == "__main__":
    sys.exit(main())

"""Clients written independently in another language (Node.js built-ins, from the README, `vconform actions` and the
spec only) pass the whole client run of their level: no false failures from Python-only readings.

- henan-city: a gate system (independent/gate_adapter.mjs);
- henan-province: a city platform (independent/city_platform_adapter.mjs), relay included, that encodes JSON as
  another encoder would (every non-ASCII character \\u-escaped, members reordered, indented, no charset parameter)
  and reads E-HN-52 the other way (vehTotal = distinct vehicles), which is warned, never failed."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent / "independent"
ADAPTER = HERE / "gate_adapter.mjs"
CITY_PLATFORM = HERE / "city_platform_adapter.mjs"


def _node() -> str:
    node = shutil.which("node")
    if not node:
        pytest.skip("no Node.js on this machine: the independent clients cannot run here (.ci/run installs it)")
    return node


def _run(spec: str, adapter: Path, seed: int, tmp_path: Path) -> tuple[list[dict], dict]:
    """`vconform run SPEC` with the Node adapter; (every check of the report, the report), asserting no failure."""
    out = tmp_path / "report"
    cmd = [sys.executable, "-m", "harness.cli", "run", spec, "--seed", str(seed), "--out", str(out),
           "--sut-cmd", f"{_node()} {adapter}"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "VCONFORM_HOME": str(tmp_path / "home")})
    report = json.loads((out / "report.json").read_text("utf-8"))
    checks = [c for i in report["interfaces"] for c in i["checks"]]
    fails = [f"{c['id']}: {c['message'][:200]}" for c in checks if c["verdict"] == "fail"]
    assert proc.returncode == 0 and not fails, "\n".join(fails) + proc.stdout[-2000:] + proc.stderr[-2000:]
    return checks, report


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 4242])
def test_independent_node_gate_passes(tmp_path, seed):
    _checks, report = _run("henan-city", ADAPTER, seed, tmp_path)
    assert [s["name"] for s in report["stages"]] == ["interface", "flow", "fuzz"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 4242])
def test_independent_node_city_platform_passes(tmp_path, seed):
    checks, report = _run("henan-province", CITY_PLATFORM, seed, tmp_path)
    assert [s["name"] for s in report["stages"]] == ["interface", "flow", "fuzz"]
    relayed = [c for c in checks if c["id"] == "henan.province.flow.relayed"]
    assert relayed and all(c["verdict"] == "pass" for c in relayed)
    warned = {e for c in checks if c["verdict"] == "warn" for e in c["errata"]}
    assert warned <= {"E-HN-52"}, warned  # its one alternative reading is warned, nothing else


def test_the_city_platform_encodes_as_documented(tmp_path):
    """The city platform really sends what it claims: ASCII-only JSON with \\u escapes, accessToken last."""
    node = _node()
    from harness.journal import Journal
    from harness.serve import BackgroundServer
    from mocks.henan.province_app import HenanProvinceMock

    journal = Journal(None)
    mock = HenanProvinceMock(journal=journal)
    ctx_file = tmp_path / "ctx.json"
    with BackgroundServer(mock.app) as server:
        ctx = {"spec": "henan-province", "base_url": server.url + mock.base, "credentials": dict(mock.state.account),
               "state_dir": str(tmp_path / "state")}
        for action, params in (("GetAuthorizationOrg", {}),
                               ("ElectronicFenceAdd", {"areaName": "郑州市禁行区", "remark": "试",
                                                       "areaCollection": "113.1,34.1$113.2,34.1$113.2,34.2"})):
            ctx_file.write_text(json.dumps(ctx | {"action": action, "params": params}), "utf-8")
            proc = subprocess.run([node, str(CITY_PLATFORM), action, str(ctx_file)], capture_output=True, text=True,
                                  timeout=60)
            assert proc.returncode == 0, proc.stderr
    assert [f for f in mock.state.fences.values() if f["areaName"] == "郑州市禁行区"], "the fence did not arrive"
    sent = [e for e in journal.since(0) if e.interface == "ElectronicFenceAdd"][-1].request_body
    sent = sent.decode("ascii") if isinstance(sent, bytes) else sent
    assert sent.isascii() and "\\u90d1\\u5dde" in sent  # 郑州, escaped
    assert list(json.loads(sent))[-1] == "accessToken" and "\n  " in sent

"""A city platform written independently in another language (Node.js built-ins, from the README, `vconform actions
henan-province` and the spec only: tests/specs/henan/independent/city_platform_adapter.mjs) passes the whole
henan-province client run (interface, flow with the gate -> city -> province relay, fuzz). It encodes JSON as
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
ADAPTER = Path(__file__).resolve().parent / "independent" / "city_platform_adapter.mjs"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 4242])
def test_independent_node_city_platform_passes(tmp_path, seed):
    node = shutil.which("node")
    if not node:
        pytest.skip("no Node.js on this machine: the independent city platform cannot run here (.ci/run installs it)")
    out = tmp_path / "report"
    cmd = [sys.executable, "-m", "harness.cli", "run", "henan-province", "--seed", str(seed), "--out", str(out),
           "--sut-cmd", f"{node} {ADAPTER}"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "VCONFORM_HOME": str(tmp_path / "home")})
    report = json.loads((out / "report.json").read_text("utf-8"))
    checks = [c for i in report["interfaces"] for c in i["checks"]]
    fails = [f"{c['id']}: {c['message'][:200]}" for c in checks if c["verdict"] == "fail"]
    assert proc.returncode == 0 and not fails, "\n".join(fails) + proc.stdout[-2000:] + proc.stderr[-2000:]
    assert [s["name"] for s in report["stages"]] == ["interface", "flow", "fuzz"]
    relayed = [c for c in checks if c["id"] == "henan.province.flow.relayed"]
    assert relayed and all(c["verdict"] == "pass" for c in relayed)
    warned = {e for c in checks if c["verdict"] == "warn" for e in c["errata"]}
    assert warned <= {"E-HN-52"}, warned  # its one alternative reading is warned, nothing else


def test_the_adapter_encodes_as_documented(tmp_path):
    """The client really sends what it claims: ASCII-only JSON with \\u escapes, accessToken last."""
    node = shutil.which("node")
    if not node:
        pytest.skip("no Node.js on this machine (.ci/run installs it)")
    from harness.journal import Journal
    from harness.serve import BackgroundServer
    from mocks.henan.province_app import HenanProvinceMock

    journal = Journal(None)
    mock = HenanProvinceMock(journal=journal)
    with BackgroundServer(mock.app) as server:
        ctx = {"spec": "henan-province", "action": "GetAuthorizationOrg", "base_url": server.url + mock.base,
               "credentials": dict(mock.state.account), "params": {}, "state_dir": str(tmp_path / "state")}
        (tmp_path / "ctx.json").write_text(json.dumps(ctx), "utf-8")
        run = lambda: subprocess.run([node, str(ADAPTER), "GetAuthorizationOrg", str(tmp_path / "ctx.json")],  # noqa: E731
                                     capture_output=True, text=True, timeout=60)
        assert run().returncode == 0
        ctx |= {"action": "ElectronicFenceAdd", "params": {"areaName": "郑州市禁行区", "remark": "试",
                                                            "areaCollection": "113.1,34.1$113.2,34.1$113.2,34.2"}}
        (tmp_path / "ctx.json").write_text(json.dumps(ctx), "utf-8")
        proc = subprocess.run([node, str(ADAPTER), "ElectronicFenceAdd", str(tmp_path / "ctx.json")],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
    fence = [f for f in mock.state.fences.values() if f["areaName"] == "郑州市禁行区"]
    assert fence, "the fence did not reach the province"
    sent = [e for e in journal.since(0) if e.interface == "ElectronicFenceAdd"][-1].request_body
    sent = sent.decode("ascii") if isinstance(sent, bytes) else sent
    assert sent.isascii() and "\\u90d1\\u5dde" in sent  # 郑州, escaped
    assert list(json.loads(sent))[-1] == "accessToken" and "\n  " in sent

"""End to end: `vconform run yunnan` on the reference client passes, signs, redacts; exit codes 0/1/2 as DESIGN.md."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.journal import Journal

ROOT = Path(__file__).resolve().parents[3]


def vconform(*args: str, home: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "VCONFORM_HOME": str(home)})


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    out, journal = tmp / "report", tmp / "journal.sqlite"
    proc = vconform("run", "yunnan", "--seed", "7", "--out", str(out), "--journal", str(journal),
                    "--tester", "测试员", "--organisation", "Acme QA", "--sut-name", "ref", "--sut-version", "1.0",
                    home=tmp / "home")
    return proc, out, journal, tmp


@pytest.mark.slow
def test_reference_client_passes_clean(full_run):
    proc, out, _journal, _tmp = full_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["verdict"] == "pass" and report["counts"]["fail"] == 0
    assert {s["name"] for s in report["stages"]} == {"interface", "flow", "fuzz"}
    tested = {i["name"] for i in report["interfaces"]}
    assert tested >= {"init-auth", "getToken", "enterprise", "cameraInfo", "heartBeat", "exceedVehicle", "basStrategy",
                      "strategyConfirm", "alarmVehicle", "alarmConfirm", "vehicleInfo", "nonMachinery",
                      "vehicleAccess", "exceedVehicleConfirm"}
    judged = {i["name"] for i in report["interfaces"] if any(c["id"] == "adapter.completed" for c in i["checks"])}
    assert judged >= {"getToken", "enterprise", "heartBeat", "vehicleAccess", "exceedVehicle", "strategyConfirm"}
    assert report["signoff"]["tester"] == "测试员" and report["signoff"]["sut_version"] == "1.0"
    assert all(c["covered"] for c in report["coverage"])
    for name in ("report.html", "report.json", "junit.xml"):
        assert (out / name).stat().st_size > 0


@pytest.mark.slow
def test_junit_names_unique_on_a_full_run(full_run):
    """CI tools key test history on classname+name: a full run's junit.xml repeats no pair (flow loops included)."""
    import xml.etree.ElementTree as ET

    _proc, out, _journal, _tmp = full_run
    pairs = [(c.get("classname"), c.get("name")) for c in ET.parse(out / "junit.xml").getroot().iter("testcase")]
    assert len(pairs) > 100
    dupes = sorted({p for p in pairs if pairs.count(p) > 1})
    assert not dupes, f"{len(dupes)} duplicated classname+name pairs, e.g. {dupes[:3]}"


@pytest.mark.slow
def test_report_verifies_and_detects_tampering(full_run):
    proc, out, _journal, tmp = full_run
    home = tmp / "home"
    assert vconform("verify", str(out), home=home).returncode == 0
    doc = json.loads((out / "report.json").read_text("utf-8"))
    doc["verdict"] = "fail" if doc["verdict"] == "pass" else "pass"
    bad = tmp / "tampered"
    bad.mkdir()
    for name in ("report.html", "junit.xml"):
        (bad / name).write_bytes((out / name).read_bytes())
    (bad / "report.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    res = vconform("verify", str(bad / "report.json"), home=home)
    assert res.returncode == 1 and "INVALID" in res.stdout


@pytest.mark.slow
def test_report_contains_no_secret(full_run):
    proc, out, journal, _tmp = full_run
    rows = Journal.read(journal)
    secrets = set()
    for r in rows:
        plain = r["request_plaintext"] if isinstance(r["request_plaintext"], dict) else {}
        resp = r["response_plaintext"] if isinstance(r["response_plaintext"], dict) else {}
        for k in ("apiSecret", "cameraPassword", "nvrPassword", "cameraUsername"):
            if plain.get(k):
                secrets.add(plain[k])
        for k in ("apiSecret", "token"):
            if resp.get(k):
                secrets.add(resp[k])
    secrets = {s for s in secrets if len(s) >= 6}
    assert any(len(s) >= 32 for s in secrets), "expected to have found the issued tokens and apiSecret"
    for name in ("report.html", "report.json", "junit.xml"):
        text = (out / name).read_text("utf-8")
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{name} leaks {len(leaked)} secret(s)"
        assert "PRIVATE KEY" not in text and "MIIEv" not in text  # no PEM or PKCS#8 private key


def test_exit_2_on_harness_errors(tmp_path):
    home = tmp_path / "home"
    res = vconform("run", "yunnan", "--sut-cmd", "no-such-adapter-xyz", "--out", str(tmp_path / "o"), home=home)
    assert res.returncode == 2 and "not found" in res.stderr
    res = vconform("run", "yunnan", "--only", "noSuchInterface", "--out", str(tmp_path / "o"), home=home)
    assert res.returncode == 2 and "noSuchInterface" in res.stderr
    res = vconform("run", "nospec", home=home)
    assert res.returncode == 2
    res = vconform("run", "yunnan", "--profile", "nope", home=home)
    assert res.returncode == 2 and "unknown profile" in res.stderr


def test_adapter_that_fails_is_the_sut_failing(tmp_path):
    """An adapter that exits non-zero and sends nothing fails its checks: exit 1, not 2 (DESIGN.md)."""
    res = vconform("run", "yunnan", "--only", "heartBeat", "--out", str(tmp_path / "o"), "--seed", "3",
                   "--sut-cmd", f"{sys.executable} -c 'import sys; sys.exit(3)'", home=tmp_path / "home")
    assert res.returncode == 1, res.stdout + res.stderr
    report = json.loads((tmp_path / "o" / "report.json").read_text("utf-8"))
    failed = {(i["name"], c["id"]) for i in report["interfaces"] for c in i["checks"] if c["verdict"] == "fail"}
    assert ("init-auth", "adapter.completed") in failed  # the engine's check, under the interface it judged


def test_specs_and_actions_list(tmp_path):
    res = vconform("specs", home=tmp_path)
    assert res.returncode == 0 and "yunnan" in res.stdout and "vehicleAccess" in res.stdout
    res = vconform("actions", "yunnan", "--schema", home=tmp_path)
    assert res.returncode == 0 and "exceedVehicleConfirm" in res.stdout


def _params(report: dict) -> list:
    return [ev.get("params") for i in report["interfaces"] for c in i["checks"] for ev in c["evidence"]
            if ev.get("kind") == "adapter" and c["verdict"] != "pass"] + \
           [e.get("request_plaintext") for e in report["exchanges"] if e.get("interface") == "vehicleAccess"]


def test_same_seed_same_data(tmp_path):
    """--seed N repeats a run: the business data sent is identical (keys and tokens are fresh each time)."""
    reports = []
    for n in (1, 2):
        out = tmp_path / f"r{n}"
        res = vconform("run", "yunnan", "--only", "vehicleAccess", "--seed", "99", "--out", str(out), home=tmp_path / "h")
        assert res.returncode == 0, res.stdout + res.stderr
        reports.append(json.loads((out / "report.json").read_text("utf-8")))
    assert _params(reports[0]) == _params(reports[1]) and _params(reports[0])
    assert reports[0]["reproduce"] == reports[1]["reproduce"]

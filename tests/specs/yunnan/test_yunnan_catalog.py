"""Test the tests: each deliberately broken uploader fails with the named check and clause; the reference passes."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BROKEN = ROOT / "tests" / "specs" / "yunnan" / "broken_clients.py"

# variant -> (vconform run arguments that reach the broken behaviour, expected failing check, its spec clause)
CATALOG = {
    "aes128": (["--only", "heartBeat"], "yunnan.envelope.aes256", "yunnan §5.1 step 3; §5.2"),
    "sign-wrong-bytes": (["--only", "heartBeat"], "yunnan.envelope.signature", "yunnan §5.1 step 6; §5.3"),
    "wrong-platform-key": (["--only", "heartBeat"], "yunnan.envelope.rsa", "yunnan §5.1 step 5; §5.2"),
    "no-client-id": (["--only", "heartBeat"], "yunnan.headers.client_id", "yunnan §4.2"),
    "token-reuse": (["--stage", "flow"], "yunnan.token.renewal", "yunnan §6.2; E-YN-12"),
    "init-twice": (["--stage", "flow"], "yunnan.register.once", "yunnan §6.1"),
    "swallows-errors": (["--stage", "flow"], "yunnan.flow.fault_honest", "yunnan §4.3; DESIGN adapter protocol"),
    "wrong-content-type": (["--only", "heartBeat"], "yunnan.http.post_json", "yunnan §4.2"),
    "no-bearer": (["--only", "heartBeat"], "yunnan.headers.bearer", "yunnan §4.2"),
    "envelope-without-signature": (["--only", "heartBeat"], "yunnan.envelope.shape", "yunnan §4.3"),
    "content-not-json": (["--only", "heartBeat"], "yunnan.payload.json", "yunnan §5.2 CHARSET; §6.1 note"),
    "weak-key": (["--only", "init-auth"], "yunnan.register.public_key", "yunnan §5.1 step 1; §6.1"),
    "missing-required": (["--only", "enterprise"], "yunnan.payload.required", "yunnan §6"),
    "wrong-type": (["--only", "enterprise"], "yunnan.payload.type", "yunnan §6"),
    "broken-composition": (["--only", "cameraInfo"], "yunnan.payload.composition", "yunnan §6"),
    "branch-of-other-industry": (["--only", "enterprise"], "yunnan.payload.rule", "yunnan §6"),
    "unlinked-access": (["--stage", "flow"], "yunnan.flow.ledger_link", "yunnan §6.13 vehicleId"),
    "heartbeat-other-enterprise": (["--stage", "flow"], "yunnan.heartbeat.state", "yunnan §6.5"),
    "isnew-ignored": (["--only", "basStrategy"], "yunnan.pull.complete", "yunnan §6.6; §6.7; §6.9"),
    "confirms-skipped": (["--only", "alarmConfirm"], "yunnan.confirm.applied", "yunnan §6.8; §6.10"),
    "never-confirms": (["--stage", "flow"], "yunnan.confirm.all_received", "yunnan §6.8; §6.10"),
    "confirms-all-at-once": (["--stage", "flow"], "yunnan.confirm.batch_size", "yunnan §6.10"),
    "confirms-twice": (["--stage", "flow"], "yunnan.confirm.once", "yunnan §6.8; §6.10"),
    "confirms-record-ids": (["--stage", "flow"], "yunnan.confirm.after_receipt", "yunnan §6.8; §6.10"),
    "field-over-length": (["--only", "vehicleAccess"], "yunnan.payload.length", "yunnan §6"),
    "code-outside-table": (["--only", "vehicleInfo"], "yunnan.payload.code", "yunnan §6"),
    "date-wrong-format": (["--only", "vehicleInfo"], "yunnan.payload.format", "yunnan §6"),
    "altered-record": (["--only", "vehicleAccess"], "yunnan.payload.params_intact", "DESIGN adapter protocol; yunnan §6"),
}


def vconform_run(tmp_path: Path, variant: str, extra: list[str]) -> tuple[int, dict, str]:
    out = tmp_path / variant
    cmd = [sys.executable, "-m", "harness.cli", "run", "yunnan", "--seed", "4242", "--out", str(out),
           "--sut-cmd", f"{sys.executable} {BROKEN} {variant}", *extra]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**_env(), "VCONFORM_HOME": str(tmp_path / "home")})
    report = json.loads((out / "report.json").read_text("utf-8")) if (out / "report.json").exists() else {}
    return proc.returncode, report, proc.stdout + proc.stderr


def _env():
    import os

    return dict(os.environ)


def failing(report: dict) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for iface in report.get("interfaces", []):
        for c in iface["checks"]:
            if c["verdict"] == "fail":
                out.setdefault(c["id"], set()).add(c["spec_ref"])
    return out


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(CATALOG))
def test_broken_client_fails_with_named_check(tmp_path, variant):
    extra, check_id, clause = CATALOG[variant]
    code, report, output = vconform_run(tmp_path, variant, extra)
    assert code == 1, output
    assert report["verdict"] == "fail"
    fails = failing(report)
    assert check_id in fails, f"{check_id} not among failures {sorted(fails)}\n{output}"
    assert clause in fails[check_id]


@pytest.mark.slow
def test_documented_alternative_reading_warns_and_passes(tmp_path):
    """A vendor on §5.3's reading of the signed range (E-YN-04) passes with warnings, never a failure."""
    code, report, output = vconform_run(tmp_path, "sign-content-only", ["--only", "heartBeat"])
    assert code == 0, output
    warned = [c for i in report["interfaces"] for c in i["checks"] if c["verdict"] == "warn"]
    assert any("E-YN-04" in c["errata"] and c["id"] == "yunnan.envelope.signature" for c in warned)
    assert any(e["id"] == "E-YN-04" and e["hit"] for e in report["errata"])


@pytest.mark.slow
def test_unbroken_variant_passes(tmp_path):
    code, report, output = vconform_run(tmp_path, "reference", ["--only", "vehicleAccess", "--only", "basStrategy"])
    assert code == 0, output
    assert not failing(report)

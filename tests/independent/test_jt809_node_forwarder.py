"""An independent JT/T 809 forwarder in Node.js (tests/independent/jt809-node-forwarder/, built-in modules only,
written from README, docs/adapter.md, the errata register and the shared jt809 notes, not from our Python code)
certified by `vconform run shunde` through the adapter protocol, as an operator's engineer would.

Quick: its codec re-encodes the notes' vectors; under the 2019 profile its positions (JT/T 808 GNSS_DATA, 110-byte
0x1201) pass the send_positions interface. Slow: the flow stage under 2019 (main link cut and reconnect, every
platform request answered, the result sheet), and its 2011 login under a 2019 header refused with the finding that
names the mix. Skipped when node is absent (CI installs it: .ci/run)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORWARDER = ROOT / "tests" / "independent" / "jt809-node-forwarder"


def node() -> str:
    exe = shutil.which("node")
    if not exe:
        pytest.skip("no Node.js here (CI installs it: .ci/run)")
    return exe


def run(tmp_path: Path, *args: str, flags: str = "") -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "out"
    cmd = f"{node()} {FORWARDER / 'adapter.mjs'} {flags}".strip()
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "shunde", "--seed", "13", "--out", str(out),
                           "--sut-cmd", cmd, *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "VCONFORM_HOME": str(tmp_path / "home")})
    return proc, json.loads((out / "report.json").read_text("utf-8"))


def rederive(tmp_path: Path, journal: Path) -> dict:
    """`vconform report --journal` of a run's journal: the report re-derived from it."""
    out = tmp_path / "rederived"
    subprocess.run([sys.executable, "-m", "harness.cli", "report", "--journal", str(journal), "--out", str(out)],
                   cwd=ROOT, capture_output=True, text=True, timeout=300,
                   env={**os.environ, "VCONFORM_HOME": str(tmp_path / "home")})
    return json.loads((out / "report.json").read_text("utf-8"))


def not_passing(model: dict) -> list[str]:
    return [f"{c['id']} {c['verdict']} ({i['name']}): {c['message'][:300]}" for i in model["interfaces"]
            for c in i["checks"] if c["verdict"] not in ("pass", "skip")]


def test_node_codec_reencodes_the_notes_vectors():
    proc = subprocess.run([node(), str(FORWARDER / "vectors.test.mjs")], cwd=FORWARDER, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and "vectors ok" in proc.stdout, proc.stdout + proc.stderr


def test_2019_positions_of_the_node_forwarder_pass(tmp_path):
    proc, model = run(tmp_path, "--profile", "jt809-2019", "--stage", "interface", "--only", "send_positions")
    assert proc.returncode == 0 and model["verdict"] == "pass" and not not_passing(model), \
        "\n".join(not_passing(model)) + proc.stdout[-3000:] + proc.stderr[-2000:]
    judged = {c["id"] for i in model["interfaces"] for c in i["checks"]}
    assert {"shunde.register.sent", "shunde.location.intact", "shunde.history.batch", "shunde.frame.body"} <= judged


@pytest.mark.slow
def test_2019_flow_of_the_node_forwarder_passes(tmp_path):
    """The main link cut mid-run (reconnect with back-off, nothing acknowledged lost) and every platform request."""
    proc, model = run(tmp_path, "--profile", "jt809-2019", "--stage", "flow")
    assert proc.returncode == 0 and model["verdict"] == "pass" and not not_passing(model), \
        "\n".join(not_passing(model)) + proc.stdout[-3000:] + proc.stderr[-2000:]
    verdicts = {c["id"]: c["verdict"] for i in model["interfaces"] for c in i["checks"]}
    assert verdicts.get("shunde.link.reconnect") == "pass" and verdicts.get("shunde.requests.answered") == "pass"
    assert verdicts.get("shunde.link.backoff") == "pass", "its back-off (0.5 s doubling, jitter) waits after RESULT 5"


@pytest.mark.slow
def test_2011_login_body_under_a_2019_header_is_refused_with_the_mix_named(tmp_path):
    proc, model = run(tmp_path, "--profile", "jt809-2019", "--stage", "interface", "--only", "connect",
                      flags="--bodies=2011")
    assert proc.returncode == 1 and model["verdict"] == "fail", proc.stdout[-3000:] + proc.stderr[-2000:]
    body = [c["message"] for i in model["interfaces"] for c in i["checks"]
            if c["id"] == "shunde.frame.body" and c["verdict"] == "fail"]
    assert body and "2011 bodies under a 2019 header" in body[0], not_passing(model)


# ---- defects the outside tester found (s17 tester13 report), each fixed: these fail on the code before the fix ----

def test_a_run_journal_rederives_without_login_failures(tmp_path):
    journal = tmp_path / "journal.sqlite"
    proc, model = run(tmp_path, "--stage", "interface", "--only", "connect", "--journal", str(journal))
    assert model["verdict"] == "pass", proc.stdout[-2000:]
    rederived = rederive(tmp_path, journal)
    assert not [m for m in not_passing(rederived) if m.startswith("shunde.login.fields")], not_passing(rederived)


def test_a_2011_history_body_under_a_2019_header_is_failed_for_the_mix_with_its_count_as_read():
    script = (
        "const J = await import('./jt809.mjs'); const M = await import('./messages.mjs');"
        "const p = {time: '2026-11-30T09:00:00', lon: 113.2, lat: 22.8, vec1: 30, state: 3};"
        "const body = M.vehicleHead('粤E12345', 2, 0x1203, M.historyLocation([p, p], '2011', []));"
        "console.log(J.hex(J.buildFrame({header: '2019', sn: 1, msgId: 0x1200, center: 20180920, body})));")
    frame = subprocess.run([node(), "--input-type=module", "-e", script], cwd=FORWARDER, capture_output=True,
                           text=True, timeout=60, check=True).stdout.strip()
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "jt809", "decode", "--header", "2019", frame],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    decoded = json.loads(proc.stdout)[0]
    fails = [f["message"] for f in decoded["findings"] if f["level"] == "fail"]
    assert proc.returncode == 1 and fails
    assert all("2011" in m for m in fails), fails                     # the failure names the mix ...
    assert decoded["body"]["data"].get("gnss_cnt") in (None, 2), decoded["body"]["data"]   # ... no false count


def test_registration_after_a_relogin_is_judged_alike_by_the_run_and_the_rederivation(tmp_path):
    """tester13 D2: under E-SD-23's per-login reading a forwarder that registers each vehicle once fails
    shunde.register.sent in the run (the flow's reconnect step) and in `report --journal` of the same journal."""
    journal = tmp_path / "journal.sqlite"
    proc, model = run(tmp_path, "--stage", "flow", "--only", "connect", "--profile", "register-per-login",
                      "--journal", str(journal), flags="--register-once")
    assert [m for m in not_passing(model) if m.startswith("shunde.register.sent fail")], not_passing(model)
    rederived = rederive(tmp_path, journal)
    assert [m for m in not_passing(rederived) if m.startswith("shunde.register.sent fail")], not_passing(rederived)


def test_a_retry_at_once_after_a_busy_refusal_fails_backoff_in_the_run_and_the_rederivation(tmp_path):
    """tester13 D9: the mock refuses the first login after the flow's cut RESULT 5 (busy: connect again later,
    E-SD-24); the Node forwarder's --no-backoff tries again at once. The run and `report --journal` of its journal
    fail shunde.link.backoff alike, and neither counts the refusal on purpose against shunde.login.accepted."""
    journal = tmp_path / "journal.sqlite"
    proc, model = run(tmp_path, "--stage", "flow", "--only", "connect", "--journal", str(journal),
                      flags="--no-backoff")
    assert [m for m in not_passing(model) if m.startswith("shunde.link.backoff fail")], not_passing(model)
    rederived = rederive(tmp_path, journal)
    assert [m for m in not_passing(rederived) if m.startswith("shunde.link.backoff fail")], not_passing(rederived)
    for m in (model, rederived):
        assert not [x for x in not_passing(m) if x.startswith("shunde.login.accepted")], not_passing(m)


@pytest.mark.slow
def test_positions_sent_up_the_slave_link_during_the_cut_pass(tmp_path):
    """E-SD-25's other reading: while the main link is down the Node forwarder's --slave-fallback sends its positions
    up the slave link; the platform takes them as delivered and the connect interface of the flow passes."""
    import sqlite3

    journal = tmp_path / "journal.sqlite"
    proc, model = run(tmp_path, "--stage", "flow", "--only", "connect", "--journal", str(journal),
                      flags="--slave-fallback")
    assert proc.returncode == 0 and model["verdict"] == "pass" and not not_passing(model), \
        "\n".join(not_passing(model)) + proc.stdout[-3000:]
    with sqlite3.connect(journal) as db:
        up_slave = db.execute("SELECT count(*) FROM exchanges WHERE method = 'recv' AND link = 'slave' AND interface "
                              "IN ('UP_EXG_MSG_REAL_LOCATION', 'UP_EXG_MSG_HISTORY_LOCATION')").fetchone()[0]
    assert up_slave > 0, "positions went up the slave link while the main link was down"

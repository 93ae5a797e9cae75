"""Observe mode on the Yunnan mock: the reference client passes clean, a broken one fails with the right check id,
the heartbeat cadence is judged on the intervals between real calls, and `report --journal` re-derives the live
verdicts exactly (JSON values of the check rows). The slow tests drive the CLI end to end (mock, pilot-feed, SIGINT,
report --journal)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from harness import observe, specdata
from harness.clock import Clock
from harness.jsonvalue import json_equal
from harness.journal import Journal
from harness.registry import discover
from harness.serve import BackgroundServer
from mocks.yunnan.app import YunnanMock
from schemas.yunnan.datagen import YunnanData
from suites.yunnan import observe as yobs
from suites.yunnan.client import ClientError, YunnanClient
from proving import assert_fails, assert_passes
from observe_replay import assert_replay_matches

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))


class Site:
    """An observe-mode Yunnan mock in this process, and a client of it."""

    def __init__(self, tmp: Path, client_cls=YunnanClient, sut=None):
        self.clock = Clock()
        self.journal = Journal(tmp / "journal.db")
        profile = specdata.profile("yunnan", "default")
        self.mock = YunnanMock(journal=self.journal, profile=profile, clock=self.clock)
        self.spec = discover()["yunnan"]
        self.obs = observe.Observer(self.spec, yobs.judge_for_mock(self.mock, profile), journal=self.journal,
                                    profile="default", sut=sut).attach(self.mock)
        self.server = BackgroundServer(self.mock.app).start()
        self.data = YunnanData(7)
        ent = self.data.enterprise()
        self.client = client_cls(self.server.url + self.mock.ep["prefix"], tmp / "state", self.data.enterprise_id)
        self.client.init_auth(self.data.enterprise_id, ent["enterpriseName"])

    def close(self) -> dict:
        self.server.stop()
        self.obs.finish()
        model = self.obs.write(Path(self.journal.path).parent / "live")
        self.journal.close()
        return model


def rows(model: dict) -> dict:
    return {(c["id"], c["interface"]): c for i in model["interfaces"] for c in i["checks"]}


def test_reference_traffic_passes_and_the_journal_rederives_the_same_rows(tmp_path):
    site = Site(tmp_path)
    d, c = site.data, site.client
    vehicle = d.vehicle(1)
    c.call("vehicleInfo", vehicle)
    for i in range(3):
        c.call("heartBeat", d.heartbeat())
        c.call("vehicleAccess", d.access_record(vehicle, i + 1, str(i % 2)))
        site.clock.advance(14 * 60)  # the advised cadence: 14 min between heartbeats, on the mock's clock
    live = site.close()
    got = rows(live)
    assert live["verdict"] == "pass", [r["message"] for r in got.values() if r["verdict"] == "fail"]
    assert live["scope"]["stages"] == ["pilot"] and live["pilot"]["exchanges"] == 9 and live["pilot"]["observed"]
    assert got[("yunnan.heartbeat.cadence", "heartBeat")]["message"].startswith("2 judged: 2 pass")
    assert got[("yunnan.envelope.signature", "vehicleAccess")]["verdict"] == "pass"
    assert got[("yunnan.flow.ledger_link", "vehicleAccess")]["verdict"] == "pass"
    assert got[("yunnan.pull.complete", "")]["verdict"] == "skip"
    assert got[("yunnan.pull.complete", "")]["message"].startswith("needs a stimulus")

    assert_replay_matches(site.spec, tmp_path / "journal.db", tmp_path / "live")


@pytest.mark.proves("yunnan.heartbeat.cadence")
def test_heartbeats_further_apart_than_30_minutes_fail_the_cadence(tmp_path):
    site = Site(tmp_path)
    d, c = site.data, site.client
    c.call("heartBeat", d.heartbeat())
    site.clock.advance(29 * 60)
    c.call("heartBeat", d.heartbeat())  # 29 min: within §6.5's 30
    site.clock.advance(45 * 60)
    c.call("heartBeat", d.heartbeat())  # 45 min: the platform would warn
    found = site.obs.recent_findings(5)
    live = site.close()
    assert [(f["check_id"], f["verdict"]) for f in found] == [("yunnan.heartbeat.cadence", "fail")]
    assert "45.0 min after" in found[0]["message"]
    assert rows(live)[("yunnan.heartbeat.cadence", "heartBeat")]["verdict"] == "fail"
    assert live["verdict"] == "fail"
    assert_fails("yunnan.heartbeat.cadence", yobs.heartbeat_cadence(30 * 60 + 1, 1, 2))
    assert_passes("yunnan.heartbeat.cadence", yobs.heartbeat_cadence(30 * 60, 1, 2))


class _OverLength(YunnanClient):
    """The catalog's field-over-length defect (gateId of 4 characters), in this process."""

    def call(self, interface, plaintext, path=None):
        if interface == "vehicleAccess":
            plaintext = {**plaintext, "gateId": plaintext["gateId"] + "1"}
        return super().call(interface, plaintext, path)


def test_a_broken_payload_fails_with_its_check_id(tmp_path):
    site = Site(tmp_path, _OverLength)
    d = site.data
    site.client.call("vehicleInfo", d.vehicle(1))
    with pytest.raises(ClientError):
        site.client.call("vehicleAccess", d.access_record(d.vehicle(1), 1, "0"))
    live = site.close()
    got = rows(live)
    assert got[("yunnan.payload.length", "vehicleAccess")]["verdict"] == "fail"
    assert "gateId" in got[("yunnan.payload.length", "vehicleAccess")]["message"]
    assert got[("yunnan.answer.accepted", "vehicleAccess")]["verdict"] == "fail"
    assert got[("yunnan.payload.length", "vehicleInfo")]["verdict"] == "pass"


def test_a_journal_without_the_platform_key_skips_the_envelope_checks(tmp_path):
    judge = yobs.make_judge(specdata.profile("yunnan", "default"), {})
    obs = observe.Observer(discover()["yunnan"], judge, window_start=0.0, record_findings=False)
    obs.finish()
    got = rows(obs.model())
    assert got[("yunnan.envelope.rsa", "")]["verdict"] == "skip"
    assert "platform key" in got[("yunnan.envelope.rsa", "")]["message"]


# ---- the CLI end to end (slow: real processes, real timers) --------------------------------------------------

def _start_mock(tmp: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "VCONFORM_HOME": str(tmp / "home")}
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "mock", "yunnan", "--observe", "--journal",
                             str(tmp / "pilot.db"), "--report-dir", str(tmp / "live"), "--sut-version", "1.2.3",
                             *extra], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.startswith("listening on "), line + proc.stderr.read()
    return proc, line.split()[-1]


def _feed(tmp: Path, url: str, *extra: str) -> None:
    env = {**os.environ, "VCONFORM_HOME": str(tmp / "home")}
    subprocess.run([sys.executable, "-m", "harness.cli", "pilot-feed", "yunnan", "--target", url, *extra],
                   cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)


def _report(tmp: Path) -> dict:
    env = {**os.environ, "VCONFORM_HOME": str(tmp / "home")}
    subprocess.run([sys.executable, "-m", "harness.cli", "report", "--journal", str(tmp / "pilot.db"), "--out",
                    str(tmp / "offline")], cwd=ROOT, env=env, capture_output=True, timeout=300)
    return json.loads((tmp / "offline" / "report.json").read_text("utf-8"))


@pytest.mark.slow
def test_cli_observe_fed_by_the_reference_client_and_report_journal_agree(tmp_path):
    mock, url = _start_mock(tmp_path, "--time-scale", "120")
    _feed(tmp_path, url, "--duration", "20s", "--time-scale", "120", "--only", "heartBeat",
          "--only", "alarmVehicle")
    mock.send_signal(signal.SIGINT)  # the window ends on SIGINT: the report is written then
    out, err = mock.communicate(timeout=120)
    assert mock.returncode == 0, out + err
    live = json.loads((tmp_path / "live" / "report.json").read_text("utf-8"))
    assert live["verdict"] == "pass" and live["scope"]["stages"] == ["pilot"]
    assert live["stages"] == [{"name": "pilot", "verdict": "pass"}] and live["signoff"]["sut_version"] == "1.2.3"
    assert live["pilot"]["observed"] is True and live["pilot"]["exchanges"] >= 4
    assert rows(live)[("yunnan.heartbeat.cadence", "heartBeat")]["verdict"] == "pass"
    offline = _report(tmp_path)
    assert json_equal([c for i in offline["interfaces"] for c in i["checks"]],
                      [c for i in live["interfaces"] for c in i["checks"]])
    assert json_equal(offline["counts"], live["counts"]) and offline["pilot"] == live["pilot"]
    verify = subprocess.run([sys.executable, "-m", "harness.cli", "verify", str(tmp_path / "live")], cwd=ROOT,
                            env={**os.environ, "VCONFORM_HOME": str(tmp_path / "home")}, capture_output=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.mark.slow
def test_cli_observe_fails_a_client_that_skips_heartbeats(tmp_path):
    mock, url = _start_mock(tmp_path, "--time-scale", "120", "--window", "40s")
    cmd = f"{sys.executable} {ROOT / 'tests' / 'engine' / 'observe_clients.py'} skips-heartbeats"
    _feed(tmp_path, url, "--duration", "35s", "--time-scale", "120", "--only", "heartBeat", "--sut-cmd", cmd)
    out, err = mock.communicate(timeout=120)  # the --window ends it
    assert mock.returncode == 1, out + err
    assert "FAIL yunnan.heartbeat.cadence [heartBeat]" in err
    live = json.loads((tmp_path / "live" / "report.json").read_text("utf-8"))
    assert rows(live)[("yunnan.heartbeat.cadence", "heartBeat")]["verdict"] == "fail"
    assert {k for k, r in rows(live).items() if r["verdict"] == "fail"} == {("yunnan.heartbeat.cadence", "heartBeat")}


def test_the_live_pilot_report_verifies_against_its_journal(tmp_path):
    """tester12 D2: the live report hashed the journal before it was closed (its WAL not yet in the file), so
    `vconform verify REPORT --journal FILE` said "changed since signing" of a journal nobody touched."""
    from harness.report import verify

    site = Site(tmp_path)
    d, c = site.data, site.client
    vehicle = d.vehicle(1)
    c.call("vehicleInfo", vehicle)
    for i in range(40):
        c.call("vehicleAccess", d.access_record(vehicle, i + 1, str(i % 2)))
    site.close()
    ok, reason = verify(tmp_path / "live", journal=tmp_path / "journal.db")
    assert ok, reason
    assert "journal journal.db unchanged" in reason


def test_the_rederived_report_names_the_sut_observed(tmp_path, capsys):
    """tester12 D9: `report --journal` named no SUT (so it could be recorded under any); it names the one observed,
    and refuses another."""
    from harness.cli import main

    site = Site(tmp_path, sut={"name": "GateVendor", "version": "2.4.0"})
    site.client.call("heartBeat", site.data.heartbeat())
    live = site.close()
    assert "live-rederived" in live["reproduce"], "re-deriving must not write over the signed report"
    journal = str(tmp_path / "journal.db")
    assert main(["report", "--journal", journal, "--out", str(tmp_path / "again")]) == 0
    again = json.loads((tmp_path / "again" / "report.json").read_text())
    assert (again["signoff"]["sut_name"], again["signoff"]["sut_version"]) == ("GateVendor", "2.4.0")
    assert (again["sut"]["name"], again["sut"]["version"]) == ("GateVendor", "2.4.0")
    capsys.readouterr()
    assert main(["report", "--journal", journal, "--sut-name", "Other", "--out", str(tmp_path / "other")]) == 2
    assert "observed for SUT name 'GateVendor'" in capsys.readouterr().err
    assert not (tmp_path / "other" / "report.json").exists()


def test_report_dir_is_new_per_start_and_a_window_end_is_announced(tmp_path, capsys, monkeypatch):
    """tester12 D10/D5: a second observe mock wrote its report into the running pilot's default folder; the user
    was not told the window is real time."""
    from harness import observe_cli
    from harness.cli import main

    monkeypatch.chdir(tmp_path)
    default = observe_cli.report_dir(None)
    assert default.parent == Path("reports") and default.name.startswith("pilot-") and default.name.endswith("Z")
    taken = tmp_path / "pilot"
    taken.mkdir()
    (taken / "report.json").write_text("{}")
    assert main(["mock", "yunnan", "--observe", "--port", "0", "--report-dir", str(taken)]) == 2
    out = capsys.readouterr()
    assert "holds a report already" in out.err and "listening on" not in out.out
    line = observe_cli.window_line(600.0, Path("reports/pilot"))
    assert "observing until" in line and "UTC (window 10m, real time" in line and "reports/pilot" in line
    assert "SIGINT" in observe_cli.window_line(None, Path("x"))


def test_a_request_to_no_interface_is_not_named_with_an_empty_name():
    """tester12 D10: "last  request answered code 404" (empty interface, double space) for an unknown path."""
    from harness.journal import Exchange
    from suites.gansu import checks as gansu
    from suites.henan import checks as henan
    from suites.yunnan import checks as yunnan

    ex = Exchange("x", 1.0, "POST", "/nowhere", "", status=404, outcome="unknown", response_body={"code": 404})
    for module in (yunnan, gansu, henan):
        (problem,) = module.accepted([ex], "")
        assert problem.message.startswith("last request answered code 404"), problem.message

"""The observe-mode core (harness/observe.py) over a toy spec and canned exchanges: bounded findings, skips for what
needs a stimulus, the side table, the dashboard's view, the pilot report and its re-derivation from the journal."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from harness import checks, observe
from harness.checks import fail, warn
from harness.journal import Exchange, Journal
from harness.jsonvalue import json_equal
from harness.registry import SpecInfo

TOY = SpecInfo(name="toy-observe", version="1", title_zh="玩具", title_en="Toy", source="none", roles=("client",),
               interfaces={"upload": "toy §1"}, suite_dir=Path("."))
checks.declare("toyobs.size", "toy §1", "major", "大小", "Body at most 10 bytes")
checks.declare("toyobs.gap", "toy §2", "major", "间隔", "Calls at most 60 s apart")
checks.declare("toyobs.effect", "toy §3", "major", "效果", "The action's effect")


class ToyJudge:
    """Judges each exchange's body size, and the gap since the previous call (a stream check)."""

    stimulus = {"toyobs.effect": "upload"}

    def __init__(self, meta=None):
        self.meta = dict(meta or {"salt": "x"})
        self.last = None

    def see(self, e: Exchange):
        n = len(e.request_body)
        yield "toyobs.size", e.interface, [fail(f"{n} bytes")] if n > 10 else (
            [warn(f"{n} bytes, at the limit", "E-TOY-01")] if n == 10 else [])
        if self.last is not None:
            gap = e.time - self.last
            yield "toyobs.gap", e.interface, [fail(f"{gap:g} s since the previous call")] if gap > 60 else []
        self.last = e.time

    def finish(self):
        yield "toyobs.gap", "upload", []


class ToyModule:
    @staticmethod
    def make_judge(profile, meta):
        return ToyJudge(meta)


@pytest.fixture(autouse=True)
def toy_data(monkeypatch, tmp_path):
    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("harness.specdata.errata", lambda folder: {})
    monkeypatch.setattr("harness.specdata.known_gaps", lambda folder: [])
    monkeypatch.setattr("harness.specdata.profile", lambda folder, name=None: {"name": name or "default"})
    monkeypatch.setattr(observe, "judge_module", lambda spec: ToyModule)


def feed(journal: Journal, bodies_and_times) -> None:
    """Journal exchanges as a mock does (the observer's hook is on the journal's `record`)."""
    for body, t in bodies_and_times:
        journal.record(Exchange("toy", t, "POST", "/upload", "upload", request_body=body, outcome="ok"))


class _Mock:
    def __init__(self, journal):
        self.journal = journal


def _observed(tmp_path, **kw):
    journal = Journal(tmp_path / "journal.db")
    lines: list[str] = []
    obs = observe.Observer(TOY, ToyJudge(), journal=journal, echo=lines.append, window_start=1000.0, **kw)
    mock = _Mock(journal)
    obs.attach(mock)
    assert mock.observer is obs
    return obs, journal, lines


def test_each_exchange_is_judged_as_it_is_journaled_and_findings_stay_bounded(tmp_path):
    obs, journal, lines = _observed(tmp_path)
    feed(journal, [("short", 1000.0 + i) for i in range(3)])
    feed(journal, [("x" * (11 + i), 1010.0 + i) for i in range(30)])  # 30 size failures
    feed(journal, [("0123456789", 2000.0)])  # a warning, and a 959 s gap
    s = obs.summary()
    assert s["exchanges"] == 34
    assert s["checks"]["toyobs.size"] == {"pass": 3, "fail": 30, "warn": 1}
    assert s["checks"]["toyobs.gap"] == {"pass": 32, "fail": 1, "warn": 0}
    assert s["window_start"].startswith("1970-01-01T00:16:40")
    # one terminal line per finding
    assert len(lines) == 32 and lines[0].startswith("FAIL toyobs.size [upload] #4: 11 bytes")
    recent = obs.recent_findings(2)
    assert [f["check_id"] for f in recent] == ["toyobs.size", "toyobs.gap"]
    assert set(recent[0]) == {"check_id", "verdict", "message", "exchange_id", "at"}
    assert recent[0]["verdict"] == "warn" and recent[0]["exchange_id"] == 34
    tally = obs._tallies[("toyobs.size", "upload")]
    assert len(tally.kept()) == 2 * observe.KEEP and tally.seen == 31  # first K + last K of 31 findings
    ex = obs.recent_exchanges(3)
    assert [e["seq"] for e in ex] == [32, 33, 34] and ex[-1]["request_body"] == "0123456789"
    obs.finish()
    db = sqlite3.connect(journal.path)
    assert db.execute("SELECT COUNT(*) FROM observe_findings").fetchone()[0] == 32
    meta = dict(db.execute("SELECT key, value FROM observe_meta"))
    assert json.loads(meta["spec"]) == "toy-observe" and json.loads(meta["judge"]) == {"salt": "x"}
    journal.close()


def test_the_pilot_report_skips_what_needs_a_stimulus_and_journal_rederives_it(tmp_path):
    obs, journal, _ = _observed(tmp_path)
    feed(journal, [("ok", 1000.0), ("far too long", 1001.0), ("ok", 1100.0)])
    obs.window_end = 1200.0  # the window's end as SIGINT or --window would set it
    obs.finish()
    live = obs.write(tmp_path / "live", reproduce="vconform report --journal j --out o")
    journal.close()
    assert live["scope"]["stages"] == ["pilot"] and live["stages"] == [{"name": "pilot", "verdict": "fail"}]
    assert live["pilot"] == {"window_start": "1970-01-01T00:16:40+00:00", "window_end": "1970-01-01T00:20:00+00:00",
                             "exchanges": 3, "observed": True, "time_scale": 1.0}
    rows = {(c["id"], c["interface"]): c for i in live["interfaces"] for c in i["checks"]}
    assert rows[("toyobs.effect", "upload")]["verdict"] == "skip"
    assert rows[("toyobs.effect", "upload")]["message"].startswith(observe.STIMULUS)
    size = rows[("toyobs.size", "upload")]
    assert size["verdict"] == "fail" and size["message"].startswith("3 judged: 2 pass, 1 fail, 0 warn; #2 12 bytes")
    assert size["evidence"] == [{"kind": "ref", "exchange": 2}]
    assert [e["seq"] for e in live["exchanges"]] == [2, 3]  # the findings' exchanges, read from the journal
    assert live["verdict"] == "fail"
    written = json.loads((tmp_path / "live" / "report.json").read_text())
    assert written["pilot"]["observed"] is True and written["journal"]["sha256"]

    again = observe.Observer.replay(TOY, tmp_path / "journal.db")
    offline = again.model()
    again.journal.close()
    assert json_equal(offline["interfaces"], written["interfaces"])
    assert json_equal(offline["counts"], written["counts"]) and offline["pilot"] == written["pilot"]


def test_a_judge_that_raises_is_a_harness_error_not_a_verdict(tmp_path):
    obs, journal, lines = _observed(tmp_path)

    def boom(e):
        raise KeyError("surprise")

    obs.judge.see = boom
    feed(journal, [("ok", 1000.0)])
    obs.finish()
    model = obs.model()
    journal.close()
    assert model["verdict"] == "error" and "KeyError" in model["harness_errors"][0]
    assert lines and lines[0].startswith("harness error")


def test_no_traffic_is_no_pass(tmp_path):
    obs, journal, _ = _observed(tmp_path)
    obs.finish()
    model = obs.model()
    journal.close()
    assert model["verdict"] == "fail" and model["pilot"]["exchanges"] == 0


@pytest.mark.parametrize("text,seconds", [("72h", 259200), ("10m", 600), ("90s", 90), ("3d", 259200), ("45", 45)])
def test_window_durations(text, seconds):
    assert observe.parse_window(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-3h", "10 minutes", "h"])
def test_bad_window_durations_are_refused(text):
    with pytest.raises(ValueError):
        observe.parse_window(text)


def test_a_mock_not_observing_keeps_the_plain_journal_method(tmp_path):
    journal = Journal(tmp_path / "j.db")
    assert "record" not in vars(journal)  # the hook is an instance attribute set by attach() only
    journal.close()


def test_an_expired_token_is_a_cue_once_then_a_finding_until_renewed():
    again = observe.ExpiredAgain()
    expired = [Exchange("toy", 0.0, interface="upload", notes={"token": "expired"}, seq=i) for i in (1, 2, 3)]
    assert again.problems(expired[0], "renew first") == []
    second = again.problems(expired[1], "renew first")
    assert len(second) == 1 and second[0].level == "fail" and second[0].message.startswith("#2 upload: sent with")
    again.renewed()
    assert again.problems(expired[2], "renew first") == []
    assert again.problems(Exchange("toy", 0.0, notes={"token": "ok"}), "x") == []


def test_a_scaled_clock_runs_faster_and_still_advances(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(observe.time, "time", lambda: now[0])
    clock = observe.ScaledClock(60)
    now[0] += 15  # 15 real seconds
    assert clock.now() == 1000.0 + 900
    clock.advance(100)
    assert clock.now() == 1000.0 + 1000


def test_a_journal_observed_again_rederives_only_its_own_window(tmp_path):
    journal = Journal(tmp_path / "journal.db")
    feed(journal, [("far too long, before", 900.0), ("also before the window", 901.0)])  # an earlier session
    obs = observe.Observer(TOY, ToyJudge(), journal=journal, window_start=1000.0).attach(_Mock(journal))
    feed(journal, [("ok", 1000.0), ("ok", 1001.0)])
    obs.window_end = 1100.0
    obs.finish()
    live = obs.model()
    journal.close()
    again = observe.Observer.replay(TOY, tmp_path / "journal.db")
    offline = again.model()
    again.journal.close()
    assert live["verdict"] == offline["verdict"] == "pass" and offline["pilot"]["exchanges"] == 2
    assert json_equal(offline["interfaces"], live["interfaces"])


def test_observe_options_alone_are_refused(capsys):
    from harness.cli import main

    assert main(["mock", "yunnan", "--window", "10m"]) == 2
    assert "--window: observe mode only (add --observe)" in capsys.readouterr().err
    assert main(["report", "--journal", "/nonexistent/j.db", "--out", "o"]) == 2
    assert "no such file" in capsys.readouterr().err

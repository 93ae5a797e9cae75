"""Stages are the engine's: one vocabulary in run and report order, one roll-up, unknown names refused."""
from __future__ import annotations

import json

import pytest

from harness import cli, registry, specdata, stages
from harness.registry import SpecInfo
from harness.report.writers import render_junit, stage_names, stage_verdicts


def test_vocabulary_and_order():
    assert stages.names()[:4] == ["interface", "negative", "flow", "fuzz"]
    assert {"pilot", "go-live"} <= set(stages.names())
    assert stages.ordered(["fuzz", "flow", "interface", "flow", "other"]) == ["interface", "flow", "fuzz", "other"]
    with pytest.raises(stages.UnknownStage, match="unknown stage 'golive'; known: interface"):
        stages.require_known(["flow", "golive"])


@pytest.mark.parametrize("verdicts, rolled", [
    (["pass", "warn", "skip"], "pass"), (["pass", "fail", "warn"], "fail"), (["skip", "skip"], "skip"), ([], "skip"),
    (["warn"], "pass"),
])
def test_roll_up(verdicts, rolled):
    assert stages.roll_up(verdicts) == rolled


def test_report_orders_stages_and_rolls_up_the_unstated_ones():
    model = {"stages": [{"name": "flow", "verdict": "fail"}],
             "interfaces": [{"name": "x", "checks": [{"id": "a", "verdict": "skip", "stage": "fuzz"},
                                                     {"id": "b", "verdict": "pass", "stage": "interface"},
                                                     {"id": "c", "verdict": "fail", "stage": "flow"}]}]}
    assert stage_names(model) == ["interface", "flow", "fuzz"]
    assert stage_verdicts(model) == {"interface": "pass", "flow": "fail", "fuzz": "skip"}
    junit = render_junit(model).decode()
    assert junit.index('testsuite name="interface"') < junit.index('testsuite name="flow"') \
        < junit.index('testsuite name="fuzz"')


SUITE = '''\
import pytest

pytestmark = [pytest.mark.role("client"), pytest.mark.stage("{stage}")]


def test_one(vrun):
    pass
'''


@pytest.fixture
def toy_stage_spec(tmp_path, monkeypatch):
    """A single-platform toy spec whose one test carries the stage marker the test writes."""
    data = tmp_path / "schemas" / "toystage"
    data.mkdir(parents=True)
    (data / "errata.toml").write_text('[E-TS-01]\ntitle = "t"\nsections = ["toystage §1"]\ndefault = "d"\n'
                                      'alternative = ""\nswitch = ""\n', "utf-8")
    (data / "profiles.toml").write_text('[default]\ndescription = "defaults"\n', "utf-8")
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "pytest.ini").write_text("[pytest]\npython_files = test_*.py\n", "utf-8")
    registry.discover()
    monkeypatch.setattr(specdata, "SCHEMAS_DIR", tmp_path / "schemas")
    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    spec = SpecInfo(name="toystage", version="T", title_zh="", title_en="", source="", roles=("client",),
                    interfaces={}, suite_dir=suite)
    monkeypatch.setitem(registry._SPECS, spec.name, spec)
    # one file name per stage: the in-process pytest keeps an imported test module by its name
    yield lambda stage: (suite / f"test_toystage_{stage}.py").write_text(SUITE.format(stage=stage), "utf-8")
    specdata.load.cache_clear()


def test_a_suite_with_an_unknown_stage_is_refused_at_collection(toy_stage_spec, tmp_path, capsys):
    toy_stage_spec("smoke")
    assert cli.main(["run", "toystage", "--out", str(tmp_path / "out")]) == 2
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert report["harness_errors"][0] == ("test_toystage_smoke.py::test_one: unknown stage 'smoke'; known: "
                                           + ", ".join(stages.names()))
    assert "HARNESS ERROR" in capsys.readouterr().out


def test_a_suite_with_a_known_stage_runs(toy_stage_spec, tmp_path):
    toy_stage_spec("pilot")
    assert cli.main(["run", "toystage", "--out", str(tmp_path / "out"), "--stage", "pilot"]) == 1  # nothing recorded
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert report["harness_errors"] == [] and report["verdict"] == "fail" and report["counts"]["pass"] == 0

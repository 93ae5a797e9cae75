"""Several platforms ("levels") under one spec document (issue 7 §2), with a toy two-level spec registered
in-process: it shares one data folder (errata register, profiles) and each level has its own suite."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from harness import cli, registry, specdata
from harness.registry import SpecInfo

ERRATA = """\
[E-TD-01]
title = "Upload path: /a (§4.1) or /b (§6.1)"
sections = ["toydoc §4.1", "toydoc §6.1"]
default = "/a"
alternative = "/b"
switch = "upload_path"
switch_default = "a"
switch_values = ["a", "b"]
"""
PROFILES = """\
[default]
description = "Defaults of the errata register"

[path-b]
description = "The other reading of E-TD-01"
inherits = "default"
upload_path = "b"
"""
SUITE = '''\
import pytest

from harness import checks

CHECK = checks.declare("toydoc.{level}.reached", "toydoc §4.1", "major", "可达", "Reached")
pytestmark = [pytest.mark.role("client"), pytest.mark.stage("interface")]


@pytest.mark.interface("{iface}")
def test_{level}(vrun):
    assert vrun.spec.level == "{level}" and vrun.profile["upload_path"] == "a"
    vrun.record(checks.evaluate(CHECK.id, [], interface="{iface}"))


@pytest.mark.stage("flow")
@pytest.mark.interface("{iface}")
def test_{level}_flow(vrun):
    vrun.record(checks.evaluate(CHECK.id, [], interface="{iface}"))
'''
LEVELS = {"city": "gateUpload", "province": "cityUpload"}
ACTIONS = """\
[all]
expects = "Send what the spec asks."
judged_by = []

[actions.gateUpload]
summary_zh = "门禁上传"
summary_en = "Gate upload"
expects = "Upload the gate record."
output = "nothing"
judged_by = []

[actions.cityUpload]
summary_zh = "城市上传"
summary_en = "City upload"
expects = "Forward the record to the province."
output = "nothing"
judged_by = []
"""


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """Register toydoc-city and toydoc-province over a data folder `toydoc` outside the tree; undo afterwards."""
    root = tmp_path_factory.mktemp("toy")
    (root / "schemas" / "toydoc").mkdir(parents=True)
    (root / "schemas" / "toydoc" / "errata.toml").write_text(ERRATA, "utf-8")
    (root / "schemas" / "toydoc" / "profiles.toml").write_text(PROFILES, "utf-8")
    (root / "schemas" / "toydoc" / "actions.toml").write_text(ACTIONS, "utf-8")
    specs = []
    for level, iface in LEVELS.items():
        suite = root / "suites" / level
        suite.mkdir(parents=True)
        (suite / "pytest.ini").write_text("[pytest]\npython_files = test_*.py\naddopts = --strict-markers\n", "utf-8")
        (suite / f"test_toydoc_{level}.py").write_text(textwrap.dedent(SUITE.format(level=level, iface=iface)), "utf-8")
        specs.append(SpecInfo(name=f"toydoc-{level}", document="toydoc", level=level, version="T1",
                              title_zh="玩具规范", title_en=f"Toy spec, {level} platform", source="toy.txt",
                              roles=("client",), interfaces={iface: f"toydoc §6.{len(specs) + 1}"}, suite_dir=suite))
    registry.discover()  # the real specs first: they read their own data when imported
    mp = pytest.MonkeyPatch()
    mp.setattr(specdata, "SCHEMAS_DIR", root / "schemas")
    for spec in specs:
        registry.register(spec)
    yield root
    for spec in specs:
        registry._SPECS.pop(spec.name, None)
    mp.undo()
    specdata.load.cache_clear()


def test_a_level_is_named_after_its_document_and_shares_its_folder(toy):
    city = registry.get("toydoc-city")
    assert (city.document, city.level, city.folder) == ("toydoc", "city", "toydoc")
    assert registry.get("toydoc", "province").name == "toydoc-province"
    assert registry.folder_of("toydoc") == registry.folder_of("toydoc-province") == "toydoc"
    assert registry.get("yunnan").folder == "yunnan" and registry.get("yunnan").level == ""
    with pytest.raises(ValueError, match="named 'toydoc-city'"):
        SpecInfo(name="toydoc", document="toydoc", level="city", version="", title_zh="", title_en="", source="",
                 roles=(), interfaces={}, suite_dir=Path("."))
    with pytest.raises(KeyError, match="has several platforms"):
        registry.get("toydoc")
    with pytest.raises(KeyError, match="no level 'county'"):
        registry.get("toydoc", "county")
    with pytest.raises(KeyError, match="has no levels"):
        registry.get("yunnan", "city")


def test_specs_lists_the_document_with_its_levels(toy, capsys):
    assert cli.main(["specs"]) == 0
    out = capsys.readouterr().out
    block = out[out.index("toydoc\t"):]
    assert block.splitlines()[0] == "toydoc\tT1\tlevels: city, province"
    assert "  level city: toydoc-city\troles: client" in block and "    gateUpload" in block
    assert "  level province: toydoc-province\troles: client" in block and "    cityUpload" in block
    assert ("\n" + out).count("\nshunde\t") == 1 and "\nyunnan\t" in out  # single-platform specs keep plain lines


@pytest.mark.parametrize("argv", [["toydoc-province"], ["toydoc", "--level", "province"]])
def test_actions_of_a_level(toy, capsys, argv):
    assert cli.main(["actions", *argv]) == 0
    out = capsys.readouterr().out
    assert "cityUpload" in out and "Forward the record to the province." in out
    assert "gateUpload" not in out, "a level documents its own actions only"


@pytest.mark.parametrize("name", ["toydoc", "toydoc-city"])
def test_profiles_are_per_document(toy, capsys, name):
    assert cli.main(["profiles", name]) == 0
    out = capsys.readouterr().out
    assert "path-b" in out and "E-TD-01" in out and "[switch: upload_path]" in out


@pytest.mark.parametrize("level", list(LEVELS))
def test_run_arguments_resolve_for_both_forms(toy, level):
    parser = cli.build_parser()
    for argv in (["run", f"toydoc-{level}"], ["run", "toydoc", "--level", level]):
        cfg = cli.run_config(parser.parse_args(argv + ["--profile", "path-b", "--stage", "flow"]))
        assert (cfg.spec, cfg.profile, cfg.stages) == (f"toydoc-{level}", "path-b", ["flow"])


def test_run_refuses_a_document_without_its_level_and_an_unknown_stage(toy, capsys):
    assert cli.main(["run", "toydoc"]) == 2
    assert cli.main(["run", "toydoc-city", "--stage", "pilote"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["vconform: error: toydoc has several platforms: name one (toydoc-city, toydoc-province) "
                   "or add --level city|province",
                   "vconform: error: --stage: unknown stage 'pilote'; known: interface, negative, flow, fuzz, pilot, "
                   "go-live"]


@pytest.mark.parametrize("level", list(LEVELS))
def test_each_level_runs_its_own_suite(toy, tmp_path, monkeypatch, level):
    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    code = cli.main(["run", "toydoc", "--level", level, "--out", str(tmp_path / "out"), "--seed", "1"])
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert code == 0, report["harness_errors"]
    assert report["spec"]["name"] == f"toydoc-{level}"
    assert report["reproduce"].startswith(f"vconform run toydoc-{level} ")
    assert [s["name"] for s in report["stages"]] == ["interface", "flow"]
    assert [i["name"] for i in report["interfaces"]] == [LEVELS[level]] * 2
    assert [e["id"] for e in report["errata"]] == ["E-TD-01"]


def test_a_spec_module_may_register_several_levels(monkeypatch):
    """`SPECS` in suites/<pkg>/spec.py registers every level of a document, with no entry point needed."""
    import sys
    import types

    mod = types.ModuleType("suites.zzlevels.spec")
    mod.SPECS = tuple(SpecInfo(name=f"zzdoc-{lv}", document="zzdoc", level=lv, version="1", title_zh="", title_en="",
                               source="", roles=("client",), interfaces={}, suite_dir=Path("."))
                      for lv in ("a", "b"))
    pkg = types.ModuleType("suites.zzlevels")
    pkg.__path__ = []
    monkeypatch.setitem(sys.modules, "suites.zzlevels", pkg)
    monkeypatch.setitem(sys.modules, "suites.zzlevels.spec", mod)
    import pkgutil
    real = pkgutil.iter_modules
    monkeypatch.setattr(pkgutil, "iter_modules", lambda path=None, prefix="": [
        *real(path, prefix), pkgutil.ModuleInfo(None, "zzlevels", True)])
    monkeypatch.setattr(registry, "_SPECS", {})
    monkeypatch.setattr(registry, "_DISCOVERED", False)
    found = registry.discover()
    assert {"zzdoc-a", "zzdoc-b"} <= set(found) and "yunnan" in found


def test_a_run_leaves_no_hypothesis_folder_where_it_was_started(toy, tmp_path, monkeypatch):
    """`vconform run` keeps Hypothesis's caches under $VCONFORM_HOME and restores the caller's settings after."""
    from hypothesis import settings
    from hypothesis.configuration import storage_directory

    before = (settings._current_profile, storage_directory("x").path)
    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    assert cli.main(["run", "toydoc-city", "--out", str(tmp_path / "out"), "--seed", "1"]) == 0
    assert not (work / ".hypothesis").exists()
    assert (settings._current_profile, storage_directory("x").path) == before

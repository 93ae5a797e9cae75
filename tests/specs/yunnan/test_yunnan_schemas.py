"""Yunnan tables and generated schemas: drift, well-formedness, and the data behind them."""
from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from harness import schemagen, specdata
from schemas.yunnan.rules import RULES

ROOT = Path(__file__).resolve().parents[3]
YN = ROOT / "schemas" / "yunnan"
TABLES = schemagen.load("yunnan")
ERRATA = tomllib.loads((YN / "errata.toml").read_text(encoding="utf-8"))


def test_committed_schemas_equal_a_fresh_build():
    built = schemagen.build("yunnan")
    committed = {p.name: p.read_text(encoding="utf-8") for p in (YN / "generated").glob("*.schema.json")}
    assert set(built) == set(committed)
    for name, schema in built.items():
        assert schemagen.render(schema) == committed[name], f"{name} drifted: run python -m harness.schemagen yunnan"
    assert schemagen.drift("yunnan") == []
    assert schemagen.main(["yunnan", "--check"]) == 0


def test_drift_is_detected_when_a_table_changes(tmp_path, capsys):
    tables = tmp_path / "tables"
    shutil.copytree(YN / "tables", tables)
    codes = tables / "codes.toml"
    codes.write_text(codes.read_text(encoding="utf-8").replace('"6" = "新能源绿黄牌"', '"6" = "新能源绿黄牌"\n"7" = "临时"'),
                     encoding="utf-8")
    drifted = schemagen.drift("yunnan", tables_dir=tables)
    assert "vehicleInfo.request.schema.json" in drifted and "exceedVehicle.response.schema.json" in drifted
    assert "heartBeat.request.schema.json" not in drifted  # no plate colour there
    # write() into a copy of generated/ brings it back in line; --check on the real tree stays clean
    out = tmp_path / "generated"
    shutil.copytree(YN / "generated", out)
    (out / "stale.schema.json").write_text("{}\n", encoding="utf-8")
    changed = schemagen.write("yunnan", tables_dir=tables, out_dir=out)
    assert set(changed) == set(drifted) | {"stale.schema.json"}
    assert schemagen.drift("yunnan", tables_dir=tables, out_dir=out) == []
    assert schemagen.drift("yunnan", out_dir=out)  # the real tables now disagree with that copy


def test_check_lists_drifting_files_and_exits_1(tmp_path, monkeypatch, capsys):
    fake_root = tmp_path / "schemas"
    shutil.copytree(YN, fake_root / "yunnan", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    target = fake_root / "yunnan" / "generated" / "cameraInfo.request.schema.json"
    target.write_text(target.read_text(encoding="utf-8").replace('"maxLength": 25', '"maxLength": 26'), encoding="utf-8")
    monkeypatch.setattr(schemagen, "SCHEMAS_ROOT", fake_root)
    assert schemagen.main(["yunnan", "--check"]) == 1
    assert "cameraInfo.request.schema.json" in capsys.readouterr().out
    assert schemagen.main(["nosuchspec"]) == 2


@pytest.mark.parametrize("name", sorted(schemagen.build("yunnan")))
def test_generated_schema_is_valid_draft_2020_12(name):
    schema = json.loads((YN / "generated" / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(name.removesuffix(".schema.json"))
    if schema.get("type") == "object":
        assert schema["additionalProperties"] is True
        assert "multipleOf" not in json.dumps(schema)


def test_every_interface_of_section_6_is_described():
    assert list(TABLES.interfaces) == [
        "init-auth", "getToken", "enterprise", "cameraInfo", "heartBeat", "exceedVehicle", "basStrategy",
        "strategyConfirm", "alarmVehicle", "alarmConfirm", "vehicleInfo", "nonMachinery", "vehicleAccess",
        "exceedVehicleConfirm",
    ]
    for i, (name, iface) in enumerate(TABLES.interfaces.items(), 1):
        assert iface["section"] == f"yunnan §6.{i}"
        assert iface["kind"] in {"register", "token", "upload", "pull", "confirm", "heartbeat"}
        assert iface["path"] == "/" + name
        for f in iface.get("request", []) + iface.get("response", []) + iface.get("records", []):
            assert f["section"].startswith(iface["section"].split(",")[0])
            assert f["type"] in {"string", "number", "file", "array"}
    # rows per table as printed in the spec (§6.7 and §6.9 records add one example-only field each)
    counts = {n: len(i.get("request", [])) for n, i in TABLES.interfaces.items()}
    assert counts == {"init-auth": 3, "getToken": 2, "enterprise": 20, "cameraInfo": 21, "heartBeat": 1,
                      "exceedVehicle": 1, "basStrategy": 2, "strategyConfirm": 2, "alarmVehicle": 2,
                      "alarmConfirm": 1, "vehicleInfo": 17, "nonMachinery": 17, "vehicleAccess": 15,
                      "exceedVehicleConfirm": 6}


def test_every_referenced_errata_rule_pattern_and_code_table_exists():
    proposed = TABLES.meta.get("proposed_errata", {})
    text = "".join((YN / "tables" / f).read_text(encoding="utf-8") for f in ("interfaces.toml", "codes.toml"))
    for eid in set(re.findall(r"E-YN-\d+", text)):
        assert eid in ERRATA or eid in proposed, eid
    for eid, sw in TABLES.meta["errata_switches"].items():
        assert ERRATA[eid]["switch"] == sw["switch"]
    for iface in TABLES.interfaces.values():
        for r in iface.get("rules", []):
            assert r["fn"] in RULES and r["section"].startswith("yunnan §")
        for f in iface.get("request", []) + iface.get("response", []) + iface.get("records", []):
            assert f.get("code", "x") == "x" or f["code"] in TABLES.codes
            assert "pattern" not in f or f["pattern"] in TABLES.patterns
            for fmt in TABLES.format_names(f) + TABLES.format_names(f.get("alt", {})):
                assert fmt in TABLES.formats
            if "alt" in f or "alias" in f or "absent" in f:
                assert f.get("errata"), f["name"]


def test_code_tables_cover_section_7_and_the_inline_lists():
    for name, table in TABLES.codes.items():
        assert re.fullmatch(r"yunnan §[67]\.\d+(, §[67]\.\d+)*", table["section"]), name
    assert len(TABLES.entries("vehicleType")) == 44 and len(TABLES.entries("plateKind")) == 28
    regions = TABLES.entries("region")
    cities = [c for c, e in regions.items() if e["level"] == "city"]
    assert len(cities) == 16 and "530900" in cities and "5530900" not in regions
    assert regions["530900"]["errata"] == "E-YN-14"
    for code, e in regions.items():
        if e["level"] == "county":
            assert e["parent"] in cities and code[:4] == e["parent"][:4]
    branches = TABLES.entries("industryBranch")
    assert len(TABLES.entries("industryType")) == 40 and len(branches) == 55
    assert all(b["parent"] in TABLES.codes["industryType"]["codes"] for b in branches.values())
    assert list(TABLES.entries("performanceLevel")) == ["A", "B", "B-", "C", "D", "LE", "NL", "X"]
    for inline in ("cameraType", "status", "recordingEnabled", "vehicleUse", "networkStatus", "accessType",
                   "cargoUnit", "exceedlistReason", "isRemove", "pollutionLevel", "strategyLevel", "alarmType",
                   "alarmStatus", "excessVerifica", "isNew"):
        assert TABLES.codes[inline]["section"].startswith("yunnan §6.")


def test_the_endpoint_map_comes_from_the_interface_table():
    """One table: specdata.endpoints() gives the mock and the suites the interface table's facts, nothing else."""
    ep = specdata.endpoints("yunnan")
    assert not (YN / "endpoints.toml").exists()
    assert ep["prefix"] == TABLES.meta["base_path"] == "/access/api/dataReceive"
    assert ep["max_page"] == 100  # the pulls' records arrays: yunnan §6.6/§6.7/§6.9
    assert list(ep["interfaces"]) == list(TABLES.interfaces)
    for name, iface in ep["interfaces"].items():
        assert iface["section"] == TABLES.interfaces[name]["section"] and iface["kind"] == TABLES.interfaces[name]["kind"]
        assert not {"request", "response", "records", "rules"} & set(iface)
    assert specdata.interfaces_of_kind("yunnan", "upload", "heartbeat") == [
        "enterprise", "cameraInfo", "heartBeat", "vehicleInfo", "nonMachinery", "vehicleAccess", "exceedVehicleConfirm"]
    feeds = specdata.feeds("yunnan")
    assert {f: (v["pull"], v["confirm"]) for f, v in feeds.items()} == {
        "exceed": ("exceedVehicle", None), "strategy": ("basStrategy", "strategyConfirm"),
        "alarm": ("alarmVehicle", "alarmConfirm")}
    for feed, f in feeds.items():  # every pull's record id and time are fields of its records
        names = {r["name"] for r in TABLES.record_fields(f["pull"])}
        assert {f["record_id"], f["record_time"]} <= names, feed


def test_field_level_errata_switches_come_from_the_errata_register():
    switches = TABLES.meta["errata_switches"]
    assert switches["E-YN-07"] == {"switch": "nvr_port_field", "default": "nvrPost"}
    assert switches["E-YN-06"] == {"switch": "access_images", "default": "in-json", "accept": "omitted"}
    for f in (f for i in TABLES.interfaces.values() for d in ("request", "response", "records") for f in i.get(d, [])):
        if "alias" in f:  # the validator picks the spelling by the errata's switch
            assert f["errata"] in switches, f["name"]
    assert specdata.profile("yunnan")["nvr_port_field"] == ERRATA["E-YN-07"]["switch_default"]

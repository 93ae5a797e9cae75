"""Shunde's interface table and the action schemas generated from it: drift, and what the suites send fits them."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from harness import schemagen, specdata
from schemas.shunde.datagen import ShundeData
from suites.shunde.actions import action_schema

SD = Path(__file__).resolve().parents[3] / "schemas" / "shunde"
ACTIONS = specdata.interfaces_of_kind("shunde", "action")


def test_committed_action_schemas_equal_a_fresh_build():
    built = schemagen.build("shunde")
    committed = {p.name: p.read_text(encoding="utf-8") for p in (SD / "generated").glob("*.schema.json")}
    assert set(built) == set(committed) == {schemagen.file_name(a, "request") for a in ACTIONS}
    for name, schema in built.items():
        assert schemagen.render(schema) == committed[name], f"{name} drifted: run vconform schemas shunde"
    assert schemagen.drift("shunde") == []
    assert schemagen.main(["shunde", "--check"]) == 0


def test_the_endpoint_map_comes_from_the_interface_table():
    assert not (SD / "endpoints.toml").exists()
    ifaces = specdata.endpoints("shunde")["interfaces"]
    assert ACTIONS == ["connect", "send_positions", "disconnect"]
    assert {n: i["kind"] for n, i in ifaces.items()} == {
        "connect": "action", "heartbeat": "link", "send_positions": "action", "disconnect": "action",
        "framing": "link", "access_result": "sheet"}
    assert ifaces["send_positions"]["messages"] == ["UP_EXG_MSG"]


def _params(mode: str = "real") -> dict:
    data = ShundeData(7)
    end = dt.datetime(2026, 11, 29, 12, 0, 0)
    return {"vehicles": [{"vehicle_no": v["vehicle_no"], "vehicle_color": v["vehicle_color"], "mode": mode,
                          "positions": data.track(6, end)} for v in data.fleet(2, "op")]}


@pytest.mark.parametrize("action", ACTIONS)
def test_action_schema_is_the_generated_file(action):
    schema = action_schema(action)
    Draft202012Validator.check_schema(schema)
    assert schema == json.loads((SD / "generated" / f"{action}.request.schema.json").read_text(encoding="utf-8"))
    assert schema["type"] == "object" and schema["description"]


def test_what_the_suites_send_fits_and_broken_params_are_refused_at_their_path():
    v = Draft202012Validator(action_schema("send_positions"))
    for mode in ("real", "history"):
        assert list(v.iter_errors(_params(mode))) == []
    assert list(Draft202012Validator(action_schema("connect")).iter_errors({})) == []
    bad = _params()
    bad["vehicles"][1]["vehicle_color"] = 5
    bad["vehicles"][0]["positions"][2]["lat"] = 91.0
    bad["vehicles"][0]["positions"][3]["time"] = "2026-11-29 12:00:00"
    bad["vehicles"][1]["mode"] = "live"
    del bad["vehicles"][0]["positions"][4]["lon"]
    got = sorted((e.json_path, e.validator) for e in v.iter_errors(bad))
    assert got == [("$.vehicles[0].positions[2].lat", "maximum"), ("$.vehicles[0].positions[3].time", "pattern"),
                   ("$.vehicles[0].positions[4]", "required"), ("$.vehicles[1].mode", "enum"),
                   ("$.vehicles[1].vehicle_color", "enum")]


def test_a_link_or_sheet_interface_is_no_action():
    assert "not an adapter action" in action_schema("heartbeat")["description"]
    assert "type" not in action_schema("access_result")

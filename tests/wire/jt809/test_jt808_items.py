"""`vconform jt809 decode` of a 2019 position names the JT/T 808 additional items by harness/jt809/jt808_items.toml,
says which items it read into VEC3/VEC2, and shows GNSS_DATA's DATA_LENGTH (tester13 D6)."""
from __future__ import annotations

import datetime as dt

from harness.jt809.bits import ITEMS
from harness.jt809.exg import Location2019
from harness.jt809.jsonview import location2019_from_json, location2019_to_json


def test_additional_items_are_named_and_the_gnss_data_length_shown():
    loc = Location2019(0, dt.datetime(2026, 11, 30, 9, 0, 0), 113.2, 22.8, 30, 31, 1234.5, 90, 12, 3, 0,
                       extras=[(0x25, b"\x00\x00\x00\x01"), (0x30, b"\x19"), (0x31, b"\x0c"), (0xF3, b"\x01\x02")])
    out = location2019_to_json(loc)
    assert out["gnss_data_length"] == len(loc.gnss_data()) == 28 + 6 + 4 + (6 + 3 + 3 + 4)
    named = {x["id_hex"]: (x.get("name"), x.get("value")) for x in out["extras"]}
    assert named == {"0x25": ("extended_signal_status", 1), "0x30": ("signal_strength", 25),
                     "0x31": ("gnss_satellites", 12), "0xF3": (None, None)}  # 0xF3: not in the table, by number
    assert out["items_read_as"] == ["0x01 -> vec3", "0x03 -> vec2"]
    assert location2019_from_json(out) == loc  # the added keys do not change what the view encodes back to


def test_the_items_table_is_whole():
    assert all(row["name"] and row["zh"] for row in ITEMS.values())
    assert {i for i, row in ITEMS.items() if row.get("read_as")} == {0x01, 0x03}

"""JT/T 808 STATE and ALARM bits as named flags (tables in jt808_bits.toml) and the reserved bits that are set."""
from __future__ import annotations

import tomllib
from pathlib import Path

TABLE = Path(__file__).with_name("jt808_bits.toml")
ITEMS_TABLE = Path(__file__).with_name("jt808_items.toml")


def _load() -> dict[str, dict[int, dict]]:
    doc = tomllib.loads(TABLE.read_text(encoding="utf-8"))
    return {word: {int(bit): dict(spec, width=int(spec.get("width", 1))) for bit, spec in rows.items()}
            for word, rows in doc.items()}


BITS = _load()
DEFINED = {word: sum(((1 << s["width"]) - 1) << bit for bit, s in rows.items()) for word, rows in BITS.items()}


def flags(word: str, value: int) -> list[str]:
    """Names of the set flags of a STATE or ALARM value; a multi-bit field as name=value when not zero."""
    out = []
    for bit, spec in sorted(BITS[word].items()):
        field = (value >> bit) & ((1 << spec["width"]) - 1)
        if field:
            out.append(spec["name"] if spec["width"] == 1 else f"{spec['name']}={field:0{spec['width']}b}")
    return out


def reserved(word: str, value: int) -> list[int]:
    """The reserved bits (not in the table) set in a STATE or ALARM value."""
    extra = value & ~DEFINED[word] & 0xFFFFFFFF
    return [b for b in range(32) if extra >> b & 1]


def _load_items() -> dict[int, dict]:
    doc = tomllib.loads(ITEMS_TABLE.read_text(encoding="utf-8"))
    return {int(key, 16): dict(spec) for key, spec in doc["items"].items()}


ITEMS = _load_items()


def item(item_id: int) -> dict | None:
    """The JT/T 808 additional item's row of jt808_items.toml (name, zh, unit, size, read_as), None if not listed."""
    return ITEMS.get(item_id)

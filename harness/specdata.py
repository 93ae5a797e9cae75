"""Load a spec's data files (interface table, profiles, errata register) from schemas/<spec>/.

Each file is checked against its meta-schema (harness/metaschema/) when it is loaded, so a typo in a spec's
TOML is an error naming the file and the key. Each fact is read from one place: the endpoint map comes
from the interface table (schemas/<spec>/tables/), switch defaults from the errata register.
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness import metaschema
from harness.metaschema import SpecDataError  # noqa: F401  (re-exported: callers catch it from here)

SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"
FIELD_LISTS = ("request", "response", "records", "rules")  # what the endpoint map leaves to the schema tables


class ProfileError(ValueError):
    """An unknown profile name or a profile that inherits from nowhere."""


def _read(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _problems(folder: Path, name: str) -> list[str]:
    """Problems of schemas/<spec>/<name>.toml (errata or profiles) against its meta-schema and the register."""
    path, errata_path = folder / f"{name}.toml", folder / "errata.toml"
    shown = metaschema.shown(path)
    if not path.is_file():
        return [f"{shown}: missing file"]
    try:
        data = _read(path)
        errata = _read(errata_path) if errata_path.is_file() else {}
    except tomllib.TOMLDecodeError as exc:
        return [f"{shown}: not TOML: {exc}"]
    problems = metaschema.schema_problems(name, data, shown)
    if name == "errata":
        problems += metaschema.errata_problems(data, shown)
    elif name == "profiles" and not problems:
        problems += metaschema.profile_problems(data, errata, shown, metaschema.shown(errata_path))
    return problems


def validate_spec_data(folder: Path | str) -> list[str]:
    """Every problem of a spec folder's data (errata, profiles, tables) against the meta-schemas; [] when fine."""
    from harness import schemagen

    folder = Path(folder)
    problems = _problems(folder, "errata") + _problems(folder, "profiles")
    if (folder / "tables").is_dir():
        errata_path = folder / "errata.toml"
        try:
            errata = _read(errata_path) if errata_path.is_file() else None
        except tomllib.TOMLDecodeError:
            errata = None  # already reported
        problems += schemagen.read_tables(folder / "tables", errata)[2]
    return problems


@lru_cache(maxsize=None)
def load(spec: str, name: str) -> dict[str, Any]:
    """Read schemas/<spec>/<name>.toml; the errata register and profiles are checked against the meta-schema."""
    if name in ("errata", "profiles"):
        problems = _problems(SCHEMAS_DIR / spec, name)
        if problems:
            raise SpecDataError(problems)
    return _read(SCHEMAS_DIR / spec / f"{name}.toml")


@lru_cache(maxsize=None)
def endpoints(spec: str) -> dict[str, Any]:
    """The endpoint map, from the interface table: its settings (base_path also as `prefix`, max_page from the
    pulls' records arrays) and per interface everything but the field lists and rules."""
    from harness import schemagen

    tables = schemagen.load(spec)
    out: dict[str, Any] = {k: v for k, v in tables.meta.items() if not isinstance(v, (dict, list))}
    if "base_path" in out:
        out["prefix"] = out["base_path"]
    pages = {f["max_items"] for i in tables.interfaces.values() if i["kind"] == "pull"
             for f in i.get("response", []) if f["type"] == "array" and "max_items" in f}
    if len(pages) > 1:
        raise SpecDataError([f"schemas/{spec}/tables: the pulls' record arrays differ in max_items: {sorted(pages)}"])
    if pages:
        out["max_page"] = pages.pop()
    out["interfaces"] = {name: {k: v for k, v in iface.items() if k not in FIELD_LISTS}
                         for name, iface in tables.interfaces.items()}
    return out


def sections(spec: str, level: str = "") -> dict[str, str]:
    """Interface name -> clause, in table order: what a SpecInfo lists as its `interfaces`. With a level, the
    interfaces of that platform of a multi-platform document (its `level` key) and those without a level."""
    return {name: iface["section"] for name, iface in endpoints(spec)["interfaces"].items()
            if not level or iface.get("level", level) == level}


def interfaces_of_kind(spec: str, *kinds: str) -> list[str]:
    """The interfaces of the given kinds, in table order."""
    return [name for name, iface in endpoints(spec)["interfaces"].items() if iface["kind"] in kinds]


def feeds(spec: str) -> dict[str, dict[str, Any]]:
    """Feed name -> its pull interface (`pull`), the confirm interface of the same feed (`confirm`, None when the
    feed has none) and the pull's record_id, record_time, timestamp_field and owner_field (None when absent)."""
    ifaces = endpoints(spec)["interfaces"]
    out = {}
    for name, iface in ifaces.items():
        if iface["kind"] == "pull":
            confirm = next((c for c, ci in ifaces.items() if ci["kind"] == "confirm" and ci["feed"] == iface["feed"]), None)
            out[iface["feed"]] = {"pull": name, "confirm": confirm, "owner_field": iface.get("owner_field")} | {
                k: iface[k] for k in ("record_id", "record_time", "timestamp_field")}
    return out


def errata(spec: str) -> dict[str, dict[str, Any]]:
    return load(spec, "errata")


def switch_defaults(spec: str) -> dict[str, Any]:
    """Every errata switch at its default reading: where every profile starts."""
    return {sw: e["switch_default"] for sw, e in metaschema.switches(errata(spec)).items()}


def profile_names(spec: str) -> list[str]:
    return list(load(spec, "profiles"))


def profile(spec: str, name: str | None = None) -> dict[str, Any]:
    """A profile with its `inherits` chain resolved over the switch defaults; its own name under the key `name`."""
    profiles = load(spec, "profiles")
    name = name or "default"
    if "," in name:  # profiles composed: `--profile jt809-2019,encrypted`
        return compose(profile(spec), [profile(spec, part.strip()) for part in name.split(",")], name)
    if name not in profiles:
        raise ProfileError(f"unknown profile {name!r} for {spec}; known: {', '.join(profiles)}")
    chain, cur, seen = [], name, set()
    while cur:
        if cur in seen or cur not in profiles:
            raise ProfileError(f"profile {name!r}: bad inherits chain at {cur!r}")
        seen.add(cur)
        chain.append(profiles[cur])
        cur = profiles[cur].get("inherits")
    out: dict[str, Any] = switch_defaults(spec)
    for layer in reversed(chain):
        out.update({k: v for k, v in layer.items() if k != "inherits"})
    out["name"] = name
    return out


def compose(base: dict[str, Any], parts: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """Profiles combined: each part's changes from `base` (the default profile) applied together; two parts that set
    one switch or setting to different values are refused (ProfileError: exit 2)."""
    out, by = dict(base), {}
    for part in parts:
        for key, value in part.items():
            if key in ("name", "description") or value == base.get(key):
                continue
            if key in by and out[key] != value:
                raise ProfileError(f"profiles {by[key]!r} and {part['name']!r} set {key} to {out[key]!r} and "
                                   f"{value!r}: they cannot be combined")
            out[key], by[key] = value, part["name"]
    out["description"] = " + ".join(str(p.get("description", p["name"])) for p in parts)
    out["name"] = name
    return out


def known_gaps(folder: str) -> list[dict[str, Any]]:
    """Checks of a spec that no broken implementation can make fail, each with its reason and expiry
    (schemas/<folder>/known_gaps.toml; none when the file is absent). Every report lists them."""
    path = SCHEMAS_DIR / folder / "known_gaps.toml"
    if not path.is_file():
        return []
    with path.open("rb") as fh:
        return [{k: str(v) for k, v in g.items()} for g in tomllib.load(fh).get("gap", [])]

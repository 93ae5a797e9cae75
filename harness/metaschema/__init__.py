"""Meta-schemas of a spec's data files, and the checks JSON Schema cannot state (references between files).

Every problem is one line naming the file and the key, e.g.
`schemas/<spec>/errata.toml: E-XX-03.defualt: unknown key`.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from jsonschema import Draft202012Validator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PROFILE_KEYS = ("description", "inherits", "strict")  # what any profile may set besides switches and settings
SCALAR_ITEMS = ("string", "number", "integer", "boolean")


class SpecDataError(ValueError):
    """A spec's data file does not match its meta-schema or names something that does not exist."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@lru_cache(maxsize=None)
def validator(kind: str) -> Draft202012Validator:
    """The validator of one kind of file: interfaces, codes, errata or profiles."""
    schema = json.loads((HERE / f"{kind}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def shown(path: Path | str) -> str:
    """A file name for messages: relative to the project when inside it."""
    path = Path(path)
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def _key(parts: Iterable[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def schema_problems(kind: str, data: Any, file: str) -> list[str]:
    """Problems of one file against its meta-schema, as `file: key: what`."""
    out = []
    for err in sorted(validator(kind).iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        at = list(err.absolute_path)
        if err.validator == "additionalProperties" and err.validator_value is False:
            for extra in sorted(set(err.instance) - set(err.schema.get("properties", {}))):
                out.append(f"{file}: {_key(at + [extra])}: unknown key")
        elif err.validator == "required":
            for missing in err.validator_value:
                if isinstance(err.instance, dict) and missing not in err.instance:
                    out.append(f"{file}: {_key(at + [missing])}: missing")
        elif err.validator == "not" and isinstance(err.validator_value, dict) and "required" in err.validator_value:
            out.append(f"{file}: {_key(at + err.validator_value['required'])}: not allowed here")
        elif err.validator == "propertyNames":
            out.append(f"{file}: {_key(at + [err.instance])}: {err.message}")
        else:
            out.append(f"{file}: {_key(at)}: {err.message}")
    return list(dict.fromkeys(out))


# ---- references between files -----------------------------------------------------------------------
def switches(errata: dict[str, dict]) -> dict[str, dict]:
    """Switch name -> its errata entry (with the id under `id`), for entries that have a switch."""
    return {e["switch"]: {"id": eid, **e} for eid, e in errata.items() if isinstance(e, dict) and e.get("switch")}


def errata_problems(errata: dict, file: str) -> list[str]:
    out, seen = [], {}
    for eid, e in errata.items():
        if not isinstance(e, dict) or not e.get("switch"):
            continue
        if e["switch"] in seen:
            out.append(f"{file}: {eid}.switch: {e['switch']!r} is already the switch of {seen[e['switch']]}")
        seen[e["switch"]] = eid
        values = e.get("switch_values")
        for key in ("switch_default", "switch_accept"):
            if values and key in e and e[key] not in values:
                out.append(f"{file}: {eid}.{key}: {e[key]!r} is not one of switch_values {values}")
    return out


def profile_problems(profiles: dict, errata: dict, file: str, errata_file: str) -> list[str]:
    """Every key a profile sets is a switch of the errata register or a setting of [default]; values allowed."""
    out = []
    sw = switches(errata)
    settings = {k for k in profiles.get("default", {}) if k not in PROFILE_KEYS}
    for key in sorted(settings & set(sw)):
        out.append(f"{file}: default.{key}: a switch's default is written once, as "
                   f"{sw[key]['id']}.switch_default in {errata_file}")
    for name, prof in profiles.items():
        if not isinstance(prof, dict):
            continue
        parent = prof.get("inherits")
        if parent is not None and parent not in profiles:
            out.append(f"{file}: {name}.inherits: unknown profile {parent!r}")
        cur, seen = name, set()
        while cur in profiles and isinstance(profiles[cur], dict):
            if cur in seen:
                out.append(f"{file}: {name}.inherits: the chain comes back to {cur!r}")
                break
            seen.add(cur)
            cur = profiles[cur].get("inherits")
        for key, value in prof.items():
            if key in PROFILE_KEYS or (name == "default" and key in settings):
                continue
            if key in sw:
                values = sw[key].get("switch_values")
                if values and value not in values:
                    out.append(f"{file}: {name}.{key}: {value!r} is not one of {values} ({sw[key]['id']} in {errata_file})")
            elif key not in settings:
                out.append(f"{file}: {name}.{key}: unknown switch (not a switch of {errata_file} nor a setting of [default])")
    return out


def _field_lists(meta: dict, interfaces: dict):
    """(key path, field) of every field of every interface and named object."""
    for name, iface in interfaces.items():
        if not isinstance(iface, dict):
            continue
        for direction in ("request", "response", "records"):
            for i, f in enumerate(iface.get(direction) or []):
                if isinstance(f, dict):
                    yield f"interfaces.{name}.{direction}[{i}]", f
    for oname, fields in (meta.get("objects") or {}).items():
        for i, f in enumerate(fields if isinstance(fields, list) else []):
            if isinstance(f, dict):
                yield f"objects.{oname}[{i}]", f


def table_problems(data: dict, codes: dict, errata: dict | None, file: str) -> list[str]:
    """Names a table uses that must exist: code tables, patterns, formats, objects, errata ids, feeds."""
    out = []
    interfaces = data.get("interfaces") or {}
    objects = data.get("objects") or {}
    known_errata = set(errata or {}) | set(data.get("proposed_errata") or {})
    for at, f in _field_lists(data, interfaces):
        for key, pool in (("code", codes), ("pattern", data.get("patterns") or {})):
            if key in f and f[key] not in pool:
                out.append(f"{file}: {at}.{key}: unknown {key} {f[key]!r}")
        fmts = f.get("format")
        for fmt in [fmts] if isinstance(fmts, str) else (fmts or []):
            if fmt not in (data.get("formats") or {}):
                out.append(f"{file}: {at}.format: unknown format {fmt!r}")
        if "fields" in f and f["fields"] not in objects:
            out.append(f"{file}: {at}.fields: unknown object {f['fields']!r}")
        if "items" in f and f["items"] not in objects and f["items"] not in SCALAR_ITEMS:
            out.append(f"{file}: {at}.items: unknown object {f['items']!r}")
        if errata is not None and f.get("errata") and f["errata"] not in known_errata:
            out.append(f"{file}: {at}.errata: unknown errata {f['errata']!r}")
    feeds = {i.get("feed") for i in interfaces.values() if isinstance(i, dict) and i.get("kind") == "pull"}
    for name, iface in interfaces.items():
        if not isinstance(iface, dict):
            continue
        if iface.get("kind") == "confirm" and iface.get("feed") not in feeds:
            out.append(f"{file}: interfaces.{name}.feed: no pull serves feed {iface.get('feed')!r}")
        refs = [(f"aliases[{i}]", a) for i, a in enumerate(iface.get("aliases") or [])]
        refs += [("shared_path", iface["shared_path"])] if iface.get("shared_path") else []
        for at, ref in refs:
            if errata is not None and isinstance(ref, dict) and ref.get("errata") not in known_errata:
                out.append(f"{file}: interfaces.{name}.{at}.errata: unknown errata {ref.get('errata')!r}")
    return out


def code_problems(tables: dict, file: str, all_codes: dict) -> list[str]:
    out = []
    for name, t in tables.items():
        if not isinstance(t, dict) or not isinstance(t.get("codes"), dict):
            continue
        parent_table = t.get("parent_table")
        if parent_table and parent_table not in all_codes:
            out.append(f"{file}: {name}.parent_table: unknown code table {parent_table!r}")
            continue
        pool = all_codes[parent_table].get("codes", {}) if parent_table else t["codes"]
        for code, entry in t["codes"].items():
            if isinstance(entry, dict) and "parent" in entry and entry["parent"] not in pool:
                out.append(f"{file}: {name}.codes.{code}.parent: {entry['parent']!r} is no code of "
                           f"{parent_table or name}")
    return out

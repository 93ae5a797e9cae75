"""Generate JSON Schemas (draft 2020-12) from a spec's TOML field and code tables."""
from __future__ import annotations

import argparse
import functools
import json
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import metaschema

DRAFT = "https://json-schema.org/draft/2020-12/schema"
DIRECTIONS = ("request", "response")
SCALAR_ITEMS = ("string", "number", "integer", "boolean")  # array items that name a JSON type, not an object
SCHEMAS_ROOT = Path(__file__).resolve().parent.parent / "schemas"


@dataclass(frozen=True)
class Tables:
    """A spec's tables: code tables by name, interfaces by action name, and the shared definitions."""

    spec: str
    codes: dict[str, dict[str, Any]]
    interfaces: dict[str, dict[str, Any]]
    meta: dict[str, Any]  # everything else of the interfaces file: formats, patterns, file, switches

    @property
    def formats(self) -> dict[str, dict[str, str]]:
        return self.meta.get("formats", {})

    @property
    def objects(self) -> dict[str, list[dict[str, Any]]]:
        """Named field lists: the fields of an object field, or of the items of an array field."""
        return self.meta.get("objects", {})

    @property
    def generate(self) -> dict[str, Any]:
        """What to generate: directions, interface kinds (all when absent), schema of an empty field list."""
        return {"directions": list(DIRECTIONS), "kinds": None, "empty": "null", "optional_null": True} | self.meta.get("generate", {})

    @property
    def patterns(self) -> dict[str, dict[str, str]]:
        return self.meta.get("patterns", {})

    def fields(self, interface: str, direction: str) -> list[dict[str, Any]]:
        return self.interfaces[interface].get(direction, [])

    def record_fields(self, interface: str) -> list[dict[str, Any]]:
        return self.interfaces[interface].get("records", [])

    def entries(self, table: str) -> dict[str, dict[str, Any]]:
        """Code -> {name, ...} of a code table, whatever form the TOML used."""
        raw = self.codes[table]["codes"]
        return {c: (v if isinstance(v, dict) else {"name": v}) for c, v in raw.items()}

    def code_values(self, field: dict[str, Any]) -> list[str]:
        """The codes a field accepts: its table's codes, filtered by code_level when the field has one."""
        level = field.get("code_level")
        return [c for c, e in self.entries(field["code"]).items() if level is None or e.get("level") == level]

    def format_names(self, field: dict[str, Any]) -> list[str]:
        fmt = field.get("format")
        return [] if not fmt else [fmt] if isinstance(fmt, str) else list(fmt)


def spec_dir(spec: str) -> Path:
    return SCHEMAS_ROOT / spec


def _read(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def read_tables(folder: Path, errata: dict | None = None) -> tuple[dict, dict | None, list[str]]:
    """(code tables, the interface file's data, problems) of a tables folder, checked against the meta-schemas.

    `errata` is the spec's errata register, to check the errata ids the tables cite (None: not checked)."""
    codes: dict[str, dict[str, Any]] = {}
    meta: dict[str, Any] | None = None
    problems: list[str] = []
    code_files: list[tuple[str, dict]] = []
    iface_file = ""
    for path in sorted(Path(folder).glob("*.toml")):
        shown = metaschema.shown(path)
        try:
            data = _read(path)
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"{shown}: not TOML: {exc}")
            continue
        if "interfaces" in data:
            if meta is not None:
                problems.append(f"{shown}: interfaces: a second file defines interfaces ({iface_file} does)")
                continue
            meta, iface_file = data, shown
            problems += metaschema.schema_problems("interfaces", data, shown)
            continue
        problems += metaschema.schema_problems("codes", data, shown)
        code_files.append((shown, data))
        for name, table in data.items():
            if name in codes:
                problems.append(f"{shown}: {name}: code table defined twice")
            codes[name] = table
    for shown, data in code_files:
        problems += metaschema.code_problems(data, shown, codes)
    if meta is None:
        problems.append(f"{metaschema.shown(folder)}: no file defines interfaces")
    elif not problems:
        problems += metaschema.table_problems(meta, codes, errata, iface_file)
    return codes, meta, problems


@functools.lru_cache(maxsize=16)
def load(spec: str, tables_dir: Path | None = None) -> Tables:
    """Read every TOML file of schemas/<spec>/tables: the one with `interfaces`, the rest code tables.

    The files are checked against harness/metaschema/ first: a typo is an error here, naming file and key.
    `errata_switches` (errata id -> switch, default, accept) is derived from the spec's errata.toml."""
    folder = Path(tables_dir) if tables_dir is not None else spec_dir(spec) / "tables"
    errata_path = folder.parent / "errata.toml"
    errata = _read(errata_path) if errata_path.is_file() else None
    codes, meta, problems = read_tables(folder, errata)
    if problems:
        raise metaschema.SpecDataError(problems)
    meta = dict(meta)
    interfaces = meta.pop("interfaces")
    meta["errata_switches"] = {
        e["id"]: {"switch": sw, "default": e["switch_default"]} | ({"accept": e["switch_accept"]} if "switch_accept" in e else {})
        for sw, e in metaschema.switches(errata or {}).items()}
    return Tables(spec, codes, interfaces, meta)


def _unanchor(regex: str) -> str:
    # Patterns are stored anchored; combining or loosening them needs the bare body.
    return regex.removeprefix("^").removesuffix("$")


def field_regex(tables: Tables, field: dict[str, Any]) -> str | None:
    """The single regex a string field must match (its named pattern, format(s) or data-URL form)."""
    parts = []
    if field.get("pattern"):
        parts.append(tables.patterns[field["pattern"]]["regex"])
    names = tables.format_names(field)
    if names:
        bodies = [_unanchor(tables.formats[n]["regex"]) for n in names]
        parts.append(f"^(?:{'|'.join(bodies)})$" if len(bodies) > 1 else tables.formats[names[0]]["regex"])
    if field.get("type") == "file":
        parts.append(tables.meta["file"]["regex"])
    if len(parts) > 1:
        raise ValueError(f"field {field['name']}: pattern, format and file are exclusive")
    return parts[0] if parts else None


def field_schema(tables: Tables, field: dict[str, Any], record_fields: list | None = None) -> dict[str, Any]:
    """The JSON Schema of one field; optional fields also take null and (strings) the empty string."""
    kind = field["type"]
    optional = not field.get("required", False)
    nullable = optional and tables.generate["optional_null"]  # else an absent field is left out, not sent as null
    s: dict[str, Any] = {"description": field.get("zh", field.get("description", "")), "x-section": field["section"]}
    if field.get("zh_type"):
        s["x-zh-type"] = field["zh_type"]
    for key in ("errata", "alt", "alias", "note", "checksum", "precision"):
        if key in field:
            s[f"x-{key}"] = field[key]
    if kind == "array":
        # Items: a named object of [objects], a scalar type, or (by default) the interface's records.
        items = field.get("items")
        s["type"] = "array"
        if items is None:
            s["items"] = object_schema(tables, record_fields or [])
        elif items in SCALAR_ITEMS:
            s["items"] = {"type": items}
        else:
            s["items"] = object_schema(tables, tables.objects[items], record_fields)
        if "min_items" in field:
            s["minItems"] = field["min_items"]
        if "max_items" in field:
            s["maxItems"] = field["max_items"]
        return s
    if kind == "object":
        return s | object_schema(tables, tables.objects[field["fields"]], record_fields)
    for key in ("enum", "default"):
        if key in field:
            s[key] = field[key]
    if kind == "boolean":
        s["type"] = ["boolean", "null"] if nullable else "boolean"
        return s
    if kind == "number":
        s["type"] = "integer" if field.get("integer") else "number"
        for key in ("minimum", "maximum"):
            if key in field:
                s[key] = field[key]
        if nullable:
            s["type"] = [s["type"], "null"]
        return s
    if kind not in ("string", "file"):
        raise ValueError(f"field {field['name']}: unknown type {kind!r}")
    s["type"] = ["string", "null"] if nullable else "string"
    if kind == "file":
        s["x-file"] = True
    regex = field_regex(tables, field)
    if regex is not None:
        # An optional field may be sent empty (§6.4 gateId 可为空), so the pattern admits "".
        s["pattern"] = f"^(?:{_unanchor(regex)})?$" if nullable else regex
    if field.get("code"):
        values = tables.code_values(field)
        s["enum"] = values + (["", None] if nullable else [])
        s["x-code-table"] = field["code"]
        s["x-code-section"] = tables.codes[field["code"]]["section"]
    if "length" in field:
        s["maxLength"] = field["length"]
        if not optional:
            s["minLength"] = field["length"]
    if "max_length" in field:
        s["maxLength"] = field["max_length"]
    if "min_length" in field and not optional:
        s["minLength"] = field["min_length"]
    if not optional and "minLength" not in s:
        s["minLength"] = 1  # a required string that is empty is as good as absent
    return s


def object_schema(tables: Tables, fields: list[dict[str, Any]], record_fields: list | None = None) -> dict[str, Any]:
    """An object of the given fields; `record_fields` describe the items of an array field."""
    return {
        "type": "object",
        "additionalProperties": True,  # unknown fields are warnings in the validator, not schema errors
        "properties": {f["name"]: field_schema(tables, f, record_fields) for f in fields},
        "required": [f["name"] for f in fields if f.get("required")],
    }


def interface_schema(tables: Tables, name: str, direction: str) -> dict[str, Any]:
    iface = tables.interfaces[name]
    fields = tables.fields(name, direction)
    what = "plaintext 接口参数" if direction == "request" else "decrypted data of the answer"
    origin = "Generated by harness/schemagen.py from tables/*.toml."
    if "path" in iface:
        described = f"{iface['section']} {iface['path']}: {what}. {origin}"
    else:  # an adapter action without a path of its own: its description says what the software does
        described = f"{iface.get('description', what)} ({iface['section']}) {origin}"
    head = {
        "$schema": DRAFT,
        "$id": f"urn:vconform:schemas:{tables.spec}:{name}.{direction}",
        "title": f"{tables.spec} {name} {direction}" + (f" — {iface['zh']}" if "zh" in iface else ""),
        "description": described,
        "x-section": iface["section"],
        "x-kind": iface["kind"],
    }
    # A rule's scope is the request (default), the response, or each item of the response's records.
    scopes = {"request": ("request",), "response": ("response", "records")}[direction]
    rules = [f"{r['fn']}{' (each record)' if r.get('scope') == 'records' else ''}: {r['section']}"
             for r in iface.get("rules", []) if r.get("scope", "request") in scopes]
    if rules:  # cross-field rules JSON Schema cannot state; the spec's validator runs them
        head["x-rules"] = rules
    if not fields and tables.generate["empty"] == "object":
        return head | object_schema(tables, [])
    if not fields:
        return head | {"type": "null", "description": head["description"] + " The spec shows data null."}
    return head | object_schema(tables, fields, tables.record_fields(name))


def file_name(interface: str, direction: str) -> str:
    return f"{interface}.{direction}.schema.json"


def build(spec: str, tables_dir: Path | None = None) -> dict[str, dict]:
    """Every schema of a spec, keyed by its file name under schemas/<spec>/generated/."""
    tables = load(spec, Path(tables_dir) if tables_dir is not None else None)
    gen = tables.generate
    return {file_name(n, d): interface_schema(tables, n, d) for n, iface in tables.interfaces.items()
            if gen["kinds"] is None or iface["kind"] in gen["kinds"] for d in gen["directions"]}


def render(schema: dict) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def drift(spec: str, tables_dir: Path | None = None, out_dir: Path | None = None) -> list[str]:
    """File names whose committed text differs from what the tables generate (missing and stale too)."""
    out = Path(out_dir) if out_dir is not None else spec_dir(spec) / "generated"
    built = {name: render(schema) for name, schema in build(spec, tables_dir).items()}
    bad = []
    for name, text in sorted(built.items()):
        path = out / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            bad.append(name)
    bad += sorted(p.name for p in out.glob("*.schema.json") if p.name not in built)
    return bad


def write(spec: str, tables_dir: Path | None = None, out_dir: Path | None = None) -> list[str]:
    """Regenerate; returns the file names written or removed."""
    out = Path(out_dir) if out_dir is not None else spec_dir(spec) / "generated"
    out.mkdir(parents=True, exist_ok=True)
    changed = drift(spec, tables_dir, out)
    built = build(spec, tables_dir)
    for name in changed:
        path = out / name
        if name in built:
            path.write_text(render(built[name]), encoding="utf-8", newline="\n")
        else:
            path.unlink()
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m harness.schemagen", description=__doc__)
    ap.add_argument("spec", help="spec short name, a folder under schemas/")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 and list the files that drift")
    args = ap.parse_args(argv)
    if not (spec_dir(args.spec) / "tables").is_dir():
        print(f"no tables for spec {args.spec!r} in schemas/{args.spec}/tables", file=sys.stderr)
        return 2
    if args.check:
        bad = drift(args.spec)
        for name in bad:
            print(f"drift: schemas/{args.spec}/generated/{name}")
        return 1 if bad else 0
    for name in write(args.spec):
        print(f"wrote schemas/{args.spec}/generated/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

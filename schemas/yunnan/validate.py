"""Validate yunnan plaintext requests and decrypted answers against the generated schemas, errata and rules."""
from __future__ import annotations

import functools
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from harness.checks import Problem
from harness.schemagen import Tables, field_schema, load

from . import identifiers
from .rules import KINDS, RuleContext, Violation, run

__all__ = ["KINDS", "Violation", "validate", "to_problems", "default_profile"]

SPEC = "yunnan"
GENERATED = Path(__file__).resolve().parent / "generated"
DIRECTIONS = ("request", "response")
_CHECKSUMS = {"vin": identifiers.is_valid_vin, "uscc": identifiers.is_valid_uscc}
# When one value breaks several keywords, report the one that says most about it.
_PRIORITY = {"type": 0, "required": 1, "length": 2, "code": 3, "format": 4}


def _tables() -> Tables:
    return load(SPEC)


@functools.lru_cache(maxsize=None)
def _validator(interface: str, direction: str):
    from jsonschema import Draft202012Validator  # imported on first use: importing this module stays cheap

    schema = json.loads((GENERATED / f"{interface}.{direction}.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


@functools.lru_cache(maxsize=None)
def _fast_validator(interface: str, direction: str):
    """jsonschema-rs over the same schema: ~50x faster, used only to skip the detailed pass on valid data.

    The mock validates every request on its hot path (PERFORMANCE.md: 171 µs with jsonschema); a valid
    object needs no error list, so the Python validator runs only when this one says the object is invalid.
    `format` is not asserted, exactly as Draft202012Validator does without a FormatChecker."""
    try:
        import jsonschema_rs
    except ImportError:  # the detailed validator alone is correct, only slower
        return None
    schema = json.loads((GENERATED / f"{interface}.{direction}.schema.json").read_text(encoding="utf-8"))
    return jsonschema_rs.validator_for(schema, validate_formats=False)


@functools.lru_cache(maxsize=None)
def _field_validator(interface: str, direction: str, name: str, alt: bool):
    """A validator for one field alone, as the table says it (alt=False) or as its errata allows (alt=True)."""
    from jsonschema import Draft202012Validator

    fdef = _field_defs(interface, direction)[name]
    if alt:
        fdef = {**fdef, **fdef["alt"]}
        fdef = {k: v for k, v in fdef.items() if v != ""}  # alt code = "" drops the code table
    return Draft202012Validator(field_schema(_tables(), fdef))


@functools.lru_cache(maxsize=None)
def _field_defs(interface: str, direction: str) -> dict[str, dict]:
    """Field definitions by name; direction "records" gives the items of data.records."""
    t = _tables()
    fields = t.record_fields(interface) if direction == "records" else t.fields(interface, direction)
    return {f["name"]: f for f in fields}


def default_profile() -> dict[str, Any]:
    """The errata switches at their default readings (errata.toml), plus strict = False."""
    return {e["switch"]: e["default"] for e in _tables().meta["errata_switches"].values()} | {"strict": False}


def _path(parts) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def _describe(value: Any, chars: bool = False) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return f"{value!r} (a number)"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    shown = repr(value) if len(value) <= 40 else repr(value[:32]) + "…"
    n = len(value)
    return f"{shown} ({n} char{'s' if n != 1 else ''})" if chars or n > 40 else shown


def _requires(fdef: dict, kind: str) -> str:
    """What the spec asks of a field, in words, for the given kind of violation."""
    t = _tables()
    if kind == "required":
        return f"{fdef.get('zh', '')} ({fdef['name']}), a required field"
    if kind == "type":
        what = {"string": "a string", "number": "an integer" if fdef.get("integer") else "a number",
                "file": "an image data URL string", "array": "a list"}[fdef["type"]]
        return f"{what} ({fdef.get('zh_type', fdef['type'])})"
    if kind == "code":
        table = t.codes[fdef["code"]]
        values = t.code_values(fdef)
        names = t.entries(fdef["code"])
        listed = ", ".join(f"{c} {names[c]['name']}" for c in values[:8])
        if len(values) > 8:
            listed += f", … ({len(values)} codes)"
        level = f" at {fdef['code_level']} level" if fdef.get("code_level") else ""
        return f"a code of {table['title']}{level} ({table['section'].removeprefix(SPEC + ' ')}): {listed}"
    shape = [t.patterns[fdef["pattern"]]["text"]] if fdef.get("pattern") else []
    shape += [t.formats[n]["text"] for n in t.format_names(fdef)]  # a list of formats: any one of them
    if fdef["type"] == "file":
        shape.append(t.meta["file"]["text"])
    words = [" or ".join(shape)] if shape else []
    if kind == "length" and not shape:
        if "length" in fdef:
            words.append(f"exactly {fdef['length']} characters")
        elif fdef["type"] == "array":
            words.append(f"at most {fdef['max_items']} items")
        else:
            words.append(f"{fdef.get('min_length', 1)} to {fdef.get('max_length', '…')} characters")
    if "minimum" in fdef and "maximum" in fdef:
        words.append(f"a value from {fdef['minimum']} to {fdef['maximum']}")
    elif "minimum" in fdef:
        words.append(f"a value of at least {fdef['minimum']}")
    if "precision" in fdef:
        words.append(f"at most {fdef['precision']} decimals")
    return ", ".join(words) if words else "a valid value"


def _kind(err, fdef: dict) -> str:
    v, value = err.validator, err.instance
    if v == "type":
        return "not_object" if err.schema.get("type") == "object" else "type"
    if v in ("minLength", "maxLength", "maxItems"):
        return "required" if value == "" and fdef.get("required") else "length"
    if v == "enum":
        return "code"
    if v == "pattern" and isinstance(value, str):
        # A fixed or bounded length the value misses says more than "does not match".
        lo = fdef.get("length", fdef.get("min_length", 0))
        hi = fdef.get("length", fdef.get("max_length", 10**9))
        if value and not lo <= len(value) <= hi:
            return "length"
    return "format"


def _coerce(value: Any, to: str) -> Any:
    """The value in the table's type, when it came in the example's type (E-YN-08); None if it cannot be."""
    if to == "number" and isinstance(value, str) and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value):
        return float(value) if "." in value else int(value)
    if to == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else repr(value)
    return None


class _Run:
    """One validation: the profile, the violations so far, and which fields already failed."""

    def __init__(self, interface: str, direction: str, obj: dict, profile: dict | None):
        self.t = _tables()
        self.interface, self.direction, self.obj = interface, direction, obj
        self.profile = default_profile() | (profile or {})
        self.out: list[Violation] = []
        self.bad: dict[tuple, set[str]] = {}  # object path -> names of its fields that failed
        self.renamed: dict[tuple, str] = {}  # path under the table name -> the name the sender used

    def add(self, parts: tuple, fdef: dict | None, kind: str, received: str, requires: str,
            level: str = "fail", errata: str | None = None, ref: str | None = None, tail: str = "") -> None:
        """Record "received X at PATH, spec requires Y[tail] (ref)"; a failed field is not checked again."""
        if parts in self.renamed:
            parts = parts[:-1] + (self.renamed[parts],)
        name = str(parts[-1]) if parts else ""
        ref = ref or (fdef["section"] if fdef else self.t.interfaces[self.interface]["section"])
        message = f"received {received} at {_path(parts)}, spec requires {requires}{tail} ({ref})"
        self.out.append(Violation(_path(parts), name, kind, message, level, errata, ref))
        if level == "fail" and parts:
            self.bad.setdefault(parts[:-1], set()).add(name)

    def value(self, parts: tuple) -> Any:
        v = self.obj
        for p in parts:
            v = v[p]
        return v

    def accepted(self, errata: str) -> bool:
        """True if the profile selects the errata's alternative reading, so it is not even a warning."""
        sw = self.t.meta["errata_switches"].get(errata)
        return bool(sw and "accept" in sw and self.profile.get(sw["switch"]) == sw["accept"])

    def alternative(self, parts: tuple, fdef: dict, scope: str, kind: str) -> bool:
        """True if a failing value is the field's documented alternative reading (then warned or accepted)."""
        alt, value = fdef.get("alt"), self.value(parts)
        if not alt:
            return False
        if "type" in alt:
            coerced = _coerce(value, "number" if fdef["type"] == "number" else "string")
            if coerced is None or not _field_validator(self.interface, scope, fdef["name"], False).is_valid(coerced):
                return False
        elif not _field_validator(self.interface, scope, fdef["name"], True).is_valid(value):
            return False
        if not self.accepted(fdef["errata"]):
            said = ", ".join(f"{k} {v}" for k, v in alt.items() if v)
            self.add(parts, fdef, kind, _describe(value), _requires(fdef, kind), "warn", fdef["errata"],
                     tail=f"; accepted as the alternative reading ({said}) of {fdef['errata']}")
        return True

    def prepare(self, obj: dict, defs: dict[str, dict], at: tuple) -> dict:
        """A copy of obj with an aliased field (E-YN-07) under its table name; the unselected spelling warns."""
        obj = dict(obj)
        for fdef in defs.values():
            alias = fdef.get("alias")
            if not alias:
                continue
            chosen = self.profile.get(self.t.meta["errata_switches"][fdef["errata"]]["switch"], fdef["name"])
            other = alias if chosen == fdef["name"] else fdef["name"]
            if other in obj:
                self.add(at + (other,), fdef, "unknown_field", f"field {other!r}", f"the field name {chosen!r}", "warn",
                         fdef["errata"], tail=f"; accepted as the other spelling of {fdef['errata']}")
            if alias in obj and fdef["name"] not in obj:
                obj[fdef["name"]] = obj.pop(alias)
                self.renamed[at + (fdef["name"],)] = alias
            else:
                obj.pop(alias, None)
        return obj

    def required(self, parts: tuple, fdef: dict) -> None:
        if fdef.get("alias"):
            chosen = self.profile.get(self.t.meta["errata_switches"][fdef["errata"]]["switch"], fdef["name"])
            self.renamed[parts] = chosen  # report a missing field under the selected spelling
            fdef = {**fdef, "name": chosen}
        if not fdef.get("absent"):
            self.add(parts, fdef, "required", "nothing", _requires(fdef, "required"))
        elif not self.accepted(fdef["errata"]):
            self.add(parts, fdef, "required", "nothing", _requires(fdef, "required"), "warn", fdef["errata"],
                     tail=f"; accepted as the alternative reading of {fdef['errata']}")

    def schema_errors(self, errors: list, defs: dict, rec_defs: dict) -> None:
        """Map the jsonschema errors to one violation per value, unless an errata reading accepts it."""
        by_path: dict[tuple, list] = {}
        missing: set[tuple] = set()
        for err in errors:
            parts = tuple(err.absolute_path)
            if err.validator == "required":  # one error per missing name, each carrying the whole list
                for name in err.validator_value:
                    if name not in err.instance and parts + (name,) not in missing:
                        missing.add(parts + (name,))
                        self.required(parts + (name,), (rec_defs if parts else defs)[name])
            else:
                by_path.setdefault(parts, []).append(err)
        for parts, errs in by_path.items():
            scope, fdefs = ("records", rec_defs) if len(parts) > 1 else (self.direction, defs)
            fdef = fdefs.get(parts[-1]) if parts and isinstance(parts[-1], str) else None
            value = self.value(parts)
            if fdef is None:  # an item of records that is not an object
                self.add(parts, None, "not_object", _describe(value), "a JSON object")
                continue
            kind = min((_kind(e, fdef) for e in errs), key=lambda k: _PRIORITY.get(k, 9))
            if self.alternative(parts, fdef, scope, kind):
                continue
            ref = fdef["section"]
            if kind == "code":  # cite the code table's clause too, once
                both = (ref, self.t.codes[fdef["code"]]["section"])
                clauses = [c for s in both for c in s.removeprefix(SPEC + " ").split(", ")]
                ref = f"{SPEC} " + ", ".join(dict.fromkeys(clauses))
            # An errata that only documents the field (E-YN-19, E-YN-21…) goes with the failure; one that
            # defines an alternative reading does not, since the value matched neither reading.
            loosens = any(k in fdef for k in ("alt", "alias", "absent"))
            self.add(parts, fdef, kind, _describe(value, kind in ("length", "format")), _requires(fdef, kind),
                     errata=None if loosens else fdef.get("errata"), ref=ref)

    def field_checks(self, obj: dict, defs: dict[str, dict], at: tuple, scope: str) -> None:
        """Checks JSON Schema cannot state: decimals, check characters, unknown fields; then the rules."""
        for name, fdef in defs.items():
            value, parts = obj.get(name), at + (name,)
            if name in self.bad.get(at, set()) or value is None:
                continue
            if "precision" in fdef and isinstance(value, (int, float)) and not isinstance(value, bool):
                decimals = max(0, -Decimal(repr(value)).as_tuple().exponent)
                if decimals > fdef["precision"]:
                    self.add(parts, fdef, "format", f"{value!r} ({decimals} decimals)", _requires(fdef, "format"))
            if fdef.get("checksum") and isinstance(value, str) and not _CHECKSUMS[fdef["checksum"]](value):
                cs = self.t.meta["checksums"][fdef["checksum"]]
                self.add(parts, fdef, "format", f"{value!r} with a wrong check character", cs["text"],
                         "warn", cs["errata"])
        known = set(defs) | {f["alias"] for f in defs.values() if f.get("alias")}
        for key in obj:
            if key not in known:
                self.add(at + (key,), None, "unknown_field", f"field {key!r}",
                         f"only the fields of its table", "warn", tail="; the field is ignored")
        for params in self.t.interfaces[self.interface].get("rules", []):
            if params.get("scope", "request") != scope:  # request (default) | response | records
                continue
            for v in run(RuleContext(obj, _path(at), params, defs, self.t, set(self.bad.get(at, set())))):
                self.out.append(v)
                if v.level == "fail":
                    self.bad.setdefault(at, set()).add(v.field)


def validate(interface: str, direction: str, obj: Any, *, profile: dict | None = None) -> list[Violation]:
    """All violations of one plaintext request or decrypted answer `data`, fail- and warn-level."""
    t = _tables()
    if interface not in t.interfaces:
        raise KeyError(f"unknown {SPEC} interface {interface!r}; known: {list(t.interfaces)}")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    defs, rec_defs = _field_defs(interface, direction), _field_defs(interface, "records")
    r = _Run(interface, direction, obj, profile)
    if not defs:  # uploads, confirmations and the heartbeat answer with data null (§4.3)
        if obj is not None:
            r.add((), None, "type", _describe(obj), "null (the answer carries no data)")
        return r.out
    if not isinstance(obj, dict):
        r.add((), None, "not_object", _describe(obj), "a JSON object")
        return r.out
    r.obj = r.prepare(obj, defs, ())
    records = r.obj.get("records") if rec_defs else None
    if isinstance(records, list):
        r.obj["records"] = [r.prepare(x, rec_defs, ("records", i)) if isinstance(x, dict) else x
                            for i, x in enumerate(records)]
    fast = _fast_validator(interface, direction)
    if fast is None or not fast.is_valid(r.obj):
        r.schema_errors(list(_validator(interface, direction).iter_errors(r.obj)), defs, rec_defs)
    r.field_checks(r.obj, defs, (), direction)
    if isinstance(records, list):
        for i, item in enumerate(r.obj["records"]):
            if isinstance(item, dict):
                r.field_checks(item, rec_defs, ("records", i), "records")
    if r.profile.get("strict"):  # a strict profile takes no alternative reading
        for v in r.out:
            if v.level == "warn" and v.errata:
                v.level = "fail"
    return r.out


def to_problems(violations: list[Violation]) -> list[Problem]:
    """The violations as harness.checks.Problem, for a check function to return."""
    return [Problem(v.message, v.level, v.errata) for v in violations]

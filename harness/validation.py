"""Table-driven validation of plaintext requests and answers: generated JSON Schemas, errata readings and rules.

A spec supplies its tables (`harness.schemagen.Tables`), the folder of JSON Schemas generated from them, and a
`Rules` registry of its cross-field rule functions; `Validator` does the rest. Per field, the tables say what
JSON Schema cannot: `alt` / `alias` / `absent` (the alternative reading an errata allows, selected by a profile
switch of `[errata_switches]`), `precision` (decimals), `checksum` (a check character of `[checksums]`, judged
by `harness.identifiers.CHECKS`). An interface's `rules` name functions of the spec's registry with their
parameters; `scope` is request (default), response, or the items of the record array.

The valid path stays cheap: jsonschema-rs decides first; an invalid object's errors are listed by jsonschema-rs
too (`iter_errors`, mapped to the same keyword / path / value the pure-Python jsonschema gives, so the findings
are worded alike), with pure-Python jsonschema as the fallback when jsonschema-rs is absent. Date formats are
matched with precompiled regexes and each date field is parsed once per object, whichever rules read it. What
`validate` walks for an interface and direction is resolved once (`Validator.shape`); the profile is read through,
never merged; an object's rules share one `RuleContext`.
"""
from __future__ import annotations

import json
import math
import operator
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from harness.checks import Problem

__all__ = ["KINDS", "DIRECTIONS", "Violation", "RuleContext", "Rule", "Rules", "COMMON_RULES", "Validator",
           "parse_time", "to_problems"]

KINDS = ("required", "type", "length", "code", "format", "composition", "rule", "unknown_field", "not_object")
DIRECTIONS = ("request", "response")
# When one value breaks several keywords, report the one that says most about it.
PRIORITY = {"type": 0, "required": 1, "length": 2, "code": 3, "format": 4}


@dataclass
class Violation:
    """One finding of the validator: where, which kind, a data-first message, and its level."""

    path: str
    field: str
    kind: str
    message: str
    level: str = "fail"  # "fail" | "warn"
    errata: str | None = None
    spec_ref: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown violation kind {self.kind!r}")


def to_problems(violations: Iterable[Violation]) -> list[Problem]:
    """The violations as harness.checks.Problem, for a check function to return."""
    return [Problem(v.message, v.level, v.errata) for v in violations]


# ---- the rule framework ---------------------------------------------------------------------------

@dataclass(slots=True)
class RuleContext:
    """What a rule sees: one object (a request, or one item of records) and its field definitions. The validator
    gives the rules of one object one context in turn (params set per rule): a rule reads it, never changes it."""

    obj: dict[str, Any]
    at: str  # JSON path of obj: "$" or "$.records[3]"
    params: dict[str, Any]  # the rule's entry in the interface table (fn, section, errata, parameters)
    fields: dict[str, dict[str, Any]]
    tables: Any  # harness.schemagen.Tables
    bad: set[str] = field(default_factory=set)  # fields that already failed: rules do not pile on
    times: dict[str, Any] = field(default_factory=dict)  # field -> parsed time, shared by the rules of one object

    def time(self, name: str) -> datetime | None:
        """The field's value read as a time (parse_time), parsed once per object whichever rules ask."""
        if name not in self.times:
            self.times[name] = parse_time(self.tables, self.fields[name], self.obj.get(name))
        return self.times[name]

    def ok(self, *names: str) -> bool:
        """All named fields are present as non-empty strings that passed their own checks."""
        return all(isinstance(self.obj.get(n), str) and self.obj[n] and n not in self.bad for n in names)

    def violation(self, name: str, kind: str, message: str, level: str = "fail", errata: str | None = None) -> Violation:
        section = self.params["section"]
        return Violation(f"{self.at}.{name}", name, kind, f"{message} ({section})", level, errata, section)


@dataclass(frozen=True)
class Rule:
    name: str
    fn: Callable[[RuleContext], Iterable[Violation]]  # a generator, or () / a list when it has nothing to say
    doc: str = ""


class Rules(dict):
    """A registry of rule functions by the name interface tables use (`rules = [{fn = NAME, ...}]`)."""

    def __init__(self, *bases: "Rules"):
        super().__init__()
        for b in bases:
            self.update(b)

    def rule(self, name: str):
        """Register a rule function under `name`; the section it cites comes from each table entry."""

        def deco(fn):
            if name in self:
                raise ValueError(f"rule {name!r} registered twice")
            self[name] = Rule(name, fn, (fn.__doc__ or "").strip())
            return fn

        return deco

    def run(self, ctx: RuleContext) -> list[Violation]:
        """Run the rule a table entry names, on one object."""
        try:
            r = self[ctx.params["fn"]]
        except KeyError:
            raise KeyError(f"the tables name unknown rule {ctx.params['fn']!r}; known: {sorted(self)}") from None
        return list(r.fn(ctx))


_REGEX: dict[str, re.Pattern] = {}


def _regex(pattern: str) -> re.Pattern:
    rx = _REGEX.get(pattern)
    if rx is None:
        rx = _REGEX[pattern] = re.compile(pattern)
    return rx


def _formats(tables: Any, fdef: dict[str, Any]) -> list[tuple[str, re.Pattern, str]]:
    """(name, compiled regex, strptime) of every format a field admits, its own then its errata alternative's;
    built once per field definition."""
    key = id(fdef)
    hit = _FORMATS.get(key)
    if hit is None or hit[0] is not fdef:
        names = tables.format_names(fdef) + tables.format_names(fdef.get("alt", {}))
        hit = _FORMATS[key] = (fdef, [(n, _regex(tables.formats[n]["regex"]), _strptime(tables.formats[n]["strptime"]))
                                      for n in names])
    return hit[1]


_WIDTHS = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}
_FIELDS = {"Y": 0, "m": 1, "d": 2, "H": 3, "M": 4, "S": 5}
_ISO = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")  # fixed-width shapes datetime.fromisoformat reads


def _strptime(fmt: str) -> Callable[[str], datetime]:
    """A parser for `fmt`, applied to values its format's regex already matched: fixed-width digit fields
    (%Y %m %d %H %M %S) read by position, the rest of fmt literal; any other directive uses datetime.strptime.
    An impossible date (2023-02-30) raises ValueError, as strptime does."""
    slices: list[tuple[int, int, int]] = []
    pos, i = 0, 0
    while i < len(fmt):
        if fmt[i] == "%":
            d = fmt[i + 1: i + 2]
            if d not in _WIDTHS:
                return lambda value: datetime.strptime(value, fmt)
            slices.append((pos, pos + _WIDTHS[d], _FIELDS[d]))
            pos += _WIDTHS[d]
            i += 2
        else:
            pos += 1
            i += 1
    length = pos
    if fmt in _ISO:  # the C parser for these shapes; what it refuses goes to the reader below: the same answers
        lits = [(j, c) for j, c in enumerate(fmt.replace("%Y", "YYYY").replace("%m", "mm").replace("%d", "dd")
                                             .replace("%H", "HH").replace("%M", "MM").replace("%S", "SS"))
                if c in "-: T"]
        at, chars = operator.itemgetter(*(j for j, _ in lits)), tuple(c for _, c in lits)
        if len(lits) == 1:
            chars = chars[0]

        def iso(value: str) -> datetime:
            if len(value) == length and value.isascii() and at(value) == chars:
                try:
                    return datetime.fromisoformat(value)
                except ValueError:
                    pass
            return parse(value)
    else:
        iso = None

    def parse(value: str) -> datetime:
        if len(value) != length:
            return datetime.strptime(value, fmt)
        parts = [1900, 1, 1, 0, 0, 0]
        for a, b, f in slices:
            parts[f] = int(value[a:b])
        return datetime(*parts)

    return iso or parse


_FORMATS: dict[int, tuple[dict, list]] = {}


def parse_time(tables: Any, fdef: dict[str, Any], value: Any) -> datetime | None:
    """The value read in any format the field admits (its own or its errata alternative), else None."""
    if not isinstance(value, str):
        return None
    for _n, rx, parse in _formats(tables, fdef):
        if rx.match(value):
            try:
                return parse(value)
            except ValueError:
                return None
    return None


COMMON_RULES = Rules()  # rules any spec's tables may name; a spec's registry starts from these


@COMMON_RULES.rule("real_dates")
def real_dates(ctx: RuleContext):
    """Every field with a date/time format holds a real calendar date (no 2023-02-30)."""
    for name, fdef in ctx.fields.items():
        value = ctx.obj.get(name)
        if not fdef.get("format") or not isinstance(value, str) or not value or name in ctx.bad:
            continue
        shaped = next((n for n, rx, _f in _formats(ctx.tables, fdef) if rx.match(value)), None)
        if shaped and ctx.time(name) is None:
            yield ctx.violation(name, "format", f"received {value!r} at {ctx.at}.{name}, "
                                                f"spec requires a real calendar date ({shaped})")


@COMMON_RULES.rule("ordered")
def ordered(ctx: RuleContext):
    """Parameters first, then: the time in `then` is not earlier than the one in `first`."""
    first, then = ctx.params["first"], ctx.params["then"]
    if not ctx.ok(first, then):
        return
    a, b = ctx.time(first), ctx.time(then)
    if a and b and b < a:
        yield ctx.violation(then, "rule", f"received {then} {ctx.obj[then]!r} before {first} {ctx.obj[first]!r} "
                                          f"at {ctx.at}, spec requires {then} not earlier than {first}")


@COMMON_RULES.rule("id_list")
def id_list(ctx: RuleContext):
    """Parameters field, max: comma-separated ids, none empty, none twice, at most `max` of them."""
    name, most = ctx.params["field"], ctx.params.get("max")
    if not ctx.ok(name):
        return
    # Blanks around ids are not an error (a spec's example may put a space after each comma).
    ids = [i.strip() for i in ctx.obj[name].split(",")]
    where = f"at {ctx.at}.{name}"
    if "" in ids:
        yield ctx.violation(name, "rule", f"received {ctx.obj[name]!r} {where} with an empty id, "
                                          "spec requires ids separated by single commas")
    dups = sorted({i for i in ids if i and ids.count(i) > 1})
    if dups:
        yield ctx.violation(name, "rule", f"received duplicate ids {dups} {where}, spec requires each id once")
    if most is not None and len(ids) > most:
        yield ctx.violation(name, "rule", f"received {len(ids)} ids {where}, spec allows at most {most} per call")


# ---- the validator ----------------------------------------------------------------------------------

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


class _RsError:
    """A jsonschema-rs error seen through the attributes of a pure-Python jsonschema ValidationError."""

    __slots__ = ("absolute_path", "validator", "validator_value", "instance", "schema")

    def __init__(self, path, validator, value, instance, schema):
        self.absolute_path, self.validator, self.validator_value = path, validator, value
        self.instance, self.schema = instance, schema


def _walk(schema: dict, path: Any) -> tuple[tuple, tuple, Any, Any]:
    """What an error's schema path says about it, the same for every error at that path: (the sort key's schema
    positions, with None where an array item's index goes; those (key position, instance path position) slots; the
    subschema holding the keyword; the keyword's value)."""
    tmpl: list = []
    slots: list[tuple[int, int]] = []
    sub: Any = schema
    holder: Any = schema
    cursor = 0
    last = len(path) - 1
    for i, p in enumerate(path):
        tmpl.append(list(sub).index(p))  # (once per schema path: the callers keep _walk's answer)
        parent_kw = path[i - 1] if i else None
        if i == last:
            holder = sub
        sub = sub[p]
        if parent_kw == "properties":
            cursor += 1
        elif p == "items":
            slots.append((len(tmpl), cursor))
            tmpl.append(None)
            cursor += 1
    return tuple(tmpl), tuple(slots), holder, sub


def _order_key(tmpl: tuple, slots: tuple, end: Any, err: Any) -> tuple:
    if slots:
        inst = list(err.instance_path)
        key = list(tmpl)
        for pos, cur in slots:
            key[pos] = inst[cur]
    else:
        key = list(tmpl)
    if err.kind.name == "required":
        key.append(end.index(err.kind.property))
    return tuple(key)


def _rs_from(err: Any, holder: Any) -> _RsError:
    kind = err.kind
    name = kind.name
    if name == "required":  # one error per missing name (pure jsonschema: one carrying the whole list)
        value = [kind.property]
    else:
        value = holder[name]
    return _RsError(tuple(err.instance_path), name, value, err.instance, holder)


_first_two = operator.itemgetter(0, 1)  # (schema order, listing order): sorted() with the key alone, stable
_WALKS_MAX = 4096  # schema paths remembered per schema (a schema has far fewer; a bound all the same)


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
    """The value in the table's type, when it came in the example's type (an `alt = {type}` reading); else None."""
    if to == "number" and isinstance(value, str) and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value):
        return float(value) if "." in value else int(value)
    if to == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else repr(value)
    return None



def _finite_number(checker, value) -> bool:
    """A JSON number: RFC 8259 has no Infinity or NaN, which the stdlib parser (the mock's fallback) still reads."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)) and math.isfinite(value)


def _detailed_validator(schema: dict):
    """The pure-Python Draft 2020-12 validator (imported on first use: binding a spec stays cheap), with "number"
    and "integer" refusing non-finite values, as jsonschema-rs does: both listings name the same type error."""
    from jsonschema import Draft202012Validator, validators

    base = Draft202012Validator.TYPE_CHECKER
    checker = base.redefine_many({
        "number": _finite_number,
        "integer": lambda c, v: _finite_number(c, v) and base.is_type(v, "integer"),
    })
    return validators.extend(Draft202012Validator, type_checker=checker)(schema)

class _Plan:
    """One field-definition table as field_checks and nested_checks walk it: the fields with a check JSON Schema
    cannot state (precision, checksum), the names an object may carry (with aliases), the named nested objects."""

    __slots__ = ("checked", "known", "nested", "aliased", "subs", "subs_of")

    def __init__(self, defs: dict[str, dict], tables: Any):
        self.checked = tuple((n, f) for n, f in defs.items() if "precision" in f or f.get("checksum"))
        self.aliased = tuple(f for f in defs.values() if f.get("alias"))
        self.known = frozenset(defs) | {f["alias"] for f in self.aliased}
        self.nested = tuple((n, f.get("fields") or f.get("items")) for n, f in defs.items()
                            if (f.get("fields") or f.get("items")) in tables.objects)
        self.subs: tuple = ()  # nested resolved for one interface (Validator.subs)
        self.subs_of: str | None = None


class _Shape:
    """One (interface, direction) as validate walks it, resolved once: the field tables of the object and of its
    records, their plans, the record arrays, the rule functions of each scope with their table entries, and the
    nested objects' names when they have nothing else to check."""

    __slots__ = ("defs", "rec_defs", "plan", "rec_plan", "arrays", "rules", "rec_rules", "flat")

    def __init__(self, v: "Validator", interface: str, direction: str):
        self.defs, self.rec_defs = v.field_defs(interface, direction), v.field_defs(interface, "records")
        self.plan, self.rec_plan = v.plan(self.defs), v.plan(self.rec_defs)
        self.arrays = v.array_fields(interface, direction)
        self.rules = self.rec_rules = _UNSET  # rule_fns, looked up when first run (as the registry was before)
        subs = v.subs(interface, self.plan) if self.plan.nested else ()
        # (name, known names) of the nested objects when none has more to check than its names, else None
        self.flat = tuple((s[0], s[3]) for s in subs) if subs and all(s[3] is not None for s in subs) else None


_UNSET = object()


class Validator:
    """Validates one spec's plaintext objects against its tables, generated schemas and rules.

    `tables` is a `Tables` or a function returning one (called on first use, so that binding a spec stays
    cheap at import); `generated` the folder of `<interface>.<direction>.schema.json`; `rules` the spec's
    registry; `checksums` maps a field's `checksum` key to a predicate (default: harness.identifiers.CHECKS).
    """

    def __init__(self, tables: Any, generated: Path, rules: Rules | None = None,
                 checksums: dict[str, Callable[[str], bool]] | None = None):
        self._tables_src = tables
        self._tables = None if callable(tables) else tables
        self.generated = Path(generated)
        self.rules = rules if rules is not None else COMMON_RULES
        self._checksums = checksums
        self._validators: dict[tuple, Any] = {}
        self._schemas: dict[tuple, dict] = {}
        self._walks: dict[tuple, dict[tuple, tuple]] = {}  # (interface, direction) -> schema path -> _walk's answer
        self._requires: dict[tuple[int, str], tuple[dict, str]] = {}  # (id(field definition), kind) -> (it, words)
        self._aliased: dict[tuple[int, str], tuple[dict, dict]] = {}  # a definition under its other spelling
        self.python_errors = False  # list errors with pure-Python jsonschema (tests compare both listings)
        self._fast: dict[tuple, Any] = {}
        self._field_validators: dict[tuple, Any] = {}
        self._defs: dict[tuple, dict] = {}
        self._arrays: dict[tuple, tuple] = {}
        self._default_profile: dict | None = None
        self._plans: dict[int, tuple[dict, _Plan]] = {}
        self._rule_params: dict[tuple, tuple[dict, ...]] = {}
        self._rule_fns: dict[tuple, tuple[tuple[Callable, dict], ...]] = {}
        self._shapes: dict[tuple, _Shape] = {}

    @property
    def tables(self):
        if self._tables is None:
            self._tables = self._tables_src()
        return self._tables

    @property
    def checksums(self) -> dict[str, Callable[[str], bool]]:
        if self._checksums is None:
            from harness.identifiers import CHECKS  # imported on first use
            self._checksums = CHECKS
        return self._checksums

    # -- schema validators, built once each ----------------------------------------------------------
    def _schema(self, interface: str, direction: str) -> dict:
        key = (interface, direction)
        if key not in self._schemas:
            text = (self.generated / f"{interface}.{direction}.schema.json").read_text(encoding="utf-8")
            self._schemas[key] = json.loads(text)
        return self._schemas[key]

    def errors(self, interface: str, direction: str, obj: Any) -> list:
        """The schema errors of `obj`, each with the attributes of a jsonschema ValidationError that the
        findings are made of (absolute_path, validator, validator_value, instance, schema): listed by
        jsonschema-rs, or by pure-Python jsonschema when jsonschema-rs is absent or `python_errors` is set."""
        fast = None if self.python_errors else self.fast_validator(interface, direction)
        if fast is not None:
            schema = self._schema(interface, direction)
            walks = self._walks.get((interface, direction))
            if walks is None:
                walks = self._walks[(interface, direction)] = {}
            try:
                # Each error's schema path walked once per schema (_walk), not once to order it and again to map it.
                keyed = []
                for i, e in enumerate(fast.iter_errors(obj)):
                    sp = tuple(e.schema_path)
                    w = walks.get(sp)
                    if w is None:
                        w = _walk(schema, sp)
                        if len(walks) < _WALKS_MAX:
                            walks[sp] = w
                    keyed.append((_order_key(w[0], w[1], w[3], e), i, _rs_from(e, w[2])))
                keyed.sort(key=_first_two)
                return [k[2] for k in keyed]
            except (KeyError, IndexError, TypeError, AttributeError, ValueError):
                pass  # a schema shape the mapping does not know: the detailed validator lists them
        return list(self.validator(interface, direction).iter_errors(obj))

    def validator(self, interface: str, direction: str):
        """The detailed (pure-Python jsonschema) validator of one generated schema: it lists every error."""
        key = (interface, direction)
        if key not in self._validators:
            self._validators[key] = _detailed_validator(self._schema(interface, direction))
        return self._validators[key]

    def fast_validator(self, interface: str, direction: str):
        """jsonschema-rs over the same schema (~50x faster), used only to skip the detailed pass on valid data.

        A valid object needs no error list, so the Python validator runs only when this one says the object
        is invalid. `format` is not asserted, exactly as Draft202012Validator does without a FormatChecker.
        None when jsonschema-rs is not installed: the detailed validator alone is correct, only slower."""
        key = (interface, direction)
        try:
            return self._fast[key]  # (every validation asks)
        except KeyError:
            pass
        try:
            import jsonschema_rs
        except ImportError:
            self._fast[key] = None
        else:
            self._fast[key] = jsonschema_rs.validator_for(self._schema(interface, direction), validate_formats=False)
        return self._fast[key]

    def field_validator(self, interface: str, scope: str, name: str, alt: bool):
        """A validator for one field alone, as the table says it (alt=False) or as its errata allows (alt=True)."""
        key = (interface, scope, name, alt)
        if key not in self._field_validators:
            from harness.schemagen import field_schema

            fdef = self.field_defs(interface, scope)[name]
            if alt:
                fdef = {**fdef, **fdef["alt"]}
                fdef = {k: v for k, v in fdef.items() if v != ""}  # alt code = "" drops the code table
            self._field_validators[key] = _detailed_validator(field_schema(self.tables, fdef))
        return self._field_validators[key]

    def field_defs(self, interface: str, scope: str) -> dict[str, dict]:
        """Field definitions by name; scope "records" gives the items of the record array."""
        key = (interface, scope)
        if key not in self._defs:
            t = self.tables
            if scope.startswith("obj:"):  # a named field list of [objects] (nested objects, list items)
                fields = t.objects[scope[4:]]
            else:
                fields = t.record_fields(interface) if scope == "records" else t.fields(interface, scope)
            self._defs[key] = {f["name"]: f for f in fields}
        return self._defs[key]

    def array_fields(self, interface: str, direction: str) -> tuple[str, ...]:
        """Names of the fields whose items are records (type = "array" in the table, naming no `items`)."""
        key = (interface, direction)
        if key not in self._arrays:
            self._arrays[key] = tuple(n for n, f in self.field_defs(interface, direction).items()
                                      if f["type"] == "array" and not f.get("items"))
        return self._arrays[key]

    def plan(self, defs: dict[str, dict]) -> "_Plan":
        """What field_checks and nested_checks visit in one field-definition table, worked out once per table
        (field_defs caches the tables, so their identity is the key)."""
        hit = self._plans.get(id(defs))
        if hit is None or hit[0] is not defs:
            hit = self._plans[id(defs)] = (defs, _Plan(defs, self.tables))
        return hit[1]

    def rule_params(self, interface: str, scope: str) -> tuple[dict, ...]:
        """The rule entries of an interface that run on objects of `scope` (request (default), response, records,
        nested), in the table's order."""
        key = (interface, scope)
        hit = self._rule_params.get(key)
        if hit is None:
            hit = self._rule_params[key] = tuple(p for p in self.tables.interfaces[interface].get("rules", [])
                                                 if p.get("scope", "request") == scope)
        return hit

    def rule_fns(self, interface: str, scope: str) -> tuple[tuple[Callable, dict], ...]:
        """(rule function, its table entry) of rule_params(interface, scope): the registry looked up once."""
        key = (interface, scope)
        hit = self._rule_fns.get(key)
        if hit is None:
            fns = []
            for params in self.rule_params(interface, scope):
                try:
                    fns.append((self.rules[params["fn"]].fn, params))
                except KeyError:
                    raise KeyError(f"the tables name unknown rule {params['fn']!r}; known: {sorted(self.rules)}") from None
            hit = self._rule_fns[key] = tuple(fns)
        return hit

    def subs(self, interface: str, plan: _Plan) -> tuple:
        """(field name, field table, its plan, its known names or None) of the named nested objects of a plan's
        table, for one interface; the known names given only when the nested table has nothing to check but its
        names (no precision or checksum, no objects of its own, no "nested" rules)."""
        if plan.subs_of != interface:
            nested_rules = self.rule_params(interface, "nested")
            subs = []
            for name, named in plan.nested:
                sub = self.field_defs(interface, f"obj:{named}")
                sub_plan = self.plan(sub)
                trivial = not (sub_plan.checked or sub_plan.nested or nested_rules)
                subs.append((name, sub, sub_plan, sub_plan.known if trivial else None))
            plan.subs, plan.subs_of = tuple(subs), interface
        return plan.subs

    def shape(self, interface: str, direction: str) -> _Shape:
        """What validate walks for one interface and direction (KeyError / ValueError for an unknown one)."""
        hit = self._shapes.get((interface, direction))
        if hit is None:
            t = self.tables
            if interface not in t.interfaces:
                raise KeyError(f"unknown {t.spec} interface {interface!r}; known: {list(t.interfaces)}")
            if direction not in DIRECTIONS:
                raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
            hit = self._shapes[(interface, direction)] = _Shape(self, interface, direction)
        return hit

    def default_profile(self) -> dict[str, Any]:
        """The errata switches at their default readings, plus strict = False."""
        if self._default_profile is None:
            switches = self.tables.meta.get("errata_switches", {})
            self._default_profile = {e["switch"]: e["default"] for e in switches.values()} | {"strict": False}
        return dict(self._default_profile)

    # -- the whole validation ---------------------------------------------------------------------
    def validate(self, interface: str, direction: str, obj: Any, *, profile: dict | None = None) -> list[Violation]:
        """All violations of one plaintext request or decrypted answer `data`, fail- and warn-level."""
        shape = self._shapes.get((interface, direction)) or self.shape(interface, direction)
        r = _Run(self, interface, direction, obj, profile)
        defs = shape.defs
        if not defs:  # an answer whose data the spec shows as null
            if obj is not None:
                r.add((), None, "type", _describe(obj), "null (the answer carries no data)")
            return r.out
        if not isinstance(obj, dict):
            r.add((), None, "not_object", _describe(obj), "a JSON object")
            return r.out
        if shape.plan.aliased:  # (else r.obj is obj itself)
            r.obj = r.prepare(obj, defs, (), shape.plan)
        arrays = [a for a in shape.arrays if isinstance(r.obj.get(a), list)] if shape.arrays else ()
        rec_defs = shape.rec_defs
        if arrays:
            if r.obj is obj:
                r.obj = dict(obj)  # the sender's object is not changed
            for a in arrays:
                r.obj[a] = [r.prepare(x, rec_defs, (a, i), shape.rec_plan) if isinstance(x, dict) else x
                            for i, x in enumerate(r.obj[a])]
        fast = self.fast_validator(interface, direction)  # (not kept in the shape: one place to ask, or swap)
        if fast is None or not fast.is_valid(r.obj):
            r.schema_errors(self.errors(interface, direction, r.obj), defs, rec_defs)
        rules = shape.rules
        if rules is _UNSET:
            rules = shape.rules = self.rule_fns(interface, direction)
        r.field_checks(r.obj, defs, shape.plan, (), rules)
        for a in arrays:
            for i, item in enumerate(r.obj[a]):
                if isinstance(item, dict):
                    if shape.rec_rules is _UNSET:
                        shape.rec_rules = self.rule_fns(interface, "records")
                    r.field_checks(item, rec_defs, shape.rec_plan, (a, i), shape.rec_rules)
        if shape.flat is not None:  # the nested objects have nothing to check but their names: inline
            o = r.obj
            for name, known in shape.flat:
                value = o.get(name)
                if isinstance(value, dict) and known.issuperset(value):
                    continue
                if isinstance(value, (dict, list)):
                    r.nested_checks(o, shape.plan, ())  # (what it finds, in its order)
                    break
        elif shape.plan.nested:
            r.nested_checks(r.obj, shape.plan, ())
        given = r.given
        if given["strict"] if given is not None and "strict" in given else r.defaults.get("strict"):
            # a strict profile takes no alternative reading
            for v in r.out:
                if v.level == "warn" and v.errata:
                    v.level = "fail"
        return r.out


_priority = lambda k: PRIORITY.get(k, 9)  # noqa: E731
_new = object.__new__
_PATHS: dict[tuple, str] = {}  # object path parts -> "$.a[0].b" (_path), for the paths findings name again and again
_PATHS_MAX = 8192  # paths come from the data (field names a sender chose): a bound
_REQUIRES_MAX = 8192  # per validator: its tables' field definitions times the kinds (far fewer; a bound all the same)


class _Run:
    """One validation: the profile, the violations so far, and which fields already failed."""

    __slots__ = ("v", "t", "interface", "direction", "obj", "defaults", "given", "out", "bad", "renamed")

    def __init__(self, v: Validator, interface: str, direction: str, obj: Any, profile: dict | None):
        self.v, self.t = v, v._tables if v._tables is not None else v.tables
        self.interface, self.direction, self.obj = interface, direction, obj
        if v._default_profile is None:
            v.default_profile()
        self.defaults, self.given = v._default_profile, profile or None  # read by setting(), not merged per call
        self.out: list[Violation] = []
        self.bad: dict[tuple, set[str]] = {}  # object path -> names of its fields that failed
        self.renamed: dict[tuple, str] = {}  # path under the table name -> the name the sender used

    def setting(self, key: str, default: Any = None) -> Any:
        """The profile's value for key, else the default profile's (the profile merged over the defaults)."""
        given = self.given
        if given is not None and key in given:
            return given[key]
        return self.defaults.get(key, default)

    @property
    def profile(self) -> dict:
        """The whole profile in force: the given one over the defaults."""
        return self.defaults | (self.given or {})

    def switch(self, errata: str) -> dict:
        return self.t.meta["errata_switches"][errata]

    def add(self, parts: tuple, fdef: dict | None, kind: str, received: str, requires: str,
            level: str = "fail", errata: str | None = None, ref: str | None = None, tail: str = "") -> None:
        """Record "received X at PATH, spec requires Y[tail] (ref)"; a failed field is not checked again."""
        if parts in self.renamed:
            parts = parts[:-1] + (self.renamed[parts],)
        name = str(parts[-1]) if parts else ""
        ref = ref or (fdef["section"] if fdef else self.t.interfaces[self.interface]["section"])
        where = _PATHS.get(parts)
        if where is None:
            where = _path(parts)
            if len(_PATHS) < _PATHS_MAX:
                _PATHS[parts] = where
        message = f"received {received} at {where}, spec requires {requires}{tail} ({ref})"
        v = _new(Violation)  # Violation(...) without the dataclass __init__; its own check of kind, below
        v.__dict__.update(path=where, field=name, kind=kind, message=message, level=level, errata=errata, spec_ref=ref)
        v.__post_init__()
        self.out.append(v)
        if level == "fail" and parts:
            self.bad.setdefault(parts[:-1], set()).add(name)

    def value(self, parts: tuple) -> Any:
        v = self.obj
        for p in parts:
            v = v[p]
        return v

    def requires(self, fdef: dict, kind: str) -> str:
        """What the spec asks of a field, in words, for the given kind of violation: worked out once per field
        definition and kind (the tables do not change)."""
        memo = self.v._requires
        hit = memo.get((id(fdef), kind))
        if hit is not None and hit[0] is fdef:
            return hit[1]
        text = self._requires(fdef, kind)
        if len(memo) < _REQUIRES_MAX:
            memo[(id(fdef), kind)] = (fdef, text)  # (the definition kept: its id is not reused while here)
        return text

    def _requires(self, fdef: dict, kind: str) -> str:
        t = self.t
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
            return f"a code of {table['title']}{level} ({table['section'].removeprefix(t.spec + ' ')}): {listed}"
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

    def accepted(self, errata: str) -> bool:
        """True if the profile selects the errata's alternative reading, so it is not even a warning."""
        sw = self.t.meta.get("errata_switches", {}).get(errata)
        return bool(sw and "accept" in sw and self.setting(sw["switch"]) == sw["accept"])

    def alternative(self, parts: tuple, fdef: dict, scope: str, kind: str) -> bool:
        """True if a failing value is the field's documented alternative reading (then warned or accepted)."""
        alt, value = fdef.get("alt"), self.value(parts)
        if not alt:
            return False
        if "type" in alt:
            coerced = _coerce(value, "number" if fdef["type"] == "number" else "string")
            if coerced is None or not self.v.field_validator(self.interface, scope, fdef["name"], False).is_valid(coerced):
                return False
        elif not self.v.field_validator(self.interface, scope, fdef["name"], True).is_valid(value):
            return False
        if not self.accepted(fdef["errata"]):
            said = ", ".join(f"{k} {v}" for k, v in alt.items() if v)
            self.add(parts, fdef, kind, _describe(value), self.requires(fdef, kind), "warn", fdef["errata"],
                     tail=f"; accepted as the alternative reading ({said}) of {fdef['errata']}")
        return True

    def prepare(self, obj: dict, defs: dict[str, dict], at: tuple, plan: _Plan | None = None) -> dict:
        """obj with an aliased field under its table name (a copy; obj itself when the table has no alias); the
        spelling the profile did not select warns."""
        aliased = (plan or self.v.plan(defs)).aliased
        if not aliased:
            return obj
        obj = dict(obj)
        for fdef in aliased:
            alias = fdef["alias"]
            chosen = self.setting(self.switch(fdef["errata"])["switch"], fdef["name"])
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
            chosen = self.setting(self.switch(fdef["errata"])["switch"], fdef["name"])
            self.renamed[parts] = chosen  # report a missing field under the selected spelling
            memo = self.v._aliased
            hit = memo.get((id(fdef), chosen))
            if hit is None or hit[0] is not fdef:
                hit = memo[(id(fdef), chosen)] = (fdef, {**fdef, "name": chosen})  # (a table's: few)
            fdef = hit[1]
        if not fdef.get("absent"):
            self.add(parts, fdef, "required", "nothing", self.requires(fdef, "required"))
        elif not self.accepted(fdef["errata"]):
            self.add(parts, fdef, "required", "nothing", self.requires(fdef, "required"), "warn", fdef["errata"],
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
                        self.required(parts + (name,), self.defs_at(parts, defs, rec_defs)[1][name])
            else:
                by_path.setdefault(parts, []).append(err)
        spec = self.t.spec
        for parts, errs in by_path.items():
            scope, fdefs = self.defs_at(parts[:-1], defs, rec_defs)
            fdef = fdefs.get(parts[-1]) if parts and isinstance(parts[-1], str) else None
            value = self.value(parts)
            if fdef is None:  # an item of records that is not an object
                self.add(parts, None, "not_object", _describe(value), "a JSON object")
                continue
            kind = _kind(errs[0], fdef) if len(errs) == 1 else min((_kind(e, fdef) for e in errs), key=_priority)
            if self.alternative(parts, fdef, scope, kind):
                continue
            ref = fdef["section"]
            if kind == "code":  # cite the code table's clause too, once
                both = (ref, self.t.codes[fdef["code"]]["section"])
                clauses = [c for s in both for c in s.removeprefix(spec + " ").split(", ")]
                ref = f"{spec} " + ", ".join(dict.fromkeys(clauses))
            # An errata that only documents the field goes with the failure; one that defines an
            # alternative reading does not, since the value matched neither reading.
            loosens = "alt" in fdef or "alias" in fdef or "absent" in fdef
            self.add(parts, fdef, kind, _describe(value, kind in ("length", "format")), self.requires(fdef, kind),
                     errata=None if loosens else fdef.get("errata"), ref=ref)

    def defs_at(self, parts: tuple, defs: dict, rec_defs: dict) -> tuple[str, dict]:
        """(scope, field definitions) of the object at `parts`: the top level (the direction), an item of the
        records array ("records"), or a named field list of [objects] ("obj:NAME") of an object or array field."""
        scope, cur = self.direction, defs
        for p in parts:
            if isinstance(p, int):
                continue
            fdef = cur.get(p)
            named = (fdef or {}).get("fields") or (fdef or {}).get("items")
            if fdef is None or fdef["type"] not in ("object", "array"):
                return scope, {}
            if named in self.t.objects:
                scope, cur = f"obj:{named}", self.v.field_defs(self.interface, f"obj:{named}")
            elif fdef["type"] == "array" and named is None:
                scope, cur = "records", rec_defs
            else:
                return scope, {}
        return scope, cur

    def nested_checks(self, obj: dict, plan: _Plan, at: tuple) -> None:
        """field_checks inside the named objects of [objects] (object fields, items of arrays that name them)."""
        subs = plan.subs if plan.subs_of == self.interface else self.v.subs(self.interface, plan)
        for name, sub, sub_plan, known in subs:
            value = obj.get(name)
            if isinstance(value, dict):
                if known is not None:  # nothing to check but the names (field_checks would find no more)
                    if not known.issuperset(value):
                        self.unknown(value, known, at + (name,))
                    continue
                items = ((at + (name,), value),)
            elif isinstance(value, list):
                items = [(at + (name, i), x) for i, x in enumerate(value) if isinstance(x, dict)]
            else:
                continue
            for parts, item in items:
                if known is not None:
                    if not known.issuperset(item):
                        self.unknown(item, known, parts)
                    continue
                self.field_checks(item, sub, sub_plan, parts, self.v.rule_fns(self.interface, "nested"))
                if sub_plan.nested:
                    self.nested_checks(item, sub_plan, parts)

    def unknown(self, obj: dict, known: frozenset, at: tuple) -> None:
        for key in obj:
            if key not in known:
                self.add(at + (key,), None, "unknown_field", f"field {key!r}", "only the fields of its table", "warn",
                         tail="; the field is ignored")

    def field_checks(self, obj: dict, defs: dict[str, dict], plan: _Plan, at: tuple, rules: tuple) -> None:
        """Checks JSON Schema cannot state: decimals, check characters, unknown fields; then the rules (rule_fns of
        the object's scope)."""
        for name, fdef in plan.checked:  # only the fields with a precision or a checksum
            value, parts = obj.get(name), at + (name,)
            if name in self.bad.get(at, ()) or value is None:
                continue
            if "precision" in fdef and isinstance(value, (int, float)) and not isinstance(value, bool):
                decimals = max(0, -Decimal(repr(value)).as_tuple().exponent)
                if decimals > fdef["precision"]:
                    self.add(parts, fdef, "format", f"{value!r} ({decimals} decimals)", self.requires(fdef, "format"))
            if fdef.get("checksum") and isinstance(value, str) and not self.v.checksums[fdef["checksum"]](value):
                cs = self.t.meta["checksums"][fdef["checksum"]]
                self.add(parts, fdef, "format", f"{value!r} with a wrong check character", cs["text"],
                         cs.get("level", "warn"), cs.get("errata"))
        known = plan.known
        if not known.issuperset(obj):
            self.unknown(obj, known, at)
        if not rules:
            return
        # One context for the object's rules (RuleContext without its dataclass __init__): its params set per rule,
        # its `bad` a copy of the object's failed fields, renewed after a rule that failed one.
        bad = self.bad
        ctx = _new(RuleContext)
        ctx.obj, ctx.at, ctx.fields, ctx.tables = obj, _path(at) if at else "$", defs, self.t
        ctx.bad, ctx.times = set(bad[at]) if at in bad else set(), {}
        for fn, params in rules:
            ctx.params = params
            found = fn(ctx)
            if found:  # (a rule with nothing to say may return (): falsy, not iterated)
                self.found(found, ctx, at)

    def found(self, violations: Iterable[Violation], ctx: RuleContext, at: tuple) -> None:
        """A rule's findings on the object at `at`; a field it failed is in the context's `bad` for the next rule."""
        failed = False
        for v in violations:
            self.out.append(v)
            if v.level == "fail":
                self.bad.setdefault(at, set()).add(v.field)
                failed = True
        if failed:
            ctx.bad = set(self.bad[at])

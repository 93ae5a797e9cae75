"""Cross-field rules of the yunnan §6 tables' 备注 column, each a small function registered by name."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterator

KINDS = ("required", "type", "length", "code", "format", "composition", "rule", "unknown_field", "not_object")


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


@dataclass
class RuleContext:
    """What a rule sees: one object (a request, or one item of records) and its field definitions."""

    obj: dict[str, Any]
    at: str  # JSON path of obj: "$" or "$.records[3]"
    params: dict[str, Any]  # the rule's entry in interfaces.toml (section, errata, parameters)
    fields: dict[str, dict[str, Any]]
    tables: Any  # harness.schemagen.Tables
    bad: set[str] = field(default_factory=set)  # fields that already failed: rules do not pile on

    def ok(self, *names: str) -> bool:
        """All named fields are present as non-empty strings that passed their own checks."""
        return all(isinstance(self.obj.get(n), str) and self.obj[n] and n not in self.bad for n in names)

    def violation(self, name: str, kind: str, message: str, level: str = "fail", errata: str | None = None) -> Violation:
        section = self.params["section"]
        return Violation(f"{self.at}.{name}", name, kind, f"{message} ({section})", level, errata, section)


@dataclass(frozen=True)
class Rule:
    name: str
    section: str
    fn: Callable[[RuleContext], Iterator[Violation]]


RULES: dict[str, Rule] = {}


def rule(name: str, section: str):
    """Register a rule function under the name interfaces.toml uses."""

    def deco(fn):
        RULES[name] = Rule(name, section, fn)
        return fn

    return deco


def parse_time(tables: Any, fdef: dict[str, Any], value: Any) -> datetime | None:
    """The value read in any format the field admits (its own or its errata alternative), else None."""
    names = tables.format_names(fdef) + tables.format_names(fdef.get("alt", {}))
    for n in names:
        spec = tables.formats[n]
        if isinstance(value, str) and re.match(spec["regex"], value):
            try:
                return datetime.strptime(value, spec["strptime"])
            except ValueError:
                return None
    return None


def _composed(ctx: RuleContext, name: str, prefix: str, digits: int, text: str, level="fail", errata=None):
    value = ctx.obj[name]
    tail = value[len(prefix):]
    if value.startswith(prefix) and len(tail) == digits and tail.isdigit():
        return
    yield ctx.violation(
        name, "composition",
        f"received {value!r} at {ctx.at}.{name}, spec requires {text}, i.e. {prefix!r} + {digits} digits",
        level, errata,
    )


@rule("camera_id", "yunnan §6.4")
def camera_id(ctx: RuleContext):
    if ctx.ok("cameraId", "enterpriseId", "entranceId"):
        yield from _composed(ctx, "cameraId", ctx.obj["enterpriseId"] + ctx.obj["entranceId"], 2,
                             "enterpriseId + entranceId + a 2-digit camera number")


@rule("gate_in_entrance", "yunnan §6.4, §6.13")
def gate_in_entrance(ctx: RuleContext):
    if ctx.ok("gateId", "entranceId") and not ctx.obj["gateId"].startswith(ctx.obj["entranceId"]):
        gate, ent = ctx.obj["gateId"], ctx.obj["entranceId"]
        yield ctx.violation("gateId", "composition",
                            f"received gateId {gate!r} at {ctx.at}.gateId with entranceId {ent!r}, "
                            f"spec requires the gate id to start with its entrance id ({ent}NN)")


@rule("vehicle_id", "yunnan §6.11")
def vehicle_id(ctx: RuleContext):
    if ctx.ok("vehicleId", "enterpriseId"):
        yield from _composed(ctx, "vehicleId", ctx.obj["enterpriseId"], 5, "enterpriseId + a 5-digit sequence")


@rule("access_vehicle_id", "yunnan §6.13")
def access_vehicle_id(ctx: RuleContext):
    # §6.13 only says "the ledger's vehicle id" and its example breaks the §6.11 form: warn, never fail.
    if ctx.ok("vehicleId", "enterpriseId"):
        yield from _composed(ctx, "vehicleId", ctx.obj["enterpriseId"], 5,
                             "the §6.11 ledger vehicle id, enterpriseId + a 5-digit sequence",
                             "warn", ctx.params.get("errata"))


@rule("machinery_id", "yunnan §6.12")
def machinery_id(ctx: RuleContext):
    if ctx.ok("machineryId", "enterpriseId"):
        yield from _composed(ctx, "machineryId", "JX" + ctx.obj["enterpriseId"], 5,
                             "JX + enterpriseId + a 5-digit sequence")


@rule("record_id", "yunnan §6.13")
def record_id(ctx: RuleContext):
    if not ctx.ok("recordId", "enterpriseId", "accessType"):
        return
    rid, eid, acc = ctx.obj["recordId"], ctx.obj["enterpriseId"], ctx.obj["accessType"]
    head, kind, seq = rid[:-6], rid[-6:-5], rid[-5:]
    stamp = head[: len(head) - len(eid)]
    want = f"timestamp (18 digits) + enterpriseId {eid!r} + accessType {acc!r} + a 5-digit sequence"
    if not (head.endswith(eid) and stamp.isdigit() and kind == acc and seq.isdigit()):
        yield ctx.violation("recordId", "composition", f"received {rid!r} at {ctx.at}.recordId, spec requires {want}")
    elif len(stamp) in (13, 17):
        # yyyyMMddHHmmssSSS and epoch milliseconds are the widths real clocks give (E-YN-10).
        yield ctx.violation("recordId", "composition",
                            f"received a {len(stamp)}-digit timestamp {stamp!r} in recordId at {ctx.at}.recordId, "
                            f"spec requires 18 digits", "warn", ctx.params.get("errata"))
    elif len(stamp) != 18:
        yield ctx.violation("recordId", "composition",
                            f"received a {len(stamp)}-digit timestamp {stamp!r} in recordId at {ctx.at}.recordId, "
                            f"spec requires {want}")


@rule("industry_branch", "yunnan §7.9")
def industry_branch(ctx: RuleContext):
    if ctx.ok("industryBranch", "industryType"):
        branch, itype = ctx.obj["industryBranch"], ctx.obj["industryType"]
        parent = ctx.tables.entries("industryBranch").get(branch, {}).get("parent")
        if parent != itype:
            yield ctx.violation("industryBranch", "rule",
                                f"received industryBranch {branch!r} with industryType {itype!r} at {ctx.at}, "
                                f"spec requires a branch of that type (§7.9 lists {branch} under {parent})")


@rule("region_in_area", "yunnan §6.3, §7.2")
def region_in_area(ctx: RuleContext):
    if ctx.ok("regionCode", "areaCode"):
        region, area = ctx.obj["regionCode"], ctx.obj["areaCode"]
        entry = ctx.tables.entries("region").get(region, {})
        if entry.get("parent") != area:
            yield ctx.violation("regionCode", "rule",
                                f"received regionCode {region!r} ({entry.get('name', '?')}) with areaCode {area!r} "
                                f"at {ctx.at}, spec requires a county of that city (§7.2 puts it under {entry.get('parent')})")


@rule("machinery_img3", "yunnan §6.12")
def machinery_img3(ctx: RuleContext):
    img, date, since = ctx.params["field"], ctx.params["date"], ctx.params["since"]
    if not ctx.ok(date) or ctx.obj.get(img) not in (None, ""):
        return
    if ctx.obj[date] >= since:  # YYYYMMDD strings order as dates
        yield ctx.violation(img, "rule",
                            f"received no {img} at {ctx.at} for machinery made {ctx.obj[date]}, spec requires "
                            f"the environmental label image for machinery made from {since}", "fail", ctx.params.get("errata"))


@rule("id_list", "yunnan §6.8, §6.10")
def id_list(ctx: RuleContext):
    name, most = ctx.params["field"], ctx.params.get("max")
    if not ctx.ok(name):
        return
    # The §6.10 example puts a space after each comma, so blanks around ids are not an error.
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


@rule("real_dates", "yunnan §6")
def real_dates(ctx: RuleContext):
    for name, fdef in ctx.fields.items():
        value = ctx.obj.get(name)
        if not fdef.get("format") or not isinstance(value, str) or not value or name in ctx.bad:
            continue
        names = ctx.tables.format_names(fdef) + ctx.tables.format_names(fdef.get("alt", {}))
        shaped = [n for n in names if re.match(ctx.tables.formats[n]["regex"], value)]
        if shaped and parse_time(ctx.tables, fdef, value) is None:
            yield ctx.violation(name, "format", f"received {value!r} at {ctx.at}.{name}, "
                                                f"spec requires a real calendar date ({shaped[0]})")


@rule("ordered", "yunnan §6.6, §6.7, §6.9")
def ordered(ctx: RuleContext):
    first, then = ctx.params["first"], ctx.params["then"]
    if not ctx.ok(first, then):
        return
    a = parse_time(ctx.tables, ctx.fields[first], ctx.obj[first])
    b = parse_time(ctx.tables, ctx.fields[then], ctx.obj[then])
    if a and b and b < a:
        yield ctx.violation(then, "rule", f"received {then} {ctx.obj[then]!r} before {first} {ctx.obj[first]!r} "
                                          f"at {ctx.at}, spec requires {then} not earlier than {first}")


def run(ctx: RuleContext) -> list[Violation]:
    """Run the rule an interfaces.toml entry names, on one object."""
    try:
        r = RULES[ctx.params["fn"]]
    except KeyError:
        raise KeyError(f"interfaces.toml names unknown rule {ctx.params['fn']!r}; known: {sorted(RULES)}") from None
    return list(r.fn(ctx))

"""Henan's cross-field rules: what the §4.1 tables' descriptions and Appendix A state beside the fields.

Registered by the names interfaces.toml uses; the clause each cites comes from its entry there. City bodies
carry their business fields in the §2.4 envelope's `value`, so these rules read `value` (or the body itself
when it has no `value`: the flat bodies of E-HN-03).
"""
from __future__ import annotations

import base64
import binascii
import functools
import re

from harness.validation import COMMON_RULES, RuleContext, Rules, parse_time

from . import identifiers as ids

RULES = Rules(COMMON_RULES)
JPEG_MAGIC = b"\xff\xd8\xff"
DATA_URI = re.compile(r"^data:image/jpe?g;base64,")  # E-HN-22: the prefix a data: URI puts before the Base64


def _value(ctx: RuleContext) -> tuple[dict, str]:
    v = ctx.obj.get("value")
    return (v, "value.") if isinstance(v, dict) else (ctx.obj, "")


_BY_NAME: dict[tuple[int, str], tuple[object, dict]] = {}


def _by_name(tables, ipctype: str) -> dict:
    """The field definitions of an object table by name, built once per tables and table (rules run per request)."""
    if ipctype not in tables.objects:
        return {}  # (not cached: a request names what it likes)
    hit = _BY_NAME.get((id(tables), ipctype))
    if hit is None or hit[0] is not tables:
        hit = (tables, {f["name"]: f for f in tables.objects.get(ipctype, [])})
        _BY_NAME[(id(tables), ipctype)] = hit
    return hit[1]


_regex = functools.lru_cache(maxsize=256)(re.compile)
_SHAPES: dict[tuple[int, str, tuple[str, ...]], tuple[object, tuple]] = {}


def _shapes(tables, ipctype: str, names: tuple[str, ...]) -> tuple:
    """(name, a matcher of its patterns (own or the errata's; None: no pattern), max_length or None) of the named
    fields of an object table, compiled once per tables, table and names (rules run per request); a table the
    tables do not have gives no shapes and is not cached (a request names what it likes)."""
    key = (id(tables), ipctype, names)
    hit = _SHAPES.get(key)
    if hit is None or hit[0] is not tables:
        fields = _by_name(tables, ipctype)
        shapes = []
        for n in names:
            fdef = fields.get(n, {})
            pats = [p for p in (fdef.get("pattern"), fdef.get("alt", {}).get("pattern")) if p]
            shapes.append((n, _matcher([tables.patterns[p]["regex"] for p in pats]), fdef.get("max_length")))
        hit = (tables, tuple(shapes))
        if ipctype in tables.objects:
            _SHAPES[key] = hit
    return hit[1]


def _matcher(regexes: list[str]):
    """One match function for "any of these patterns" (None for none): the alternation compiled once."""
    if not regexes:
        return None
    if len(regexes) == 1:
        return _regex(regexes[0]).match
    try:
        return re.compile("|".join(f"(?:{r})" for r in regexes)).match
    except re.error:  # a pattern that cannot stand in an alternation (a global flag): each in turn
        compiled = [_regex(r).match for r in regexes]
        return lambda value: any(m(value) for m in compiled)


def _ok(ctx: RuleContext, v: dict, *names: str) -> bool:
    """The named business fields are non-empty strings that match their own pattern (a field that failed its own
    check is not judged again by a rule)."""
    if "value" in ctx.bad:
        return False
    for n, matchers, most in _shapes(ctx.tables, str(ctx.obj.get("ipctype", "")), names):
        value = v.get(n)
        if not isinstance(value, str) or not value:
            return False
        if matchers is not None and not matchers(value):
            return False
        if most is not None and len(value) > most:
            return False
    return True


@RULES.rule("one_image")
def one_image(ctx: RuleContext):
    """Parameters first, second: 行驶证与随车清单不能同时为空 (the two images are not both empty)."""
    v, at = _value(ctx)
    a, b = ctx.params["first"], ctx.params["second"]
    if "value" not in ctx.bad and not v.get(a) and not v.get(b):
        yield ctx.violation(at + a, "rule", f"received neither {a} nor {b} at {ctx.at}.{at}{a}, spec requires "
                                            f"at least one of them (行驶证与随车清单不能同时为空)")


@RULES.rule("lsh_composition")
def lsh_composition(ctx: RuleContext):
    """§6.4: lsh = qybh + dzbh + A/B + yyMMddHHmmss; parameter state: the field whose 1/2 the letter must match."""
    v = ctx.obj.get("value")
    v, at = (v, "value.") if isinstance(v, dict) else (ctx.obj, "")
    state = ctx.params.get("state")
    tgzt = v.get(state) if state else None
    if not (isinstance(tgzt, str) and tgzt in ("1", "2")):
        tgzt = None
    lsh, qybh, dzbh = v.get("lsh"), v.get("qybh"), v.get("dzbh")
    if type(lsh) is str and type(qybh) is str and type(dzbh) is str and \
            ids.lsh_clean(lsh, qybh, dzbh, tgzt, alternatives=True):
        # The problems are a function of these values alone: none (the usual record) is no finding, whether or not
        # the fields passed their own checks, so those are looked at only when there is something to report.
        return ()  # (a plain function: no generator for the usual record)
    return _lsh_findings(ctx, v, at, tgzt)


def _lsh_findings(ctx: RuleContext, v: dict, at: str, tgzt: str | None):
    if not _ok(ctx, v, "lsh", "qybh", "dzbh"):
        return
    # The alternative readings of qybh / dzbh (E-HN-21, E-HN-23) are warned (or accepted) by their own patterns.
    for msg in ids.lsh_problems(v["lsh"], v["qybh"], v["dzbh"], tgzt, alternatives=True):
        yield ctx.violation(at + "lsh", "composition", f"received {msg} at {ctx.at}.{at}lsh")
    for msg in ids.enterprise_code_problems(v["qybh"], alternatives=True):
        yield ctx.violation(at + "qybh", "composition", f"received {msg} at {ctx.at}.{at}qybh")


# A time of this exact shape (ASCII digits in fixed places) orders as its text does.
_ISO_SECONDS = r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\Z"
_ORDERED: dict[tuple, tuple[object, object]] = {}
_ORDERED_BY: dict[int, tuple] = {}  # id(rule entry) -> (it, tables, ipctype, _text_ordered's answer)


def _text_ordered(tables, ipctype: str, first: str, then: str):
    """(first's, then's) matchers when parse_time reads both fields by a first format "%Y-%m-%d %H:%M:%S" (so a
    value its regex matches is read by that format), else None; each matcher also asks for the digit shape of
    _ISO_SECONDS (one regex, both tests); once per tables, table and pair."""
    key = (id(tables), ipctype, first, then)
    hit = _ORDERED.get(key)
    if hit is None or hit[0] is not tables:
        fields = _by_name(tables, ipctype)
        found = []
        for name in (first, then):
            fdef = fields.get(name)
            names = (tables.format_names(fdef) + tables.format_names(fdef.get("alt", {}))) if fdef else []
            fmt = tables.formats.get(names[0]) if names else None
            found.append(_both(fmt["regex"]) if fmt and fmt.get("strptime") == "%Y-%m-%d %H:%M:%S" else None)
        hit = (tables, tuple(found) if all(found) else None)
        if ipctype in tables.objects:
            _ORDERED[key] = hit
    return hit[1]


def _both(regex: str):
    """A match function for "of _ISO_SECONDS' shape and matching regex"."""
    try:
        return re.compile(f"(?={_ISO_SECONDS})(?:{regex})").match
    except re.error:  # a pattern that cannot stand in a group (a global flag): the two in turn
        shape, own = _regex(_ISO_SECONDS).match, _regex(regex).match
        return lambda value: shape(value) and own(value)


@RULES.rule("value_ordered")
def value_ordered(ctx: RuleContext):
    """Parameters first, then: the business time `then` is not earlier than `first` (inside value)."""
    v = ctx.obj.get("value")
    v, at = (v, "value.") if isinstance(v, dict) else (ctx.obj, "")
    params = ctx.params
    first, then = params["first"], params["then"]
    a, b = v.get(first), v.get(then)
    if type(a) is str and type(b) is str and b >= a:
        # Both of one digit shape and `then` not before `first` as text: not before it as times either, and a value
        # that is no real time is no finding here; so no finding, whatever the rest says, when both are read by
        # that shape's format.
        ipctype, tables = ctx.obj.get("ipctype", ""), ctx.tables
        hit = _ORDERED_BY.get(id(params))  # (the entry's last answer: one table entry, one ipctype, mostly)
        if hit is not None and hit[0] is params and hit[1] is tables and type(ipctype) is str and hit[2] == ipctype:
            matchers = hit[3]
        else:
            matchers = _text_ordered(tables, str(ipctype), first, then)
            if type(ipctype) is str and ipctype in tables.objects and len(_ORDERED_BY) < 1024:
                _ORDERED_BY[id(params)] = (params, tables, ipctype, matchers)  # (params kept: its id is not reused)
        if matchers is not None and matchers[0](a) and matchers[1](b):
            return ()  # (a plain function: no generator for the usual record)
    return _ordered_findings(ctx, v, at, first, then)


def _ordered_findings(ctx: RuleContext, v: dict, at: str, first: str, then: str):
    if not _ok(ctx, v, first, then):
        return
    fields = _by_name(ctx.tables, ctx.obj["ipctype"]) if ctx.obj.get("ipctype") in ctx.tables.objects else {}
    if first not in fields:
        return
    a, b = parse_time(ctx.tables, fields[first], v[first]), parse_time(ctx.tables, fields[then], v[then])
    if a and b and b < a:
        yield ctx.violation(at + then, "rule", f"received {then} {v[then]!r} before {first} {v[first]!r} at "
                                               f"{ctx.at}.{at}{then}, spec requires {then} not earlier than {first}")


def photo_problems(data: bytes, limit: int) -> list[str]:
    """§2.2: a JPG photo of at most 1M."""
    out = []
    if not data.startswith(JPEG_MAGIC):
        out.append(f"a photo that is no JPEG (starts {data[:4].hex() or 'empty'}, a JPEG starts ffd8ff)")
    if len(data) > limit:
        out.append(f"a photo of {len(data)} bytes, more than {limit}")
    return out


@RULES.rule("jpeg_photo")
def jpeg_photo(ctx: RuleContext):
    """Parameter field: the Base64 photo decodes to a JPEG of at most photo_max_bytes (§2.2)."""
    v, at = _value(ctx)
    name = ctx.params["field"]
    if not _ok(ctx, v, name):
        return
    text = v[name]
    if DATA_URI.match(text):  # E-HN-22's alternative, warned or accepted by the field's own pattern
        text = DATA_URI.sub("", text, count=1)
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        yield ctx.violation(at + name, "format", f"received {name} that is not Base64 at {ctx.at}.{at}{name}")
        return
    for msg in photo_problems(data, int(ctx.tables.meta["photo_max_bytes"])):
        yield ctx.violation(at + name, "rule", f"received {msg} at {ctx.at}.{at}{name}, spec requires a JPG of "
                                               f"at most 1M")

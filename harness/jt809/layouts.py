"""Message layouts as data (layouts.toml): a dataclass and a codec per row, and the codec tables per body revision.

A row either names a builtin class (its layout lives in that class: exg.py, messages.py) or lists its fields;
a family row (an outer message with DATA_TYPE sub-messages) gets a FamilyCodec over its revision's sub-table.
The body revision follows the header profile: "2019" rows replace "2011" rows of the same id under a 2019 header.
"""
from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from harness.jt809.base import (BodyError, Finding, FixedCodec, MessageType, UnverifiedLayout, decode_text,
                                encode_text)
from harness.jt809.exg import (ALT_HEADS, BUILTIN_2019, EXG_BY_CLASS, EXG_DATA_TYPES, LOCATION_SIZE, FamilyCodec,
                               HistoryLocation, Location, Location2019, UpExgMsg)

TABLE = Path(__file__).with_name("layouts.toml")
REVISIONS = ("2011", "2019")
SOURCES = {"notes", "issue13", "recalled", "vector"}

_INTS = {"u8": 1, "u16": 2, "u32": 4, "u64": 8, "time": 8, "len_u32": 4}
_TYPE = re.compile(r"^(u8|u16|u32|u64|time|len_u32|gnss|gnss_list|gnss2019|gnss2019_list|bcd:(\d+)"
                   r"|records@(\w+)\((.+)\)|(text|bytes)(?::(\d+)|@(\w+)|(\*)))$")


@dataclass(frozen=True)
class FieldSpec:
    """One field of a table row: name, kind (int/text/bytes/gnss/gnss_list), size, or the length field it uses."""

    name: str
    kind: str
    size: int | None = None  # ints, bcd and fixed text/bytes
    ref: str | None = None  # text@F / bytes@F: the field holding the length; records@F: the one holding the count
    rest: bool = False  # text* / bytes*: to the end of the body
    type: str = ""  # as written in the table
    items: tuple["FieldSpec", ...] = ()  # records@F(...): the fields of one record (ints and times)
    counts_rest: bool = False  # len_u32: the byte count of the rest of the body


def parse_field(spec: str) -> FieldSpec:
    name, _, typ = spec.partition(":")
    m = _TYPE.match(typ)
    if not name.isidentifier() or m is None:
        raise ValueError(f"layouts.toml: bad field {spec!r}")
    if typ in _INTS:
        return FieldSpec(name, "int", _INTS[typ], type=typ, counts_rest=typ == "len_u32")
    if typ in ("gnss", "gnss_list", "gnss2019", "gnss2019_list"):
        return FieldSpec(name, typ, LOCATION_SIZE if typ == "gnss" else None, type=typ)
    if m.group(2):
        return FieldSpec(name, "bcd", int(m.group(2)), type=typ)
    if m.group(3):
        items = tuple(parse_field(x.strip()) for x in m.group(4).split(","))
        if any(i.kind != "int" or i.counts_rest for i in items):
            raise ValueError(f"layouts.toml: bad field {spec!r}: records hold u8/u16/u32/u64/time fields")
        return FieldSpec(name, "records", None, m.group(3), type=typ, items=items)
    kind, size, ref, rest = m.group(5), m.group(6), m.group(7), m.group(8)
    return FieldSpec(name, kind, int(size) if size else None, ref, bool(rest), typ)


_FMT = {1: "B", 2: "H", 4: "I", 8: "Q"}


def _default(spec: FieldSpec, lengths: set[str]) -> Any:
    if spec.name in lengths or spec.counts_rest:
        return field(default=None)  # None: the length (count) of what it counts, computed on encode
    if spec.kind == "int":  # fixed fields carry their struct format: a fixed row uses base.FixedCodec
        return field(default=0, metadata={"fmt": _FMT[spec.size]})
    if spec.kind == "text" and spec.size:
        return field(default="", metadata={"fmt": f"{spec.size}s"})
    return {"int": field(default=0), "text": field(default=""), "bytes": field(default=b""),
            "bcd": field(default="0" * 2 * (spec.size or 0)), "records": field(default_factory=list),
            "gnss": field(default_factory=Location), "gnss_list": field(default_factory=list),
            "gnss2019": field(default_factory=Location2019), "gnss2019_list": field(default_factory=list)}[spec.kind]


def class_name(name: str, revision: str | None = None) -> str:
    return "".join(w.capitalize() for w in name.split("_")) + (revision if revision == "2019" else "")


class _Short(Exception):
    def __init__(self, needed: int):
        self.needed = needed


class TableCodec:
    """Decode/encode a body from its field list; a body that does not fit raises `error` with what decoded."""

    def __init__(self, name: str, cls: type, specs: list[FieldSpec], error: type):
        self.name, self.cls, self.specs, self.error = name, cls, specs, error

    def decode(self, data: bytes, notes: list[Finding]) -> Any:
        values: dict[str, Any] = {}
        pos = 0

        def take(n: int) -> bytes:
            nonlocal pos
            if pos + n > len(data):
                raise _Short(pos + n)
            pos += n
            return data[pos - n:pos]

        try:
            for f in self.specs:
                if f.kind == "int":
                    values[f.name] = int.from_bytes(take(f.size), "big")
                    if f.counts_rest and values[f.name] != len(data) - pos:
                        raise self.error(f"{self.name} {f.name.upper()} is {values[f.name]}, {len(data) - pos} bytes "
                                         "follow it", self.cls(**values))
                elif f.kind == "bcd":
                    values[f.name] = take(f.size).hex().upper()
                    if not values[f.name].isdigit():
                        notes.append(Finding("bcd_digit", "fail", f"{f.name.upper()}: BCD {values[f.name]} has a "
                                             "nibble above 9"))
                elif f.kind == "records":
                    values[f.name] = [{i.name: int.from_bytes(take(i.size), "big") for i in f.items}
                                      for _ in range(values[f.ref])]
                elif f.kind == "gnss":
                    values[f.name] = Location.decode(take(LOCATION_SIZE))
                elif f.kind == "gnss_list":
                    count = take(1)[0]
                    values[f.name] = [Location.decode(take(LOCATION_SIZE)) for _ in range(count)]
                elif f.kind == "gnss2019":
                    values[f.name], pos = Location2019.decode_at(data, pos, notes, self.name)
                elif f.kind == "gnss2019_list":
                    count, values[f.name] = take(1)[0], []
                    for i in range(count):
                        loc, pos = Location2019.decode_at(data, pos, notes, f"{self.name} record {i + 1}")
                        values[f.name].append(loc)
                else:
                    n = f.size if f.size is not None else len(data) - pos if f.rest else values[f.ref]
                    raw = take(n)
                    values[f.name] = decode_text(raw, f.name.upper(), notes) if f.kind == "text" else raw
        except _Short as exc:
            raise self.error(f"{self.name} body is {len(data)} bytes, it needs at least {exc.needed}",
                             self.cls(**values)) from None
        except BodyError as exc:  # a 2019 position record that does not fit (Location2019.decode_at)
            raise self.error(exc.message, self.cls(**values)) from None
        obj = self.cls(**values)
        if pos != len(data):
            raise self.error(f"{self.name} body is {len(data)} bytes, it takes {pos} ({len(data) - pos} left over)",
                             obj)
        return obj

    def encode(self, obj: Any) -> bytes:
        parts: dict[str, bytes] = {}
        for f in self.specs:  # variable parts first: a length field before them counts them
            value = getattr(obj, f.name)
            if f.kind in ("text", "bytes") and f.size is None:
                parts[f.name] = value.encode("gbk") if f.kind == "text" else bytes(value)
        out: list[bytes] = []
        rest_at: tuple[int, FieldSpec] | None = None
        for f in self.specs:
            value = getattr(obj, f.name)
            if f.kind == "int":
                if value is None and f.counts_rest:  # filled in once the rest is encoded
                    rest_at = (len(out), f)
                    out.append(b"")
                    continue
                if value is None:
                    counted = next(s for s in self.specs if s.ref == f.name)
                    value = len(getattr(obj, counted.name)) if counted.kind == "records" else len(parts[counted.name])
                try:
                    out.append(int(value).to_bytes(f.size, "big"))
                except OverflowError:
                    raise ValueError(f"{self.name}: {f.name.upper()} {value} does not fit {f.type}") from None
            elif f.kind == "bcd":
                if len(value) != 2 * f.size or not all(c in "0123456789" for c in value):
                    raise ValueError(f"{self.name}: {f.name.upper()} {value!r} is not {2 * f.size} BCD digits")
                out.append(bytes.fromhex(value))
            elif f.kind == "records":
                out.append(b"".join(int(rec[i.name]).to_bytes(i.size, "big") for rec in value for i in f.items))
            elif f.kind == "gnss":
                out.append(value.encode())
            elif f.kind == "gnss_list":
                out.append(bytes([len(value)]) + b"".join(loc.encode() for loc in value))
            elif f.kind == "gnss2019":
                out.append(value.encode())
            elif f.kind == "gnss2019_list":
                out.append(bytes([len(value)]) + b"".join(loc.encode() for loc in value))
            elif f.size is None:
                out.append(parts[f.name])
            elif f.kind == "text":
                out.append(encode_text(value, f.size, f.name.upper()))
            else:
                if len(value) > f.size:
                    raise ValueError(f"{self.name}: {f.name.upper()} is {len(value)} bytes, its field holds {f.size}")
                out.append(bytes(value).ljust(f.size, b"\x00"))
        if rest_at is not None:
            at, f = rest_at
            out[at] = sum(len(x) for x in out[at + 1:]).to_bytes(f.size, "big")
        return b"".join(out)


def _family_class(name: str, head: str, by_class: dict[type, MessageType]) -> type:
    def post_init(self: Any) -> None:
        if self.data_type is None and not isinstance(self.data, (bytes, bytearray)):
            self.data_type = by_class[type(self.data)].msg_id

    fields_ = [("data_type", "int | None", field(default=None)), ("data", Any, field(default=b"")),
               ("data_length", "int | None", field(default=None))]
    if head == "vehicle":
        fields_ = [("vehicle_no", str, field(default="")), ("vehicle_color", int, field(default=1))] + fields_
    return dataclasses.make_dataclass(class_name(name), fields_, namespace={"__post_init__": post_init,
                                                                           "__module__": __name__})


@dataclass
class Tables:
    """The codec tables of one body revision: MSG_ID rows and, per family, its DATA_TYPE rows."""

    revision: str
    messages: dict[int, MessageType] = field(default_factory=dict)
    subs: dict[int, dict[int, MessageType]] = field(default_factory=dict)


# Every generated or builtin class -> (its row, the revisions it belongs to); FieldSpecs of generated classes.
BY_CLASS: dict[type, MessageType] = {}
SPECS: dict[type, list[FieldSpec]] = {}
SOURCE: dict[type, str] = {}
FAMILY_CLASSES: set[type] = set()
ROWS: list[dict[str, Any]] = []
# A row's class -> the class of its empty other reading (layouts.toml `alt_empty`, an errata entry's reading), and
# per family the classes of every errata reading (`alt_empty`, `alt_short`; so a family encodes them and infers
# their DATA_TYPE; 0x1200's go in EXG_BY_CLASS).
EMPTY_READING: dict[type, type] = {}
_OTHER_READINGS: dict[int, list[MessageType]] = {}


def load(builtins: dict[str, Callable[[int, str, str], MessageType]]) -> dict[str, Tables]:
    """Build both revisions' tables from layouts.toml; `builtins` makes the row of a builtin class by name."""
    doc = tomllib.loads(TABLE.read_text(encoding="utf-8"))
    tables = {r: Tables(r) for r in REVISIONS}
    families = {f["id"]: f for f in doc["family"]}
    # 0x1200 under 2011 keeps the module-level table (add_message and callers share it).
    tables["2011"].subs[0x1200] = EXG_DATA_TYPES
    tables["2019"].subs[0x1200] = {}
    for fam_id in families:
        for r in REVISIONS:
            tables[r].subs.setdefault(fam_id, {})
    rows = sorted(doc["message"], key=lambda m: m.get("revision", "2011"))  # 2011 rows first, 2019 replace them
    for row in rows + doc["family"]:
        _check_source(row)
    alternatives: dict[tuple[str, int], dict[int, str]] = {}  # (revision, family) -> DATA_TYPE -> alt_head
    for row in rows:
        fam = row.get("family")
        if "alt_head" in row:
            if row["alt_head"] not in ALT_HEADS or not fam or row.get("revision") != "2019":
                raise ValueError(f"layouts.toml: {row['name']}: alt_head {row['alt_head']!r} must be one of "
                                 f"{ALT_HEADS} on a 2019 family row")
            alternatives.setdefault(("2019", fam), {})[row["id"]] = row["alt_head"]
        link = families[fam]["link"] if fam else row["link"]
        revision = row.get("revision", "2011")
        mtype = _row(row, link, revision, builtins)
        if "alt_empty" in row:
            mtype = _with_empty_reading(mtype, row, fam)
        if "alt_short" in row:
            mtype = _with_short_reading(mtype, row, fam)
        ROWS.append(dict(row, link=link))
        targets = [tables["2019"]] if revision == "2019" else [tables[r] for r in REVISIONS]
        for t in targets:
            (t.subs[fam] if fam else t.messages)[mtype.msg_id] = mtype
        if fam == 0x1200:
            EXG_BY_CLASS[mtype.cls] = mtype
    for fam_id, fam in families.items():
        error = UnverifiedLayout if fam["source"] == "recalled" else BodyError
        ROWS.append(dict(fam))
        if fam_id == 0x1200:
            by_class, cls = EXG_BY_CLASS, UpExgMsg
        else:  # sub-messages of either revision: a family class infers DATA_TYPE from its data's class
            by_class = {m.cls: m for r in REVISIONS for m in tables[r].subs[fam_id].values()}
            by_class.update({m.cls: m for m in _OTHER_READINGS.get(fam_id, ())})
            cls = _family_class(fam["name"], fam["head"], by_class)
        FAMILY_CLASSES.add(cls)
        SOURCE[cls] = fam["source"]
        for r in REVISIONS:
            codec = FamilyCodec(fam["name"], fam["head"], tables[r].subs[fam_id], by_class, error,
                                alternatives.get((r, fam_id)))
            mtype = MessageType(fam_id, fam["name"], fam["link"], cls,
                                lambda data, notes, c=codec, k=cls: c.decode(data, notes, k), codec.encode)
            tables[r].messages[fam_id] = mtype
            BY_CLASS.setdefault(cls, mtype)
    return tables


def _check_source(row: dict[str, Any]) -> None:
    """A row's `source` is known; "vector" rows name the outside vector (tests/wire/vectors/jt809) that verified
    them, and only they do."""
    if row.get("source") not in SOURCES:
        raise ValueError(f"layouts.toml: {row['name']} source {row.get('source')!r} not in {sorted(SOURCES)}")
    if (row["source"] == "vector") != bool(row.get("vector")):
        raise ValueError(f"layouts.toml: {row['name']}: a `vector` key goes with source \"vector\" and only with it")


def _row(row: dict[str, Any], link: str, revision: str,
         builtins: dict[str, Callable[[int, str, str], MessageType]]) -> MessageType:
    name = row["name"]
    if "builtin" in row:
        mtype = builtins[row["builtin"]](row["id"], name, link)
        if mtype.name != name or mtype.msg_id != row["id"]:
            raise ValueError(f"layouts.toml: {name} 0x{row['id']:04X} differs from its builtin {mtype.name}")
    else:
        specs = [parse_field(f) for f in row["fields"]]
        lengths = {f.ref for f in specs if f.ref}
        cls = dataclasses.make_dataclass(class_name(name, revision),
                                         [(f.name, Any, _default(f, lengths)) for f in specs],
                                         namespace={"__module__": __name__})
        error = UnverifiedLayout if row["source"] == "recalled" else BodyError
        if all(f.kind in ("int", "text") and f.size and not f.counts_rest and not lengths for f in specs):
            fixed = FixedCodec(cls, name)
            decode = _with_error(fixed.decode, error)
            mtype = MessageType(row["id"], name, link, cls, decode, fixed.encode)
        else:
            codec = TableCodec(name, cls, specs, error)
            mtype = MessageType(row["id"], name, link, cls, codec.decode, codec.encode)
        SPECS[cls] = specs
    BY_CLASS.setdefault(mtype.cls, mtype)
    SOURCE[mtype.cls] = row["source"]
    return mtype


def _with_empty_reading(mtype: MessageType, row: dict[str, Any], family: int | None) -> MessageType:
    """The row decodes an empty DATA too (its errata entry's other reading, tag `alt_empty`): as a class of no fields
    that encodes back to nothing, with a warning carrying the tag; any other misfit is the row's error."""
    if not row.get("fields") or family is None:
        raise ValueError(f"layouts.toml: {row['name']}: alt_empty goes on a family sub-row that has fields")
    tag, name = row["alt_empty"], row["name"]
    empty = dataclasses.make_dataclass(mtype.cls.__name__ + "Empty", [], namespace={"__module__": __name__})
    fields_ = ", ".join(f.name.upper() for f in SPECS[mtype.cls])

    def decode(data: bytes, notes: list[Finding]) -> Any:
        if data:
            return mtype.decode(data, notes)
        notes.append(Finding("empty_reading", "warn", f"{name} has no data: read as the other documented reading "
                             f"(an empty body); the default reading has {fields_}", tag))
        return empty()

    EMPTY_READING[mtype.cls] = empty
    return _other_reading(mtype, row, family, MessageType(mtype.msg_id, name, mtype.link, empty, decode,
                                                          lambda obj: b""), [], decode)


def _with_short_reading(mtype: MessageType, row: dict[str, Any], family: int | None) -> MessageType:
    """The row decodes a body without its last field too (its errata entry's other reading, tag `alt_short`): as a
    class of the other fields, with a warning carrying the tag; any other misfit is the row's error."""
    specs = SPECS.get(mtype.cls) or []
    if len(specs) < 2 or family is None or specs[-1].kind != "int" or not specs[-1].size:
        raise ValueError(f"layouts.toml: {row['name']}: alt_short goes on a family sub-row ending in a fixed number")
    tag, name, last = row["alt_short"], row["name"], specs[-1]
    lengths = {f.ref for f in specs if f.ref}
    short = dataclasses.make_dataclass(mtype.cls.__name__ + "Short", [(f.name, Any, _default(f, lengths))
                                                                      for f in specs[:-1]],
                                       namespace={"__module__": __name__})
    codec = TableCodec(name, short, specs[:-1], BodyError)

    def decode(data: bytes, notes: list[Finding]) -> Any:
        try:
            return mtype.decode(data, notes)
        except BodyError as exc:
            found: list[Finding] = []
            try:
                obj = codec.decode(data, found)
            except BodyError:
                raise exc from None
            notes += found
            notes.append(Finding("short_reading", "warn", f"{name} ends before {last.name.upper()}: read as the other "
                                 f"documented reading (without it); the default reading has it ({last.size} bytes)", tag))
            return obj

    return _other_reading(mtype, row, family, MessageType(mtype.msg_id, name, mtype.link, short, decode, codec.encode),
                          specs[:-1], decode)


def _other_reading(mtype: MessageType, row: dict[str, Any], family: int, alt: MessageType, specs: list[FieldSpec],
                   decode: Callable[[bytes, list[Finding]], Any]) -> MessageType:
    """Register an errata reading's class `alt` beside its row (its family encodes it and infers its DATA_TYPE from
    it); the row's own type, decoding with `decode` (which tries the default reading first), is returned."""
    SPECS[alt.cls], SOURCE[alt.cls] = specs, row["source"]
    BY_CLASS.setdefault(alt.cls, alt)
    if family == 0x1200:
        EXG_BY_CLASS[alt.cls] = alt
    else:
        _OTHER_READINGS.setdefault(family, []).append(alt)
    main = dataclasses.replace(mtype, decode=decode)
    BY_CLASS[mtype.cls] = main
    return main


def _with_error(decode: Callable[[bytes, list[Finding]], Any], error: type) -> Callable[[bytes, list[Finding]], Any]:
    if error is BodyError:
        return decode

    def wrapped(data: bytes, notes: list[Finding]) -> Any:
        try:
            return decode(data, notes)
        except BodyError as exc:
            raise error(exc.message, exc.partial) from None
    return wrapped


def builtin_2019(name: str) -> MessageType:
    return BUILTIN_2019[name]


__all__ = ["TABLE", "REVISIONS", "FieldSpec", "Tables", "TableCodec", "BY_CLASS", "SPECS", "SOURCE", "ROWS",
           "EMPTY_READING", "FAMILY_CLASSES", "load", "parse_field", "class_name", "HistoryLocation"]

"""0x1200 UP_EXG_MSG and its data blocks (0x1201 REGISTER, 0x1202/0x1203 positions, 2011 and 2019), and the
FamilyCodec every DATA_TYPE family (0x1200, 0x9200, 0x1300 ...) uses."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harness.jt809.base import (BodyError, Finding, MessageType, UnknownDataType, decode_text,
                                encode_text)

# JT/T 415 plate colour codes (jt809 notes §Messages, 0x1200 VEHICLE_COLOR).
VEHICLE_COLORS = {1: ("blue", "蓝色"), 2: ("yellow", "黄色"), 3: ("black", "黑色"), 4: ("white", "白色"),
                  9: ("other", "其他")}

_LOC = struct.Struct(">BBBHBBBIIHHIHHII")
LOCATION_SIZE = _LOC.size  # 36


@dataclass
class Location:
    """A 0x1202 GNSS block; `time` is naive local time as sent, None when DAY..SEC is not a real date."""

    encrypt: int = 0
    time: datetime | None = None
    lon_deg: float = 0.0
    lat_deg: float = 0.0
    vec1: int = 0
    vec2: int = 0
    vec3: int = 0
    direction: int = 0
    altitude: int = 0
    state: int = 0
    alarm: int = 0
    time_fields: tuple[int, int, int, int, int, int] | None = None  # DAY, MONTH, YEAR, HOUR, MIN, SEC if not a date

    @classmethod
    def decode(cls, data: bytes, offset: int = 0) -> "Location":
        (enc, day, month, year, hour, minute, sec, lon, lat, v1, v2, v3, dirn, alt, state, alarm
         ) = _LOC.unpack_from(data, offset)
        try:
            when, raw_time = datetime(year, month, day, hour, minute, sec), None
        except ValueError:
            when, raw_time = None, (day, month, year, hour, minute, sec)
        return cls(enc, when, lon / 1e6, lat / 1e6, v1, v2, v3, dirn, alt, state, alarm, raw_time)

    def encode(self) -> bytes:
        t = self.time
        if t is not None:
            day, month, year, hour, minute, sec = t.day, t.month, t.year, t.hour, t.minute, t.second
        else:
            day, month, year, hour, minute, sec = self.time_fields or (0, 0, 0, 0, 0, 0)
        try:
            return _LOC.pack(self.encrypt, day, month, year, hour, minute, sec,
                             round(self.lon_deg * 1e6), round(self.lat_deg * 1e6), self.vec1, self.vec2,
                             self.vec3, self.direction, self.altitude, self.state, self.alarm)
        except struct.error as exc:
            raise ValueError(f"Location: {exc}") from None


@dataclass
class HistoryLocation:
    """A 0x1203 body: GNSS_CNT then that many 36-byte blocks."""

    locations: list[Location] = field(default_factory=list)


@dataclass
class Register:
    """A 0x1201 body; model_size is 20 (default) or 8 (the first 2011 text)."""

    platform_id: str = ""
    producer_id: str = ""
    terminal_model_type: str = ""
    terminal_id: str = ""
    terminal_simcode: str = ""
    model_size: int = 20


@dataclass
class UpExgMsg:
    """A 0x1200 body; `data` is a decoded block or raw bytes, data_length None means "the true length"."""

    vehicle_no: str = ""
    vehicle_color: int = 1
    data_type: int | None = None
    data: Any = b""
    data_length: int | None = None

    def __post_init__(self) -> None:
        if self.data_type is None and not isinstance(self.data, (bytes, bytearray)):
            self.data_type = EXG_BY_CLASS[type(self.data)].msg_id


def _decode_location(data: bytes, notes: list[Finding]) -> Location:
    if len(data) != LOCATION_SIZE:
        partial = Location.decode(data) if len(data) > LOCATION_SIZE else None
        raise BodyError(f"REAL_LOCATION block is {len(data)} bytes, it is {LOCATION_SIZE}", partial)
    return Location.decode(data)


def _decode_history(data: bytes, notes: list[Finding]) -> HistoryLocation:
    if not data:
        raise BodyError("HISTORY_LOCATION body is empty, it needs GNSS_CNT")
    count, room = data[0], (len(data) - 1) // LOCATION_SIZE
    blocks = [Location.decode(data, 1 + i * LOCATION_SIZE) for i in range(min(count, room))]
    if len(data) != 1 + count * LOCATION_SIZE:
        raise BodyError(f"HISTORY_LOCATION has GNSS_CNT {count} (needs {1 + count * LOCATION_SIZE} bytes) "
                        f"but the data is {len(data)} bytes", HistoryLocation(blocks))
    return HistoryLocation(blocks)


def _encode_history(msg: HistoryLocation) -> bytes:
    return bytes([len(msg.locations)]) + b"".join(loc.encode() for loc in msg.locations)


_REG = {20: struct.Struct(">11s11s20s7s12s"), 8: struct.Struct(">11s11s8s7s12s")}
_REG_NAMES = ("PLATFORM_ID", "PRODUCER_ID", "TERMINAL_MODEL_TYPE", "TERMINAL_ID", "TERMINAL_SIMCODE")
ERRATA_REGISTER_MODEL_8 = "jt809-1201-model-size"


def _decode_register(data: bytes, notes: list[Finding]) -> Register:
    # Only an exact 49-byte body is read as the old 8-byte model; anything else is judged against 61 bytes.
    size = 8 if len(data) == _REG[8].size else 20
    layout = _REG[size]
    if len(data) < layout.size:
        raise BodyError(f"REGISTER body is {len(data)} bytes, it needs {layout.size} "
                        f"({_REG[8].size} with the 8-byte model)")
    values = [decode_text(v, n, notes) for v, n in zip(layout.unpack_from(data), _REG_NAMES)]
    obj = Register(*values, model_size=size)
    if size == 8:
        notes.append(Finding("register_model_8", "warn", f"REGISTER body is {len(data)} bytes: TERMINAL_MODEL_TYPE "
                             "is 8 bytes as in the first 2011 text; the default reading is 20 bytes (61-byte body)",
                             ERRATA_REGISTER_MODEL_8))
    if len(data) > layout.size:
        raise BodyError(f"REGISTER body is {len(data)} bytes, it takes {layout.size}", obj)
    return obj


def _encode_register(msg: Register) -> bytes:
    layout = _REG[msg.model_size]
    sizes = (11, 11, msg.model_size, 7, 12)
    values = (msg.platform_id, msg.producer_id, msg.terminal_model_type, msg.terminal_id, msg.terminal_simcode)
    return layout.pack(*(encode_text(v, s, n) for v, s, n in zip(values, sizes, _REG_NAMES)))


HEADS = {"vehicle": struct.Struct(">21sBHI"), "platform": struct.Struct(">HI")}
_EXG_HEAD = HEADS["vehicle"]
# Alternative head readings a 2019 sub-row may allow (layouts.toml `alt_head`), each an errata entry's reading; the
# codec tags its warning with these ids; a spec's errata register maps them (`codec_tag`) to its entry.
ALT_HEADS = ("source_first", "no_vehicle")
ALT_SOURCE_FIRST = "jt809-2019-source-before-length"
ALT_NO_VEHICLE = "jt809-2019-no-vehicle-head"


class FamilyCodec:
    """Codec of an outer message whose DATA_TYPE selects a sub-message (0x1200, 0x9200, 0x1300, ...).

    `subs` is the revision's DATA_TYPE table (shared, so rows added later are seen); `by_class` maps a
    sub-message class to its row; `error` is the BodyError class for a head that does not fit."""

    def __init__(self, name: str, head: str, subs: dict[int, MessageType], by_class: dict[type, MessageType],
                 error: type = BodyError, alternatives: dict[int, str] | None = None):
        self.name, self.head, self.subs, self.by_class, self.error = name, head, subs, by_class, error
        self.layout = HEADS[head]
        self.alternatives = alternatives or {}  # DATA_TYPE -> an alternative head reading (ALT_HEADS)

    def decode(self, data: bytes, notes: list[Finding], cls: type) -> Any:
        try:
            return self._decode(data, notes, cls)
        except BodyError:
            alt = self._alternative(data, notes, cls) if self.alternatives and self.head == "vehicle" else None
            if alt is None:
                raise
            return alt

    def _alternative(self, data: bytes, notes: list[Finding], cls: type) -> Any:
        """A body that does not fit the family head, read as another implementation lays it out (ALT_HEADS; the
        errata register names the reading): decoded with a warning carrying the reading's tag; None when the
        body fits no alternative of its DATA_TYPE either (the first error stands)."""
        size = self.layout.size
        if len(data) >= size + 6 and self.alternatives.get(int.from_bytes(data[22:24], "big")) == "source_first":
            vno, color, dtype, _ = self.layout.unpack_from(data)
            if int.from_bytes(data[30:34], "big") == len(data) - size - 6:
                payload = data[24:30] + data[34:]  # SOURCE_DATA_TYPE, SOURCE_MSG_SN, then the data
                seen: list[Finding] = []
                try:
                    sub = self.subs[dtype].decode(payload, seen)
                except BodyError:
                    return None
                notes.extend(seen)
                notes.append(Finding("source_before_length", "warn", f"{self.name} DATA_TYPE 0x{dtype:04X}: "
                                     "SOURCE_DATA_TYPE and SOURCE_MSG_SN come before DATA_LENGTH (DATA_LENGTH "
                                     f"{len(data) - size - 6} counts the rest); jt809 notes' family head has "
                                     "DATA_LENGTH right after DATA_TYPE", ALT_SOURCE_FIRST))
                return cls(decode_text(vno, "VEHICLE_NO", notes), color, dtype, sub, len(data) - size - 6)
        if len(data) >= 6 and self.alternatives.get(int.from_bytes(data[:2], "big")) == "no_vehicle":
            dtype, dlen = HEADS["platform"].unpack_from(data)
            if dlen == len(data) - 6:
                seen = []
                try:
                    sub = self.subs[dtype].decode(data[6:], seen)
                except BodyError:
                    return None
                notes.extend(seen)
                notes.append(Finding("no_vehicle_head", "warn", f"{self.name} DATA_TYPE 0x{dtype:04X} without "
                                     "VEHICLE_NO and VEHICLE_COLOR: the body starts at DATA_TYPE; jt809 notes' "
                                     f"{self.name} head starts with the vehicle", ALT_NO_VEHICLE))
                return cls("", 0, dtype, sub, dlen)
        return None

    def _decode(self, data: bytes, notes: list[Finding], cls: type) -> Any:
        if len(data) < self.layout.size:
            raise self.error(f"{self.name} body is {len(data)} bytes, its fixed part alone is {self.layout.size}")
        values = self.layout.unpack_from(data)
        payload = data[self.layout.size:]
        if self.head == "vehicle":
            vno, color, dtype, dlen = values
            msg = cls(decode_text(vno, "VEHICLE_NO", notes), color, dtype, payload, None)
        else:
            dtype, dlen = values
            msg = cls(dtype, payload, None)
        if dlen != len(payload):
            msg.data_length = dlen
            raise self.error(f"{self.name} DATA_LENGTH is {dlen} but {len(payload)} bytes of data follow", msg)
        sub = self.subs.get(dtype)
        if sub is None:
            raise UnknownDataType(f"{self.name} DATA_TYPE 0x{dtype:04X} is not in the codec table; data kept raw",
                                  msg)
        try:
            msg.data = sub.decode(payload, notes)
        except BodyError as exc:
            if exc.partial is not None:
                msg.data = exc.partial
            raise type(exc)(exc.message, msg) from None
        return msg

    def encode(self, msg: Any) -> bytes:
        """Encode the body; an explicit data_length is written as given (to build malformed frames)."""
        if isinstance(msg.data, (bytes, bytearray)):
            payload = bytes(msg.data)
        else:
            payload = self.by_class[type(msg.data)].encode(msg.data)
        if msg.data_type is None:
            raise ValueError(f"{self.name} with raw data needs data_type")
        length = len(payload) if msg.data_length is None else msg.data_length
        if self.head == "vehicle":
            head = self.layout.pack(encode_text(msg.vehicle_no, 21, "VEHICLE_NO"), msg.vehicle_color,
                                    msg.data_type, length)
        else:
            head = self.layout.pack(msg.data_type, length)
        return head + payload


def decode_exg(data: bytes, notes: list[Finding]) -> UpExgMsg:
    """Decode a 2011 0x1200 body and its data block; BodyError carries the outer part when the data does not fit."""
    return _EXG_2011.decode(data, notes, UpExgMsg)


def encode_exg(msg: UpExgMsg) -> bytes:
    """Encode a 0x1200 body (any revision: the data block's class picks its layout)."""
    return _EXG_2011.encode(msg)


# ---- 2019 positions: ENCRYPT, DATA_LENGTH, GNSS_DATA (the JT/T 808 0x0200 body), PLATFORM_ID/ALARM x 3

_808 = struct.Struct(">IIIIHHH6s")  # ALARM, STATUS, LAT, LON, ALTITUDE, SPEED (0.1 km/h), DIRECTION, TIME BCD
_PLAT = struct.Struct(">11sI")
MILEAGE_ITEM, RECORDER_SPEED_ITEM = 0x01, 0x03  # JT/T 808 additional items (0.1 km, 0.1 km/h)


def _tenths(raw: int) -> int | float:
    return raw // 10 if raw % 10 == 0 else raw / 10


@dataclass
class Location2019:
    """A 2019 position record: the 2011 names where JT/T 808 carries the same value (VEC1 = 808 speed,
    VEC2 = additional item 0x03, VEC3 = item 0x01; None when absent), other 808 items kept raw."""

    encrypt: int = 0
    time: datetime | None = None
    lon_deg: float = 0.0
    lat_deg: float = 0.0
    vec1: int | float = 0
    vec2: int | float | None = None
    vec3: int | float | None = None
    direction: int = 0
    altitude: int = 0
    state: int = 0
    alarm: int = 0
    extras: list[tuple[int, bytes]] = field(default_factory=list)
    platform_id1: str = ""
    alarm1: int = 0
    platform_id2: str = ""
    alarm2: int = 0
    platform_id3: str = ""
    alarm3: int = 0
    time_bcd: str | None = None  # the BCD TIME as sent, when it is not a real date
    gnss_raw: bytes | None = None  # GNSS_DATA as sent when it is no JT/T 808 0x0200 body (the 808 fields unset)

    def gnss_data(self) -> bytes:
        if self.gnss_raw is not None:
            return bytes(self.gnss_raw)
        if self.time is not None:
            t = self.time
            bcd = bytes.fromhex(f"{t.year % 100:02d}{t.month:02d}{t.day:02d}{t.hour:02d}{t.minute:02d}{t.second:02d}")
        else:
            bcd = bytes.fromhex(self.time_bcd or "000000000000")
        try:
            head = _808.pack(self.alarm, self.state, round(self.lat_deg * 1e6), round(self.lon_deg * 1e6),
                             self.altitude, round(self.vec1 * 10), self.direction, bcd)
            items = []
            if self.vec3 is not None:
                items.append((MILEAGE_ITEM, round(self.vec3 * 10).to_bytes(4, "big")))
            if self.vec2 is not None:
                items.append((RECORDER_SPEED_ITEM, round(self.vec2 * 10).to_bytes(2, "big")))
            items += [(i, bytes(v)) for i, v in self.extras]
            return head + b"".join(bytes([i, len(v)]) + v for i, v in items)
        except (struct.error, OverflowError) as exc:
            raise ValueError(f"Location2019: {exc}") from None

    def encode(self) -> bytes:
        gnss = self.gnss_data()
        tail = b"".join(_PLAT.pack(encode_text(p, 11, f"PLATFORM_ID{i}"), a) for i, (p, a) in enumerate(
            ((self.platform_id1, self.alarm1), (self.platform_id2, self.alarm2), (self.platform_id3, self.alarm3)), 1))
        return struct.pack(">BI", self.encrypt, len(gnss)) + gnss + tail

    @classmethod
    def decode_at(cls, data: bytes, offset: int, notes: list[Finding], what: str) -> tuple["Location2019", int]:
        """One record at `offset`; returns it and the offset after it. The record's framing (ENCRYPT, DATA_LENGTH,
        GNSS_DATA, three PLATFORM_ID/ALARM pairs) is vector-verified: BodyError when it does not fit. GNSS_DATA that
        is no JT/T 808 0x0200 body (its content is recalled, E-SD-16) is kept raw with a warning."""
        if len(data) - offset < 5:
            raise BodyError(f"{what} has {len(data) - offset} bytes left, a record needs ENCRYPT and DATA_LENGTH (5)")
        enc, dlen = struct.unpack_from(">BI", data, offset)
        start, end = offset + 5, offset + 5 + dlen
        need = end + 3 * _PLAT.size
        if len(data) < need:
            raise BodyError(f"{what}: GNSS_DATA of DATA_LENGTH {dlen} and 3 platform alarms need {need - offset} "
                            f"bytes, {len(data) - offset} are there")
        loc = cls._gnss(enc, data[start:end], notes, what)
        for i in range(3):
            pid, al = _PLAT.unpack_from(data, end + i * _PLAT.size)
            setattr(loc, f"platform_id{i + 1}", decode_text(pid, f"PLATFORM_ID{i + 1}", notes))
            setattr(loc, f"alarm{i + 1}", al)
        return loc, need

    @classmethod
    def _gnss(cls, enc: int, g: bytes, notes: list[Finding], what: str) -> "Location2019":
        """GNSS_DATA read as the JT/T 808 0x0200 body (28 bytes, then additional items id, length, value)."""
        problem = None
        if len(g) < _808.size:
            problem = f"is {len(g)} bytes, the JT/T 808 0x0200 body needs at least {_808.size}"
        else:
            alarm, state, lat, lon, alt, speed, dirn, bcd = _808.unpack_from(g)
            loc = cls(enc, None, lon / 1e6, lat / 1e6, _tenths(speed), None, None, dirn, alt, state, alarm)
            digits = bcd.hex()
            try:  # JT/T 808 TIME: BCD YYMMDDhhmmss, GMT+8, years 20YY
                parts = [int(digits[i:i + 2]) for i in range(0, 12, 2)]
                loc.time = datetime(2000 + parts[0], *parts[1:])
            except ValueError:
                loc.time_bcd = digits
            pos = _808.size
            while pos < len(g):
                if len(g) - pos < 2 or len(g) - pos - 2 < g[pos + 1]:
                    problem = f"has a JT/T 808 additional item at byte {pos} that runs past DATA_LENGTH"
                    break
                item, size = g[pos], g[pos + 1]
                value = bytes(g[pos + 2:pos + 2 + size])
                if item == MILEAGE_ITEM and size == 4:
                    loc.vec3 = _tenths(int.from_bytes(value, "big"))
                elif item == RECORDER_SPEED_ITEM and size == 2:
                    loc.vec2 = _tenths(int.from_bytes(value, "big"))
                else:
                    loc.extras.append((item, value))
                pos += 2 + size
        if problem is None:
            return loc
        notes.append(Finding("gnss_data_raw", "warn", f"{what}: GNSS_DATA {problem}: kept raw, no position read "
                             "(E-SD-16: the 2019 GNSS_DATA content is recalled, not vector-verified)"))
        return cls(enc, None, 0.0, 0.0, 0, None, None, 0, 0, 0, 0, gnss_raw=bytes(g))


@dataclass
class HistoryLocation2019:
    """A 2019 0x1203 body: GNSS_CNT then that many 2019 position records."""

    locations: list[Location2019] = field(default_factory=list)
    gnss_cnt: int | None = None  # GNSS_CNT as read, kept when its records do not decode (None: len(locations))

    def count(self) -> int:
        return len(self.locations) if self.gnss_cnt is None else self.gnss_cnt


def _decode_location_2019(data: bytes, notes: list[Finding]) -> Location2019:
    loc, end = Location2019.decode_at(data, 0, notes, "REAL_LOCATION (2019)")
    if end != len(data):
        raise BodyError(f"REAL_LOCATION (2019) is {len(data)} bytes, the record takes {end}", loc)
    return loc


def _decode_history_2019(data: bytes, notes: list[Finding]) -> HistoryLocation2019:
    if not data:
        raise BodyError("HISTORY_LOCATION (2019) body is empty, it needs GNSS_CNT")
    out, pos = HistoryLocation2019(), 1
    for i in range(data[0]):
        try:
            loc, pos = Location2019.decode_at(data, pos, notes, f"HISTORY_LOCATION (2019) record {i + 1}")
        except BodyError as exc:
            out.gnss_cnt = data[0]  # the count byte as read, not the records that decoded
            raise BodyError(exc.message, out) from None
        out.locations.append(loc)
    if pos != len(data):
        raise BodyError(f"HISTORY_LOCATION (2019) has GNSS_CNT {data[0]}, its records end at byte {pos} "
                               f"of {len(data)}", out)
    return out


def _encode_history_2019(msg: HistoryLocation2019) -> bytes:
    return bytes([len(msg.locations)]) + b"".join(loc.encode() for loc in msg.locations)


EXG_DATA_TYPES: dict[int, MessageType] = {m.msg_id: m for m in (
    MessageType(0x1201, "UP_EXG_MSG_REGISTER", "main", Register, _decode_register, _encode_register),
    MessageType(0x1202, "UP_EXG_MSG_REAL_LOCATION", "main", Location, _decode_location, Location.encode),
    MessageType(0x1203, "UP_EXG_MSG_HISTORY_LOCATION", "main", HistoryLocation, _decode_history, _encode_history),
)}

EXG_BY_CLASS = {m.cls: m for m in EXG_DATA_TYPES.values()}
# Builtin 2019 blocks; layouts.py puts them into the 2019 0x1200 table (and EXG_BY_CLASS) by layouts.toml.
BUILTIN_2019 = {
    "Location2019": MessageType(0x1202, "UP_EXG_MSG_REAL_LOCATION", "main", Location2019, _decode_location_2019,
                                Location2019.encode),
    "HistoryLocation2019": MessageType(0x1203, "UP_EXG_MSG_HISTORY_LOCATION", "main", HistoryLocation2019,
                                       _decode_history_2019, _encode_history_2019),
}
_EXG_2011 = FamilyCodec("UP_EXG_MSG", "vehicle", EXG_DATA_TYPES, EXG_BY_CLASS)

"""0x1200 UP_EXG_MSG and its data blocks: 0x1201 REGISTER, 0x1202 REAL_LOCATION, 0x1203 HISTORY_LOCATION."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harness.jt809.base import BodyError, Finding, MessageType, UnknownDataType, decode_text, encode_text

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


_EXG_HEAD = struct.Struct(">21sBHI")


def decode_exg(data: bytes, notes: list[Finding]) -> UpExgMsg:
    """Decode a 0x1200 body and its data block; BodyError carries the outer part when the data does not fit."""
    if len(data) < _EXG_HEAD.size:
        raise BodyError(f"UP_EXG_MSG body is {len(data)} bytes, its fixed part alone is {_EXG_HEAD.size}")
    vno, color, dtype, dlen = _EXG_HEAD.unpack_from(data)
    payload = data[_EXG_HEAD.size:]
    msg = UpExgMsg(decode_text(vno, "VEHICLE_NO", notes), color, dtype, payload, None)
    if dlen != len(payload):
        msg.data_length = dlen
        raise BodyError(f"UP_EXG_MSG DATA_LENGTH is {dlen} but {len(payload)} bytes of data follow", msg)
    sub = EXG_DATA_TYPES.get(dtype)
    if sub is None:
        raise UnknownDataType(f"UP_EXG_MSG DATA_TYPE 0x{dtype:04X} is not in the codec table; data kept raw", msg)
    try:
        msg.data = sub.decode(payload, notes)
    except BodyError as exc:
        if exc.partial is not None:
            msg.data = exc.partial
        raise BodyError(exc.message, msg) from None
    return msg


def encode_exg(msg: UpExgMsg) -> bytes:
    """Encode a 0x1200 body; an explicit data_length is written as given (to build malformed frames)."""
    if isinstance(msg.data, (bytes, bytearray)):
        payload = bytes(msg.data)
    else:
        payload = EXG_BY_CLASS[type(msg.data)].encode(msg.data)
    if msg.data_type is None:
        raise ValueError("UpExgMsg with raw data needs data_type")
    length = len(payload) if msg.data_length is None else msg.data_length
    return _EXG_HEAD.pack(encode_text(msg.vehicle_no, 21, "VEHICLE_NO"), msg.vehicle_color,
                          msg.data_type, length) + payload


EXG_DATA_TYPES: dict[int, MessageType] = {m.msg_id: m for m in (
    MessageType(0x1201, "UP_EXG_MSG_REGISTER", "main", Register, _decode_register, _encode_register),
    MessageType(0x1202, "UP_EXG_MSG_REAL_LOCATION", "main", Location, _decode_location, Location.encode),
    MessageType(0x1203, "UP_EXG_MSG_HISTORY_LOCATION", "main", HistoryLocation, _decode_history, _encode_history),
)}

EXG_BY_CLASS = {m.cls: m for m in EXG_DATA_TYPES.values()}

"""JT/T 809-2011 message bodies: dataclasses, a codec table keyed by MSG_ID (and DATA_TYPE), and value lint."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.jt809.base import SPEC, BodyError, Finding, FixedCodec, MessageType, UnknownDataType, text, u8, u16, u32
from harness.jt809.exg import (EXG_BY_CLASS, EXG_DATA_TYPES, LOCATION_SIZE, VEHICLE_COLORS, HistoryLocation,
                               Location, Register, UpExgMsg, decode_exg, encode_exg)

# Re-exported so callers need one import for every body class and table.
__all__ = ["SPEC", "BodyError", "Finding", "MessageType", "UnknownDataType", "EXG_DATA_TYPES", "LOCATION_SIZE",
           "VEHICLE_COLORS", "HistoryLocation", "Location", "Register", "UpExgMsg", "MESSAGES", "UP_CONNECT_RESULTS",
           "DOWN_CONNECT_RESULTS", "DOWN_DISCONNECT_ERRORS", "CHINA_BOX", "encode_body", "message_type",
           "message_name", "add_message", "lint", "UpConnectReq", "UpConnectRsp", "UpDisconnectReq", "UpDisconnectRsp",
           "UpLinktestReq", "UpLinktestRsp", "UpDisconnectInform", "UpCloselinkInform", "DownConnectReq",
           "DownConnectRsp", "DownDisconnectReq", "DownDisconnectRsp", "DownLinktestReq", "DownLinktestRsp",
           "DownDisconnectInform"]

UP_CONNECT_RESULTS = {0: "ok", 1: "ip_wrong", 2: "access_code_wrong", 3: "user_not_registered",
                      4: "password_wrong", 5: "busy", 6: "other"}
DOWN_CONNECT_RESULTS = {0: "ok", 1: "verify_code_wrong", 2: "busy", 3: "other"}
DOWN_DISCONNECT_ERRORS = {0: "operator_unreachable", 1: "slave_link_broken", 2: "other"}
CHINA_BOX = (73.5, 135.1, 3.8, 53.6)  # lon min/max, lat min/max


# ---- link messages (jt809 notes §Messages)


@dataclass
class UpConnectReq:
    user_id: int = u32()
    password: str = text(8)
    down_link_ip: str = text(32)
    down_link_port: int = u16()


@dataclass
class UpConnectRsp:
    result: int = u8()
    verify_code: int = u32()


@dataclass
class UpDisconnectReq:
    user_id: int = u32()
    password: str = text(8)


@dataclass
class UpDisconnectRsp:
    pass


@dataclass
class UpLinktestReq:
    pass


@dataclass
class UpLinktestRsp:
    pass


@dataclass
class UpDisconnectInform:
    error_code: int = u8()


@dataclass
class UpCloselinkInform:
    reason_code: int = u8()


@dataclass
class DownConnectReq:
    verify_code: int = u32()


@dataclass
class DownConnectRsp:
    result: int = u8()


@dataclass
class DownDisconnectReq:
    verify_code: int = u32()


@dataclass
class DownDisconnectRsp:
    pass


@dataclass
class DownLinktestReq:
    pass


@dataclass
class DownLinktestRsp:
    pass


@dataclass
class DownDisconnectInform:
    error_code: int = u8()


# ---- the tables


def _fixed(msg_id: int, name: str, link: str, cls: type) -> MessageType:
    codec = FixedCodec(cls, name)
    return MessageType(msg_id, name, link, cls, codec.decode, codec.encode)


MESSAGES: dict[int, MessageType] = {m.msg_id: m for m in (
    _fixed(0x1001, "UP_CONNECT_REQ", "main", UpConnectReq),
    _fixed(0x1002, "UP_CONNECT_RSP", "main", UpConnectRsp),
    _fixed(0x1003, "UP_DISCONNECT_REQ", "main", UpDisconnectReq),
    _fixed(0x1004, "UP_DISCONNECT_RSP", "main", UpDisconnectRsp),
    _fixed(0x1005, "UP_LINKTEST_REQ", "main", UpLinktestReq),
    _fixed(0x1006, "UP_LINKTEST_RSP", "main", UpLinktestRsp),
    _fixed(0x1007, "UP_DISCONNECT_INFORM", "slave", UpDisconnectInform),
    _fixed(0x1008, "UP_CLOSELINK_INFORM", "slave", UpCloselinkInform),
    _fixed(0x9001, "DOWN_CONNECT_REQ", "slave", DownConnectReq),
    _fixed(0x9002, "DOWN_CONNECT_RSP", "slave", DownConnectRsp),
    _fixed(0x9003, "DOWN_DISCONNECT_REQ", "slave", DownDisconnectReq),
    _fixed(0x9004, "DOWN_DISCONNECT_RSP", "slave", DownDisconnectRsp),
    _fixed(0x9005, "DOWN_LINKTEST_REQ", "slave", DownLinktestReq),
    _fixed(0x9006, "DOWN_LINKTEST_RSP", "slave", DownLinktestRsp),
    _fixed(0x9007, "DOWN_DISCONNECT_INFORM", "main", DownDisconnectInform),
    MessageType(0x1200, "UP_EXG_MSG", "main", UpExgMsg, decode_exg, encode_exg),
)}

_BY_CLASS = {m.cls: m for m in MESSAGES.values()}


def add_message(mtype: MessageType, *, exg_data_type: bool = False) -> None:
    """Add a codec row: a new MSG_ID, or with exg_data_type=True a new 0x1200 DATA_TYPE."""
    table, by_class = (EXG_DATA_TYPES, EXG_BY_CLASS) if exg_data_type else (MESSAGES, _BY_CLASS)
    table[mtype.msg_id] = mtype
    by_class[mtype.cls] = mtype


def message_type(msg: Any) -> MessageType:
    """The table row for a body object (KeyError for a class not in MESSAGES)."""
    return _BY_CLASS[type(msg)]


def encode_body(msg: Any) -> tuple[int, bytes]:
    """(MSG_ID, body bytes) for a body dataclass."""
    mtype = message_type(msg)
    return mtype.msg_id, mtype.encode(msg)


def message_name(msg_id: int) -> str | None:
    mtype = MESSAGES.get(msg_id)
    return mtype.name if mtype else None


# ---- value lint (fields that decode but make no sense)


def _lint_location(loc: Location, where: str) -> list[Finding]:
    out = []
    if loc.time is None:
        d, mo, y, h, mi, s = loc.time_fields or (0,) * 6
        out.append(Finding("date_invalid", "fail", f"{where}: DAY/MONTH/YEAR HOUR:MIN:SEC = {d}/{mo}/{y} "
                           f"{h}:{mi}:{s} is not a real date and time"))
    lon, lat = loc.lon_deg, loc.lat_deg
    if lon > 180:
        out.append(Finding("lon_range", "fail", f"{where}: LON {lon:.6f}° is outside 0..180°"))
    if lat > 90:
        out.append(Finding("lat_range", "fail", f"{where}: LAT {lat:.6f}° is outside 0..90°"))
    lo_min, lo_max, la_min, la_max = CHINA_BOX
    if lon <= 180 and lat <= 90 and not (lo_min <= lon <= lo_max and la_min <= lat <= la_max):
        out.append(Finding("outside_china", "warn", f"{where}: position {lon:.6f}E {lat:.6f}N is outside China's "
                           f"bounding box {lo_min}–{lo_max}E, {la_min}–{la_max}N"))
    return out


def _lint_exg(msg: UpExgMsg) -> list[Finding]:
    out = []
    if msg.vehicle_color not in VEHICLE_COLORS:
        out.append(Finding("vehicle_color", "warn", f"VEHICLE_COLOR {msg.vehicle_color} is not a JT/T 415 code "
                           f"({', '.join(f'{k} {v[0]}' for k, v in VEHICLE_COLORS.items())})"))
    data = msg.data
    if isinstance(data, Location):
        out += _lint_location(data, "REAL_LOCATION")
    elif isinstance(data, HistoryLocation):
        count = len(data.locations)
        if not 1 <= count <= 5:
            out.append(Finding("gnss_cnt", "fail", f"HISTORY_LOCATION GNSS_CNT is {count}, it must be 1..5"))
        previous = None
        for i, loc in enumerate(data.locations, 1):
            out += _lint_location(loc, f"HISTORY_LOCATION block {i}")
            if loc.time is not None:
                if previous is not None and loc.time < previous:
                    out.append(Finding("history_order", "fail", f"HISTORY_LOCATION block {i} time "
                                       f"{loc.time.isoformat()} is earlier than the block before "
                                       f"({previous.isoformat()}); blocks go in time order"))
                previous = loc.time
    return out


def _lint_code(value: int, table: dict[int, str], code: str, what: str) -> list[Finding]:
    if value in table:
        return []
    known = ", ".join(f"{k} {v}" for k, v in table.items())
    return [Finding(code, "fail", f"{what} is {value}, defined values are {known}")]


def lint(frame: Any) -> list[Finding]:
    """Value-level findings for a decoded (or partially decoded) Frame, plus the notes made while decoding."""
    out = list(getattr(frame, "notes", ()))
    header, body = frame.header, frame.body
    if header.encrypt_flag not in (0, 1):
        out.append(Finding("encrypt_flag", "fail", f"ENCRYPT_FLAG is {header.encrypt_flag}, it must be 0 (clear) "
                           "or 1 (encrypted); the body was read as clear"))
    elif header.encrypt_flag == 1 and frame.body_plain is None:
        out.append(Finding("cipher_constants_missing", "warn", "ENCRYPT_FLAG is 1 but no cipher constants "
                           "(M1, IA1, IC1) were given: body shown raw, not checked"))
    if isinstance(body, UpConnectRsp):
        out += _lint_code(body.result, UP_CONNECT_RESULTS, "result_code", "UP_CONNECT_RSP RESULT")
    elif isinstance(body, DownConnectRsp):
        out += _lint_code(body.result, DOWN_CONNECT_RESULTS, "result_code", "DOWN_CONNECT_RSP RESULT")
    elif isinstance(body, DownDisconnectInform):
        out += _lint_code(body.error_code, DOWN_DISCONNECT_ERRORS, "error_code", "DOWN_DISCONNECT_INFORM ERROR_CODE")
    elif isinstance(body, UpExgMsg):
        out += _lint_exg(body)
    return out

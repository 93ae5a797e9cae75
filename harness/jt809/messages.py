"""JT/T 809 message bodies (2011, and the 2019 body revision): link dataclasses, the codec tables keyed by MSG_ID
(and DATA_TYPE) built from layouts.toml, and value lint."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.jt809 import layouts
from harness.jt809.bits import reserved
from harness.jt809.base import (SPEC, BodyError, Finding, FixedCodec, MessageType, UnknownDataType, UnverifiedLayout,
                                text, u8, u16, u32)
from harness.jt809.exg import (EXG_BY_CLASS, EXG_DATA_TYPES, LOCATION_SIZE, VEHICLE_COLORS, HistoryLocation,
                               HistoryLocation2019, Location, Location2019, Register, UpExgMsg)

# Re-exported so callers need one import for every body class and table.
__all__ = ["SPEC", "BodyError", "Finding", "MessageType", "UnknownDataType", "UnverifiedLayout", "EXG_DATA_TYPES",
           "LOCATION_SIZE", "VEHICLE_COLORS", "HistoryLocation", "HistoryLocation2019", "Location", "Location2019",
           "Register", "UpExgMsg", "MESSAGES", "MESSAGES_2019", "TABLES", "messages_for", "body_class", "to_2019", "UP_CONNECT_RESULTS",
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


# ---- the tables (layouts.toml: every row; builtin rows keep their layout in the classes above and in exg.py)


def _fixed(msg_id: int, name: str, link: str, cls: type) -> MessageType:
    codec = FixedCodec(cls, name)
    return MessageType(msg_id, name, link, cls, codec.decode, codec.encode)


_LINK_CLASSES = {c.__name__: c for c in (
    UpConnectReq, UpConnectRsp, UpDisconnectReq, UpDisconnectRsp, UpLinktestReq, UpLinktestRsp, UpDisconnectInform,
    UpCloselinkInform, DownConnectReq, DownConnectRsp, DownDisconnectReq, DownDisconnectRsp, DownLinktestReq,
    DownLinktestRsp, DownDisconnectInform)}
_BUILTINS = {name: (lambda i, n, k, c=cls: _fixed(i, n, k, c)) for name, cls in _LINK_CLASSES.items()}
_BUILTINS.update({m.cls.__name__: (lambda i, n, k, m=m: m) for m in EXG_DATA_TYPES.values()})
_BUILTINS.update({name: (lambda i, n, k, name=name: layouts.builtin_2019(name)) for name in ("Location2019",
                                                                                            "HistoryLocation2019")})

TABLES = layouts.load(_BUILTINS)
MESSAGES: dict[int, MessageType] = TABLES["2011"].messages
MESSAGES_2019: dict[int, MessageType] = TABLES["2019"].messages
_BY_CLASS = layouts.BY_CLASS


def messages_for(revision: str) -> dict[int, MessageType]:
    """The MSG_ID table of a body revision ("2011" or "2019": the header profile's name)."""
    return TABLES[revision].messages if revision in TABLES else MESSAGES


def add_message(mtype: MessageType, *, exg_data_type: bool = False) -> None:
    """Add a codec row to both revisions: a new MSG_ID, or with exg_data_type=True a new 0x1200 DATA_TYPE."""
    for t in TABLES.values():
        (t.subs[0x1200] if exg_data_type else t.messages)[mtype.msg_id] = mtype
    if exg_data_type:
        EXG_BY_CLASS[mtype.cls] = mtype
    _BY_CLASS[mtype.cls] = mtype


def message_type(msg: Any) -> MessageType:
    """The table row for a body object (KeyError for a class not in the tables)."""
    return _BY_CLASS[type(msg)]


def encode_body(msg: Any) -> tuple[int, bytes]:
    """(MSG_ID, body bytes) for a body dataclass (its class says its revision's layout)."""
    mtype = message_type(msg)
    return mtype.msg_id, mtype.encode(msg)


def answer_data(family: int, data_type: int, revision: str, values: dict[str, Any], source: tuple[int, int]) -> Any:
    """A family's answer sub-message in a revision from `values`; where the revision's layout names the request it
    answers (2019: SOURCE_DATA_TYPE, SOURCE_MSG_SN) they are `source` = (the request's DATA_TYPE, its MSG_SN).
    Values for fields the revision's layout does not have are left out."""
    cls = TABLES[revision].subs[family][data_type].cls
    names = set(cls.__dataclass_fields__)
    given = {k: v for k, v in values.items() if k in names}
    if "source_msg_sn" in names:
        given.update(source_data_type=source[0], source_msg_sn=source[1])
    return cls(**given)


def body_class(name: str, revision: str = "2011", data_type: int | None = None) -> type:
    """The dataclass of a message by MSG_ID name (or of a family's DATA_TYPE sub-message) in a revision."""
    table = TABLES[revision]
    for mtype in table.messages.values():
        if mtype.name == name:
            return mtype.cls
    for subs in table.subs.values():
        for mtype in subs.values():
            if mtype.name == name:
                return mtype.cls
    raise KeyError(name)


def message_name(msg_id: int) -> str | None:
    mtype = MESSAGES.get(msg_id)
    return mtype.name if mtype else None


# ---- value lint (fields that decode but make no sense)


def _lint_bits(loc: Any, where: str) -> list[Finding]:
    out = []
    for word, value in (("state", loc.state), ("alarm", loc.alarm)):
        bits = reserved(word, value)
        if bits:
            out.append(Finding(f"{word}_reserved", "fail", f"{where}: {word.upper()} 0x{value:08X} sets reserved "
                               f"JT/T 808 bit{'s' if len(bits) > 1 else ''} {', '.join(map(str, bits))} "
                               "(harness/jt809/jt808_bits.toml)"))
    return out


def _lint_location(loc: Location | Location2019, where: str) -> list[Finding]:
    if isinstance(loc, Location2019) and loc.gnss_raw is not None:  # no position read (the codec said so)
        return []
    out = []
    if loc.time is None:
        if isinstance(loc, Location2019):
            out.append(Finding("date_invalid", "fail", f"{where}: TIME (BCD YYMMDDhhmmss) {loc.time_bcd} is not a "
                               "real date and time"))
        else:
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
    return out + _lint_bits(loc, where)


def _lint_exg(msg: UpExgMsg) -> list[Finding]:
    out = []
    if msg.vehicle_color not in VEHICLE_COLORS:
        out.append(Finding("vehicle_color", "warn", f"VEHICLE_COLOR {msg.vehicle_color} is not a JT/T 415 code "
                           f"({', '.join(f'{k} {v[0]}' for k, v in VEHICLE_COLORS.items())})"))
    data = msg.data
    if isinstance(data, (Location, Location2019)):
        out += _lint_location(data, "REAL_LOCATION")
    elif isinstance(data, (HistoryLocation, HistoryLocation2019)):
        count = data.count() if isinstance(data, HistoryLocation2019) else len(data.locations)
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
    elif hasattr(body, "msg_gnsscenterid") and body.msg_gnsscenterid != header.gnss_center_id:  # 2019 0x1001
        out.append(Finding("access_code_mismatch", "fail", f"UP_CONNECT_REQ body MSG_GNSSCENTERID "
                           f"{body.msg_gnsscenterid} differs from the header's {header.gnss_center_id}"))
    return out


# ---- the same message in the 2019 body revision


def to_2019(msg: Any, access_code: int) -> Any:
    """A 2011 body object as the 2019 revision lays it out (0x1001 gains MSG_GNSSCENTERID, 0x1201 gains IMEI,
    positions become JT/T 808 GNSS_DATA); bodies the revision did not change come back as they are."""
    if isinstance(msg, UpConnectReq):
        return body_class("UP_CONNECT_REQ", "2019")(msg.user_id, msg.password, access_code, msg.down_link_ip,
                                                    msg.down_link_port)
    if isinstance(msg, Location):
        return Location2019(msg.encrypt, msg.time, msg.lon_deg, msg.lat_deg, msg.vec1, msg.vec2, msg.vec3,
                            msg.direction, msg.altitude, msg.state, msg.alarm)
    if isinstance(msg, HistoryLocation):
        return HistoryLocation2019([to_2019(x, access_code) for x in msg.locations])
    if isinstance(msg, Register):
        return body_class("UP_EXG_MSG_REGISTER", "2019")(msg.platform_id, msg.producer_id, msg.terminal_model_type,
                                                         "", msg.terminal_id, msg.terminal_simcode)
    if isinstance(msg, UpExgMsg) and not isinstance(msg.data, (bytes, bytearray)):
        return UpExgMsg(msg.vehicle_no, msg.vehicle_color, msg.data_type, to_2019(msg.data, access_code),
                        msg.data_length)
    return msg

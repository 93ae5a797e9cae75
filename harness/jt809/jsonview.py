"""JSON views of JT/T 809 headers and bodies (GBK text decoded, degrees, ISO times) and the way back."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any

from harness.jt809.frame import Frame, FrameError, Header, HeaderProfile
from harness.jt809.messages import (DOWN_CONNECT_RESULTS, DOWN_DISCONNECT_ERRORS, EXG_DATA_TYPES, MESSAGES,
                                    UP_CONNECT_RESULTS, VEHICLE_COLORS, DownConnectRsp, DownDisconnectInform,
                                    HistoryLocation, Location, Register, UpConnectRsp, UpExgMsg)

_TIME_FIELDS = ("day", "month", "year", "hour", "min", "sec")


def header_to_json(header: Header, profile: HeaderProfile, crc: int | None = None) -> dict[str, Any]:
    mtype = MESSAGES.get(header.msg_id)
    out = {
        "msg_length": header.msg_length,
        "msg_sn": header.msg_sn,
        "msg_id": header.msg_id,
        "msg_id_hex": f"0x{header.msg_id:04X}",
        "msg_name": mtype.name if mtype else None,
        "gnss_center_id": header.gnss_center_id,
        "version": ".".join(str(v) for v in header.version),
        "encrypt_flag": header.encrypt_flag,
        "encrypt_key": header.encrypt_key,
    }
    if profile.has_time:
        out["time"] = header.time
        try:
            out["time_iso"] = datetime.fromtimestamp(header.time, timezone.utc).isoformat().replace("+00:00", "Z")
        except (OverflowError, OSError, ValueError):
            out["time_iso"] = None
    if crc is not None:
        out["crc"] = f"0x{crc:04X}"
    return out


def location_to_json(loc: Location) -> dict[str, Any]:
    out = {f.name: getattr(loc, f.name) for f in dataclasses.fields(loc) if f.name != "time_fields"}
    out["time"] = loc.time.isoformat() if loc.time is not None else None
    if loc.time_fields is not None:
        out["time_fields"] = dict(zip(_TIME_FIELDS, loc.time_fields))
    return out


def _data_to_json(data: Any) -> dict[str, Any] | None:
    if isinstance(data, Location):
        return location_to_json(data)
    if isinstance(data, HistoryLocation):
        return {"gnss_cnt": len(data.locations), "locations": [location_to_json(x) for x in data.locations]}
    if isinstance(data, Register):
        return dataclasses.asdict(data)
    return None


def body_to_json(body: Any, msg_id: int) -> dict[str, Any] | None:
    """The decoded body as JSON-ready data, or None when there is no decoded body."""
    if body is None:
        return None
    mtype = MESSAGES.get(msg_id)
    out: dict[str, Any] = {"name": mtype.name if mtype else None}
    if isinstance(body, UpExgMsg):
        sub = EXG_DATA_TYPES.get(body.data_type)
        color = VEHICLE_COLORS.get(body.vehicle_color)
        out.update(vehicle_no=body.vehicle_no, vehicle_color=body.vehicle_color,
                   vehicle_color_name=color[0] if color else None, data_type=body.data_type,
                   data_type_hex=f"0x{body.data_type:04X}", data_type_name=sub.name if sub else None,
                   data_length=body.data_length if body.data_length is not None else _data_len(body),
                   data=_data_to_json(body.data))
        if isinstance(body.data, (bytes, bytearray)):
            out["data_hex"] = bytes(body.data).hex().upper()
        return out
    out.update(dataclasses.asdict(body))
    if isinstance(body, UpConnectRsp):
        out["result_name"] = UP_CONNECT_RESULTS.get(body.result)
    elif isinstance(body, DownConnectRsp):
        out["result_name"] = DOWN_CONNECT_RESULTS.get(body.result)
    elif isinstance(body, DownDisconnectInform):
        out["error_name"] = DOWN_DISCONNECT_ERRORS.get(body.error_code)
    return out


def _data_len(body: UpExgMsg) -> int:
    if isinstance(body.data, (bytes, bytearray)):
        return len(body.data)
    return len(EXG_DATA_TYPES[body.data_type].encode(body.data))


def event_to_json(event: Frame | FrameError) -> dict[str, Any]:
    """Header, body and raw body of a Frame, or of what a FrameError could decode (None where nothing did)."""
    frame = event if isinstance(event, Frame) else event.partial
    if frame is None:
        return {"header": None, "body": None, "body_hex": None}
    out = {"header": header_to_json(frame.header, frame.profile, frame.crc),
           "body": body_to_json(frame.body, frame.header.msg_id),
           "body_hex": frame.body_raw.hex().upper()}
    if frame.body_plain is not None and frame.body_plain != frame.body_raw:
        out["body_plain_hex"] = frame.body_plain.hex().upper()
    return out


def location_from_json(data: dict[str, Any]) -> Location:
    kwargs = {k: v for k, v in data.items() if k in Location.__dataclass_fields__}
    if kwargs.get("time") is not None:
        kwargs["time"] = datetime.fromisoformat(kwargs["time"])
    if "time_fields" in kwargs:
        kwargs["time_fields"] = tuple(data["time_fields"][k] for k in _TIME_FIELDS)
    return Location(**kwargs)


def message_from_json(msg_id: int, data: dict[str, Any]) -> Any:
    """Build a body dataclass from its JSON view (extra keys such as names are ignored)."""
    cls = MESSAGES[msg_id].cls
    if cls is UpExgMsg:
        sub = data.get("data")
        dtype = data["data_type"]
        if sub is None:
            payload: Any = bytes.fromhex(data.get("data_hex", ""))
        elif dtype == 0x1202:
            payload = location_from_json(sub)
        elif dtype == 0x1203:
            payload = HistoryLocation([location_from_json(x) for x in sub["locations"]])
        else:
            payload = EXG_DATA_TYPES[dtype].cls(**{k: v for k, v in sub.items()
                                                   if k in EXG_DATA_TYPES[dtype].cls.__dataclass_fields__})
        return UpExgMsg(data["vehicle_no"], data["vehicle_color"], dtype, payload)
    return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

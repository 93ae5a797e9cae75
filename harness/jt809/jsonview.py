"""JSON views of JT/T 809 headers and bodies (GBK text decoded, degrees, ISO times) and the way back."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any

from harness.jt809 import bits, layouts
from harness.jt809.bits import flags
from harness.jt809.exg import HEADS
from harness.jt809.frame import Frame, FrameError, Header, HeaderProfile
from harness.jt809.messages import (DOWN_CONNECT_RESULTS, DOWN_DISCONNECT_ERRORS, EXG_BY_CLASS, MESSAGES, TABLES,
                                    UP_CONNECT_RESULTS, VEHICLE_COLORS, DownConnectRsp, DownDisconnectInform,
                                    HistoryLocation, HistoryLocation2019, Location, Location2019, UpConnectRsp)

_TIME_FIELDS = ("day", "month", "year", "hour", "min", "sec")


def _utc_iso(seconds: int | None) -> str | None:
    try:
        return datetime.fromtimestamp(seconds, timezone.utc).isoformat().replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError, TypeError):
        return None


def header_to_json(header: Header, profile: HeaderProfile, crc: int | None = None) -> dict[str, Any]:
    mtype = TABLES[profile.name].messages.get(header.msg_id)
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
        out["time_iso"] = _utc_iso(header.time)
    if crc is not None:
        out["crc"] = f"0x{crc:04X}"
    return out


def _with_flags(out: dict[str, Any], state: int, alarm: int) -> dict[str, Any]:
    out["state_flags"], out["alarm_flags"] = flags("state", state), flags("alarm", alarm)
    return out


def location_to_json(loc: Location) -> dict[str, Any]:
    out = {f.name: getattr(loc, f.name) for f in dataclasses.fields(loc) if f.name != "time_fields"}
    out["time"] = loc.time.isoformat() if loc.time is not None else None
    if loc.time_fields is not None:
        out["time_fields"] = dict(zip(_TIME_FIELDS, loc.time_fields))
    return _with_flags(out, loc.state, loc.alarm)


def _item_json(item_id: int, value: bytes) -> dict[str, Any]:
    """A JT/T 808 additional item, named by harness/jt809/jt808_items.toml when it is listed there."""
    out: dict[str, Any] = {"id": item_id, "id_hex": f"0x{item_id:02X}"}
    row = bits.item(item_id)
    if row is not None:
        out["name"], out["zh"] = row["name"], row["zh"]
    out["value_hex"] = bytes(value).hex().upper()
    if row is not None and row.get("size") == len(value) and len(value) <= 4:
        out["value"] = int.from_bytes(value, "big")
    return out


_PLATFORMS = ("platform_id1", "alarm1", "platform_id2", "alarm2", "platform_id3", "alarm3")


def location2019_to_json(loc: Location2019) -> dict[str, Any]:
    if loc.gnss_raw is not None:  # GNSS_DATA that is no JT/T 808 0x0200 body: no position in it
        return {"encrypt": loc.encrypt, "gnss_data_hex": bytes(loc.gnss_raw).hex().upper(),
                **{k: getattr(loc, k) for k in _PLATFORMS}}
    out = {f.name: getattr(loc, f.name) for f in dataclasses.fields(loc)
           if f.name not in ("extras", "time_bcd", "gnss_raw")}
    out["time"] = loc.time.isoformat() if loc.time is not None else None
    out["gnss_data_length"] = len(loc.gnss_data())  # DATA_LENGTH u32 before GNSS_DATA
    out["extras"] = [_item_json(i, v) for i, v in loc.extras]
    read_as = [f"0x{i:02X} -> {row['read_as']}" for i, row in sorted(bits.ITEMS.items())
               if row.get("read_as") and getattr(loc, row["read_as"]) is not None]
    if read_as:  # the 808 items the codec folded into VEC3/VEC2 (harness/jt809/jt808_items.toml)
        out["items_read_as"] = read_as
    if loc.time_bcd is not None:
        out["time_bcd"] = loc.time_bcd
    return _with_flags(out, loc.state, loc.alarm)


def _value_to_json(spec: layouts.FieldSpec, value: Any) -> Any:
    if spec.kind == "bytes":
        return bytes(value).hex().upper()
    if spec.kind == "gnss":
        return location_to_json(value)
    if spec.kind == "gnss_list":
        return [location_to_json(x) for x in value]
    if spec.kind == "gnss2019":
        return location2019_to_json(value)
    if spec.kind == "gnss2019_list":
        return [location2019_to_json(x) for x in value]
    if spec.kind == "records":
        return [_times_too(spec.items, rec) for rec in value]
    return value


def _times_too(items: tuple[layouts.FieldSpec, ...], rec: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for f in items:
        out[f.name] = rec[f.name]
        if f.type == "time":  # u64 UTC seconds, shown as ISO time too
            out[f"{f.name}_iso"] = _utc_iso(rec[f.name])
    return out


def _data_to_json(data: Any) -> dict[str, Any] | None:
    if isinstance(data, Location):
        return location_to_json(data)
    if isinstance(data, Location2019):
        return location2019_to_json(data)
    if isinstance(data, (HistoryLocation, HistoryLocation2019)):
        view = location_to_json if isinstance(data, HistoryLocation) else location2019_to_json
        count = data.count() if isinstance(data, HistoryLocation2019) else len(data.locations)
        return {"gnss_cnt": count, "locations": [view(x) for x in data.locations]}
    if type(data) in layouts.SPECS:
        out = {}
        for f in layouts.SPECS[type(data)]:
            out[f.name] = _value_to_json(f, getattr(data, f.name))
            if f.type == "time":  # u64 UTC seconds, shown as ISO time too
                out[f"{f.name}_iso"] = _utc_iso(out[f.name])
        return out
    if dataclasses.is_dataclass(data):
        return dataclasses.asdict(data)
    return None


data_to_json = _data_to_json  # a family's sub-message (DATA_TYPE body) as JSON


def _sub_row(body: Any, msg_id: int) -> Any:
    if not isinstance(body.data, (bytes, bytearray)):
        return layouts.BY_CLASS.get(type(body.data)) or EXG_BY_CLASS.get(type(body.data))
    for revision in ("2011", "2019"):
        row = TABLES[revision].subs.get(msg_id, {}).get(body.data_type)
        if row is not None:
            return row
    return None


def body_to_json(body: Any, msg_id: int, plain: bytes | None = None) -> dict[str, Any] | None:
    """The decoded body as JSON-ready data, or None when there is no decoded body; `plain`, the clear body
    bytes when known, gives a family's true DATA_LENGTH without re-encoding its data."""
    if body is None:
        return None
    mtype = MESSAGES.get(msg_id) or TABLES["2019"].messages.get(msg_id)  # 2019-only ids (0x1102, 0x9102…)
    out: dict[str, Any] = {"name": mtype.name if mtype else None}
    if type(body) in layouts.FAMILY_CLASSES:
        sub = _sub_row(body, msg_id)
        if hasattr(body, "vehicle_no"):
            color = VEHICLE_COLORS.get(body.vehicle_color)
            out.update(vehicle_no=body.vehicle_no, vehicle_color=body.vehicle_color,
                       vehicle_color_name=color[0] if color else None)
        out.update(data_type=body.data_type, data_type_hex=f"0x{body.data_type:04X}",
                   data_type_name=sub.name if sub else None,
                   data_length=body.data_length if body.data_length is not None else _data_len(body, sub, plain),
                   data=_data_to_json(body.data))
        if isinstance(body.data, (bytes, bytearray)):
            out["data_hex"] = bytes(body.data).hex().upper()
        return out
    if type(body) in layouts.SPECS:
        out.update(_data_to_json(body))
        return out
    out.update(dataclasses.asdict(body))
    if isinstance(body, UpConnectRsp):
        out["result_name"] = UP_CONNECT_RESULTS.get(body.result)
    elif isinstance(body, DownConnectRsp):
        out["result_name"] = DOWN_CONNECT_RESULTS.get(body.result)
    elif isinstance(body, DownDisconnectInform):
        out["error_name"] = DOWN_DISCONNECT_ERRORS.get(body.error_code)
    return out


def _data_len(body: Any, sub: Any, plain: bytes | None) -> int | None:
    if isinstance(body.data, (bytes, bytearray)):
        return len(body.data)
    if plain is not None:
        return len(plain) - HEADS["vehicle" if hasattr(body, "vehicle_no") else "platform"].size
    try:
        return len(sub.encode(body.data))
    except ValueError:  # text that was not GBK, kept escaped, no longer fits its field
        return None


def event_to_json(event: Frame | FrameError) -> dict[str, Any]:
    """Header, body and raw body of a Frame, or of what a FrameError could decode (None where nothing did)."""
    frame = event if isinstance(event, Frame) else event.partial
    if frame is None:
        return {"header": None, "body": None, "body_hex": None}
    out = {"header": header_to_json(frame.header, frame.profile, frame.crc),
           "body": body_to_json(frame.body, frame.header.msg_id, frame.body_plain),
           "body_hex": frame.body_raw.hex().upper()}
    if frame.body_plain is not None and frame.body_plain != frame.body_raw:
        out["body_plain_hex"] = frame.body_plain.hex().upper()
    return out


_DERIVED = ("state_flags", "alarm_flags")


def location_from_json(data: dict[str, Any]) -> Location:
    kwargs = {k: v for k, v in data.items() if k in Location.__dataclass_fields__}
    if kwargs.get("time") is not None:
        kwargs["time"] = datetime.fromisoformat(kwargs["time"])
    if "time_fields" in kwargs:
        kwargs["time_fields"] = tuple(data["time_fields"][k] for k in _TIME_FIELDS)
    return Location(**kwargs)


def location2019_from_json(data: dict[str, Any]) -> Location2019:
    kwargs = {k: v for k, v in data.items() if k in Location2019.__dataclass_fields__}
    if kwargs.get("time") is not None:
        kwargs["time"] = datetime.fromisoformat(kwargs["time"])
    kwargs["extras"] = [(x["id"], bytes.fromhex(x["value_hex"])) for x in data.get("extras", [])]
    if "gnss_data_hex" in data:
        kwargs["gnss_raw"] = bytes.fromhex(data["gnss_data_hex"])
    return Location2019(**kwargs)


def _value_from_json(spec: layouts.FieldSpec, value: Any) -> Any:
    if spec.kind == "bytes":
        return bytes.fromhex(value)
    if spec.kind == "gnss":
        return location_from_json(value)
    if spec.kind == "gnss_list":
        return [location_from_json(x) for x in value]
    if spec.kind == "gnss2019":
        return location2019_from_json(value)
    if spec.kind == "gnss2019_list":
        return [location2019_from_json(x) for x in value]
    return value


def _object_from_json(cls: type, data: dict[str, Any]) -> Any:
    if cls is Location:
        return location_from_json(data)
    if cls is Location2019:
        return location2019_from_json(data)
    if cls in (HistoryLocation, HistoryLocation2019):
        item = Location if cls is HistoryLocation else Location2019
        return cls([_object_from_json(item, x) for x in data["locations"]])
    if cls in layouts.SPECS:
        return cls(**{f.name: _value_from_json(f, data[f.name]) for f in layouts.SPECS[cls] if f.name in data})
    return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def message_from_json(msg_id: int, data: dict[str, Any], revision: str = "2011") -> Any:
    """Build a body dataclass from its JSON view (extra keys such as names are ignored)."""
    mtype = TABLES[revision].messages[msg_id]
    cls = mtype.cls
    if cls in layouts.FAMILY_CLASSES:
        sub = data.get("data")
        dtype = data["data_type"]
        if sub is None:
            payload: Any = bytes.fromhex(data.get("data_hex", ""))
        else:
            payload = _object_from_json(TABLES[revision].subs[msg_id][dtype].cls, sub)
        if "vehicle_no" in data:
            return cls(data["vehicle_no"], data["vehicle_color"], dtype, payload)
        return cls(dtype, payload)
    return _object_from_json(cls, data)

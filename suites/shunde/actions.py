"""The client-role adapter actions of `shunde` and their params JSON Schemas (`vconform actions shunde --schema`)."""
from __future__ import annotations

from typing import Any

POSITION = {
    "type": "object",
    "description": "One 0x1202 GNSS block; field names are the standard's (jt809 notes §Messages 0x1202)",
    "required": ["time", "lon", "lat"],
    "properties": {
        "time": {"type": "string", "description": "DAY..SEC as ISO local time, Beijing time (E-SD-08)",
                 "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"},
        "lon": {"type": "number", "minimum": 0, "maximum": 180, "description": "degrees, sent as u32 1e-6 deg"},
        "lat": {"type": "number", "minimum": 0, "maximum": 90},
        "vec1": {"type": "integer", "minimum": 0, "maximum": 65535, "description": "GNSS speed km/h"},
        "vec2": {"type": "integer", "minimum": 0, "maximum": 65535, "description": "recorder speed km/h"},
        "vec3": {"type": "integer", "minimum": 0, "description": "mileage km"},
        "direction": {"type": "integer", "minimum": 0, "maximum": 359},
        "altitude": {"type": "integer", "minimum": 0, "maximum": 65535},
        "state": {"type": "integer", "minimum": 0, "description": "JT/T 808 STATE bits (bit 1: positioned)"},
        "alarm": {"type": "integer", "minimum": 0, "description": "JT/T 808 ALARM bits"},
    },
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "connect": {
        "description": "Log in on the main link (0x1001 -> 0x1002 RESULT 0), serve the slave link (0x9001 -> 0x9002), "
                       "keep heartbeats going; a forwarder is long-running: start it and return once logged in. "
                       "credentials: user_id, password, access_code, down_link_ip, down_link_port, header "
                       "('2011'|'2019'), encrypt (null or {m1, ia1, ic1}), heartbeat_interval_s. An adapter that "
                       "starts a daemon writes its pid to STATE_DIR/daemon.pid; the harness ends it at session end.",
        "type": "object", "properties": {}},
    "send_positions": {
        "description": "Forward these positions on the main link: mode real = one 0x1202 per position in the given "
                       "order; mode history = 0x1203 batches of at most 5 blocks in time order. Return when sent.",
        "type": "object",
        "required": ["vehicles"],
        "properties": {"vehicles": {"type": "array", "items": {
            "type": "object",
            "required": ["vehicle_no", "vehicle_color", "positions"],
            "properties": {
                "vehicle_no": {"type": "string", "description": "plate, GBK, at most 21 bytes"},
                "vehicle_color": {"type": "integer", "enum": [1, 2, 3, 4, 9], "description": "JT/T 415 code"},
                "mode": {"type": "string", "enum": ["real", "history"], "default": "real"},
                "positions": {"type": "array", "items": POSITION},
            }}}},
    },
    "disconnect": {
        "description": "Leave in order: 0x1003 with USERID and PASSWORD, wait for 0x1004, close both links, stop.",
        "type": "object", "properties": {}},
}


def action_schema(action: str) -> dict[str, Any]:
    if action in SCHEMAS:
        return SCHEMAS[action]
    return {"description": f"{action} is not an adapter action: the harness judges it from the links "
                           "(heartbeats, framing) or from the result sheets"}

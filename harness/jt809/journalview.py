"""The journal's JSON views of a JT/T 809 frame (header, body, codec findings): built when a mock journals a frame
whole, or when a row journaled raw (the frame's bytes and scalar columns, view "jt809:<header profile>") is read
(harness.journal finds `frame_view` by that name; the codec does not import the journal)."""
from __future__ import annotations

from typing import Any

from harness.jt809.frame import PROFILES, Frame, decode_frame
from harness.jt809.jsonview import body_to_json, header_to_json
from harness.jt809.messages import UpExgMsg, lint

EXG_HEAD_SIZE = 28  # 0x1200: VEHICLE_NO 21, VEHICLE_COLOR 1, DATA_TYPE 2, DATA_LENGTH 4
VIEW = "jt809"  # journal view name of raw JT/T 809 rows; the argument is the header profile ("jt809:2011")


def finding(f: Any) -> dict[str, Any]:
    """A codec finding for the journal, keeping its errata tag (Finding.as_dict leaves it out)."""
    d = f.as_dict()
    if f.errata:
        d["errata"] = f.errata
    return d


def settle_body(frame: Frame) -> None:
    """The true DATA_LENGTH of a 0x1200 body, known from the body: saves jsonview re-encoding the block to count it."""
    body = frame.body
    if isinstance(body, UpExgMsg) and body.data_length is None and frame.body_plain is not None:
        body.data_length = len(frame.body_plain) - EXG_HEAD_SIZE


def frame_view(raw: bytes, profile: str) -> dict[str, Any]:
    """The JSON columns of a raw row: what a mock journals for a clear, well-formed frame it received."""
    frame = decode_frame(raw, PROFILES[profile or "2011"])
    if not isinstance(frame, Frame):  # only well-formed frames are journaled raw; say so if the bytes disagree
        return {"headers": {}, "request_plaintext": None, "notes": {"findings": [], "view_error": frame.reason}}
    settle_body(frame)
    return {"headers": header_to_json(frame.header, frame.profile, frame.crc),
            "request_plaintext": body_to_json(frame.body, frame.header.msg_id),
            "notes": {"findings": [finding(f) for f in lint(frame)]}}


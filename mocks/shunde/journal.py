"""The district mock's journal: the engine's Journal in batched mode (one transaction per socket read), and the
JSON views of a JT/T 809 frame (header, body, findings), built when a frame is received and answered, or when a
row the mock wrote raw (a position frame nobody answers: its bytes and scalar columns only) is read back."""
from __future__ import annotations

from typing import Any

from harness.journal import Journal, register_view
from harness.jt809 import PROFILES, Frame, decode_frame, lint
from harness.jt809.jsonview import body_to_json, header_to_json
from harness.jt809.messages import UpExgMsg

EXG_HEAD_SIZE = 28  # 0x1200: VEHICLE_NO 21, VEHICLE_COLOR 1, DATA_TYPE 2, DATA_LENGTH 4
VIEW = "jt809"  # journal view name of raw JT/T 809 rows; the argument is the header profile ("jt809:2011")


class BatchJournal(Journal):
    """harness.journal.Journal with batch=True; flushed by the mock after each read and before each answer."""

    def __init__(self, path=None, *, keep: bool = True, max_pending: int = 2000):
        super().__init__(path, keep=keep, batch=True, max_pending=max_pending)

    @classmethod
    def beside(cls, journal: Journal | None) -> Journal:
        """The journal to use: the one given, switched to batched writes (its owner's close() flushes it)."""
        if journal is None:
            return cls(None)
        journal.batch = True
        return journal


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
    """The JSON columns of a raw row: what the mock journals for a clear, well-formed frame it received."""
    frame = decode_frame(raw, PROFILES[profile or "2011"])
    if not isinstance(frame, Frame):  # only well-formed frames are journaled raw; say so if the bytes disagree
        return {"headers": {}, "request_plaintext": None, "notes": {"findings": [], "view_error": frame.reason}}
    settle_body(frame)
    msg_id = frame.header.msg_id
    return {"headers": header_to_json(frame.header, frame.profile, frame.crc),
            "request_plaintext": body_to_json(frame.body, msg_id),
            "notes": {"findings": [finding(f) for f in lint(frame)]}}


register_view(VIEW, frame_view)

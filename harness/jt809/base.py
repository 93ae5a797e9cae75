"""Shared pieces of the JT/T 809 body codecs: findings, body errors, fixed-size GBK text and struct layouts."""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field, fields
from typing import Any, Callable

SPEC = "JT/T 809-2011"


@dataclass(frozen=True)
class Finding:
    """One value-level observation about a frame: stable code, "fail"/"warn" level, data-first message."""

    code: str
    level: str
    message: str
    errata: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "level": self.level, "message": self.message}


class BodyError(Exception):
    """A body that cannot be decoded as its message; carries what could be decoded."""

    reason = "body"

    def __init__(self, message: str, partial: Any = None):
        super().__init__(message)
        self.message = message
        self.partial = partial


class UnknownDataType(BodyError):
    reason = "unknown_data_type"


class UnverifiedLayout(BodyError):
    """A body that does not fit a layout our spec texts do not give (layouts.toml source "recalled")."""

    reason = "unverified_layout"


# ---- field helpers: wire layout lives in dataclass metadata so a new message is one class + one table row


def u8(default: int = 0):
    return field(default=default, metadata={"fmt": "B"})


def u16(default: int = 0):
    return field(default=default, metadata={"fmt": "H"})


def u32(default: int = 0):
    return field(default=default, metadata={"fmt": "I"})


def text(size: int, default: str = ""):
    return field(default=default, metadata={"fmt": f"{size}s"})


# Platform and producer ids some implementations write as a big-endian number, 0x00-padded at the front (E-SD-18).
_NUMERIC_IDS = re.compile(r"^(.*_)?PLATFORM_ID\d?$|^PRODUCER_ID$")


def _as_number(raw: bytes, name: str) -> bool:
    """An id field that holds a big-endian number rather than text: 0x00 first, then bytes that are no readable
    text (a control byte, or not GBK)."""
    value = raw.lstrip(b"\x00")
    if not raw.startswith(b"\x00") or not value or not _NUMERIC_IDS.match(name):
        return False
    try:
        return any(b < 0x20 for b in value) or not value.decode("gbk").isprintable()
    except UnicodeDecodeError:
        return True


def decode_text(raw: bytes, name: str, notes: list[Finding]) -> str:
    """GBK text from a fixed NUL-padded field; undecodable bytes are kept escaped and noted, never raised.

    NUL bytes anywhere but at the end (a captured 0x1201 pads at the front) are noted; the value is the text
    without them, as other implementations read it. A platform or producer id written as a big-endian number
    (0x00 first, then no readable text) is read as that number's digits, with a warning (E-SD-18)."""
    if _as_number(raw, name):
        number = str(int.from_bytes(raw, "big"))
        notes.append(Finding("id_as_number", "warn", f"{name}: {raw.hex()} is no text; read as a big-endian number "
                             f"({number}), as some implementations write ids; {SPEC} ids are GBK text", "E-SD-18"))
        return number
    value = raw.rstrip(b"\x00")
    if b"\x00" in value:
        notes.append(Finding("text_nul", "warn", f"{name}: 0x00 bytes before the text or inside it ({raw.hex()}); "
                             f"{SPEC} pads strings with 0x00 only at the end; read without them"))
        value = value.replace(b"\x00", b"")
    try:
        return value.decode("gbk")
    except UnicodeDecodeError as exc:
        notes.append(Finding("text_gbk", "fail", f"{name}: bytes {value.hex()} are not valid GBK "
                             f"({exc.reason} at byte {exc.start}); {SPEC} strings are GBK"))
        return value.decode("gbk", "backslashreplace")


def encode_text(value: str, size: int, name: str) -> bytes:
    raw = value.encode("gbk")
    if len(raw) > size:
        raise ValueError(f"{name} is {len(raw)} bytes in GBK, its field holds {size}")
    return raw.ljust(size, b"\x00")


class FixedCodec:
    """Codec for a dataclass whose fields all carry a struct format in their metadata."""

    def __init__(self, cls: type, name: str):
        self.cls, self.name = cls, name
        specs = [(f.name, f.metadata["fmt"]) for f in fields(cls) if "fmt" in f.metadata]
        self.names = [n for n, _ in specs]
        self.texts = [(i, n, int(fmt[:-1])) for i, (n, fmt) in enumerate(specs) if fmt.endswith("s")]
        self.struct = struct.Struct(">" + "".join(fmt for _, fmt in specs))
        self.size = self.struct.size

    def decode(self, data: bytes, notes: list[Finding]) -> Any:
        if len(data) < self.size:
            raise BodyError(f"{self.name} body is {len(data)} bytes, it needs {self.size}")
        values = list(self.struct.unpack_from(data))
        for i, n, _ in self.texts:
            values[i] = decode_text(values[i], n.upper(), notes)
        obj = self.cls(*values)
        if len(data) > self.size:
            raise BodyError(f"{self.name} body is {len(data)} bytes, it takes {self.size} "
                            f"({len(data) - self.size} left over)", obj)
        return obj

    def encode(self, obj: Any) -> bytes:
        values = [getattr(obj, n) for n in self.names]
        for i, n, size in self.texts:
            values[i] = encode_text(values[i], size, n.upper())
        try:
            return self.struct.pack(*values)
        except struct.error as exc:
            raise ValueError(f"{self.name}: {exc}") from None


@dataclass(frozen=True)
class MessageType:
    """One row of the codec table: id, spec name, link, body class and its codec functions."""

    msg_id: int
    name: str
    link: str
    cls: type
    decode: Callable[[bytes, list[Finding]], Any]
    encode: Callable[[Any], bytes]

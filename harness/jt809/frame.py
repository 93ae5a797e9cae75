"""JT/T 809 framing, sans I/O: escaping, headers (2011/2019 profiles), encode, and an incremental FrameDecoder."""
from __future__ import annotations

import re
import struct
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any, Iterator

from harness.jt809.base import BodyError, Finding
from harness.jt809.cipher import CipherConfig, crypt
from harness.jt809.crc import crc16
from harness.jt809.messages import MESSAGES, encode_body, message_name, messages_for

BEGIN, END = 0x5B, 0x5D

REASONS = {
    "garbage": "bytes outside any 0x5B..0x5D frame were skipped",
    "truncated": "frame cut short: no end flag before the next start flag or end of input, or too short for a header",
    "oversize": "no end flag within the decoder's max_frame bytes",
    "escape": "0x5A or 0x5E not followed by 0x01/0x02",
    "length": "MSG_LENGTH differs from the unescaped frame length (flags and CRC included)",
    "crc": "CRC-16/CCITT-FALSE over header and body differs from the CRC sent",
    "unknown_msg_id": "MSG_ID not in the codec table; header decoded, body kept raw",
    "unknown_data_type": "0x1200 DATA_TYPE not in the codec table; outer body decoded, data kept raw",
    "body": "body does not fit its message (too short, bytes left over, DATA_LENGTH or GNSS_CNT mismatch)",
    "unverified_layout": "body does not fit a layout the project's spec texts do not give (layouts.toml source "
                         "recalled): decoded as far as it goes, a warning",
}


@dataclass(frozen=True)
class HeaderProfile:
    """Header layout: "2011" (22 bytes) or "2019" (adds TIME u64, UTC seconds; 30 bytes)."""

    name: str
    layout: struct.Struct = field(repr=False, compare=False)

    @property
    def size(self) -> int:
        return self.layout.size

    @property
    def has_time(self) -> bool:
        return self.name != "2011"


HEADER_2011 = HeaderProfile("2011", struct.Struct(">IIHI3sBI"))
HEADER_2019 = HeaderProfile("2019", struct.Struct(">IIHI3sBIQ"))
PROFILES = {"2011": HEADER_2011, "2019": HEADER_2019}


@dataclass
class Header:
    """Frame header in wire order; msg_length/msg_id None mean "compute on encode"."""

    msg_length: int | None = None
    msg_sn: int = 0
    msg_id: int | None = None
    gnss_center_id: int = 0
    version: tuple[int, int, int] = (1, 0, 0)
    encrypt_flag: int = 0
    encrypt_key: int = 0
    time: int | None = None  # 2019 profile only


@dataclass
class Frame:
    """A decoded frame: header, body as sent and in clear, decoded body (None when unknown or unreadable)."""

    header: Header
    body: Any
    body_raw: bytes = field(repr=False)
    body_plain: bytes | None = field(repr=False)  # None: encrypted and no cipher constants
    crc: int
    raw: bytes = field(default=b"", repr=False)
    profile: HeaderProfile = field(default=HEADER_2011, repr=False)
    notes: list[Finding] = field(default_factory=list)
    offset: int = 0

    @property
    def msg_name(self) -> str | None:
        return message_name(self.header.msg_id)


@dataclass
class FrameError:
    """A malformed frame or skipped bytes: stable reason code, message, raw bytes and whatever did decode."""

    reason: str
    message: str
    raw: bytes
    partial: Frame | None = None
    offset: int = 0
    others: list[tuple[str, str]] = field(default_factory=list)  # further (reason, message) for the same bytes


class _Sentinel:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


NEED_DATA = _Sentinel("NEED_DATA")
CLOSED = _Sentinel("CLOSED")

_SPECIAL = re.compile(rb"[\x5a\x5b\x5d\x5e]")
_BAD_ESCAPE = re.compile(rb"[\x5a\x5e](?![\x01\x02])")
_FLAGS = re.compile(rb"[\x5b\x5d]")


def escape(data: bytes) -> bytes:
    """Escape the bytes between the flags (jt809 notes §Frame)."""
    if not _SPECIAL.search(data):
        return data
    # 0x5A and 0x5E first, so the escape bytes added for 0x5B/0x5D are not escaped again.
    return (data.replace(b"\x5a", b"\x5a\x02").replace(b"\x5e", b"\x5e\x02")
            .replace(b"\x5b", b"\x5a\x01").replace(b"\x5d", b"\x5e\x01"))


def unescape(data: bytes) -> tuple[bytes, list[int]]:
    """Undo escaping; returns the bytes and the offsets of bad escape bytes (left as they are)."""
    if b"\x5a" not in data and b"\x5e" not in data:
        return data, []
    bad = [m.start() for m in _BAD_ESCAPE.finditer(data)]
    # 0x5A 0x02 -> 0x5A last: done earlier it could pair the restored 0x5A with a following 0x01.
    out = (data.replace(b"\x5a\x01", b"\x5b").replace(b"\x5e\x01", b"\x5d")
           .replace(b"\x5e\x02", b"\x5e").replace(b"\x5a\x02", b"\x5a"))
    return out, bad


def encode_raw(header: Header, body: bytes, *, cipher: CipherConfig | None = None,
               profile: HeaderProfile = HEADER_2011, crc: int | None = None) -> bytes:
    """Frame a clear body under `header` (encrypting it when ENCRYPT_FLAG is 1); crc overrides the computed CRC."""
    if header.msg_id is None:
        raise ValueError("encode_raw needs header.msg_id")
    if header.encrypt_flag == 1:
        if cipher is None:
            raise ValueError("ENCRYPT_FLAG is 1: pass cipher=CipherConfig(m1, ia1, ic1)")
        body = crypt(body, header.encrypt_key, cipher)
    length = header.msg_length if header.msg_length is not None else profile.size + len(body) + 4
    values = [length, header.msg_sn, header.msg_id, header.gnss_center_id, bytes(header.version),
              header.encrypt_flag, header.encrypt_key]
    if profile.has_time:
        values.append(header.time or 0)
    try:
        content = profile.layout.pack(*values) + body
    except struct.error as exc:
        raise ValueError(f"header: {exc}") from None
    check = crc16(content) if crc is None else crc
    return b"\x5b" + escape(content + check.to_bytes(2, "big")) + b"\x5d"


def encode(msg: Any, header: Header | None = None, *, cipher: CipherConfig | None = None,
           profile: HeaderProfile = HEADER_2011) -> bytes:
    """Encode a body dataclass as a whole escaped frame; MSG_ID and MSG_LENGTH are filled in unless set."""
    msg_id, body = encode_body(msg)
    header = header or Header()
    if header.msg_id is None:
        header = replace(header, msg_id=msg_id)
    return encode_raw(header, body, cipher=cipher, profile=profile)


def _length_message(declared: int, actual: int, escaped: int, header_size: int) -> str:
    text = f"MSG_LENGTH is {declared}, the unescaped frame is {actual} bytes (both flags and the CRC included)"
    # Name the usual miscounts so a vendor sees which bytes their length leaves out.
    hints = {actual - 2: "the two flags or the CRC left out", actual - 4: "both flags and the CRC left out",
             actual - 1: "one flag left out", actual - 3: "one flag and the CRC left out",
             actual - header_size - 4: "only the body counted", escaped: "counted after escaping"}
    hint = hints.get(declared) if declared != actual else None
    return f"{text}: looks like {hint}" if hint else text


def _other_revision(plain: bytes, header: Header, profile: HeaderProfile) -> str:
    """Name the other body revision when the body fits it: a 2011 body under a 2019 header, or the reverse."""
    other = "2011" if profile.name == "2019" else "2019"
    mtype = messages_for(other).get(header.msg_id)
    if mtype is None or mtype is messages_for(profile.name).get(header.msg_id):
        return ""
    try:
        mtype.decode(plain, [])
    except BodyError:
        return ""
    return f"; it fits the {other} body layout: {other} bodies under a {profile.name} header"


def decode_frame(raw: bytes, profile: HeaderProfile = HEADER_2011, cipher: CipherConfig | None = None,
                 offset: int = 0) -> Frame | FrameError:
    """Decode one whole frame (0x5B..0x5D); never raises on bad input."""
    raw = bytes(raw)
    if len(raw) < 2 or raw[0] != BEGIN or raw[-1] != END:
        return FrameError("truncated", f"{len(raw)} bytes without both a 0x5B start and a 0x5D end flag",
                          raw, None, offset)
    content, bad = unescape(raw[1:-1])
    problems = []
    if bad:
        shown = ", ".join(f"{raw[1 + i:3 + i].hex(' ').upper()} at byte {1 + i}" for i in bad[:5])
        problems.append(("escape", f"bad escape sequence {shown}: 0x5A/0x5E must be followed by 0x01 or 0x02"))
    minimum = profile.size + 2
    if len(content) < minimum:
        problems.append(("truncated", f"{len(content)} bytes between the flags after unescaping; a frame with a "
                         f"{profile.size}-byte header ({profile.name}) needs at least {minimum}"))
        # "truncated" leads here: with no header there is nothing more useful to say about the bytes.
        return FrameError(*problems[-1], raw, None, offset, problems[:-1])
    values = profile.layout.unpack_from(content)
    header = Header(values[0], values[1], values[2], values[3], tuple(values[4]), values[5], values[6],
                    values[7] if profile.has_time else None)
    actual = len(content) + 2
    if header.msg_length != actual:
        problems.append(("length", _length_message(header.msg_length, actual, len(raw), profile.size)))
    sent = int.from_bytes(content[-2:], "big")
    computed = crc16(memoryview(content)[:-2])
    if sent != computed:
        problems.append(("crc", f"CRC sent 0x{sent:04X}, computed 0x{computed:04X} over the "
                         f"{len(content) - 2} unescaped header and body bytes"))
    body_raw = content[profile.size:-2]
    if header.encrypt_flag == 1:
        plain = crypt(body_raw, header.encrypt_key, cipher) if cipher is not None else None
    else:
        plain = body_raw
    frame = Frame(header, None, body_raw, plain, sent, raw, profile, [], offset)
    table = messages_for(profile.name)  # the body revision follows the header profile
    mtype = table.get(header.msg_id)
    if mtype is None:
        problems.append(("unknown_msg_id", f"MSG_ID 0x{header.msg_id:04X} is not in the codec table; "
                         f"body kept raw ({len(body_raw)} bytes)"))
    elif plain is not None:
        try:
            frame.body = mtype.decode(plain, frame.notes)
        except BodyError as exc:
            frame.body = exc.partial
            problems.append((exc.reason, f"{mtype.name}: {exc.message}{_other_revision(plain, header, profile)}"))
    if problems:
        return FrameError(problems[0][0], problems[0][1], raw, frame, offset, problems[1:])
    return frame


class FrameDecoder:
    """Incremental decoder: feed() bytes as they arrive, then drain next_event()/events(); close() at end of input."""

    def __init__(self, profile: HeaderProfile = HEADER_2011, cipher: CipherConfig | None = None,
                 max_frame: int = 1 << 20):
        self.profile, self.cipher, self.max_frame = profile, cipher, max_frame
        self._buf = bytearray()
        self._scanned = 0  # bytes of _buf already searched for a flag: byte-by-byte feeding stays linear
        self._offset = 0  # stream offset of _buf[0]
        self._closed = False
        self._ready: deque[Frame | FrameError] = deque()

    def feed(self, data: bytes) -> None:
        if self._closed:
            raise RuntimeError("feed() after close()")
        self._buf += data

    def close(self) -> None:
        """Mark end of input: a pending partial frame becomes `truncated`, trailing bytes `garbage`."""
        self._closed = True

    def next_event(self) -> Frame | FrameError | _Sentinel:
        """The next Frame or FrameError, NEED_DATA when more input is needed, CLOSED when drained after close()."""
        while not self._ready:
            if not self._step():
                return CLOSED if self._closed and not self._buf else NEED_DATA
        return self._ready.popleft()

    def events(self) -> Iterator[Frame | FrameError]:
        while True:
            event = self.next_event()
            if event is NEED_DATA or event is CLOSED:
                return
            yield event

    def _take(self, n: int) -> bytes:
        chunk = bytes(self._buf[:n])
        del self._buf[:n]
        self._offset += n
        self._scanned = 0
        return chunk

    def _step(self) -> bool:
        """Queue at most one event; False when nothing can be decided without more input."""
        buf = self._buf
        if not buf:
            return False
        offset = self._offset
        if buf[0] != BEGIN:
            start = buf.find(b"\x5b", self._scanned, self.max_frame)
            if start < 0:
                # Garbage is reported in one piece per run (or per max_frame bytes) whatever the read sizes.
                if not self._closed and len(buf) < self.max_frame:
                    self._scanned = len(buf)
                    return False
                start = min(len(buf), self.max_frame)
            skipped = self._take(start)
            self._ready.append(FrameError("garbage", f"{len(skipped)} bytes before a 0x5B start flag skipped",
                                          skipped, None, offset))
            return True
        limit = min(len(buf), self.max_frame)
        hit = _FLAGS.search(buf, max(1, self._scanned), limit)
        if hit is None:
            if len(buf) >= self.max_frame:
                raw = self._take(self.max_frame)
                self._ready.append(FrameError("oversize", f"no 0x5D end flag within {self.max_frame} bytes",
                                              raw, None, offset))
                return True
            if self._closed:
                raw = self._take(len(buf))
                self._ready.append(FrameError("truncated", f"input ended {len(raw)} bytes into a frame "
                                              "(no 0x5D end flag)", raw, None, offset))
                return True
            self._scanned = len(buf)
            return False
        end = hit.start()
        if buf[end] == BEGIN:
            raw = self._take(end)
            self._ready.append(FrameError("truncated", f"a new 0x5B start flag came {end} bytes into a frame "
                                          "that had no 0x5D end flag", raw, None, offset))
            return True
        raw = self._take(end + 1)
        self._ready.append(decode_frame(raw, self.profile, self.cipher, offset))
        return True


def decode_stream(data: bytes, profile: HeaderProfile = HEADER_2011,
                  cipher: CipherConfig | None = None) -> list[Frame | FrameError]:
    """Every event in a complete byte string."""
    decoder = FrameDecoder(profile, cipher)
    decoder.feed(data)
    decoder.close()
    return list(decoder.events())

"""Sans-I/O JT/T 809 codec: CRC, body cipher, framing, message bodies, value lint and the decode CLI."""
from harness.jt809.cipher import CipherConfig, crypt
from harness.jt809.crc import crc16, crc16_table
from harness.jt809.frame import (CLOSED, HEADER_2011, HEADER_2019, NEED_DATA, PROFILES, REASONS, Frame,
                                 FrameDecoder, FrameError, Header, HeaderProfile, decode_frame, decode_stream,
                                 encode, encode_raw, escape, unescape)
from harness.jt809.messages import MESSAGES, EXG_DATA_TYPES, Finding, Location, lint

__all__ = ["CipherConfig", "crypt", "crc16", "crc16_table", "CLOSED", "HEADER_2011", "HEADER_2019", "NEED_DATA",
           "PROFILES", "REASONS", "Frame", "FrameDecoder", "FrameError", "Header", "HeaderProfile", "decode_frame",
           "decode_stream", "encode", "encode_raw", "escape", "unescape", "MESSAGES", "EXG_DATA_TYPES", "Finding",
           "Location", "lint"]

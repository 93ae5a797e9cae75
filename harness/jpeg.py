"""A tiny baseline grayscale JPEG (ITU T.81), built in code so no image file is ever fetched or shipped: the valid
photos of the specs' generated data."""
from __future__ import annotations

import struct

_DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)  # T.81 Table K.3, luminance DC codes


def _huffman(bits, values) -> dict[int, tuple[int, int]]:
    codes, code, k = {}, 0, 0
    for length, count in enumerate(bits, 1):
        for _ in range(count):
            codes[values[k]] = (code, length)
            code, k = code + 1, k + 1
        code <<= 1
    return codes


def tiny_jpeg(levels: list[list[int]], comment: str = "") -> bytes:
    """A valid JPEG whose 8x8 blocks are flat grey `levels` (0-255): DC terms only, a few hundred bytes."""
    seg = lambda m, p: bytes([0xFF, m]) + struct.pack(">H", len(p) + 2) + p  # noqa: E731
    rows, cols = len(levels), len(levels[0])
    dc = _huffman(_DC_BITS, range(12))
    out, acc, n, prev = bytearray(), 0, 0, 0

    def put(code: int, length: int) -> None:
        nonlocal acc, n
        acc, n = (acc << length) | code, n + length
        while n >= 8:
            n -= 8
            byte = (acc >> n) & 0xFF
            out.extend(b"\xff\x00" if byte == 0xFF else bytes([byte]))  # byte stuffing, T.81 F.1.2.3

    for row in levels:
        for level in row:
            value = 8 * (level - 128)  # DC of a flat block after level shift, quantiser 1
            diff, prev = value - prev, value
            size = abs(diff).bit_length()
            put(*dc[size])
            if size:
                put(diff if diff > 0 else diff + (1 << size) - 1, size)
            put(0, 1)  # end of block: the AC table's only code
    if n:
        put((1 << (8 - n)) - 1, 8 - n)  # pad with 1-bits
    return b"".join([
        b"\xff\xd8",
        seg(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
        seg(0xFE, comment.encode()) if comment else b"",
        seg(0xDB, b"\x00" + bytes([1] * 64)),
        seg(0xC0, struct.pack(">BHHB", 8, rows * 8, cols * 8, 1) + b"\x01\x11\x00"),
        seg(0xC4, b"\x00" + bytes(_DC_BITS) + bytes(range(12))),
        seg(0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00"),
        seg(0xDA, b"\x01\x01\x00\x00\x3f\x00"),
        bytes(out),
        b"\xff\xd9",
    ])

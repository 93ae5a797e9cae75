"""Benchmark: JT/T 809 0x1202 REAL_LOCATION frames per second, encode and decode, on one core."""
from __future__ import annotations

import os
import sys
import time
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from harness.jt809 import Frame, FrameDecoder, Header, encode  # noqa: E402
from harness.jt809.messages import Location, UpExgMsg  # noqa: E402

N = 50_000


def _messages(n: int) -> list[UpExgMsg]:
    # Vary SN and position so some frames need escaping, as on a real link.
    return [UpExgMsg("粤X12345", 2, 0x1202, Location(0, datetime(2024, 5, 1, 8, 30, i % 60), 113.2 + i * 1e-6,
                                                     22.8 + i * 1e-6, 50, 50, 1000 + i, 90, 12, 3, 0))
            for i in range(n)]


def bench_encode(msgs: list[UpExgMsg]) -> tuple[float, list[bytes]]:
    headers = [Header(msg_sn=i, gnss_center_id=20180920) for i in range(len(msgs))]
    start = time.perf_counter()
    frames = [encode(m, h) for m, h in zip(msgs, headers)]
    return len(msgs) / (time.perf_counter() - start), frames


def bench_decode(frames: list[bytes]) -> float:
    stream = b"".join(frames)
    start = time.perf_counter()
    decoder = FrameDecoder()
    count = 0
    # Feed in 4 KiB reads, as a socket would hand them over.
    for i in range(0, len(stream), 4096):
        decoder.feed(stream[i:i + 4096])
        for event in decoder.events():
            count += isinstance(event, Frame)
    elapsed = time.perf_counter() - start
    assert count == len(frames), (count, len(frames))
    return count / elapsed


def main() -> None:
    msgs = _messages(N)
    enc, frames = bench_encode(msgs)
    dec = bench_decode(frames)
    print(f"0x1202 frames: {N}, {len(frames[0])} bytes each (first)")
    print(f"encode: {enc:,.0f} frames/s")
    print(f"decode: {dec:,.0f} frames/s (FrameDecoder, 4 KiB reads)")


if __name__ == "__main__":
    main()

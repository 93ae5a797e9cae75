"""Benchmark: 0x1202 frames per second the Shunde mock decodes AND journals (to a file, committed once per read),
as a share of the bare decoder's frames per second measured interleaved in the same run (target >= 0.50)."""
from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from harness.clock import FixedClock  # noqa: E402
from harness.jt809 import Frame, FrameDecoder, Header, encode  # noqa: E402
from harness.jt809.messages import Location, UpConnectReq, UpExgMsg  # noqa: E402
from mocks.shunde.accounts import Account, AccountSheet  # noqa: E402
from mocks.shunde.journal import BatchJournal  # noqa: E402
from mocks.shunde.links import Link  # noqa: E402
from mocks.shunde.platform import DistrictPlatform  # noqa: E402

N = 30_000
ROUNDS = 5
TARGET_RATIO = 0.50  # frames/s decoded + journaled, as a share of the bare decoder's in the same run
ACCOUNT = Account(user_id=20180920, password="20180920", access_code=20180920)


class FakeTransport:
    """Just enough of an asyncio transport for Link: the bench measures decoding and journaling, not the kernel."""

    def __init__(self):
        self.written = 0

    def get_extra_info(self, name, default=None):
        return ("127.0.0.1", 40000) if name == "peername" else default

    def write(self, data):
        self.written += len(data)

    def is_closing(self):
        return False

    def close(self):
        pass


def frames(n: int) -> list[bytes]:
    out = []
    for i in range(n):
        loc = Location(0, datetime(2024, 5, 1, 8, 30, i % 60), 113.2 + i * 1e-6, 22.8 + i * 1e-6, 50, 50, 1000 + i,
                       90, 12, 3, 0)
        out.append(encode(UpExgMsg(f"粤X{i % 1000:05d}", 2, 0x1202, loc), Header(msg_sn=i + 2, gnss_center_id=20180920)))
    return out


def chunks(stream: bytes, size: int = 4096) -> list[bytes]:
    return [stream[i:i + size] for i in range(0, len(stream), size)]


def bench_codec(stream: bytes) -> float:
    t0 = time.perf_counter()
    dec = FrameDecoder()
    count = 0
    for c in chunks(stream):
        dec.feed(c)
        count += sum(1 for e in dec.events() if isinstance(e, Frame))
    return count / (time.perf_counter() - t0)


def bench_mock(stream: bytes, journal_path: str | None) -> tuple[float, int]:
    journal = BatchJournal(journal_path)
    mock = DistrictPlatform(journal=journal, accounts=AccountSheet([ACCOUNT]), clock=FixedClock(),
                            profile={"name": "bench", "header": "2011", "encrypt": False, "main_link_only": True})
    link = Link(mock, "main")
    link.connection_made(FakeTransport())
    link.data_received(encode(UpConnectReq(20180920, "20180920", "127.0.0.1", 809),
                              Header(msg_sn=1, gnss_center_id=20180920)))
    assert link.account is not None, "login failed"
    seq0 = journal.last_seq
    pieces = chunks(stream)

    async def feed() -> float:  # on a running loop, as served: rows nobody answers are committed in batches
        t0 = time.perf_counter()
        for c in pieces:
            link.data_received(c)
        journal.flush()
        return time.perf_counter() - t0

    elapsed = asyncio.run(feed())
    stored = sum(len(v) for v in mock.positions.values())
    journaled = journal.last_seq - seq0
    journal.close()
    assert stored == journaled == N, (stored, journaled)
    return N / elapsed, stored


def main() -> int:
    stream = b"".join(frames(N))
    codec, mock = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(ROUNDS):  # interleaved: only ratios measured in the same run mean anything here
            codec.append(bench_codec(stream))
            mock.append(bench_mock(stream, os.path.join(tmp, f"journal{r}.sqlite"))[0])
    c, m = statistics.median(codec), statistics.median(mock)
    ratio = m / c
    print(f"0x1202 frames: {N}, 4 KiB reads, one process; median of {ROUNDS} interleaved rounds "
          "(the machine is shared: absolute figures are context, the ratio is the result)")
    print(f"bare decoder (FrameDecoder):                     {c:>10,.0f} frames/s")
    print(f"mock: decode + journal file (batched commits):  {m:>10,.0f} frames/s")
    print(f"shunde mock frames decoded + journaled: measured {ratio:.2f} of the bare decoder / target "
          f"{TARGET_RATIO:.2f} / ratio {ratio / TARGET_RATIO:.2f} [{'MET' if ratio >= TARGET_RATIO else 'MISSED'}]")
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())

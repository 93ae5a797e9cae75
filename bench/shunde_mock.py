"""Benchmark: 0x1202 frames per second the Shunde mock decodes AND journals on one core, beside the codec alone."""
from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from harness.clock import FixedClock  # noqa: E402
from harness.journal import Journal  # noqa: E402
from harness.jt809 import Frame, FrameDecoder, Header, encode  # noqa: E402
from harness.jt809.messages import Location, UpConnectReq, UpExgMsg  # noqa: E402
from mocks.shunde.accounts import Account, AccountSheet  # noqa: E402
from mocks.shunde.journal import BatchJournal  # noqa: E402
from mocks.shunde.links import Link  # noqa: E402
from mocks.shunde.platform import DistrictPlatform  # noqa: E402

N = 30_000
TARGET = 20_000
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


class PerInsert:
    """The engine's Journal with the no-op flush() the mock calls."""

    def __init__(self, journal: Journal):
        self.journal = journal

    def __getattr__(self, name):
        return getattr(self.journal, name)

    def flush(self):
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


def bench_mock(stream: bytes, journal_path: str | None, batched: bool = True) -> tuple[float, int]:
    journal = BatchJournal(journal_path) if batched else Journal(journal_path)
    mock = DistrictPlatform(journal=journal, accounts=AccountSheet([ACCOUNT]), clock=FixedClock(),
                            profile={"name": "bench", "header": "2011", "encrypt": False, "main_link_only": True})
    if not batched:
        mock.journal = PerInsert(journal)  # the engine's Journal as it is: one committed INSERT per frame
    link = Link(mock, "main")
    link.connection_made(FakeTransport())
    link.data_received(encode(UpConnectReq(20180920, "20180920", "127.0.0.1", 809),
                              Header(msg_sn=1, gnss_center_id=20180920)))
    assert link.account is not None, "login failed"
    seq0 = journal.last_seq
    pieces = chunks(stream)
    t0 = time.perf_counter()
    for c in pieces:
        link.data_received(c)
    getattr(journal, "flush", lambda: None)()
    elapsed = time.perf_counter() - t0
    stored = sum(len(v) for v in mock.positions.values())
    journaled = journal.last_seq - seq0
    journal.close()
    assert stored == journaled == N, (stored, journaled)
    return N / elapsed, stored


def main() -> None:
    stream = b"".join(frames(N))
    codec = bench_codec(stream)
    with tempfile.TemporaryDirectory() as tmp:
        on_disk, _ = bench_mock(stream, os.path.join(tmp, "journal.sqlite"))
        per_insert, _ = bench_mock(stream, os.path.join(tmp, "plain.sqlite"), batched=False)
    in_memory, _ = bench_mock(stream, None)
    print(f"0x1202 frames: {N}, 4 KiB reads, one core")
    print(f"codec alone (FrameDecoder):                {codec:>10,.0f} frames/s")
    print(f"mock: decode + lint + store + journal file: {on_disk:>10,.0f} frames/s")
    print(f"mock: decode + lint + store + journal mem:  {in_memory:>10,.0f} frames/s")
    print(f"mock with harness Journal (commit/frame):   {per_insert:>10,.0f} frames/s")
    print(f"target {TARGET:,} frames/s: {'met' if on_disk >= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()

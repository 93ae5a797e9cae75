"""The journal keeps everything on disk and only a bounded window in memory; its files are private (0600)."""
from __future__ import annotations

import gc
import os
import stat

from harness.journal import Exchange, Journal


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _ex(i: int, body: str = "") -> Exchange:
    return Exchange("toy", float(i), "POST", "/p", "put", request_body=body, response_body={"n": i},
                    notes={"findings": [], "i": i}, headers={"x-a": "\udcff"})


def test_journal_files_are_private(tmp_path):
    path = tmp_path / "sub" / "j.sqlite"
    j = Journal(path)
    j.record(_ex(1))
    for p in (path, path.with_name("j.sqlite-wal")):
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o600, p
    j.close()
    # An existing file handed over is made private too.
    other = tmp_path / "open.sqlite"
    other.touch(mode=0o644)
    os.chmod(other, 0o644)
    Journal(other).close()
    assert stat.S_IMODE(os.stat(other).st_mode) == 0o600


def test_since_reads_back_from_disk_beyond_the_window(tmp_path):
    for path in (tmp_path / "j.sqlite", None):
        j = Journal(path, window=10)
        for i in range(1, 51):
            j.record(_ex(i, f"body{i}"))
        assert j.last_seq == 50
        assert [e.seq for e in j.since(45)] == [46, 47, 48, 49, 50]
        old = j.since(3)
        assert [e.seq for e in old] == list(range(4, 51))
        assert old[0].request_body == "body4" and old[0].response_body == {"n": 4}
        assert old[0].notes == {"findings": [], "i": 4} and old[0].headers == {"x-a": "\udcff"}
        assert [e.seq for e in j.entries] == list(range(1, 51))
        j.close()
        assert [e.seq for e in j.since(48)] == [49, 50]  # still readable after close


def test_batched_rows_are_seen_before_flush(tmp_path):
    j = Journal(tmp_path / "j.sqlite", batch=True, window=2)
    for i in range(1, 6):
        j.record(_ex(i))
    assert j.pending == 5
    assert [e.seq for e in j.since(0)] == [1, 2, 3, 4, 5]
    j.close()


def test_memory_stays_flat_while_exchanges_pile_up(tmp_path):
    """20,000 exchanges of 4 KiB bodies would cost > 80 MB kept in RAM; the journal must grow far less."""
    j = Journal(tmp_path / "j.sqlite")
    body = "x" * 4088
    for i in range(2000):  # warm up allocator, SQLite page cache and the window
        j.record(_ex(i, f"{i:08d}{body}"))
    gc.collect()
    before = _rss_kb()
    for i in range(20000):
        j.record(_ex(i, f"{i:08d}{body}"))  # each body its own string, as from a socket
    gc.collect()
    grown_mb = (_rss_kb() - before) / 1024
    j.close()
    assert grown_mb < 30, f"RSS grew {grown_mb:.0f} MB over 20,000 exchanges"
    assert len(Journal.read(tmp_path / "j.sqlite")) == 22000


def test_of_reads_one_interface_history_from_disk(tmp_path):
    """`of()` returns the exchanges of the named interfaces, in order, including those past the memory window."""
    from harness.journal import Exchange, Journal

    j = Journal(tmp_path / "j.sqlite", window=3)
    for i in range(10):
        j.record(Exchange("toy", float(i), "POST", f"/{i}", interface="a" if i % 3 == 0 else "b"))
    assert [e.seq for e in j.of("a")] == [1, 4, 7, 10]
    assert [e.interface for e in j.of("a", "b")] == [e.interface for e in j.entries]
    j.close()

"""A mock's resident memory does not grow with the exchanges it journals (issue 9: "Memory grows with every
exchange"). Small sizes of tests/reliability/rss_million.py; the full size (1,000,000 exchanges) is a command.

Growth is compared between two points well after start-up (allocator, SQLite page cache and the journal's window
are warm by then), with a bound far below what keeping the exchanges would cost (Yunnan kept 9-14 KB and Shunde
2.7 KB per exchange before): no timing enters the assertion."""
from __future__ import annotations

from tests.reliability.rss_million import run_shunde, run_yunnan


def test_yunnan_mock_memory_is_flat_over_thousands_of_exchanges(tmp_path):
    run = run_yunnan(8_000, tmp_path, clients=8, upload_every=50, samples=8)
    assert run.answered == run.sent == 8_000 and run.accepted == 160, run.line()
    assert run.journaled >= 8_000, run.line()  # every exchange on disk (plus the setup's init-auth, getToken)
    grown = run.rss_at(8_000) - run.rss_at(3_000)
    assert grown < 20, f"RSS grew {grown:.1f} MB over 5,000 exchanges (keeping them costs > 45 MB): {run.line()}"


def test_shunde_mock_memory_is_flat_over_many_frames(tmp_path):
    run = run_shunde(40_000, tmp_path, batch=2000, samples=8)
    assert run.sent == 40_000 and run.journaled >= 40_000, run.line()
    grown = run.rss_at(40_000) - run.rss_at(10_000)
    assert grown < 20, f"RSS grew {grown:.1f} MB over 30,000 frames (keeping them costs > 80 MB): {run.line()}"

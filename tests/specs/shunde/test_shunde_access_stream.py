"""access-check over a journal streams: its memory does not follow the journal's size (issue 13: it took about
6 KB per frame). Measured with tracemalloc (Python allocations, deterministic), not RSS or time: what is kept per
extra frame must stay near the 24 bytes of a valid position's Track entry."""
from __future__ import annotations

import tracemalloc

from day_journal import write_application, write_day
from harness.journal import Journal
from mocks.shunde.store import iter_positions
from suites.shunde.access import build_sheet
from suites.shunde.cli import POSITION_ROWS
from suites.shunde.sheets import read_application

VEHICLES = 20
SMALL, LARGE = 1_000, 6_000
MAX_BYTES_PER_FRAME = 200  # a Track entry is 24 B (+ array over-allocation); the old path kept ~6,000 B per frame


def _peak(tmp_path, frames: int) -> tuple[int, object]:
    journal = write_day(tmp_path / f"j{frames}.sqlite", frames, VEHICLES)
    app = read_application(write_application(tmp_path / "app.csv", VEHICLES))
    tracemalloc.start()
    try:
        sheet = build_sheet(app, iter_positions(Journal.iter_read(journal, POSITION_ROWS)))
        return tracemalloc.get_traced_memory()[1], sheet
    finally:
        tracemalloc.stop()


def test_access_check_memory_is_flat_in_the_journal_size(tmp_path):
    small, sheet_small = _peak(tmp_path, SMALL)
    large, sheet_large = _peak(tmp_path, LARGE)
    # Every frame was read and judged (written just now, the day's real-time positions are stale: not the point).
    assert all(r.connected for r in sheet_large.rows) and sum(r.positions for r in sheet_large.rows) == LARGE
    per_frame = (large - small) / (LARGE - SMALL)
    assert per_frame < MAX_BYTES_PER_FRAME, f"{per_frame:.0f} bytes kept per extra frame (peaks {small} → {large})"

"""Benchmark: peak RSS of `vconform shunde access-check` over a journal of N position frames (issue 13: < 300 MB at
1,000,000; it was about 6 KB per frame before it streamed).

    python bench/access_rss.py [N] [VEHICLES]   # default 50,000 frames, 1,000 vehicles; the full size: N = 1000000

Writes the journal through the district mock's own receive path (tests/specs/shunde/day_journal.py) into a temporary
folder, then runs the access check in its own process and prints that process's peak RSS (ru_maxrss of the child).
Memory, not time: the figure does not depend on the machine's load; the durations printed do, and are context only.
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "specs" / "shunde"))

from day_journal import write_application, write_day  # noqa: E402

TARGET_MB = 300


def main(argv: list[str]) -> int:
    frames = int(argv[0]) if argv else 50_000
    vehicles = int(argv[1]) if len(argv) > 1 else 1_000
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.monotonic()
        journal = write_day(Path(tmp) / "journal.sqlite", frames, vehicles)
        app = write_application(Path(tmp) / "application.csv", vehicles)
        built = time.monotonic() - t0
        t1 = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "harness.cli", "shunde", "access-check", "--application",
                               str(app), "--journal", str(journal), "--out", str(Path(tmp) / "out")],
                              cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
        took = time.monotonic() - t1
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
        size_mb = journal.stat().st_size / 2**20
    progress = [line for line in proc.stderr.splitlines() if line.startswith("access-check")]
    if proc.returncode not in (0, 1):  # 1: the sheet is not all done (stale real-time positions), still a result
        print(proc.stderr, file=sys.stderr)
        return 2
    print(f"access-check over {frames:,} frames ({vehicles:,} vehicles, journal {size_mb:.0f} MB): peak RSS "
          f"{peak_mb:.0f} MB (target < {TARGET_MB} MB: {'met' if peak_mb < TARGET_MB else 'NOT met'}); "
          f"check {took:.0f} s, journal written in {built:.0f} s (durations: context only, shared machine)")
    print(f"  last progress line: {progress[-1] if progress else '(none)'}")
    return 0 if peak_mb < TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

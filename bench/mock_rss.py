"""Benchmark: peak RSS of each mock (own process) after N exchanges, against the < 150 MB target at 10^6.

    python bench/mock_rss.py [N]     # default 50,000 (tox -e bench); the full size: N = 1000000

A wrapper of tests/reliability/rss_million.py, which documents what is sent. Memory, not time: the figures do not
depend on the machine's load, but the run's duration does.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.reliability.rss_million import main  # noqa: E402

if __name__ == "__main__":
    n = sys.argv[1] if len(sys.argv) > 1 else "50000"
    sys.exit(main(["--exchanges", n]))

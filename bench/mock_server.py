"""A bench-only way to serve the Yunnan mock with its journal OFF, to measure what share of the mock's time the
journal takes (its owner's business) apart from the pipeline's own:

    python bench/mock_server.py [--port 0]

Everything else is as `vconform mock yunnan` serves it (uvloop, connection guard, default profile). Never a way to
run a mock for real: journal-before-answer is the mock's promise, and this breaks it on purpose.
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from harness.journal import Exchange  # noqa: E402
from harness.serve import serve_forever  # noqa: E402
from mocks.yunnan.app import YunnanMock  # noqa: E402


class NoJournal:
    """Numbers the exchanges and keeps nothing."""

    temporary = True
    seq = 0

    def record(self, ex: Exchange) -> Exchange:
        self.seq += 1
        ex.seq = self.seq
        return ex

    def flush(self) -> None:
        pass

    def write_behind(self) -> None:  # the file journal's batching switch (harness/journal.py): nothing to batch
        pass

    async def settled(self) -> None:  # nothing is ever pending
        pass

    def when_settled(self, callback) -> None:  # (the lean request path's settled())
        callback(None)

    def close(self) -> None:
        pass


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    mock = YunnanMock(journal=NoJournal())
    return serve_forever(mock.app(), "127.0.0.1", args.port, "http")


if __name__ == "__main__":
    sys.exit(main())

"""The reference GPS forwarder as an adapter: `python -m suites.shunde.reference_forwarder ACTION CONTEXT_FILE`."""
from __future__ import annotations

import sys

from suites.shunde.daemon import run_adapter
from suites.shunde.forwarder import Forwarder

DAEMON_CMD = [sys.executable, "-m", "suites.shunde.reference_forwarder"]


def main() -> int:
    return run_adapter(Forwarder, sys.argv[1:], DAEMON_CMD)


if __name__ == "__main__":
    sys.exit(main())

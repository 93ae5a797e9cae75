"""The reference GPS forwarder as an adapter: `python -m suites.shunde.reference_forwarder ACTION CONTEXT_FILE`."""
from __future__ import annotations

import sys
from typing import Any

from harness.jt809.messages import to_2019
from suites.shunde.daemon import run_adapter
from suites.shunde.forwarder import Forwarder

DAEMON_CMD = [sys.executable, "-m", "suites.shunde.reference_forwarder"]


class ReferenceForwarder(Forwarder):
    """The reference forwarder; under the 2019 header it speaks the 2019 bodies too (E-SD-17)."""

    def body_revision(self) -> str:
        return self.profile.name

    def frame(self, msg: Any) -> bytes:
        if self.profile.name == "2019":
            msg = to_2019(msg, self.cfg.access_code)
        return super().frame(msg)


def main() -> int:
    return run_adapter(ReferenceForwarder, sys.argv[1:], DAEMON_CMD)


if __name__ == "__main__":
    sys.exit(main())

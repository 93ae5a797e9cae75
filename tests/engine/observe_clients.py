"""Yunnan clients for observe-mode tests, as adapters: `python tests/engine/observe_clients.py VARIANT ACTION CTX`.

`skips-heartbeats`: the reference client, except that it sends only every third heartbeat it is asked for (a
timer that fires too rarely): on the pilot's 15-minute cadence its heartbeats arrive 45 minutes apart (yunnan §6.5)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from suites.yunnan.client import YunnanClient  # noqa: E402
from suites.yunnan.reference_client import run_adapter  # noqa: E402


class SkipsHeartbeats(YunnanClient):
    def call(self, interface, plaintext, path=None):
        if interface == "heartBeat":
            n = int(self.state.get("heartbeatsAsked", 0)) + 1
            self.state["heartbeatsAsked"] = n
            if n % 3 != 1:
                return {"code": 200, "message": "skipped"}
        return super().call(interface, plaintext, path)


VARIANTS = {"skips-heartbeats": SkipsHeartbeats}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in VARIANTS:
        print(f"usage: observe_clients.py VARIANT ACTION CONTEXT; variants: {', '.join(VARIANTS)}", file=sys.stderr)
        sys.exit(2)
    sys.exit(run_adapter(VARIANTS[sys.argv[1]], sys.argv[2:]))

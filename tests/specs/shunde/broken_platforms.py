"""Broken district platforms, one rule broken each: `python tests/specs/shunde/broken_platforms.py VARIANT [PORT]`.

Each prints `listening on tcp://HOST:PORT` like `vconform mock shunde` and serves the default account sheet;
tests/specs/shunde/test_shunde_catalog.py runs `vconform run shunde --role server --target ...` against each one.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))

from harness.serve import serve_mock_forever  # noqa: E402
from mocks.shunde.platform import DistrictPlatform  # noqa: E402


class AcceptsWrongPassword(DistrictPlatform):
    """Lets a login in whatever its PASSWORD."""

    def login_result(self, link, frame, body):
        why = super().login_result(link, frame, body)
        return "ok" if why == "password_wrong" else why


class ClosesOnMalformed(DistrictPlatform):
    """Drops the whole link on the first malformed frame."""

    def on_malformed(self, link, ex):
        super().on_malformed(link, ex)
        link.close("malformed")


class NoHeartbeatAnswer(DistrictPlatform):
    """Journals 0x1005 and never answers it."""

    def answer_linktest(self, link, ex):
        self.journal.record(ex)


class NoSlaveLink(DistrictPlatform):
    """Logs operators in but never opens the slave link."""

    async def open_slave(self, session):
        session.slave_state = "none"


class NoRequestAnswer(DistrictPlatform):
    """Journals an operator's 0x1209 history request and never answers it."""

    def answer_request(self, link, body):
        return None


VARIANTS = {
    "accepts-wrong-password": AcceptsWrongPassword,
    "closes-on-malformed": ClosesOnMalformed,
    "no-heartbeat-answer": NoHeartbeatAnswer,
    "no-slave-link": NoSlaveLink,
    "no-request-answer": NoRequestAnswer,
    "reference": DistrictPlatform,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in VARIANTS:
        print(f"usage: shunde_platforms.py VARIANT [PORT]; variants: {', '.join(VARIANTS)}", file=sys.stderr)
        sys.exit(2)
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    sys.exit(serve_mock_forever(VARIANTS[sys.argv[1]](), "127.0.0.1", port, "tcp"))

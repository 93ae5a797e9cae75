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

    def answer_request(self, link, body, sn=0):
        return None


class Platform2019(DistrictPlatform):
    """The reference under the JT/T 809-2019 header and bodies (profile jt809-2019)."""

    def __init__(self, **kw):
        super().__init__(profile="jt809-2019", **kw)


class WrongSourceMsgSn(Platform2019):
    """2019: answers a 0x1209 with a 0x9209 whose SOURCE_MSG_SN is not the request's MSG_SN (off by one)."""

    def answer_request(self, link, body, sn=0):
        return super().answer_request(link, body, (sn + 1) & 0xFFFFFFFF)


class DropsManageAnswer(Platform2019):
    """2019: sends 0x9102, then drops the main link when the operator's 0x1102 answer arrives."""

    def on_manage_answer(self, link, body, ex):
        ex.outcome = "unexpected"
        self.journal.record(ex)
        link.close("unexpected")


class SnInformWrongSn(Platform2019):
    """2019: its 0x9103 lists MSG_SNs 1000 past those of the frames it received."""

    def sn_items(self, session, limit=10):
        return [{**it, "msg_sn": (it["msg_sn"] + 1000) & 0xFFFFFFFF} for it in super().sn_items(session, limit)]


VARIANTS = {
    "accepts-wrong-password": AcceptsWrongPassword,
    "closes-on-malformed": ClosesOnMalformed,
    "no-heartbeat-answer": NoHeartbeatAnswer,
    "no-slave-link": NoSlaveLink,
    "no-request-answer": NoRequestAnswer,
    "wrong-source-msg-sn": WrongSourceMsgSn,
    "drops-manage-answer": DropsManageAnswer,
    "sn-inform-wrong-sn": SnInformWrongSn,
    "reference": DistrictPlatform,
    "reference-2019": Platform2019,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in VARIANTS:
        print(f"usage: shunde_platforms.py VARIANT [PORT]; variants: {', '.join(VARIANTS)}", file=sys.stderr)
        sys.exit(2)
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    sys.exit(serve_mock_forever(VARIANTS[sys.argv[1]](), "127.0.0.1", port, "tcp"))

"""Broken GPS forwarders, one rule broken each: `python tests/specs/shunde/broken_forwarders.py VARIANT ACTION CTX`.

Each variant is the reference forwarder with a single override; tests/specs/shunde/test_shunde_catalog.py asserts the
harness fails each one with the named check and clause, and passes the unbroken reference.
"""
from __future__ import annotations

import os
import sys
from dataclasses import replace
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))

from harness.jt809 import CipherConfig, encode_raw, unescape  # noqa: E402
from harness.jt809.messages import encode_body  # noqa: E402
from suites.shunde import requests  # noqa: E402
from suites.shunde.daemon import run_adapter  # noqa: E402
from suites.shunde.forwarder import Forwarder  # noqa: E402
from suites.shunde.reference_forwarder import ReferenceForwarder  # noqa: E402


class WrongCrc(Forwarder):
    """CRC of every frame off by one bit pattern (0xFFFF XOR)."""

    def frame(self, msg):
        h = self.header()
        msg_id, body = encode_body(msg)
        h = replace(h, msg_id=msg_id)
        good = encode_raw(h, body, cipher=self.cipher(), profile=self.profile)
        sent = int.from_bytes(unescape(good[1:-1])[0][-2:], "big")
        return encode_raw(h, body, cipher=self.cipher(), profile=self.profile, crc=sent ^ 0xFFFF)


class NoEscaping(Forwarder):
    """Puts header, body and CRC between the flags as they are, never escaping 0x5A/0x5B/0x5D/0x5E."""

    def frame(self, msg):
        raw = super().frame(msg)
        return b"\x5b" + unescape(raw[1:-1])[0] + b"\x5d"


class LengthExcludingFlags(Forwarder):
    """MSG_LENGTH counts everything but the two flags (a common miscount)."""

    def frame(self, msg):
        h = self.header()
        msg_id, body = encode_body(msg)
        h = replace(h, msg_id=msg_id)
        whole = len(unescape(encode_raw(h, body, cipher=self.cipher(), profile=self.profile)[1:-1])[0]) + 2
        return encode_raw(replace(h, msg_length=whole - 2), body, cipher=self.cipher(), profile=self.profile)


class WrongCipherConstants(Forwarder):
    """Encrypts with IA1 off by one: every body is garbage to the platform (run with --profile encrypted)."""

    def cipher(self):
        c = self.cfg.cipher
        return CipherConfig(c.m1, c.ia1 + 1, c.ic1) if c else None


class NoHeartbeat(Forwarder):
    """Never sends the periodic 0x1005 (the one confirming a send_positions batch still goes out)."""

    send_heartbeats = False


class SlaveRefused(Forwarder):
    """Announces a down-link port but listens on nothing: the platform cannot open the slave link."""

    serve_slave_link = False


class OutsideChina(Forwarder):
    """Swaps LON and LAT (22.8E 113.2N): a position no Chinese vehicle can have."""

    def location(self, position):
        loc = super().location(position)
        loc.lon_deg, loc.lat_deg = loc.lat_deg, loc.lon_deg
        return loc


class FutureTimestamps(Forwarder):
    """Adds eight hours to Beijing time as if it were UTC: every position lies in the future."""

    def location(self, position):
        loc = super().location(position)
        loc.time = loc.time + timedelta(hours=8)
        return loc


class HistoryUnsorted(Forwarder):
    """Sends history in the order given, ten blocks a batch."""

    def batches(self, positions):
        return [positions[i:i + 10] for i in range(0, len(positions), 10)]


class NoDisconnect(Forwarder):
    """Closes the main link without 0x1003."""

    async def disconnect(self):
        await self.close()


class Bodies2011Under2019(ReferenceForwarder):
    """Sends the 2019 header but keeps the 2011 bodies (46-byte 0x1001, 36-byte positions); run with --profile
    jt809-2019."""

    def frame(self, msg):
        return Forwarder.frame(self, msg)


class NoReconnect(Forwarder):
    """Stops when the platform's main link drops, as if it had been told to leave: no new login, positions lost."""

    reconnect = False


class NoResend(Forwarder):
    """Reconnects after a main-link cut, but drops what the platform had not confirmed instead of resending it."""

    async def login(self):
        if self.logins:
            self.unconfirmed.clear()
        return await super().login()


class NoBackoff(Forwarder):
    """Reconnects after a main-link cut, but tries again the instant a login is refused RESULT 5 (busy: connect
    again later): a tight loop against a busy platform (E-SD-24)."""

    def __init__(self, cfg):
        super().__init__(replace(cfg, reconnect_first_s=0.0, reconnect_max_s=0.0))


class GivesUpWhenRefused(Forwarder):
    """Reconnects after a main-link cut, but takes a refused login (RESULT 5, busy) as final: no second attempt."""

    def __init__(self, cfg):
        super().__init__(replace(cfg, reconnect_window_s=0.0))


class RegisterOnce(Forwarder):
    """Registers each vehicle (0x1201) once for the life of the process, not again after a re-login (E-SD-23)."""

    async def login(self):
        kept = set(self.registered)
        result = await super().login()
        self.registered |= kept
        return result


class NoRequestAnswers(Forwarder):
    """Reads the platform's 0x9xxx requests (roll call, supervision, text…) and answers none of them."""

    def answer_request(self, msg_id, body, sn=0):
        return None


class AnswersWithoutEcho(Forwarder):
    """Answers every request, but with zeros where the answer must name the request (SUPERVISION_ID, INFO_ID…)."""

    def answer_request(self, msg_id, body, sn=0):
        answer = super().answer_request(msg_id, body, sn)
        rule = requests.rule_for(msg_id, body)
        for name in (rule.echo if rule is not None and answer is not None else {}):
            if not hasattr(answer.data, name):  # not in this revision's layout of the answer
                continue
            value = getattr(answer.data, name)
            setattr(answer.data, name, "" if isinstance(value, str) else 0)
        return answer


def no_answer_to(request: int, base: type = Forwarder) -> type:
    """A forwarder that answers every platform request but one (DATA_TYPE, or MSG_ID of a message of its own,
    `request`): the check must name it. A 2019-only request needs the reference's 2019 bodies (`base`)."""

    class NoAnswerTo(base):
        def answer_request(self, msg_id, body, sn=0):
            rule = requests.rule_for(msg_id, body)
            return None if rule is not None and rule.request == request else super().answer_request(msg_id, body, sn)

    NoAnswerTo.__doc__ = f"Answers the platform's requests except 0x{request:04X}, which it reads and ignores."
    return NoAnswerTo


class DropsLinkOnInform(Forwarder):
    """Knows only the requests it answers: an inform it does not know (0x9202, 0x9204, 0x9402, 0x9403) makes it
    close its main link, and it does not come back."""

    reconnect = False

    def answer_request(self, msg_id, body, sn=0):
        if getattr(body, "data_type", None) in requests.INFORMS:
            if self.writer is not None:
                self.writer.close()
            return None
        return super().answer_request(msg_id, body, sn)


class NoRegister(Forwarder):
    """Forwards positions without ever sending 0x1201 vehicle registration."""

    def registration(self, vehicle):
        return None


VARIANTS = {
    "wrong-crc": WrongCrc,
    "no-escaping": NoEscaping,
    "length-excluding-flags": LengthExcludingFlags,
    "wrong-cipher-constants": WrongCipherConstants,
    "no-heartbeat": NoHeartbeat,
    "slave-refused": SlaveRefused,
    "outside-china": OutsideChina,
    "future-timestamps": FutureTimestamps,
    "history-unsorted": HistoryUnsorted,
    "no-disconnect": NoDisconnect,
    "bodies-2011-under-2019": Bodies2011Under2019,
    "no-reconnect": NoReconnect,
    "no-backoff": NoBackoff,
    "gives-up-when-refused": GivesUpWhenRefused,
    "register-once": RegisterOnce,
    "no-resend": NoResend,
    "no-request-answers": NoRequestAnswers,
    "answers-without-echo": AnswersWithoutEcho,
    "no-register": NoRegister,
    "no-photo-answer": no_answer_to(0x9502),
    "no-travel-data-answer": no_answer_to(0x9504),
    "no-static-info-answer": no_answer_to(0x9601),
    "no-manage-answer": no_answer_to(0x9102, ReferenceForwarder),
    "no-driver-info-answer": no_answer_to(0x920A, ReferenceForwarder),
    "no-ewaybill-answer": no_answer_to(0x920B),
    "drops-link-on-inform": DropsLinkOnInform,
    "reference": ReferenceForwarder,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in VARIANTS:
        print(f"usage: shunde_forwarders.py VARIANT ACTION CONTEXT; variants: {', '.join(VARIANTS)}", file=sys.stderr)
        sys.exit(2)
    variant = sys.argv[1]
    sys.exit(run_adapter(VARIANTS[variant], sys.argv[2:], [sys.executable, os.path.abspath(__file__), variant]))

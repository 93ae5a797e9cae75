"""One client-role session: the district platform mock on loopback, the forwarder adapter, seeded data, judging."""
from __future__ import annotations

import socket
import time
from typing import Any, Callable

from harness import specdata
from harness.adapter import ADAPTER_COMPLETED
from harness.checks import CheckResult
from harness.journal import Exchange
from harness.run import RunContext
from harness.session import ClientSession
from harness.tcpmock import BackgroundMock
from mocks.shunde.accounts import AccountSheet
from mocks.shunde.journal import BatchJournal
from mocks.shunde.platform import DistrictPlatform
from mocks.shunde.store import by_vehicle, position_records
from suites.shunde import checks as C
from suites.shunde import gpsrules
from suites.shunde.daemon import stop_daemon
from suites.shunde.requests import INFORMS, RULES as REQUEST_RULES, inform_message, request_message
from schemas.shunde.datagen import ShundeData, beijing_now


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the forwarder's slave-link server is told to use it)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ShundeClientSession(ClientSession):
    """Owns the mock, the adapter and the data for one run; records checks into the RunContext."""

    journal: BatchJournal

    def __init__(self, vrun: RunContext, adapter_cmd: list[str] | str):
        cfg = vrun.config
        super().__init__(vrun, BatchJournal(cfg.journal))
        self.suite = dict(specdata.load("shunde", "platform")["suite"])
        self.rules = gpsrules.load_rules()
        self.max_batch = int(specdata.load("shunde", "platform")["history"]["max_batch"])
        self.data = ShundeData(int(cfg.seed))
        self.account = self.data.account(down_link_port=free_port())
        self.operator = self.account.enterprise
        self.mock = DistrictPlatform(journal=self.journal, profile=vrun.profile, accounts=AccountSheet([self.account]),
                                     # Slave-link heartbeats well inside the idle timeout keep a slow run's link up.
                                     overrides={"idle_timeout_s": self.suite["idle_timeout_s"],
                                                "heartbeat_interval_s": self.suite["idle_timeout_s"] / 3,
                                                "manage_after_s": 0},  # the suite sends its own 0x9102
                                     seed=int(cfg.seed))
        self.bg = BackgroundMock(self.mock).start()
        prof = vrun.profile
        self.credentials: dict[str, Any] = {
            **self.account.credentials(), "header": str(prof["header"]),
            "heartbeat_interval_s": self.suite["heartbeat_interval_s"],
            "main_link_only": bool(prof.get("main_link_only")),
            "encrypt": {"m1": prof["m1"], "ia1": prof["ia1"], "ic1": prof["ic1"]} if prof.get("encrypt") else None}
        vrun.add_secret(self.account.password)
        vrun.add_secret(self.account.password.encode("gbk").hex().upper())  # as it appears in the raw frame hex
        self.start_adapter(adapter_cmd, "shunde", self.bg.url, self.credentials,
                           timeout=float(self.suite["adapter_timeout_s"]))
        self.connected = False
        self.connect_failed = False  # once connect failed, later tests do not wait for it again
        self.connect_seq = 0

    def close(self) -> None:
        try:
            if self.connected:  # leave the platform in order if a test stopped half way
                self.adapter.timeout = 20.0
                self.adapter.run("disconnect", {})
        finally:
            stop_daemon(self.state_dir)  # no daemon outlives the run, whatever the adapter did
            self.bg.stop()
            self.journal.close()
            super().close()

    # ---- driving the SUT --------------------------------------------------------------------------------
    def since(self, seq: int) -> list[Exchange]:
        return self.journal.since(seq)

    def wait_for(self, predicate: Callable[[], bool], timeout: float | None = None) -> bool:
        """Poll until `predicate()` holds or `timeout` passes; never an assertion about time itself."""
        deadline = time.monotonic() + (timeout if timeout is not None else float(self.suite["frame_wait_s"]))
        while True:
            if predicate():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    @property
    def main_link_only(self) -> bool:
        return bool(self.vrun.profile.get("main_link_only"))

    def platform_session(self):
        return self.mock.session_of(self.account.user_id)

    def now_local(self):
        return beijing_now(self.mock.clock.now(), self.rules["utc_offset_h"])

    def positions_since(self, seq: int) -> list[dict[str, Any]]:
        """The position records of every 0x1202/0x1203 the mock received after journal seq `seq`."""
        recs = []
        for e in self.since(seq):
            if e.method == "recv" and e.interface in C.POSITION_IFACES:
                recs += position_records(e.request_plaintext, received=e.time, seq=e.seq,
                                         valid=e.outcome == "ok", user_id=e.client_id)
        return recs

    # ---- judging ------------------------------------------------------------------------------------------
    def judge_frames(self, exchanges: list[Exchange], interface: str, stage: str) -> list[CheckResult]:
        """Framing, header and cipher checks over every frame the SUT sent during one action."""
        mine = C.from_sut(exchanges)
        ev = [e.evidence() for e in mine[:8]]
        out = []
        for aspect, probs in C.frame_problems(exchanges).items():
            bad = [e.evidence() for e in mine if "reason" in (e.notes or {})][:5]
            out.append(self.record(C.FRAME_CHECKS[aspect][0], probs, interface=interface, stage=stage,
                                   evidence=bad or ev[:3]))
        out.append(self.record("shunde.frame.values", C.frame_values(exchanges, self.vrun.profile),
                               interface=interface, stage=stage, evidence=ev[:3]))
        out.append(self.record("shunde.header.access_code", C.access_code(exchanges, self.account.access_code),
                               interface=interface, stage=stage, evidence=ev[:3]))
        out.append(self.record("shunde.cipher.body", C.cipher_body(exchanges, self.vrun.profile, self.account.user_id),
                               interface=interface, stage=stage, evidence=ev[:3]))
        return out

    def connect(self, stage: str, *, judged: bool = True) -> list[CheckResult]:
        """Run `connect`; judge the login, the slave-link handshake and the frames it caused."""
        iface = "connect"
        res, exs = self.act("connect", {})
        self.connect_seq = exs[0].seq if exs else self.journal.last_seq
        out = [self.completed(res, interface=iface, stage=stage)]
        self.connected = res.ok
        self.connect_failed = not res.ok
        if not self.main_link_only:
            # The slave link is the platform's doing; wait for its outcome, not for a time.
            self.wait_for(lambda: (s := self.platform_session()) is None or s.slave_state != "connecting")
        exs = self.since(self.connect_seq - 1)
        logins = [e for e in C.from_sut(exs, "main") if e.interface == "UP_CONNECT_REQ"]
        ev = [res.evidence()] + [e.evidence() for e in exs[:12]]
        if not judged:
            return out
        out.append(self.record("shunde.login.fields", C.login_fields(exs, self.credentials), interface=iface,
                               stage=stage, evidence=[e.evidence() for e in logins] or ev))
        out.append(self.record("shunde.login.accepted", C.login_accepted(exs), interface=iface, stage=stage,
                               evidence=[e.evidence() for e in logins] or ev))
        if self.main_link_only:
            out.append(self.skip("shunde.slave.answered", "profile main-link-only: the platform opens no slave link "
                                 "(E-SD-06)", interface=iface, stage=stage))
        elif logins and logins[-1].status == 0:
            s = self.platform_session()
            slave_ev = [e.evidence() for e in exs if e.link == "slave" or e.method == "event"][:8]
            out.append(self.record("shunde.slave.answered", C.slave_answered(exs, s.slave_state if s else "none"),
                                   interface=iface, stage=stage, evidence=slave_ev))
        out += self.judge_frames(exs, iface, stage)
        return out

    def ensure_connected(self, stage: str) -> bool:
        if not self.connected and not self.connect_failed:
            results = self.connect(stage, judged=False)
            if not self.connected:
                self.record(ADAPTER_COMPLETED, [C.fail("connect failed; later actions cannot run")],
                            interface="connect", stage=stage, evidence=results[0].evidence if results else [])
        return self.connected

    def send_positions(self, params: dict[str, Any], stage: str, *, interface: str = "send_positions"
                       ) -> tuple[list[CheckResult], list[dict[str, Any]]]:
        """Run `send_positions`, wait until the positions reached the mock, judge them; (results, records)."""
        expected = sum(len(v.get("positions", [])) for v in params.get("vehicles", []))
        seq0 = self.journal.last_seq
        res, _ = self.act("send_positions", params)

        def arrived() -> list[dict[str, Any]]:
            return self.positions_since(seq0)

        if res.ok:
            self.wait_for(lambda: len(arrived()) >= expected)
        exs = self.since(seq0)
        recs = arrived()
        frames = [e for e in C.from_sut(exs, "main") if e.interface in C.POSITION_IFACES]
        ev = [res.evidence()] + [e.evidence() for e in frames[:6]]
        out = [self.completed(res, interface=interface, stage=stage)]
        received = by_vehicle(recs)
        out.append(self.record("shunde.location.complete", C.as_consequence(C.location_complete(params, received),
                                                                            frames), interface=interface,
                               stage=stage, evidence=ev))
        out.append(self.record("shunde.location.intact", C.as_consequence(C.location_intact(params, received), frames),
                               interface=interface, stage=stage, evidence=ev))
        out.append(self.record("shunde.location.valid", C.location_valid(frames), interface=interface, stage=stage,
                               evidence=ev))
        out.append(self.record("shunde.location.plausible", C.location_plausible(recs), interface=interface,
                               stage=stage, evidence=ev))
        out.append(self.record("shunde.location.timely", C.location_timely(recs, self.rules), interface=interface,
                               stage=stage, evidence=ev))
        regs = [e for e in self.registrations(self.connect_seq) if e.interface == "UP_EXG_MSG_REGISTER" or e.seq > seq0]
        out.append(self.record("shunde.register.sent", C.register_sent(params, regs), interface=interface,
                               stage=stage, evidence=[e.evidence() for e in regs if e.seq <= seq0][-3:] + ev[:3]))
        history = [e for e in frames if e.interface == "UP_EXG_MSG_HISTORY_LOCATION"]
        if any(v.get("mode") == "history" for v in params.get("vehicles", [])):
            out.append(self.record("shunde.history.batch", C.history_batch(history, self.max_batch),
                                   interface=interface, stage=stage, evidence=[e.evidence() for e in history[:6]]))
        out += self.judge_frames(exs, interface, stage)
        return out, recs

    def disconnect(self, stage: str) -> list[CheckResult]:
        iface = "disconnect"
        res, _ = self.act("disconnect", {})
        seq0 = self.connect_seq
        self.connected = False
        # The link closes after 0x1004; wait for the mock to see it close.
        self.wait_for(lambda: any(e.method == "event" and e.link == "main" and e.outcome == "closed"
                                  for e in self.since(seq0)))
        exs = [e for e in self.since(seq0) if e.link == "main"]
        tail = [e for e in exs if e.interface in ("UP_DISCONNECT_REQ", "LINK")]
        out = [self.completed(res, interface=iface, stage=stage),
               self.record("shunde.disconnect.orderly", C.disconnect_orderly(exs, self.credentials), interface=iface,
                           stage=stage, evidence=[res.evidence()] + [e.evidence() for e in tail[-4:]])]
        out += self.judge_frames([e for e in exs if e.interface == "UP_DISCONNECT_REQ"], iface, stage)
        return out

    def main_link_lost(self, before: dict[str, Any], after: dict[str, Any], stage: str) -> list[CheckResult]:
        """Send `before`, cut the main link as a network fault would (the slave link stays), send `after`: the
        forwarder must log in again and every position it acknowledged must reach the platform."""
        iface = "connect"
        seq0 = self.journal.last_seq
        acked = []
        res_a, _ = self.act("send_positions", before)
        if res_a.ok:
            acked.append(before)
        s = self.platform_session()
        slave_was_up = s is not None and s.slave_state == "up"
        seq_cut = self.journal.last_seq  # before the cut: the forwarder's 0x1007 may be journaled before call() returns
        # The link dies silently first (a black hole): `after` is written into it while send_positions runs, so a
        # forwarder that does not resend what the platform never confirmed loses it (tester13 D7).
        cut = self.bg.call(self.mock.drop_main(self.account.user_id,
                                               (float(self.suite["cut_linger_s"]), float(self.suite["cut_cap_s"])),
                                               int(self.suite["cut_refusals"])))
        res_b, _ = self.act("send_positions", after)
        if res_b.ok:
            acked.append(after)
        expected = sum(len(v.get("positions", [])) for p in acked for v in p.get("vehicles", []))

        def arrived() -> list[dict[str, Any]]:
            return self.positions_since(seq0)

        def relogged() -> bool:
            return any(e.interface == "UP_CONNECT_REQ" and e.status == 0 for e in C.from_sut(self.since(seq_cut)))

        self.wait_for(lambda: relogged() and len(arrived()) >= expected)
        self.bg.call(self.mock.stop_refusing(self.account.user_id))  # the reconnect step ends here
        if not self.main_link_only:  # the new slave link is the platform's doing: wait for its outcome
            self.wait_for(lambda: (p := self.platform_session()) is None or p.slave_state != "connecting")
        after_cut = self.since(seq_cut)
        relogins = [e for e in C.from_sut(after_cut) if e.interface == "UP_CONNECT_REQ" and e.status == 0]
        self.connected = bool(relogins) and res_b.ok
        if relogins:  # the main link now in use starts here (disconnect judges from it)
            self.connect_seq = relogins[-1].seq
        ev = [res_a.evidence(), res_b.evidence()] + [e.evidence() for e in after_cut
                                                     if e.method == "event" or e.interface.startswith("UP_")][:10]
        if not cut:
            return [self.record(ADAPTER_COMPLETED, [C.fail("no platform session to cut: not logged in")],
                                interface=iface, stage=stage, evidence=ev)]
        out = [self.record("shunde.link.reconnect", C.link_reconnect(after_cut, acked, by_vehicle(arrived()),
                                                                     slave_was_up),
                           interface=iface, stage=stage, evidence=ev)]
        out.append(self.link_backoff(C.from_sut(after_cut, "main"), iface, stage))
        if relogins:  # E-SD-23: the positions after the cut need their vehicles registered (per login: on the re-login)
            out.append(self.record("shunde.register.sent", C.register_sent(after, self.registrations(relogins[-1].seq)),
                                   interface=iface, stage=stage, evidence=ev))
        out += self.judge_frames(after_cut, iface, stage)
        return out

    def link_backoff(self, frames: list[Exchange], iface: str, stage: str) -> CheckResult:
        """E-SD-24: the mock refused the first logins after the cut RESULT 5 (busy: connect again later); each
        refusal followed by another 0x1001 is judged on the wait between them."""
        logins = [e for e in frames if e.interface == "UP_CONNECT_REQ"]
        if not any(e.status == C.RESULT_BUSY for e in logins[:-1]):
            return self.skip("shunde.link.backoff", f"no login refused RESULT 5 and then tried again after the cut "
                             f"({len(logins)} login attempts; the mock refuses {self.suite['cut_refusals']}; a forwarder "
                             "that does not try again fails shunde.link.reconnect)", interface=iface, stage=stage)
        found = C.link_backoff(logins, float(self.mock.settings["retry_wait_s"]),
                               self.vrun.profile.get("reconnect_wait", "required"))
        return self.record("shunde.link.backoff", found, interface=iface, stage=stage,
                           evidence=[e.evidence() for e in logins[:8]])

    def registrations(self, login_seq: int) -> list[Exchange]:
        """The frames register.sent judges from (E-SD-23): since the run's start (per vehicle, the default: one
        0x1201 holds across re-logins), or since the login in use (profile register-per-login)."""
        if self.vrun.profile.get("register_scope", "vehicle") == "vehicle":
            login_seq = 1
        return C.from_sut(self.since(login_seq - 1), "main")

    def platform_requests(self, stage: str) -> list[CheckResult]:
        """The platform sends each request of schemas/shunde/requests.toml (on the slave link when it is up);
        the forwarder must answer each on the main link, naming the request it answers."""
        iface = "connect"
        session = self.platform_session()
        v = self.data.vehicle(self.operator)
        vehicle = (v["vehicle_no"], int(v["vehicle_color"]))
        seq0 = self.journal.last_seq
        revision = self.mock.header_profile.name
        rules = [r for r in REQUEST_RULES.values() if r.applies(revision)]
        informs = [inform_message(i, vehicle, revision) for i in INFORMS.values()]
        slave_was_up = session is not None and session.slave_state == "up"

        async def send() -> None:
            for msg in informs:  # first: a forwarder that drops a link on them cannot answer what follows
                self.mock.send_down(session, msg)
            for rule in rules:
                self.mock.send_down(session, request_message(rule, vehicle, revision))

        if session is None:
            return [self.record(ADAPTER_COMPLETED, [C.fail("not logged in: no platform session to send requests on")],
                                interface=iface, stage=stage)]
        self.bg.call(send())
        names = {r.answer_name for r in rules}
        wait = float(self.suite["frame_wait_s"])
        self.wait_for(lambda: names <= {e.interface for e in C.from_sut(self.since(seq0), "main")}, wait)
        exs = self.since(seq0)
        ev = [e.evidence() for e in exs if e.method in ("send", "recv")][:2 * len(rules) + len(informs)]
        out = [self.record("shunde.requests.answered", C.requests_answered([(r, vehicle) for r in rules], exs, wait),
                           interface=iface, stage=stage, evidence=ev)]
        if informs:
            sent = [f"0x{i.msg:04X} {i.name(revision)}" for i in INFORMS.values()]
            slave = session.slave
            kept = C.informs_kept(sent, not session.main.closed, slave_was_up,
                                  slave is not None and not slave.closed and session.slave_state == "up")
            out.append(self.record("shunde.informs.kept", kept, interface=iface, stage=stage, evidence=ev))
        out += self.judge_frames(exs, iface, stage)
        return out

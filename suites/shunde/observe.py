"""The Shunde stream judge of observe mode (harness/observe.py): the client-role checks of suites/shunde/checks.py
that judge the wire alone, applied to every frame a real GPS forwarder sends the district platform mock (login, link
tests, 0x1201 registration, 0x1202/0x1203 positions, answers to the platform's requests), with no stimulus: the mock
only answers the login and the link tests and opens the slave link, as it does by itself.

What it learns from the stream: the access code of every accepted login (per USERID), each login's registered
vehicles, each operator's last main-link heartbeat, the platform's unanswered 0x9005. What it needs besides the
exchanges (`meta`, kept in the journal file): the account sheet the mock logged operators in with and its link
timeouts. So `vconform report --journal` re-derives the same verdicts.

The mock journals position frames raw on its fast path (mocks/shunde/platform.py, `raw_view`); `judge_for_mock`
turns that path off for an observed mock, so every frame reaches `Journal.record`, which the observer hooks. A mock
not observed keeps its fast path."""
from __future__ import annotations

from typing import Any, Iterable

from harness import specdata
from harness.checks import Problem, fail
from harness.journal import Exchange
from mocks.shunde.platform import JUDGE_LINK
from mocks.shunde.store import position_records
from suites.shunde import checks as C
from suites.shunde import gpsrules

# Checks whose verdict needs an action's expected effect (the positions given, the requests sent, a cut link, the
# access sheet of a run): reported `skip`, never pass.
STIMULUS = {"adapter.completed": "", "shunde.location.complete": "send_positions",
            "shunde.location.intact": "send_positions", "shunde.requests.answered": "connect",
            "shunde.informs.kept": "connect",
            "shunde.link.reconnect": "connect", "shunde.flow.access_sheet": "send_positions"}
# The run's interface (its action) of each journaled frame; anything else (answers to the platform's requests,
# alarms, static data) is judged under connect, as the run judges the platform's requests.
ACTION = {"UP_CONNECT_REQ": "connect", "DOWN_CONNECT_RSP": "connect", "LINK": "connect",
          "UP_LINKTEST_REQ": "heartbeat", "DOWN_LINKTEST_RSP": "heartbeat", "UP_DISCONNECT_REQ": "disconnect",
          "UP_EXG_MSG_REGISTER": "send_positions", **{i: "send_positions" for i in C.POSITION_IFACES}}
REGISTER = 0x1201


class ShundeJudge:
    def __init__(self, profile: dict, meta: dict[str, Any]):
        self.profile = profile
        platform = specdata.load("shunde", "platform")
        link = {**platform["link"], **(meta.get("link") or {})}
        self.idle = float(link["idle_timeout_s"])
        self.answer_timeout = float(link["answer_timeout_s"])
        self.retry_wait = float(link["retry_wait_s"])
        self.max_batch = int(meta.get("max_batch") or platform["history"]["max_batch"])
        self.accounts = {int(a["user_id"]): a for a in meta.get("accounts") or []}
        self.meta = {"accounts": list(self.accounts.values()),
                     "link": {k: float(link[k]) for k in JUDGE_LINK},
                     "max_batch": self.max_batch}
        self.rules = gpsrules.load_rules()
        self.stimulus = dict(STIMULUS)
        self.unavailable: dict[str, tuple[str, str]] = {}
        if profile.get("main_link_only"):
            why = "profile main-link-only: the platform opens no slave link (E-SD-06)"
            self.unavailable = {"shunde.slave.answered": ("connect", why), "shunde.heartbeat.slave": ("heartbeat", why)}
        self.codes: dict[str, int] = {}                          # USERID -> access code of its accepted login
        self.registered: dict[str, dict[tuple, Exchange]] = {}   # USERID -> vehicle -> its 0x1201 since the login
        self.history: dict[tuple, Exchange] = {}                 # vehicle -> its last 0x1203
        self.beats: dict[str, Exchange] = {}                     # USERID -> its last 0x1005 since the login
        self.pending: dict[str, Exchange] = {}                   # USERID -> the platform's 0x9005 not yet answered
        self.refused: dict[str, Exchange] = {}                   # USERID -> its last 0x1001, if refused RESULT 5
        self.malformed: dict[str, list[Exchange]] = {"main": [], "slave": []}  # consecutive malformed pieces
        self.last_time = 0.0

    # ---- the stream -----------------------------------------------------------------------------------
    def see(self, e: Exchange) -> Iterable[tuple[str, str, list[Problem]]]:
        self.last_time = max(self.last_time, e.time)
        if e.method == "event":
            yield from self._event(e)
        elif e.method == "send":
            yield from self._platform_sent(e)
        elif e.method == "recv":
            yield from self._frame(e)

    def _frame(self, e: Exchange) -> Iterable[tuple[str, str, list[Problem]]]:
        iface, client = ACTION.get(e.interface, "connect"), e.client_id
        frames = C.frame_problems([e])
        frames["escape"] += self._unescaped_run(e)
        for aspect, probs in frames.items():
            yield C.FRAME_CHECKS[aspect][0], iface, probs
        yield "shunde.frame.values", iface, C.frame_values([e], self.profile)
        body = e.request_plaintext if isinstance(e.request_plaintext, dict) else {}
        login = e.link == "main" and e.interface == "UP_CONNECT_REQ"
        if client in self.codes:  # the login's own header is login.fields' to judge
            yield "shunde.header.access_code", iface, C.access_code([e], self.codes[client])
        uid = int(client) if client else body.get("user_id") if isinstance(body.get("user_id"), int) else 0
        yield "shunde.cipher.body", iface, C.cipher_body([e], self.profile, uid)
        if e.outcome == "not_logged_in":
            yield "shunde.login.accepted", iface, [fail(f"{C.where(e)}: sent before any accepted login on this link: "
                                                        "the platform ignored it")]
        if login:
            yield from self._login(e, body)
        elif e.link == "slave" and e.interface == "DOWN_CONNECT_RSP":
            yield "shunde.slave.answered", iface, C.slave_answered([e], "up")
        elif e.link == "slave" and e.interface == "DOWN_LINKTEST_RSP":
            if self.pending.pop(client, None) is not None:
                yield "shunde.heartbeat.slave", iface, []
        elif e.link == "main" and e.interface == "UP_LINKTEST_REQ" and client:
            prev = self.beats.get(client)
            if prev is not None:
                yield "shunde.heartbeat.main", iface, C.heartbeat_main([prev, e], 0, e.time - prev.time, self.idle,
                                                                       self.idle)
            self.beats[client] = e
        elif e.link == "main" and e.interface == "UP_DISCONNECT_REQ" and client:
            yield "shunde.disconnect.orderly", iface, C.disconnect_orderly([e], self._creds(int(client), body))
        elif e.link == "main" and client and body.get("data_type") == REGISTER:
            key = (body.get("vehicle_no"), body.get("vehicle_color"))
            self.registered.setdefault(client, {}).setdefault(key, e)
        elif e.link == "main" and e.interface in C.POSITION_IFACES and body:
            yield from self._position(e, body, iface)

    def _login(self, e: Exchange, body: dict) -> Iterable[tuple[str, str, list[Problem]]]:
        uid = body.get("user_id")
        if body and isinstance(uid, int) and uid not in self.accounts:
            yield "shunde.login.fields", "connect", [fail(f"{C.where(e)}: USERID {uid} is no account of this "
                                                          "platform's access sheet (shunde Attachment 2)")]
        else:
            yield "shunde.login.fields", "connect", C.login_fields([e], self._creds(uid, body))
        if not C.probe_refusal(e):  # refused on purpose (E-SD-24): the platform's doing
            yield "shunde.login.accepted", "connect", C.login_accepted([e])
        refused = self.refused.pop(str(uid), None)
        if refused is not None:
            yield "shunde.link.backoff", "connect", C.link_backoff([refused, e], self.retry_wait,
                                                                   self.profile.get("reconnect_wait", "required"))
        if e.status == C.RESULT_BUSY:
            self.refused[str(uid)] = e
        if e.status == 0 and e.outcome == "ok" and e.response_body:
            client = str(uid)
            self.codes[client] = (e.headers or {}).get("gnss_center_id")
            if self.profile.get("register_scope") == "login":  # E-SD-23 per login: 0x1201 due again
                self.registered[client] = {}
            self.beats.pop(client, None)
            self.pending.pop(client, None)

    def _position(self, e: Exchange, body: dict, iface: str) -> Iterable[tuple[str, str, list[Problem]]]:
        yield "shunde.location.valid", iface, C.location_valid([e])
        recs = position_records(body, received=e.time, seq=e.seq, valid=e.outcome == "ok", user_id=e.client_id)
        yield "shunde.location.plausible", iface, C.location_plausible(recs)
        yield "shunde.location.timely", iface, C.location_timely(recs, self.rules)
        key = (body.get("vehicle_no"), body.get("vehicle_color"))
        reg = self.registered.get(e.client_id, {}).get(key)
        vehicle = {"vehicle_no": key[0], "vehicle_color": key[1] if isinstance(key[1], int) else 0, "positions": [{}]}
        yield "shunde.register.sent", iface, C.register_sent({"vehicles": [vehicle]}, [reg, e] if reg else [e])
        if e.interface == "UP_EXG_MSG_HISTORY_LOCATION":
            prev = self.history.get(key)
            here = C.where(e)  # the previous batch's own problems were judged with it
            probs = C.history_batch([prev, e] if prev is not None else [e], self.max_batch)
            yield "shunde.history.batch", iface, [p for p in probs if p.message.startswith(here)]
            self.history[key] = e

    def _event(self, e: Exchange) -> Iterable[tuple[str, str, list[Problem]]]:
        if e.outcome == "slave_connect_failed":
            yield "shunde.slave.answered", "connect", C.slave_answered([e], "refused")
        elif e.outcome == "slave_no_answer":
            yield "shunde.slave.answered", "connect", [fail(
                f"#{e.seq}: no 0x9002 DOWN_CONNECT_RSP came back on the slave link within "
                f"{(e.notes or {}).get('waited_s', self.answer_timeout)} s")]
        elif e.outcome == "closed":
            self.pending.pop(e.client_id, None)  # a 0x9005 on a link that closed is never answered: not a finding
            if e.link == "main" and (e.notes or {}).get("reason") == "idle":
                yield "shunde.heartbeat.main", "heartbeat", [fail(
                    f"#{e.seq}: the platform closed the main link: no frame for {self.idle:g} s (idle timeout), no "
                    "0x1005 kept it up")]

    def _platform_sent(self, e: Exchange) -> Iterable[tuple[str, str, list[Problem]]]:
        if e.link == "slave" and e.interface == "DOWN_LINKTEST_REQ" and e.client_id:
            prev = self.pending.get(e.client_id)
            if prev is not None and e.time - prev.time >= self.answer_timeout:
                yield "shunde.heartbeat.slave", "heartbeat", self._unanswered(prev)
            self.pending[e.client_id] = e

    def finish(self) -> Iterable[tuple[str, str, list[Problem]]]:
        for _client, prev in sorted(self.pending.items()):
            if self.last_time - prev.time >= self.answer_timeout:  # one sent just before the end is not judged
                yield "shunde.heartbeat.slave", "heartbeat", self._unanswered(prev)
        self.pending.clear()

    # ---- helpers ------------------------------------------------------------------------------------------
    def _unanswered(self, sent: Exchange) -> list[Problem]:
        return [fail(f"#{sent.seq}: " + p.message) for p in C.heartbeat_slave(False)]

    def _creds(self, uid: Any, body: dict) -> dict[str, Any]:
        acct = self.accounts.get(uid) if isinstance(uid, int) else None
        return acct or {"user_id": uid, "password": body.get("password"), "access_code": None, "down_link_ip": "",
                        "down_link_port": 0}

    def _unescaped_run(self, e: Exchange) -> list[Problem]:
        """C.unescaped_frames over the stream: up to four consecutive malformed pieces of one link that join into
        one valid frame read without unescaping (a sender that never escapes); single pieces are frame_problems'."""
        run = self.malformed.setdefault(e.link, [])
        if "reason" not in (e.notes or {}):
            run.clear()
            return []
        run.append(e)
        del run[:-4]
        for n in range(2, len(run) + 1):
            found = C.unescaped_frames(run[-n:])
            if found and found[0].startswith(f"#{run[-n].seq}.."):
                run.clear()
                return [fail(found[0])]
        return []


def _accounts(sheet: Any) -> list[dict[str, Any]]:
    return [a.credentials() for a in sheet]


def make_judge(profile: dict, meta: dict[str, Any]) -> ShundeJudge:
    """Offline judge. A journal written outside observe mode (a run's, a plain `vconform mock`'s) holds no account
    sheet: the mock logged operators in with the sheet it loads by default, so that sheet is the one to judge with."""
    if "accounts" not in meta:
        meta = {**meta, "accounts": _accounts(_sheet())}
    return ShundeJudge(profile, meta)


def judge_for_mock(mock, profile: dict) -> ShundeJudge:
    """The judge of a live DistrictPlatform; every frame journaled whole from now on (the observer's way in)."""
    mock.raw_view = None  # the raw fast path bypasses Journal.record; observed, every frame goes through it
    return ShundeJudge(profile, {"accounts": _accounts(mock.accounts), "link": {k: mock.settings[k] for k in JUDGE_LINK}})



def pilot_plan(seed: int, time_scale: float = 1.0, level: str = "") -> dict[str, Any]:
    """What a Shunde operator's forwarder does by itself (`vconform pilot-feed shunde`): `connect` starts the
    reference forwarder's daemon, which logs in with the first account of the mock's access sheet, serves the slave
    link and sends 0x1005 on its own timer (the platform's heartbeat interval, divided by the time scale); then each
    vehicle's real-time position every report interval (shunde fleet.report_interval_s) and, every ten, a 0x1203
    batch of the positions just before it; `disconnect` (0x1003) when the feed ends. Position times follow a clock
    running `time_scale` times faster from now, as the observed mock's does under the same --time-scale."""
    import time

    from schemas.shunde.datagen import ShundeData, beijing_now

    platform = specdata.load("shunde", "platform")
    account = next(iter(_sheet()))
    data = ShundeData(int(seed))
    fleet = data.fleet(2, account.enterprise)
    every = int(platform["fleet"]["report_interval_s"])
    offset = float(platform["gps_normal"]["utc_offset_h"])
    prof = specdata.profile("shunde", "default")
    t0, scale = time.time(), float(time_scale)
    credentials = {**account.credentials(), "header": str(prof["header"]),
                   "heartbeat_interval_s": float(platform["link"]["heartbeat_interval_s"]) / scale}

    def now():
        return beijing_now(t0 + (time.time() - t0) * scale, offset)

    def real(_i: int) -> dict:
        end = now()
        return {"vehicles": [{**v, "mode": "real", "positions": data.track(1, end, every)} for v in fleet]}

    def history(_i: int) -> dict:
        from datetime import timedelta

        end = now() - timedelta(seconds=every)
        return {"vehicles": [{**v, "mode": "history", "positions": data.track(7, end, every)} for v in fleet]}

    return {"credentials": credentials, "setup": [("connect", {})], "teardown": [("disconnect", {})],
            "cadence": [("send_positions", every, real, "shunde fleet.report_interval_s: one position a vehicle"),
                        ("send_history", 10 * every, history, "a 0x1203 batch of recent positions every ten")],
            "actions": {"send_history": "send_positions"}}


def _sheet():
    from mocks.shunde.accounts import AccountSheet

    return AccountSheet.default()

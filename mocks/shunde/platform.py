"""The Shunde district platform mock: a JT/T 809-2011 receiving platform over asyncio TCP (`vconform mock shunde`).

Main link: 0x1001 login answered 0x1002 (every RESULT reachable), 0x1005 -> 0x1006, 0x1003 -> 0x1004, 0x1200
positions stored per vehicle. After a login it opens the slave link to the operator's DOWN_LINK_IP:PORT and
sends 0x9001 with the VERIFY_CODE (unless main-link-only). Every frame in either direction is journaled —
raw hex, decoded header and body, findings — before any answer goes out. Malformed input is journaled with
its reason and never ends a link; nothing a peer sends crashes the mock.
"""
from __future__ import annotations

import asyncio
import random
from collections import deque
from dataclasses import replace
from typing import Any

from harness import specdata
from harness.clock import Clock
from harness.journal import Exchange
from harness.jt809 import PROFILES, CipherConfig, Frame, FrameDecoder, FrameError, Header, encode, lint, unescape
from harness.jt809.jsonview import body_to_json, header_to_json
from harness.jt809.layouts import EMPTY_READING
from harness.jt809.messages import (EXG_DATA_TYPES, MESSAGES, TABLES, answer_data, body_class, DownConnectReq,
                                    DownDisconnectInform, DownLinktestReq, UpConnectReq, UpConnectRsp,
                                    UpDisconnectReq, UpDisconnectRsp, UpExgMsg, UpLinktestRsp)
from mocks.shunde.accounts import Account, AccountSheet
from mocks.shunde.journal import VIEW, BatchJournal, finding, settle_body
from mocks.shunde.links import DROPPED, Link
from mocks.shunde.store import position_records

SPEC = "shunde"
MAX_LINKS_KEPT = 1000
FLUSH_ROWS = 2000  # rows nobody answered are committed once this many wait...
FLUSH_S = 0.05     # ...or this many seconds after the first of them arrived, whichever comes first
UPLINK_FAMILIES = (0x1300, 0x1400, 0x1500, 0x1600, 0x1700)  # layouts.toml: UP_ families other than 0x1200
UPLINK_ANSWERS_2019 = (0x1102,)  # 2019 link management: the operator's answer to 0x9102, journaled
TOTAL_RECV = body_class("DOWN_TOTAL_RECV_BACK_MSG")
EXG_HEAD_SIZE = 28  # 0x1200: VEHICLE_NO 21, VEHICLE_COLOR 1, DATA_TYPE 2, DATA_LENGTH 4
JUDGE_LINK = ("idle_timeout_s", "answer_timeout_s", "retry_wait_s")  # [link] settings the stream judge needs
RESULT = {"ok": 0, "ip_wrong": 1, "access_code_wrong": 2, "user_not_registered": 3, "password_wrong": 4,
          "busy": 5, "other": 6}


def settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The [link] settings of schemas/shunde/platform.toml with overrides applied."""
    out = dict(specdata.load(SPEC, "platform")["link"])
    out.update(overrides or {})
    return out


def cipher_of(profile: dict[str, Any]) -> CipherConfig | None:
    return CipherConfig(profile["m1"], profile["ia1"], profile["ic1"]) if profile.get("encrypt") else None


def msg_label(msg_id: int | None, body: Any = None) -> str:
    """Journal interface name: the message name, the 0x1200 sub-type name when known, else the hex id."""
    if msg_id is None:
        return "malformed"
    if msg_id == 0x1200 and isinstance(body, UpExgMsg) and body.data_type in EXG_DATA_TYPES:
        return EXG_DATA_TYPES[body.data_type].name
    if msg_id in TABLES["2011"].subs and getattr(body, "data_type", None) is not None:  # the other families
        for table in TABLES.values():
            row = table.subs[msg_id].get(body.data_type)
            if row is not None:
                return row.name
    mtype = MESSAGES.get(msg_id) or TABLES["2019"].messages.get(msg_id)  # 2019-only ids: 0x1102, 0x9102…
    return mtype.name if mtype else f"0x{msg_id:04X}"


class Session:
    """A logged-in operator: its account, main link, slave link and verify code."""

    def __init__(self, account: Account, main: Link, verify_code: int, down_link: tuple[str, int]):
        self.account, self.main, self.verify_code, self.down_link = account, main, verify_code, down_link
        self.slave: Link | None = None
        self.slave_state = "none"  # none | connecting | up | failed | refused | closed
        self.total_recv_sent = 0.0  # end of the span the last 0x9101 counted (0: none sent yet)
        self.started = 0.0  # login time
        self.journal_seq = 0  # the journal's last seq at login: 0x9103 lists what came after it
        self.manage_sent = False  # the session's 0x9102 and 0x9103 went out (2019 header, `manage_after_s`)


class DistrictPlatform:
    """The mock district platform; in-process accessors: accounts, positions, sessions, links."""

    def __init__(self, *, journal: Any = None, profile: str | dict | None = None, clock: Clock | None = None,
                 accounts: AccountSheet | None = None, overrides: dict[str, Any] | None = None,
                 seed: int | None = None):
        self.profile = profile if isinstance(profile, dict) else specdata.profile(SPEC, profile)
        self.settings = settings(overrides)
        self.clock = clock or Clock()
        self._own_journal = journal is None  # a journal handed over is closed by whoever opened it
        self.journal = BatchJournal.beside(journal)
        self.accounts = accounts if accounts is not None else AccountSheet.default()
        self.cipher = cipher_of(self.profile)
        self.header_profile = PROFILES[str(self.profile.get("header", "2011"))]
        # Requests this platform answers under its header (schemas/shunde/platform.toml [answers]): DATA_TYPE ->
        # the answer's family, DATA_TYPE and RESULT (None: the answer has no RESULT).
        self.answers = {int(k, 16): {"family": int(v.get("family", "0x9200"), 16), "answer": int(v["answer"], 16),
                                     "result": v.get("result")}
                        for k, v in specdata.load(SPEC, "platform").get("answers", {}).items()
                        if v.get("revision", self.header_profile.name) == self.header_profile.name}
        # Journal view of position frames written raw (their JSON views built when read); None: written whole.
        self.raw_view: str | None = f"{VIEW}:{self.header_profile.name}"
        self.rng = random.Random(seed) if seed is not None else random.SystemRandom()
        self._positions: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self._indexed = self.journal.last_seq  # journal seq up to which positions were read back
        self.sessions: dict[int, Session] = {}
        self.refusals: dict[int, int] = {}  # USERID -> logins still to refuse RESULT 5 after a cut (E-SD-24)
        self.links: list[Link] = []
        self.errors: deque[str] = deque(maxlen=100)  # the latest internal errors caught (all are journaled)
        self._server: asyncio.base_events.Server | None = None
        self._ticker: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._flush_timer: asyncio.TimerHandle | None = None

    # ---- lifecycle ---------------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: Link(self, "main"), host, port)
        self._ticker = loop.create_task(self._tick_forever())
        self._keep_judge_meta()
        return self._server.sockets[0].getsockname()[1]

    def _keep_judge_meta(self) -> None:
        """The account sheet and link timings, kept in a journal file so `vconform report --journal` judges the
        logins this mock accepted against the sheet it used (several mocks of one run: their accounts together)."""
        from harness.observe import keep_judge_meta, read_meta

        if self.journal.temporary:
            return
        kept = {int(a["user_id"]): a for a in (read_meta(self.journal.path).get("judge") or {}).get("accounts", [])}
        kept.update({int(a.user_id): a.credentials() for a in self.accounts})
        keep_judge_meta(self.journal, {"accounts": list(kept.values()),
                                       "link": {k: self.settings[k] for k in JUDGE_LINK}},
                        self.profile.get("name"))

    async def close(self) -> None:
        if self._ticker:
            self._ticker.cancel()
        if self._server:
            self._server.close()
        for link in list(self.links):
            link.close("platform_stopped")
        for t in list(self._tasks):
            t.cancel()
        await asyncio.sleep(0)  # let the closed links report (connection_lost) before the last flush
        if self._server:
            await self._server.wait_closed()
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        self.journal.flush()
        if self._own_journal:
            self.journal.close()

    def new_decoder(self) -> FrameDecoder:
        """A fresh stream decoder for one link (its own buffer), with this platform's header, cipher and size limit."""
        return FrameDecoder(self.header_profile, self.cipher, int(self.settings["max_frame"]))

    def spawn(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(float(self.settings["tick_s"]))
            try:
                self.tick()
            except Exception as exc:  # the ticker must outlive any one link's trouble
                self.internal_error("tick", exc)

    def tick(self) -> None:
        """Close idle links and send slave-link heartbeats that are due (runs on the loop)."""
        now = self.clock.now()
        idle, beat = float(self.settings["idle_timeout_s"]), float(self.settings["heartbeat_interval_s"])
        for link in list(self.links):
            if link.closed:
                continue
            if now - link.last_rx > idle:
                link.close("idle")
            elif link.kind == "slave" and link.session is not None and link.session.slave_state == "up" \
                    and now - link.last_tx >= beat:
                self.send(link, DownLinktestReq())
        every = float(self.settings.get("total_recv_interval_s") or 0)
        for user_id, session in list(self.sessions.items()) if every > 0 else ():
            if not session.main.closed and now - session.total_recv_sent >= every:
                self.send_total_recv(user_id, session.total_recv_sent, now)
        after = float(self.settings.get("manage_after_s") or 0)
        for session in list(self.sessions.values()) if after > 0 and self.header_profile.name == "2019" else ():
            if not session.manage_sent and not session.main.closed and now - session.started >= after:
                session.manage_sent = True
                self.send_manage_req(session, session.started, now)
                self.send_sn_inform(session)
        if len(self.links) > MAX_LINKS_KEPT:  # a long-running mock keeps the open links and the latest closed ones
            closed = [k for k in self.links if k.closed]
            drop = set(map(id, closed[:len(self.links) - MAX_LINKS_KEPT]))
            self.links = [k for k in self.links if id(k) not in drop]

    # ---- journal -------------------------------------------------------------------------------------
    def exchange(self, link: Link, method: str, interface: str, **kw: Any) -> Exchange:
        acct = link.account
        return Exchange(spec=SPEC, time=self.clock.now(), method=method, interface=interface, link=link.kind,
                        peer=link.peer, client_id=str(acct.user_id) if acct else "", **kw)

    def settle_journal(self) -> None:
        """After a read: commit the rows nobody answered when FLUSH_ROWS wait, else within FLUSH_S (a timer on the
        loop). Every answer commits everything before it first (send), so nothing acknowledged waits here."""
        j = self.journal
        if not j.pending:
            return
        if j.pending >= FLUSH_ROWS:
            j.flush()
            return
        if self._flush_timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # driven without a loop (tests feeding a Link by hand): commit now
                j.flush()
                return
            self._flush_timer = loop.call_later(FLUSH_S, self._timed_flush)

    def _timed_flush(self) -> None:
        self._flush_timer = None
        try:
            self.journal.flush()
        except Exception as exc:  # noqa: BLE001 - a timer must not die silently; the next flush retries
            self.errors.append(f"journal flush: {type(exc).__name__}: {exc}")

    def link_event(self, link: Link, what: str, **notes: Any) -> None:
        self.journal.record(self.exchange(link, "event", "LINK", outcome=what, notes=notes))
        self.journal.flush()

    # ---- sending ------------------------------------------------------------------------------------
    def frame_bytes(self, link: Link, msg: Any, center: int) -> tuple[bytes, Header]:
        link.sn = (link.sn + 1) & 0xFFFFFFFF
        header = Header(msg_sn=link.sn, msg_id=_msg_id(msg), gnss_center_id=center, version=(1, 0, 0))
        if self.cipher is not None:
            header = replace(header, encrypt_flag=1, encrypt_key=self.rng.randrange(1, 2**32))
        if self.header_profile.has_time:
            header = replace(header, time=int(self.clock.now()))
        raw = encode(msg, header, cipher=self.cipher, profile=self.header_profile)
        return raw, replace(header, msg_length=len(unescape(raw[1:-1])[0]) + 2)

    def send(self, link: Link, msg: Any, ex: Exchange | None = None, *, center: int | None = None) -> bytes:
        """Encode, journal (as the answer of `ex`, or as a frame of its own), flush, then write."""
        if center is None:
            center = link.account.access_code if link.account else 0
        raw, header = self.frame_bytes(link, msg, center)
        head, body = header_to_json(header, self.header_profile), body_to_json(msg, header.msg_id)
        if ex is not None:
            ex.response_body, ex.response_plaintext = raw.hex().upper(), {"header": head, "body": body}
            self.journal.record(ex)
        else:
            self.journal.record(self.exchange(link, "send", msg_label(header.msg_id, msg),
                                              path=f"0x{header.msg_id:04X}", headers=head,
                                              request_body=raw.hex().upper(), request_plaintext=body,
                                              outcome="sent"))
        self.journal.flush()
        link.write(raw)
        return raw

    # ---- receiving ----------------------------------------------------------------------------------
    def on_event(self, link: Link, event: Frame | FrameError) -> None:
        """One decoded frame or framing error from a link; journal it, then act on it."""
        if type(event) is Frame and event.header.msg_id == 0x1200 and event.header.encrypt_flag == 0 \
                and link.kind == "main" and link.account is not None and self.raw_view \
                and getattr(event.body, "data_type", None) not in self.answers:
            # A clear, well-formed 0x1200 from a logged-in operator that is not a request the platform answers
            # (schemas/shunde/platform.toml [answers]): nobody answers it, and a stream of them is
            # the mock's busiest path. Journaled as its raw bytes and scalar columns; the header, body and
            # findings are derived from those bytes when the row is read (mocks.shunde.journal.frame_view).
            link.last_rx = now = self.clock.now()
            self.journal.add_raw(SPEC, now, "recv", "0x1200", msg_label(0x1200, event.body), link.kind, link.peer,
                                 str(link.account.user_id), event.raw, "ok", self.raw_view)
            return
        frame = event if isinstance(event, Frame) else event.partial
        header = frame.header if frame is not None else None
        msg_id = header.msg_id if header is not None else None
        body = frame.body if frame is not None else None
        if frame is not None:
            settle_body(frame)
        findings = [finding(f) for f in lint(frame)] if frame is not None else []
        notes: dict[str, Any] = {"findings": findings}
        unreadable = isinstance(event, Frame) and header.encrypt_flag == 1 and frame.body_plain is None
        if isinstance(event, FrameError):
            notes["reason"], notes["message"] = event.reason, event.message
            if event.others:
                notes["others"] = [{"reason": r, "message": m} for r, m in event.others]
        ex = self.exchange(
            link, "recv", msg_label(msg_id, body), path=f"0x{msg_id:04X}" if msg_id is not None else "",
            headers=header_to_json(header, frame.profile, frame.crc) if header is not None else {},
            request_body=event.raw.hex().upper(), request_plaintext=body_to_json(body, msg_id) if msg_id else None,
            outcome=("encrypted_no_keys" if unreadable else "ok") if isinstance(event, Frame) else event.reason,
            notes=notes)
        link.last_rx = ex.time  # any frame, malformed or not, is traffic: the link is not idle
        if link.kind == "main":
            self._on_main(link, event, frame, msg_id, body, ex)
        else:
            self._on_slave(link, event, msg_id, body, ex)

    def _on_main(self, link: Link, event: Any, frame: Frame | None, msg_id: int | None, body: Any,
                 ex: Exchange) -> None:
        if msg_id == 0x1001 and isinstance(event, FrameError) and event.reason == "body" and link.account is None:
            ex.notes["login"] = "other"
            return self._refuse(link, ex, RESULT["other"], frame.header.gnss_center_id)
        if isinstance(event, FrameError):
            return self.on_malformed(link, ex)
        if ex.outcome == "encrypted_no_keys":
            return self._unreadable(link, frame, msg_id, ex)
        if msg_id == 0x1001:
            return self._login(link, event, body, ex)
        if link.account is None:
            ex.outcome = "not_logged_in"
            self.journal.record(ex)
            return
        if msg_id == 0x1005:
            return self.answer_linktest(link, ex)
        if msg_id == 0x1003:
            return self._disconnect(link, body, ex)
        if msg_id == 0x1200:  # stored in the journal only; `positions` reads them back when asked
            self.journal.record(ex)
            return self.answer_request(link, body, frame.header.msg_sn)
        if msg_id in UPLINK_ANSWERS_2019 and self.header_profile.name == "2019":
            return self.on_manage_answer(link, body, ex)
        if msg_id in UPLINK_FAMILIES:
            # answers to the platform's requests, alarm and static data: journaled; requests (0x1702) answered
            self.journal.record(ex)
            return self.answer_request(link, body, frame.header.msg_sn)
        ex.outcome = "unexpected"
        self.journal.record(ex)

    def login_result(self, link: Link, frame: Frame, body: UpConnectReq) -> str:
        """The 0x1002 RESULT name for a well-formed 0x1001, checked in the order of E-SD-09."""
        acct = self.accounts.get(body.user_id)
        current = self.sessions.get(body.user_id)
        if acct is None:
            return "user_not_registered"
        if body.password != acct.password:
            return "password_wrong"
        if frame.header.gnss_center_id != acct.access_code or \
                getattr(body, "msg_gnsscenterid", acct.access_code) != acct.access_code:  # the 2019 body's too
            return "access_code_wrong"
        if not acct.ip_allowed(link.peer.rsplit(":", 1)[0].strip("[]")):
            return "ip_wrong"
        if link.account is not None or (current is not None and not current.main.closed):
            return "busy"
        return "ok"

    def _login(self, link: Link, frame: Frame, body: UpConnectReq, ex: Exchange) -> None:
        center = frame.header.gnss_center_id
        why = self.login_result(link, frame, body)
        if why == "ok" and self.refusals.get(body.user_id):
            self.refusals[body.user_id] -= 1
            why = "busy"
            ex.notes["probe"] = ("E-SD-24: refused on purpose after the main-link cut, to see the operator wait before "
                                 "its next login")
        ex.notes["login"] = why
        if why != "ok":
            return self._refuse(link, ex, RESULT[why], center)
        acct = self.accounts.get(body.user_id)
        verify = self.rng.randrange(1, 2**32)
        down = (body.down_link_ip, body.down_link_port)
        if acct.down_link_ip and acct.down_link_port and (acct.down_link_ip, acct.down_link_port) != down:
            ex.notes["down_link_sheet"] = f"{acct.down_link_ip}:{acct.down_link_port}"
        session = Session(acct, link, verify, down)
        link.account, link.session = acct, session
        session.total_recv_sent = session.started = self.clock.now()
        session.journal_seq = self.journal.last_seq
        self.sessions[acct.user_id] = session
        ex.status = 0
        ex.notes["verify_code"] = verify
        self.send(link, UpConnectRsp(0, verify), ex)
        if not self.profile.get("main_link_only"):
            session.slave_state = "connecting"
            self.spawn(self.open_slave(session))

    def _unreadable(self, link: Link, frame: Frame, msg_id: int, ex: Exchange) -> None:
        """ENCRYPT_FLAG=1 and this profile has no cipher constants: the body cannot be read. Journaled raw with
        the codec's finding; answered only where JT/T 809 needs no body to answer (0x1001: RESULT 6 "other",
        0x1005: 0x1006); anything else is kept without an answer, as a malformed frame is. The link goes on."""
        if msg_id == 0x1001 and link.account is None:
            ex.status, ex.notes["login"] = RESULT["other"], "other"
            self.send(link, UpConnectRsp(RESULT["other"], 0), ex, center=frame.header.gnss_center_id)
            if self.settings["close_on_login_failure"]:
                link.close("login_refused")
        elif msg_id == 0x1005 and link.account is not None:
            self.answer_linktest(link, ex)
        else:
            self.journal.record(ex)

    def on_malformed(self, link: Link, ex: Exchange) -> None:
        """Journal a malformed frame with its reason; no answer, and the link stays up for later frames."""
        self.journal.record(ex)

    def answer_linktest(self, link: Link, ex: Exchange) -> None:
        self.send(link, UpLinktestRsp(), ex)

    def _refuse(self, link: Link, ex: Exchange, result: int, center: int) -> None:
        ex.status = result
        ex.outcome = [k for k, v in RESULT.items() if v == result][0]
        self.send(link, UpConnectRsp(result, 0), ex, center=center)
        if self.settings["close_on_login_failure"] and link.account is None:
            link.close("login_refused")

    def _disconnect(self, link: Link, body: UpDisconnectReq, ex: Exchange) -> None:
        acct = link.account
        if body.user_id != acct.user_id or body.password != acct.password:
            ex.notes["mismatch"] = "USERID/PASSWORD differ from the login's"
        self.send(link, UpDisconnectRsp(), ex)
        session = link.session
        link.close("disconnect")
        if session and session.slave and not session.slave.closed:
            session.slave.close("disconnect")

    @property
    def positions(self) -> dict[tuple[str, int], list[dict[str, Any]]]:
        """Per (plate, colour code): every position received from a logged-in operator, in arrival order.

        Built from the journal when asked (the receive path stays as short as the journal allows, and a mock
        nobody asks keeps no positions in memory)."""
        for ex in self.journal.since(self._indexed):
            self._indexed = ex.seq
            if ex.method != "recv" or ex.link != "main" or ex.path != "0x1200" or ex.outcome != "ok":
                continue
            valid = not any(f["level"] == "fail" for f in ex.notes["findings"])
            for rec in position_records(ex.request_plaintext, received=ex.time, seq=ex.seq, valid=valid,
                                        user_id=ex.client_id):
                self._positions.setdefault((rec["vehicle_no"], rec["vehicle_color"]), []).append(rec)
        return self._positions

    # ---- platform-side messages beyond the link's own (issue 13; layouts E-SD-16) ------------------------
    def answer_request(self, link: Link, body: Any, sn: int = 0) -> bytes | None:
        """Answer an operator's request (0x1207/0x1208/0x1209, the 2019 0x1201, 0x1702: schemas/shunde/platform.toml
        [answers]) with its 0x9200 (0x9700) sub-message on the operator's slave link (the main link when there is
        none); under the 2019 header in the 2019 body, which names the request by its DATA_TYPE and MSG_SN (`sn`)."""
        rule = self.answers.get(getattr(body, "data_type", None))
        if rule is None or link.session is None or isinstance(getattr(body, "data", b""), (bytes, bytearray)):
            return None
        revision = self.header_profile.name
        values: dict[str, Any] = {} if rule["result"] is None else {"result": int(rule["result"])}
        if "authorize_code_1" in TABLES[revision].subs[rule["family"]][rule["answer"]].cls.__dataclass_fields__:
            values.update(authorize_code_1=self.authorize_code(), authorize_code_2=self.authorize_code())
        answer = answer_data(rule["family"], rule["answer"], revision, values, (body.data_type, sn))
        if self.profile.get("authorize_ack_empty") and type(answer) in EMPTY_READING:
            answer = EMPTY_READING[type(answer)]()  # E-SD-21's other reading: an answer without data
        family = TABLES[revision].messages[rule["family"]]
        return self.send_down(link.session, family.cls(body.vehicle_no, body.vehicle_color, None, answer))

    def authorize_code(self) -> str:
        """A time-limited authorisation code for a 0x9702 (JT/T 1078): 32 random hex digits (a secret: reports
        mask it by name)."""
        return f"{self.rng.getrandbits(128):032X}"

    def send_down(self, session: Session, msg: Any) -> bytes:
        """A platform-side (0x9xxx) message to a logged-in operator: on its slave link when that is up, else on
        the main link (JT/T 809-2011 lets the main link carry it when there is no slave link)."""
        slave = session.slave
        link = slave if slave is not None and not slave.closed and session.slave_state == "up" else session.main
        return self.send(link, msg)

    def send_total_recv(self, user_id: int, start: float, end: float) -> bytes | None:
        """0x9101 DOWN_TOTAL_RECV_BACK_MSG: how many positions this operator's frames carried between start and
        end (epoch seconds, arrival time at the platform)."""
        session = self.sessions.get(user_id)
        if session is None or session.main.closed:
            return None
        count = sum(1 for recs in self.positions.values() for r in recs
                    if r["user_id"] == str(user_id) and start <= r["received"] < end)
        session.total_recv_sent = end
        return self.send_down(session, TOTAL_RECV(count, int(start), int(end)))

    # ---- 2019 link management: 0x9102 / 0x1102, 0x9103 ------------------------------------------------------
    def send_manage_req(self, session: Session, start: float, end: float) -> bytes | None:
        """0x9102 DOWN_MANAGE_MSG_REQ: ask the operator for its link and position-transfer figures over
        start..end (epoch seconds); PLATFORM_ID is the account's USERID in digits (the sheet has no other id)."""
        if session.main.closed:
            return None
        msg = TABLES["2019"].messages[0x9102].cls(data_type=0x9102, platform_id=str(session.account.user_id)[:11],
                                                  start_time=int(start), end_time=int(end))
        return self.send_down(session, msg)

    def sn_items(self, session: Session, limit: int = 10) -> list[dict[str, int]]:
        """The latest frames received from this operator on its main link since its login, as 0x9103 lists
        them: SUB_DATA_TYPE (the sub-message's DATA_TYPE, the MSG_ID for a message of its own), MSG_SN, TIME."""
        out = []
        for ex in self.journal.since(session.journal_seq):
            if ex.method != "recv" or ex.link != "main" or ex.outcome != "ok" \
                    or ex.client_id != str(session.account.user_id):
                continue
            sn, path = (ex.headers or {}).get("msg_sn"), ex.path
            body = ex.request_plaintext if isinstance(ex.request_plaintext, dict) else {}
            kind = body.get("data_type") or (int(path, 16) if path.startswith("0x") else None)
            if sn is not None and kind is not None:
                out.append({"sub_data_type": int(kind), "msg_sn": int(sn), "time": int(ex.time)})
        return out[-limit:]

    def send_sn_inform(self, session: Session) -> bytes | None:
        """0x9103 DOWN_MANAGE_MSG_SN_INFORM: the messages this platform received from the operator (sn_items)."""
        if session.main.closed:
            return None
        items = self.sn_items(session)
        msg = TABLES["2019"].messages[0x9103].cls(data_type=0x9103, count=len(items), items=items)
        return self.send_down(session, msg)

    def on_manage_answer(self, link: Link, body: Any, ex: Exchange) -> None:
        """The operator's 0x1102 UP_MANAGE_MSG_RSP: journaled (its figures are the operator's to report)."""
        self.journal.record(ex)

    # ---- the slave link -------------------------------------------------------------------------------
    async def open_slave(self, session: Session) -> None:
        ip, port = session.down_link
        loop = asyncio.get_running_loop()
        try:
            _t, link = await asyncio.wait_for(
                loop.create_connection(lambda: Link(self, "slave"), ip or "127.0.0.1", port),
                float(self.settings["slave_connect_timeout_s"]))
        except (OSError, asyncio.TimeoutError, ValueError) as exc:
            session.slave_state = "refused"
            self.link_event(session.main, "slave_connect_failed", target=f"{ip}:{port}", error=str(exc) or "timeout")
            if not session.main.closed:
                self.send(session.main, DownDisconnectInform(0))  # 0: cannot reach the operator's IP/port
            return
        link.account, link.session = session.account, session
        session.slave = link
        self.send(link, DownConnectReq(session.verify_code))
        try:
            rsp = await link.expect(0x9002, float(self.settings["answer_timeout_s"]))
        except asyncio.TimeoutError:
            session.slave_state = "failed"
            self.link_event(link, "slave_no_answer", waited_s=self.settings["answer_timeout_s"])
            return
        session.slave_state = "up" if getattr(rsp, "result", None) == 0 else "failed"

    def _on_slave(self, link: Link, event: Any, msg_id: int | None, body: Any, ex: Exchange) -> None:
        self.journal.record(ex)
        if isinstance(event, FrameError) or ex.outcome == "encrypted_no_keys":
            return
        if msg_id is not None:
            link.answer(msg_id, body)

    async def slave_linktest(self, user_id: int, timeout: float | None = None) -> bool:
        """Send 0x9005 on the user's slave link now; True when 0x9006 came back."""
        session = self.sessions.get(user_id)
        link = session.slave if session else None
        if link is None or link.closed:
            return False
        self.send(link, DownLinktestReq())
        try:
            await link.expect(0x9006, timeout or float(self.settings["answer_timeout_s"]))
        except asyncio.TimeoutError:
            return False
        return True

    # ---- accessors for suites -------------------------------------------------------------------------
    async def drop_main(self, user_id: int, black_hole: tuple[float, float] | None = None, refusals: int = 0) -> bool:
        """Test hook: cut the user's main link as a network fault would (no 0x1003/0x1004, no 0x9007). The slave
        link stays up, so the operator can report the loss there (0x1007) and log in again. False: no session.
        `black_hole` (linger_s, cap_s): the link first dies silently (Link.black_hole), so what the forwarder writes
        into it is lost unless it resends it; then it closes. `refusals`: the user's next logins that would be
        accepted are answered RESULT 5 (busy: connect again later) this many times, journaled with the note `probe`,
        so the operator's wait before trying again can be judged (shunde.link.backoff, E-SD-24)."""
        session = self.sessions.get(user_id)
        if session is None or session.main.closed:
            return False
        self.refusals[user_id] = max(0, int(refusals))
        if black_hole is not None:
            session.main.black_hole(*black_hole)
        else:
            session.main.close(DROPPED)
        return True

    async def stop_refusing(self, user_id: int) -> int:
        """End what is left of drop_main's `refusals` for the user (its reconnect step is over: a later login, e.g.
        the adapter's next `connect` of a forwarder that never came back, is judged as usual); how many were left."""
        return self.refusals.pop(user_id, 0)

    def signal_hooks(self) -> dict[int, Any]:
        """What a standalone `vconform mock shunde` does on a signal: SIGUSR1 (`kill -USR1 PID`) cuts every
        operator's main link as drop_main does (a network fault; the slave links stay) and refuses each operator's
        next `[suite] cut_refusals` logins RESULT 5, so an engineer can try a forwarder's reconnect and back-off by
        hand, as the flow stage does (the link closes at once: no black hole)."""
        import signal

        refusals = int(specdata.load(SPEC, "platform")["suite"]["cut_refusals"])

        def cut_all() -> None:  # closed at once (no black hole), then the flow's RESULT 5 refusals (E-SD-24)
            for user_id in list(self.sessions):
                self.spawn(self.drop_main(user_id, refusals=refusals))

        return {signal.SIGUSR1: cut_all}

    def link_states(self) -> list[dict[str, Any]]:
        return [link.state() for link in self.links]

    def session_of(self, user_id: int) -> Session | None:
        return self.sessions.get(user_id)

    def internal_error(self, where: str, exc: BaseException, raw: bytes | None = None) -> None:
        """Note an error a peer's input caused; `raw`, the bytes being handled, goes to the journal with it."""
        self.errors.append(f"{where}: {type(exc).__name__}: {exc}")
        self.journal.record(Exchange(spec=SPEC, time=self.clock.now(), method="event", interface="INTERNAL",
                                     request_body=raw.hex().upper() if raw else "", outcome="internal_error",
                                     notes={"where": where, "error": repr(exc)}))


def _msg_id(msg: Any) -> int:
    from harness.jt809.messages import message_type

    return message_type(msg).msg_id


def make_mock(journal: Any = None, profile: str | dict | None = None, clock: Clock | None = None,
              **kw: Any) -> DistrictPlatform:
    """The engine's factory (SpecInfo.make_mock): default account sheet unless `accounts=` is given."""
    return DistrictPlatform(journal=journal, profile=profile, clock=clock, **kw)

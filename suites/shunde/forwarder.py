"""The reference GPS forwarder (an operator's JT/T 809 lower platform): main link, slave-link server, positions.

Asyncio, built on the harness codec. Every wire decision is a small overridable method so the broken
catalog (tests/specs/shunde/broken_forwarders.py) can break exactly one rule per variant.
"""
from __future__ import annotations

import asyncio
import random
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from harness.jt809 import PROFILES, CipherConfig, Frame, FrameDecoder, Header, encode
from harness.jt809.crc import crc16
from harness.jt809.exg import Register
from harness.jt809.messages import (DownConnectRsp, DownDisconnectRsp, DownLinktestRsp, HistoryLocation, Location,
                                    UpConnectReq, UpDisconnectInform, UpDisconnectReq, UpExgMsg, UpLinktestReq)
from suites.shunde import requests

MAX_BATCH = 5  # jt809 notes §Messages: 0x1203 GNSS_CNT 1..5
MAIN_LINK_BROKEN = 0  # 0x1007 ERROR_CODE: the main link is broken


class ForwarderError(Exception):
    """The platform refused or did not answer; the message says which."""


@dataclass
class ForwarderConfig:
    """What the operator was issued (shunde Attachment 2) and agreed out of band (header, cipher, heartbeat)."""

    host: str
    port: int
    user_id: int
    password: str
    access_code: int
    down_link_ip: str = "127.0.0.1"
    down_link_port: int = 0
    header: str = "2011"
    cipher: CipherConfig | None = None
    heartbeat_interval_s: float = 60.0
    answer_timeout_s: float = 10.0
    reconnect_first_s: float = 0.5    # back-off before the first new login after the main link was lost ...
    reconnect_max_s: float = 8.0      # ... doubling up to this
    # Give up (the adapter daemon then ends) when no new login succeeded this long after the loss: a platform that
    # went away for good (the harness ended) must not leave the daemon behind for minutes.
    reconnect_window_s: float = 15.0

    @classmethod
    def from_context(cls, ctx: dict[str, Any]) -> "ForwarderConfig":
        url = str(ctx["base_url"])
        if not url.startswith("tcp://"):
            raise ValueError(f"base_url {url!r} is not tcp://HOST:PORT")
        host, _, port = url[len("tcp://"):].rstrip("/").rpartition(":")
        c = ctx.get("credentials") or {}
        enc = c.get("encrypt")
        cipher = CipherConfig(int(enc["m1"]), int(enc["ia1"]), int(enc["ic1"])) if enc else None
        return cls(host.strip("[]"), int(port), int(c["user_id"]), str(c["password"]), int(c["access_code"]),
                   str(c.get("down_link_ip") or "127.0.0.1"), int(c.get("down_link_port") or 0),
                   str(c.get("header") or "2011"), cipher, float(c.get("heartbeat_interval_s") or 60.0))


def location_from_params(p: dict[str, Any]) -> Location:
    """A 0x1202 block from one `send_positions` position (field names are the standard's, lower case)."""
    return Location(int(p.get("encrypt", 0)), datetime.fromisoformat(p["time"]), float(p["lon"]), float(p["lat"]),
                    int(p.get("vec1", 0)), int(p.get("vec2", 0)), int(p.get("vec3", 0)), int(p.get("direction", 0)),
                    int(p.get("altitude", 0)), int(p.get("state", 0)), int(p.get("alarm", 0)))


class Forwarder:
    """One operator platform: logs in on the main link, serves the slave link, forwards positions."""

    send_heartbeats = True
    serve_slave_link = True
    reconnect = True  # main link lost: inform on the slave link, log in again with back-off, resend the unconfirmed

    def __init__(self, cfg: ForwarderConfig):
        self.cfg = cfg
        self.profile = PROFILES[cfg.header]
        self.sn = 0
        self.rng = random.Random()
        self.verify_code: int | None = None
        self.result: int | None = None
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.slave_server: asyncio.base_events.Server | None = None
        self.slave_port = cfg.down_link_port
        self.slave_frames: list[int] = []
        self.informs: list[Any] = []
        self.main_closed = asyncio.Event()  # lost for good: not reconnecting (or gave up), or closed by us
        self.link_up = asyncio.Event()      # logged in on the main link and done resending
        self.login_answered = asyncio.Event()
        self.logins = 0
        self.registered: set[tuple[str, int]] = set()  # vehicles sent 0x1201 since the last login
        self._registrations: dict[tuple[str, int], Any] = {}  # each vehicle's 0x1201, sent again when resending
        self._closing = False
        self._reconnecting = False
        # Delivery: a 0x1200 is confirmed once the platform answered a 0x1005 sent after it (TCP keeps order,
        # and the platform answers linktests in order). Messages are numbered; `_beats` holds, per 0x1005 in
        # flight on this connection, how many messages had been sent before it.
        self.sent_total = 0
        self.confirmed_total = 0
        self.unconfirmed: deque[tuple[int, Any]] = deque()
        self._beats: deque[int] = deque()
        self._acked = asyncio.Event()
        self._waiting: dict[int, asyncio.Future] = {}
        self._tasks: list[asyncio.Task] = []
        self._slave_handlers: set[asyncio.Task] = set()
        self._slave_writers: set[asyncio.StreamWriter] = set()

    # ---- framing hooks (the broken catalog overrides these) ---------------------------------------------
    def cipher(self) -> CipherConfig | None:
        return self.cfg.cipher

    def header(self) -> Header:
        self.sn = (self.sn + 1) & 0xFFFFFFFF
        h = Header(msg_sn=self.sn, gnss_center_id=self.cfg.access_code, version=(1, 0, 0))
        if self.cipher() is not None:
            h = replace(h, encrypt_flag=1, encrypt_key=self.rng.randrange(1, 2**32))
        if self.profile.has_time:
            h = replace(h, time=int(datetime.now().timestamp()))
        return h

    def frame(self, msg: Any) -> bytes:
        return encode(msg, self.header(), cipher=self.cipher(), profile=self.profile)

    def location(self, position: dict[str, Any]) -> Location:
        return location_from_params(position)

    def registration(self, vehicle: dict[str, Any]) -> Register | None:
        """The 0x1201 for a vehicle: the `register` values given with it, else the reference forwarder's own."""
        given = vehicle.get("register") or {}
        tag = crc16(str(vehicle["vehicle_no"]).encode("gbk"))
        return Register(str(given.get("platform_id", f"{self.cfg.access_code:011d}"[-11:])),
                        str(given.get("producer_id", "VCONFORM")), str(given.get("terminal_model_type", "REF-809")),
                        str(given.get("terminal_id", f"T{tag:06d}"[:7])),
                        str(given.get("terminal_simcode", f"1440000{tag:05d}"[:12])))

    def body_revision(self) -> str:
        """The body revision this forwarder's own messages follow (the reference: its header's, E-SD-17)."""
        return "2011"

    def answer_request(self, msg_id: int, body: Any, sn: int = 0) -> Any:
        """The answer to a platform request of schemas/shunde/requests.toml (None: not one); `sn`: its MSG_SN."""
        rule = requests.rule_for(msg_id, body)
        if rule is None:
            return None
        return requests.answer_message(rule, body, rule.revision or self.body_revision(), sn)

    # ---- the main link ----------------------------------------------------------------------------------
    async def connect(self) -> int:
        """Open the slave-link server, log in; returns 0x1002 RESULT (ForwarderError when there is none)."""
        if self.serve_slave_link:
            self.slave_server = await asyncio.start_server(self._serve_slave, self.cfg.down_link_ip,
                                                           self.cfg.down_link_port)
            self.slave_port = self.slave_server.sockets[0].getsockname()[1]
        result = await self.login()
        if result == 0:
            self.link_up.set()
        if result == 0 and self.send_heartbeats:
            self._tasks.append(asyncio.get_running_loop().create_task(self._heartbeats()))
        return result

    async def login(self) -> int:
        """Open the main link and send 0x1001; 0x1002 RESULT. On RESULT 0 the link is up."""
        try:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection(self.cfg.host, self.cfg.port), self.cfg.answer_timeout_s)
        except (OSError, asyncio.TimeoutError) as exc:
            raise ForwarderError(f"cannot reach the platform at {self.cfg.host}:{self.cfg.port}: {exc}") from None
        self._beats.clear()
        self._tasks.append(asyncio.get_running_loop().create_task(self._read_main(self.reader)))
        rsp = await self.request(UpConnectReq(self.cfg.user_id, self.cfg.password, self.cfg.down_link_ip,
                                              self.slave_port), 0x1002)
        self.result, self.verify_code = rsp.result, rsp.verify_code
        if rsp.result == 0:
            self.logins += 1
            self.registered.clear()
        return rsp.result

    async def request(self, msg: Any, answer_id: int) -> Any:
        fut = asyncio.get_running_loop().create_future()
        self._waiting[answer_id] = fut
        await self.write(self.frame(msg))
        try:
            return await asyncio.wait_for(fut, self.cfg.answer_timeout_s)
        except asyncio.TimeoutError:
            raise ForwarderError(f"no answer 0x{answer_id:04X} within {self.cfg.answer_timeout_s:g} s") from None
        finally:
            self._waiting.pop(answer_id, None)

    async def write(self, raw: bytes) -> None:
        if self.writer is None or self.writer.is_closing():
            raise ForwarderError("the main link is closed")
        self.writer.write(raw)
        await self.writer.drain()

    async def _read_main(self, reader: asyncio.StreamReader) -> None:
        decoder = FrameDecoder(self.profile, self.cfg.cipher)
        try:
            while data := await reader.read(65536):
                decoder.feed(data)
                for ev in decoder.events():
                    if isinstance(ev, Frame):
                        self._on_main(ev)
        except (ConnectionError, OSError):
            pass
        finally:
            self._main_lost(reader)

    def _main_lost(self, reader: asyncio.StreamReader) -> None:
        if reader is not self.reader:  # an earlier connection ending late
            return
        self.link_up.clear()
        self.login_answered.clear()  # a 0x9001 on a new slave link must wait for the new VERIFY_CODE
        for fut in self._waiting.values():
            if not fut.done():
                fut.set_exception(ForwarderError("the platform closed the main link"))
        self._acked.set()  # wake confirm(): it sees the link down and waits for the next one
        if self._reconnecting:  # a new login that failed: _reconnect tries again
            return
        if self._closing or not self.reconnect or self.logins == 0:
            self.main_closed.set()
        else:
            self._reconnecting = True
            self._tasks.append(asyncio.get_running_loop().create_task(self._reconnect()))

    async def _reconnect(self) -> None:
        """jt809 notes §Messages (0x1007): tell the platform on the slave link that the main link broke, then log
        in again with doubling back-off and resend every message not yet confirmed, in order."""
        self.inform_slave(UpDisconnectInform(MAIN_LINK_BROKEN))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.cfg.reconnect_window_s
        delay = self.cfg.reconnect_first_s
        while not self._closing:
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.cfg.reconnect_max_s)
            try:
                if await self.login() == 0:
                    for _n, msg in list(self.unconfirmed):
                        await self._register_again(msg)
                        await self.write(self.frame(msg))
                    self._reconnecting = False
                    self.link_up.set()
                    return
            except (ForwarderError, ConnectionError, OSError):
                pass
            if self.writer is not None:
                self.writer.close()
            if loop.time() >= deadline:
                break
        self._reconnecting = False
        self.main_closed.set()

    async def _register_again(self, msg: Any) -> None:
        """Before resending a vehicle's position on a new login: its 0x1201 again, if not yet on this login (E-SD-23's
        per-login reading; harmless under the per-vehicle default)."""
        key = (getattr(msg, "vehicle_no", None), getattr(msg, "vehicle_color", None))
        if getattr(msg, "data_type", None) == 0x1201:
            self.registered.add(key)
        elif key in self._registrations and key not in self.registered:
            self.registered.add(key)
            await self.write(self.frame(self._registrations[key]))

    def inform_slave(self, msg: Any) -> None:
        """Send one message on every open slave link (best effort: it may be gone too)."""
        for w in list(self._slave_writers):
            if not w.is_closing():
                try:
                    w.write(self.frame(msg))
                except (ConnectionError, OSError):
                    pass

    def _on_main(self, frame: Frame) -> None:
        if frame.header.msg_id == 0x1002 and frame.body is not None:
            # Set here, not after connect() resumes: the platform's 0x9001 may be read before that.
            self.verify_code = frame.body.verify_code
            self.login_answered.set()
        if frame.header.msg_id == 0x1006 and self._beats:
            self._confirmed(self._beats.popleft())
        fut = self._waiting.get(frame.header.msg_id)
        if fut is not None and not fut.done():
            fut.set_result(frame.body)
        elif frame.header.msg_id == 0x9007:
            self.informs.append(frame.body)
        else:
            self._answer_later(frame)

    def _answer_later(self, frame: Frame) -> None:
        """A platform request (on either link) is answered on the main link, kept until confirmed like positions."""
        if frame.body is None or frame.header.msg_id & 0xF000 != 0x9000:
            return
        answer = self.answer_request(frame.header.msg_id, frame.body, frame.header.msg_sn)
        if answer is not None:
            task = asyncio.get_running_loop().create_task(self.send_main(answer))
            self._tasks.append(task)

    async def _heartbeats(self) -> None:
        while not self.main_closed.is_set():
            await asyncio.sleep(self.cfg.heartbeat_interval_s)
            if not self.link_up.is_set():
                continue
            try:
                await self.linktest()
            except (ForwarderError, ConnectionError, OSError):
                continue

    async def linktest(self) -> None:
        """Send 0x1005; its 0x1006 confirms every message sent before it."""
        raw = self.frame(UpLinktestReq())
        self._beats.append(self.sent_total)
        await self.write(raw)

    def _confirmed(self, mark: int) -> None:
        self.confirmed_total = max(self.confirmed_total, mark)
        while self.unconfirmed and self.unconfirmed[0][0] < mark:
            self.unconfirmed.popleft()
        self._acked.set()

    async def send_main(self, msg: Any) -> None:
        """One message for the platform on the main link, kept until confirmed; waits while the link is down."""
        await self._wait_up()
        self.unconfirmed.append((self.sent_total, msg))
        self.sent_total += 1
        try:
            await self.write(self.frame(msg))
        except (ForwarderError, ConnectionError, OSError):
            pass  # kept in `unconfirmed`: the reconnect resends it

    async def confirm(self) -> None:
        """Return once the platform confirmed everything sent so far (resending over a new login if need be)."""
        mark = self.sent_total
        while self.confirmed_total < mark:
            await self._wait_up()
            self._acked.clear()
            try:
                await self.linktest()
                await asyncio.wait_for(self._acked.wait(), self.cfg.answer_timeout_s)
            except (ForwarderError, ConnectionError, OSError):
                continue
            except asyncio.TimeoutError:
                raise ForwarderError(f"no 0x1006 within {self.cfg.answer_timeout_s:g} s") from None

    async def _wait_up(self) -> None:
        if self.link_up.is_set():
            return
        if self.main_closed.is_set():
            raise ForwarderError("the main link is closed")
        up = asyncio.ensure_future(self.link_up.wait())
        gone = asyncio.ensure_future(self.main_closed.wait())
        await asyncio.wait([up, gone], return_when=asyncio.FIRST_COMPLETED)
        up.cancel()
        gone.cancel()
        if not self.link_up.is_set():
            raise ForwarderError("the main link is closed and could not be opened again")

    # ---- positions ------------------------------------------------------------------------------------
    async def send_positions(self, params: dict[str, Any]) -> int:
        """Send every vehicle's positions: 0x1202 one by one, or 0x1203 in time-ordered batches of <= 5."""
        frames = 0
        for v in params.get("vehicles", []):
            plate, color = str(v["vehicle_no"]), int(v["vehicle_color"])
            positions = list(v.get("positions", []))
            reg = self.registration(v) if (plate, color) not in self.registered else None
            if reg is not None:
                self._registrations[(plate, color)] = UpExgMsg(plate, color, 0x1201, reg)
                await self.send_main(self._registrations[(plate, color)])
                self.registered.add((plate, color))
            if v.get("mode", "real") == "history":
                for batch in self.batches(positions):
                    data = HistoryLocation([self.location(p) for p in batch])
                    await self.send_main(UpExgMsg(plate, color, 0x1203, data))
                    frames += 1
            else:
                for p in positions:
                    await self.send_main(UpExgMsg(plate, color, 0x1202, self.location(p)))
                    frames += 1
        await self.confirm()
        return frames

    def batches(self, positions: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        ordered = sorted(positions, key=lambda p: p["time"])
        return [ordered[i:i + MAX_BATCH] for i in range(0, len(ordered), MAX_BATCH)]

    # ---- leaving ------------------------------------------------------------------------------------------
    async def disconnect(self) -> None:
        """0x1003 with USERID and PASSWORD, wait for 0x1004, then close both links."""
        self._closing = True
        try:
            await self.request(UpDisconnectReq(self.cfg.user_id, self.cfg.password), 0x1004)
        finally:
            await self.close()

    async def close(self) -> None:
        self._closing = True
        for t in self._tasks:
            t.cancel()
        if self.writer is not None:
            self.writer.close()
        if self.slave_server is not None:
            self.slave_server.close()
        for w in list(self._slave_writers):
            w.close()
        if self._slave_handlers:  # let the slave handlers see their end of stream and finish on their own
            await asyncio.wait(list(self._slave_handlers), timeout=2)

    # ---- the slave link (the platform connects to us) ----------------------------------------------------
    async def _serve_slave(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        decoder = FrameDecoder(self.profile, self.cfg.cipher)
        task = asyncio.current_task()
        self._slave_handlers.add(task)
        self._slave_writers.add(writer)
        try:
            while data := await reader.read(65536):
                decoder.feed(data)
                for ev in decoder.events():
                    if isinstance(ev, Frame):
                        if ev.header.msg_id == 0x9001:
                            await asyncio.wait_for(self.login_answered.wait(), self.cfg.answer_timeout_s)
                        answer = self.slave_answer(ev)
                        if answer is not None:
                            writer.write(self.frame(answer))
                        self._answer_later(ev)
                await writer.drain()
        except (ConnectionError, OSError, asyncio.TimeoutError):
            pass
        finally:
            writer.close()
            self._slave_writers.discard(writer)
            self._slave_handlers.discard(task)

    def slave_answer(self, frame: Frame) -> Any:
        msg_id = frame.header.msg_id
        self.slave_frames.append(msg_id)
        if msg_id == 0x9001:
            ok = frame.body is not None and frame.body.verify_code == self.verify_code
            return DownConnectRsp(0 if ok else 1)
        if msg_id == 0x9005:
            return DownLinktestRsp()
        if msg_id == 0x9003:
            return DownDisconnectRsp()
        return None

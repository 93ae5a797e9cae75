"""Server role: the harness plays a GPS operator against a district platform (the target, or our mock in-process)."""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace
from typing import Any, Callable

from harness import specdata
from harness.jt809 import PROFILES, Frame, FrameDecoder, FrameError, Header, encode, encode_raw, lint
from harness.jt809.journalview import finding
from harness.jt809.jsonview import event_to_json
from harness.jt809.messages import DownConnectRsp, DownDisconnectRsp, DownLinktestRsp, UpConnectReq, to_2019
from harness.run import HarnessError, RunContext
from harness.session import Recorder
from harness.tcpmock import BackgroundMock
from mocks.shunde.accounts import AccountSheet, SheetError
from mocks.shunde.journal import BatchJournal
from mocks.shunde.platform import cipher_of, make_mock
from suites.shunde.requests import RULES as REQUEST_RULES, answer_message


class FrameLog:
    """Every frame the harness sent or received, as report evidence (thread-safe: the slave link has threads)."""

    def __init__(self):
        self.items: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, direction: str, link: str, raw: bytes, event: Frame | FrameError | None = None,
            note: str = "", data_type: int | None = None) -> dict[str, Any]:
        item: dict[str, Any] = {"kind": "frame", "dir": direction, "link": link, "time": time.time(),
                                "hex": raw.hex().upper()}
        if note:
            item["note"] = note
        if data_type is not None:  # a sent family message's sub-type (the log keeps sent frames as hex only)
            item["data_type"] = data_type
        if event is not None:
            item.update(event_to_json(event))
            findings = [finding(f) for f in lint(event if isinstance(event, Frame) else event.partial)] \
                if (isinstance(event, Frame) or event.partial is not None) else []
            if isinstance(event, FrameError):
                findings.insert(0, {"code": event.reason, "level": "fail", "message": event.message})
            item["findings"] = findings
        with self._lock:
            self.items.append(item)
        return item

    def since(self, n: int) -> list[dict[str, Any]]:
        with self._lock:
            return self.items[n:]

    def __len__(self) -> int:
        return len(self.items)


class Wire:
    """Header and cipher settings shared by every frame the harness sends."""

    def __init__(self, profile: dict[str, Any], center: int):
        self.profile = PROFILES[str(profile.get("header", "2011"))]
        self.cipher = cipher_of(profile)
        self.center = center
        self.sn = 0
        self._lock = threading.Lock()  # the slave listener's thread sends too

    def header(self, center: int | None = None) -> Header:
        with self._lock:
            self.sn += 1
            sn = self.sn
        h = Header(msg_sn=sn, gnss_center_id=self.center if center is None else center)
        if self.cipher is not None:
            h = replace(h, encrypt_flag=1, encrypt_key=(sn * 2654435761) & 0xFFFFFFFF or 1)
        if self.profile.has_time:
            h = replace(h, time=int(time.time()))
        return h

    def frame(self, msg: Any, *, center: int | None = None) -> bytes:
        if self.profile.name == "2019":  # the 2019 bodies under the 2019 header (E-SD-17)
            msg = to_2019(msg, self.center if center is None else center)
        return encode(msg, self.header(center), cipher=self.cipher, profile=self.profile)

    def raw_frame(self, msg_id: int, body: bytes, *, crc: int | None = None, msg_length: int | None = None) -> bytes:
        """A frame around a clear body, with an optional wrong CRC or MSG_LENGTH (malformed-frame tests)."""
        h = replace(self.header(), msg_id=msg_id, msg_length=msg_length)
        return encode_raw(h, body, cipher=self.cipher, profile=self.profile, crc=crc)

    def decoder(self) -> FrameDecoder:
        return FrameDecoder(self.profile, self.cipher)


class OperatorLink:
    """A blocking main link to the platform: send frames, read frames with a timeout, see whether it is open."""

    def __init__(self, host: str, port: int, wire: Wire, log: FrameLog, *, source_ip: str | None = None,
                 timeout: float = 10.0):
        self.wire, self.log, self.timeout = wire, log, timeout
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            if source_ip:
                self.sock.bind((source_ip, 0))
            self.sock.settimeout(timeout)
            self.sock.connect((host, port))
        except OSError:
            self.sock.close()
            raise
        self.decoder = wire.decoder()
        self.closed = False
        self.received: list[Frame | FrameError] = []
        self.on_frame: Callable[[Frame], None] | None = None  # sees every frame read (platform requests)
        self._send_lock = threading.Lock()

    def send(self, msg: Any, *, center: int | None = None) -> None:
        self.send_raw(self.wire.frame(msg, center=center), data_type=getattr(msg, "data_type", None))

    def send_raw(self, raw: bytes, note: str = "", data_type: int | None = None) -> None:
        with self._send_lock:
            self.log.add("sent", "main", raw, None, note, data_type)
            try:
                self.sock.sendall(raw)
            except OSError:
                self.closed = True

    def _pull(self, deadline: float) -> bool:
        """Read once; False on timeout or when the link is closed."""
        if self.closed:
            return False
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return False
        self.decoder.feed(data)
        for ev in self.decoder.events():
            self.received.append(ev)
            self.log.add("received", "main", ev.raw, ev)
            if isinstance(ev, Frame) and self.on_frame is not None:
                self.on_frame(ev)
        return True

    def poll(self, seconds: float) -> None:
        """Read (and log) whatever arrives for this long, or until the link closes."""
        deadline = time.monotonic() + seconds
        while not self.closed and time.monotonic() < deadline:
            self._pull(deadline)

    def expect(self, msg_id: int, timeout: float | None = None) -> Frame | None:
        """The next received frame with this MSG_ID (earlier ones are dropped), or None on timeout or close."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, ev in enumerate(self.received):
                frame = ev if isinstance(ev, Frame) else ev.partial
                if frame is not None and frame.header.msg_id == msg_id:
                    del self.received[:i + 1]
                    return frame
            if self.closed or time.monotonic() >= deadline:
                return None
            self._pull(deadline)

    def is_open(self) -> bool:
        """Whether the platform still holds the link (reads whatever is waiting, without blocking)."""
        self._pull(time.monotonic() + 0.05)
        return not self.closed

    def close(self) -> None:
        self.closed = True
        self.sock.close()


class SlaveListener:
    """The harness's down-link server: accepts the platform's slave link, answers 0x9001/0x9005/0x9003."""

    def __init__(self, host: str, wire: Wire, log: FrameLog):
        self.wire, self.log = wire, log
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.expected_verify: int | None = None
        self.verify_ready = threading.Event()  # set once 0x1002 was read: 0x9001 may arrive before that
        self.connect_reqs: list[int] = []
        self.linktests = 0
        self.on_frame: Callable[[Frame], None] | None = None  # frames this listener does not answer itself
        self.cond = threading.Condition()
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, name="shunde-slave-listener", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        decoder = self.wire.decoder()
        try:
            conn.settimeout(0.5)
        except OSError:             # closed by stop() before this thread ran: nothing to serve
            return
        while not self._stop.is_set():
            try:
                data = conn.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if not data:
                return
            decoder.feed(data)
            for ev in decoder.events():
                self.log.add("received", "slave", ev.raw, ev)
                if isinstance(ev, Frame):
                    self._answer(conn, ev)

    def _answer(self, conn: socket.socket, frame: Frame) -> None:
        msg_id, answer = frame.header.msg_id, None
        if msg_id == 0x9001 and frame.body is not None:
            self.verify_ready.wait(10)
            ok = self.expected_verify is not None and frame.body.verify_code == self.expected_verify
            answer = DownConnectRsp(0 if ok else 1)
            with self.cond:
                self.connect_reqs.append(frame.body.verify_code)
                self.cond.notify_all()
        elif msg_id == 0x9005:
            answer = DownLinktestRsp()
            with self.cond:
                self.linktests += 1
                self.cond.notify_all()
        elif msg_id == 0x9003:
            answer = DownDisconnectRsp()
        elif self.on_frame is not None:
            self.on_frame(frame)
        if answer is not None:
            raw = self.wire.frame(answer)
            self.log.add("sent", "slave", raw)
            try:
                conn.sendall(raw)
            except OSError:
                pass

    def wait_connect_req(self, after: int, timeout: float) -> list[int]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.connect_reqs) > after, timeout)
            return self.connect_reqs[after:]

    def stop(self) -> None:
        self._stop.set()
        self.sock.close()
        for c in self._conns:
            c.close()
        self._thread.join(5)


class OperatorSession(Recorder):
    """Target platform (or our mock), the account to use, the slave listener and the frame log."""

    def __init__(self, vrun: RunContext):
        super().__init__(vrun)
        cfg = vrun.config
        self.suite = dict(specdata.load("shunde", "platform")["suite"])
        self.wait = float(self.suite["answer_wait_s"])
        try:
            self.sheet = AccountSheet.default()
        except SheetError as exc:
            raise HarnessError(str(exc)) from None
        self.account = next(iter(self.sheet))
        self.wrong_ip = str(self.sheet.harness.get("wrong_source_ip", "127.0.0.2"))
        listen_ip = str(self.sheet.harness.get("listen_ip", "127.0.0.1"))
        self.mock, self.bg, self.journal = None, None, None
        if cfg.target:
            self.host, self.port = parse_target(cfg.target)
        else:
            self.journal = BatchJournal(cfg.journal)
            self.mock = make_mock(journal=self.journal, profile=vrun.profile, accounts=self.sheet)
            self.bg = BackgroundMock(self.mock).start()
            self.host, self.port = self.bg.host, self.bg.port
        vrun.sut_info = {"kind": "target" if cfg.target else "reference",
                         "target": cfg.target or f"tcp://{self.host}:{self.port}",
                         "name": cfg.sut_name or ("" if cfg.target else "vconform district platform mock"),
                         "version": cfg.sut_version or ("" if cfg.target else cfg.extra.get("tool_version", ""))}
        vrun.add_secret(self.account.password)
        vrun.add_secret(self.account.password.encode("gbk").hex().upper())
        self.log = FrameLog()
        self.wire = Wire(vrun.profile, self.account.access_code)
        self.slave = SlaveListener(listen_ip, self.wire, self.log)
        self.slave.on_frame = self.platform_frame
        self.manage_answers: list[dict[str, Any]] = []  # the 0x1102 answers sent to the platform's 0x9102
        self.listen_ip = listen_ip
        self.main: OperatorLink | None = None
        self.verify_code: int | None = None
        self.login_failed = False

    def close(self) -> None:
        try:
            if self.main is not None:
                self.main.close()
            self.slave.stop()
        finally:
            if self.bg is not None:
                self.bg.stop()
            if self.journal is not None:
                self.journal.close()

    @property
    def main_link_only(self) -> bool:
        return bool(self.vrun.profile.get("main_link_only"))

    def link(self, source_ip: str | None = None) -> OperatorLink:
        try:
            link = OperatorLink(self.host, self.port, self.wire, self.log, source_ip=source_ip, timeout=self.wait)
            link.on_frame = self.platform_frame
            return link
        except OSError as exc:
            if source_ip:
                raise
            raise HarnessError(f"cannot reach the platform at tcp://{self.host}:{self.port}: {exc}") from None

    def login(self, link: OperatorLink, *, user_id: int | None = None, password: str | None = None,
              center: int | None = None) -> Frame | None:
        """Send 0x1001 (the account's values unless overridden); the 0x1002 that came back, or None."""
        acct = self.account
        link.send(UpConnectReq(acct.user_id if user_id is None else user_id,
                               acct.password if password is None else password, self.listen_ip, self.slave.port),
                  center=center)
        return link.expect(0x1002)

    def platform_frame(self, frame: Frame) -> None:
        """A frame the platform sent on its own (either link): the operator answers a 2019 0x9102 with 0x1102 on
        the main link (schemas/shunde/requests.toml: its figures echo the request's PLATFORM_ID and span) and takes
        a 0x9103 without an answer (the test judges both from the frame log)."""
        rule = REQUEST_RULES.get(frame.header.msg_id)
        if rule is None or rule.family is not None or frame.header.msg_id != 0x9102 \
                or self.wire.profile.name != "2019" or frame.body is None:
            return
        main = self.main
        if main is None or main.closed:
            return
        answer = answer_message(rule, frame.body, "2019", frame.header.msg_sn)
        main.send(answer)
        self.manage_answers.append({"request_sn": frame.header.msg_sn, "time": time.time()})

    def ensure_logged_in(self) -> bool:
        """A logged-in main link for the tests after the login test (one attempt per run)."""
        if self.main is not None and not self.main.closed and self.verify_code is not None:
            return True
        if self.login_failed:
            return False
        self.main = self.link()
        rsp = self.login(self.main)
        if rsp is None or rsp.body is None or rsp.body.result != 0:
            self.login_failed = True
            return False
        self.accept_verify(rsp.body.verify_code)
        return True

    def accept_verify(self, code: int) -> None:
        self.verify_code = code
        self.slave.expected_verify = code
        self.slave.verify_ready.set()


def parse_target(url: str) -> tuple[str, int]:
    if not url.startswith("tcp://"):
        raise HarnessError(f"--target {url!r}: the shunde platform is reached at tcp://HOST:PORT")
    host, _, port = url[6:].rstrip("/").rpartition(":")
    try:
        return host.strip("[]"), int(port)
    except ValueError:
        raise HarnessError(f"--target {url!r}: no port") from None

"""The server role over HTTP: the harness plays a client of the platform under test and keeps every exchange.

`Uploader` knows no spec. It owns the target (a `--target` URL, or the spec's own mock started on loopback),
sends raw POSTs and keeps each one as an `HttpReply` (report evidence), moves the platform's clock and seeds it
through the admin hook when the target offers one, and records checks, Hypothesis explorations and skips.
A spec's server session subclasses it with what is the spec's own: identities, envelopes, paths, pulls."""
from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Iterable
from urllib.parse import urlsplit

from harness.checks import CheckResult, Problem, fail
from harness.explore import Outcome
from harness.journal import Journal
from harness.run import HarnessError, RunContext
from harness.serve import BackgroundServer
from harness.session import Recorder

ADMIN = "/__vconform"  # the admin hook's path under the target's root: /state, /clock, /seed
REQUEST_DEADLINE = 60.0        # seconds one request may take, connect to last byte of the answer, however it drips
RESPONSE_CAP = 16 * 1024 * 1024  # bytes of an answer read; a longer answer is cut there and is a transport error
KEEP_REPLIES = 1000            # exchanges kept for the suites (older ones dropped: bounded memory)
KEEP_FULL = 50                 # the newest exchanges keep their whole answer; older ones at most KEEP_BYTES of it
KEEP_BYTES = 64 * 1024


@dataclass
class HttpReply:
    """One request the harness sent and what came back, as evidence for the report."""

    interface: str
    path: str
    headers: dict[str, str]
    plaintext: Any = None      # the request's business data before any encoding
    request_body: str = ""     # the bytes sent, as text (cut for very large bodies)
    status: int | None = None  # HTTP status; None when no answer came
    body: Any = None           # the answer parsed as JSON; None when it is not JSON
    raw: bytes = b""
    error: str = ""            # why no answer came (transport error); "" when one did
    data: Any = None           # the answer's business data once a spec decoded it (e.g. decrypted)
    data_error: str = ""       # why it could not be decoded
    note: str = ""
    duration_ms: float = 0.0
    seq: int = 0

    @property
    def accepted(self) -> bool:
        """The platform took the request (a spec with a business code in its answers narrows this)."""
        return self.status is not None and 200 <= self.status < 300 and not self.error

    @property
    def outcome(self) -> str:
        return "ok" if self.accepted else (self.error and "transport_error") or f"HTTP {self.status}"

    def describe(self) -> str:
        if self.error and self.status is not None:  # an answer began but broke off (too large, too slow, cut)
            return f"HTTP {self.status}, unusable: {self.error}"
        if self.error:
            return f"no answer ({self.error})"
        # the answer as text a reader can take in: JSON re-read with its \u escapes resolved, else the bytes decoded
        shown = json.dumps(self.body, ensure_ascii=False) if self.body is not None else \
            self.raw.decode("utf-8", "backslashreplace")
        return f"HTTP {self.status}: {shown[:120]}"

    def evidence(self) -> dict[str, Any]:
        body = self.body if self.body is not None else self.raw[:600].decode("utf-8", "replace")
        return {"kind": "exchange", "seq": self.seq, "method": "POST", "path": self.path, "status": self.status,
                "outcome": self.outcome, "duration_ms": round(self.duration_ms, 1), "note": self.note,
                "headers": self.headers, "request_plaintext": trim(self.plaintext),
                "request_body": trim(self.request_body), "response_body": trim(body),
                "response_plaintext": trim(self.data)}


def trim(obj: Any, text: int = 300, items: int = 5) -> Any:
    """A report-sized copy: long strings (images, ciphertext) and long lists (pages of 100) cut."""
    if isinstance(obj, str):
        return obj if len(obj) <= text else obj[:text] + f"…({len(obj)} chars)"
    if isinstance(obj, list):
        head = [trim(x, text, items) for x in obj[:items]]
        return head + ([f"…({len(obj) - items} more)"] if len(obj) > items else [])
    if isinstance(obj, dict):
        return {k: trim(v, text, items) for k, v in obj.items()}
    return obj


class Uploader(Recorder):
    """Owns the target (the embedded mock by default) and every exchange the harness made with it.

    `prefix` is the path the spec's interface paths are appended to; `embedded(journal, profile)` makes the
    spec's mock (an object with an ASGI/WSGI `.app`) when no `--target` is given."""

    reply_type: ClassVar[type[HttpReply]] = HttpReply
    setup_doc: ClassVar[str] = ""  # the page that tells a foreign test deployment how to offer the admin hook
    timeout: ClassVar[float] = REQUEST_DEADLINE  # per request, not per socket operation
    response_cap: ClassVar[int] = RESPONSE_CAP

    def __init__(self, vrun: RunContext, *, prefix: str, embedded: Callable[[Journal, dict], Any]):
        super().__init__(vrun)
        cfg = vrun.config
        self.profile, self.seed, self.prefix = vrun.profile, int(cfg.seed), prefix
        self.server = self.mock = self.journal = None
        self.foreign = bool(cfg.target)
        if cfg.target:
            self.base = normalise_target(cfg.target, prefix)
        else:
            self.journal = Journal(cfg.journal)
            self.mock = embedded(self.journal, self.profile)
            self.server = BackgroundServer(self.mock.app).start()
            self.base = self.server.url + prefix
        self.root = self.base[: -len(prefix)] if prefix and self.base.endswith(prefix) else origin(self.base)
        self._reachable()
        self.hook = self._probe_hook()
        self.replies: list[HttpReply] = []  # the newest KEEP_REPLIES exchanges, oldest first
        self.sent = 0  # exchanges made (the seq of the last one)
        self.clock = 0.0  # seconds the harness moved the platform's clock through the admin hook

    def close(self) -> None:
        if self.server:
            self.server.stop()
        if self.journal:
            self.journal.close()

    # ---- the target ---------------------------------------------------------------------------------
    def _reachable(self) -> None:
        u = urlsplit(self.base)
        try:
            socket.create_connection((u.hostname, u.port or (443 if u.scheme == "https" else 80)), timeout=10).close()
        except OSError as exc:
            raise HarnessError(f"cannot reach the target {self.base}: {exc}") from None

    def _probe_hook(self) -> bool:
        """The admin hook (/__vconform/state) of the project's mock, or of a foreign test deployment offering it."""
        status, body, _raw, err = self._http(self.root + ADMIN + "/state", b"{}", {})
        return not err and status == 200 and isinstance(body, dict) and body.get("ok") is True

    def admin(self, op: str, args: dict | None = None) -> dict | None:
        """Call the admin hook; None when the target has none. A refused admin call is a harness error."""
        if not self.hook:
            return None
        status, body, raw, err = self._http(self.root + f"{ADMIN}/{op}", json.dumps(args or {}).encode(), {})
        if err or not isinstance(body, dict) or not body.get("ok"):
            raise HarnessError(f"admin hook {op} failed: {err or raw[:200]!r}")
        return body.get("state") or {}

    def advance(self, seconds: float) -> bool:
        """Move the platform's clock (no waiting); False when the target has no admin hook."""
        if self.admin("clock", {"advance": seconds}) is None:
            return False
        self.clock += seconds
        return True

    def state(self) -> dict | None:
        return self.admin("state")

    def describe_target(self) -> dict[str, Any]:
        return {"kind": "target" if self.foreign else "embedded mock", "url": self.base, "admin_hook": self.hook}

    # ---- HTTP -----------------------------------------------------------------------------------------
    def _http(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, Any, bytes, str]:
        """One POST: (status, body parsed as JSON or None, raw body, transport error or "").

        The whole request, connect to last byte, ends within `timeout` s (and by the run's deadline): a watchdog
        shuts the socket at that moment, so a target dripping a byte at a time cannot hold it longer. At most
        `response_cap` bytes of the answer are read; a longer answer is cut there and reported as an error."""
        self.vrun.check_deadline()
        limit = max(0.001, min(self.timeout, self.vrun.remaining()))
        u = urlsplit(url)
        conn_cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
        kw = {"context": ssl.create_default_context()} if u.scheme == "https" else {}
        conn = conn_cls(u.hostname, u.port, timeout=limit, **kw)
        path = (u.path or "/") + (f"?{u.query}" if u.query else "")
        hdrs = {"Content-Type": "application/json; charset=utf-8", **headers}
        status, raw, err = None, b"", ""
        expired = threading.Event()

        def cut() -> None:
            expired.set()
            sock = conn.sock
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        watchdog = threading.Timer(limit, cut)
        watchdog.daemon = True
        watchdog.start()
        try:
            try:
                conn.request("POST", path, body=body, headers=hdrs)
            except (BrokenPipeError, ConnectionResetError) as exc:
                err = f"{type(exc).__name__} while sending"  # a refusal may still be waiting to be read
            resp = conn.getresponse()
            status, err = resp.status, ""
            raw, over = _read_capped(resp, self.response_cap)
            if over:
                err = f"answer larger than {self.response_cap} bytes; cut there and not read further"
            elif expired.is_set():
                err = f"answer not complete within the request deadline of {limit:g} s"
        except (OSError, http.client.HTTPException) as exc:
            # The socket's own timeout equals the deadline, so it may fire a moment before the watchdog does:
            # either way the request ran out of its time.
            late = expired.is_set() or isinstance(exc, TimeoutError)
            err = (f"no complete answer within the request deadline of {limit:g} s" if late
                   else err or f"{type(exc).__name__}: {exc}")
        finally:
            watchdog.cancel()
            conn.close()
        try:
            parsed = json.loads(raw) if raw and not err else None
        except (ValueError, RecursionError):
            parsed = None
        return status, parsed, raw, err

    def post(self, path: str, body: bytes, headers: dict[str, str], *, interface: str, plaintext: Any = None,
             note: str = "", url: str | None = None) -> HttpReply:
        """Send one raw POST and keep the exchange; `path` is appended to the target's base URL."""
        t0 = time.perf_counter()
        status, parsed, raw, err = self._http(url or self.base + path, body, headers)
        shown = body[:4000].decode("utf-8", "replace") if len(body) < 1_000_000 else f"<{len(body)} bytes>"
        self.sent += 1
        reply = self.reply_type(interface, urlsplit(url).path if url else path, dict(headers), plaintext, shown,
                                status, parsed, raw, err, note=note, duration_ms=(time.perf_counter() - t0) * 1000,
                                seq=self.sent)
        self._keep(reply)
        for k, v in headers.items():
            if k.lower() == "authorization" and v.startswith("Bearer "):
                self.vrun.add_secret(v[7:].strip())
        return reply

    def _keep(self, reply: HttpReply) -> None:
        """Keep the newest KEEP_REPLIES exchanges; past the newest KEEP_FULL, a large answer shrinks to its head."""
        self.replies.append(reply)
        if len(self.replies) > KEEP_REPLIES:
            del self.replies[: len(self.replies) - KEEP_REPLIES]
        if len(self.replies) > KEEP_FULL:
            old = self.replies[-KEEP_FULL - 1]
            if len(old.raw) > KEEP_BYTES:
                old.raw = old.raw[:KEEP_BYTES]
                old.body = old.data = None
                old.note = (old.note + "; " if old.note else "") + f"answer cut to {KEEP_BYTES} bytes after use"

    # ---- recording -------------------------------------------------------------------------------------
    def record_outcome(self, check_id: str, outcome: Outcome, *, interface: str, stage: str, first: Iterable = (),
                       extra: Iterable[Problem] = (), passed: str = "") -> CheckResult:
        """A Hypothesis exploration as one check: how many examples held, or the shrunk falsifying example."""
        if outcome.failure is None:
            return self.record(check_id, list(extra), interface=interface, stage=stage, evidence=list(first)[:1],
                               pass_message=passed or f"{outcome.examples} generated examples held")
        replay = self.reproduce(interface if interface in self.vrun.spec.interfaces else None)
        message = f"{outcome.failure}; seed {self.seed}; replay: {replay}"
        if outcome.falsifying:
            message += f"; {outcome.falsifying[:1500]}"
        note = {"kind": "note", "text": "Hypothesis falsifying example", "falsifying": outcome.falsifying,
                "seed": self.seed, "reproduce": replay}
        return self.record(check_id, [fail(message)] + list(extra), interface=interface, stage=stage,
                           evidence=list(getattr(outcome.failure, "replies", []))[-3:] + [note])

    def no_hook_reason(self, what: str) -> str:
        where = f"; see {self.setup_doc} for the setup a test deployment needs" if self.setup_doc else ""
        return (f"{what} needs the admin hook ({self.root}{ADMIN}/seed, /clock, /state), which the target does not "
                f"offer{where}")

    def reproduce(self, only: str | None = None) -> str:
        line = self.vrun.reproduce_line()
        return line + (f" --only {only}" if only and f"--only {only}" not in line else "")


def _read_capped(resp: http.client.HTTPResponse, cap: int) -> tuple[bytes, bool]:
    """At most `cap` bytes of the answer, and whether it was longer (then the rest is left unread)."""
    buf = bytearray()
    while True:
        chunk = resp.read1(65536) if hasattr(resp, "read1") else resp.read(65536)
        if not chunk:
            return bytes(buf), False
        buf += chunk
        if len(buf) > cap:
            return bytes(buf[:cap]), True


def normalise_target(url: str, prefix: str) -> str:
    """The base the spec's paths are appended to; a bare http(s)://host:port gets the spec's prefix."""
    u = urlsplit(url.strip())
    if u.scheme not in ("http", "https") or not u.hostname:
        raise HarnessError(f"--target {url!r}: an http(s) URL is required, e.g. http://HOST:PORT{prefix}")
    base = url.strip().rstrip("/")
    return base + prefix if u.path in ("", "/") else base


def origin(url: str) -> str:
    u = urlsplit(url)
    return f"{u.scheme}://{u.netloc}"

"""Reliability run against both mock platforms, each in its own process as `vconform mock` runs it (issue 9).

Full size (prints the figures; about 10-20 minutes on a 2-core machine):

    python -m tests.reliability.fuzz_mocks --inputs 100000

CI runs the same code at a reduced size (tests/reliability/test_reliability.py). For each mock it sends malformed
inputs over loopback and prints: inputs sent, crashes (the mock process died), plain-text answers and plain-text
500s, unanswered inputs (that should have had an answer), inputs that reached the mock's code vs those found in
its journal (lost), internal errors the mock journaled, and the mock's peak and final RSS.

Yunnan (HTTP): bad methods, paths, queries and header bytes, broken encodings, oversize, truncated and slow
bodies, trickled headers, silent connections, and malformed JSON / envelopes on every interface path.
Shunde (JT/T 809 TCP): good and bad frames (CRC, MSG_LENGTH, escaping, truncation, unknown ids, encrypted without
keys, random bodies), frames split over many writes, garbage between frames and endless streams.
Also `kill9`: each mock is killed with SIGKILL under load; every exchange a client got an answer for must be in
the journal afterwards. Every loop is bounded; everything runs on 127.0.0.1.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harness import specdata  # noqa: E402
from harness.jt809 import FrameDecoder, Header, encode  # noqa: E402
from harness.jt809.frame import CipherConfig, encode_raw  # noqa: E402
from harness.jt809.messages import Location, UpConnectReq, UpExgMsg, UpLinktestReq, encode_body  # noqa: E402
from mocks.shunde.accounts import AccountSheet  # noqa: E402

# Short limits so slow inputs cost little; the same options a user passes to `vconform mock`.
# The cap is tried on its own (idle_flood); here it stays out of the way of a client that outruns the mock.
LIMITS = ["--header-timeout", "2", "--body-timeout", "2", "--idle-timeout", "5", "--max-connections", "4096"]


# ---- the mock process -----------------------------------------------------------------------------------------
class MockProcess:
    """`vconform mock SPEC` in a child process, journaling to `journal`; its port, RSS and fate."""

    def __init__(self, spec: str, journal: Path, *extra: str):
        self.journal = journal
        self.stderr = open(journal.with_suffix(".stderr"), "w")
        cmd = [sys.executable, "-m", "harness.cli", "mock", spec, "--port", "0", "--journal", str(journal), *extra]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            self.proc.kill()
            raise RuntimeError(f"mock did not start: {line!r}; see {self.stderr.name}")
        self.port = int(line.strip().rsplit(":", 1)[1])

    def _status(self, key: str) -> int:
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def rss_kb(self) -> int:
        return self._status("VmRSS")

    def peak_kb(self) -> int:
        return self._status("VmHWM")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> int | None:
        """SIGTERM, wait; the exit code (None if it had to be killed)."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        self.stderr.close()
        return self.proc.returncode

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.stderr.close()


def journal_rows(path: Path, where: str = "1") -> list[dict[str, Any]]:
    db = sqlite3.connect(str(path))
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute(f"SELECT seq, method, path, link, headers, outcome FROM exchanges WHERE {where}")]
    finally:
        db.close()


@dataclass
class Figures:
    mock: str
    inputs: int = 0
    crashes: int = 0
    json_answers: int = 0
    plain_answers: int = 0
    plain_500: int = 0
    unanswered: int = 0
    reached: int = 0
    journaled: int = 0
    lost: int = 0
    internal_errors: int = 0
    peak_rss_mb: float = 0.0
    rss_mb: list[float] = field(default_factory=list)  # sampled while the run goes on
    kinds: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        rss = " -> ".join(f"{r:.0f}" for r in self.rss_mb)
        return (f"{self.mock}: inputs sent {self.inputs}, crashes {self.crashes}, plain-text answers "
                f"{self.plain_answers} (500s: {self.plain_500}), unanswered {self.unanswered}, reached "
                f"{self.reached} / journaled {self.journaled} (lost {self.lost}), internal errors "
                f"{self.internal_errors}, peak RSS {self.peak_rss_mb:.0f} MB (RSS MB {rss})")

    def ok(self) -> bool:
        return not (self.crashes or self.plain_answers or self.unanswered or self.lost)


# ---- Yunnan: HTTP inputs --------------------------------------------------------------------------------------
@dataclass
class HttpInput:
    kind: str
    chunks: list[bytes]
    pause: float = 0.0          # between chunks
    half_close: bool = False    # shut the write side after the last chunk
    answer: bool = True         # an answer is due (False: a silent connection, closed without one)
    fid: int | None = None      # its X-Fuzz-Id header, looked up in the journal (well-formed HTTP only)


def _junk(rng: random.Random, n: int, *, no_crlf: bool = True) -> bytes:
    b = bytes(rng.randrange(256) for _ in range(n))
    return b.replace(b"\r", b"").replace(b"\n", b"") if no_crlf else b


def _bodies(rng: random.Random) -> bytes:
    k = rng.randrange(12)
    if k == 0:
        return _junk(rng, rng.randrange(1, 300), no_crlf=False)
    if k == 1:
        return b'{"signature": "' + _junk(rng, 20).replace(b'"', b"") + b'"'  # cut-off JSON
    if k == 2:
        return json.dumps(rng.choice([[], 1, "x", None, True, [{"a": 1}]])).encode()
    if k == 3:
        return json.dumps({"signature": "AAAA", "encryptedAesKey": "AAAA==="}).encode()  # a key missing
    if k == 4:
        return json.dumps({"signature": 1, "encryptedAesKey": [], "encryptedContent": {}}).encode()
    if k == 5:
        return json.dumps({"signature": "@@@", "encryptedAesKey": "%%%=", "encryptedContent": "V="}).encode()
    if k == 6:
        depth = rng.choice([50, 1000, 100000])
        return b"[" * depth + b"]" * depth
    if k == 7:
        return json.dumps({"signature": "A" * rng.randrange(0, 5000), "encryptedAesKey": "QUFB" * 64,
                           "encryptedContent": "QUFB" * rng.randrange(1, 2000)}).encode()
    if k == 8:
        return b'{"a": "\xff\xfe", "b": 1e999999, "c": -0}'
    if k == 9:
        return json.dumps({"x": "\ud800"}, ensure_ascii=True).encode()  # a lone surrogate, escaped
    if k == 10:
        return b'{"' + b"k" * 100 + b'": ' + b"9" * 5000 + b"}"
    return b""


def yunnan_inputs(rng: random.Random, n: int, *, big: int = 16 * 1024 * 1024 + 1) -> Iterator[HttpInput]:
    """`n` inputs, made as they are sent (a million of them would not fit in memory at once)."""
    ep = specdata.endpoints("yunnan")
    paths = [f"{ep['prefix']}/{name}" for name in ep["interfaces"]]
    for i in range(n):
        path = rng.choice(paths).encode()
        fid = i + 1
        hdr = b"Host: 127.0.0.1\r\nX-Fuzz-Id: %d\r\n" % fid
        body = _bodies(rng)
        method = b"POST"
        extra = b""
        kind = rng.choices(["body", "method", "path", "query", "header_value", "parser", "encoding", "truncated",
                            "oversize", "slow_body", "trickle", "silent"],
                           [40, 8, 10, 5, 10, 10, 8, 5, 0.02, 0.3, 0.3, 0.3])[0]
        inp = HttpInput(kind, [], fid=fid)
        if kind == "method":
            method = rng.choice([b"GET", b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"BREW", b"TRACE"])
        elif kind == "path":
            path = rng.choice([b"/", b"/%ff%fe", b"/../../etc/passwd", b"/" + b"a" * rng.randrange(1, 4000),
                               path + b"/", path + b"%00", b"/access/api/" + _junk(rng, 8).hex().encode(),
                               b"//" + path])
        elif kind == "query":
            path += b"?" + rng.choice([b"a=%ff", b"a=" + b"b" * 3000, b"&&&==", b"x=%zz"])
        elif kind == "header_value":
            extra = b"X-A: " + _junk(rng, rng.randrange(1, 200)) + b"\r\nX-Client-Id: " + _junk(rng, 10) + b"\r\n"
        elif kind == "parser":  # refused by the HTTP parser before any handler runs
            inp.fid = None
            hdr = b"Host: 127.0.0.1\r\n"
            choice = rng.randrange(7)
            if choice == 0:
                method = b"P\xffST"
            elif choice == 1:
                path = path + b"\xff"
            elif choice == 2:
                extra = b"X-\xff" + _junk(rng, 3).replace(b":", b"") + b": 1\r\n"
            elif choice == 3:
                extra = b"X-Big: " + b"a" * 9000 + b"\r\n"
            elif choice == 4:
                extra = b"".join(b"X-%d: 1\r\n" % j for j in range(200))
            elif choice == 5:
                inp.chunks = [_junk(rng, rng.randrange(1, 200)) + b"\r\n\r\n"]
            else:
                extra = b"Content-Length: 5\r\nContent-Length: 6\r\n"
        elif kind == "encoding":
            choice = rng.randrange(4)
            if choice == 0:
                extra = b"Content-Encoding: gzip\r\n"
            elif choice == 1:
                inp.fid = None  # a broken chunked body may be refused by the parser
                inp.chunks = [method + b" " + path + b" HTTP/1.1\r\n" + hdr + b"Transfer-Encoding: chunked\r\n"
                              b"Connection: close\r\n\r\nzz\r\n" + body[:10] + b"\r\n0\r\n\r\n"]
            elif choice == 2:
                extra = b"Content-Type: application/json; charset=gbk\r\n"
            else:
                extra = b"Content-Encoding: br, deflate\r\n"
        if not inp.chunks:
            head = method + b" " + path + b" HTTP/1.1\r\n" + hdr + extra
            if kind == "truncated":
                inp.chunks = [head + b"Content-Length: %d\r\n\r\n" % (len(body) + 100) + body]
                inp.half_close = True
            elif kind == "slow_body":
                inp.chunks = [head + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % (len(body) + 100) + body]
            elif kind == "oversize":
                inp.chunks = [head + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % big] + [b"x" * (1 << 20)] * (big >> 20) + [b"x"]
            elif kind == "trickle":
                inp.fid = None
                inp.chunks = [head[:12]] + [b"X-Slow: 1\r\n"] * 20
                inp.pause = 0.2
            elif kind == "silent":
                inp.fid, inp.chunks, inp.answer = None, [], False
            else:
                inp.chunks = [head + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body]
        if kind != "body":
            inp.fid = None  # only well-formed HTTP is matched by id; the parser may refuse the rest (journaled too)
        yield inp


async def _http_one(port: int, inp: HttpInput, timeout: float) -> bytes | None:
    """Send one input; the bytes answered (b"" when closed without an answer; None: not closed in time).

    Answer bytes are taken as they arrive: a mock that answers and closes while the client is still sending
    (a refused request line, say) makes the client's kernel see a reset, which would drop unread bytes."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return b""
    got = bytearray()

    async def drain_answer() -> None:
        while True:
            try:
                chunk = await reader.read(65536)
            except (ConnectionError, OSError):
                return
            if not chunk:
                return
            got.extend(chunk)

    read = asyncio.ensure_future(drain_answer())
    try:
        for chunk in inp.chunks:
            if read.done() or got:
                break
            try:
                writer.write(chunk)
                await writer.drain()
            except (ConnectionError, OSError):
                break
            if inp.pause:
                await asyncio.wait([read], timeout=inp.pause)
        if inp.half_close and not read.done():
            try:
                writer.write_eof()
            except (OSError, RuntimeError):
                pass
        try:
            await asyncio.wait_for(read, timeout)
        except asyncio.TimeoutError:
            return None
        return bytes(got)
    finally:
        read.cancel()
        writer.close()


def _classify(raw: bytes) -> tuple[str, int]:
    if not raw:
        return "none", 0
    head = raw.split(b"\r\n\r\n", 1)[0].lower()
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return "plain", 0
    return ("json" if b"application/json" in head else "plain"), status


async def _run_http(port: int, inputs: Iterator[HttpInput], n: int, concurrency: int, timeout: float, fig: Figures,
                    answered_ids: set[int], sample: Any = None) -> None:
    """`concurrency` clients at once, each taking the next input when its last one is done."""
    done = 0

    async def worker() -> None:
        for inp in inputs:  # one shared iterator: each input is taken by one worker
            await one(inp)

    async def one(inp: HttpInput) -> None:
        nonlocal done
        raw = await _http_one(port, inp, timeout)
        done += 1
        if sample and done % max(1, n // 10) == 0:
            sample()
        fig.kinds[inp.kind] = fig.kinds.get(inp.kind, 0) + 1
        if raw is None:
            fig.unanswered += 1
            fig.notes.append(f"{inp.kind}: connection not closed within {timeout} s")
            return
        what, status = _classify(raw)
        if what == "json":
            fig.json_answers += 1
            if inp.fid is not None:
                answered_ids.add(inp.fid)
        elif what == "plain":
            fig.plain_answers += 1
            fig.plain_500 += status == 500
            if len(fig.notes) < 20:
                fig.notes.append(f"{inp.kind}: plain answer {raw[:120]!r}")
        elif inp.answer:
            # Every input that is due an answer gets one: a truncated body's client shut only its write side and
            # still reads; an oversize one is answered when the limit is passed, while it is still sending.
            fig.unanswered += 1
            if len(fig.notes) < 20:
                fig.notes.append(f"{inp.kind}: no answer")

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def fuzz_yunnan(n: int, workdir: Path, seed: int = 1, concurrency: int = 1000) -> Figures:
    """`concurrency` clients at once: far above the 128 connections aiohttp's default listen backlog held, the
    burst under which inputs used to go unanswered (the kernel dropped handshakes the mock never saw)."""
    fig = Figures("yunnan", inputs=n)
    journal = workdir / "yunnan.sqlite"
    mock = MockProcess("yunnan", journal, *LIMITS)
    inputs = yunnan_inputs(random.Random(seed), n)
    answered: set[int] = set()

    def sample() -> None:
        fig.rss_mb.append(mock.rss_kb() / 1024)

    sample()
    try:
        # One event loop per 2,000 inputs: a client loop that ran for hundreds of thousands of connections
        # was seen to stop getting answers while the mock still answered fresh clients.
        for k in range(0, n, 2000):
            m = min(2000, n - k)
            asyncio.run(_run_http(mock.port, itertools.islice(inputs, m), m, concurrency, 15.0, fig, answered))
            if (k // 2000) % max(1, n // 2000 // 10) == 0:
                sample()
        fig.crashes = 0 if mock.alive() else 1
        fig.peak_rss_mb = mock.peak_kb() / 1024
        sample()
    finally:
        code = mock.stop()
    if code not in (0,):
        fig.crashes = max(fig.crashes, 1)
        fig.notes.append(f"mock exit code {code}")
    rows = journal_rows(journal)
    ids = set()
    for r in rows:
        try:
            h = json.loads(r["headers"] or "{}")
        except ValueError:
            continue
        v = h.get("X-Fuzz-Id")
        if v and str(v).isdigit():
            ids.add(int(v))
    fig.internal_errors = sum(r["outcome"] == "internal_error" for r in rows)
    # Reached the mock's code: every input answered in JSON (each answer is journaled first), plus truncated and
    # oversize inputs that carried an id and got no answer back but are in the journal.
    fig.reached = fig.json_answers
    fig.journaled = len(rows)
    fig.lost = len(answered - ids) + max(0, fig.json_answers - len(rows))
    return fig


# ---- Shunde: JT/T 809 inputs ----------------------------------------------------------------------------------
ACCOUNT = next(iter(AccountSheet.default()))  # the sheet `vconform mock shunde` serves
CIPHER = CipherConfig(30000000, 20000000, 20000000)


def _hdr(sn: int, **kw: Any) -> Header:
    return Header(msg_sn=sn, gnss_center_id=ACCOUNT.access_code, **kw)


def _position(rng: random.Random) -> UpExgMsg:
    loc = Location(time_fields=(rng.randrange(1, 29), rng.randrange(1, 13), 2026, rng.randrange(24), 0, 0),
                   lon_deg=113 + rng.random(), lat_deg=22 + rng.random(), vec1=rng.randrange(120))
    return UpExgMsg(f"粤X{rng.randrange(10000, 99999)}", 2, 0x1202, loc)


def shunde_inputs(rng: random.Random, n: int) -> Iterator[tuple[str, list[bytes], int]]:
    """(kind, writes, events at least expected in the journal), made as they are sent."""
    for i in range(n):
        sn = 1000 + i
        kind = rng.choices(["good", "crc", "length", "escape", "truncated", "unknown_id", "encrypted", "random_body",
                            "split", "garbage", "endless", "body"], [20, 10, 10, 10, 8, 8, 8, 10, 8, 6, 0.2, 6])[0]
        good = encode(_position(rng), _hdr(sn))
        if kind == "good":
            w = [good]
        elif kind == "crc":
            _i, body = encode_body(_position(rng))
            w = [encode_raw(_hdr(sn, msg_id=0x1200), body, crc=rng.randrange(65536) ^ 1)]
            if w[0] == good:
                kind, w = "good", [good]
        elif kind == "length":
            _i, body = encode_body(_position(rng))
            w = [encode_raw(_hdr(sn, msg_id=0x1200, msg_length=rng.randrange(0, 2**32) | 1), body)]
        elif kind == "escape":
            w = [good[:-4] + b"\x5a\x07" + good[-4:]]
        elif kind == "truncated":
            w = [good[: rng.randrange(2, 20)] + b"\x5d"]
        elif kind == "unknown_id":
            w = [encode_raw(_hdr(sn, msg_id=rng.choice([0x1300, 0x7777, 0xFFFF])), _junk(rng, rng.randrange(0, 60)).replace(b"\x5b", b"").replace(b"\x5d", b""))]
        elif kind == "encrypted":
            w = [encode(_position(rng), _hdr(sn, encrypt_flag=1, encrypt_key=rng.randrange(2**32)), cipher=CIPHER)]
        elif kind == "random_body":
            junk = _junk(rng, rng.randrange(0, 80), no_crlf=False).replace(b"\x5b", b"").replace(b"\x5d", b"")
            w = [encode_raw(_hdr(sn, msg_id=0x1200), junk)]
        elif kind == "body":
            w = [encode_raw(_hdr(sn, msg_id=rng.choice([0x1001, 0x1003, 0x1200])), b"\x00" * rng.randrange(0, 10))]
        elif kind == "split":
            cuts = sorted(rng.sample(range(1, len(good)), min(len(good) - 1, rng.randrange(1, 8))))
            w = [good[a:b] for a, b in zip([0] + cuts, cuts + [len(good)])]
        elif kind == "garbage":
            w = [_junk(rng, rng.randrange(1, 200), no_crlf=False).replace(b"\x5b", b"").replace(b"\x5d", b"") + good]
        else:  # endless: a start flag and more than max_frame bytes without an end flag, then an end flag
            w = [b"\x5b"] + [b"\x01" * 8192] * 10 + [b"\x5d"]
        yield kind, w, 1 + (kind == "garbage")


async def _read_until(reader: asyncio.StreamReader, dec: FrameDecoder, msg_id: int, timeout: float) -> Any:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        for ev in dec.events():
            if getattr(ev, "header", None) is not None and ev.header.msg_id == msg_id:
                return ev
        left = end - loop.time()
        if left <= 0:
            return None
        try:
            data = await asyncio.wait_for(reader.read(65536), left)
        except asyncio.TimeoutError:
            return None
        if not data:
            return None
        dec.feed(data)


async def _shunde_login(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, FrameDecoder]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    dec = FrameDecoder()
    writer.write(encode(UpConnectReq(ACCOUNT.user_id, ACCOUNT.password, "127.0.0.1", 1), _hdr(1)))
    rsp = await _read_until(reader, dec, 0x1002, 10)
    if rsp is None or rsp.body.result != 0:
        raise RuntimeError(f"login refused: {rsp}")
    return reader, writer, dec


async def _run_shunde(port: int, inputs: Iterator, n: int, fig: Figures, sample: Any, batch: int = 100) -> int:
    """Send the inputs in batches, each closed by a 0x1005 whose 0x1006 proves the batch was handled."""
    reader, writer, dec = await _shunde_login(port)
    expected = 1  # the login
    sn = 10_000_000
    for k in range(0, n, batch):
        for kind, writes, events in itertools.islice(inputs, batch):
            fig.kinds[kind] = fig.kinds.get(kind, 0) + 1
            for w in writes:
                writer.write(w)
            expected += events
        await writer.drain()
        # An end flag first: a truncated input at the batch's end is finished before the heartbeat.
        sn += 1
        writer.write(b"\x5d" + encode(UpLinktestReq(), _hdr(sn)))
        expected += 1
        if await _read_until(reader, dec, 0x1006, 30) is None:
            fig.unanswered += 1
            fig.notes.append(f"no 0x1006 after batch {k // batch}")
            writer.close()
            reader, writer, dec = await _shunde_login(port)
            expected += 1
        if sample and (k // batch) % max(1, n // batch // 10) == 0:
            sample()
    writer.close()
    return expected


def fuzz_shunde(n: int, workdir: Path, seed: int = 1) -> Figures:
    fig = Figures("shunde", inputs=n)
    journal = workdir / "shunde.sqlite"
    mock = MockProcess("shunde", journal, "--profile", "main-link-only")
    inputs = shunde_inputs(random.Random(seed), n)

    def sample() -> None:
        fig.rss_mb.append(mock.rss_kb() / 1024)

    sample()
    try:
        expected = asyncio.run(_run_shunde(mock.port, inputs, n, fig, sample))
        fig.crashes = 0 if mock.alive() else 1
        fig.peak_rss_mb = mock.peak_kb() / 1024
        sample()
    finally:
        code = mock.stop()
    if code != 0:
        fig.crashes = max(fig.crashes, 1)
        fig.notes.append(f"mock exit code {code}")
    rows = journal_rows(journal, "method = 'recv' AND link = 'main'")
    fig.internal_errors = len(journal_rows(journal, "outcome = 'internal_error'"))
    fig.reached, fig.journaled = expected, len(rows)
    fig.lost = max(0, expected - len(rows))
    return fig


# ---- kill -9 under load ---------------------------------------------------------------------------------------
def kill9_yunnan(workdir: Path, seconds: float = 2.0, concurrency: int = 16) -> Figures:
    """Malformed bodies on real paths from many clients; SIGKILL mid-load; every answered id must be journaled."""
    fig = Figures("yunnan kill -9")
    journal = workdir / "yunnan-kill.sqlite"
    mock = MockProcess("yunnan", journal, *LIMITS)
    rng = random.Random(7)
    answered: set[int] = set()
    prefix = specdata.endpoints("yunnan")["prefix"]

    async def client(c: int) -> None:
        i = 0
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds * 3
        while loop.time() < end:
            i += 1
            fid = c * 1_000_000 + i
            body = _bodies(rng)
            req = (b"POST " + prefix.encode() + b"/vehicleInfo HTTP/1.1\r\nHost: x\r\nX-Fuzz-Id: %d\r\n"
                   b"Content-Length: %d\r\nConnection: close\r\n\r\n" % (fid, len(body)) + body)
            fig.inputs += 1
            raw = await _http_one(mock.port, HttpInput("kill", [req], fid=fid), 5)
            if raw and _classify(raw)[0] == "json":
                answered.add(fid)
            elif not raw and not mock.alive():
                return

    async def main() -> None:
        tasks = [asyncio.ensure_future(client(c)) for c in range(concurrency)]
        await asyncio.sleep(seconds)
        mock.kill9()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())
    ids = set()
    for r in journal_rows(journal):
        v = json.loads(r["headers"] or "{}").get("X-Fuzz-Id")
        if v and str(v).isdigit():
            ids.add(int(v))
    fig.json_answers, fig.reached, fig.journaled = len(answered), len(answered), len(ids)
    fig.lost = len(answered - ids)
    return fig


def kill9_shunde(workdir: Path, seconds: float = 2.0) -> Figures:
    """Heartbeats in flight on a logged-in link; SIGKILL mid-load; every 0x1005 answered must be journaled."""
    fig = Figures("shunde kill -9")
    journal = workdir / "shunde-kill.sqlite"
    mock = MockProcess("shunde", journal, "--profile", "main-link-only")
    acked: list[int] = []

    async def main() -> None:
        reader, writer, dec = await _shunde_login(mock.port)
        loop = asyncio.get_running_loop()
        killer = loop.call_later(seconds, mock.kill9)
        sn = 100
        try:
            while mock.alive():
                window = list(range(sn, sn + 10))
                sn += 10
                for s in window:
                    writer.write(encode(UpLinktestReq(), _hdr(s)))
                    fig.inputs += 1
                for s in window:  # answers come in order on one link
                    if await _read_until(reader, dec, 0x1006, 5) is None:
                        return
                    acked.append(s)
        except (ConnectionError, OSError):
            return
        finally:
            killer.cancel()
            writer.close()

    asyncio.run(main())
    if mock.alive():
        mock.kill9()
    sns = set()
    for r in journal_rows(journal, "method = 'recv' AND path = '0x1005'"):
        sns.add(json.loads(r["headers"])["msg_sn"])
    fig.json_answers = fig.reached = len(acked)
    fig.journaled = len(sns)
    fig.lost = len(set(acked) - sns)
    return fig


# ---- idle connections against the connection cap ---------------------------------------------------------------
def idle_flood(workdir: Path, idle: int = 1100, cap: int = 1000, header_timeout: float = 5.0) -> Figures:
    """`idle` silent connections: a real client still gets a clear answer at once (503 "busy" while it is over
    the cap: those over the cap are closed after a second), and a normal one once the silent ones are closed
    after the header timeout."""
    import socket

    fig = Figures(f"yunnan {idle} idle connections")
    journal = workdir / "yunnan-idle.sqlite"
    mock = MockProcess("yunnan", journal, "--max-connections", str(cap), "--header-timeout", str(header_timeout))
    prefix = specdata.endpoints("yunnan")["prefix"]
    req = HttpInput("real", [b"POST " + prefix.encode() + b"/getToken HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                             b"Connection: close\r\n\r\n{}"])
    socks = []
    try:
        for _ in range(idle):
            socks.append(socket.create_connection(("127.0.0.1", mock.port), timeout=10))
        time.sleep(0.3)
        t0 = time.monotonic()
        first = asyncio.run(_http_one(mock.port, req, 10))
        fig.notes.append(f"while {idle} idle: {_classify(first or b'')} after {time.monotonic() - t0:.2f} s")
        time.sleep(header_timeout + 1.5)
        second = asyncio.run(_http_one(mock.port, req, 10))
        fig.notes.append(f"after the header timeout: {_classify(second or b'')}")
        fig.inputs = 2
        for raw, busy_ok in ((first, True), (second, False)):
            what, status = _classify(raw or b"")
            if what != "json":
                fig.unanswered += 1
            elif status == 503 and not busy_ok:
                fig.unanswered += 1  # still locked out after the idle ones went
            else:
                fig.json_answers += 1
        fig.crashes = 0 if mock.alive() else 1
    finally:
        for s in socks:
            s.close()
        mock.stop()
    fig.journaled = len(journal_rows(journal))
    return fig


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inputs", type=int, default=100_000, help="malformed inputs per mock (default 100000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", choices=("yunnan", "shunde", "kill9", "idle"), action="append")
    args = ap.parse_args(argv)
    only = set(args.only or ("yunnan", "shunde", "kill9", "idle"))
    results = []
    with tempfile.TemporaryDirectory(prefix="vconform-reliability-") as tmp:
        work = Path(tmp)
        t0 = time.monotonic()
        if "yunnan" in only:
            results.append(fuzz_yunnan(args.inputs, work, args.seed))
            print(results[-1].line(), flush=True)
        if "shunde" in only:
            results.append(fuzz_shunde(args.inputs, work, args.seed))
            print(results[-1].line(), flush=True)
        if "kill9" in only:
            for f in (kill9_yunnan(work), kill9_shunde(work)):
                results.append(f)
                print(f"{f.mock}: sent {f.inputs}, answered {f.json_answers}, of those journaled "
                      f"{f.json_answers - f.lost} (lost {f.lost})", flush=True)
        if "idle" in only:
            results.append(idle_flood(work))
            f = results[-1]
            print(f"{f.mock}: " + "; ".join(f.notes) + f"; crashes {f.crashes}", flush=True)
            f.notes = [] if f.ok() else f.notes
        print(f"took {time.monotonic() - t0:.0f} s")
    for f in results:
        for note in f.notes[:10]:
            print(f"  {f.mock}: {note}")
    return 0 if all(f.ok() for f in results) else 1


if __name__ == "__main__":
    sys.exit(main())

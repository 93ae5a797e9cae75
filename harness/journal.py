"""Exchange journal: every request a mock receives, and its answer, written to SQLite before the answer goes out."""
from __future__ import annotations

import asyncio
import importlib
import json
import os
import re
import sqlite3
import tempfile
import threading
import time
import weakref
from collections import deque
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Iterator

import orjson

SCHEMA = """
CREATE TABLE IF NOT EXISTS exchanges (
  seq INTEGER PRIMARY KEY,
  spec TEXT, time REAL, link TEXT, peer TEXT, client_id TEXT,
  method TEXT, path TEXT, interface TEXT,
  headers TEXT, request_body TEXT, request_plaintext TEXT,
  status INTEGER, response_body TEXT, response_plaintext TEXT,
  duration_ms REAL, outcome TEXT, notes TEXT, view TEXT
)
"""
# `view`: NULL for a row written whole. Otherwise the row holds the raw bytes a peer sent (request_body, a BLOB)
# and the scalar columns, and its JSON views (headers, request_plaintext, notes) are derived from those bytes
# when the row is read, by the view builder registered under the name before the colon (see `register_view`).


@dataclass
class Exchange:
    """One request/answer pair as the mock saw it (raw and decrypted), with timing and what it concluded."""

    spec: str
    time: float
    method: str = ""
    path: str = ""
    interface: str = ""
    link: str = "http"
    peer: str = ""
    client_id: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    request_body: str = ""
    request_plaintext: Any = None
    status: int = 0
    response_body: Any = None
    response_plaintext: Any = None
    duration_ms: float = 0.0
    outcome: str = ""  # "ok" or a rejection reason code
    notes: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    # Not fields (no annotation: asdict, evidence and reports never see them). What the HTTP pipeline hands the
    # journal so that a row holds bytes it already has instead of encodings of their parsed forms: the request's
    # raw bytes with the text `request_body` was decoded from them (set by the pipeline), and the answer's bytes as
    # sent with the body they encode (set by the pipeline as it answers). The journal uses each only while the
    # field still holds that very object (identity: a handler that replaced it gets its value journaled).
    raw_body = None      # (bytes, the str request_body was set to)
    wire_answer = None   # (response_body object, its encoding as sent)

    def evidence(self, limit: int = 4096) -> dict[str, Any]:
        """This exchange as a report evidence item (long raw bodies cut; redaction happens in the report)."""
        d = asdict(self)
        d["kind"] = "exchange"
        if isinstance(d["request_body"], str) and len(d["request_body"]) > limit:
            d["request_body"] = d["request_body"][:limit] + f"…({len(self.request_body)} chars)"
        return d


class Journal:
    """Append-only SQLite journal, thread-safe. Everything is on disk; memory holds a bounded window only.

    `path=None` journals to a private temporary file (mode 0600, removed when the journal is garbage collected
    or the process exits), so a long-running mock's memory stays bounded either way. A journal file is created
    mode 0600, and an existing one is made so: journals hold decrypted bodies, secrets and tokens.

    Unbatched (the default), `record()` writes its row at once. Batched, rows wait for `flush()` (or
    `max_pending`): the JT/T 809 mock flushes before every answer and commits the frames nobody answers in
    batches. Write-behind (`write_behind()`, the HTTP mocks): rows are committed once per event-loop turn and
    the answer waits for `settled()`, so journal-before-answer holds at one transaction per turn, not per
    request. `add_raw()` journals bytes plus scalar columns, with JSON views built when read.

    The last `window` exchanges (at most `window_bytes` of raw request bodies) stay in memory as the very
    objects recorded; `since(seq)` reaching further back reads them from the file (JSON columns decoded).
    `keep=False` keeps no window.
    """

    def __init__(self, path: str | Path | None = None, *, keep: bool = True, batch: bool = False,
                 max_pending: int = 2000, window: int = 1000, window_bytes: int = 16 * 1024 * 1024):
        self.temporary = not path
        self.path = private_file(path, "vconform-journal-", self)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        # WAL + NORMAL: each commit is durable against a process crash without an fsync per request. SQLite
        # creates the -wal and -shm files with the database file's mode.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(SCHEMA)
        if "view" not in {r[1] for r in self._db.execute("PRAGMA table_info(exchanges)")}:
            self._db.execute("ALTER TABLE exchanges ADD COLUMN view TEXT")  # a journal of an earlier version
        self._lock = threading.Lock()
        self.batch, self._max = batch, max_pending
        self._window_n = window if keep else 0
        self._window_bytes = window_bytes
        self._window: deque[Exchange] = deque()
        self._held = 0  # bytes of request bodies in the window
        self._pending: list[tuple] = []  # whole rows waiting for the next flush
        self._raw: list[tuple] = []  # raw rows (add_raw) waiting for it
        self._packed: list[tuple] = []  # packed compact rows (_compact) waiting for it
        self._behind = False
        self._turn: asyncio.AbstractEventLoop | None = None  # the loop whose turn ends in a commit (write-behind)
        self._turn_future: asyncio.Future | None = None  # resolved by that commit, made when a coroutine waits
        self._waiters: list[Callable[[BaseException | None], None]] = []  # callbacks released by that commit
        self._closed = False
        self._checkpointer: _Checkpointer | None = None
        self._seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM exchanges").fetchone()[0]
        self._timing: _Timing | None = None  # bench-only (write_behind, VCONFORM_JOURNAL_WAITS): waits for commits

    # Rows of record() as bytes (see _compact; view "http:<flags>"). False writes every column encoded as text, as
    # journals before it did: what tests compare the compact rows' views against.
    compact = True

    def record(self, ex: Exchange) -> Exchange:
        with self._lock:
            self._seq += 1
            ex.seq = self._seq
            if self._window_n:
                self._hold(ex)
            if not self.batch:
                if not self._closed:
                    row = _compact(ex) if self.compact else _row(ex)
                    sql = _INSERT if len(row) == _WHOLE else _INSERT_PACKED
                    try:
                        self._db.execute(sql, row)
                    except UnicodeEncodeError:
                        self._db.execute(sql, _storable(row))
                return ex
            row = _compact(ex) if self.compact else _row(ex)
            if self._timing is not None:
                self._timing.recorded.append(time.perf_counter())
            (self._pending if len(row) == _WHOLE else self._packed).append(row)
            full = len(self._pending) + len(self._packed) >= self._max
        if full:
            self.flush()
        elif self._behind:
            self._schedule()
        return ex

    # ---- write-behind: one commit per event-loop turn, answers released after it --------------------------
    def write_behind(self) -> None:
        """Batch rows and commit them once per event-loop turn: every exchange recorded during a turn is written
        in one transaction at its end. A caller that answers awaits `settled()` before the answer leaves; a
        record() made off the loop (no running loop in that thread) commits at once. WAL checkpoints (which
        fsync, stalling every answer waiting behind them) move to a thread of their own."""
        self.batch = self._behind = True
        self._timing = _Timing.from_env()
        # No memory window: a reader (since(), tail()) reads the file, after committing what is pending. Keeping a
        # thousand request objects alive cost the request path ~5-10 us each, and even the last 64 cost ~3 us of a
        # ~70 us plain-JSON request (in-process, bench/http_path_cpu.py): objects that outlive their request are promoted
        # by the garbage collector and walked again, where an exchange freed with its answer never is.
        self._window_n = min(self._window_n, BEHIND_WINDOW)
        while len(self._window) > self._window_n:
            self._held -= _size(self._window.popleft())
        if self._checkpointer is None and not self._closed:
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            self._checkpointer = _Checkpointer(self.path)
            self._checkpointer.start()
            weakref.finalize(self, self._checkpointer.stop.set)

    def _schedule(self) -> None:
        if self._turn is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._turn = loop
        loop.call_soon(self._end_turn)

    def _end_turn(self) -> None:
        """The end of a loop turn: commit, then release what waits for it (answers written right here, in the order
        they were recorded; a coroutine's future resolved)."""
        self._turn = None
        waiters, self._waiters = self._waiters, []
        fut, self._turn_future = self._turn_future, None
        err: BaseException | None = None
        timing = self._timing
        if timing is not None:
            q0, t0 = timing.queued(), time.perf_counter()
        try:
            self.flush()
        except Exception as exc:  # noqa: BLE001 - handed to whoever waits for this commit
            err = exc
        if timing is not None:
            timing.committed(t0, q0)
        if fut is not None and not fut.done():
            if err is None:
                fut.set_result(None)
            else:
                fut.set_exception(err)
                fut.exception()  # retrieved here too: nobody may be waiting
        for callback in waiters:
            try:
                callback(err)
            except Exception:  # noqa: BLE001 - one caller's failure never keeps the others' answers back
                import logging

                logging.getLogger(__name__).exception("journal: a callback waiting for a commit failed")

    async def settled(self) -> None:
        """Return once every row recorded so far is committed (at once when none waits)."""
        loop = self._turn
        if loop is not None:
            fut = self._turn_future
            if fut is None:
                fut = self._turn_future = loop.create_future()
            await asyncio.shield(fut)
        elif self.pending:
            self.flush()

    def when_settled(self, callback: Callable[[BaseException | None], None]) -> None:
        """settled() as a callback, for a caller that is no coroutine: `callback(None)` once every row recorded so
        far is committed (at once when none waits), `callback(exc)` when that commit failed. Callbacks waiting for
        the same commit run right after it, in the order they were given (no future, no scheduling per caller)."""
        if self._turn is None:
            try:
                if self.pending:
                    self.flush()
            except Exception as exc:  # noqa: BLE001 - handed to the caller, who must not answer
                callback(exc)
                return
            callback(None)
            return
        self._waiters.append(callback)

    def add_raw(self, spec: str, time: float, method: str, path: str, interface: str, link: str, peer: str,
                client_id: str, raw: bytes, outcome: str, view: str) -> int:
        """Journal a received message as its raw bytes and scalar columns only; its JSON views are built from
        `raw` by the view builder `view` names when the row is read (the hot path of a stream of messages
        nobody answers: no exchange object, no JSON encoding). Returns the row's seq. Such a row is not kept
        in the memory window (the window empties: `since()` reads the rows from disk)."""
        with self._lock:
            self._seq += 1
            row = (self._seq, spec, time, link, peer, client_id, method, path, interface, raw, outcome, view)
            if self._window:
                self._window.clear()
                self._held = 0
            if not self.batch:
                if not self._closed:
                    try:
                        self._db.execute(_INSERT_RAW, row)
                    except UnicodeEncodeError:
                        self._db.execute(_INSERT_RAW, _storable(row))
                return self._seq
            self._raw.append(row)
            full = self.pending >= self._max
        if full:
            self.flush()
        return row[0]

    def _hold(self, ex: Exchange) -> None:
        w = self._window
        w.append(ex)
        self._held += _size(ex)
        while len(w) > self._window_n or (self._held > self._window_bytes and len(w) > 1):
            self._held -= _size(w.popleft())

    def flush(self) -> None:
        """Write every buffered row in one transaction (a no-op when unbatched)."""
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        if not (self._pending or self._raw or self._packed) or self._closed:
            return
        rows, self._pending = self._pending, []
        raw, self._raw = self._raw, []
        packed, self._packed = self._packed, []
        self._db.execute("BEGIN")
        try:
            # Whole, packed and raw rows of one batch go in seq order per kind; since() reads ORDER BY seq.
            if packed:
                self._db.executemany(_INSERT_PACKED, packed)
            if rows:
                self._db.executemany(_INSERT, rows)
            if raw:
                self._db.executemany(_INSERT_RAW, raw)
        except UnicodeEncodeError:
            self._db.execute("ROLLBACK")
            self._db.execute("BEGIN")
            self._db.executemany(_INSERT_PACKED, [_storable(r) for r in packed])
            self._db.executemany(_INSERT, [_storable(r) for r in rows])
            self._db.executemany(_INSERT_RAW, [_storable(r) for r in raw])
        finally:
            self._db.execute("COMMIT")

    @property
    def pending(self) -> int:
        return len(self._pending) + len(self._raw) + len(self._packed)

    def since(self, seq: int) -> list[Exchange]:
        """Every exchange after `seq`, in order: from the window when it reaches back that far, else from disk."""
        with self._lock:
            w = self._window
            if (w and w[0].seq <= seq + 1) or seq >= self._seq:
                # Entries are in seq order: search from the end, the common case is "the last few".
                i = len(w)
                while i and w[i - 1].seq > seq:
                    i -= 1
                return [w[j] for j in range(i, len(w))]
            self._flush()
            upto = w[0].seq if w else self._seq + 1
            older = [_exchange(r) for r in self._query("SELECT * FROM exchanges WHERE seq > ? AND seq < ? ORDER BY seq",
                                                       (seq, upto))]
            return older + list(w)

    def tail(self, n: int) -> list[Exchange]:
        """The last `n` exchanges, oldest first: from the memory window when it holds them (the window always ends
        at the newest record), else one read of the file backwards from its end (seq is the rowid: `ORDER BY seq
        DESC LIMIT n` reads n rows, never the whole journal). For a live view polling a running mock."""
        if n <= 0:
            return []
        with self._lock:
            w = self._window
            if w and (len(w) >= n or w[0].seq == 1):
                return [w[j] for j in range(max(0, len(w) - n), len(w))]
            self._flush()
            rows = self._query("SELECT * FROM exchanges ORDER BY seq DESC LIMIT ?", (n,))
        return [_exchange(r) for r in reversed(rows)]

    def of(self, *interfaces: str) -> list[Exchange]:
        """Every exchange of these interfaces, in order, read from disk: a check over one interface's history
        loads that history only, not the whole journal."""
        with self._lock:
            self._flush()
            marks = ",".join("?" * len(interfaces))
            return [_exchange(r) for r in self._query(
                f"SELECT * FROM exchanges WHERE interface IN ({marks}) ORDER BY seq", tuple(interfaces))]

    @property
    def entries(self) -> list[Exchange]:
        """Every exchange of this journal (read from disk beyond the window)."""
        return self.since(0)

    @property
    def last_seq(self) -> int:
        return self._seq

    def _query(self, sql: str, args: tuple) -> list[sqlite3.Row]:
        if not self._closed:
            cur = self._db.execute(sql, args)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r)) for r in cur]
        db = sqlite3.connect(self.path)
        try:
            cur = db.execute(sql, args)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r)) for r in cur]
        finally:
            db.close()

    def close(self) -> None:
        with self._lock:
            self._flush()
            if not self._closed:
                self._closed = True
                if self._checkpointer is not None:
                    self._checkpointer.stop.set()
                    self._checkpointer.join(timeout=10)  # its connection closed: ours is the last, the file final
                    self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                self._db.close()

    @staticmethod
    def read(path: str | Path) -> list[dict[str, Any]]:
        """Read a journal file back as dicts (JSON columns decoded)."""
        return list(Journal.iter_read(path))

    @staticmethod
    def iter_read(path: str | Path, where: str = "", params: tuple = ()) -> Iterator[dict[str, Any]]:
        """read() one row at a time (a day's journal does not fit in memory); `where`: an SQL condition."""
        db = sqlite3.connect(str(path))
        db.row_factory = sqlite3.Row
        try:
            for row in db.execute(f"SELECT * FROM exchanges {'WHERE ' + where if where else ''} ORDER BY seq",
                                  params):
                yield _columns(dict(row))
        finally:
            db.close()


_JSON_COLUMNS = ("headers", "request_plaintext", "response_body", "response_plaintext", "notes")
_FIELDS = {f.name for f in fields(Exchange)}


def _columns(d: dict[str, Any]) -> dict[str, Any]:
    """A row's JSON columns decoded, or for a raw row (`view` set) built from its bytes."""
    view = d.get("view")
    if view:
        name, _, flags = view.partition(":")
        if name == HTTP_VIEW:
            return _http_columns(d, flags)
        raw = d["request_body"]
        if not isinstance(raw, bytes):
            raw = bytes.fromhex(raw or "")
        d["request_body"] = raw.hex().upper()
        d.update(_view(view)(raw, view.partition(":")[2]))
        return d
    for k in _JSON_COLUMNS:
        d[k] = _load(d[k])
    return d


# View builders: name -> build(raw bytes, argument after the colon) -> {column: value} for the JSON columns.
_VIEWS: dict[str, Callable[[bytes, str], dict[str, Any]]] = {}
# Builders the engine knows by name: module and function, imported when a row of that view is first read.
_VIEW_MODULES = {"jt809": ("harness.jt809.journalview", "frame_view")}


def register_view(name: str, build: Callable[[bytes, str], dict[str, Any]]) -> None:
    """Register the builder of raw rows whose `view` is `name` or `name:argument`."""
    _VIEWS[name] = build


def _view(view: str) -> Callable[[bytes, str], dict[str, Any]]:
    name = view.partition(":")[0]
    if name not in _VIEWS and name in _VIEW_MODULES:
        module, function = _VIEW_MODULES[name]
        _VIEWS[name] = getattr(importlib.import_module(module), function)
    try:
        return _VIEWS[name]
    except KeyError:
        raise ValueError(f"journal row with view {view!r}: no builder registered for {name!r}") from None


def _exchange(row: dict[str, Any]) -> Exchange:
    d = {k: v for k, v in _columns(dict(row)).items() if k in _FIELDS}
    for k in ("headers", "notes"):
        if d[k] is None:
            d[k] = {}
    for k in ("method", "path", "interface", "link", "peer", "client_id", "request_body", "outcome", "spec"):
        if d[k] is None:
            d[k] = ""
    return Exchange(**d)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _storable(row: tuple) -> tuple:
    """The row with lone surrogates (undecodable bytes a peer sent, e.g. in a header) written as `\\uDCxx`:
    SQLite stores UTF-8 only. Inside the JSON columns that is the JSON escape, so they read back unchanged."""
    return tuple(_SURROGATE.sub(_escape, v) if isinstance(v, str) else v for v in row)


def _escape(m: re.Match) -> str:
    return "\\u%04x" % ord(m.group())


def _size(ex: Exchange) -> int:
    b = ex.request_body
    return (len(b) if isinstance(b, (str, bytes, bytearray)) else 0) + 512


class _Timing:
    """Bench-only: with VCONFORM_JOURNAL_WAITS=FILE, a write-behind journal counts, per answer, the time from its
    record() to the end of the commit that releases it ("waits"); per commit its wall time ("commits"), and that time
    less what the committing thread spent waiting for a CPU meanwhile ("own": Linux schedstat; what the commit itself
    cost in CPU and I/O, whatever else runs on the machine). Histograms (see `bucket`); FILE gets them as JSON,
    rewritten at most once a second (a bench stops the mock with a signal). Off (None) otherwise."""

    SIZE = 2000

    def __init__(self, path: str):
        self.path, self.recorded, self._next = path, [], 0.0
        self.hist = {k: [0] * self.SIZE for k in ("waits", "commits", "own")}

    @classmethod
    def from_env(cls) -> "_Timing | None":
        path = os.environ.get("VCONFORM_JOURNAL_WAITS")
        return cls(path) if path else None

    @staticmethod
    def bucket(seconds: float) -> int:
        """10 us buckets below 10 ms, 1 ms buckets from there to 1 s (the last one holds everything longer)."""
        us = int(seconds * 1e6)
        return max(0, us // 10) if us < 10_000 else min(990 + us // 1000, _Timing.SIZE - 1)

    @staticmethod
    def seconds(bucket: int) -> float:
        """The upper bound of a bucket."""
        return (bucket + 1) * 1e-5 if bucket < 1000 else (bucket - 989) * 1e-3

    @staticmethod
    def queued() -> float:
        """Seconds the calling thread has waited for a CPU (0 where schedstat is absent)."""
        try:
            with open("/proc/thread-self/schedstat") as f:
                return int(f.read().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            return 0.0

    def committed(self, t0: float, q0: float) -> None:
        t = time.perf_counter()
        h, b = self.hist, self.bucket
        h["commits"][b(t - t0)] += 1
        h["own"][b(t - t0 - (self.queued() - q0))] += 1
        waits = h["waits"]
        for r in self.recorded:
            waits[b(t - r)] += 1
        self.recorded.clear()
        if t >= self._next:
            self._next = t + 1.0
            Path(self.path).write_text(json.dumps(self.hist))


class _Checkpointer(threading.Thread):
    """Copies a write-behind journal's WAL into its database file every `interval` seconds, on its own connection
    and thread (SQLite releases the GIL meanwhile): the fsync of a checkpoint no longer runs on the event loop,
    between a commit and the answers waiting for it. A commit is as durable as before (WAL, synchronous=NORMAL:
    a killed process loses nothing committed); a checkpoint only moves committed pages."""

    # Every 50 ms: a checkpoint copies what was appended since the last one, on the mock's own core under load, so a
    # long interval means a long burst that holds the event loop's thread off the CPU. At 0.25 s that burst was the
    # plain-JSON bench's p99 (3.4-4.2 ms; 2.3-2.4 ms at 20-50 ms, the journal-off mock's 1.7 ms), for ~3 % of
    # requests per CPU-second (more, smaller fsyncs).
    INTERVAL = 0.05

    def __init__(self, path: str, interval: float = INTERVAL):
        super().__init__(name="vconform-journal-checkpoint", daemon=True)
        self.path, self.interval, self.stop = path, interval, threading.Event()

    def run(self) -> None:
        try:
            db = sqlite3.connect(self.path, isolation_level=None, timeout=5)
        except sqlite3.Error:
            return
        try:
            while not self.stop.wait(self.interval):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:
                    pass  # (the file went away, or is busy: the next turn tries again)
        finally:
            db.close()


def private_file(path: str | Path | None, prefix: str, owner: object) -> str:
    """A SQLite file only its owner may read (0600: created so, or an existing one made so); without a path a
    temporary file, removed (with its -wal, -shm, -journal files) when `owner` is garbage collected or at exit."""
    if path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(path, 0o600)
        return str(path)
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".sqlite")
    os.close(fd)
    weakref.finalize(owner, _remove, name)
    return name


def _remove(name: str) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(name + suffix)
        except OSError:
            pass


_INSERT = "INSERT INTO exchanges VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
_WHOLE = 19  # parameters of a whole row (_INSERT); a packed compact row has fewer (_INSERT_PACKED)
_INSERT_PACKED = ("INSERT INTO exchanges (seq, spec, time, link, method, path, interface, headers, request_body, status, "
                  "response_body, outcome, notes, view) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
_INSERT_RAW = ("INSERT INTO exchanges (seq, spec, time, link, peer, client_id, method, path, interface, request_body, "
               "outcome, view, status, duration_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0,0.0)")
# orjson for every row; the standard encoder (one for every row: json.dumps with options builds a new encoder per
# call) for what orjson refuses: lone surrogates (undecodable bytes a peer sent) and integers beyond 64 bits.
# Datetimes and dataclasses go through str() as the standard encoder's default does.
_JSON = json.JSONEncoder(ensure_ascii=False, default=str).encode
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _ENCODE(v: Any) -> str:
    try:
        return orjson.dumps(v, default=str, option=_ORJSON_OPTIONS).decode()
    except TypeError:
        return _JSON(v)
# Encodings of one-key dicts holding an empty list or dict: a stream of good messages repeats such notes (e.g.
# no findings) thousands of times a second, so each is encoded once. Bounded in number and key length, as a
# request's own plaintext passes here too.
_EMPTY: dict[tuple, str] = {}
_EMPTY_MAX = 256


BEHIND_WINDOW = 0  # exchanges a write-behind journal keeps in memory (see write_behind)
HTTP_VIEW = "http"  # view of rows record() wrote compact; its argument lists what is derived (see _compact)


def _compact(ex: Exchange) -> tuple:
    """The row of an exchange with no second copy of what the row already holds, and no text decoding: JSON columns
    are orjson's UTF-8 bytes as they come (BLOBs; read back by the same json.loads). Where the pipeline handed over
    the request's raw bytes (`ex.raw_body`), they are the row's request_body; a request plaintext whose encoding is
    those very bytes (a plain-JSON body, parsed) is not stored again; the answer is the bytes that were sent
    (`ex.wire_answer`) instead of a second encoding; a response plaintext that is the answer's own `data` member
    is not stored again. `view` says which (flags after "http:"): r raw body (decoded as the pipeline decodes it),
    b plaintext = the body parsed, d response plaintext = the answer's `data`, p packed: the columns no reader filters
    or sorts on (notes, request_plaintext, response_plaintext, peer, client_id, duration_ms) are one JSON array in the
    notes column, the others NULL (a row orjson cannot encode fast is written unpacked). Read back, every column has the value
    a whole row (`_row`) gives: tests/engine/test_journal_http_rows.py compares both over a run of each HTTP spec."""
    flags = ""
    body = ex.request_body
    plain = ex.request_plaintext
    rb = ex.raw_body
    if rb is not None and rb[1] is body:
        body = rb[0]
        flags = "r"
        if plain is None:
            plain_col = None
        else:
            plain_col = _dumpb(plain)
            if plain_col == body:
                plain_col = None
                flags = "rb"
    else:
        if not isinstance(body, str):
            body = _dump(body)
        plain_col = _dumpb(plain)
    resp = ex.response_body
    wa = ex.wire_answer
    if resp is None:
        resp_col = None
    elif wa is not None and wa[0] is resp:
        resp_col = wa[1]
    else:
        resp_col = _dumpb(resp)
    rp = ex.response_plaintext
    if rp is not None and type(resp) is dict and resp.get("data") is rp:
        rp = None
        flags += "d"
    dur = ex.duration_ms
    if (plain_col is None or type(plain_col) is bytes) and dur == dur:
        # Packed (flag p): what no query filters or sorts on, in one orjson array in the notes column: fewer
        # parameters to bind (sqlite3 binds each at ~0.4 us) and one encoder call instead of three.
        try:
            pack = _dumps([ex.notes, None if plain_col is None else _Fragment(plain_col), rp, ex.peer, ex.client_id,
                           dur], option=_FAST_OPTIONS)
        except TypeError:
            pass  # (what only the slower encoders take: the columns one by one, below)
        else:
            return (ex.seq, ex.spec, ex.time, ex.link, ex.method, ex.path, ex.interface, _blob(_dumpb(ex.headers)),
                    _blob(body), ex.status, _blob(resp_col), ex.outcome, _blob(pack), "http:" + flags + "p")
    rp_col = _dumpb(rp)
    return (ex.seq, ex.spec, ex.time, ex.link, ex.peer, ex.client_id, ex.method, ex.path, ex.interface,
            _dumpb(ex.headers), body, plain_col, ex.status, resp_col, rp_col, ex.duration_ms, ex.outcome,
            _dumpb(ex.notes), "http:" + flags if flags else None)


def _blob(v: Any) -> Any:
    """A short bytes parameter as a bytearray (the same BLOB): Python's sqlite3 binds int, float, str and bytearray
    directly but looks every other type (bytes, None) up in its adapter registry first, ~0.3 us a parameter, more
    than copying a short value costs."""
    return _BA(v) if type(v) is bytes and len(v) <= _BLOB_COPY else v


_BA = bytearray
_BLOB_COPY = 2048  # bytes: longer values go as they are (the copy would cost more than the lookup)


def _http_columns(d: dict[str, Any], flags: str) -> dict[str, Any]:
    """The columns of a compact row (_compact), as a whole row holds them."""
    raw = d["request_body"]
    resp = d["response_body"]
    if "p" in flags:
        d["headers"], d["response_body"] = _load(d["headers"]), _load(resp)
        (d["notes"], d["request_plaintext"], d["response_plaintext"], d["peer"], d["client_id"],
         d["duration_ms"]) = json.loads(d["notes"])
    else:
        for k in _JSON_COLUMNS:
            d[k] = _load(d[k])
    if "r" in flags:
        if not isinstance(raw, bytes):
            raw = (raw or "").encode("utf-8", "surrogateescape")
        d["request_body"] = raw.decode("utf-8", errors="replace")
        if "b" in flags:
            d["request_plaintext"] = _load(raw)
    if "d" in flags:
        d["response_plaintext"] = _load(resp)["data"]  # decoded again: an object of its own, as a whole row's
    return d


def _row(ex: Exchange) -> tuple:
    body = ex.request_body if isinstance(ex.request_body, str) else _dump(ex.request_body)
    return (ex.seq, ex.spec, ex.time, ex.link, ex.peer, ex.client_id, ex.method, ex.path, ex.interface,
            _dump(ex.headers), body, _dump(ex.request_plaintext), ex.status, _dump(ex.response_body),
            _dump(ex.response_plaintext), ex.duration_ms, ex.outcome, _dump(ex.notes), None)


def _dump(v: Any) -> str | None:
    if v is None:
        return None
    if type(v) is dict and len(v) == 1:
        for k, x in v.items():
            t = type(x)
            if not x and (t is list or t is dict):
                hit = _EMPTY.get((k, t))
                if hit is None:
                    hit = _ENCODE(v)
                    if len(_EMPTY) < _EMPTY_MAX and len(str(k)) <= 64:
                        _EMPTY[(k, t)] = hit
                return hit
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    return _ENCODE(v)


def _dumpb(v: Any) -> bytes | str | None:
    """_dump as bytes where orjson encodes (no decoding to text: the column is a BLOB, json.loads reads it alike);
    text where the standard encoder had to (lone surrogates: _storable escapes them) or for bytes (hex, as _dump).
    First orjson without the options that slow every call down (non-string keys cost ~0.3 us a dict): what that
    refuses (non-string keys, integers beyond 64 bits, types needing `default`) takes _ENCODE's way, so the
    bytes are _ENCODE's in every case."""
    if v is None:
        return None
    try:
        return _dumps(v, option=_FAST_OPTIONS)
    except TypeError:
        pass
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    return _ENCODEB(v)


_dumps = orjson.dumps
_Fragment = orjson.Fragment
_FAST_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _ENCODEB(v: Any) -> bytes | str:
    try:
        return orjson.dumps(v, default=str, option=_ORJSON_OPTIONS)
    except TypeError:
        return _JSON(v)


def _load(v: str | bytes | None) -> Any:
    if v is None:
        return None
    try:
        return json.loads(v)
    except ValueError:
        return v


def now() -> float:
    return time.time()

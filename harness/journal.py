"""Exchange journal: every request a mock receives, and its answer, written to SQLite before the answer goes out."""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS exchanges (
  seq INTEGER PRIMARY KEY,
  spec TEXT, time REAL, link TEXT, peer TEXT, client_id TEXT,
  method TEXT, path TEXT, interface TEXT,
  headers TEXT, request_body TEXT, request_plaintext TEXT,
  status INTEGER, response_body TEXT, response_plaintext TEXT,
  duration_ms REAL, outcome TEXT, notes TEXT
)
"""


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

    def evidence(self, limit: int = 4096) -> dict[str, Any]:
        """This exchange as a report evidence item (long raw bodies cut; redaction happens in the report)."""
        d = asdict(self)
        d["kind"] = "exchange"
        if isinstance(d["request_body"], str) and len(d["request_body"]) > limit:
            d["request_body"] = d["request_body"][:limit] + f"…({len(self.request_body)} chars)"
        return d


class Journal:
    """Append-only SQLite journal; `path=None` keeps it in memory only. Thread-safe.

    Unbatched (the default), `record()` writes its row at once: an HTTP mock records an exchange just
    before answering it. Batched, rows wait for `flush()` (or `max_pending`): a TCP mock receiving
    thousands of unanswered position frames a second flushes once per socket read and before every answer,
    so the journal-before-answer rule still holds at one transaction per read instead of one per frame.
    """

    def __init__(self, path: str | Path | None = None, *, keep: bool = True, batch: bool = False,
                 max_pending: int = 2000):
        self.path = str(path) if path else ":memory:"
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if path:
            # WAL + NORMAL: each commit is durable against a process crash without an fsync per request.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(SCHEMA)
        self._lock = threading.Lock()
        self._keep, self.batch, self._max = keep, batch, max_pending
        self._pending: list[tuple] = []
        self._closed = False
        self.entries: list[Exchange] = []
        self._seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM exchanges").fetchone()[0]

    def record(self, ex: Exchange) -> Exchange:
        with self._lock:
            self._seq += 1
            ex.seq = self._seq
            if self._keep:
                self.entries.append(ex)
            if not self.batch:
                if not self._closed:
                    self._db.execute(_INSERT, _row(ex))
                return ex
            self._pending.append(_row(ex))
            full = len(self._pending) >= self._max
        if full:
            self.flush()
        return ex

    def flush(self) -> None:
        """Write every buffered row in one transaction (a no-op when unbatched)."""
        with self._lock:
            if not self._pending or self._closed:
                return
            rows, self._pending = self._pending, []
            self._db.execute("BEGIN")
            try:
                self._db.executemany(_INSERT, rows)
            finally:
                self._db.execute("COMMIT")

    @property
    def pending(self) -> int:
        return len(self._pending)

    def since(self, seq: int) -> list[Exchange]:
        # Entries are in seq order: search from the end, the common case is "the last few".
        entries = self.entries
        i = len(entries)
        while i and entries[i - 1].seq > seq:
            i -= 1
        return entries[i:]

    @property
    def last_seq(self) -> int:
        return self._seq

    def close(self) -> None:
        self.flush()
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    @staticmethod
    def read(path: str | Path) -> list[dict[str, Any]]:
        """Read a journal file back as dicts (JSON columns decoded)."""
        db = sqlite3.connect(str(path))
        db.row_factory = sqlite3.Row
        out = []
        for row in db.execute("SELECT * FROM exchanges ORDER BY seq"):
            d = dict(row)
            for k in ("headers", "request_plaintext", "response_body", "response_plaintext", "notes"):
                d[k] = _load(d[k])
            out.append(d)
        db.close()
        return out


_INSERT = "INSERT INTO exchanges VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
# One encoder for every row: json.dumps with options builds a new encoder per call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, default=str).encode
# Encodings of one-key dicts holding an empty list or dict: a stream of good messages repeats such notes (e.g.
# no findings) thousands of times a second, so each is encoded once. Bounded in number and key length, as a
# request's own plaintext passes here too.
_EMPTY: dict[tuple, str] = {}
_EMPTY_MAX = 256


def _row(ex: Exchange) -> tuple:
    body = ex.request_body if isinstance(ex.request_body, str) else _dump(ex.request_body)
    return (ex.seq, ex.spec, ex.time, ex.link, ex.peer, ex.client_id, ex.method, ex.path, ex.interface,
            _dump(ex.headers), body, _dump(ex.request_plaintext), ex.status, _dump(ex.response_body),
            _dump(ex.response_plaintext), ex.duration_ms, ex.outcome, _dump(ex.notes))


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


def _load(v: str | None) -> Any:
    if v is None:
        return None
    try:
        return json.loads(v)
    except ValueError:
        return v


def now() -> float:
    return time.time()

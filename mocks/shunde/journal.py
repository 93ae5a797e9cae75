"""A journal that writes exchanges in batches: one SQLite transaction per flush instead of one per frame."""
from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from harness.journal import SCHEMA, Exchange, Journal

_INSERT = "INSERT INTO exchanges VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"


class BatchJournal:
    """Same table and reading API as harness.journal.Journal; record() buffers, flush() commits.

    The mock flushes before every answer it sends (so the journal-before-answer rule holds for every
    answered frame) and after each socket read, so unanswered 0x1202 frames are written at most one read
    later. A frame per transaction caps the mock near the journal's own rate; a batch per read does not.
    """

    def __init__(self, path: str | Path | None = None, *, keep: bool = True, max_pending: int = 2000):
        self.path = str(path) if path else ":memory:"
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if path:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(SCHEMA)
        self._lock = threading.Lock()
        self._keep, self._max = keep, max_pending
        self._pending: list[tuple] = []
        self.entries: list[Exchange] = []
        self._seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM exchanges").fetchone()[0]
        self._closed = False

    @classmethod
    def beside(cls, journal: Journal | "BatchJournal" | None) -> "BatchJournal":
        """A batch journal on the file a plain Journal writes to (the engine's `mock --journal` hands one over)."""
        if journal is None or isinstance(journal, BatchJournal):
            return journal or cls(None)
        path = getattr(journal, "path", ":memory:")
        return cls(None if path == ":memory:" else path)

    def record(self, ex: Exchange) -> Exchange:
        with self._lock:
            self._seq += 1
            ex.seq = self._seq
            self._pending.append(_row(ex))
            if self._keep:
                self.entries.append(ex)
            full = len(self._pending) >= self._max
        if full:
            self.flush()
        return ex

    def flush(self) -> None:
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

    read = staticmethod(Journal.read)


# One encoder for every row: json.dumps with options builds a new encoder per call, a third of the cost here.
_ENCODE = json.JSONEncoder(ensure_ascii=False, default=str).encode


_NO_FINDINGS = '{"findings": []}'  # the notes of almost every good frame, encoded once


def _dump(v: Any) -> str | None:
    if v is None:
        return None
    if type(v) is dict and len(v) == 1 and v.get("findings") == []:
        return _NO_FINDINGS
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    return _ENCODE(v)


def _row(ex: Exchange) -> tuple:
    body = ex.request_body if isinstance(ex.request_body, str) else _dump(ex.request_body)
    return (ex.seq, ex.spec, ex.time, ex.link, ex.peer, ex.client_id, ex.method, ex.path, ex.interface,
            _dump(ex.headers), body, _dump(ex.request_plaintext), ex.status, _dump(ex.response_body),
            _dump(ex.response_plaintext), ex.duration_ms, ex.outcome, _dump(ex.notes))

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
    """Append-only SQLite journal; `path=None` keeps it in memory only. Thread-safe."""

    def __init__(self, path: str | Path | None = None, *, keep: bool = True):
        self.path = str(path) if path else ":memory:"
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if path:
            # WAL + NORMAL: each insert is durable against a process crash without an fsync per request.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(SCHEMA)
        self._lock = threading.Lock()
        self._keep = keep
        self.entries: list[Exchange] = []
        row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM exchanges").fetchone()
        self._seq = row[0]

    def record(self, ex: Exchange) -> Exchange:
        with self._lock:
            self._seq += 1
            ex.seq = self._seq
            self._db.execute(
                "INSERT INTO exchanges VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    ex.seq, ex.spec, ex.time, ex.link, ex.peer, ex.client_id, ex.method, ex.path, ex.interface,
                    _dump(ex.headers), ex.request_body if isinstance(ex.request_body, str) else _dump(ex.request_body),
                    _dump(ex.request_plaintext), ex.status, _dump(ex.response_body), _dump(ex.response_plaintext),
                    ex.duration_ms, ex.outcome, _dump(ex.notes),
                ),
            )
            if self._keep:
                self.entries.append(ex)
        return ex

    def since(self, seq: int) -> list[Exchange]:
        return [e for e in self.entries if e.seq > seq]

    @property
    def last_seq(self) -> int:
        return self._seq

    def close(self) -> None:
        with self._lock:
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


def _dump(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    return json.dumps(v, ensure_ascii=False, default=str)


def _load(v: str | None) -> Any:
    if v is None:
        return None
    try:
        return json.loads(v)
    except ValueError:
        return v


def now() -> float:
    return time.time()

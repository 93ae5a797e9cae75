"""The Yunnan provincial platform's business state, without I/O: enterprises, tokens, feeds, paging, heartbeats.

Sized for a long-running mock: accepted uploads and the log of served records live in a private SQLite file
(`store=`, default a temporary file removed with the state), so memory does not grow with traffic; the feeds
a suite seeds are indexed in memory (per feed and owner a sorted list of the unconfirmed records, per paging
cursor the set of ids it served), so a page or a confirm costs its own size, not the feed's.
"""
from __future__ import annotations

import heapq
import json
import secrets
import sqlite3
import string
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import orjson
from sortedcontainers import SortedList

from harness import crypto
from harness.clock import Clock
from harness.journal import private_file

# Expired or revoked tokens remembered so that a journal note can still say why one was refused (issue_token).
ENDED_TOKENS = 4096
HEARTBEAT_STATES = ("never", "online", "warning", "offline")
_TS_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y%m%d", "%Y%m%d%H%M%S")


def parse_time(text: Any) -> datetime | None:
    """Parse the time formats the spec uses for query timestamps and record times (E-YN-17)."""
    if not isinstance(text, str):
        return None
    for fmt in _TS_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    return None


@dataclass
class Enterprise:
    enterprise_id: str
    name: str
    public_key: str
    api_key: str
    api_secret: str
    registered_at: float
    last_heartbeat: float | None = None


@dataclass
class Token:
    value: str
    api_key: str
    issued_at: float
    expires_at: float
    revoked: bool = False


@dataclass
class Cursor:
    """A paging sequence: records served since the last page that said isNew 0 (E-YN-11).

    `served` holds every id served in the sequence; `open` the (time, id) keys of those not yet confirmed
    (to count what is left without a scan); `mark` the greatest key served (a page resumes after it)."""

    active: bool = False
    served: set[str] = field(default_factory=set)
    pages: int = 0
    open: SortedList = field(default_factory=SortedList)
    mark: tuple | None = None
    enterprise: str | None = None  # whose cursor (records of other owners never count in it)

    def start(self) -> None:
        self.active, self.served, self.pages, self.open, self.mark = True, set(), 0, SortedList(), None

    def serve(self, fr: "FeedRecord") -> None:
        self.served.add(fr.id)
        self.open.add(fr.key)
        if self.mark is None or fr.key > self.mark:
            self.mark = fr.key

    def open_from(self, lo: tuple) -> int:
        return len(self.open) - self.open.bisect_left(lo)

    def open_between(self, lo: tuple, hi: tuple) -> int:
        return self.open.bisect_right(hi) - self.open.bisect_left(lo)


@dataclass
class FeedRecord:
    id: str
    time: datetime
    owner: str | None  # enterprise id, None for platform-wide feeds (exceedVehicle)
    data: dict[str, Any]

    @property
    def key(self) -> tuple[datetime, str]:
        return (self.time, self.id)


class Feed:
    """One feed's records: every record by id, the unconfirmed ones sorted by (time, id) per owner, the
    confirmed ids, and the paging cursors open on it."""

    def __init__(self) -> None:
        self.records: dict[str, FeedRecord] = {}
        self.live: dict[str | None, SortedList] = {}
        self.confirmed: set[str] = set()
        self.cursors: list[Cursor] = []

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[FeedRecord]:
        return iter(self.records.values())

    def add(self, fr: FeedRecord) -> None:
        old = self.records.get(fr.id)
        live = fr.id not in self.confirmed
        if old is not None and live:
            self.live[old.owner].discard(old.key)
            for cur in self.cursors:  # served already in an open sequence: still served, under its new key
                if fr.id in cur.served:
                    cur.open.discard(old.key)
                    if fr.owner in (None, cur.enterprise):
                        cur.open.add(fr.key)
        self.records[fr.id] = fr
        if live:
            self.live.setdefault(fr.owner, SortedList()).add(fr.key)

    def lists_of(self, owner: str) -> list[SortedList]:
        """The sorted unconfirmed keys this owner may be served: platform-wide ones and its own."""
        return [sl for sl in (self.live.get(None), self.live.get(owner)) if sl]

    def confirm(self, rid: str) -> None:
        if rid in self.confirmed:
            return
        self.confirmed.add(rid)
        fr = self.records[rid]
        self.live[fr.owner].discard(fr.key)
        for cur in self.cursors:
            if rid in cur.served:
                cur.open.discard(fr.key)


class Store:
    """The state's disk side: a private SQLite file (mode 0600; a temporary one removed with the state when no
    path is given). Rows are buffered and written in one transaction when a batch fills or anything is read."""

    def __init__(self, path: str | Path | None = None, batch: int = 512):
        self.path = private_file(path, "vconform-state-", self)
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        # Transient state, rebuilt by every run: no rollback journal and no fsync, the journal is the evidence.
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE IF NOT EXISTS uploads (n INTEGER PRIMARY KEY, interface TEXT, record TEXT)")
        self.db.execute("CREATE INDEX IF NOT EXISTS uploads_by_interface ON uploads (interface, n)")
        self.db.execute("CREATE TABLE IF NOT EXISTS served (n INTEGER PRIMARY KEY, enterprise TEXT, feed TEXT, "
                        "record_id TEXT)")
        self.lock = threading.RLock()
        self._batch = batch
        self._pending: dict[str, list[tuple]] = {"uploads": [], "served": []}
        self._sql = {"uploads": "INSERT INTO uploads (interface, record) VALUES (?, ?)",
                     "served": "INSERT INTO served (enterprise, feed, record_id) VALUES (?, ?, ?)"}

    def put(self, table: str, rows: list[tuple]) -> None:
        with self.lock:
            pending = self._pending[table]
            pending.extend(rows)
            if len(pending) >= self._batch:
                self.flush()

    def flush(self) -> None:
        with self.lock:
            if not any(self._pending.values()):
                return
            self.db.execute("BEGIN")
            try:
                for table, rows in self._pending.items():
                    if rows:
                        self.db.executemany(self._sql[table], rows)
                        rows.clear()
            finally:
                self.db.execute("COMMIT")

    def query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self.lock:
            self.flush()
            return self.db.execute(sql, args).fetchall()


class UploadList:
    """The accepted uploads of one interface, in order, read from the store: [{"record": {...}}, ...]."""

    def __init__(self, store: Store, interface: str):
        self._store, self.interface = store, interface

    def __len__(self) -> int:
        return self._store.query("SELECT COUNT(*) FROM uploads WHERE interface = ?", (self.interface,))[0][0]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self[:])

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            rows = self._store.query("SELECT record FROM uploads WHERE interface = ? ORDER BY n", (self.interface,))
            return [{"record": json.loads(r[0])} for r in rows][i]
        n = len(self) if i < 0 else 0
        rows = self._store.query("SELECT record FROM uploads WHERE interface = ? ORDER BY n LIMIT 1 OFFSET ?",
                                 (self.interface, i + n))
        if not rows or i + n < 0:
            raise IndexError(i)
        return {"record": json.loads(rows[0][0])}


class Uploads:
    """interface -> UploadList, for the interfaces with at least one accepted upload (a read-only mapping)."""

    def __init__(self, store: Store):
        self._store = store

    def add(self, interface: str, record: dict[str, Any]) -> None:
        self._store.put("uploads", [(interface, _ENCODE(record))])

    def keys(self) -> list[str]:
        return [r[0] for r in self._store.query("SELECT DISTINCT interface FROM uploads ORDER BY interface")]

    def __contains__(self, interface: object) -> bool:
        return bool(self._store.query("SELECT 1 FROM uploads WHERE interface = ? LIMIT 1", (interface,)))

    def __getitem__(self, interface: str) -> UploadList:
        if interface not in self:
            raise KeyError(interface)
        return UploadList(self._store, interface)

    def get(self, interface: str, default: Any = None) -> Any:
        return UploadList(self._store, interface) if interface in self else default

    def items(self) -> list[tuple[str, UploadList]]:
        return [(k, UploadList(self._store, k)) for k in self.keys()]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())


class ServedLog:
    """(enterprise, feed, record id) of every record served, in serving order, read from the store."""

    def __init__(self, store: Store):
        self._store = store

    def extend(self, rows: Any) -> None:
        rows = list(rows)
        if rows:
            self._store.put("served", rows)

    def append(self, row: tuple[str, str, str]) -> None:
        self._store.put("served", [row])

    def __iter__(self) -> Iterator[tuple[str, str, str]]:
        return iter([tuple(r) for r in self._store.query("SELECT enterprise, feed, record_id FROM served ORDER BY n")])

    def __len__(self) -> int:
        return self._store.query("SELECT COUNT(*) FROM served")[0][0]


class PlatformState:
    """Everything the mock platform knows; thread-safe so suites can seed and inspect while it serves."""

    def __init__(self, endpoints: dict[str, Any], clock: Clock | None = None, key_bits: int = 2048,
                 store: str | Path | None = None):
        self.ep = endpoints
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        self.platform_key = crypto.generate_rsa(key_bits)
        self.platform_public_b64 = crypto.public_b64(self.platform_key)
        self.enterprises: dict[str, Enterprise] = {}
        self.by_api_key: dict[str, Enterprise] = {}
        self.tokens: dict[str, Token] = {}  # the live tokens only (see issue_token)
        self._expiry: list[tuple[float, str]] = []  # heap of (expires_at, token) for the tokens above
        self._ended: OrderedDict[str, Token] = OrderedDict()  # the last ENDED_TOKENS expired or revoked tokens
        feeds = [spec["feed"] for spec in endpoints["interfaces"].values() if spec["kind"] == "pull"]
        self.feeds: dict[str, Feed] = {feed: Feed() for feed in feeds}
        self.confirmed: dict[str, set[str]] = {feed: f.confirmed for feed, f in self.feeds.items()}
        self.cursors: dict[tuple[str, str], Cursor] = {}
        self.store = Store(store)
        self.uploads = Uploads(self.store)
        self.served_log = ServedLog(self.store)  # (enterprise, feed, record id), in serving order

    # ---- registration and tokens (§6.1, §6.2) -------------------------------------------------
    def register(self, enterprise_id: str, name: str, public_key: str) -> Enterprise:
        with self.lock:
            if enterprise_id in self.enterprises:
                raise KeyError(enterprise_id)
            api_key = "YN_" + _random(24)
            ent = Enterprise(enterprise_id, name, public_key, api_key, _random(40), self.clock.now())
            self.enterprises[enterprise_id] = ent
            self.by_api_key[api_key] = ent
            return ent

    def issue_token(self, ent: Enterprise) -> Token:
        """A new token for `ent`. Yunnan §6.2 sets a life (`expireTime`) and no limit on live tokens, and does not
        say a new token ends an older one: every token stays valid until it expires (or a fault revokes it). So
        only tokens that can never be valid again are dropped: an expired or revoked token leaves `tokens` at the
        next getToken, and is remembered among the last ENDED_TOKENS ended ones, so an answer to it can still say
        "expired"/"revoked" rather than "unknown" (the answer itself is the same). `tokens` holds the live tokens."""
        with self.lock:
            now = self.clock.now()
            self._drop_ended(now)
            tok = Token(_random(32), ent.api_key, now, now + float(self.ep["token_ttl"]))
            self.tokens[tok.value] = tok
            heapq.heappush(self._expiry, (tok.expires_at, tok.value))
            return tok

    def _drop_ended(self, now: float) -> None:
        """Move expired tokens (earliest expiry first, so a call costs what it drops) to the bounded `_ended`."""
        while self._expiry and self._expiry[0][0] <= now:
            _, value = heapq.heappop(self._expiry)
            tok = self.tokens.pop(value, None)
            if tok is not None:
                self._end(tok)

    def _end(self, tok: Token) -> None:
        self._ended[tok.value] = tok
        while len(self._ended) > ENDED_TOKENS:
            self._ended.popitem(last=False)

    def token_status(self, value: str, api_key: str) -> str:
        """'ok', 'unknown', 'expired', 'revoked' or 'other_client' for a Bearer token."""
        with self.lock:
            tok = self.tokens.get(value) or self._ended.get(value)
            if tok is None:
                return "unknown"
            if tok.api_key != api_key:
                return "other_client"
            if tok.revoked:
                return "revoked"
            if self.clock.now() >= tok.expires_at:
                return "expired"
            return "ok"

    def expire_tokens(self, api_key: str | None = None) -> int:
        """Fault: every live token (of one client) expires now."""
        with self.lock:
            n = 0
            for tok in list(self.tokens.values()):
                if (api_key is None or tok.api_key == api_key) and not tok.revoked:
                    tok.revoked = True
                    n += 1
                    del self.tokens[tok.value]  # never valid again: only the bounded record of ended tokens keeps it
                    self._end(tok)
            return n

    # ---- heartbeat (§6.5) ----------------------------------------------------------------------
    def heartbeat(self, ent: Enterprise) -> None:
        with self.lock:
            ent.last_heartbeat = self.clock.now()

    def heartbeat_state(self, enterprise_id: str) -> str:
        ent = self.enterprises.get(enterprise_id)
        if ent is None or ent.last_heartbeat is None:
            return "never"
        idle = self.clock.now() - ent.last_heartbeat
        if idle > self.ep["heartbeat_offline"]:
            return "offline"
        if idle > self.ep["heartbeat_warning"]:
            return "warning"
        return "online"

    # ---- uploads -------------------------------------------------------------------------------
    def store_upload(self, interface: str, record: dict[str, Any], exchange: Any = None) -> None:
        """Keep an accepted upload (on disk: a long-running mock's memory does not grow with its uploads).

        The exchange that carried it is in the journal (same interface, same order); it is not kept here."""
        with self.lock:
            self.uploads.add(interface, record)

    # ---- feeds, paging and confirms (§6.6–§6.10) ------------------------------------------------
    def seed(self, feed: str, records: list[dict[str, Any]], owner: str | None = None) -> None:
        """Admin hook: add records the platform will serve on a pull. A record whose id the feed already holds
        replaces the earlier one (a feed serves each id once per paging sequence and confirms it by id)."""
        spec = self._pull_spec(feed)
        parsed = []
        for r in records:
            t = parse_time(r.get(spec["record_time"]))
            if t is None:
                raise ValueError(f"seed record lacks a parsable {spec['record_time']}: {r}")
            parsed.append(FeedRecord(str(r[spec["record_id"]]), t, owner, dict(r)))
        with self.lock:
            f = self.feeds[feed]
            for fr in parsed:
                f.add(fr)

    def _pull_spec(self, feed: str) -> dict[str, Any]:
        for spec in self.ep["interfaces"].values():
            if spec.get("kind") == "pull" and spec.get("feed") == feed:
                return spec
        raise KeyError(feed)

    def pull(self, ent: Enterprise, feed: str, since: datetime) -> tuple[list[dict[str, Any]], int, bool]:
        """One page: (records, totalRecords, isNew) under the exactly-once rule of E-YN-11.

        Costs the page's size plus a few O(log n) counts: the feed's unconfirmed records are kept sorted per
        owner, and the cursor knows the greatest record it served and which served records are still open."""
        page_size = int(self.ep["max_page"])
        with self.lock:
            f = self.feeds[feed]
            key = (ent.enterprise_id, feed)
            cur = self.cursors.get(key)
            if cur is None:
                cur = self.cursors[key] = Cursor(enterprise=ent.enterprise_id)
                f.cursors.append(cur)
            if not cur.active:
                cur.start()
            lists = f.lists_of(ent.enterprise_id)
            lo = (since,)
            total = sum(len(sl) - sl.bisect_left(lo) for sl in lists) - cur.open_from(lo)
            start, first = lo, True
            if cur.mark is not None and cur.mark >= lo:
                # Resume after the greatest record served when every open record up to it was served already.
                live = sum(sl.bisect_right(cur.mark) - sl.bisect_left(lo) for sl in lists)
                if live == cur.open_between(lo, cur.mark):
                    start, first = cur.mark, False
            page: list[FeedRecord] = []
            if total > 0:
                its = [sl.irange(minimum=start, inclusive=(first, True)) for sl in lists]
                for k in (heapq.merge(*its) if len(its) > 1 else its[0]):
                    rid = k[1]
                    if rid in cur.served:
                        continue
                    page.append(f.records[rid])
                    if len(page) >= page_size:
                        break
            for fr in page:
                cur.serve(fr)
            cur.pages += 1
            more = total > len(page)
            if not more:
                cur.active = False
            self.served_log.extend((ent.enterprise_id, feed, fr.id) for fr in page)
            return [dict(fr.data) for fr in page], total, more

    def pending(self, enterprise_id: str, feed: str, since: datetime) -> list[dict[str, Any]]:
        """What a complete paging sequence from `since` must deliver now: unconfirmed records of this owner."""
        with self.lock:
            f = self.feeds[feed]
            its = [sl.irange(minimum=(since,)) for sl in f.lists_of(enterprise_id)]
            return [dict(f.records[k[1]].data) for k in heapq.merge(*its)]

    def known_ids(self, ent: Enterprise, feed: str) -> set[str]:
        with self.lock:
            return {i for i, fr in self.feeds[feed].records.items() if fr.owner in (None, ent.enterprise_id)}

    def confirm(self, ent: Enterprise, feed: str, ids: list[str]) -> list[str]:
        """Mark ids confirmed; returns the ids this enterprise was never offered (the caller rejects those).
        Costs the number of ids (times the feed's open paging sequences), not the feed's size."""
        with self.lock:
            f = self.feeds[feed]
            owners = (None, ent.enterprise_id)
            unknown = [i for i in ids if (fr := f.records.get(i)) is None or fr.owner not in owners]
            if not unknown:
                for i in ids:
                    f.confirm(i)
            return unknown

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able summary for the admin endpoint and for evidence."""
        with self.lock:
            return {
                "enterprises": {
                    eid: {"api_key": e.api_key, "heartbeat": self.heartbeat_state(eid)}
                    for eid, e in self.enterprises.items()
                },
                "feeds": {k: len(v) for k, v in self.feeds.items()},
                "confirmed": {k: len(v) for k, v in self.confirmed.items()},
                "uploads": {k: len(v) for k, v in self.uploads.items()},
                "clock_offset": self.clock.offset,
            }


_ALPHABET = string.ascii_letters + string.digits
# Random bytes -> characters: bytes >= 248 are dropped so that each of the 62 characters stays equally likely.
_TO_ALPHABET = bytes(_ALPHABET[b % 62].encode()[0] for b in range(256))
_UNEVEN = bytes(range(248, 256))


def _random(n: int) -> str:
    # Bytes of the OS's CSPRNG, each used once, read 4 KB at a time (a getrandom call per credential was ~1 us of a
    # registration), mapped to the alphabet by one translate (not one SystemRandom call per character).
    global _POOL, _AT
    out = b""
    while len(out) < n:
        with _POOL_LOCK:
            if _AT + 2 * n > len(_POOL):
                _POOL, _AT = secrets.token_bytes(_POOL_SIZE), 0
            chunk = _POOL[_AT:_AT + 2 * n]
            _AT += 2 * n
        out += chunk.translate(_TO_ALPHABET, _UNEVEN)
    return out[:n].decode()


_POOL_SIZE = 4096
_POOL, _AT = b"", 0
_POOL_LOCK = threading.Lock()


def _ENCODE(v: Any) -> str:
    try:
        return orjson.dumps(v).decode()
    except TypeError:  # lone surrogates (escaped: SQLite stores UTF-8 only), keys that are not strings
        return _JSON(v)


_JSON = json.JSONEncoder(ensure_ascii=True, default=str).encode

"""The Yunnan provincial platform's business state, without I/O: enterprises, tokens, feeds, paging, heartbeats."""
from __future__ import annotations

import secrets
import string
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harness import crypto
from harness.clock import Clock

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
    """A paging sequence: records served since the last page that said isNew 0 (E-YN-11)."""

    active: bool = False
    served: set[str] = field(default_factory=set)
    pages: int = 0


@dataclass
class FeedRecord:
    id: str
    time: datetime
    owner: str | None  # enterprise id, None for platform-wide feeds (exceedVehicle)
    data: dict[str, Any]


class PlatformState:
    """Everything the mock platform knows; thread-safe so suites can seed and inspect while it serves."""

    def __init__(self, endpoints: dict[str, Any], clock: Clock | None = None, key_bits: int = 2048):
        self.ep = endpoints
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        self.platform_key = crypto.generate_rsa(key_bits)
        self.platform_public_b64 = crypto.public_b64(self.platform_key)
        self.enterprises: dict[str, Enterprise] = {}
        self.by_api_key: dict[str, Enterprise] = {}
        self.tokens: dict[str, Token] = {}
        feeds = [spec["feed"] for spec in endpoints["interfaces"].values() if spec["kind"] == "pull"]
        self.feeds: dict[str, list[FeedRecord]] = {feed: [] for feed in feeds}
        self.confirmed: dict[str, set[str]] = {feed: set() for feed in feeds}
        self.cursors: dict[tuple[str, str], Cursor] = {}
        self.uploads: dict[str, list[dict[str, Any]]] = {}
        self.served_log: list[tuple[str, str, str]] = []  # (enterprise, feed, record id), in serving order

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
        with self.lock:
            now = self.clock.now()
            tok = Token(_random(32), ent.api_key, now, now + float(self.ep["token_ttl"]))
            self.tokens[tok.value] = tok
            return tok

    def token_status(self, value: str, api_key: str) -> str:
        """'ok', 'unknown', 'expired', 'revoked' or 'other_client' for a Bearer token."""
        with self.lock:
            tok = self.tokens.get(value)
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
            for tok in self.tokens.values():
                if (api_key is None or tok.api_key == api_key) and not tok.revoked:
                    tok.revoked = True
                    n += 1
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
        """Keep an accepted upload with the exchange that carried it (its journal seq is set on answering)."""
        with self.lock:
            self.uploads.setdefault(interface, []).append({"exchange": exchange, "record": record})

    # ---- feeds, paging and confirms (§6.6–§6.10) ------------------------------------------------
    def seed(self, feed: str, records: list[dict[str, Any]], owner: str | None = None) -> None:
        """Admin hook: add records the platform will serve on a pull."""
        spec = self._pull_spec(feed)
        with self.lock:
            for r in records:
                t = parse_time(r.get(spec["record_time"]))
                if t is None:
                    raise ValueError(f"seed record lacks a parsable {spec['record_time']}: {r}")
                self.feeds[feed].append(FeedRecord(str(r[spec["record_id"]]), t, owner, dict(r)))
            self.feeds[feed].sort(key=lambda fr: (fr.time, fr.id))

    def _pull_spec(self, feed: str) -> dict[str, Any]:
        for spec in self.ep["interfaces"].values():
            if spec.get("kind") == "pull" and spec.get("feed") == feed:
                return spec
        raise KeyError(feed)

    def pull(self, ent: Enterprise, feed: str, since: datetime) -> tuple[list[dict[str, Any]], int, bool]:
        """One page: (records, totalRecords, isNew) under the exactly-once rule of E-YN-11."""
        page_size = int(self.ep["max_page"])
        with self.lock:
            cur = self.cursors.setdefault((ent.enterprise_id, feed), Cursor())
            if not cur.active:
                cur.active, cur.served, cur.pages = True, set(), 0
            done = self.confirmed[feed]
            cands = [
                fr for fr in self.feeds[feed]
                if fr.owner in (None, ent.enterprise_id) and fr.time >= since
                and fr.id not in done and fr.id not in cur.served
            ]
            page = cands[:page_size]
            cur.served.update(fr.id for fr in page)
            cur.pages += 1
            more = len(cands) > len(page)
            if not more:
                cur.active = False
            for fr in page:
                self.served_log.append((ent.enterprise_id, feed, fr.id))
            return [dict(fr.data) for fr in page], len(cands), more

    def pending(self, enterprise_id: str, feed: str, since: datetime) -> list[dict[str, Any]]:
        """What a complete paging sequence from `since` must deliver now: unconfirmed records of this owner."""
        with self.lock:
            return [dict(fr.data) for fr in self.feeds[feed] if fr.owner in (None, enterprise_id)
                    and fr.time >= since and fr.id not in self.confirmed[feed]]

    def known_ids(self, ent: Enterprise, feed: str) -> set[str]:
        return {fr.id for fr in self.feeds[feed] if fr.owner in (None, ent.enterprise_id)}

    def confirm(self, ent: Enterprise, feed: str, ids: list[str]) -> list[str]:
        """Mark ids confirmed; returns the ids this enterprise was never offered (the caller rejects those)."""
        with self.lock:
            known = self.known_ids(ent, feed)
            unknown = [i for i in ids if i not in known]
            if not unknown:
                self.confirmed[feed].update(ids)
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
    # One token_bytes call and a translate, not one SystemRandom call per character (11 % of a registration).
    out = b""
    while len(out) < n:
        out += secrets.token_bytes(2 * n).translate(_TO_ALPHABET, _UNEVEN)
    return out[:n].decode()

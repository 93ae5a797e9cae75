"""The campaign database: SQLite (a file) or PostgreSQL (a shared acceptance server), one versioned schema.

Only this module speaks SQL. Both back ends take the same statements, written with `?` placeholders
(psycopg's `%s` is substituted); the only difference is how a table gets its row id.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import unquote, urlparse

SCHEMA_VERSION = 1
DEFAULT_NAME = "campaigns.sqlite"


class CampaignError(RuntimeError):
    """The campaign database cannot be used (bad URL, unreachable server, newer schema): a harness error."""


# One schema for both back ends; {id} is the dialect's auto-numbered primary key.
_TABLES = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS runs (
        id {id},
        digest TEXT NOT NULL UNIQUE,
        spec TEXT NOT NULL,
        role TEXT NOT NULL,
        sut_name TEXT NOT NULL,
        sut_version TEXT NOT NULL,
        sut_named_by TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        started TEXT NOT NULL,
        finished TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        verdict TEXT NOT NULL,
        partial INTEGER NOT NULL,
        scope_only TEXT NOT NULL,
        scope_stages TEXT NOT NULL,
        counts TEXT NOT NULL,
        pilot TEXT,
        signer_key_id TEXT NOT NULL,
        report_path TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS runs_spec_sut ON runs (spec, sut_name)",
    """CREATE TABLE IF NOT EXISTS run_interfaces (
        run_id INTEGER NOT NULL REFERENCES runs (id),
        stage TEXT NOT NULL,
        interface TEXT NOT NULL,
        verdict TEXT NOT NULL,
        PRIMARY KEY (run_id, stage, interface))""",
    """CREATE TABLE IF NOT EXISTS run_stages (
        run_id INTEGER NOT NULL REFERENCES runs (id),
        stage TEXT NOT NULL,
        verdict TEXT NOT NULL,
        PRIMARY KEY (run_id, stage))""",
    """CREATE TABLE IF NOT EXISTS certificates (
        id {id},
        spec TEXT NOT NULL,
        sut_name TEXT NOT NULL,
        sut_version TEXT NOT NULL,
        issued TEXT NOT NULL,
        digest TEXT NOT NULL,
        path TEXT NOT NULL)""",
)
RUN_COLUMNS = ("id", "digest", "spec", "role", "sut_name", "sut_version", "sut_named_by", "tool_version", "started",
               "finished", "recorded_at", "verdict", "partial", "scope_only", "scope_stages", "counts", "pilot",
               "signer_key_id", "report_path")


def default_url() -> str:
    from harness.report.sign import home_dir

    return str(home_dir() / DEFAULT_NAME)


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def sqlite_path(url: str) -> Path:
    """A file path, or `sqlite:///abs/path` / `sqlite:rel/path`."""
    if url.startswith("sqlite:"):
        parsed = urlparse(url)
        path = unquote(parsed.path) if url.startswith("sqlite://") else url[len("sqlite:"):]
        if not path:
            raise CampaignError(f"--campaign {url}: names no file")
        return Path(path).expanduser()
    if "://" in url:
        raise CampaignError(f"--campaign {url}: not a campaign database URL (a file, sqlite:///PATH or "
                            f"postgresql://USER@HOST:PORT/DB)")
    return Path(url).expanduser()


class Store:
    """A connection with the schema in place; `rows`/`execute` take `?` placeholders on both back ends."""

    def __init__(self, url: str, *, create: bool = True):
        self.url = url
        self.postgres = is_postgres(url)
        if self.postgres:
            try:
                import psycopg
            except ImportError:
                raise CampaignError("a postgresql:// campaign needs psycopg: pip install 'vconform[postgres]'") from None
            self._errors: tuple[type[BaseException], ...] = (psycopg.Error,)
            try:
                self.conn = psycopg.connect(url, connect_timeout=10, autocommit=True)
            except psycopg.Error as exc:
                raise CampaignError(f"--campaign: cannot connect to the PostgreSQL campaign database: "
                                    f"{str(exc).strip().splitlines()[0] if str(exc).strip() else exc}") from None
        else:
            path = sqlite_path(url)
            if not create and not path.exists():  # a read-only command: a typo must not become an empty database
                raise CampaignError(f"no campaign database at {path} (`vconform campaign record` or `run --campaign` "
                                    f"creates it)")
            if path.is_dir():
                raise CampaignError(f"--campaign {path}: is a directory; give a file (e.g. {path / DEFAULT_NAME})")
            if path.is_file() and path.stat().st_size:
                with path.open("rb") as fh:
                    if fh.read(16) != b"SQLite format 3\x00":
                        raise CampaignError(f"--campaign {path}: exists and is not an SQLite database")
            self._errors = (sqlite3.Error,)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self.conn = sqlite3.connect(path, timeout=30, isolation_level=None)
                self.conn.execute("PRAGMA foreign_keys = ON")
            except (sqlite3.Error, OSError) as exc:
                raise CampaignError(f"--campaign {path}: cannot open it: {exc}") from None
        self._create()

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def _create(self) -> None:
        ident = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" if self.postgres else "INTEGER PRIMARY KEY"
        try:
            with self.transaction():
                if self.postgres:  # two first uses at once: one creates, the other waits for it
                    self.conn.execute("SELECT pg_advisory_xact_lock(8091201)")
                for ddl in _TABLES:
                    self.conn.execute(ddl.format(id=ident))
                found = [r[0] for r in self.conn.execute("SELECT version FROM schema_version").fetchall()]
                if not found:
                    self.conn.execute(self._sql("INSERT INTO schema_version (version) VALUES (?)"), (SCHEMA_VERSION,))
                elif max(found) > SCHEMA_VERSION:
                    raise CampaignError(f"campaign database schema version {max(found)} is newer than this vconform "
                                        f"understands ({SCHEMA_VERSION}): upgrade vconform")
        except self._errors as exc:
            raise CampaignError(f"campaign database {self.shown()}: cannot create its tables: {exc}") from None

    def shown(self) -> str:
        if self.postgres:
            p = urlparse(self.url)
            return f"postgresql://{p.hostname or ''}{':' + str(p.port) if p.port else ''}{p.path}"  # no password
        return str(sqlite_path(self.url))

    def transaction(self):
        return _Tx(self)

    def schema_version(self) -> int:
        return max(r[0] for r in self.rows("SELECT version FROM schema_version"))

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        try:
            return list(self.conn.execute(self._sql(sql), tuple(params)).fetchall())
        except self._errors as exc:
            raise CampaignError(f"campaign database {self.shown()}: {exc}") from None

    def execute(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        """A statement inside an open transaction; its rows when it returns any (RETURNING)."""
        try:
            cur = self.conn.execute(self._sql(sql), tuple(params))
            return list(cur.fetchall()) if cur.description else []
        except self._errors as exc:
            raise CampaignError(f"campaign database {self.shown()}: {exc}") from None

    def close(self) -> None:
        self.conn.close()


class _Tx:
    """Commit on success, roll back on any exception (both back ends)."""

    def __init__(self, store: Store):
        self.store = store
        self._pg = None

    def __enter__(self):
        if self.store.postgres:
            self._pg = self.store.conn.transaction()
            self._pg.__enter__()
        else:
            self.store.conn.execute("BEGIN IMMEDIATE")
        return self.store

    def __exit__(self, kind, exc, tb):
        if self._pg is not None:
            return self._pg.__exit__(kind, exc, tb)
        self.store.conn.execute("COMMIT" if kind is None else "ROLLBACK")
        return False


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)

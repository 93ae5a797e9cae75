"""The live dashboard of a running mock: one HTML page and the JSON it polls (docs/dashboard.md).

Nothing here runs on a mock's request path. The page asks for `dashboard.json` once a second while it is visible;
each answer is built from:
- the journal's last N exchanges (`Journal.tail`: the memory window, or N rows read back from the file's end),
  each turned once into a display row whose bodies are redacted (harness.report.redact.redact_text) and cut, and
  kept by seq: rows never change once journaled;
- counts per interface and outcome, kept as running totals: each poll adds an aggregate over the rows after the
  last one counted, read in a worker thread on a read-only connection of its own (never the whole journal again);
- the findings of observe mode, when the mock has an observer (`mock.observer`: recent_findings(n), summary());
- the campaign board, when given a campaign and a SUT (`harness.campaign.open_campaign(url).board(spec, sut)`),
  read in a worker thread at most every BOARD_TTL seconds.
An answer is reused for MIN_INTERVAL seconds, so any number of viewers costs at most one build per interval.
"""
from __future__ import annotations

import asyncio
import json
import secrets as _secrets
import sqlite3
import time
from collections import OrderedDict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from harness.dashboard import PATH
from harness.journal import Exchange
from harness.report.redact import Redactor, redact_text
from harness.serve import bind

ROWS = 50            # exchanges shown by default
ROWS_MAX = 200       # the most a viewer may ask for
FINDINGS = 50        # findings shown
POLL_MS = 1000       # the page's polling interval while visible
MIN_INTERVAL = 0.5   # seconds an answer is reused for (whatever the number of viewers)
BOARD_TTL = 5.0      # seconds the campaign board is reused for
PREVIEW = 600        # characters of a body shown (after redaction)
_SCAN = 16 * PREVIEW  # characters of a body redacted (those shown come from them)
_PARSE_MAX = 1 << 20  # a JSON body up to this long is parsed and redacted whole (once: rows are cached by seq)
_CACHE = 2 * ROWS_MAX  # display rows kept by seq

_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
                          autoescape=True, trim_blocks=True, lstrip_blocks=True)
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


class Dashboard:
    """The dashboard of one running mock (an HttpMock or a TCP mock: anything with a `journal`)."""

    def __init__(self, mock: Any, *, spec: str, campaign: str | None = None, sut: str | None = None):
        self.mock, self.spec, self.campaign, self.sut = mock, spec, campaign, sut
        self.started = time.time()
        self._rows: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._counts: dict[tuple[str, str], list] = {}  # (interface, outcome) -> [count, last time]
        self._counted = 0  # the journal seq up to which _counts holds
        self._counting: asyncio.Task | None = None
        self._answer: tuple[float, int, bytes] | None = None  # (built at, rows, body)
        self._building: asyncio.Future | None = None
        self._board: tuple[float, dict[str, Any]] | None = None
        self._boarding: asyncio.Task | None = None

    # ---- HTTP --------------------------------------------------------------------------------------------
    def routes(self) -> list[tuple[str, Any]]:
        """(path, handler) of the page and its JSON."""
        return [(PATH, self.page), (PATH + ".json", self.data)]

    async def page(self, request: web.Request) -> web.Response:
        nonce = _secrets.token_urlsafe(16)
        html = _ENV.get_template("dashboard.html.j2").render(
            spec=self.spec, nonce=nonce, data_url=PATH + ".json", poll_ms=POLL_MS, rows=ROWS)
        csp = (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; connect-src 'self'; "
               "img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
        return web.Response(text=html, content_type="text/html", charset="utf-8",
                            headers={**_HEADERS, "Content-Security-Policy": csp})

    async def data(self, request: web.Request) -> web.Response:
        try:
            n = min(max(int(request.query.get("rows", ROWS)), 1), ROWS_MAX)
        except ValueError:
            n = ROWS
        body = await self.answer(n)
        return web.Response(body=body, content_type="application/json", charset="utf-8", headers=_HEADERS)

    async def answer(self, n: int = ROWS) -> bytes:
        """The JSON the page polls, reused for MIN_INTERVAL seconds; concurrent viewers share one build."""
        now = time.monotonic()
        if self._answer is not None and self._answer[1] == n and now - self._answer[0] < MIN_INTERVAL:
            return self._answer[2]
        if self._building is not None:
            return await asyncio.shield(self._building)
        self._building = asyncio.get_running_loop().create_future()
        try:
            body = json.dumps(await self.snapshot(n), ensure_ascii=False, default=str).encode()
        except BaseException as exc:
            self._building.set_exception(exc)
            self._building.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            fut, self._building = self._building, None
        fut.set_result(body)
        self._answer = (time.monotonic(), n, body)
        return body

    # ---- what the page shows ------------------------------------------------------------------------------
    async def snapshot(self, n: int = ROWS) -> dict[str, Any]:
        journal = self.mock.journal
        shown = [self._row(ex) for ex in journal.tail(n)]
        shown.reverse()  # newest first
        await self._count(journal)
        return {
            "spec": self.spec,
            "now": _iso(time.time()),
            "started": _iso(self.started),
            "last_seq": journal.last_seq,
            "exchanges": shown,
            "interfaces": self._interfaces(),
            "findings": self._findings(),
            "campaign": await self._campaign(),
        }

    def _row(self, ex: Exchange) -> dict[str, Any]:
        row = self._rows.get(ex.seq) if ex.seq else None
        if row is not None:
            self._rows.move_to_end(ex.seq)
            return row
        context = {"headers": ex.headers, "request": ex.request_plaintext, "response": ex.response_plaintext,
                   "answer": ex.response_body, "notes": ex.notes}
        row = {
            "seq": ex.seq, "at": _iso(ex.time), "interface": ex.interface, "method": ex.method,
            "path": _shown(ex.path, context, 200), "peer": ex.peer, "status": ex.status, "outcome": ex.outcome,
            "ms": round(ex.duration_ms or 0.0, 1),
            "request": _shown(_text(ex.request_plaintext, ex.request_body), context),
            "response": _shown(_text(ex.response_plaintext, ex.response_body), context),
        }
        if ex.seq:
            self._rows[ex.seq] = row
            while len(self._rows) > _CACHE:
                self._rows.popitem(last=False)
        return row

    async def _count(self, journal: Any) -> None:
        """Add the rows journaled since the last count to the running totals (a worker thread reads them)."""
        if self._counting is None:
            if journal.last_seq <= self._counted:
                return
            journal.flush()  # rows batched or behind are committed now, so the count sees them
            self._counting = asyncio.ensure_future(asyncio.to_thread(_tally, journal.path, self._counted))
        try:
            upto, rows = await asyncio.wait_for(asyncio.shield(self._counting), 2.0)
        except asyncio.TimeoutError:
            return  # a long first count of a large journal: the totals follow on a later poll
        except (sqlite3.Error, OSError):
            self._counting = None  # the file could not be read this time: the totals stay as they were
            return
        self._counting = None
        for interface, outcome, count, last in rows:
            c = self._counts.setdefault((interface or "", outcome or ""), [0, 0.0])
            c[0] += count
            c[1] = max(c[1], last or 0.0)
        self._counted = max(self._counted, upto)

    def _interfaces(self) -> list[dict[str, Any]]:
        by: dict[str, dict[str, Any]] = {}
        for (interface, outcome), (count, last) in sorted(self._counts.items()):
            d = by.setdefault(interface, {"interface": interface, "total": 0, "ok": 0, "refused": 0,
                                          "outcomes": {}, "last": 0.0})
            d["total"] += count
            d["ok" if outcome == "ok" else "refused"] += count
            d["outcomes"][outcome] = count
            d["last"] = max(d["last"], last)
        return [{**d, "last": _iso(d["last"])} for d in by.values()]

    def _findings(self) -> dict[str, Any]:
        observer = getattr(self.mock, "observer", None)
        if observer is None:
            return {"state": "off", "message": "observe mode is off: exchanges only"}
        try:
            recent = list(observer.recent_findings(FINDINGS))
            summary = observer.summary()
        except Exception as exc:  # noqa: BLE001 - the observer's trouble is shown, the page keeps working
            return {"state": "error", "message": f"{type(exc).__name__}: {exc}"[:300]}
        out = []
        for f in reversed(recent[-FINDINGS:]):  # newest first
            f = dict(f)
            out.append({"check_id": str(f.get("check_id", "")), "verdict": str(f.get("verdict", "")),
                        "message": _shown(str(f.get("message", "")), f), "exchange_id": f.get("exchange_id"),
                        "at": _iso(f["at"]) if isinstance(f.get("at"), (int, float)) else str(f.get("at", ""))})
        return {"state": "on", "summary": _compact(summary), "recent": out}

    async def _campaign(self) -> dict[str, Any]:
        if not (self.campaign and self.sut):
            return {"state": "none", "message": "no campaign"}
        now = time.monotonic()
        if self._board is not None and now - self._board[0] < BOARD_TTL:
            return self._board[1]
        if self._boarding is None:
            self._boarding = asyncio.ensure_future(asyncio.to_thread(_board, self.campaign, self.spec, self.sut))
        try:
            value = await asyncio.wait_for(asyncio.shield(self._boarding), 2.0)
        except asyncio.TimeoutError:  # a slow database: the last board (or a note) now, the new one later
            return self._board[1] if self._board else {"state": "loading", "message": "reading the campaign"}
        self._boarding = None
        self._board = (time.monotonic(), value)
        return value


def _board(url: str, spec: str, sut: str) -> dict[str, Any]:
    """The campaign board (a worker thread); its absence or trouble is a message, never an exception."""
    try:
        from harness.campaign import open_campaign
    except ImportError:
        return {"state": "none", "message": "no campaign: this vconform has no campaign module"}
    try:
        board = open_campaign(url).board(spec, sut)
    except Exception as exc:  # noqa: BLE001 - shown on the page; the dashboard keeps working
        return {"state": "error", "message": redact_text(f"{type(exc).__name__}: {exc}"[:300])}
    return {"state": "ok", "board": json.loads(json.dumps(board, default=str))}


def _tally(path: str, after: int) -> tuple[int, list[tuple]]:
    """(last seq counted, [(interface, outcome, count, last time)]) of the committed rows after seq `after`, on a
    read-only connection of its own (the journal's writer is never blocked; its WAL lets both run)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        upto = db.execute("SELECT COALESCE(MAX(seq), 0) FROM exchanges").fetchone()[0]
        rows = db.execute("SELECT interface, outcome, COUNT(*), MAX(time) FROM exchanges WHERE seq > ? AND seq <= ? "
                          "GROUP BY interface, outcome", (after, upto)).fetchall()
    finally:
        db.close()
    return upto, rows


def _text(plain: Any, raw: Any) -> str:
    """What a body is best read as: the decrypted/decoded view when there is one, else the bytes as received."""
    value = plain if plain not in (None, "", {}) else raw
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return value.hex().upper()
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _shown(text: str, context: Any, limit: int = PREVIEW) -> str:
    """`text` redacted, then cut: a cut never splits a secret into a part nobody recognises. A body up to _SCAN
    characters, or JSON up to _PARSE_MAX, is redacted whole (`_redacted`); of a longer one only the first _SCAN
    characters (far more than are shown) are scanned, with the secrets the whole text and `context` reveal."""
    if not text:
        return ""
    if len(text) <= _SCAN or (len(text) <= _PARSE_MAX and text.lstrip()[:1] in ("{", "[")):
        clean = _redacted(text, context)
        return clean if len(clean) <= limit else clean[:limit] + f"…({len(text)} chars)"
    head = text[:_SCAN]
    clean = redact_text(head, context=[context, text])
    return clean[:limit] + f"…({len(text)} chars)"


def _redacted(text: str, context: Any) -> str:
    """`text` redacted as the report redacts a body: JSON text is parsed and its values under secret keys masked
    (whatever escapes wrote them: "Gs-\\u0050ass" is the password "Gs-Pass"), JSON text inside it too, then
    written back; any other text has the secrets the body and `context` reveal masked in every encoding."""
    red = Redactor()
    found: set[str] = set()
    try:
        red.harvest(context, found)
        red.harvest(text, found)
        return red.masker(found).redact_in_place(text)
    except RecursionError:  # JSON nested deeper than Python recurses (a hostile client): the text redactor's way
        return redact_text(text[:_SCAN], context=context)


def _compact(summary: Any, limit: int = 60) -> list[list[str]]:
    """An observer's summary as a few [key, value] rows: a map of numbers on one row ("fail: 2, warn: 0"), a map of
    such maps (the per-check counts) as one row per entry that has a fail or warn plus one row counting the rest;
    anything else as `_flat` shows it. Values redacted."""
    if not isinstance(summary, dict):
        return _flat(summary, limit=limit)
    rows: list[list[str]] = []
    for key, value in summary.items():
        if isinstance(value, dict) and value and all(_numbers(v) for v in value.values()):
            clean = [[f"{key}.{k}", _counts(v)] for k, v in value.items() if any(v.get(x) for x in ("fail", "warn"))]
            rows += clean
            if len(clean) < len(value):
                rows.append([f"{key} (pass only)", str(len(value) - len(clean))])
        elif _numbers(value):
            rows.append([str(key), _counts(value)])
        else:
            rows += _flat(value, str(key), limit)
    return [[k, redact_text(v)[:PREVIEW]] for k, v in rows[:limit]]


def _numbers(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(v, (int, float)) for v in value.values())


def _counts(value: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in value.items())


def _flat(value: Any, prefix: str = "", limit: int = 200) -> list[list[str]]:
    """A summary of any shape as at most `limit` [key, value] pairs ("by_verdict.fail", "3"), values redacted."""
    if isinstance(value, dict):
        out: list[list[str]] = []
        for k, v in value.items():
            out += _flat(v, f"{prefix}.{k}" if prefix else str(k), limit - len(out))
            if len(out) >= limit:
                break
        return out[:limit]
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return [[prefix, redact_text(text)[:PREVIEW]]]


def _iso(t: float) -> str:
    if not t:
        return ""
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---- serving -----------------------------------------------------------------------------------------------
class SidePort:
    """The dashboard on an HTTP port of its own (a TCP mock, or when asked): plain aiohttp, loopback by default."""

    def __init__(self, dashboard: Dashboard, host: str = "127.0.0.1", port: int = 0):
        self.dashboard, self.host, self.port = dashboard, host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        app = web.Application()
        for path, handler in self.dashboard.routes():
            app.router.add_get(path, handler)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        sock = bind(self.host, self.port)
        await web.SockSite(self._runner, sock).start()
        self.port = sock.getsockname()[1]
        return self.port

    @property
    def url(self) -> str:
        return f"http://{_host(self.host)}:{self.port}{PATH}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class WithDashboard:
    """A served mock (async start(host, port) -> port / close()) and its dashboard, started and stopped together;
    prints `dashboard on URL` once the page can be opened."""

    def __init__(self, served: Any, dashboard: Dashboard, *, side_port: int | None = None):
        self.served, self.dashboard, self.side_port = served, dashboard, side_port
        self.side: SidePort | None = None
        self.url = ""

    async def start(self, host: str, port: int) -> int:
        real = await self.served.start(host, port)
        if self.side_port is None:
            self.url = f"http://{_host(host)}:{real}{PATH}"
        else:
            self.side = SidePort(self.dashboard, host, self.side_port)
            try:
                await self.side.start()
            except BaseException:
                await self.served.close()
                raise
            self.url = self.side.url
        print(f"dashboard on {self.url}", flush=True)
        return real

    async def close(self) -> None:
        try:
            if self.side is not None:
                await self.side.close()
        finally:
            await self.served.close()


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host

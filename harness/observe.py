"""Observe mode (`vconform mock SPEC --observe`) and journal reports (`vconform report --journal FILE`).

A mock in observe mode serves as usual and sends no stimuli; every exchange it journals is handed to the spec's
*stream judge*, which judges it with the same client-role checks a run uses (those that judge the wire alone:
transport, headers, token, envelope, payload, cadence, ...). Checks that judge an action's expected effect (the
adapter's exit, params arriving intact, a pull's output) are reported `skip` with the reason `needs a stimulus`.

The spec's judge lives in `observe` beside its suites (`<suite package>/observe.py`, found by path as
`vconform load` finds `load`) and provides `make_judge(profile, meta) -> Judge` (offline) and
`judge_for_mock(mock, profile) -> Judge` (live):

- `judge.see(exchange)` -> iterable of (check_id, interface, problems) for one exchange, in journal order;
- `judge.finish()` -> the same for what can only be said at the end of the stream (e.g. ids never confirmed);
- `judge.stimulus` -> {check_id: interface} of the checks that need a stimulus (reported `skip`);
- `judge.unavailable` (optional) -> {check_id: (interface, reason)} of checks this stream cannot judge (skip);
- `judge.meta` -> plain JSON values the judge needs to re-derive its verdicts from the journal alone (e.g. a
  platform's private key its envelopes are sealed to, which the journal file -- mode 0600, holding tokens and
  plaintext already -- keeps).

The judge depends on the exchanges (and `meta`) only, so `vconform report --journal` re-derives the same verdicts
from the journal file: `Observer.replay` feeds the recorded exchanges, in order, to a fresh judge.

Memory stays bounded: per (check id, interface) counts per verdict plus the first and last K findings; findings
(fail and warn) are written as they come to the side table `observe_findings` of the journal file and printed,
one line each. `Observer` is also the dashboard's view of a running mock (`mock.observer`): `recent_findings`,
`summary`, `recent_exchanges`.
"""
from __future__ import annotations

import datetime as dt
import importlib
import json
import re
import sqlite3
import sys
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Protocol

from harness import __version__, specdata, stages
from harness.checks import CheckResult, Problem, evaluate, fail, skipped
from harness.clock import Clock
from harness.journal import Exchange, Journal

STAGE = "pilot"
STIMULUS = "needs a stimulus"
KEEP = 5  # findings kept per check id and interface: the first K and the last K
# Outcomes of a refusal a client answers by renewing its token and sending again: in a stream the renewal comes
# later, so the judges leave them to their token checks (tolerated once) instead of failing `answer.accepted`.
RENEW = frozenset({"token_expired", "token_revoked"})

META_TABLE = "CREATE TABLE IF NOT EXISTS observe_meta (key TEXT PRIMARY KEY, value TEXT)"
FINDINGS_TABLE = ("CREATE TABLE IF NOT EXISTS observe_findings (id INTEGER PRIMARY KEY, check_id TEXT, "
                  "interface TEXT, verdict TEXT, message TEXT, exchange_id INTEGER, at TEXT, errata TEXT)")


class ObserveError(RuntimeError):
    """Observe mode cannot run for this spec or journal (exit 2, one line)."""


class Judge(Protocol):
    stimulus: dict[str, str]
    meta: dict[str, Any]

    def see(self, ex: Exchange) -> Iterable[tuple[str, str, list[Problem]]]: ...

    def finish(self) -> Iterable[tuple[str, str, list[Problem]]]: ...


@dataclass
class Finding:
    check_id: str
    verdict: str
    message: str
    exchange_id: int
    at: str
    interface: str = ""
    errata: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Tally:
    """One (check id, interface): counts per verdict, the first and the last K findings."""

    __slots__ = ("counts", "first", "last", "errata", "seen")

    def __init__(self) -> None:
        self.counts = {"pass": 0, "fail": 0, "warn": 0}
        self.first: list[Finding] = []
        self.last: deque[Finding] = deque(maxlen=KEEP)
        self.errata: set[str] = set()
        self.seen = 0  # findings (fail or warn) seen in all

    def add(self, f: Finding) -> None:
        self.seen += 1
        if len(self.first) < KEEP:
            self.first.append(f)
        else:
            self.last.append(f)

    def kept(self) -> list[Finding]:
        return self.first + list(self.last)


def iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat(timespec="seconds")


def parse_window(text: str) -> float:
    """`72h`, `10m`, `90s`, `3d` or plain seconds -> seconds (ValueError says why not)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text or "")
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a duration such as 72h, 10m, 90s or 3d")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def judge_module(spec) -> Any:
    """The spec's `observe` module beside its suites (suites/<doc>/observe.py), found by path, not by name."""
    pkg, here = [], Path(spec.suite_dir)
    while (here / "__init__.py").is_file():
        pkg.insert(0, here.name)
        here = here.parent
    names = [".".join(pkg + ["observe"])]
    if len(pkg) > 1:  # a level's suite folder (<document package>/<level>): the document's module serves every level
        names.append(".".join(pkg[:-1] + ["observe"]))
    for name in names:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    raise ObserveError(f"{spec.name} has no observe judge yet ({names[0]}): observe mode and report --journal "
                       f"cannot judge its exchanges")


class ScaledClock(Clock):
    """A clock running `scale` times faster than the wall clock from its start (a pilot fed with --time-scale F
    keeps the spec's cadence on this clock: a 15-minute heartbeat every 15 real seconds at F=60)."""

    def __init__(self, scale: float = 1.0, start: float | None = None):
        super().__init__()
        self.scale = float(scale)
        self.t0 = time.time() if start is None else start

    def now(self) -> float:
        return self.t0 + (time.time() - self.t0) * self.scale + self._offset


class ExpiredAgain:
    """Requests a client sent with an expired token since it last got a token: the first refusal is its cue to get
    a new one (a run tolerates it within an action); each one after, before a new token, is a finding."""

    def __init__(self) -> None:
        self.sent = 0

    def renewed(self) -> None:
        self.sent = 0

    def problems(self, e: Exchange, why: str) -> list[Problem]:
        if e.notes.get("token") != "expired":
            return []
        self.sent += 1
        return [fail(f"#{e.seq} {e.interface}: sent with an expired token again: {why}")] if self.sent > 1 else []


class Observer:
    """Judges a stream of exchanges with a spec's stream judge; bounded memory; writes the pilot report.

    Live: `attach(mock)` hooks the mock's journal (each exchange is judged as it is journaled, before the answer
    leaves) and sets `mock.observer`. Offline: `Observer.replay(spec, journal_path)` feeds a journal file."""

    def __init__(self, spec, judge: Judge, *, journal: Journal | None = None, profile: str = "default",
                 echo: Callable[[str], None] | None = None, time_scale: float = 1.0,
                 window_start: float | None = None, record_findings: bool = True,
                 sut: dict[str, str] | None = None):
        self.spec, self.judge, self.journal = spec, judge, journal
        self.profile = profile
        self.echo = echo
        self.time_scale = float(time_scale)
        self.window_start = time.time() if window_start is None else window_start
        self.window_end: float | None = None
        self.exchanges = 0
        self.harness_errors: list[str] = []
        self._tallies: dict[tuple[str, str], _Tally] = {}
        self._recent: deque[Finding] = deque(maxlen=200)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._unsaved: list[tuple] = []
        self._saved_at = 0.0
        if journal is not None and record_findings and not journal.temporary:
            self._db = sqlite3.connect(journal.path, check_same_thread=False, timeout=30)
            self._db.execute(META_TABLE)
            self._db.execute(FINDINGS_TABLE)
            meta = {"spec": spec.name, "profile": profile, "time_scale": self.time_scale,
                    "window_start": self.window_start, "first_seq": journal.last_seq + 1, "judge": judge.meta,
                    # the SUT observed (--sut-name/--sut-version): a re-derived report names the same one
                    "sut": {"name": (sut or {}).get("name", ""), "version": (sut or {}).get("version", "")}}
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO observe_meta VALUES (?, ?)",
                                     [(k, json.dumps(v)) for k, v in meta.items()])

    # ---- live hook ----------------------------------------------------------------------------------
    def attach(self, mock: Any) -> "Observer":
        """Judge every exchange `mock` journals, as it is journaled; `mock.observer` is this object."""
        journal = mock.journal
        record = journal.record

        def observed(ex: Exchange) -> Exchange:
            ex = record(ex)
            try:
                self.see(ex)
            except Exception as exc:  # noqa: BLE001 - the observer never changes what the mock answers
                self._error(f"observing exchange #{ex.seq}: {type(exc).__name__}: {exc}")
            return ex

        journal.record = observed  # an instance attribute: a mock not observing keeps the plain method
        mock.observer = self
        self.journal = journal
        return self

    # ---- judging ------------------------------------------------------------------------------------
    def see(self, ex: Exchange) -> None:
        """Judge one exchange; a judging error is a harness error, never a verdict on the SUT."""
        with self._lock:
            self.exchanges += 1
            if ex.outcome.startswith("fault_"):
                return  # a fault the harness armed (a run's journal): a stimulus, nothing the SUT did
            try:
                found = list(self.judge.see(ex))
            except Exception as exc:  # noqa: BLE001 - the mock keeps serving; the report ends `error`
                self._error(f"judging exchange #{ex.seq} {ex.path}: {type(exc).__name__}: {exc}")
                return
            for check_id, interface, problems in found:
                self._count(check_id, interface, problems, ex.seq, ex.time)
            self._save()

    def finish(self) -> None:
        """End of the window: what the judge can say only at the end; closes the side table."""
        with self._lock:
            if self.window_end is None:
                self.window_end = time.time()
            try:
                for check_id, interface, problems in self.judge.finish():
                    self._count(check_id, interface, problems, 0, time.time())
            except Exception as exc:  # noqa: BLE001
                self._error(f"judging the end of the window: {type(exc).__name__}: {exc}")
            self._save(force=True)
            if self._db is not None:
                with self._db:
                    self._db.executemany("INSERT OR REPLACE INTO observe_meta VALUES (?, ?)",
                                         [("window_end", json.dumps(self.window_end)),
                                          ("exchanges", json.dumps(self.exchanges))])
                self._db.close()
                self._db = None

    def _error(self, msg: str) -> None:
        if len(self.harness_errors) < 20:
            self.harness_errors.append(msg)
        if self.echo:
            self.echo(f"harness error: {msg}")

    def _count(self, check_id: str, interface: str, problems: list[Problem], seq: int, t: float) -> None:
        tally = self._tallies.get((check_id, interface))
        if tally is None:
            tally = self._tallies[(check_id, interface)] = _Tally()
        problems = list(problems or [])
        if not problems:
            tally.counts["pass"] += 1
            return
        verdict = "fail" if any(p.level == "fail" for p in problems) else "warn"
        tally.counts[verdict] += 1
        for p in problems:
            if p.level not in ("fail", "warn"):
                continue
            f = Finding(check_id, p.level, p.message, seq, iso(t), interface, p.errata or "")
            tally.add(f)
            if p.errata:
                tally.errata.add(p.errata)
            self._recent.append(f)
            self._unsaved.append((check_id, interface, f.verdict, f.message, seq, f.at, f.errata))
            if self.echo:
                self.echo(f"{f.verdict.upper():4} {check_id} [{interface}] #{seq}: {p.message}"[:400])

    def _save(self, force: bool = False) -> None:
        """Findings go to the journal's side table as they come (committed at most twice a second)."""
        if self._db is None or not self._unsaved:
            return
        now = time.monotonic()
        if not force and now - self._saved_at < 0.5:
            return
        rows, self._unsaved = self._unsaved, []
        self._saved_at = now
        try:
            with self._db:
                self._db.executemany("INSERT INTO observe_findings (check_id, interface, verdict, message, "
                                     "exchange_id, at, errata) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.Error as exc:  # the findings are still counted and printed; the report says it
            self._error(f"writing {len(rows)} finding(s) to observe_findings: {exc}")

    # ---- the dashboard's view -----------------------------------------------------------------------
    def recent_findings(self, n: int = 20) -> list[dict[str, Any]]:
        """The last n findings (fail or warn), newest last: check_id, verdict, message, exchange_id, at."""
        with self._lock:
            items = list(self._recent)[-n:] if n > 0 else []
        return [{k: f.as_dict()[k] for k in ("check_id", "verdict", "message", "exchange_id", "at")} for f in items]

    def summary(self) -> dict[str, Any]:
        """Counts per verdict and per check id, exchanges judged, the window (ISO; window_end None while open)."""
        with self._lock:
            per: dict[str, dict[str, int]] = {}
            for (cid, _iface), t in self._tallies.items():
                row = per.setdefault(cid, {"pass": 0, "fail": 0, "warn": 0})
                for k, v in t.counts.items():
                    row[k] += v
            totals = {v: sum(r[v] for r in per.values()) for v in ("pass", "fail", "warn")}
            return {"counts": totals, "checks": per, "exchanges": self.exchanges,
                    "window_start": iso(self.window_start),
                    "window_end": iso(self.window_end) if self.window_end is not None else None}

    def recent_exchanges(self, n: int = 20) -> list[dict[str, Any]]:
        """The last n exchanges of the journal as evidence dicts (newest last)."""
        if self.journal is None or n <= 0:
            return []
        return [e.evidence() for e in self.journal.since(max(0, self.journal.last_seq - n))][-n:]

    # ---- the report -----------------------------------------------------------------------------------
    def results(self) -> list[CheckResult]:
        """One row per (check id, interface): its worst verdict, counts and kept findings; skips for stimuli."""
        out = []
        for (cid, interface), t in sorted(self._tallies.items()):
            c = t.counts
            judged = c["pass"] + c["fail"] + c["warn"]
            head = f"{judged} judged: {c['pass']} pass, {c['fail']} fail, {c['warn']} warn"
            kept = t.kept()
            problems = [Problem(f"#{f.exchange_id} {f.message}" if f.exchange_id and not
                                f.message.startswith(f"#{f.exchange_id} ") else f.message, f.verdict, f.errata or None)
                        for f in kept]
            if t.seen > len(kept):
                problems.append(Problem(f"… {t.seen - len(kept)} more finding(s) between the first {KEEP} and the "
                                        f"last {KEEP}", "fail" if c["fail"] else "warn", None))
            seqs = sorted({f.exchange_id for f in kept if f.exchange_id})
            evidence = [{"kind": "ref", "exchange": s} for s in seqs]
            r = evaluate(cid, problems, interface=interface, stage=STAGE, evidence=evidence, pass_message=head)
            if problems:
                r.message = head + "; " + r.message
            out.append(r)
        judged = {cid for cid, _ in self._tallies}
        for cid, interface in sorted(self.judge.stimulus.items()):
            if cid not in judged:
                out.append(skipped(cid, STIMULUS + ": observe mode sends none, so an action's expected effect "
                                   "cannot be judged", interface=interface, stage=STAGE))
        for cid, (interface, why) in sorted(getattr(self.judge, "unavailable", {}).items()):
            if cid not in judged:
                out.append(skipped(cid, why, interface=interface, stage=STAGE))
        return out

    def model(self, *, sut: dict[str, Any] | None = None, signoff: dict[str, str] | None = None,
              reproduce: str = "") -> dict[str, Any]:
        """The report model: scope.stages ["pilot"], the `pilot` member, rows per check id and interface."""
        from harness.run import versions

        results = self.results()
        end = self.window_end if self.window_end is not None else time.time()
        counts = {v: sum(1 for r in results if r.verdict == v) for v in ("pass", "fail", "warn", "skip")}
        if self.harness_errors:
            verdict = "error"
        elif counts["fail"] or not self.exchanges:
            verdict = "fail"
        else:
            verdict = "pass"
        groups: dict[str, list[CheckResult]] = {}
        for r in results:
            groups.setdefault(r.interface, []).append(r)
        interfaces = [{"name": name, "stage": STAGE, "section": self.spec.section_of(name),
                       "verdict": stages.roll_up(r.verdict for r in rs), "checks": [r.as_dict() for r in rs]}
                      for name, rs in groups.items()]
        seqs = sorted({e["exchange"] for r in results for e in r.evidence if e.get("kind") == "ref"})
        exchanges = self._exchanges(seqs)
        errata = specdata.errata(self.spec.folder)
        hit = {e for r in results for e in r.errata}
        signoff = signoff or {}
        started, finished = iso(self.window_start), iso(end)
        problems = [] if self.exchanges else ["no exchange reached the mock during the window"]
        return {
            "tool": {"name": "vconform", "version": __version__},
            "spec": {"name": self.spec.name, "version": self.spec.version, "title_zh": self.spec.title_zh,
                     "title_en": self.spec.title_en},
            "role": "client",
            "profile": self.profile,
            "sut": sut or {"kind": "observed", "summary": f"{self.exchanges} exchanges observed"},
            "started": started, "finished": finished, "seed": 0, "verdict": verdict,
            "scope": {"partial": False, "only": [], "stages": [STAGE]},
            "counts": counts, "harness_errors": list(self.harness_errors),
            "stages": [{"name": STAGE, "verdict": "fail" if verdict == "fail" else
                        stages.roll_up(r.verdict for r in results) if results else "fail"}],
            "interfaces": interfaces,
            "errata": [{"id": k, **v, "hit": k in hit} for k, v in errata.items()],
            "known_gaps": specdata.known_gaps(self.spec.folder),
            "coverage": self.spec.coverage([r.id for r in results if r.verdict != "skip"]),
            "exchanges": exchanges,
            "reproduce": reproduce,
            "reproducibility": versions(),
            "signoff": {"tester": signoff.get("tester", ""), "organisation": signoff.get("organisation", ""),
                        "sut_name": signoff.get("sut_name", ""), "sut_version": signoff.get("sut_version", ""),
                        "date": finished[:10], "warnings": problems},
            "pilot": {"window_start": started, "window_end": finished, "exchanges": self.exchanges,
                      "observed": True, "time_scale": self.time_scale},
        }

    def _exchanges(self, seqs: list[int]) -> list[dict[str, Any]]:
        """The kept findings' exchanges, read back from the journal file (the same bytes live and offline)."""
        if not seqs or self.journal is None:
            return []
        self.journal.flush()
        out = []
        for i in range(0, len(seqs), 500):
            part = seqs[i:i + 500]
            marks = ",".join("?" * len(part))
            out += [ex.evidence() for ex in iter_exchanges(self.journal.path, f"seq IN ({marks})", tuple(part))]
        return out

    def write(self, out_dir: str | Path, *, sign_key: str | None = None, sut: dict[str, Any] | None = None,
              signoff: dict[str, str] | None = None, reproduce: str = "") -> dict[str, Any]:
        """Write the signed report (report.write_report) and close the journal; returns the model written."""
        from harness.report import write_report

        model = self.model(sut=sut, signoff=signoff, reproduce=reproduce or self.reproduce_line(out_dir))
        journal = None if self.journal is None or self.journal.temporary else self.journal.path
        if self.journal is not None:
            # Closed (its WAL checkpointed into the file) before the report hashes it: the hash signed is the
            # journal's final bytes, the file `vconform verify --journal` checks later.
            self.journal.close()
        write_report(model, out_dir, sign_key=sign_key, journal=journal)
        return model

    def reproduce_line(self, out_dir: str | Path) -> str:
        """How to re-derive this report: `vconform report --journal` on a kept journal; else how to observe again."""
        import shlex

        if self.journal is None or self.journal.temporary:
            line = ["vconform", "mock", self.spec.name, "--observe", "--report-dir", str(out_dir)]
        else:
            # into a folder of its own: re-deriving must not write over the signed report it is meant to check
            line = ["vconform", "report", "--journal", str(self.journal.path), "--spec", self.spec.name, "--out",
                    str(Path(out_dir).with_name(Path(out_dir).name + "-rederived"))]
        return " ".join(shlex.quote(p) for p in line)

    # ---- offline -------------------------------------------------------------------------------------
    @classmethod
    def replay(cls, spec, path: str | Path, *, profile: str | None = None) -> "Observer":
        """A fresh judge fed every exchange of a journal file, in order (`vconform report --journal`)."""
        meta = read_meta(path)
        profile = profile or meta.get("profile") or "default"
        judge_meta = {"level": getattr(spec, "level", "") or "", **(meta.get("judge") or {})}
        judge = judge_module(spec).make_judge(specdata.profile(spec.folder, profile), judge_meta)
        obs = cls(spec, judge, profile=profile, time_scale=float(meta.get("time_scale") or 1.0),
                  window_start=meta.get("window_start") or 0.0, record_findings=False)
        journal = Journal(path)  # opened to read: the path of the evidence, the hash the report signs
        obs.journal = journal
        first = last = None
        # an existing journal file observed again: this window's exchanges only (from `first_seq` on)
        for ex in iter_exchanges(path, "seq >= ?", (int(meta.get("first_seq") or 0),)):
            first = ex.time if first is None else first
            last = ex.time
            obs.see(ex)
        if not meta.get("window_start"):  # a run's journal: its window is its first to its last exchange
            obs.window_start = first if first is not None else time.time()
        obs.window_end = meta.get("window_end") or last or obs.window_start
        obs.finish()
        return obs


def keep_judge_meta(journal: Journal, judge_meta: dict[str, Any], profile: str | None = None) -> None:
    """Outside observe mode (a run's journal, a plain `vconform mock --journal`): keep in the journal file what the
    spec's judge needs to re-derive verdicts (its `judge` meta, e.g. the account sheet a mock logged operators in
    with) and the profile it ran under, so `vconform report --journal` judges with the same facts. Keys given replace
    those kept; nothing is kept for a temporary journal. Observe mode writes its own full meta over it."""
    if journal.temporary:
        return
    db = sqlite3.connect(str(journal.path), timeout=30)
    try:
        db.execute(META_TABLE)
        row = db.execute("SELECT value FROM observe_meta WHERE key = 'judge'").fetchone()
        kept = {**(json.loads(row[0]) if row else {}), **judge_meta}
        db.execute("INSERT OR REPLACE INTO observe_meta VALUES ('judge', ?)", (json.dumps(kept),))
        if profile:
            db.execute("INSERT OR REPLACE INTO observe_meta VALUES ('profile', ?)", (json.dumps(profile),))
        db.commit()
    finally:
        db.close()


def read_meta(path: str | Path) -> dict[str, Any]:
    """The observe-mode metadata a journal file holds (of a run's journal: the `judge` meta only, or {})."""
    db = sqlite3.connect(str(path))
    try:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name='observe_meta'").fetchone():
            return {}
        return {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM observe_meta")}
    finally:
        db.close()


def journal_spec(path: str | Path) -> str:
    """The spec a journal's exchanges were recorded for: observe metadata first, else the rows' `spec` column."""
    meta = read_meta(path)
    if meta.get("spec"):
        return str(meta["spec"])
    db = sqlite3.connect(str(path))
    try:
        names = [r[0] for r in db.execute("SELECT DISTINCT spec FROM exchanges LIMIT 3")]
    finally:
        db.close()
    if len(names) != 1:
        raise ObserveError(f"{path}: cannot tell the spec from the journal ({names or 'no exchanges'}); give --spec")
    return names[0]


def iter_exchanges(path: str | Path, where: str = "", params: tuple = ()) -> Iterator[Exchange]:
    """A journal file's exchanges one at a time, in seq order, as the mock recorded them (raw rows' views built)."""
    from harness.journal import _exchange

    db = sqlite3.connect(str(path))
    db.row_factory = sqlite3.Row
    try:
        for row in db.execute(f"SELECT * FROM exchanges {'WHERE ' + where if where else ''} ORDER BY seq", params):
            yield _exchange(dict(row))
    finally:
        db.close()


def echo_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)

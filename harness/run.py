"""A conformance run: its configuration, the results the suites record, and the report model built from them."""
from __future__ import annotations

import datetime as dt
import pickle
import platform
import random
import sqlite3
import threading
import time
from importlib import metadata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from harness import __version__, specdata, stages
from harness.checks import CheckResult
from harness.registry import SpecInfo, for_role


DEFAULT_DEADLINE = 3600.0  # seconds a whole run may take (`vconform run --deadline`); then it ends as `error`


# What decides the data a run generates from its seed: `--seed N` repeats a run only under the same versions.
REPRODUCIBILITY_KEYS = ("python", "hypothesis", "faker", "vconform")


def versions() -> dict[str, str]:
    """The versions of this install that decide generated data (report.json `reproducibility`)."""
    return {"python": platform.python_version(), "hypothesis": metadata.version("hypothesis"),
            "faker": metadata.version("faker"), "vconform": __version__}


def parse_versions(text: str) -> dict[str, str]:
    """`python=3.11.7,hypothesis=6.155.2,...` (every key of REPRODUCIBILITY_KEYS, once); ValueError says why not."""
    pairs = [p.strip() for p in text.split(",") if p.strip()]
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not value:
            raise ValueError(f"{pair!r} is not NAME=VERSION")
        if key not in REPRODUCIBILITY_KEYS:
            raise ValueError(f"unknown name {key!r}; known: {', '.join(REPRODUCIBILITY_KEYS)}")
        out[key] = value
    missing = [k for k in REPRODUCIBILITY_KEYS if k not in out]
    if missing:
        raise ValueError(f"missing {', '.join(missing)} (give all of {', '.join(REPRODUCIBILITY_KEYS)}, "
                         f"as the report's reproduce line does)")
    return out


def format_versions(found: dict[str, str]) -> str:
    return ",".join(f"{k}={found[k]}" for k in REPRODUCIBILITY_KEYS)


def version_mismatch(expected: dict[str, str]) -> str:
    """'' when this install has the expected versions; else one line naming each difference."""
    here = versions()
    diffs = [f"{k} {here[k]} here, {expected[k]} expected" for k in REPRODUCIBILITY_KEYS
             if k in expected and expected[k] != here[k]]
    if not diffs:
        return ""
    return (f"--expect-versions: {'; '.join(diffs)} — the same --seed would not generate the same data; install "
            f"the expected versions to replay, or drop --expect-versions for a new run")


class HarnessError(RuntimeError):
    """The harness itself could not run (bad arguments, adapter not found, port in use): exit 2."""


class DeadlineReached(HarnessError):
    """The whole-run deadline passed: the run ends with verdict `error`."""


@dataclass
class RunConfig:
    spec: str
    role: str = "client"
    sut_cmd: str | None = None
    target: str | None = None
    only: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    out: Path = Path("reports")
    seed: int | None = None
    profile: str = "default"
    sign_key: str | None = None
    signoff: dict[str, str] = field(default_factory=dict)
    journal: Path | None = None
    sut_name: str = ""
    sut_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    adapter_timeout: float | None = None  # seconds per adapter call; None: the spec's own, else 60
    deadline: float = DEFAULT_DEADLINE    # seconds for the whole run
    expect_versions: dict[str, str] = field(default_factory=dict)  # a replay: refuse to run under other versions
    campaign: str | None = None  # a campaign database URL: the signed report is recorded there (harness/campaign)

    @property
    def partial(self) -> bool:
        """A run restricted to some interfaces or stages: never a full certification."""
        return bool(self.only or self.stages)

    def __post_init__(self) -> None:
        if self.seed is None:
            self.seed = random.SystemRandom().randrange(1, 2**31)


class RunContext:
    """Collects check results from the suites; one per `vconform run`."""

    def __init__(self, config: RunConfig, spec: SpecInfo):
        self.config, self.spec = config, spec
        self.profile = specdata.profile(spec.folder, config.profile)
        self.results = ResultStore()  # on disk: a run of 100,000 exchanges does not hold its checks in memory
        self.secrets: set[str] = set()
        self.harness_errors: list[str] = []
        self.errata_hit: set[str] = set()
        self.started = _now()
        self.finished = ""
        self.sut_info: dict[str, Any] = {}
        self.current_stage = ""  # the running test's `stage` marker, set by the plugin
        self.deadline_at = time.monotonic() + float(config.deadline)  # the whole run ends by then (monotonic)

    def remaining(self) -> float:
        """Seconds left before the run's deadline (negative once it passed)."""
        return self.deadline_at - time.monotonic()

    def check_deadline(self) -> None:
        """Raise DeadlineReached once the run's deadline passed, noting it once as a harness error."""
        if self.remaining() > 0:
            return
        msg = f"run deadline reached: the run took more than {self.config.deadline:g} s (--deadline); not finished"
        if msg not in self.harness_errors:
            self.harness_errors.append(msg)
        raise DeadlineReached(msg)

    def client_sut(self, reference_label: str, reference_name: str) -> str | list[str]:
        """The client-role SUT command (--sut-cmd, else the spec's reference), noting it for the report."""
        cfg = self.config
        self.sut_info = {"kind": "command" if cfg.sut_cmd else "reference",
                         "cmd": cfg.sut_cmd or reference_label,
                         "name": cfg.sut_name or ("" if cfg.sut_cmd else reference_name),
                         "version": cfg.sut_version or ("" if cfg.sut_cmd else __version__)}
        return cfg.sut_cmd or self.spec.reference_cmd()

    def record(self, result: CheckResult) -> CheckResult:
        """Keep a check result; one that names no stage belongs to the running test's stage."""
        result.stage = result.stage or self.current_stage or stages.DEFAULT
        try:
            stages.get(result.stage)
        except stages.UnknownStage as exc:
            self.harness_errors.append(f"{result.id}: {exc}")
        self.results.append(result)
        self.errata_hit.update(result.errata)
        return result

    def add_secret(self, value: Any) -> None:
        if isinstance(value, str) and len(value) >= 6:
            self.secrets.add(value)

    def failures(self, interface: str | None = None, stage: str | None = None) -> list[CheckResult]:
        return [r for r in self.results if r.verdict == "fail"
                and (interface is None or r.interface == interface) and (stage is None or r.stage == stage)]

    @property
    def verdict(self) -> str:
        """The run's verdict: `error` when the harness could not complete the run (nothing else can be said of
        the SUT); else a run that recorded nothing fails; one whose checks were all skipped passes."""
        if self.harness_errors:
            return "error"
        return "fail" if not self.results or stages.roll_up(self.results.verdicts) == "fail" else "pass"

    def scope(self) -> dict[str, Any]:
        """What the run covered: `partial` when --only or --stage restricted it."""
        cfg = self.config
        return {"partial": cfg.partial, "only": list(cfg.only), "stages": list(cfg.stages)}

    def model(self, *, streamed: bool = False) -> dict[str, Any]:
        """The report model (DESIGN.md report.json) the writers consume. With `streamed`, each interface's checks
        and the exchanges are sequences read from the run's result store on disk, as often as the writer needs
        (what `vconform run` hands `write_report`: memory does not grow with the run); else lists of them."""
        self.finished = self.finished or _now()
        store = self.results
        counts = {v: store.counts.get(v, 0) for v in ("pass", "fail", "warn", "skip")}
        interfaces = []
        for (stage, name), group in store.groups.items():
            checks = store.group_checks(group)
            interfaces.append({"name": name, "stage": stage, "section": self.spec.section_of(name),
                               "verdict": stages.roll_up(group.verdicts),
                               "checks": checks if streamed else list(checks)})
        stage_list = [{"name": st, "verdict": stages.roll_up(store.stage_verdicts[st])}
                      for st in stages.ordered(store.stage_verdicts)]
        exchanges = store.exchanges()
        errata = specdata.errata(self.spec.folder)
        cfg = self.config
        return {
            "tool": {"name": "vconform", "version": __version__},
            "spec": {"name": self.spec.name, "version": self.spec.version, "title_zh": self.spec.title_zh,
                     "title_en": self.spec.title_en},
            "role": cfg.role,
            "profile": self.profile["name"],
            "sut": self.sut_info,
            "started": self.started,
            "finished": self.finished,
            "seed": cfg.seed,
            "verdict": self.verdict,
            "scope": self.scope(),
            "counts": counts,
            "harness_errors": self.harness_errors,
            "stages": stage_list,
            "interfaces": interfaces,
            "errata": [{"id": k, **v, "hit": k in self.errata_hit} for k, v in errata.items()],
            "known_gaps": specdata.known_gaps(self.spec.folder),
            "coverage": for_role(self.spec.coverage(list(store.judged_ids)), cfg.role),
            "exchanges": exchanges if streamed else list(exchanges),
            "reproduce": self.reproduce_line(),
            "reproducibility": versions(),
            "signoff": {"tester": cfg.signoff.get("tester", ""), "organisation": cfg.signoff.get("organisation", ""),
                        "sut_name": cfg.sut_name or self.sut_info.get("name", ""),
                        "sut_version": cfg.sut_version or self.sut_info.get("version", ""),
                        "date": self.finished[:10], "warnings": self.signoff_warnings()},
        }

    def signoff_warnings(self) -> list[str]:
        """What makes the sign-off less than a person's word: a blank tester or organisation."""
        return [f"{label} is blank (--{flag}): nobody is named as {what} this report"
                for key, flag, label, what in (("tester", "tester", "tester", "having run"),
                                               ("organisation", "organisation", "organisation", "answering for"))
                if not str(self.config.signoff.get(key, "")).strip()]

    def reproduce_line(self) -> str:
        cfg = self.config
        parts = ["vconform", "run", cfg.spec, "--role", cfg.role, "--seed", str(cfg.seed)]
        if cfg.profile != "default":
            parts += ["--profile", cfg.profile]
        if cfg.sut_cmd:
            parts += ["--sut-cmd", repr(cfg.sut_cmd)]
        if cfg.target:
            parts += ["--target", cfg.target]
        for o in cfg.only:
            parts += ["--only", o]
        for st in cfg.stages:
            parts += ["--stage", st]
        if cfg.adapter_timeout:
            parts += ["--adapter-timeout", f"{cfg.adapter_timeout:g}"]
        if cfg.deadline != DEFAULT_DEADLINE:
            parts += ["--deadline", f"{cfg.deadline:g}"]
        parts += ["--expect-versions", format_versions(versions())]  # the seed replays only under these
        return " ".join(parts)


class _Group:
    """One (stage, interface) of a run's results: its number in the store, its size and the verdicts it holds."""

    __slots__ = ("number", "size", "verdicts")

    def __init__(self, number: int) -> None:
        self.number, self.size, self.verdicts = number, 0, set()


class ResultStore:
    """A run's check results, kept on disk as they are recorded (an unnamed temporary SQLite database, deleted when
    closed or when the process ends), so that a run of 100,000 exchanges does not hold them in memory. A sequence
    of `CheckResult` for the suites and the terminal (`len`, index, slice, iteration: each read back from disk);
    the report model reads each (stage, interface)'s checks and the distinct exchanges their evidence cites
    (`group_checks`, `exchanges`). In memory only what does not grow with the run: counts per verdict, the
    groups, the verdicts seen per stage, the ids of the checks judged."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
        self._db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE checks (n INTEGER PRIMARY KEY, grp INTEGER NOT NULL, body BLOB NOT NULL);"
            "CREATE INDEX checks_by_group ON checks (grp, n);"
            "CREATE TABLE exchanges (seq PRIMARY KEY, body BLOB NOT NULL);"
            "BEGIN;")  # one transaction, never committed: the database lives as long as the run
        self._lock = threading.Lock()
        self._n = 0
        self.counts: dict[str, int] = {}
        self.groups: dict[tuple[str, str], _Group] = {}
        self.stage_verdicts: dict[str, set[str]] = {}
        self.judged_ids: dict[str, None] = {}  # ids of the checks not skipped, in the order first judged
        self._exchanges = 0

    def append(self, result: CheckResult) -> None:
        raw = result.as_dict()
        try:
            body = pickle.dumps(raw, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):  # evidence holding a live object: its JSON form
            from harness.report.writers import normalise

            raw = normalise(raw)
            body = pickle.dumps(raw, protocol=pickle.HIGHEST_PROTOCOL)
        cited = [(item["seq"], item) for item in raw.get("evidence") or []
                 if isinstance(item, dict) and item.get("kind") == "exchange" and item.get("seq")]
        with self._lock:
            group = self.groups.get((result.stage, result.interface))
            if group is None:
                group = self.groups[(result.stage, result.interface)] = _Group(len(self.groups))
            self._n += 1
            self._db.execute("INSERT INTO checks VALUES (?, ?, ?)", (self._n, group.number, body))
            for seq, item in cited:  # each exchange once, as the first check citing it had it
                self._exchanges += self._db.execute(
                    "INSERT OR IGNORE INTO exchanges VALUES (?, ?)",
                    (seq, pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))).rowcount
            group.size += 1
            group.verdicts.add(result.verdict)
            self.stage_verdicts.setdefault(result.stage, set()).add(result.verdict)
            self.counts[result.verdict] = self.counts.get(result.verdict, 0) + 1
            if result.verdict != "skip":
                self.judged_ids.setdefault(result.id, None)

    @property
    def verdicts(self) -> set[str]:
        return {v for v, n in self.counts.items() if n}

    def __len__(self) -> int:
        return self._n

    def _rows(self, sql: str, args: tuple[Any, ...]) -> Iterator[Any]:
        """Bodies read in batches (the lock is not held between them: a check recorded meanwhile is not lost)."""
        with self._lock:
            cur = self._db.execute(sql, args)
            rows = cur.fetchmany(256)
        while rows:
            for (body,) in rows:
                yield pickle.loads(body)
            with self._lock:
                rows = cur.fetchmany(256)

    def __iter__(self) -> Iterator[CheckResult]:
        return (CheckResult(**raw) for raw in self._rows("SELECT body FROM checks ORDER BY n", ()))

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._n)
            if step != 1:
                return list(self)[index]
            return [CheckResult(**raw) for raw in self._rows(
                "SELECT body FROM checks WHERE n > ? AND n <= ? ORDER BY n", (start, max(start, stop)))]
        n = index + self._n if index < 0 else index
        if not 0 <= n < self._n:
            raise IndexError("result index out of range")
        return next(CheckResult(**raw) for raw in self._rows("SELECT body FROM checks WHERE n = ?", (n + 1,)))

    def group_checks(self, group: _Group) -> "StoredChecks":
        return StoredChecks(self, group)

    def exchanges(self) -> "StoredExchanges":
        return StoredExchanges(self)


class StoredChecks:
    """One (stage, interface)'s checks as the report model lists them (`_compact`), read from the store each time
    the sequence is iterated."""

    def __init__(self, store: ResultStore, group: _Group) -> None:
        self._store, self._group = store, group

    def __len__(self) -> int:
        return self._group.size

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (_compact(raw) for raw in self._store._rows(
            "SELECT body FROM checks WHERE grp = ? ORDER BY n", (self._group.number,)))

    def __getitem__(self, index: int) -> dict[str, Any]:
        n = index + len(self) if index < 0 else index
        if not 0 <= n < len(self):
            raise IndexError("check index out of range")
        return next(_compact(raw) for raw in self._store._rows(
            "SELECT body FROM checks WHERE grp = ? ORDER BY n LIMIT 1 OFFSET ?", (self._group.number, n)))


class StoredExchanges:
    """The distinct exchanges the run's checks cite, in the order of their journal sequence numbers."""

    def __init__(self, store: ResultStore) -> None:
        self._store = store

    def __len__(self) -> int:
        return self._store._exchanges

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._store._rows("SELECT body FROM exchanges ORDER BY seq", ())


def _compact(check: dict[str, Any]) -> dict[str, Any]:
    """Failures and warnings keep their evidence inline; a pass points at the journal's exchanges by seq.

    Every exchange is kept once in the report's `exchanges` list (the store keeps the first a check cited), so a
    run of a thousand passing checks stays a few MB instead of repeating the same request under each check."""
    keep_inline = check["verdict"] in ("fail", "warn")
    evidence = []
    for item in check.get("evidence") or []:
        if isinstance(item, dict) and item.get("kind") == "exchange" and item.get("seq"):
            evidence.append(item if keep_inline else {"kind": "ref", "exchange": item["seq"],
                                                      "path": item.get("path", ""), "outcome": item.get("outcome", "")})
        elif isinstance(item, dict) and item.get("kind") == "adapter" and not keep_inline:
            evidence.append({k: item.get(k) for k in ("kind", "call", "action", "exit_code", "timed_out",
                                                     "duration_ms")})
        else:
            evidence.append(item)
    check["evidence"] = evidence
    return check


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")

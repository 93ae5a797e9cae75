"""One runner for every spec's catalog of broken implementations (tests/specs/<spec>/catalog.toml).

A catalog is data (tests/specs/<spec>/catalog.toml, plus any catalog_*.toml beside it: a document with several
levels keeps one file per level, each with its own [run] tables): per role, how its implementations start, and entries naming a variant, the `vconform run`
arguments that reach its defect, and the verdict expected (a check that fails with its clause, a check that
warns citing an erratum, or a clean pass). This module loads the entries, runs them and says what differs from the
expectation. A run calls `vconform run` in the test process (harness.cli.main) unless its entry says `cli = true`;
the SUT is whatever its [run] table starts (a client command per action, a platform in-process or as a process).
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
import tomllib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "tests" / "specs"
SEED = "4242"
PARALLEL = 2
ENTRY_KEYS = {"variant", "name", "args", "fails", "clause", "warns", "errata", "passes", "message_has", "why", "cli"}
STARTS = {"sut-cmd", "in-process", "subprocess"}
SCOPES = {"--only", "--stage"}  # a failing or warning entry names the interfaces or stages that expose its defect


@dataclass(frozen=True)
class Entry:
    spec: str
    role: str
    variant: str
    name: str
    args: tuple[str, ...] = ()
    fails: str = ""
    clause: str = ""
    warns: str = ""
    errata: str = ""
    passes: bool = False
    message_has: tuple[str, ...] = ()
    source: str = "catalog.toml"  # the catalog file of tests/specs/<spec>/ the entry is written in
    cli: bool = False  # run `python -m harness.cli` as its own process (the command line end to end), not in-process

    @property
    def key(self) -> str:
        return f"{self.spec}-{self.role}-{self.name}"


def catalog_path(spec: str) -> Path:
    return SPECS / spec / "catalog.toml"


def catalog_files(spec: str) -> list[Path]:
    """catalog.toml first, then catalog_*.toml (one per level of a multi-level document)."""
    folder = SPECS / spec
    return [p for p in [catalog_path(spec), *sorted(folder.glob("catalog_*.toml"))] if p.exists()]


def _read(spec: str, source: str = "catalog.toml") -> dict[str, Any]:
    path = SPECS / spec / source
    return tomllib.loads(path.read_text("utf-8")) if path.exists() else {}


def load(spec: str) -> list[Entry]:
    """The spec's entries, checked for shape: exactly one expectation each, names unique, roles startable."""
    out: list[Entry] = []
    seen: set[str] = set()
    for path in catalog_files(spec):
        out += _load_file(spec, path, seen)
    return out


def _load_file(spec: str, path: Path, seen: set[str]) -> list[Entry]:
    data = _read(spec, path.name)
    runs = data.get("run", {})
    out = []
    for role in ("client", "server"):
        rows = data.get(role, [])
        if rows and (role not in runs or runs[role].get("start") not in STARTS):
            raise ValueError(f"{path}: [run.{role}] needs file and start (one of {sorted(STARTS)})")
        for row in rows:
            unknown = set(row) - ENTRY_KEYS
            kinds = [k for k in ("fails", "warns", "passes") if row.get(k)]
            where = f"{path}: {role} {row.get('name', row.get('variant'))!r}"
            if unknown:
                raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
            if len(kinds) != 1:
                raise ValueError(f"{where}: exactly one of fails / warns / passes, got {kinds}")
            if row.get("fails") and not row.get("clause"):
                raise ValueError(f"{where}: a failing check needs its clause")
            if row.get("warns") and not row.get("errata"):
                raise ValueError(f"{where}: a warning expected needs the erratum it cites")
            if (row.get("fails") or row.get("warns")) and not SCOPES & set(row.get("args", ())):
                raise ValueError(f"{where}: a broken implementation runs only what exposes its defect: give args "
                                 f"{' or '.join(sorted(SCOPES))} (a flow check: --stage flow)")
            e = Entry(spec, role, row["variant"], row.get("name", row["variant"]), tuple(row.get("args", ())),
                      row.get("fails", ""), row.get("clause", ""), row.get("warns", ""), row.get("errata", ""),
                      bool(row.get("passes")), tuple(row.get("message_has", ())), path.name, bool(row.get("cli")))
            if e.key in seen:
                raise ValueError(f"{where}: entry named twice; give one a `name`")
            seen.add(e.key)
            out.append(e)
    return out


def failing_ids(spec: str) -> set[str]:
    """Every check id the spec's catalog expects to fail (for the registry-wide coverage test)."""
    return {e.fails for e in load(spec) if e.fails}


# ---- running one entry ------------------------------------------------------------------------------------

@dataclass
class Outcome:
    code: int
    report: dict
    output: str


def implementation(entry: Entry) -> Path:
    """The file whose VARIANTS hold the entry's broken implementation."""
    return SPECS / entry.spec / _read(entry.spec, entry.source)["run"][entry.role]["file"]


def run(entry: Entry, out: Path) -> Outcome:
    how = _read(entry.spec, entry.source)["run"][entry.role]
    impl = implementation(entry)
    base = [sys.executable, "-m", "harness.cli", "run", entry.spec, "--seed", SEED, "--out", str(out / "report")]
    if how["start"] == "sut-cmd":
        return _vconform(base + ["--sut-cmd", f"{sys.executable} {impl} {entry.variant}", *entry.args], out, entry.cli)
    base[5:5] = ["--role", "server"]
    if how["start"] == "in-process":
        from harness.serve import BackgroundServer

        srv = BackgroundServer(_module(impl).make(entry.variant).app).start()
        try:
            return _vconform(base + ["--target", srv.url + how.get("path", ""), *entry.args], out, entry.cli)
        finally:
            srv.stop()
    platform = subprocess.Popen([sys.executable, str(impl), entry.variant], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    try:
        line = platform.stdout.readline()
        if not line.startswith("listening on "):
            return Outcome(2, {}, line + platform.stderr.read())
        return _vconform(base + ["--target", line.split()[-1], *entry.args], out, entry.cli)
    finally:
        platform.terminate()
        platform.wait(30)


_MODULES: dict[Path, Any] = {}
_LOCK = threading.Lock()


def _module(path: Path):
    with _LOCK:
        if path not in _MODULES:
            spec = importlib.util.spec_from_file_location(f"catalog_{path.parent.name}_{path.stem}", path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            _MODULES[path] = mod
        return _MODULES[path]


def _vconform(cmd: list[str], out: Path, cli: bool = False) -> Outcome:
    """`vconform run` with `cmd`'s arguments: called in this process (harness.cli.main, as `vconform` does), or as
    its own `python -m harness.cli` process when `cli` is set (an entry marked `cli = true`) or the environment
    says VCONFORM_CATALOG_SUBPROCESS=1. In-process saves a Python start and the harness's imports per entry."""
    if cli or subprocess_mode():
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                              env={**os.environ, "VCONFORM_HOME": str(out / "home")})
        code, output = proc.returncode, proc.stdout + proc.stderr
    else:
        code, output = in_process(cmd[3:], out / "home")
    path = out / "report" / "report.json"
    report = json.loads(path.read_text("utf-8")) if path.exists() else {}
    return Outcome(code, report, output)


_IN_PROCESS = threading.Lock()  # one in-process run at a time: it swaps os.environ and sys.stdout for the run


def in_process(argv: list[str], home: Path) -> tuple[int, str]:
    """`vconform ARGV` in this process with $VCONFORM_HOME at `home`: its exit code and what it printed."""
    import contextlib
    import io

    from harness import cli

    with _IN_PROCESS:
        text = io.StringIO()
        before = os.environ.get("VCONFORM_HOME")
        os.environ["VCONFORM_HOME"] = str(home)
        try:
            with contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
                try:
                    code = cli.main(argv)
                except SystemExit as exc:  # argparse refuses the arguments: exit 2, as from the shell
                    code = exc.code if isinstance(exc.code, int) else 2
        finally:
            if before is None:
                os.environ.pop("VCONFORM_HOME", None)
            else:
                os.environ["VCONFORM_HOME"] = before
        return code, text.getvalue()


# ---- judging ----------------------------------------------------------------------------------------------

def results(report: dict, verdict: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for iface in report.get("interfaces", []):
        for c in iface["checks"]:
            if c["verdict"] == verdict:
                out.setdefault(c["id"], []).append(c)
    return out


def mismatches(entry: Entry, o: Outcome) -> list[str]:
    """What differs from the entry's expectation; empty when the run came out as the catalog says."""
    fails = results(o.report, "fail")
    if entry.passes or entry.warns:
        out = [] if o.code == 0 else [f"exit {o.code}, 0 expected"]
        if fails:
            out.append(f"failures {sorted(fails)}, none expected")
        if entry.warns:
            warned = results(o.report, "warn").get(entry.warns, [])
            if not any(entry.errata in c["errata"] for c in warned):
                out.append(f"{entry.warns} did not warn citing {entry.errata}")
            if not any(e["id"] == entry.errata and e["hit"] for e in o.report.get("errata", [])):
                out.append(f"the report's errata register does not mark {entry.errata} as hit")
        return out
    out = [] if o.code == 1 else [f"exit {o.code}, 1 expected"]
    if o.report.get("verdict") != "fail":
        out.append(f"report verdict {o.report.get('verdict')!r}, 'fail' expected")
    mine = fails.get(entry.fails, [])
    if not mine:
        return out + [f"{entry.fails} not among failures {sorted(fails)}"]
    if entry.clause not in {c["spec_ref"] for c in mine}:
        out.append(f"{entry.fails} failed under {sorted({c['spec_ref'] for c in mine})}, clause {entry.clause!r} expected")
    for words in entry.message_has:
        if not any(words in c["message"] for c in mine):
            out.append(f"{entry.fails} message lacks {words!r}: {mine[0]['message'][:300]}")
    if entry.role == "server" and not (f"--seed {SEED}" in o.report.get("reproduce", "")
                                       and "--target" in o.report.get("reproduce", "")):
        out.append(f"reproduce line lacks the seed or the target: {o.report.get('reproduce')!r}")
    return out


def subprocess_mode() -> bool:
    """VCONFORM_CATALOG_SUBPROCESS=1: every entry runs `python -m harness.cli` as its own process (as before the
    in-process runner; for comparing the two)."""
    return os.environ.get("VCONFORM_CATALOG_SUBPROCESS") == "1"


class Runs:
    """The selected entries' runs. In-process (the default) each runs when a test asks for it (`get`), in the
    test's own thread: parallelism comes from pytest-xdist's workers, each running its own tests' entries. With
    `ahead` (subprocess mode outside xdist) all are started together on a pool of PARALLEL workers instead."""

    def __init__(self, entries: list[Entry], base: Path, ahead: bool = False):
        self.base = base
        self.pool = ThreadPoolExecutor(max_workers=PARALLEL, thread_name_prefix="catalog") if ahead else None
        self.futures: dict[str, Future] = {}
        self.done: dict[str, Outcome] = {}
        for e in entries if ahead else ():
            self.start(e)

    def start(self, entry: Entry) -> Future:
        if entry.key not in self.futures:
            self.futures[entry.key] = self.pool.submit(run, entry, self.base / entry.key)
        return self.futures[entry.key]

    def get(self, entry: Entry) -> Outcome:
        """The entry's outcome (run now if it was not started ahead; once per module either way)."""
        if self.pool is not None:
            return self.start(entry).result()
        if entry.key not in self.done:
            self.done[entry.key] = run(entry, self.base / entry.key)
        return self.done[entry.key]

    def entry(self, spec: str, role: str, name: str) -> Entry:
        (found,) = [e for e in load(spec) if (e.role, e.name) == (role, name)]
        return found

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

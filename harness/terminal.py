"""What `vconform run` prints: one progress line per test as it finishes, and at the end one line per distinct root
cause (check id + normalised message) with its clause, how far it reached and a pointer into report.json.

pytest's own output never reaches the terminal (the runner captures it and shows it only on a harness error)."""
from __future__ import annotations

import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable, TextIO

import pytest

from harness import stages

# What differs between repeats of one defect and says nothing about its cause: times, quoted values (ids, record
# keys), hex ids, sequence numbers, counts and sizes. Exit and status codes stay (`exited 1` is not `exited 2`).
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
_VOLATILE = [
    (_TIME, "<time>"),
    (re.compile(r"(?<![\w'\"])(?:'[^'\s]*'|\"[^\"\s]*\")(?![\w'\"])"), "<v>"),   # 'CL2025...', "5306..."
    (re.compile(r"<v>(?:, <v>)+"), "<v>"),                                     # a list of them: one value
    (re.compile(r"(?<==)[A-Za-z0-9_.\-]{8,}"), "<id>"),                          # recordId=2025...MAHY0W7A
    (re.compile(r"\b[0-9a-fA-F]{8,}\b"), "<id>"),
    (re.compile(r"#\d+"), "#<n>"),
    (re.compile(r"(?<!exited )(?<!exit )(?<!code )(?<!status )(?<![\w.])\d+(?:\.\d+)?"), "<n>"),
]
# A leading "what was being done" label that names a time (a fuzz stage's "100 records from <time> over 3 pages: "):
# the defect is what follows it, the same whatever batch the stage was sending.
_CONTEXT = re.compile(r"^[^:;]*<time>[^:;]*:\s*")
# How to reproduce a failure (a fuzz stage's "seed N; replay: vconform run ..."): it and what follows it are not
# part of the defect.
_REPRODUCE = re.compile(r"^(?:seed|replay|reproduce)\b")
MESSAGE_WIDTH = 100  # characters of a root cause's message on its line
MAX_CAUSES = 8  # root causes printed (the first ones, in report order); the report lists every failure
MAX_CAUSE_LINES = 16  # terminal lines they may take (a narrow terminal puts a cause on two or three)
MAX_HARNESS_ERRORS = 5  # distinct harness errors printed; the report lists all


def normalise_message(message: str, interfaces: Iterable[str] = ()) -> str:
    """The grouping key of a failure message (one function, used by the terminal and the HTML report): what varies
    between repeats of one defect replaced (interface names, times, ids, quoted values, numbers and counts), a
    leading context label naming a time dropped, and a message that joins the same finding several times ("; ")
    reduced to its distinct findings, so one defect is one cause."""
    text = " ".join(str(message).split())
    names = sorted({n for n in interfaces if n}, key=len, reverse=True)
    if names:
        text = re.sub(r"(?<![\w-])(" + "|".join(map(re.escape, names)) + r")(?![\w-])", "<interface>", text)
    for pattern, repl in _VOLATILE:
        text = pattern.sub(repl, text)
    parts = []
    for part in text.split("; "):
        part = _CONTEXT.sub("", part).strip()
        if _REPRODUCE.match(part):
            break  # the reproduction (and the falsifying example after it) follows the findings
        if part and part not in parts:
            parts.append(part)
    return "; ".join(parts)


@dataclass
class RootCause:
    check_id: str
    clause: str
    message: str            # the first occurrence's message, as written
    pointer: str            # JSON pointer into report.json of the first failing check of this cause
    count: int = 0          # failing checks with this cause
    interfaces: list[str] = field(default_factory=list)
    replay: str = ""        # `vconform replay ... --call N` of the first failing row's adapter call, if any

    def line(self, width: int | None = None) -> str:
        """The cause fitted to `width` columns (default: the terminal's width): one line when the check id, clause,
        count, pointer into report.json and a useful part of the message fit on it, else the message (and when
        needed the clause) on indented lines below; the interfaces and the message are shortened to fit (the report
        keeps the full text); the replay command, never cut, goes on its own line when it does not fit beside them.
        Wide (CJK) characters count two columns."""
        width = terminal_width() if width is None else width
        where = ", ".join(self.interfaces[:2]) + (f" +{len(self.interfaces) - 2}" if len(self.interfaces) > 2 else "")
        head = f"  FAIL {self.check_id} [{self.clause}] ×{self.count}"
        tail = f"  → report.json#{self.pointer}"
        replay = f"  replay: {self.replay}" if self.replay else ""
        msg = " ".join(self.message.split())
        msg = msg if len(msg) <= MESSAGE_WIDTH else msg[:MESSAGE_WIDTH - 1] + "…"
        full = f"{head} ({where}): {msg}{tail}"
        if columns(full + replay) <= width:
            return full + replay
        # The replay command is copied and pasted whole: when it does not fit beside the cause, its own line.
        below = f"\n       replay: {self.replay}" if self.replay else ""
        if columns(full) <= width:
            return full + below
        room = width - columns(f"{head} ({where}): {tail}")
        if room >= 40:
            return f"{head} ({where}): {fit(msg, room)}{tail}{below}"
        # Too narrow for one line: the check id, count and pointer first, the clause and the message below.
        text = f"       {msg} ({where})"
        if columns(head + tail) <= width:
            return head + tail + "\n" + fit(text, width) + below
        return (f"  FAIL {self.check_id} ×{self.count}{tail}\n" + fit(f"       [{self.clause}]", width) + "\n"
                + fit(text, width) + below)


def terminal_width() -> int:
    """Columns of the terminal `vconform run` prints to (100 when it is not a terminal)."""
    return max(40, shutil.get_terminal_size((100, 24)).columns)


def columns(text: str) -> int:
    """Terminal columns `text` takes: wide and full-width characters (CJK) take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fit(line: str, width: int | None = None) -> str:
    """`line` cut to `width` terminal columns (default: the terminal's) with an ellipsis; the report keeps the full
    text."""
    width = terminal_width() if width is None else width
    if columns(line) <= width:
        return line
    out, used = [], 0
    for ch in line:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def root_causes(model: dict[str, Any]) -> list[RootCause]:
    """Failing checks of the report model grouped by check id and normalised message, in report order."""
    causes: dict[tuple[str, str], RootCause] = {}
    names = [str(i.get("name", "")) for i in model.get("interfaces") or []]
    for i, iface in enumerate(model.get("interfaces") or []):
        name = str(iface.get("name", ""))
        for j, chk in enumerate(iface.get("checks") or []):
            if chk.get("verdict") != "fail":
                continue
            key = (str(chk.get("id", "")), normalise_message(chk.get("message", ""), names))
            cause = causes.get(key)
            if cause is None:
                one_line = " ".join(str(chk.get("message", "")).split())
                cause = causes[key] = RootCause(key[0], str(chk.get("spec_ref", "")), one_line,
                                                f"/interfaces/{i}/checks/{j}")
                call = next((str(e["replay"]) for e in chk.get("evidence") or []
                             if isinstance(e, dict) and e.get("kind") == "adapter" and e.get("replay")), "")
                cause.replay = call.rsplit(" --call ", 1)[0] + f" --check {key[0]}" if call else ""
            cause.count += 1
            if name not in cause.interfaces:
                cause.interfaces.append(name)
    return list(causes.values())


def distinct(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))


# "suites/x.py::test_y[z]: HarnessError: cannot reach the target ...": a test stopped by a harness error.
_TEST_ERROR = re.compile(r"^(?P<test>\S+::\S+): (?P<kind>[A-Za-z_][\w.]*): (?P<reason>.*)$", re.DOTALL)


def harness_reasons(errors: Iterable[str], explained: Iterable[str]) -> tuple[list[str], bool]:
    """(the distinct one-line reasons of a run's harness errors, each with how many tests it stopped; whether any
    is an unexplained exception). An error of a kind in `explained` (HarnessError and its subclasses: they carry
    their own reason) is shown by its reason alone, whatever test met it; any other exception (a harness bug)
    keeps its test and exception name, and asks for pytest's output."""
    explained = set(explained)
    counts: dict[str, int] = {}
    unexplained = False
    for err in errors:
        err = str(err)
        m = _TEST_ERROR.match(err)
        if m and m.group("kind").rsplit(".", 1)[-1] in explained:
            line = m.group("reason").splitlines()[0] if m.group("reason") else m.group("kind")
        else:
            unexplained = unexplained or bool(m)
            line = err.splitlines()[0] if err else ""
        counts[line] = counts.get(line, 0) + (1 if m else 0)
    return [f"{line} ({n} tests)" if n > 1 else line for line, n in counts.items()], unexplained


class ProgressPlugin:
    """Prints one line per interface (or flow step) as it finishes: stage, interface, how many checks it recorded
    and their rolled-up verdict. Consecutive tests of one stage and label (a parametrised flow step) share a line."""

    def __init__(self, ctx, stream: TextIO):
        self.ctx, self.stream = ctx, stream
        self._start = 0
        self._skipped = False
        self._why = ""  # why a test ended without judging anything (its pytest.fail message)
        self._group_why = ""
        self._item = None
        self._pending: tuple[str, str] | None = None
        self._results: list = []
        self._all_skipped = True
        self._errors_before = 0
        self._harness_hit = False  # a harness error was noted while the pending line's tests ran

    def pytest_runtest_logstart(self, nodeid, location) -> None:
        self._start = len(self.ctx.results)
        self._errors_before = len(self.ctx.harness_errors)
        self._skipped = False
        self._why = ""

    def pytest_runtest_logreport(self, report) -> None:
        if report.skipped:
            self._skipped = True
        if report.failed and not self._why:
            self._why = _reason(report)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_teardown(self, item, nextitem) -> None:
        self._item = item

    def pytest_runtest_logfinish(self, nodeid, location) -> None:
        item = self._item
        if item is None or item.nodeid != nodeid:
            return
        key = (_marker(item, "stage") or self.ctx.current_stage or stages.DEFAULT,
               _marker(item, "interface") or _label(item))
        if key != self._pending:
            self.flush()
            self._pending, self._results, self._all_skipped, self._group_why = key, [], True, ""
            self._harness_hit = False
        self._results += self.ctx.results[self._start:]
        if len(self.ctx.harness_errors) > getattr(self, "_errors_before", 0):
            self._why = ""  # a harness error, not the SUT's: the summary prints its reason once, not per test
            self._harness_hit = True
        self._group_why = self._group_why or self._why
        self._all_skipped = self._all_skipped and self._skipped

    def pytest_sessionfinish(self, session) -> None:
        self.flush()

    def flush(self) -> None:
        if self._pending is None:
            return
        stage, label = self._pending
        results = self._results
        if not results and getattr(self, "_harness_hit", False) and not self._group_why:
            self._pending = None  # judged nothing because the harness failed: no per-test line
            return
        if results:
            verdict = stages.roll_up(r.verdict for r in results)
            fails = sum(1 for r in results if r.verdict == "fail")
            state = f"{verdict} ({fails})" if fails else verdict
        else:
            state = "skip" if self._all_skipped else (f"not judged: {self._group_why}" if self._group_why
                                                      else "no checks")
        print(fit(f"  {stage:<9} {label:<24} {len(results):>4} checks  {state}"), file=self.stream, flush=True)
        self._pending = None


def _marker(item, name: str) -> str:
    m = item.get_closest_marker(name)
    return str(m.args[0]) if m and m.args else ""


def _reason(report) -> str:
    """The one-line reason a test ended (`pytest.fail("connect failed")` -> "connect failed")."""
    text = getattr(report, "longreprtext", "") or ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("E "):
            line = line[1:].strip()
            for prefix in ("Failed: ", "harness.pytest_plugin.SutFailure: "):
                line = line[len(prefix):] if line.startswith(prefix) else line
            return line[:80]
    return (lines[-1][:80] if lines else "the test failed")


def _label(item) -> str:
    name = getattr(item, "originalname", "") or getattr(item, "name", "") or item.nodeid
    return name[5:] if name.startswith("test_") else name

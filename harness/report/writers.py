"""Report writers fed by the one report model: report.json and junit.xml, plus helpers the HTML writer shares."""
from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import hashlib
import itertools
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Iterable, Iterator

from harness import stages

HARNESS_SUITE = "harness"  # the JUnit suite that carries the run's harness errors as <error> elements
# Characters XML 1.0 cannot carry at all (an adapter's stderr may hold any byte); replaced, not escaped.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _to_json(obj: Any) -> Any:
    if hasattr(obj, "as_dict"):
        return obj.as_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, (bytes, bytearray)):
        try:
            return bytes(obj).decode("utf-8")
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(bytes(obj)).decode("ascii")
    if isinstance(obj, (_dt.datetime, _dt.date, _dt.time)):
        return obj.isoformat()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=str)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"report model holds a {type(obj).__name__}, which has no JSON form")


def normalise(model: Any) -> Any:
    """A plain-JSON deep copy of the model (or of any part of it), so what is signed is exactly what report.json
    reads back as."""
    return json.loads(json.dumps(model, default=_to_json, ensure_ascii=False))


class Spool:
    """A sequence of values kept in an unnamed temporary file instead of memory (the report writer's redacted
    exchanges and checks): appended, then read back in order as often as needed (or one by index), one value in
    memory at a time. Several spools may share one file (`Spool(share=other)`): each keeps the offsets of its own
    values (16 bytes each). Pickled, so every value reads back exactly as written (a NaN, an integer of any size)."""

    def __init__(self, share: "Spool | None" = None) -> None:
        import tempfile
        from array import array

        if share is None:
            self._file = tempfile.TemporaryFile(prefix="vconform-report-")  # unlinked: gone when closed or on exit
            self._owner = True
        else:
            self._file, self._owner = share._file, False
        self._offsets = array("q")
        self._ends = array("q")

    def append(self, value: Any) -> None:
        import pickle

        fh = self._file
        self._offsets.append(fh.seek(0, 2))
        pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        self._ends.append(fh.tell())

    def __len__(self) -> int:
        return len(self._offsets)

    def __getitem__(self, index: int) -> Any:
        import pickle

        self._file.seek(self._offsets[index])
        return pickle.loads(self._file.read(self._ends[index] - self._offsets[index]))

    def __iter__(self) -> Iterator[Any]:
        """The values in order, read a run of adjacent values (up to 1 MB) at a time; appending while reading is
        allowed (each block is read at its own offset)."""
        import pickle

        offsets, ends, fh = self._offsets, self._ends, self._file
        k = 0
        while k < len(offsets):
            j = k + 1
            while j < len(offsets) and offsets[j] == ends[j - 1] and ends[j] - offsets[k] <= 1 << 20:
                j += 1
            base = offsets[k]
            fh.seek(base)
            block = memoryview(fh.read(ends[j - 1] - base))
            for i in range(k, j):
                yield pickle.loads(block[offsets[i] - base:ends[i] - base])
            k = j

    def close(self) -> None:
        if self._owner:
            self._file.close()


def sequence(value: Any) -> bool:
    """A value the writers read as an array: a list, a tuple, or a re-iterable sized sequence (a spool on disk)."""
    return isinstance(value, (list, tuple)) or (hasattr(value, "__iter__") and hasattr(value, "__len__")
                                                 and not isinstance(value, (str, bytes, bytearray, dict)))


_NOT_LAZY = frozenset({str, int, float, bool, type(None), dict, list, tuple})  # decided by the type alone


def lazy(value: Any) -> bool:
    """An array that is not in memory (a spool): written an element at a time, never as one value."""
    return type(value) not in _NOT_LAZY and sequence(value) and not isinstance(value, (list, tuple))


def stage_of(check: dict[str, Any], interface: dict[str, Any]) -> str:
    return check.get("stage") or interface.get("stage") or stages.DEFAULT


def iter_checks(model: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Every check in report order as (stage, interface, check)."""
    for iface in model.get("interfaces") or []:
        for chk in iface.get("checks") or []:
            yield stage_of(chk, iface), iface, chk


def stage_names(model: dict[str, Any]) -> list[str]:
    """The stages the model lists or a check names, in the engine's stage order."""
    listed = [s.get("name") for s in model.get("stages") or [] if s.get("name")]
    return stages.ordered(itertools.chain(listed, (stage for stage, _, _ in iter_checks(model))))


def stage_verdicts(model: dict[str, Any]) -> dict[str, str]:
    """Each stage's verdict: as the model states it, else rolled up from its checks (engine roll-up)."""
    stated = {s.get("name"): s.get("verdict", "") for s in model.get("stages") or []}
    return {name: stated.get(name) or stages.roll_up(chk.get("verdict", "") for st, _, chk in iter_checks(model)
                                                     if st == name)
            for name in stage_names(model)}


def count_verdicts(checks: Iterable[dict[str, Any]]) -> dict[str, int]:
    counts = {"pass": 0, "fail": 0, "warn": 0, "skip": 0}
    for chk in checks:
        v = chk.get("verdict", "")
        counts[v] = counts.get(v, 0) + 1
    return counts


class CheckIndex:
    """What the writers need to know of a run's checks as a whole, gathered in one pass (by the report writer as
    it spools the checks, else by `of`): the stages named, counts per stage and verdict, per interface and stage
    the counts, the verdicts seen and the positions of the checks that did not pass or failed, the counts JUnit
    names are chosen by, the errata each check cites, the number of exchanges. With it each file reads the
    checks themselves once (and report.html the rows it shows), not once per thing it says about them."""

    def __init__(self) -> None:
        self.stages: dict[str, None] = {}  # stages the checks name, in report order
        self.stage_counts: dict[str, dict[str, int]] = {}  # stage -> verdict -> checks
        self.parts: dict[tuple[int, str], _Part] = {}  # (interface index, stage) -> its checks
        self.failing: dict[int, list[int]] = {}  # interface index -> positions of its failing checks
        self.per_id: dict[tuple[str, str], int] = {}  # (interface name, check id) -> checks
        self.per_id_stage: dict[tuple[str, str, str], int] = {}  # (interface name, check id, stage) -> checks
        self.errata: dict[Any, set[Any]] = {}  # erratum id -> ids of the checks citing it
        self.n_exchanges = 0  # exchanges that are objects

    def add(self, i: int, iface: dict[str, Any], j: int, chk: dict[str, Any]) -> None:
        """Note check `j` of interface `i` (as the files will show it: redacted)."""
        stage = stage_of(chk, iface)
        verdict = chk.get("verdict", "")
        self.stages[stage] = None
        counts = self.stage_counts.setdefault(stage, {})
        counts[verdict] = counts.get(verdict, 0) + 1
        part = self.parts.get((i, stage))
        if part is None:
            part = self.parts[(i, stage)] = _Part()
        part.counts[verdict] = part.counts.get(verdict, 0) + 1
        if verdict == "pass":
            part.passing += 1
        else:
            part.not_passing.append(j)
            if verdict == "fail":
                self.failing.setdefault(i, []).append(j)
        key = (str(iface.get("name", "")), str(chk.get("id", "")))
        self.per_id[key] = self.per_id.get(key, 0) + 1
        self.per_id_stage[key + (stage,)] = self.per_id_stage.get(key + (stage,), 0) + 1
        for eid in chk.get("errata") or []:
            self.errata.setdefault(eid, set()).add(chk.get("id", ""))

    def add_exchange(self, item: Any) -> None:
        self.n_exchanges += isinstance(item, dict)

    @classmethod
    def of(cls, model: dict[str, Any]) -> "CheckIndex":
        """The index of a model's checks and exchanges, read once."""
        index = cls()
        for i, iface in enumerate(model.get("interfaces") or []):
            for j, chk in enumerate(iface.get("checks") or []):
                index.add(i, iface, j, chk)
        for item in model.get("exchanges") or []:
            index.add_exchange(item)
        return index

    def stage_names(self, model: dict[str, Any]) -> list[str]:
        """`stage_names(model)`."""
        listed = [s.get("name") for s in model.get("stages") or [] if s.get("name")]
        return stages.ordered(itertools.chain(listed, self.stages))

    def stage_verdicts(self, model: dict[str, Any]) -> dict[str, str]:
        """`stage_verdicts(model)`."""
        stated = {s.get("name"): s.get("verdict", "") for s in model.get("stages") or []}
        return {name: stated.get(name) or stages.roll_up(self.stage_counts.get(name, {}))
                for name in self.stage_names(model)}

    def counts(self) -> dict[str, int]:
        """`count_verdicts` of every check."""
        total = {"pass": 0, "fail": 0, "warn": 0, "skip": 0}
        for counts in self.stage_counts.values():
            for v, n in counts.items():
                total[v] = total.get(v, 0) + n
        return total


class _Part:
    """One interface's checks in one stage: counts per verdict, how many passed, the positions of the others."""

    __slots__ = ("counts", "passing", "not_passing")

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.passing = 0
        self.not_passing: list[int] = []


def sha256_file(path: Path) -> str:
    """The file's SHA-256, read a megabyte at a time (report.html of 100,000 exchanges is 250 MB)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def format_duration(ms: Any) -> str:
    """A duration as a person reads it: milliseconds with at most one decimal below a second, else seconds with two
    (3.4567 -> "3.5 ms", 40 -> "40 ms", 12345.6 -> "12.35 s"); anything that is not a number as given."""
    if not isinstance(ms, (int, float)) or isinstance(ms, bool):
        return f"{ms} ms"
    if abs(ms) < 1000:
        return f"{ms:.1f}".rstrip("0").rstrip(".") + " ms"
    return f"{ms / 1000:.2f} s"


def evidence_line(item: Any) -> str:
    """One line summing up an evidence item, for places with no room for the whole of it."""
    if not isinstance(item, dict):
        return str(item)[:200]
    kind = item.get("kind")
    if kind == "exchange" or ("method" in item and "path" in item):
        line = f"#{item.get('seq', '?')} {item.get('method', '')} {item.get('path', '')} -> {item.get('status', '-')}"
        if item.get("outcome") not in (None, "", "ok"):
            line += f" [{item['outcome']}]"
        if item.get("duration_ms") is not None:
            line += f" ({format_duration(item['duration_ms'])})"
        return line + (f" — {item['note']}" if item.get("note") else "")
    if kind == "adapter":
        took = format_duration(item.get("duration_ms", "-"))
        return f"adapter {item.get('action', '')} exit={item.get('exit_code', '-')} ({took})"
    if kind == "note" and "text" in item:
        return str(item["text"])[:200]
    return json.dumps(item, ensure_ascii=False, sort_keys=True)[:200]


# -- report.json ----------------------------------------------------------------------------------------------

def render_json(model: dict[str, Any]) -> str:
    return json.dumps(model, ensure_ascii=False, indent=2) + "\n"


def write_json(model: dict[str, Any], path: Path) -> Path:
    Path(path).write_text(render_json(model), encoding="utf-8")
    return Path(path)


# -- junit.xml ------------------------------------------------------------------------------------------------

def _x(value: Any) -> str:
    return _XML_ILLEGAL.sub("\ufffd", "" if value is None else str(value))


def render_junit(model: dict[str, Any], index: "CheckIndex | None" = None) -> bytes:
    """JUnit XML: one <testsuite> per stage, one <testcase> per check; warn passes with its message in system-out."""
    return b"".join(junit_chunks(model, index))


def junit_chunks(model: dict[str, Any], index: "CheckIndex | None" = None) -> Iterator[bytes]:
    """junit.xml in pieces, never held whole (a run of 100,000 exchanges has 300,000 test cases): byte-equal to the
    element tree `xml.etree` would indent and write for the whole document. Each element is made and escaped by
    `xml.etree` itself, one test case at a time; only the layout around them (indentation, start and end tags of
    the suites) is written here. The counts and names come from the run's `CheckIndex` (the writer's, else one
    pass); the checks are then read once, each stage's from the interfaces that hold some."""
    index = index if index is not None else CheckIndex.of(model)
    spec = (model.get("spec") or {}).get("name", "spec")
    order = index.stage_names(model)
    total = index.counts()
    n_checks = sum(total.values())
    harness_errors = [str(e) for e in model.get("harness_errors") or []]
    scope = model.get("scope") or {}
    title = f"vconform {spec} {(model.get('spec') or {}).get('version', '')} {model.get('role', '')}".strip()
    if scope.get("partial"):
        title += " PARTIAL RUN (not a full certification)"
    root = ET.Element("testsuites", {
        "name": _x(title), "tests": str(n_checks + len(harness_errors)), "failures": str(total["fail"]),
        "errors": str(len(harness_errors)), "skipped": str(total["skip"]),
    })
    suites = list(order) + ([HARNESS_SUITE] if harness_errors and HARNESS_SUITE not in order else [])
    yield b"<?xml version='1.0' encoding='utf-8'?>\n"
    if not suites:
        yield _xml(root) + b"\n"
        return
    yield _start_tag(root)
    names = _junit_namer(model, index)
    props = ET.Element("properties")
    for name, value in (("spec", spec), ("spec_version", (model.get("spec") or {}).get("version")),
                        ("role", model.get("role")), ("profile", model.get("profile")),
                        ("seed", model.get("seed")), ("sut", (model.get("sut") or {}).get("name")),
                        ("reproduce", model.get("reproduce")), ("verdict", model.get("verdict")),
                        ("partial", "true" if scope.get("partial") else "")):
        if value not in (None, ""):
            ET.SubElement(props, "property", {"name": name, "value": _x(value)})
    ET.indent(props, level=2)
    props_xml = b"\n    " + _xml(props)
    for stage in suites:
        counts = index.stage_counts.get(stage) or {}
        errors = harness_errors if stage == HARNESS_SUITE else []
        n_items = sum(counts.values())
        suite = ET.Element("testsuite", {
            "name": _x(stage), "tests": str(n_items + len(errors)), "failures": str(counts.get("fail", 0)),
            "errors": str(len(errors)),
            "skipped": str(counts.get("skip", 0)), "timestamp": _x(model.get("started", "")),
        })
        yield b"\n  " + _start_tag(suite) + props_xml
        for n, text in enumerate(errors, 1):
            case = ET.Element("testcase", {"classname": _x(f"{spec}.{HARNESS_SUITE}"),
                                           "name": _x(f"harness-error-{n}"), "time": "0.000"})
            err = ET.SubElement(case, "error", {"message": _x(text.splitlines()[0][:500] if text else ""),
                                                "type": "HarnessError"})
            err.text = _x(text)
            yield _case_xml(case)
        if n_items:
            buf: list[bytes] = []
            for i, iface in enumerate(model.get("interfaces") or []):
                if (i, stage) not in index.parts:
                    continue
                for chk in iface.get("checks") or []:
                    st = stage_of(chk, iface)
                    if st != stage:
                        continue
                    buf.append(_case_xml(_testcase(spec, iface, chk, names(st, iface, chk))))
                    if len(buf) >= 512:
                        yield b"".join(buf)
                        buf = []
            yield b"".join(buf)
        yield b"\n  </testsuite>"
    yield b"\n</testsuites>\n"


def _testcase(spec: str, iface: dict[str, Any], chk: dict[str, Any], name: str) -> ET.Element:
    case = ET.Element("testcase", {"classname": _x(f"{spec}.{iface.get('name', '')}"), "name": _x(name),
                                   "time": _seconds(chk)})
    verdict = chk.get("verdict")
    message = _x(chk.get("message", ""))
    if verdict == "fail":
        fail = ET.SubElement(case, "failure", {"message": message, "type": _x(chk.get("severity", ""))})
        fail.text = _x(_failure_text(chk))
    elif verdict == "skip":
        ET.SubElement(case, "skipped", {"message": message})
    elif verdict == "warn":
        out = ET.SubElement(case, "system-out")
        errata = ", ".join(chk.get("errata") or [])
        out.text = f"WARN{' [' + _x(errata) + ']' if errata else ''}: {message}"
    return case


def _xml(elem: ET.Element) -> bytes:
    # As ElementTree.write encodes a document: characters UTF-8 cannot carry (a lone surrogate) as references.
    return ET.tostring(elem, encoding="unicode").encode("utf-8", "xmlcharrefreplace")


def _start_tag(elem: ET.Element) -> bytes:
    """`<tag attr="...">` escaped as ElementTree escapes it (the element must have no children or text)."""
    empty = _xml(elem)
    return empty[:-3] + b">"  # "<tag a=... />" -> "<tag a=...>"


def _case_xml(case: ET.Element) -> bytes:
    ET.indent(case, level=2)  # a case sits at depth 2 (testsuites > testsuite > testcase)
    return b"\n    " + _xml(case)


def _junit_namer(model: dict[str, Any], index: "CheckIndex | None" = None):
    """`junit_names` for a run read as a stream: the counts are taken from the index (else in one pass), then
    `name(stage, iface, chk)` names each check when it is met again in report order (within its stage: the only
    order the #n counts)."""
    index = index if index is not None else CheckIndex.of(model)
    per_id, per_stage = index.per_id, index.per_id_stage
    counter: dict[tuple[str, str, str], int] = {}

    def name(stage: str, iface: dict[str, Any], chk: dict[str, Any]) -> str:
        iname, cid = str(iface.get("name", "")), str(chk.get("id", ""))
        if per_id[(iname, cid)] == 1:
            return cid
        if per_stage[(iname, cid, stage)] == 1:
            return f"{cid} [{stage}]"
        counter[(iname, cid, stage)] = n = counter.get((iname, cid, stage), 0) + 1
        return f"{cid} [{stage} #{n}]"

    return name


def junit_names(model: dict[str, Any]) -> dict[int, str]:
    """A JUnit name per check (keyed by id() of the check dict), unique within its classname (spec.interface), as CI
    tools key test history on classname+name: the check id alone when it ran once for that interface; else
    `<check id> [<stage>]`, and `<check id> [<stage> #n]` (n = 1, 2, ... in report order) when it also repeated
    within one stage (flow loops). For a model held in memory; junit.xml itself names checks as it streams them."""
    name = _junit_namer(model)
    return {id(chk): name(stage, iface, chk) for stage, iface, chk in iter_checks(model)}


def _seconds(chk: dict[str, Any]) -> str:
    """Time spent on a check as CI shows it: the summed durations of its evidence (exchanges, adapter runs)."""
    total = 0.0
    for item in chk.get("evidence") or []:
        ms = item.get("duration_ms") if isinstance(item, dict) else None
        if isinstance(ms, (int, float)) and not isinstance(ms, bool):
            total += ms
    return f"{total / 1000:.3f}"


def _failure_text(chk: dict[str, Any]) -> str:
    lines = [str(chk.get("message", "")), f"spec: {chk.get('spec_ref', '')}  severity: {chk.get('severity', '')}"]
    if chk.get("errata"):
        lines.append("errata: " + ", ".join(chk["errata"]))
    lines += ["evidence: " + evidence_line(item) for item in chk.get("evidence") or []]
    return "\n".join(lines)


def write_junit(model: dict[str, Any], path: Path, *, index: "CheckIndex | None" = None) -> Path:
    with Path(path).open("wb") as fh:
        for chunk in junit_chunks(model, index):
            fh.write(chunk)
    return Path(path)

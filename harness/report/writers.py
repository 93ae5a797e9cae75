"""Report writers fed by the one report model: report.json and junit.xml, plus helpers the HTML writer shares."""
from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Iterator

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
    """A list of plain-JSON values kept in an unnamed temporary file instead of memory (the report writer's redacted
    exchanges): appended once, then read back, in order, as often as needed, one value in memory at a time.
    Pickled, so every value reads back exactly as written (a NaN, an integer of any size)."""

    def __init__(self) -> None:
        import tempfile

        self._file = tempfile.TemporaryFile(prefix="vconform-report-")  # unlinked: gone when closed or on exit
        self._n = 0
        self._writing = True

    def append(self, value: Any) -> None:
        import pickle

        if not self._writing:
            raise ValueError("spool is read-only once read")
        pickle.dump(value, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._n += 1

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[Any]:
        import pickle

        self._writing = False
        self._file.flush()
        self._file.seek(0)
        for _ in range(self._n):
            yield pickle.load(self._file)

    def close(self) -> None:
        self._file.close()


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
    return stages.ordered(listed + [stage for stage, _, _ in iter_checks(model)])


def stage_verdicts(model: dict[str, Any]) -> dict[str, str]:
    """Each stage's verdict: as the model states it, else rolled up from its checks (engine roll-up)."""
    stated = {s.get("name"): s.get("verdict", "") for s in model.get("stages") or []}
    return {name: stated.get(name) or stages.roll_up(chk.get("verdict", "") for st, _, chk in iter_checks(model)
                                                     if st == name)
            for name in stage_names(model)}


def count_verdicts(checks: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"pass": 0, "fail": 0, "warn": 0, "skip": 0}
    for chk in checks:
        v = chk.get("verdict", "")
        counts[v] = counts.get(v, 0) + 1
    return counts


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


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


def render_junit(model: dict[str, Any]) -> bytes:
    """JUnit XML: one <testsuite> per stage, one <testcase> per check; warn passes with its message in system-out."""
    spec = (model.get("spec") or {}).get("name", "spec")
    by_stage: dict[str, list[tuple[dict, dict]]] = {name: [] for name in stage_names(model)}
    for stage, iface, chk in iter_checks(model):
        by_stage[stage].append((iface, chk))

    all_checks = [chk for _, _, chk in iter_checks(model)]
    names = junit_names(model)
    total = count_verdicts(all_checks)
    harness_errors = [str(e) for e in model.get("harness_errors") or []]
    scope = model.get("scope") or {}
    title = f"vconform {spec} {(model.get('spec') or {}).get('version', '')} {model.get('role', '')}".strip()
    if scope.get("partial"):
        title += " PARTIAL RUN (not a full certification)"
    root = ET.Element("testsuites", {
        "name": _x(title), "tests": str(len(all_checks) + len(harness_errors)), "failures": str(total["fail"]),
        "errors": str(len(harness_errors)), "skipped": str(total["skip"]),
    })
    if harness_errors:  # the run could not be completed: one <error> per harness error, in a suite of its own
        by_stage.setdefault(HARNESS_SUITE, [])
    for stage, items in by_stage.items():
        counts = count_verdicts([chk for _, chk in items])
        errors = harness_errors if stage == HARNESS_SUITE else []
        suite = ET.SubElement(root, "testsuite", {
            "name": _x(stage), "tests": str(len(items) + len(errors)), "failures": str(counts["fail"]),
            "errors": str(len(errors)),
            "skipped": str(counts["skip"]), "timestamp": _x(model.get("started", "")),
        })
        props = ET.SubElement(suite, "properties")
        for name, value in (("spec", spec), ("spec_version", (model.get("spec") or {}).get("version")),
                            ("role", model.get("role")), ("profile", model.get("profile")),
                            ("seed", model.get("seed")), ("sut", (model.get("sut") or {}).get("name")),
                            ("reproduce", model.get("reproduce")), ("verdict", model.get("verdict")),
                            ("partial", "true" if scope.get("partial") else "")):
            if value not in (None, ""):
                ET.SubElement(props, "property", {"name": name, "value": _x(value)})
        for n, text in enumerate(errors, 1):
            case = ET.SubElement(suite, "testcase", {"classname": _x(f"{spec}.{HARNESS_SUITE}"),
                                                     "name": _x(f"harness-error-{n}"), "time": "0.000"})
            err = ET.SubElement(case, "error", {"message": _x(text.splitlines()[0][:500] if text else ""),
                                                "type": "HarnessError"})
            err.text = _x(text)
        for iface, chk in items:
            case = ET.SubElement(suite, "testcase", {
                "classname": _x(f"{spec}.{iface.get('name', '')}"), "name": _x(names[id(chk)]),
                "time": _seconds(chk),
            })
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
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def junit_names(model: dict[str, Any]) -> dict[int, str]:
    """A JUnit name per check (keyed by id() of the check dict), unique within its classname (spec.interface), as CI
    tools key test history on classname+name: the check id alone when it ran once for that interface; else
    `<check id> [<stage>]`, and `<check id> [<stage> #n]` (n = 1, 2, ... in report order) when it also repeated
    within one stage (flow loops)."""
    entries = [(id(chk), str(iface.get("name", "")), str(chk.get("id", "")), stage)
               for stage, iface, chk in iter_checks(model)]
    per_id: dict[tuple[str, str], int] = {}
    per_stage: dict[tuple[str, str, str], int] = {}
    for _, iface, cid, stage in entries:
        per_id[(iface, cid)] = per_id.get((iface, cid), 0) + 1
        per_stage[(iface, cid, stage)] = per_stage.get((iface, cid, stage), 0) + 1
    names: dict[int, str] = {}
    counter: dict[tuple[str, str, str], int] = {}
    for ident, iface, cid, stage in entries:
        if per_id[(iface, cid)] == 1:
            names[ident] = cid
        elif per_stage[(iface, cid, stage)] == 1:
            names[ident] = f"{cid} [{stage}]"
        else:
            counter[(iface, cid, stage)] = n = counter.get((iface, cid, stage), 0) + 1
            names[ident] = f"{cid} [{stage} #{n}]"
    return names


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


def write_junit(model: dict[str, Any], path: Path) -> Path:
    Path(path).write_bytes(render_junit(model))
    return Path(path)

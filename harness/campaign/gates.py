"""The rollout gates, in order: interface -> flow -> pilot -> go-live (names from harness/stages.py).

Pure functions over recorded runs (dicts with the `runs` table's columns, `interfaces` and `stages`), for ONE
SUT version: results of another version never count, so a new version reopens every stage. Within a version the
latest evidence decides (a later failing run of an interface, a later failing full run, a later failing pilot
takes a passed stage back).

- interface: every interface of the spec level has, as its latest interface-stage verdict, `pass` (possibly
  from separate `--only` runs); a run the harness could not complete (`error`) counts as not passed.
- flow: the latest full (not partial) run with a flow stage passed that stage, and was not an `error`.
- pilot: the latest pilot report (scope.stages == ["pilot"], an observed window) passed with a window of at least
  the configured length and at least the configured number of exchanges.
- go-live: all three passed.

A stage whose earlier stage is not passed is `refused`, naming that stage; the first stage not passed is `open`,
with what is missing.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from harness import stages as _stages

GATES = ("interface", "flow", "pilot", "go-live")
DEFAULT_PILOT_WINDOW = 72 * 3600.0
DEFAULT_PILOT_EXCHANGES = 100
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

_stages.require_known(GATES)  # the vocabulary is the engine's


@dataclass(frozen=True)
class PilotRule:
    window: float = DEFAULT_PILOT_WINDOW  # seconds
    min_exchanges: int = DEFAULT_PILOT_EXCHANGES

    def text(self) -> str:
        return f"window >= {format_duration(self.window)}, >= {self.min_exchanges} exchanges"


def parse_duration(text: str) -> float:
    """`72h`, `10m`, `90s`, `3d` or a number of seconds; ValueError says why not."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text or "")
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a duration (e.g. 72h, 10m, 90s)")
    return float(m.group(1)) * _UNITS[m.group(2) or "s"]


def format_duration(seconds: float) -> str:
    for unit in ("h", "m"):
        if seconds >= _UNITS[unit] and seconds % _UNITS[unit] == 0:
            return f"{int(seconds // _UNITS[unit])}{unit}"
    return f"{seconds:g}s"


def when(iso: str) -> dt.datetime:
    """An ISO time of a report; one without an offset is taken as UTC."""
    t = dt.datetime.fromisoformat(iso)
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def _latest(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(runs, key=lambda r: (when(r["finished"]), r["id"]), reverse=True)


def interface_board(runs: list[dict[str, Any]], interfaces: list[str]) -> list[dict[str, Any]]:
    """Per interface, its latest interface-stage verdict among `runs` (any version): the board's rows."""
    rows = []
    for name in interfaces:
        row = {"interface": name, "verdict": "not run", "at": "", "sut_version": "", "tool_version": "", "report": ""}
        for run in _latest(runs):
            if name in run["interfaces"].get("interface", {}):
                verdict = run["interfaces"]["interface"][name]
                row.update(verdict="error" if run["verdict"] == "error" else verdict, at=run["finished"],
                           sut_version=run["sut_version"], tool_version=run["tool_version"],
                           report=run["report_path"], digest=run["digest"])
                break
        rows.append(row)
    return rows


def evaluate(runs: list[dict[str, Any]], version: str, interfaces: list[str], rule: PilotRule,
             newer_than: str = "") -> list[dict[str, Any]]:
    """The four gates for `version`: [{stage, state, reason, at, evidence: [run ...]}] in order."""
    mine = [r for r in runs if r["sut_version"] == version]
    reopened = (f"; SUT version {version} is new: a new version reopens every stage (results of {newer_than} "
                f"do not count)") if newer_than else ""
    results: list[dict[str, Any]] = []

    # interface
    board = interface_board(mine, interfaces)
    missing = [row["interface"] for row in board if row["verdict"] != "pass"]
    if not interfaces:
        results.append(_gate("interface", "open", "the spec lists no interfaces", "", []))
    elif missing:
        detail = ", ".join(f"{row['interface']} ({row['verdict']})" for row in board if row["verdict"] != "pass")
        results.append(_gate("interface", "open", f"{len(missing)} of {len(interfaces)} interfaces not passed for "
                             f"version {version}: {detail}{reopened}", "", []))
    else:
        used = {row["digest"]: row for row in board}
        evidence = [r for r in mine if r["digest"] in used]
        results.append(_gate("interface", "passed", f"all {len(interfaces)} interfaces passed for version {version} "
                             f"in {len(evidence)} run(s)", max(row["at"] for row in board), evidence))

    # flow
    full = [r for r in _latest(mine) if not r["partial"] and "flow" in r["stages"]]
    if not full:
        results.append(_gate("flow", "open", f"no full (not partial) run with a flow stage for version {version}"
                             + reopened, "", []))
    else:
        last = full[0]
        if last["verdict"] != "error" and last["stages"]["flow"] == "pass":
            results.append(_gate("flow", "passed", f"flow stage passed in the full run of {last['finished']}",
                                 last["finished"], [last]))
        else:
            what = "did not complete (error)" if last["verdict"] == "error" else f"flow {last['stages']['flow']}"
            results.append(_gate("flow", "open", f"the latest full run for version {version} ({last['finished']}) "
                                 f"{what}", "", [last]))

    # pilot
    pilots = [r for r in _latest(mine) if r["pilot"] is not None]
    if not pilots:
        results.append(_gate("pilot", "open", f"no pilot report (observe mode) for version {version}; needs "
                             f"{rule.text()}" + reopened, "", []))
    else:
        last = pilots[0]
        problem = pilot_problem(last, rule)
        if problem:
            results.append(_gate("pilot", "open", f"the latest pilot report ({last['finished']}) {problem}", "", [last]))
        else:
            p = last["pilot"]
            scale = p.get("time_scale", 1) or 1
            shortened = f"; the SUT's timers ran {scale:g} times faster (a shortened pilot)" if scale != 1 else ""
            results.append(_gate("pilot", "passed", f"observed {p['exchanges']} exchanges over "
                                 f"{format_duration(pilot_seconds(p))} with no fail ({rule.text()}){shortened}",
                                 last["finished"], [last]))

    # go-live
    if all(g["state"] == "passed" for g in results):
        results.append(_gate("go-live", "passed", f"interface, flow and pilot passed for version {version}",
                             max(g["at"] for g in results), []))
    else:
        results.append(_gate("go-live", "open", "", "", []))

    # the order: the first stage not passed is open, every later one refused naming it
    first_open = next((g for g in results if g["state"] != "passed"), None)
    if first_open is not None:
        for g in results[results.index(first_open) + 1:]:
            waits = " (its own evidence passed and waits for it)" if g["state"] == "passed" else ""
            g["reason"] = f"the {first_open['stage']} stage is open for version {version}{waits}"
            g["state"], g["at"] = "refused", ""
    return results


def pilot_seconds(pilot: dict[str, Any]) -> float:
    return (when(pilot["window_end"]) - when(pilot["window_start"])).total_seconds()


def pilot_problem(run: dict[str, Any], rule: PilotRule) -> str:
    """'' when a pilot report satisfies the rule; else why not."""
    p = run["pilot"]
    if run["verdict"] != "pass" or run["stages"].get("pilot") not in ("pass",):
        return f"has verdict {run['verdict']} (pilot stage {run['stages'].get('pilot', 'absent')}): a violation or " \
               f"an incomplete observation"
    try:
        seconds = pilot_seconds(p)
    except (KeyError, TypeError, ValueError):
        return "has no readable observation window"
    if seconds < rule.window:
        return f"observed {format_duration(seconds)}, less than the configured window {format_duration(rule.window)}"
    if int(p.get("exchanges", 0)) < rule.min_exchanges:
        return f"observed {p.get('exchanges', 0)} exchanges, fewer than the configured minimum {rule.min_exchanges}"
    return ""


def _gate(stage: str, state: str, reason: str, at: str, evidence: list[dict[str, Any]]) -> dict[str, Any]:
    return {"stage": stage, "state": state, "reason": reason, "at": at, "evidence": evidence}

"""What a load worker judged, as counts: per (check id, interface) how many answers were judged, failed and warned,
with the first few messages and their evidence; plus named counters (e.g. uploads the platform acknowledged).

Workers keep one `Tally` each and send its `snapshot()` (cumulative, JSON) with every Locust stats report; the
master keeps the newest snapshot per worker, and `merge` adds them up. No Locust here: the spec's behaviour and
the unit tests use it without gevent.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from harness.checks import CheckResult, Problem, evaluate, fail

KEEP = 3  # messages (and evidence items) kept per check and interface; the counts say how many there were


class Tally:
    def __init__(self, sample_every: int = 10):
        if sample_every < 1:
            raise ValueError("sample_every must be >= 1")
        self.sample_every = sample_every
        self.checks: dict[str, dict[str, Any]] = {}
        self.counters: dict[str, int] = {}
        self._seen = 0

    def sample(self) -> bool:
        """True for one call in `sample_every` (deterministic: every K-th answer, never a random subset)."""
        self._seen += 1
        return self._seen % self.sample_every == 0

    def judge(self, check_id: str, interface: str, problems: Iterable[Problem] | None,
              evidence: Callable[[], Iterable[dict[str, Any]]] | Iterable[dict[str, Any]] = ()) -> bool:
        """Count one judgement; keep its messages and evidence while fewer than KEEP are kept. True when it passed.

        `evidence` may be a callable: it is called only when the evidence is kept (building it costs time)."""
        problems = list(problems or [])
        entry = self.checks.setdefault(f"{check_id}|{interface}", {
            "id": check_id, "interface": interface, "judged": 0, "fail": 0, "warn": 0, "problems": [], "evidence": []})
        entry["judged"] += 1
        fails = [p for p in problems if p.level == "fail"]
        if fails:
            entry["fail"] += 1
        elif problems:
            entry["warn"] += 1
        if problems and len(entry["problems"]) < KEEP:
            entry["problems"].extend({"message": p.message, "level": p.level, "errata": p.errata}
                                     for p in (fails or problems)[:KEEP - len(entry["problems"])])
            entry["evidence"].extend(list(evidence() if callable(evidence) else evidence)[:1])
        return not fails

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + n

    def snapshot(self) -> dict[str, Any]:
        return {"checks": {k: {**v, "problems": list(v["problems"]), "evidence": list(v["evidence"])}
                           for k, v in self.checks.items()},
                "counters": dict(self.counters)}


def merge(snapshots: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The sum of several workers' snapshots (each cumulative for its worker)."""
    out: dict[str, Any] = {"checks": {}, "counters": {}}
    for snap in snapshots:
        for key, e in snap.get("checks", {}).items():
            into = out["checks"].setdefault(key, {"id": e["id"], "interface": e["interface"], "judged": 0, "fail": 0,
                                                  "warn": 0, "problems": [], "evidence": []})
            for n in ("judged", "fail", "warn"):
                into[n] += e[n]
            room = KEEP - len(into["problems"])
            if room > 0:
                into["problems"].extend(e["problems"][:room])
                into["evidence"].extend(e["evidence"][:room])
        for name, n in snap.get("counters", {}).items():
            out["counters"][name] = out["counters"].get(name, 0) + n
    return out


def results(merged: dict[str, Any], *, stage: str) -> list[CheckResult]:
    """One check result per (check id, interface): failed when any judged answer failed, with the count."""
    out = []
    for e in sorted(merged.get("checks", {}).values(), key=lambda e: (e["interface"], e["id"])):
        shown = [Problem(p["message"], p["level"], p.get("errata")) for p in e["problems"]]
        if e["fail"]:
            shown.insert(0, fail(f"{e['fail']} of {e['judged']} answers judged under load failed; the first "
                                 f"{min(KEEP, e['fail'])} follow"))
        out.append(evaluate(e["id"], shown, interface=e["interface"], stage=stage, evidence=e["evidence"],
                            pass_message=f"{e['judged']} answers judged under load, none failed"))
    return out

"""The client-role fuzz stage's bookkeeping, shared by both levels (suites/henan/city/test_city_3_client_fuzz.py,
suites/henan/province/test_province_6_client_fuzz.py): Hypothesis drives one business event per example; what each
example's checks found is gathered per check id and recorded once, with the failing example and the replay line."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.checks import CheckResult, Problem, fail


class Failed(Exception):
    """An example the software under test got wrong (its problems are kept in Findings)."""


@dataclass
class Findings:
    checks: tuple[str, ...]
    problems: dict[str, list[Problem]] = field(init=False)
    evidence: dict[str, list[Any]] = field(init=False)
    results: list[CheckResult] = field(default_factory=list)  # failures of the other checks, as judged

    def __post_init__(self) -> None:
        self.problems = {c: [] for c in self.checks}
        self.evidence = {c: [] for c in self.checks}

    def judged(self, results: list[CheckResult]) -> None:
        """Keep the failures of the checks judged per action besides the ones gathered here."""
        self.results.extend(r for r in results if r.verdict == "fail" and r.id not in self.checks)

    def add(self, found: dict[str, list[Problem]], evidence: list[Any]) -> list[str]:
        """Gather one example's problems by check id; returns the ids that found any."""
        bad = []
        for cid, probs in found.items():
            self.problems[cid] += probs
            if probs:
                self.evidence[cid] = evidence
                bad.append(cid)
        return bad

    def record(self, session, vrun, outcome, *, interface: str, stage: str, what: str) -> list[CheckResult]:
        """One result per gathered check, then every result of the test (for `require`)."""
        for cid in self.checks:
            probs = list({p.message: p for p in self.problems[cid]}.values())  # a failing example runs once more
            if outcome.failure is not None and probs:
                probs.append(fail(f"{outcome.failure}; seed {vrun.config.seed}; replay: {vrun.reproduce_line()}"))
            self.results.append(session.record(cid, probs, interface=interface, stage=stage,
                                               evidence=self.evidence[cid],
                                               pass_message=f"{outcome.examples} {what} held"))
        return self.results

"""Stages: the engine's one vocabulary of test stages, their order, and the one verdict roll-up.

A conformance test declares its stage with the `stage(name)` marker; the engine refuses any name not listed
here (at collection, and `--stage X` before a run), runs the stages in this order, and the report and JUnit
group checks by these stages.

`interface`, `flow`, `pilot` and `go-live` are the rollout stages of a supervision platform's acceptance
(each interface on its own, then the business flows, then a pilot, then go-live). `negative` and `fuzz` are
kept as stages of their own although they test interfaces too: they take long or need a target that may be
hurt, so a tester selects them separately (`--stage negative`, `--stage fuzz`), and the report shows them
apart. `fuzz` runs after `flow`: it assumes the flows work and looks for what they miss.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Stage:
    name: str
    title_zh: str
    title_en: str


STAGES: tuple[Stage, ...] = (
    Stage("interface", "接口测试", "each interface on its own: what is sent, answered and refused"),
    Stage("negative", "异常测试", "one defect per request; the platform must refuse it"),
    Stage("flow", "业务流程测试", "business flows across interfaces: registration, tokens, paging, confirms"),
    Stage("fuzz", "模糊测试", "generated edge data and random request sequences"),
    Stage("pilot", "试点测试", "pilot operation: many enterprises at once (`vconform load`, docs/load.md)"),
    Stage("go-live", "上线验收", "go-live acceptance (no suite uses it yet)"),
)
_BY_NAME = {s.name: s for s in STAGES}
DEFAULT = STAGES[0].name  # a check that names no stage (reports written before stages were recorded)


class UnknownStage(ValueError):
    """A stage name outside the engine's vocabulary."""


def names() -> list[str]:
    return [s.name for s in STAGES]


def get(name: str) -> Stage:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownStage(f"unknown stage {name!r}; known: {', '.join(names())}") from None


def require_known(stage_names: Iterable[str]) -> None:
    """Raise UnknownStage (one line) for the first name that is not a stage."""
    for name in stage_names:
        get(name)


def rank(name: str) -> int:
    """Position in run and report order; a name outside the vocabulary sorts last."""
    return names().index(name) if name in _BY_NAME else len(STAGES)


def ordered(stage_names: Iterable[str]) -> list[str]:
    """The distinct names in stage order (names outside the vocabulary last, in their given order)."""
    return sorted(dict.fromkeys(stage_names), key=rank)


def title_zh(name: str) -> str:
    return _BY_NAME[name].title_zh if name in _BY_NAME else ""


def roll_up(verdicts: Iterable[str]) -> str:
    """The verdict of a group of checks (an interface, a stage): any fail fails; nothing but skips is a skip."""
    seen = set(verdicts)
    if "fail" in seen:
        return "fail"
    if seen <= {"skip"}:
        return "skip"
    return "pass"

"""Hypothesis against a live system: bounded, seeded explorations whose failure is a report finding, not a crash.

Every example is traffic to the system under test, so an exploration is capped in examples and in shrinking
time, replays exactly from the run seed, and hands back an `Outcome` (examples run, the failure, the shrunk
falsifying example) for a suite to record as one check."""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hseed
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from hypothesis.reporting import with_reporter


@dataclass
class Outcome:
    """What one Hypothesis exploration found: examples run, and the failure with its falsifying example."""

    examples: int
    failure: BaseException | None = None
    falsifying: str = ""

    @property
    def message(self) -> str:
        return f"{self.failure}" + (f" — {self.falsifying}" if self.falsifying else "")


def hypothesis_settings(max_examples: int, *, shrink: bool = True, steps: int | None = None) -> settings:
    """Bounded, reproducible settings: no example database, no deadline (a network SUT's latency is not a bug)."""
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else [])
    extra = {"stateful_step_count": steps} if steps else {}
    return settings(max_examples=max_examples, database=None, deadline=None, derandomize=False, phases=phases,
                    report_multiple_bugs=False, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example], **extra)


def run_seed(run: int, label: str) -> int:
    """A per-exploration seed from the run seed, so `--seed N` replays every exploration exactly."""
    return random.Random(f"{run}|{label}").getrandbits(64)


def notes_of(exc: BaseException) -> str:
    return " | ".join(n for n in getattr(exc, "__notes__", []) if n.strip())


def explore(fn: Callable[[Any], None], strategy: st.SearchStrategy, *, seed: int, max_examples: int,
            shrink: bool = True, failure_types: tuple[type[BaseException], ...] = (AssertionError,)) -> Outcome:
    """Run fn on up to max_examples drawn values; stop at the first failure of failure_types (shrunk if asked)."""
    count = 0

    @hseed(seed)
    @hypothesis_settings(max_examples, shrink=shrink)
    @given(strategy)
    def run(example):
        nonlocal count
        count += 1
        fn(example)

    return _outcome(run, lambda: count, failure_types)


def explore_machine(machine: type, *, seed: int, max_examples: int, steps: int) -> Outcome:
    """Run a RuleBasedStateMachine as one bounded, seeded exploration; a broken invariant is the Outcome's failure."""
    from hypothesis.stateful import get_state_machine_test

    test = hseed(seed)(get_state_machine_test(machine, settings=hypothesis_settings(max_examples, steps=steps)))
    return _outcome(test, lambda: machine.examples, (AssertionError,))


SHRINK_SECONDS = 10  # every shrink step is traffic to the SUT: past this, report the smallest example found so far


def _quiet(_message: str) -> None:
    """Hypothesis' console messages (among them a 'shrinking took five minutes' note our budget makes untrue)."""


def _outcome(run: Callable[[], None], count: Callable[[], int], failure_types) -> Outcome:
    from hypothesis.internal.conjecture import engine

    # Hypothesis has no setting for it; its engine reads this module constant (300 s by default) when shrinking.
    saved = getattr(engine, "MAX_SHRINKING_SECONDS", None)
    engine.MAX_SHRINKING_SECONDS = SHRINK_SECONDS
    try:
        with with_reporter(_quiet):  # the falsifying example travels in the exception's notes, not on stdout
            run()
    except failure_types as exc:
        return Outcome(count(), exc, notes_of(exc))
    except Flaky as exc:  # the same request answered differently when replayed
        return Outcome(count(), exc, notes_of(exc) or "the system answered the same example differently on replay")
    finally:
        if saved is not None:
            engine.MAX_SHRINKING_SECONDS = saved
    return Outcome(count())

"""Explorations against a live system: bounded, replayable from their seed, a failure shrunk and kept, not raised."""
from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from harness.explore import explore, explore_machine, run_seed

WORDS = st.fixed_dictionaries({"name": st.text(min_size=1, max_size=12), "count": st.integers(0, 10**6)})


def test_explore_is_reproducible_from_its_seed():
    seen: dict[int, list] = {1: [], 2: []}
    for run, seed in ((1, 7), (2, 7)):
        explore(seen[run].append, WORDS, seed=seed, max_examples=5)
    other: list = []
    explore(other.append, WORDS, seed=8, max_examples=5)
    assert seen[1] == seen[2] and len(seen[1]) == 5
    assert other != seen[1]
    assert run_seed(7, "a") == run_seed(7, "a") != run_seed(7, "b")


def test_explore_reports_the_shrunk_falsifying_example():
    def never_big(n):
        assert n < 1000, f"{n} is too big"

    out = explore(never_big, st.integers(0, 10**6), seed=1, max_examples=50)
    assert out.failure is not None and "1000 is too big" in str(out.failure)
    assert ("Falsifying example" in out.falsifying or "Failing test case" in out.falsifying) and "1000" in out.falsifying
    held = explore(never_big, st.integers(0, 999), seed=1, max_examples=20)
    assert held.failure is None and held.examples == 20


def test_only_the_named_failure_types_are_findings():
    class Finding(AssertionError):
        pass

    def bad(n):
        raise Finding(f"got {n}")

    out = explore(bad, st.integers(0, 9), seed=3, max_examples=5, shrink=False, failure_types=(Finding,))
    assert isinstance(out.failure, Finding) and "example=0" in out.falsifying

    def broken_harness(_n):
        raise KeyError("a harness bug is not the system's failure")

    with pytest.raises(KeyError):
        explore(broken_harness, st.integers(0, 9), seed=3, max_examples=5, failure_types=(Finding,))


def test_a_system_that_answers_differently_on_replay_is_reported_not_raised():
    calls = {"n": 0}

    def flaky(_n):
        calls["n"] += 1
        assert calls["n"] != 1, "only the first call fails"

    out = explore(flaky, st.integers(0, 9), seed=5, max_examples=5)
    assert isinstance(out.failure, Flaky) and "only the first call fails" in out.falsifying


class Counter(RuleBasedStateMachine):
    examples = 0
    limit = 3

    def __init__(self):
        super().__init__()
        type(self).examples += 1
        self.value = 0

    @rule()
    def step(self):
        self.value += 1

    @invariant()
    def below_limit(self):
        assert self.value < self.limit, f"value reached {self.value}"


def test_explore_machine_holds_or_reports_the_broken_invariant():
    Counter.examples, Counter.limit = 0, 10**6
    held = explore_machine(Counter, seed=2, max_examples=4, steps=5)
    assert held.failure is None and held.examples >= 4
    Counter.examples, Counter.limit = 0, 3
    broken = explore_machine(Counter, seed=2, max_examples=4, steps=5)
    assert broken.failure is not None and "value reached 3" in str(broken.failure)

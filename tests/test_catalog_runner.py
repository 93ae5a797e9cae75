"""The catalog runner judges what it is told to: a run that misses the expected failure is reported, not passed."""
from __future__ import annotations

import catalog
import pytest


def report(verdict: str, *checks: tuple[str, str, str], errata=()) -> dict:
    return {"verdict": verdict, "reproduce": f"vconform run x --seed {catalog.SEED} --target http://t",
            "interfaces": [{"checks": [{"id": i, "verdict": v, "spec_ref": ref, "message": "m", "errata": list(errata)}
                                       for i, v, ref in checks]}],
            "errata": [{"id": e, "hit": True} for e in errata]}


FAILS = catalog.Entry("x", "client", "broken", "broken", fails="x.a", clause="x §1")


def test_expected_failure_found():
    assert catalog.mismatches(FAILS, catalog.Outcome(1, report("fail", ("x.a", "fail", "x §1")), "")) == []


@pytest.mark.parametrize("outcome", [
    catalog.Outcome(0, report("pass", ("x.a", "pass", "x §1")), ""),        # the defect went unnoticed
    catalog.Outcome(1, report("fail", ("x.b", "fail", "x §1")), ""),        # another check failed instead
    catalog.Outcome(1, report("fail", ("x.a", "fail", "x §2")), ""),        # the right check, another clause
    catalog.Outcome(2, {}, "harness error"),                                 # no report at all
])
def test_anything_else_is_a_mismatch(outcome):
    assert catalog.mismatches(FAILS, outcome)


def test_warning_expected_needs_the_erratum_and_no_failure():
    warns = catalog.Entry("x", "client", "alt", "alt", warns="x.a", errata="E-X-1")
    assert catalog.mismatches(warns, catalog.Outcome(0, report("warn", ("x.a", "warn", "x §1"), errata=["E-X-1"]), "")) == []
    assert catalog.mismatches(warns, catalog.Outcome(0, report("pass", ("x.a", "pass", "x §1")), ""))
    assert catalog.mismatches(warns, catalog.Outcome(1, report("fail", ("x.a", "fail", "x §1"), errata=["E-X-1"]), ""))



def test_a_broken_entry_must_scope_its_run(tmp_path, monkeypatch):
    """CI time: a broken implementation runs only the interfaces (--only) or stages (--stage) exposing its defect."""
    (tmp_path / "x").mkdir()
    monkeypatch.setattr(catalog, "SPECS", tmp_path)
    head = '[run.client]\nfile = "b.py"\nstart = "sut-cmd"\n[[client]]\nvariant = "broken"\nfails = "x.a"\nclause = "x §1"\n'
    (tmp_path / "x" / "catalog.toml").write_text(head, "utf-8")
    with pytest.raises(ValueError, match="runs only what exposes its defect"):
        catalog.load("x")
    (tmp_path / "x" / "catalog.toml").write_text(head + 'args = ["--only", "up"]\n[[client]]\nvariant = "reference"\n'
                                                 'passes = true\n', "utf-8")
    assert [(e.name, e.args) for e in catalog.load("x")] == [("broken", ("--only", "up")), ("reference", ())]

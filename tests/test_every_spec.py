"""One test over the whole registry: for every registered spec, its data holds together and every check it
registers is proven to fail somewhere.

A check id counts as covered when a broken implementation of the spec's catalog (tests/specs/<spec>/catalog.toml)
is expected to fail it, or when a unit case marked `@pytest.mark.proves("id")` makes it fail (tests/proving.py;
the marks are read statically here, and tests/conftest.py fails a marked test that does not assert the failure).
A check that cannot be broken from outside is listed in schemas/<spec>/known_gaps.toml with a reason and an
expiry date; a gap past its expiry fails. `python tests/test_every_spec.py` prints the coverage table.
"""
from __future__ import annotations

import ast
import datetime as dt
import functools
import importlib
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import catalog  # noqa: E402

from harness import checks, schemagen, specdata  # noqa: E402
from harness.registry import SpecInfo, discover  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
GAP_KEYS = {"id", "reason", "expires"}


# ---- what a spec is made of ------------------------------------------------------------------------------

def folder(info: SpecInfo) -> str:
    """The spec's data folder (schemas/<folder>, tests/specs/<folder>): its document's, when it has levels."""
    return getattr(info, "folder", None) or info.name


def prefix(info: SpecInfo) -> str:
    """Check ids of a spec start with its document's name (one document may register several levels)."""
    return (getattr(info, "document", None) or info.name) + "."


def import_suite(info: SpecInfo) -> None:
    """Import every module of the spec's suite package but its tests, so that all its checks are registered."""
    pkg = ".".join(info.suite_dir.resolve().relative_to(ROOT).parts)
    for path in sorted(info.suite_dir.glob("*.py")):
        if not path.stem.startswith("test_") and path.stem != "conftest":
            importlib.import_module(f"{pkg}.{path.stem}" if path.stem != "__init__" else pkg)


@functools.cache
def registered_ids() -> tuple[str, ...]:
    """Every check id the engine and all suites register, read in a fresh interpreter: tests register toy checks
    in this process's registry, and those are no spec's."""
    proc = subprocess.run([sys.executable, __file__, "--ids"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return tuple(json.loads(proc.stdout))


def spec_check_ids(info: SpecInfo) -> list[str]:
    """The spec's own check ids plus the engine's (ids that start with no spec's name)."""
    prefixes = tuple(prefix(s) for s in discover().values())
    return [cid for cid in registered_ids() if cid.startswith(prefix(info)) or not cid.startswith(prefixes)]


def proven_by_units() -> dict[str, list[str]]:
    """check id -> the test functions marked `@pytest.mark.proves(...)` with it (read statically with ast)."""
    out: dict[str, list[str]] = {}
    for path in sorted(TESTS.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for dec in node.decorator_list:
                if (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute) and dec.func.attr == "proves"):
                    for arg in dec.args:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            out.setdefault(arg.value, []).append(f"{path.relative_to(ROOT)}::{node.name}")
    return out


def known_gaps(info: SpecInfo) -> list[dict]:
    path = specdata.SCHEMAS_DIR / folder(info) / "known_gaps.toml"
    return tomllib.loads(path.read_text("utf-8")).get("gap", []) if path.exists() else []


def coverage(info: SpecInfo) -> dict[str, str]:
    """check id -> how it is proven to fail ("catalog", "unit", "known gap") or "" when it is not."""
    in_catalog = catalog.failing_ids(folder(info))
    units = proven_by_units()
    gaps = {g["id"] for g in known_gaps(info)}
    out = {}
    for cid in spec_check_ids(info):
        how = [name for name, hit in (("catalog", cid in in_catalog), ("unit", cid in units), ("known gap", cid in gaps))
               if hit]
        out[cid] = "+".join(how)
    return out


SPECS = sorted(discover())


# ---- the tests ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", SPECS)
def test_generated_schemas_do_not_drift(name):
    info = discover()[name]
    if not (schemagen.spec_dir(folder(info)) / "tables").is_dir():
        pytest.skip(f"{name} has no interface tables under schemas/{folder(info)}/tables: nothing is generated")
    assert schemagen.drift(folder(info)) == [], f"run `python -m harness.schemagen {folder(info)}` and commit"


@pytest.mark.parametrize("name", SPECS)
def test_errata_and_profiles_are_well_formed(name):
    """The meta-schema (harness/metaschema) over the spec's tables, code tables, errata register and profiles:
    every switch a profile names exists, every errata id a table cites is registered."""
    assert specdata.validate_spec_data(specdata.SCHEMAS_DIR / folder(discover()[name])) == []


@pytest.mark.parametrize("name", SPECS)
def test_every_check_fails_somewhere_or_is_a_known_gap(name):
    uncovered = [cid for cid, how in coverage(discover()[name]).items() if not how]
    assert not uncovered, (f"{len(uncovered)} check ids of {name} fail on no broken implementation of "
                           f"tests/specs/{folder(discover()[name])}/catalog.toml and in no unit case marked "
                           f"@pytest.mark.proves, nor are they known gaps: {uncovered}")


@pytest.mark.parametrize("name", SPECS)
def test_known_gaps_are_current(name):
    info = discover()[name]
    how = coverage(info)
    today = dt.date.today()
    problems = []
    for g in known_gaps(info):
        if set(g) != GAP_KEYS or not isinstance(g.get("expires"), dt.date) or not str(g.get("reason", "")).strip():
            problems.append(f"{g}: keys {sorted(GAP_KEYS)} expected, expires a date, reason not empty")
            continue
        if g["id"] not in how:
            problems.append(f"{g['id']}: no such check of {name}")
        elif how[g["id"]] != "known gap":
            problems.append(f"{g['id']}: is covered ({how[g['id']]}): remove the gap")
        if g["expires"] < today:
            problems.append(f"{g['id']}: known gap expired on {g['expires']}: {g['reason']}")
    assert not problems, problems


def test_proves_marks_name_registered_checks():
    unknown = {cid: where for cid, where in proven_by_units().items() if cid not in registered_ids()}
    assert not unknown, f"@pytest.mark.proves names unregistered check ids: {unknown}"


def test_catalog_entries_name_registered_checks_and_variants():
    ids = set(registered_ids())
    problems = []
    for name, info in discover().items():
        for e in catalog.load(folder(info)):
            for cid in filter(None, (e.fails, e.warns)):
                if cid not in ids:
                    problems.append(f"{e.key}: {cid} is no registered check")
            impl = catalog.implementation(e)
            if e.variant not in catalog._module(impl).VARIANTS:
                problems.append(f"{e.key}: variant {e.variant!r} is not in VARIANTS of {impl.name}")
    assert not problems, problems


if __name__ == "__main__":  # print the coverage table (--ids: the registered check ids, as JSON)
    if sys.argv[1:] == ["--ids"]:
        for spec_info in discover().values():
            import_suite(spec_info)
        print(json.dumps([c.id for c in checks.all_checks()]))
        sys.exit(0)
    for name in SPECS:
        table = coverage(discover()[name])
        done = sum(1 for v in table.values() if v)
        print(f"== {name}: {done}/{len(table)} covered")
        for cid, how in table.items():
            print(f"  {how or '-- NOT COVERED':14} {cid}")


def test_reports_list_the_known_gaps(tmp_path, monkeypatch):
    """A check in known_gaps.toml proves less than the others: every report of that spec says so."""
    from harness.report import write_report
    from harness.run import RunConfig, RunContext

    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    for name in SPECS:
        info = discover()[name]
        gaps = known_gaps(info)
        model = RunContext(RunConfig(spec=name, seed=1), info).model()
        assert [g["id"] for g in model["known_gaps"]] == [g["id"] for g in gaps]
        if gaps:
            html = write_report(model, tmp_path / name)["html"].read_text("utf-8")
            assert "Known gaps" in html and all(g["id"] in html for g in gaps)

"""Test the tests: each deliberately broken city platform of tests/specs/henan/catalog_province.toml fails
henan-province with the named check and clause; the documented alternative readings warn; the reference passes."""
from __future__ import annotations

import catalog
import pytest

ENTRIES = [e for e in catalog.load("henan") if e.source == "catalog_province.toml"]


@pytest.mark.slow
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: f"{e.role}-{e.name}")
def test_catalog_entry(catalog_runs, entry):
    outcome = catalog_runs.get(entry)
    assert not catalog.mismatches(entry, outcome), "\n".join(catalog.mismatches(entry, outcome)) + "\n" + outcome.output


def test_the_level_catalog_is_read_beside_catalog_toml():
    """tests/catalog.py reads catalog_province.toml with its own [run] tables: entries keep their file, and each
    role's implementation is the one that file names."""
    assert ENTRIES and {e.role for e in ENTRIES} == {"client", "server"}
    by_role = {e.role: catalog.implementation(e).name for e in ENTRIES}
    assert by_role == {"client": "province_broken_city_clients.py", "server": "province_broken_platforms.py"}
    assert all(e.args[:2] == ("--level", "province") for e in ENTRIES)
    assert {e.fails for e in ENTRIES if e.fails} <= catalog.failing_ids("henan")

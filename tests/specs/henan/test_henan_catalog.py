"""Test the tests: each deliberately broken gate system of tests/specs/henan/catalog.toml fails with the named check
and clause; the reference passes."""
from __future__ import annotations

import catalog
import pytest


ENTRIES = [e for e in catalog.load("henan") if e.source == "catalog.toml"]  # the province's: catalog_province.toml


@pytest.mark.slow
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: f"{e.role}-{e.name}")
def test_catalog_entry(catalog_runs, entry):
    outcome = catalog_runs.get(entry)
    assert not catalog.mismatches(entry, outcome), "\n".join(catalog.mismatches(entry, outcome)) + "\n" + outcome.output

"""Test the tests: each deliberately broken station client of tests/specs/gansu/catalog.toml fails with the named
check and clause; the reference passes."""
from __future__ import annotations

import catalog
import pytest


@pytest.mark.slow
@pytest.mark.parametrize("entry", catalog.load("gansu"), ids=lambda e: f"{e.role}-{e.name}")
def test_catalog_entry(catalog_runs, entry):
    outcome = catalog_runs.get(entry)
    assert not catalog.mismatches(entry, outcome), "\n".join(catalog.mismatches(entry, outcome)) + "\n" + outcome.output

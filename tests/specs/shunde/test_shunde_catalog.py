"""Test the tests: each broken forwarder (client role) and broken district platform (server role) of
tests/specs/shunde/catalog.toml fails with the named check and clause, exit 1; the unbroken references pass."""
from __future__ import annotations

import catalog
import pytest


@pytest.mark.slow
@pytest.mark.parametrize("entry", catalog.load("shunde"), ids=lambda e: f"{e.role}-{e.name}")
def test_catalog_entry(catalog_runs, entry):
    outcome = catalog_runs.get(entry)
    assert not catalog.mismatches(entry, outcome), "\n".join(catalog.mismatches(entry, outcome)) + "\n" + outcome.output

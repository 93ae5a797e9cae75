"""Fixtures of the henan-city suites: one city mock + gate-system adapter session per run."""
from __future__ import annotations

import pytest

from harness.session import client_fixture, server_fixture


@pytest.fixture(scope="session")
def hc(vrun):
    """The client-role session: the city platform mock on loopback, the gate system's adapter, seeded data."""
    from suites.henan.session import HenanCitySession

    yield from client_fixture(vrun, HenanCitySession, "python -m suites.henan.reference_gate_client",
                              "vconform reference gate client")


@pytest.fixture(scope="session")
def hcs(vrun):
    """The server-role session: the harness as a gate system against --target (default: the project's city mock)."""
    from suites.henan.server_session import HenanCityServer

    yield from server_fixture(vrun, HenanCityServer, "vconform city platform mock")

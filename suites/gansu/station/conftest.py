"""Fixtures of the gansu suites: one platform mock + station-client adapter session per run."""
from __future__ import annotations

import pytest

from harness.session import client_fixture, server_fixture


@pytest.fixture(scope="session")
def gs(vrun):
    """The client-role session: the provincial platform mock on loopback, the station's adapter, seeded data."""
    from suites.gansu.session import GansuSession

    yield from client_fixture(vrun, GansuSession, "python -m suites.gansu.reference_client",
                              "vconform reference station client")


@pytest.fixture(scope="session")
def gss(vrun):
    """The server-role session: the harness as a station against --target (default: the project's platform mock)."""
    from suites.gansu.server_session import GansuServer

    yield from server_fixture(vrun, GansuServer, "vconform platform mock")

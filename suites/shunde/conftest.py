"""Fixtures of the shunde conformance suites: one mock + forwarder session (client) or platform target (server)."""
from __future__ import annotations

import pytest

from harness.run import HarnessError
from harness.session import client_fixture


@pytest.fixture(scope="session")
def sd(vrun):
    """The client-role session: district platform mock on loopback, the forwarder adapter, seeded data."""
    from suites.shunde.session import ShundeClientSession

    yield from client_fixture(vrun, ShundeClientSession, "python -m suites.shunde.reference_forwarder",
                              "vconform reference forwarder")


@pytest.fixture(scope="session")
def op(vrun):
    """The server-role session: the harness plays a GPS operator against the target platform."""
    from suites.shunde.operator import OperatorSession

    try:
        session = OperatorSession(vrun)
    except OSError as exc:
        raise HarnessError(str(exc)) from None
    yield session
    session.close()

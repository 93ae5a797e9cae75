"""Fixtures of the yunnan conformance suites: one mock + SUT session per run."""
from __future__ import annotations

import pytest

from harness.session import client_fixture, server_fixture


@pytest.fixture(scope="session")
def yn(vrun):
    """The client-role session: mock platform on loopback, the SUT adapter, seeded data."""
    from suites.yunnan.session import YunnanSession

    yield from client_fixture(vrun, YunnanSession, "python -m suites.yunnan.reference_client",
                              "vconform reference client")


@pytest.fixture(scope="session")
def yns(vrun):
    """The server-role session: the harness as uploader against --target (default: the project's own mock)."""
    from suites.yunnan.server_session import ServerSession

    yield from server_fixture(vrun, ServerSession, "vconform mock platform")

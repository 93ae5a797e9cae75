"""Fixtures of the gansu suites: one platform mock + station-client adapter session per run."""
from __future__ import annotations

import pytest

from harness.run import HarnessError


@pytest.fixture(scope="session")
def gs(vrun):
    """The client-role session: the provincial platform mock on loopback, the station's adapter, seeded data."""
    from suites.gansu.session import GansuSession

    cmd = vrun.client_sut("python -m suites.gansu.reference_client", "vconform reference station client")
    try:
        session = GansuSession(vrun, cmd)
    except OSError as exc:
        raise HarnessError(str(exc)) from None
    yield session
    session.close()

"""Fixtures of the henan-province suites: one provincial mock + SUT (city platform) session per run."""
from __future__ import annotations

import pytest

from harness.run import HarnessError


@pytest.fixture(scope="session")
def hp(vrun):
    """The client-role session: the provincial mock on loopback, the city platform's adapter, seeded data."""
    from suites.henan.province_session import ProvinceSession

    cmd = vrun.client_sut("python -m suites.henan.reference_city_platform", "vconform reference city platform")
    try:
        session = ProvinceSession(vrun, cmd)
    except OSError as exc:
        raise HarnessError(str(exc)) from None
    yield session
    session.close()

"""Fixtures of the henan-province suites: one provincial mock + SUT (city platform) session per run."""
from __future__ import annotations

import pytest

from harness.session import client_fixture, server_fixture


@pytest.fixture(scope="session")
def hp(vrun):
    """The client-role session: the provincial mock on loopback, the city platform's adapter, seeded data."""
    from suites.henan.province_session import ProvinceSession

    yield from client_fixture(vrun, ProvinceSession, "python -m suites.henan.reference_city_platform",
                              "vconform reference city platform")


@pytest.fixture(scope="session")
def hps(vrun):
    """The server-role session: the harness as a city platform against --target (default: the provincial mock)."""
    from suites.henan.province_server import ProvinceServerSession

    yield from server_fixture(vrun, ProvinceServerSession, "vconform mock platform", start=False)

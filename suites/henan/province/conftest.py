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


@pytest.fixture(scope="session")
def hps(vrun):
    """The server-role session: the harness as a city platform against --target (default: the provincial mock)."""
    from suites.henan.province_server import ProvinceServerSession

    cfg = vrun.config
    session = ProvinceServerSession(vrun)
    vrun.sut_info = {**session.describe_target(), "name": cfg.sut_name or ("" if cfg.target else "vconform mock platform"),
                     "version": cfg.sut_version or ("" if cfg.target else cfg.extra.get("tool_version", ""))}
    yield session
    session.close()

"""Fixtures of the henan-city suites: one city mock + gate-system adapter session per run."""
from __future__ import annotations

import pytest

from harness.run import HarnessError


@pytest.fixture(scope="session")
def hc(vrun):
    """The client-role session: the city platform mock on loopback, the gate system's adapter, seeded data."""
    from suites.henan.session import HenanCitySession

    cmd = vrun.client_sut("python -m suites.henan.reference_gate_client", "vconform reference gate client")
    try:
        session = HenanCitySession(vrun, cmd)
    except OSError as exc:
        raise HarnessError(str(exc)) from None
    yield session
    session.close()


@pytest.fixture(scope="session")
def hcs(vrun):
    """The server-role session: the harness as a gate system against --target (default: the project's city mock)."""
    from suites.henan.server_session import HenanCityServer

    cfg = vrun.config
    session = HenanCityServer(vrun)
    vrun.sut_info = {**session.describe_target(),
                     "name": cfg.sut_name or ("" if cfg.target else "vconform city platform mock"),
                     "version": cfg.sut_version or ("" if cfg.target else cfg.extra.get("tool_version", ""))}
    session.start()
    yield session
    session.close()

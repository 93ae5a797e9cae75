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


@pytest.fixture(scope="session")
def gss(vrun):
    """The server-role session: the harness as a station against --target (default: the project's platform mock)."""
    from suites.gansu.server_session import GansuServer

    cfg = vrun.config
    session = GansuServer(vrun)
    vrun.sut_info = {**session.describe_target(),
                     "name": cfg.sut_name or ("" if cfg.target else "vconform platform mock"),
                     "version": cfg.sut_version or ("" if cfg.target else cfg.extra.get("tool_version", ""))}
    session.start()
    yield session
    session.close()

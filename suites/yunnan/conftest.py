"""Fixtures of the yunnan conformance suites: one mock + SUT session per run."""
from __future__ import annotations

import pytest

from harness.run import HarnessError


@pytest.fixture(scope="session")
def yn(vrun):
    """The client-role session: mock platform on loopback, the SUT adapter, seeded data."""
    from suites.yunnan.session import YunnanSession

    cmd = vrun.client_sut("python -m suites.yunnan.reference_client", "vconform reference client")
    try:
        session = YunnanSession(vrun, cmd)
    except OSError as exc:
        raise HarnessError(str(exc)) from None
    yield session
    session.close()


@pytest.fixture(scope="session")
def yns(vrun):
    """The server-role session: the harness as uploader against --target (default: the project's own mock)."""
    from suites.yunnan.server_session import ServerSession

    cfg = vrun.config
    session = ServerSession(vrun)
    vrun.sut_info = {**session.describe_target(), "name": cfg.sut_name or ("" if cfg.target else "vconform mock platform"),
                     "version": cfg.sut_version or ("" if cfg.target else cfg.extra.get("tool_version", ""))}
    session.start()
    yield session
    session.close()

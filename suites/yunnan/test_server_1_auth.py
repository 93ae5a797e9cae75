"""Server role, stage `interface`: the harness registers its own key pair (§6.1) and gets a token (§6.2)."""
from __future__ import annotations

import pytest

from harness.pytest_plugin import require
from suites.yunnan import server_checks as C

pytestmark = [pytest.mark.role("server"), pytest.mark.stage("interface")]
STAGE = "interface"


def _started(vrun, interface: str) -> list:
    return [r for r in vrun.results if r.interface == interface and r.id.startswith("yunnan.server.")]


@pytest.mark.interface("init-auth")
def test_register(yns, vrun):
    require(vrun, _started(vrun, "init-auth"))


@pytest.mark.interface("getToken")
def test_token(yns, vrun):
    if not yns.main.registered:
        pytest.fail("registration failed; see init-auth")
    results = _started(vrun, "getToken")
    tok = [r for r in yns.replies if r.interface == "getToken" and r.accepted]
    if tok:
        results += [yns.record("yunnan.server.answer.envelope", C.answer_envelope(tok[-1]), interface="getToken",
                               stage=STAGE, evidence=tok[-1:]),
                    yns.record("yunnan.server.answer.schema", C.answer_schema("getToken", tok[-1], vrun.profile),
                               interface="getToken", stage=STAGE, evidence=tok[-1:])]
    require(vrun, results)

"""Stage `interface` (gansu rollout: test each interface as soon as it is built): one action per interface, judged."""
from __future__ import annotations

import pytest

from harness.pytest_plugin import require
from suites.yunnan import checks as C
from suites.yunnan.plans import CONFIRMS, PULL_RECORDS, PULLS, UPLOADS, pull_and_judge, upload_params

pytestmark = [pytest.mark.role("client"), pytest.mark.stage("interface")]
STAGE = "interface"


@pytest.mark.interface("init-auth")
def test_init_auth(yn, vrun):
    res, exs = yn.act("init-auth", yn.credentials)
    results = yn.judge("init-auth", res, exs, yn.credentials, stage=STAGE, intact=False)
    reg = [e for e in exs if e.interface == "init-auth"]
    if reg and isinstance(reg[-1].request_plaintext, dict):
        results.append(yn.record("yunnan.register.public_key", C.register_public_key(reg[-1].request_plaintext),
                                 interface="init-auth", stage=STAGE, evidence=[reg[-1].evidence()]))
    yn.registered = yn.ent is not None
    require(vrun, results)


@pytest.mark.interface("getToken")
def test_get_token(yn, vrun):
    if not yn.ensure_registered(STAGE):
        pytest.fail("registration failed; see init-auth")
    res, exs = yn.act("getToken", {})
    results = yn.judge("getToken", res, exs, None, stage=STAGE, intact=False)
    require(vrun, results)


@pytest.mark.parametrize("interface", [pytest.param(i, marks=pytest.mark.interface(i), id=i) for i in UPLOADS])
def test_upload(yn, vrun, interface):
    if not yn.ensure_registered(STAGE):
        pytest.fail("registration failed; see init-auth")
    params = upload_params(yn, interface)
    res, exs = yn.act(interface, params)
    require(vrun, yn.judge(interface, res, exs, params, stage=STAGE))


@pytest.mark.parametrize("interface", [pytest.param(i, marks=pytest.mark.interface(i), id=i) for i in PULLS])
def test_pull(yn, vrun, interface):
    if not yn.ensure_registered(STAGE):
        pytest.fail("registration failed; see init-auth")
    results, _exs = pull_and_judge(yn, interface, PULL_RECORDS, offset=0, stage=STAGE)
    require(vrun, results)


@pytest.mark.parametrize("interface", [pytest.param(i, marks=pytest.mark.interface(i), id=i) for i in CONFIRMS])
def test_confirm(yn, vrun, interface):
    if not yn.ensure_registered(STAGE):
        pytest.fail("registration failed; see init-auth")
    feed, maker, id_field, param = CONFIRMS[interface]
    records = [getattr(yn.data, maker)(500 + i) for i in range(3)]
    yn.mock.state.seed(feed, records, yn.enterprise_id)
    ids = [r[id_field] for r in records]
    params = {param: ",".join(ids)}
    if interface == "strategyConfirm":
        params["enterpriseId"] = yn.enterprise_id
    res, exs = yn.act(interface, params)
    results = yn.judge(interface, res, exs, params, stage=STAGE)
    results.append(yn.record("yunnan.confirm.applied", C.confirm_applied(yn.mock.state.confirmed[feed], ids),
                             interface=interface, stage=STAGE, evidence=[res.evidence()]))
    require(vrun, results)

"""Stage `flow`: the gate flow (henan §2.7 as E-HN-12 reads it): token -> getCheckVehicle -> a controlled vehicle is
refused, a free one passes -> its passage (shareDrivingRecord, §6.4 lsh) -> photos with the same lsh -> goods record
with the same lsh -> the 2-hour token expires mid-flow -> the exit is still reported."""
from __future__ import annotations

import pytest

from harness.pytest_plugin import require
from suites.henan import checks as C

pytestmark = [pytest.mark.role("client"), pytest.mark.stage("flow")]
STAGE = "flow"
N = 40  # data numbers of the flow, apart from the interface stage's


def test_controlled_vehicle_is_refused(hc, vrun):
    controlled = hc.data.controlled_vehicles()[0]
    vehicle = {"license": controlled["license"], "licenseColor": controlled["licenseColor"]}
    require(vrun, hc.decide(vehicle, stage=STAGE))


def test_passage_photos_goods_share_the_lsh(hc, vrun):
    d = hc.data
    vehicle = d.free_vehicle(N)
    results = hc.decide(vehicle, stage=STAGE)
    record = d.passage(vehicle, N)
    strip = lambda m: {k: v for k, v in m.items() if k not in ("qybh", "qymc", "dzbh")}  # noqa: E731
    for interface, made in (("shareDrivingRecord", record), ("sharePhotoInfo", d.photo(record, "1")),
                            ("sharePhotoInfo", d.photo(record, "2")), ("shareGoodsRecord", d.goods(record))):
        _res, _exs, res = hc.run_action(interface, strip(made), stage=STAGE)
        results += res
    passage = hc.mock.state.passage(record["lsh"])
    results.append(hc.record("henan.flow.lsh_link",
                             C.lsh_link(record["lsh"], passage.record if passage else None,
                                        passage.photos if passage else 0, passage.goods if passage else 0),
                             interface="shareGoodsRecord", stage=STAGE,
                             evidence=[{"lsh": record["lsh"], "state": hc.mock.state.snapshot()["passages"]}]))
    require(vrun, results)


def test_token_expires_mid_flow(hc, vrun):
    """The 2-hour token (§4.1.1) runs out between two records: the exit must still arrive, with a new token."""
    d = hc.data
    hc.act("getAccessToken", {})
    hc.mock.state.expire_tokens()
    record = d.passage(d.free_vehicle(N + 1), N + 1, entering=False)
    params = {k: v for k, v in record.items() if k not in ("qybh", "qymc", "dzbh")}
    res, exs, results = hc.run_action("shareDrivingRecord", params, stage=STAGE)
    results.append(hc.record("henan.token.renewal", C.token_renewal(exs, "shareDrivingRecord"),
                             interface="shareDrivingRecord", stage=STAGE,
                             evidence=[res.evidence()] + [e.evidence() for e in exs]))
    require(vrun, results)

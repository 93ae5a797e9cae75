"""Server role, stage `interface`: the harness logs in (§4.1.1) and sends valid traffic on every city interface,
Hypothesis varying the business data; each must be answered code 200 (§2.5) with the answer the tables show."""
from __future__ import annotations

import pytest
from hypothesis import strategies as st

from harness.explore import explore, run_seed
from harness.pytest_plugin import require
from suites.henan import checks as C

pytestmark = [pytest.mark.role("server"), pytest.mark.stage("interface")]
STAGE = "interface"
BUSINESS = ["shareVehInfo", "shareDrivingRecord", "sharePhotoInfo", "shareGoodsRecord", "shareInnerVehInfo",
            "shareInnerMHYElec"]
EXAMPLES = 6


@pytest.mark.interface("getAccessToken")
def test_login(hcs, vrun):
    reply = hcs.login()
    require(vrun, [hcs.record("henan.server.token", C.server_token(reply), interface="getAccessToken", stage=STAGE,
                              evidence=[reply])])


@pytest.mark.interface("getCheckVehicle")
def test_check_vehicle(hcs, vrun):
    if not hcs.hook:
        require(vrun, [hcs.skip("henan.server.check_vehicle", hcs.no_hook_reason("a controlled vehicle"),
                                interface="getCheckVehicle", stage=STAGE)])
        return
    asked = {"license": hcs.controlled["license"], "licenseColor": hcs.controlled["licenseColor"]}
    on = hcs.call("getCheckVehicle", asked, note="the controlled vehicle")
    free = hcs.data.free_vehicle(7)
    off = hcs.call("getCheckVehicle", free, note="a free vehicle")
    require(vrun, [hcs.record("henan.server.accept", C.server_accept(off, "getCheckVehicle"),
                              interface="getCheckVehicle", stage=STAGE, evidence=[off]),
                   hcs.record("henan.server.check_vehicle", C.server_check_vehicle(on, asked, True)
                              + C.server_check_vehicle(off, free, False), interface="getCheckVehicle", stage=STAGE,
                              evidence=[on, off])])


@pytest.mark.parametrize("interface", [pytest.param(i, marks=pytest.mark.interface(i), id=i) for i in BUSINESS])
def test_valid_traffic_is_accepted(hcs, vrun, interface):
    first = []
    if interface in ("sharePhotoInfo", "shareGoodsRecord"):  # the passage they belong to, first
        hcs.call("shareDrivingRecord", hcs.valid("shareDrivingRecord", 1))

    def one(n):
        reply = hcs.call(interface, hcs.valid(interface, n), note=f"valid example {n}")
        first.append(reply)
        problems = C.server_accept(reply, interface)
        assert not problems, problems[0].message

    outcome = explore(one, st.integers(1, 5000), seed=run_seed(hcs.seed, interface), max_examples=EXAMPLES,
                      shrink=False)
    require(vrun, [hcs.record_outcome("henan.server.accept", outcome, interface=interface, stage=STAGE,
                                      first=first)])

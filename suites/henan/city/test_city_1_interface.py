"""Stage `interface`: one action per city interface (henan §4.1.1-§4.1.8), judged."""
from __future__ import annotations

import pytest

from harness import specdata
from harness.pytest_plugin import require

pytestmark = [pytest.mark.role("client"), pytest.mark.stage("interface")]
STAGE = "interface"
UPLOADS = [n for n, i in specdata.endpoints("henan")["interfaces"].items()
           if i.get("level") == "city" and i["kind"] in ("upload", "file")]


@pytest.mark.interface("getAccessToken")
def test_get_access_token(hc, vrun):
    _res, _exs, results = hc.run_action("getAccessToken", {}, stage=STAGE, intact=False)
    require(vrun, results)


@pytest.mark.interface("getCheckVehicle")
def test_check_vehicle(hc, vrun):
    require(vrun, hc.decide(hc.params("getCheckVehicle"), stage=STAGE))


@pytest.mark.parametrize("interface", [pytest.param(i, marks=pytest.mark.interface(i), id=i) for i in UPLOADS])
def test_upload(hc, vrun, interface):
    if interface in ("sharePhotoInfo", "shareGoodsRecord"):  # their passage first, as a gate does
        hc.act("shareDrivingRecord", hc.params("shareDrivingRecord"))
    _res, _exs, results = hc.run_action(interface, hc.params(interface), stage=STAGE)
    require(vrun, results)

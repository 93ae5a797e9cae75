"""Stage `interface`: one action per provincial method (henan §4.2.1-§4.2.29), judged; set-up through the SUT."""
from __future__ import annotations

import pytest

from harness import specdata
from harness.pytest_plugin import require
from suites.henan import province_checks as C
from suites.henan.province_plans import params

pytestmark = [pytest.mark.role("client"), pytest.mark.stage("interface")]
STAGE = "interface"
METHODS = list(specdata.sections("henan", "province"))
QUERIES = {"VehVerifyEx", "GetNeedCompleteVehEx", "DrivingLicenseScanEx", "GetCompanyInfo", "GetGateInfo",
           "VehElecAccountGain"}


@pytest.mark.parametrize("method", [pytest.param(m, marks=pytest.mark.interface(m), id=m) for m in METHODS])
def test_method(hp, vrun, method):
    p = params(hp, method, STAGE)
    if p is None:
        pytest.fail(f"set-up for {method} failed; see its set-up actions")
    res, exs, results = hp.run(method, p, stage=STAGE)
    if method == "VehVerifyEx":
        results.append(hp.record("henan.province.verify.relayed",
                                 C.relayed(C.parse_output(res.stdout), hp.answered(exs, method)),
                                 interface=method, stage=STAGE, evidence=[res, *exs]))
    if method in ("SendDayDataCity", "SendDayDataDistrict"):
        sent = [e.request_plaintext for e in exs if e.interface == method and isinstance(e.request_plaintext, dict)]
        if sent:
            counts = C.day_counts(hp.state.passes.values(), p["date"], p.get("dictrictCode", ""))
            results.append(hp.record("henan.province.flow.day_totals", C.day_totals(sent[-1], counts),
                                     interface=method, stage=STAGE, evidence=exs))
    require(vrun, results)

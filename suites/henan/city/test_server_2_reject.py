"""Server role, stage `negative`: one defect per request; the city platform must refuse each with its §2.6 code."""
from __future__ import annotations

import base64

import pytest
from harness.pytest_plugin import require
from schemas.henan.validate import VALIDATOR
from suites.henan import checks as C

pytestmark = [pytest.mark.role("server"), pytest.mark.stage("negative")]
STAGE = "negative"
TOKEN_TTL = 7200
# One field broken at a time: (interface, field of value, a value its table row refuses, what is wrong).
MUTANTS = [
    ("shareDrivingRecord", "cpys", "9", "a plate colour outside §7.1"),
    ("shareDrivingRecord", "tgsjq", "2026/11/29 08:00:00", "a time not yyyy-MM-dd HH:mm:ss"),
    ("shareDrivingRecord", "qymc", "有" * 151, "qymc over its 150 characters"),
    ("shareDrivingRecord", "tgzt", "3", "a pass state outside 1/2"),
    ("shareDrivingRecord", "lsh", "4110020001", "an lsh that is no §6.4 serial"),
    ("shareGoodsRecord", "ysl", 35, "ysl as a number (字符)"),
    ("shareGoodsRecord", "hwmc", None, "hwmc missing"),
    ("sharePhotoInfo", "zplx", "7", "a photo type outside §7.3"),
    ("shareVehInfo", "vehicleType", "ZZZ", "a vehicle type outside §7.7"),
    ("shareInnerMHYElec", "mhyStatus", "4", "a status outside 1/2/3"),
    ("shareInnerMHYElec", "imageInfo", "", "imageInfo (必选) empty"),
]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _rule_breakers(hcs) -> list[tuple[str, dict, str]]:
    """Valid values each breaking one rule beside the tables: (interface, value, what is wrong)."""
    limit = int(VALIDATOR.tables.meta["photo_max_bytes"])
    png, big = hcs.valid("sharePhotoInfo", 330), hcs.valid("sharePhotoInfo", 331)
    png["base64Image"] = base64.b64encode(PNG).decode()
    jpeg = base64.b64decode(big["base64Image"])
    big["base64Image"] = base64.b64encode(jpeg[:-2] + b"\x00" * (limit + 1 - len(jpeg)) + jpeg[-2:]).decode()
    out = [("sharePhotoInfo", png, "§2.2: a PNG photo (JPG required)"),
           ("sharePhotoInfo", big, f"§2.2: a JPEG of {limit + 1} bytes (at most 1M)")]
    for n, interface in enumerate(("shareVehInfo", "shareInnerVehInfo")):
        value = hcs.valid(interface, 332 + n)
        value.update(drivingLicenseImg="", drivingLicenseImg2="")
        out.append((interface, value, "both licence and list image empty (不能同时为空)"))
    return out


@pytest.mark.interface("shareDrivingRecord")
def test_token_missing(hcs, vrun):
    none = hcs.call("shareDrivingRecord", hcs.valid("shareDrivingRecord", 301), token="", note="no access_token")
    forged = hcs.call("shareDrivingRecord", hcs.valid("shareDrivingRecord", 301), token="0" * 32,
                      note="an access_token the platform never issued")
    problems = C.refused(none, "401", "no access_token") + C.refused(forged, "401", "a forged access_token")
    require(vrun, [hcs.record("henan.server.reject.token_missing", problems, interface="shareDrivingRecord",
                              stage=STAGE, evidence=[none, forged])])


@pytest.mark.interface("shareDrivingRecord")
def test_token_expired(hcs, vrun):
    if not hcs.hook:
        require(vrun, [hcs.skip("henan.server.reject.token_expired", hcs.no_hook_reason("moving the clock 2 h"),
                                interface="shareDrivingRecord", stage=STAGE)])
        return
    hcs.login("a fresh token")
    old = hcs.token
    hcs.advance(TOKEN_TTL + 1)
    reply = hcs.call("shareDrivingRecord", hcs.valid("shareDrivingRecord", 302), token=old, note="token 2 h old")
    hcs.login("a new token after the expiry case")
    require(vrun, [hcs.record("henan.server.reject.token_expired", C.refused(reply, "401", "a token 2 h old"),
                              interface="shareDrivingRecord", stage=STAGE, evidence=[reply])])


def _all_952(hcs, vrun, check_id: str, interface: str, cases: list[tuple[str, dict, str]]) -> None:
    """Send each (interface, value, what is wrong); each must be refused 952. Evidence: what was accepted."""
    problems, replies = [], []
    for iface, value, what in cases:
        reply = hcs.call(iface, value, note=what)
        replies.append(reply)
        problems += C.refused(reply, "952", f"{iface}: {what}")
    shown = [r for r in replies if r.accepted][:4] or replies[:2]
    require(vrun, [hcs.record(check_id, problems, interface=interface, stage=STAGE, evidence=shown)])


@pytest.mark.interface("shareDrivingRecord")
def test_one_field_broken_is_952(hcs, vrun):
    """Every mutant of MUTANTS, each a valid record with one field broken."""
    cases = []
    for n, (interface, field, bad, what) in enumerate(MUTANTS):
        value = hcs.valid(interface, 310 + n)
        if bad is None:
            value.pop(field, None)
        else:
            value[field] = bad
        cases.append((interface, value, what))
    _all_952(hcs, vrun, "henan.server.reject.format", "shareDrivingRecord", cases)


@pytest.mark.interface("sharePhotoInfo")
def test_rule_broken_is_952(hcs, vrun):
    """The rules beside the tables the mock enforces (§2.2 photos, §4.1.2/§4.1.7 image pair), one broken a request."""
    _all_952(hcs, vrun, "henan.server.reject.rule", "sharePhotoInfo", _rule_breakers(hcs))


@pytest.mark.interface("getCheckVehicle")
def test_ipctype_on_the_wrong_path(hcs, vrun):
    body = hcs.envelope("getCheckVehicle", hcs.data.free_vehicle(3))
    reply = hcs.send("getCheckVehicle", body, path="/restapi/transportControl/put_data",
                     note="getCheckVehicle posted to put_data")
    require(vrun, [hcs.record("henan.server.reject.wrong_ipctype", C.refused(reply, "404", "ipctype on another path"),
                              interface="getCheckVehicle", stage=STAGE, evidence=[reply])])


@pytest.mark.interface("shareDrivingRecord")
def test_malformed_body(hcs, vrun):
    reply = hcs.send("shareDrivingRecord", None, raw=b"{organ: 4110020001", note="not JSON")
    require(vrun, [hcs.record("henan.server.reject.malformed", C.refused(reply, "400", "a body that is not JSON"),
                              interface="shareDrivingRecord", stage=STAGE, evidence=[reply])])

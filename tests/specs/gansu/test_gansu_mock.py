"""The Gansu platform mock over loopback: the string envelope, the ;token= parameter, serials per vehicle, images
under an issued serial only, conclusions that agree with their verdicts, every exchange journaled."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from harness.clock import FixedClock
from harness.journal import Journal
from harness.serve import BackgroundServer
from mocks.gansu.app import GansuMock
from schemas.gansu.datagen import StationData, envelope

SEED = 5
BASE = "/restapi/detecting/"


@pytest.fixture()
def platform(request):
    profile = getattr(request, "param", "default")
    mock = GansuMock(journal=Journal(None), profile=profile, clock=FixedClock(), seed=SEED)
    with BackgroundServer(mock.app) as server:
        yield mock, server


def post(server, path, body):
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    req = urllib.request.Request(server.url + path, data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


D = StationData(SEED)


def call(server, path, interface, value, token=None, *, raw_value=False):
    body = envelope(D.company_id, D.source, interface, value)
    if raw_value:
        body["IPCType.value"] = value
    return post(server, BASE + path + (f";token={token}" if token else ""), body)[1]


def login(server):
    ans = call(server, "get_access_token", "getAccessToken", {"username": D.username, "password": D.password})
    assert ans["code"] == "1", ans
    return ans["access_token"]


def serial(server, token, vehicle):
    ans = call(server, "get_data", "getVehicleInfoAndDetectSn", D.serial_request(vehicle), token)
    assert ans["code"] == "1", ans
    data = json.loads(ans["data"])  # data is a JSON string
    assert data["vehicleNo"] == vehicle["vehicleNo"]
    return data["detectSn"]


def outcomes(mock):
    return [e.outcome for e in mock.journal.since(0)]


def test_whole_inspection_is_accepted_and_journaled(platform):
    mock, server = platform
    token = login(server)
    v = D.vehicle(0)
    assert call(server, "put_data", "shareDetectionStationInfo", D.station_info(), token)["code"] == "1"
    assert call(server, "put_data", "shareVehicleInfo", v, token)["code"] == "1"
    sn = serial(server, token, v)
    assert call(server, "put_data", "shareDetectInfo", D.detect_info(v, sn), token)["code"] == "1"
    for iface, root, kind in (("sharePrintImage", "printImage", "1"), ("shareReportImage", "reportImage", "1"),
                              ("shareSignatureImage", "signatureImage", "3")):
        assert call(server, "put_data", iface, {root: D.image_items(v, sn, kind)}, token)["code"] == "1"
    snap = mock.snapshot()["inspections"][sn]
    assert snap["uploads"] == {"shareDetectInfo": 1, "sharePrintImage": 1, "shareReportImage": 1,
                               "shareSignatureImage": 1}
    assert outcomes(mock) == ["ok"] * 8
    assert [e.interface for e in mock.journal.since(0)][:3] == ["getAccessToken", "shareDetectionStationInfo",
                                                                "shareVehicleInfo"]


def test_failed_inspection_with_failed_conclusion_is_accepted(platform):
    mock, server = platform
    token = login(server)
    v = D.vehicle(1)
    sn = serial(server, token, v)
    assert call(server, "put_data", "shareDetectInfo", D.detect_info(v, sn, failed=True), token)["code"] == "1"


def test_token_travels_as_matrix_parameter(platform):
    mock, server = platform
    v = D.vehicle(0)
    assert call(server, "get_data", "getVehicleInfoAndDetectSn", D.serial_request(v))["code"] == "0"
    assert call(server, "get_data", "getVehicleInfoAndDetectSn", D.serial_request(v), "f" * 32)["code"] == "0"
    token = login(server)
    mock.clock.advance(float(mock.ep["token_ttl"]))
    assert call(server, "get_data", "getVehicleInfoAndDetectSn", D.serial_request(v), token)["code"] == "0"
    assert outcomes(mock) == ["token_missing", "token_unknown", "ok", "token_expired"]


def test_wrong_login_and_unknown_station_are_refused(platform):
    mock, server = platform
    assert call(server, "get_access_token", "getAccessToken", {"username": D.username, "password": "x"})["code"] == "0"
    body = envelope("620999999", D.source, "getAccessToken", {"username": D.username, "password": D.password})
    ans = post(server, BASE + "get_access_token", body)[1]
    assert ans["code"] == "0" and "检验检测机构不存在" in ans["status"]
    assert outcomes(mock) == ["login", "unknown_station"]


def test_value_sent_as_object_is_its_own_finding(platform):
    mock, server = platform
    token = login(server)
    v = D.vehicle(0)
    ans = call(server, "get_data", "getVehicleInfoAndDetectSn", D.serial_request(v), token, raw_value=True)
    assert ans["code"] == "0" and "JSON 字符串" in ans["status"]
    assert call(server, "get_data", "getVehicleInfoAndDetectSn", "{not json", token, raw_value=True)["code"] == "0"
    assert outcomes(mock)[1:] == ["value_not_string", "value_not_json"]


def test_value_is_parsed_not_compared(platform):
    """Pretty-printed, keys reordered, nulls left out: the same payload (zongjian: parse, never compare bytes)."""
    mock, server = platform
    token = login(server)
    v = D.vehicle(0)
    pretty = json.dumps(dict(reversed(list(D.serial_request(v).items()))), ensure_ascii=False, indent=4)
    assert call(server, "get_data", "getVehicleInfoAndDetectSn", pretty, token, raw_value=True)["code"] == "1"


def test_serial_not_issued_or_of_another_vehicle_is_refused(platform):
    mock, server = platform
    token = login(server)
    v0, v1 = D.vehicle(0), D.vehicle(1)
    sn = serial(server, token, v0)
    assert call(server, "put_data", "shareDetectInfo", D.detect_info(v0, "620000000000000"), token)["code"] == "0"
    assert call(server, "put_data", "shareDetectInfo", D.detect_info(v1, sn), token)["code"] == "0"
    assert call(server, "put_data", "sharePrintImage", {"printImage": D.image_items(v0, "NOPE", "1")}, token)["code"] == "0"
    assert call(server, "put_data", "shareReportImage", {"reportImage": D.image_items(v1, sn, "1")}, token)["code"] == "0"
    assert outcomes(mock)[2:] == ["serial_unknown", "serial_other_vehicle", "serial_unknown", "serial_other_vehicle"]
    assert mock.snapshot()["inspections"][sn]["uploads"] == {}


def test_conclusion_contradicting_its_verdicts_is_refused(platform):
    mock, server = platform
    token = login(server)
    v = D.vehicle(0)
    sn = serial(server, token, v)
    body = D.detect_info(v, sn, failed=True)
    body["detectReport"]["detectResult"] = "合格"
    ans = call(server, "put_data", "shareDetectInfo", body, token)
    assert ans["code"] == "0" and "brake.singleAxle[1]" in ans["status"]
    assert outcomes(mock)[-1] == "conclusion_contradicts"


def test_format_faults_are_refused_with_the_field(platform):
    mock, server = platform
    token = login(server)
    v = D.vehicle(0)
    sn = serial(server, token, v)
    for field, bad in (("plateColorCode", "0"), ("detectDate", "2026/11/29"), ("detectLine", "a")):
        body = D.detect_info(v, sn)
        body["detectRecord"][field] = bad
        ans = call(server, "put_data", "shareDetectInfo", body, token)
        assert ans["code"] == "0" and field in ans["status"], ans
    body = D.detect_info(v, sn)
    body["detectRecord"]["power"] = {"evaluate": "x"}
    assert "power.evaluate" in call(server, "put_data", "shareDetectInfo", body, token)["status"]
    assert outcomes(mock)[2:] == ["invalid"] * 4


def test_numbers_for_counts_are_a_documented_reading(platform):
    mock, server = platform
    token = login(server)
    v = D.vehicle(0)
    sn = serial(server, token, v)
    body = D.detect_info(v, sn)
    body["detectRecord"]["travelMileage"] = 12345
    assert call(server, "put_data", "shareDetectInfo", body, token)["code"] == "1"
    assert mock.journal.since(0)[-1].notes["warnings"][0]["errata"] == "E-GS-05"


@pytest.mark.parametrize("number", [1234567.0, 12345.0, 3.0, 40000000])
def test_numbers_written_n_point_0_are_read_as_their_digits(platform, number):
    """A whole number written N.0 (as some JSON writers do) is that number, however large: not 1.23457e+06."""
    mock, server = platform
    token = login(server)
    v = D.vehicle(0)
    body = D.detect_info(v, serial(server, token, v))
    body["detectRecord"].update(travelMileage=number, detectTotalCount=1.0)
    ans = call(server, "put_data", "shareDetectInfo", body, token)
    assert ans["code"] == "1", ans


@pytest.mark.parametrize("platform", ["strict"], indirect=True)
def test_strict_profile_refuses_numbers(platform):
    mock, server = platform
    token = login(server)
    v = D.vehicle(0)
    sn = serial(server, token, v)
    body = D.detect_info(v, sn)
    body["detectRecord"]["seatCount"] = 5
    assert call(server, "put_data", "shareDetectInfo", body, token)["code"] == "0"


def test_wrong_path_and_station_mismatch(platform):
    mock, server = platform
    token = login(server)
    v = D.vehicle(0)
    assert call(server, "put_data", "getVehicleInfoAndDetectSn", D.serial_request(v), token)["code"] == "0"
    other = {**D.serial_request(v), "dsId": "620102999"}
    assert call(server, "get_data", "getVehicleInfoAndDetectSn", other, token)["code"] == "0"
    assert outcomes(mock)[1:] == ["wrong_ipctype", "owner"]


def test_the_station_state_stays_bounded_whatever_is_sent(monkeypatch):
    """Live tokens and issued serials keep their newest entries (drops counted); an upload is counted, not kept
    (its body, photos included, is in the journal). Limits made small here; the same code runs at the real ones."""
    from harness.clock import Clock
    from mocks.gansu.state import StationState

    monkeypatch.setattr(StationState, "max_tokens", 1)
    monkeypatch.setattr(StationState, "max_inspections", 2)
    st = StationState(Clock(), 7200)
    st.add_account("C1", "src", "u", "p")
    first, second = st.login("C1", "u", "p").value, st.login("C1", "u", "p").value
    assert st.token_status(first, "C1") == "unknown" and st.token_status(second, "C1") == "ok"
    car = {"vehicleNo": "甘A00001", "plateColorCode": "1", "vinNo": "LVSHCAMB1CE000001"}
    sns = [st.issue("C1", car).detect_sn for _ in range(3)]
    assert list(st.inspections) == sns[1:] and st.serial_problem("C1", sns[0], car)[0] == "serial_unknown"
    st.store(sns[2], "shareDetectInfo", {"photo": "x" * 10_000})
    st.store(sns[2], "shareDetectInfo", {"photo": "y" * 10_000})
    assert st.inspections[sns[2]].uploads == {"shareDetectInfo": 2}
    assert st.snapshot()["dropped"] == {"tokens": 1, "inspections": 1}

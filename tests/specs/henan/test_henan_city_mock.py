"""The Henan city mock over loopback: tokens, §2.6 codes, controlled vehicles, lsh links, alternative readings."""
from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import pytest

from harness.clock import FixedClock
from harness.journal import Journal
from harness.serve import BackgroundServer
from mocks.henan.city_app import HenanCityMock
from schemas.henan.datagen import CityData

SEED = 9
BASE = "/ysgk/restapi/transportControl/"


@pytest.fixture()
def city(request):
    profile = getattr(request, "param", "default")
    mock = HenanCityMock(journal=Journal(None), profile=profile, clock=FixedClock(), seed=SEED)
    with BackgroundServer(mock.app) as server:
        yield mock, server


def post(server, path, body, ctype="application/json"):
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    req = urllib.request.Request(server.url + path, data=data, method="POST", headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def login(server, d=None):
    a = (d or CityData(SEED)).account()
    _, ans = post(server, BASE + "get_data", {"organ": a["organ"], "ipctype": "getAccessToken",
                                              "username": a["username"], "password": a["password"]})
    return ans


def env(token, interface, value, d=None):
    return {"organ": (d or CityData(SEED)).qybh, "ipctype": interface, "access_token": token, "value": value}


def test_token_is_issued_and_expires_after_two_hours(city):
    mock, server = city
    d = CityData(SEED)
    ans = login(server)
    assert ans["code"] == "200" and len(ans["access_token"]) == 32 and ans["datetime"][4] == "-"
    record = d.passage(d.free_vehicle())
    assert post(server, BASE + "put_data", env(ans["access_token"], "shareDrivingRecord", record))[1]["code"] == "200"
    mock.clock.advance(7200)
    status, body = post(server, BASE + "put_data", env(ans["access_token"], "shareDrivingRecord", record))
    assert (status, body["code"]) == (200, "401")
    assert [e.notes.get("token") for e in mock.journal.since(0)][-1] == "expired"


def test_wrong_login_and_unknown_token_are_401(city):
    _, server = city
    a = CityData(SEED).account()
    bad = {"organ": a["organ"], "ipctype": "getAccessToken", "username": a["username"], "password": "nope"}
    assert post(server, BASE + "get_data", bad)[1]["code"] == "401"
    assert post(server, BASE + "get_data", env("F" * 32, "getCheckVehicle", {"license": "豫A12345",
                                                                             "licenseColor": "1"}))[1]["code"] == "401"


def test_format_failures_are_952_and_not_json_is_400(city):
    _, server = city
    d = CityData(SEED)
    tok = login(server)["access_token"]
    record = {**d.passage(d.free_vehicle()), "tgzt": "3"}
    _, ans = post(server, BASE + "put_data", env(tok, "shareDrivingRecord", record))
    assert ans["code"] == "952" and "tgzt" in ans["status"]
    assert post(server, BASE + "put_data", b"{not json")[1]["code"] == "400"


def test_controlled_vehicle_and_wrong_path(city):
    _, server = city
    d = CityData(SEED)
    tok = login(server)["access_token"]
    controlled = d.controlled_vehicles()[0]
    query = {"license": controlled["license"], "licenseColor": controlled["licenseColor"]}
    _, ans = post(server, BASE + "get_data", env(tok, "getCheckVehicle", query))
    assert ans["value"]["isControl"] == "1" and ans["value"]["controlReason"]
    _, ans = post(server, BASE + "get_data", env(tok, "getCheckVehicle", d.free_vehicle()))
    assert ans["value"]["isControl"] == "0"
    assert post(server, BASE + "put_data", env(tok, "getCheckVehicle", query))[1]["code"] == "404"


def test_photo_and_goods_link_to_their_passage_by_lsh(city):
    mock, server = city
    d = CityData(SEED)
    tok = login(server)["access_token"]
    record = d.passage(d.free_vehicle())
    other = {**d.goods(record), "lsh": record["lsh"][:-1] + "9"}
    for path, iface, value in (("put_data", "shareDrivingRecord", record), ("put_file", "sharePhotoInfo", d.photo(record)),
                               ("put_data", "shareGoodsRecord", d.goods(record)), ("put_data", "shareGoodsRecord", other)):
        assert post(server, BASE + path, env(tok, iface, value))[1]["code"] == "200"
    snap = mock.snapshot()
    assert snap["passages"][record["lsh"]] | {} == {"cphm": record["cphm"], "tgzt": "1", "photos": 1, "goods": 1}
    assert snap["orphans"] == [["shareGoodsRecord", other["lsh"]]]


def test_other_enterprise_is_403(city):
    _, server = city
    d = CityData(SEED)
    tok = login(server)["access_token"]
    record = {**d.passage(d.free_vehicle()), "qybh": "4101010001"}
    record["lsh"] = "4101010001" + record["lsh"][10:]
    assert post(server, BASE + "put_data", env(tok, "shareDrivingRecord", record))[1]["code"] == "403"


@pytest.mark.parametrize("city", ["default", "multipart-photos"], indirect=True)
def test_multipart_photo_is_the_alternative_reading(city):
    mock, server = city
    d = CityData(SEED)
    tok = login(server)["access_token"]
    record = d.passage(d.free_vehicle())
    post(server, BASE + "put_data", env(tok, "shareDrivingRecord", record))
    photo = d.photo(record)
    jpeg = base64.b64decode(photo.pop("base64Image"))
    info = json.dumps(env(tok, "sharePhotoInfo", photo), ensure_ascii=False).encode()
    body = (b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n' + jpeg +
            b'\r\n--B\r\nContent-Disposition: form-data; name="info"\r\n\r\n' + info + b"\r\n--B--\r\n")
    assert post(server, BASE + "put_file", body, "multipart/form-data; boundary=B")[1]["code"] == "200"
    warned = [w["errata"] for w in mock.journal.since(0)[-1].notes["warnings"]]
    assert warned == ([] if mock.profile["name"] == "multipart-photos" else ["E-HN-02"])


@pytest.mark.parametrize("city", ["strict"], indirect=True)
def test_strict_profile_refuses_the_printed_flat_body(city):
    _, server = city
    d = CityData(SEED)
    tok = login(server)["access_token"]
    status, ans = post(server, BASE + "put_data", {"accessToken": tok, **d.machine()})
    assert ans["result"] == "fail" and "E-HN-03" in ans["err"]


@pytest.mark.parametrize("city", ["http-mirror"], indirect=True)
def test_http_status_mirrors_the_code_under_e_hn_13(city):
    _, server = city
    status, ans = post(server, BASE + "get_data", env("F" * 32, "getCheckVehicle", {"license": "豫A1", "licenseColor": "1"}))
    assert (status, ans["code"]) == (401, "401")


def test_faults_through_the_admin_hook_are_journaled(city):
    mock, server = city
    d = CityData(SEED)
    tok = login(server)["access_token"]
    assert post(server, "/__vconform/fault", {"kind": "expire_token"})[1]["ok"] is True
    record = d.passage(d.free_vehicle())
    assert post(server, BASE + "put_data", env(tok, "shareDrivingRecord", record))[1]["code"] == "401"
    assert post(server, "/__vconform/fault", {"kind": "http_5xx", "value": 503})[1]["ok"] is True
    status, body = post(server, BASE + "get_data", env(tok, "getCheckVehicle", d.free_vehicle()))
    assert (status, body["code"]) == (503, "500")
    outcomes = [(e.outcome, e.notes.get("faults")) for e in mock.journal.since(0)][-2:]
    assert outcomes == [("token_expired", ["expire_token"]), ("fault_5xx", ["http_5xx"])]


def test_the_city_state_stays_bounded_whatever_is_sent(monkeypatch):
    """Passages, tokens and the logs keep their newest entries only (the journal has every exchange); a dropped
    passage's later photo is an orphan; a ledger keeps no image. The limits made small here; the same code runs at
    the real ones."""
    from harness.clock import Clock
    from mocks.henan.city_state import CityState

    monkeypatch.setattr(CityState, "max_passages", 3)
    monkeypatch.setattr(CityState, "max_tokens", 2)
    monkeypatch.setattr(CityState, "max_log", 2)
    st = CityState(Clock(), 7200)
    st.add_account("4101010001", "u", "p")
    toks = [st.login("4101010001", "u", "p").value for _ in range(3)]
    assert list(st.tokens) == toks[1:] and st.token_status(toks[0], None) == "unknown"
    for i in range(5):
        assert st.store("shareDrivingRecord", {"lsh": f"L{i}", "cphm": "豫A0000{i}", "tgzt": "1"}) == "new"
    assert list(st.passages) == ["L2", "L3", "L4"] and st.dropped == {"passages": 2, "tokens": 1}
    assert st.store("sharePhotoInfo", {"lsh": "L0"}) == "orphan" and st.store("sharePhotoInfo", {"lsh": "L4"}) == "linked"
    assert st.passage("L4").photos == 1 and st.passage("L0") is None
    for i in range(3):
        st.store("shareGoodsRecord", {"lsh": f"X{i}"})
    assert list(st.orphans) == [("shareGoodsRecord", "X1"), ("shareGoodsRecord", "X2")]
    st.store_ledger("shareInnerVehInfo", {"license": "豫A1", "licenseColor": "1", "drivingLicenseImg": "x" * 5000})
    assert st.inner_vehicles[("豫A1", "1")]["drivingLicenseImg"] == "(5000 characters)"
    assert st.snapshot()["dropped"] == {"passages": 2, "tokens": 1}

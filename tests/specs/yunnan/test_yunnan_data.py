"""The yunnan data generator and identifier check characters."""
from __future__ import annotations

import base64
import re
import shutil
import struct
import subprocess

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import identifiers as ids
from schemas.yunnan.datagen import YunnanData, tiny_jpeg
from schemas.yunnan.validate import validate

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fails(interface, direction, obj):
    return [v.message for v in validate(interface, direction, obj) if v.level == "fail"]


@FAST
@given(st.integers())
def test_every_interface_sample_validates(seed):
    d = YunnanData(seed)
    for name in d.tables.interfaces:
        for direction in ("request", "response"):
            obj = d.sample(name, direction)
            assert validate(name, direction, obj) == [], (seed, name, direction)


@FAST
@given(st.integers(), st.integers(min_value=1, max_value=99999), st.sampled_from([0, 1, "0", "1"]))
def test_records_validate_for_any_seed_and_sequence(seed, seq, access_type):
    d = YunnanData(seed)
    v = d.vehicle(seq)
    assert _fails("vehicleInfo", "request", v) == []
    assert _fails("nonMachinery", "request", d.machinery(seq)) == []
    assert _fails("cameraInfo", "request", d.camera("ABCD"[seq % 4], seq % 100 or 1)) == []
    assert _fails("vehicleAccess", "request", d.access_record(v, seq, access_type)) == []
    assert _fails("exceedVehicleConfirm", "request", d.exceed_confirm(d.exceed_record(seq))) == []
    assert _fails("heartBeat", "request", d.heartbeat()) == []
    for interface in ("exceedVehicle", "basStrategy", "alarmVehicle"):
        page = d.page(interface, start=seq, count=2, total=seq + 10)
        assert page["isNew"] == "1"
        assert validate(interface, "response", page) == []


@FAST
@given(st.integers(), st.from_regex(r"[0-9A-Za-z]{1,22}", fullmatch=True))
def test_any_enterprise_id_gives_valid_records(seed, eid):
    d = YunnanData(seed, eid)
    assert d.enterprise_id == eid
    e = d.enterprise()
    assert e["enterpriseId"] == eid and ids.is_valid_uscc(e["enterpriseCode"])
    assert validate("enterprise", "request", e) == []
    assert validate("vehicleAccess", "request", d.access_record(d.vehicle(3), 4, 1)) == []


def test_same_seed_same_data_whatever_the_call_order():
    a, b = YunnanData(42), YunnanData(42)
    first = a.vehicle(7)
    b.machinery(1), b.exceed_record(3), b.enterprise()
    assert b.vehicle(7) == first and a.enterprise() == b.enterprise()
    assert YunnanData(43).vehicle(7) != first
    assert [a.alarm_record(i) for i in range(3)] == [b.alarm_record(i) for i in range(3)]


def test_realistic_values():
    d = YunnanData(3)
    e = d.enterprise()
    regions = d.tables.entries("region")
    assert regions[e["regionCode"]]["parent"] == e["areaCode"]
    assert e["enterpriseCode"][2:8] == e["regionCode"]  # a USCC carries the registering county
    assert e["address"].startswith("云南省" + regions[e["areaCode"]]["name"])
    assert d.tables.entries("industryBranch")[e["industryBranch"]]["parent"] == e["industryType"]
    plates = [d.vehicle(i)["licensePlate"] for i in range(1, 40)]
    assert sum(p.startswith("云") for p in plates) == len(plates)
    assert all(re.fullmatch(r"云[A-Z][0-9A-HJ-NP-Z]{5}|云[A-Z]([DF][0-9]{5}|[0-9]{5}[DF])", p) for p in plates)
    for i in range(1, 40):
        v = d.vehicle(i)
        assert ids.is_valid_vin(v["vin"])
        assert (v["plateColor"] in "46") == (v["fuelType"] == "C")
    eids = [YunnanData(s).enterprise_id for s in range(40)]
    assert {len(x) for x in eids} == {18, 22}
    assert all(ids.is_valid_uscc(x[:18]) for x in eids)


def test_vin_check_digit_on_the_textbook_example():
    # 1M8GDM9AXKP042788: the worked example of the check digit in 49 CFR 565 / ISO 3779 literature
    # (also Wikipedia "Vehicle identification number", check-digit section): check digit X.
    assert ids.vin_check_digit("1M8GDM9AXKP042788") == "X"
    assert ids.is_valid_vin("1M8GDM9AXKP042788")
    assert not ids.is_valid_vin("1M8GDM9A1KP042788")
    assert not ids.is_valid_vin("1M8GDM9AXKP04278")  # 16 characters
    assert not ids.is_valid_vin("IM8GDM9AXKP042788")  # I is not in the alphabet
    assert ids.with_vin_check_digit("1M8GDM9A0KP042788") == "1M8GDM9AXKP042788"


def test_uscc_check_character_on_published_codes():
    # 91350100M000100Y43: the code used as the worked example of GB 32100 in many public write-ups.
    assert ids.uscc_check_char("91350100M000100Y4") == "3"
    assert ids.is_valid_uscc("91350100M000100Y43")
    # 91130200699229617X: 河钢股份有限公司唐山分公司, the HJ 608-2017 annex A example.
    assert ids.is_valid_uscc("91130200699229617X")
    assert not ids.is_valid_uscc("91350100M000100Y44")
    assert not ids.is_valid_uscc("91350100M000100Y4")
    # its organisation code part carries a GB 11714 check character too
    assert ids.org_code_check_char("M000100Y") == "4" and ids.org_code_check_char("69922961") == "7"


def _segments(jpeg: bytes):
    assert jpeg[:2] == b"\xff\xd8" and jpeg[-2:] == b"\xff\xd9"
    i, seen = 2, []
    while True:
        assert jpeg[i] == 0xFF
        marker = jpeg[i + 1]
        (length,) = struct.unpack(">H", jpeg[i + 2:i + 4])
        seen.append(marker)
        i += 2 + length
        if marker == 0xDA:
            return seen, jpeg[i:-2]


def test_images_are_small_valid_jpeg_data_urls(tmp_path):
    url = YunnanData(9).vehicle(1)["carImg1"]
    assert url.startswith("data:image/jpeg;base64,")
    raw = base64.b64decode(url.split(",", 1)[1], validate=True)
    assert 150 < len(raw) < 1000
    markers, scan = _segments(raw)
    assert markers == [0xE0, 0xFE, 0xDB, 0xC0, 0xC4, 0xC4, 0xDA]
    assert re.fullmatch(rb"([^\xff]|\xff\x00)*", scan)  # entropy data is byte-stuffed
    djpeg = shutil.which("djpeg")
    if djpeg:  # a full decode where libjpeg's tool is installed
        (tmp_path / "a.jpg").write_bytes(tiny_jpeg([[0, 255, 128], [10, 20, 30]]))
        out = subprocess.run([djpeg, "-pnm", str(tmp_path / "a.jpg")], capture_output=True, check=True).stdout
        assert out.startswith(b"P5\n24 16\n255\n")

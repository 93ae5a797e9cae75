"""The Hypothesis strategies of the yunnan suites generate what they claim: valid ids, plates, codes and records."""
from __future__ import annotations

import re
import warnings
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings

from harness import specdata
from harness.schemagen import load
from harness import identifiers as ids
from schemas.yunnan.validate import validate
from suites.yunnan import strategies as S

with warnings.catch_warnings():  # the suite's markers (role, stage, interface) are the vconform plugin's, not ours
    warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
    from suites.yunnan.test_stage3_client_fuzz import ID_FIELD, PAGE_COUNTS, feeds

EID = "91530102MA6K7QH12X001P"
UPLOADS = specdata.interfaces_of_kind("yunnan", "upload", "heartbeat")
FAST = settings(max_examples=40, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(S.vins())
def test_vins_have_a_valid_check_digit(vin):
    assert ids.is_valid_vin(vin), vin
    assert vin[9] in ids.VIN_YEAR_CODES


@FAST
@given(S.usccs())
def test_usccs_have_a_valid_check_character_and_a_yunnan_county(code):
    assert ids.is_valid_uscc(code), code
    assert load("yunnan").entries("region")[code[2:8]]["level"] == "county"


@FAST
@given(S.plate_and_colour())
def test_plates_are_well_formed_for_their_colour(pc):
    plate, colour = pc
    assert colour in S.PLATE_COLOURS
    assert ids.is_valid_plate(plate, S.PLATE_COLOUR_KEYS[colour]), (plate, colour)
    assert (len(plate) == 8) == (colour in "46"), f"new-energy plates (colour 4, 6) have 8 characters: {plate} {colour}"


def test_plate_colour_codes_are_the_7_6_table():
    assert sorted(S.PLATE_COLOUR_KEYS) == sorted(load("yunnan").entries("plateColor"))


def test_region_table_has_the_gb_t_2260_structure():
    """Every §7.2 code is a Yunnan GB/T 2260 code whose parent is the one its digits say."""
    for code, e in load("yunnan").entries("region").items():
        assert code[:2] == "53" and ids.region_level(code) == e["level"], (code, e)
        if "parent" in e:
            assert ids.region_parent(code) == e["parent"], (code, e)


@FAST
@given(S.region_pairs(), S.industry_pairs())
def test_region_and_industry_pairs_are_consistent(region, industry):
    t = load("yunnan")
    city, county = region
    assert t.entries("region")[city]["level"] == "city"
    assert t.entries("region")[county]["parent"] == city
    assert t.entries("industryBranch")[industry[1]]["parent"] == industry[0]


@FAST
@given(S.query_times())
def test_query_times_use_the_examples_format(text):
    """E-YN-17: the examples' YYYY-MM-DD only; the other formats are readings a platform may accept."""
    assert _parses(text, "%Y-%m-%d") and len(text) == 10


def _parses(text, fmt):
    try:
        datetime.strptime(text, fmt)
        return True
    except ValueError:
        return False


@pytest.mark.parametrize("interface", UPLOADS)
def test_generated_requests_validate_without_any_finding(interface):
    """Unfiltered strategies already give valid records: the validator reports neither failures nor warnings."""

    @settings(max_examples=30, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(S.requests(interface, EID, checked=False))
    def check(record):
        found = validate(interface, "request", record)
        assert not found, [v.message for v in found]
        if "enterpriseId" in record:
            assert record["enterpriseId"] == EID

    check()


def test_access_record_ids_are_composed_as_6_13_says():
    @FAST
    @given(S.requests("vehicleAccess", EID, checked=False))
    def check(rec):
        rid = rec["recordId"]
        assert re.fullmatch(r"[0-9]{18}", rid[:18]) and rid[18:18 + len(EID)] == EID
        assert rid[-6] == rec["accessType"] and rid[-5:].isdigit()
        assert rid[:14] == rec["accessTime"].replace("-", "").replace(" ", "").replace(":", "")
        assert rec["vehicleId"].startswith(EID) and len(rec["vehicleId"]) == len(EID) + 5

    check()


def test_profile_picks_the_nvr_port_spelling():
    profile = {**specdata.profile("yunnan"), "nvr_port_field": "nvrPort"}

    @FAST
    @given(S.requests("cameraInfo", EID, profile, checked=False))
    def check(rec):
        assert "nvrPort" in rec and "nvrPost" not in rec
        assert not [v for v in validate("cameraInfo", "request", rec, profile=profile) if v.level == "fail"]

    check()


@pytest.mark.parametrize("interface", ["exceedVehicle", "basStrategy", "alarmVehicle"])
def test_served_feeds_are_valid_pages_with_unique_ids(interface):
    @settings(max_examples=10, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(feeds(interface))
    def check(feed):
        recs = feed.records(datetime(2027, 12, 31, 23, 59, 58), "T")
        assert feed.count in PAGE_COUNTS
        assert len(recs) == feed.count and len({r[ID_FIELD[interface]] for r in recs}) == feed.count
        for i in range(0, len(recs), S.PAGE):
            page = {"totalRecords": str(len(recs)), "isNew": "0", "records": recs[i:i + S.PAGE]}
            fails = [v.message for v in validate(interface, "response", page) if v.level == "fail"]
            assert not fails, fails[:3]

    check()


def test_queries_validate():
    for interface in ("exceedVehicle", "basStrategy", "alarmVehicle"):
        @FAST
        @given(S.queries(interface, EID))
        def check(q):
            assert not validate(interface, "request", q)

        check()


@pytest.mark.slow
def test_edge_feeds_catch_a_client_that_reads_one_page(tmp_path):
    """The client-role fuzz stage serves full and multi-page feeds: a client ignoring isNew fails there, with a replay."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    broken = root / "tests" / "specs" / "yunnan" / "broken_clients.py"
    out = tmp_path / "report"
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "yunnan", "--stage", "fuzz", "--only", "basStrategy",
                           "--seed", "31", "--out", str(out), "--sut-cmd", f"{sys.executable} {broken} isnew-ignored"],
                          cwd=root, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "VCONFORM_HOME": str(tmp_path / "home")})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads((out / "report.json").read_text("utf-8"))
    (failed,) = [c for i in report["interfaces"] for c in i["checks"]
                 if c["verdict"] == "fail" and c["id"] == "yunnan.pull.complete"]
    assert failed["stage"] == "fuzz" and "seed 31; replay: vconform run yunnan --role client --seed 31" in failed["message"]

"""harness.identifiers against published vectors (each with its source and a hand recomputation), and its strategies.

No vector here was produced by the code under test: each is printed in the named source, and the comment
beside it redoes the arithmetic by hand.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import identifiers as ids
from harness.identifiers import strategies as idst

FAST = settings(max_examples=60, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- GB 16735 / ISO 3779 / 49 CFR 565.15 VIN ---------------------------------------------------------

def test_vin_worked_example():
    # 1M8GDM9AXKP042788: the check-digit worked example of Wikipedia "Vehicle identification number"
    # (North American check digit, 49 CFR 565.15; the same scheme as GB 16735 annex). By hand: values
    # 1 4 8 7 4 4 9 1 _ 2 7 0 4 2 7 8 8 x weights 8 7 6 5 4 3 2 10 0 9 8 7 6 5 4 3 2 = 351; 351 mod 11 = 10 -> X.
    assert ids.vin_check_digit("1M8GDM9AXKP042788") == "X"
    assert ids.is_valid_vin("1M8GDM9AXKP042788")
    assert ids.with_vin_check_digit("1M8GDM9A0KP042788") == "1M8GDM9AXKP042788"


def test_vin_all_ones():
    # 11111111111111111: cited in the same article as a VIN that passes the check. By hand: the sum of
    # the weights is 89; 89 mod 11 = 1, and position 9 holds 1.
    assert ids.is_valid_vin("11111111111111111")
    assert not ids.is_valid_vin("11111111211111111")


@pytest.mark.parametrize("vin", ["1M8GDM9A1KP042788",  # wrong check digit
                                 "1M8GDM9AXKP04278",  # 16 characters
                                 "IM8GDM9AXKP042788",  # I is not in the alphabet (GB 16735 §5.1)
                                 "1M8GDM9AXKP04278O", "1m8gdm9axkp042788", None, 17])
def test_vin_rejects(vin):
    assert not ids.is_valid_vin(vin)


@FAST
@given(idst.vins(), st.integers(0, 16), st.sampled_from(ids.VIN_ALPHABET))
def test_vin_check_digit_catches_every_single_substitution(vin, pos, char):
    # 11 is prime and every weight but position 9's is 1..10: a changed value always changes the sum mod 11.
    assert ids.is_valid_vin(vin) and vin[9] in ids.VIN_YEAR_CODES
    if pos != 8 and ids.VIN_TRANSLITERATION[char] != ids.VIN_TRANSLITERATION[vin[pos]]:
        assert not ids.is_valid_vin(vin[:pos] + char + vin[pos + 1:])


# ---- GB 32100 unified social credit code, GB 11714 organisation code -------------------------------

def test_uscc_published_codes():
    # 91350100M000100Y43: the example code of GB 32100-2015, reproduced in most public write-ups. By hand
    # (values: digits as such, M = 21, Y = 30): 9*1 + 1*3 + 3*9 + 5*27 + 0*19 + 1*26 + 0*16 + 0*17 + 21*20
    # + 0*29 + 0*25 + 0*13 + 1*8 + 0*24 + 0*10 + 30*30 + 4*28 = 1640; 1640 mod 31 = 28; 31 - 28 = 3.
    assert ids.uscc_check_char("91350100M000100Y4") == "3"
    assert ids.is_valid_uscc("91350100M000100Y43")
    # 91130200699229617X: HJ 608-2017 annex A (河钢股份有限公司唐山分公司). By hand: the weighted sum of
    # 9113020069922961 7 is 1304; 1304 mod 31 = 2; 31 - 2 = 29, the character worth 29 is X.
    assert ids.is_valid_uscc("91130200699229617X")
    assert ids.uscc_kind("91130200699229617X") == ("工商", "企业")
    assert ids.uscc_kind("31") == ("司法行政", "律师执业机构")
    assert ids.uscc_kind("9X") is None and ids.uscc_kind("Z1") is None


@pytest.mark.parametrize("code", ["91350100M000100Y44", "91350100M000100Y4", "91350100M000100I43",
                                  "9135010AM000100Y43", "", None])
def test_uscc_rejects(code):
    assert not ids.is_valid_uscc(code)


def test_organisation_code_examples():
    # D2143569-X: the example of GB 11714-1997 as reproduced publicly. By hand (D = 13): 13*3 + 2*7 + 1*9
    # + 4*10 + 3*5 + 5*8 + 6*4 + 9*2 = 199; 199 mod 11 = 1; 11 - 1 = 10 -> X.
    assert ids.org_code_check_char("D2143569") == "X"
    assert ids.is_valid_org_code("D2143569-X") and ids.is_valid_org_code("D2143569X")
    # The organisation codes inside the two USCC vectors above. By hand: M000100Y: 22*3 + 1*5 + 34*2 = 139,
    # 139 mod 11 = 7, 11 - 7 = 4; 69922961: 6*3 + 9*7 + 9*9 + 2*10 + 2*5 + 9*8 + 6*4 + 1*2 = 290,
    # 290 mod 11 = 4, 11 - 4 = 7.
    assert ids.org_code_check_char("M000100Y") == "4" and ids.org_code_check_char("69922961") == "7"
    assert not ids.is_valid_org_code("D2143569-1")
    with pytest.raises(ValueError):
        ids.org_code_check_char("D214356")


@FAST
@given(idst.usccs(), st.integers(0, 16), st.sampled_from(ids.USCC_ALPHABET))
def test_uscc_strategy_and_single_substitutions(code, pos, char):
    # 31 is prime and no weight is 0 mod 31: any changed character of the first 17 changes the check.
    assert ids.is_valid_uscc(code) and ids.is_valid_org_code(code[8:17])
    assert ids.uscc_kind(code) is not None
    assert ids.region_level(code[2:8]) == "county"
    changed = code[:pos] + char + code[pos + 1:]
    if char != code[pos] and ids._USCC_RE.fullmatch(changed):
        assert not ids.is_valid_uscc(changed)


# ---- GB/T 2260 administrative region codes --------------------------------------------------------

def test_region_structure():
    # GB/T 2260: 110000 北京市, 110100 its 市辖区, 110101 东城区; 530000 云南省, 530100 昆明市, 530102 五华区.
    assert [ids.region_level(c) for c in ("110000", "110100", "110101")] == ["province", "city", "county"]
    assert ids.region_parent("530102") == "530100" and ids.region_parent("530100") == "530000"
    assert ids.region_parent("530000") is None
    for bad in ("000000", "990101", "53010", "5301021", "５３０１０２", "53O102", None, 530102):
        assert not ids.is_region_code(bad), bad


def test_province_table():
    p = ids.provinces()
    assert len(p) == 34 and "53" in p and p["53"]["plate"] == "云"  # 34 provincial-level divisions
    abbrevs = ids.plate_provinces()
    assert len(abbrevs) == len(set(abbrevs)) == 31 and "黔" not in abbrevs  # Guizhou plates use 贵


@FAST
@given(st.sampled_from(["province", "city", "county"]).flatmap(lambda lv: st.tuples(st.just(lv), idst.region_codes(lv))))
def test_region_code_strategy(pair):
    level, code = pair
    assert ids.region_level(code) == level


def test_child_pairs_of_a_code_table():
    table = {"530100": {"name": "昆明市", "level": "city"},
             "530102": {"name": "五华区", "level": "county", "parent": "530100"},
             "530103": {"name": "盘龙区", "level": "county", "parent": "530100"}}
    assert idst.child_pairs(table, "county") == [("530100", "530102"), ("530100", "530103")]


# ---- GA 36-2018 plates and colours -----------------------------------------------------------------

@pytest.mark.parametrize("plate, form, colour", [
    ("京A12345", "ordinary", "blue"), ("云AF0236", "ordinary", "yellow"),  # letters may stand in the serial
    ("鲁A1234挂", "suffixed", "yellow"), ("京A1234学", "suffixed", "yellow"), ("京A0001警", "suffixed", "white"),
    ("粤Z1234港", "suffixed", "black"), ("粤Z1234澳", "suffixed", "black"), ("沪A1234领", "suffixed", "black"),
    ("粤BD12345", "new_energy_small", "green"), ("京AFA1234", "new_energy_small", "green"),
    ("粤B12345D", "new_energy_large", "yellow-green"), ("使014578", "embassy", "black"),
])
def test_plate_forms(plate, form, colour):
    assert ids.plate_form(plate) == form
    assert ids.is_valid_plate(plate) and ids.is_valid_plate(plate, colour) and ids.is_valid_plate(plate, "other")


@pytest.mark.parametrize("plate", ["京A1234O", "京I12345", "黔A12345", "京A1234", "京A123456", "京AD1234D",
                                   "使12345", "WJ01234", "", None])
def test_plate_rejects(plate):
    assert not ids.is_valid_plate(plate)


def test_plate_colour_must_carry_the_form():
    assert not ids.is_valid_plate("京A12345", "green")
    assert not ids.is_valid_plate("京A1234警", "yellow") and not ids.is_valid_plate("鲁A1234挂", "white")
    assert not ids.is_valid_plate("粤BD12345", "blue")


def test_colour_tables_map_onto_colour_keys():
    keys = set(ids.data()["colours"])
    for name, table in ids.data()["colour_tables"].items():
        assert set(ids.colour_table(name).values()) <= keys, name
        assert set(table["names"]) == set(table["codes"]), name
    # JT/T 415 as JT/T 809 carries it: 1 blue, 2 yellow, 3 black, 4 white, 9 other
    assert {c: ids.colour_table("jtt415")[c] for c in "12349"} == {
        "1": "blue", "2": "yellow", "3": "black", "4": "white", "9": "other"}


@FAST
@given(st.sampled_from(sorted(ids.data()["colours"])).flatmap(lambda c: st.tuples(st.just(c), idst.plates_of_colour(c))))
def test_plate_strategy_draws_plates_of_the_colour(pair):
    colour, plate = pair
    assert ids.is_valid_plate(plate, colour), pair


@FAST
@given(idst.plate_and_colour(ids.colour_table("jtt415"), provinces="甘豫"))
def test_plate_and_colour_with_a_spec_colour_table(pc):
    plate, code = pc
    assert ids.is_valid_plate(plate, ids.colour_table("jtt415")[code])
    assert plate[0] in "甘豫" or plate.startswith("使")


def test_checks_by_name():
    assert set(ids.CHECKS) == {"vin", "uscc", "org_code", "plate", "region"}
    assert ids.CHECKS["vin"]("1M8GDM9AXKP042788") and not ids.CHECKS["uscc"]("91350100M000100Y44")

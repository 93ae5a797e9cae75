"""Hypothesis strategies for the identifiers of harness.identifiers: every value drawn passes its validator."""
from __future__ import annotations

from typing import Mapping, Sequence

from hypothesis import strategies as st

from harness import identifiers as ids

# Real world manufacturer identifiers (GB 16735 WMI) of Chinese makers, drawn more often than random ones.
WMIS = ("LFW", "LZZ", "LZG", "LGA", "LRD", "LVS", "LSV", "LGB", "LFV", "LB1")
# GB 32100 authority + kind pairs drawn for a code (Table 1): enterprises most often.
USCC_HEADS = ("91", "92", "93", "11", "12", "51", "52", "53", "Y1")


@st.composite
def vins(draw, wmis: Sequence[str] = WMIS) -> str:
    """17 characters of the GB 16735 alphabet with a valid check digit at position 9 and a model-year code."""
    alpha = ids.VIN_ALPHABET
    wmi = draw(st.sampled_from(wmis) | st.text(st.sampled_from(alpha), min_size=3, max_size=3))
    vds = draw(st.text(st.sampled_from(alpha), min_size=5, max_size=5))
    tail = draw(st.sampled_from(ids.VIN_YEAR_CODES)) + draw(st.sampled_from(alpha))
    serial = draw(st.text(st.sampled_from("0123456789"), min_size=6, max_size=6))
    return ids.with_vin_check_digit(f"{wmi}{vds}0{tail}{serial}")


def org_codes() -> st.SearchStrategy[str]:
    """A GB 11714 organisation code, 8 characters + check character (no hyphen)."""
    body = st.text(st.sampled_from("0123456789ABCDEFGHJKLMNPQRTUWXY"), min_size=8, max_size=8)
    return body.map(lambda b: b + ids.org_code_check_char(b))


@st.composite
def usccs(draw, regions: st.SearchStrategy[str] | None = None) -> str:
    """A GB 32100 unified social credit code: authority + kind, a region code, an organisation code, check char.

    `regions` draws the 6-digit region of registration (a spec's county codes); by default any code of a
    GB/T 2260 province."""
    head = draw(st.sampled_from(USCC_HEADS))
    region = draw(regions if regions is not None else region_codes())
    org8 = draw(st.text(st.sampled_from(ids.USCC_ALPHABET), min_size=8, max_size=8))
    code17 = head + region + org8 + ids.org_code_check_char(org8)
    return code17 + ids.uscc_check_char(code17)


def region_codes(level: str = "county") -> st.SearchStrategy[str]:
    """Well-formed GB/T 2260 codes of a level (structure only: a spec's table says which exist)."""
    province = st.sampled_from(sorted(ids.provinces()))
    two = st.integers(1, 99).map(lambda n: f"{n:02d}")
    if level == "province":
        return province.map(lambda p: p + "0000")
    if level == "city":
        return st.builds(lambda p, c: p + c + "00", province, two)
    return st.builds(lambda p, c, d: p + c + d, province, two, two)


def child_pairs(entries: Mapping[str, Mapping], level: str | None = None) -> list[tuple[str, str]]:
    """(parent, code) of every entry of a code table that names its parent, optionally only of one level."""
    return sorted((e["parent"], c) for c, e in entries.items()
                  if "parent" in e and (level is None or e.get("level") == level))


def region_pairs(entries: Mapping[str, Mapping], level: str = "county") -> st.SearchStrategy[tuple[str, str]]:
    """(city, county) pairs, or (parent, code) of another level, from a spec's region code table."""
    return st.sampled_from(child_pairs(entries, level))


def _serial(draw, n: int, chars: str = ids.PLATE_CHARS) -> str:
    return "".join(draw(st.lists(st.sampled_from(chars), min_size=n, max_size=n)))


@st.composite
def plates_of_colour(draw, colour: str, provinces: str | None = None) -> str:
    """A plate of a GA 36 form that the colour (a key of identifiers.toml [colours]) carries."""
    forms = {name: form for name, (_r, form) in ids.plate_forms().items() if colour in form["colours"]}
    if colour == "other":  # "other" accepts every form; draw the common ordinary one
        forms = {"ordinary": forms["ordinary"]}
    name = draw(st.sampled_from(sorted(forms)))
    if name == "embassy":
        return "使" + _serial(draw, 6, "0123456789")
    head = draw(st.sampled_from(provinces or ids.plate_provinces())) + draw(st.sampled_from(ids.PLATE_LETTERS))
    if name == "new_energy_small":
        return head + draw(st.sampled_from("DF")) + _serial(draw, 1) + _serial(draw, 4, "0123456789")
    if name == "new_energy_large":
        return head + _serial(draw, 5, "0123456789") + draw(st.sampled_from("DF"))
    if name == "suffixed":
        return head + _serial(draw, 4) + draw(st.sampled_from(forms[name]["suffix"][colour]))
    return head + _serial(draw, 5)


@st.composite
def plate_and_colour(draw, colour_codes: Mapping[str, str], provinces: str | None = None) -> tuple[str, str]:
    """(plate, colour code) consistent with each other; `colour_codes` maps a spec's codes to colour keys."""
    code = draw(st.sampled_from(sorted(colour_codes)))
    return draw(plates_of_colour(colour_codes[code], provinces)), code

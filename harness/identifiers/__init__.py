"""Chinese national identifiers: validators here, Hypothesis strategies in harness.identifiers.strategies.

GB 16735 vehicle identification numbers, GB 32100 unified social credit codes, GB 11714 organisation codes,
GA 36 licence plates and their colours, GB/T 2260 administrative region codes. The code tables (provinces,
plate forms, colour code tables) are data in identifiers.toml; the list of region codes a spec accepts is
the spec's own (its code tables). Vectors with their sources: tests/engine/test_identifiers.py.
"""
from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path
from typing import Any, Callable

DATA = Path(__file__).resolve().parent / "identifiers.toml"


@functools.lru_cache(maxsize=1)
def data() -> dict[str, Any]:
    """The tables of identifiers.toml."""
    with DATA.open("rb") as fh:
        return tomllib.load(fh)


# --- VIN: GB 16735-2019 §5 / ISO 3779, check digit as in its informative annex (the same scheme as
# US 49 CFR 565.15): letters are transliterated to numbers, multiplied by position weights, summed,
# taken mod 11; a remainder of 10 is written X. Position 9 holds the check digit (weight 0).
VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"  # I, O, Q are never used (GB 16735 §5.1)
VIN_TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8,
    "J": 1, "K": 2, "L": 3, "M": 4, "N": 5, "P": 7, "R": 9,
    "S": 2, "T": 3, "U": 4, "V": 5, "W": 6, "X": 7, "Y": 8, "Z": 9,
}
VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
VIN_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"  # position 10, model year: never 0, I, O, Q, U, Z
_VIN_RE = re.compile(r"[A-HJ-NPR-Z0-9]{17}")


def vin_check_digit(vin: str) -> str:
    """The check character (0-9 or X) that position 9 of this 17-character VIN must hold."""
    if len(vin) != 17 or any(c not in VIN_TRANSLITERATION for c in vin):
        raise ValueError(f"not a 17-character VIN of the GB 16735 alphabet: {vin!r}")
    total = sum(VIN_TRANSLITERATION[c] * w for c, w in zip(vin, VIN_WEIGHTS))
    r = total % 11
    return "X" if r == 10 else str(r)


def is_valid_vin(vin: str) -> bool:
    """17 characters of the GB 16735 alphabet whose position 9 is the right check digit."""
    return isinstance(vin, str) and _VIN_RE.fullmatch(vin) is not None and vin[8] == vin_check_digit(vin)


def with_vin_check_digit(vin: str) -> str:
    """The same VIN with position 9 replaced by its check digit (for generating valid VINs)."""
    return vin[:8] + vin_check_digit(vin[:8] + "0" + vin[9:]) + vin[9:]


# --- Unified social credit code: GB 32100-2015 §4-§5. 18 characters from a 31-character set
# (digits and capital letters except I, O, S, V, Z), each worth its index; positions 1-17 are
# weighted by 3^(i-1) mod 31 and the check character is the one worth 31 - (sum mod 31) (31 -> 0).
# Position 1 is the registration authority, 2 the kind of entity under it, 3-8 the GB/T 2260 region
# of registration, 9-17 the GB 11714 organisation code (with its own check character), 18 the check.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")


def uscc_check_char(code17: str) -> str:
    """The 18th character of a unified social credit code, from its first 17 characters."""
    body = code17[:17]
    if len(body) != 17 or any(c not in USCC_ALPHABET for c in body):
        raise ValueError(f"not the first 17 characters of a GB 32100 code: {code17!r}")
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """18 characters of the GB 32100 layout whose last character is the right check character."""
    return isinstance(code, str) and _USCC_RE.fullmatch(code) is not None and code[17] == uscc_check_char(code)


def uscc_kind(code: str) -> tuple[str, str] | None:
    """(registration authority, kind of entity) that positions 1-2 name per GB 32100 Table 1, else None."""
    if not isinstance(code, str) or len(code) < 2:
        return None
    authority = data()["uscc_authorities"].get(code[0])
    if authority is None or code[1] not in authority["kinds"]:
        return None
    return authority["name"], authority["kinds"][code[1]]


# --- Organisation code (positions 9-17 of a USCC): GB 11714-1997, 8 characters + a check character
# 11 - (sum of values x weights mod 11), 10 -> X, 11 -> 0; letters are worth 10 (A) to 35 (Z).
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_RE = re.compile(r"[0-9A-Z]{8}-?[0-9X]")


def org_code_check_char(body8: str) -> str:
    """The 9th character of an organisation code (GB 11714) from its first 8 characters."""
    if len(body8) != 8 or not body8.isalnum() or not body8.isascii():
        raise ValueError(f"not the first 8 characters of a GB 11714 code: {body8!r}")
    total = sum(int(c, 36) * w for c, w in zip(body8.upper(), ORG_WEIGHTS))
    r = 11 - total % 11
    return "X" if r == 10 else "0" if r == 11 else str(r)


def is_valid_org_code(code: str) -> bool:
    """8 digits or capital letters, an optional hyphen, and the right GB 11714 check character."""
    return (isinstance(code, str) and _ORG_RE.fullmatch(code) is not None
            and code[-1] == org_code_check_char(code[:8]))


# --- GB/T 2260 administrative region codes: 6 digits, 2 for the province, 2 for the city (prefecture),
# 2 for the county; "00" in a place means the code names the level above. Which codes exist is data a
# spec supplies (its region code table); here only the structure and the province table.

def provinces() -> dict[str, dict[str, str]]:
    return data()["provinces"]


def region_level(code: str) -> str | None:
    """"province", "city" or "county" for a well-formed GB/T 2260 code, else None."""
    if not (isinstance(code, str) and len(code) == 6 and code.isdigit() and code.isascii()):
        return None
    if code[:2] not in provinces():
        return None
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def is_region_code(code: str) -> bool:
    """6 digits whose first two name a GB/T 2260 province (the code's existence is the spec's table's to say)."""
    return region_level(code) is not None


def region_parent(code: str) -> str | None:
    """The code one level up: a county's city, a city's province; None for a province or a malformed code."""
    level = region_level(code)
    return {"county": code[:4] + "00", "city": code[:2] + "0000"}.get(level or "")


# --- Licence plates (GA 36-2018) and their colours ------------------------------------------------
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # GA 36: I and O are never used on plates
PLATE_CHARS = "0123456789" + PLATE_LETTERS


def plate_provinces() -> str:
    """The province abbreviations a plate starts with, in GB/T 2260 order."""
    return "".join(p["plate"] for p in provinces().values() if "plate" in p)


@functools.lru_cache(maxsize=1)
def plate_forms() -> dict[str, tuple[re.Pattern, dict]]:
    """Form name -> (compiled regex, its table entry) of identifiers.toml [plate_forms]."""
    subst = {"{P}": f"[{plate_provinces()}]", "{L}": f"[{PLATE_LETTERS}]", "{C}": f"[{PLATE_CHARS}]"}
    out = {}
    for name, form in data()["plate_forms"].items():
        regex = form["regex"]
        for k, v in subst.items():
            regex = regex.replace(k, v)
        out[name] = (re.compile(regex), form)
    return out


def plate_form(plate: str) -> str | None:
    """The name of the GA 36 form a plate has (ordinary, suffixed, new_energy_small…), else None."""
    if not isinstance(plate, str):
        return None
    for name, (regex, _form) in plate_forms().items():
        if regex.fullmatch(plate):
            return name
    return None


def is_valid_plate(plate: str, colour: str | None = None) -> bool:
    """A civilian plate of a GA 36 form; with a colour key (blue, yellow… of [colours]), one that colour carries."""
    name = plate_form(plate)
    if name is None:
        return False
    if colour is None:
        return True
    form = plate_forms()[name][1]
    if colour not in form["colours"]:
        return False
    suffix = form.get("suffix")
    return not suffix or colour == "other" or plate[-1] in suffix.get(colour, "")


def colour_table(name: str) -> dict[str, str]:
    """A colour code table of identifiers.toml [colour_tables]: code -> colour key."""
    return dict(data()["colour_tables"][name]["codes"])


# --- Check functions by the name a field's `checksum` key gives (harness.validation) ----------------
CHECKS: dict[str, Callable[[str], bool]] = {
    "vin": is_valid_vin,
    "uscc": is_valid_uscc,
    "org_code": is_valid_org_code,
    "plate": is_valid_plate,
    "region": is_region_code,
}

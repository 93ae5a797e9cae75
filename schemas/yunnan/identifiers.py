"""Check characters of vehicle identification numbers (GB 16735) and social credit codes (GB 32100)."""
from __future__ import annotations

import re

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


# --- Organisation code (positions 9-17 of a USCC): GB 11714-1997, 8 characters + a check character
# 11 - (sum of values x weights mod 11), 10 -> X, 11 -> 0; letters are worth 10 (A) to 35 (Z).
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_check_char(body8: str) -> str:
    """The 9th character of an organisation code (GB 11714) from its first 8 characters."""
    total = sum(int(c, 36) * w for c, w in zip(body8, ORG_WEIGHTS))
    r = 11 - total % 11
    return "X" if r == 10 else "0" if r == 11 else str(r)

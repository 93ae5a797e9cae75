"""Henan Appendix A numbering rules (henan §6.1-§6.4) as validators; strategies in schemas/henan/datagen.py.

§6.1 organisation codes of the city bureaus (code table `cityBureau`), §6.2 enterprise codes (the 6-digit
district code of a §6.1 city + a 4-digit sequence from 0001), §6.3 gate numbers (01, 02, … within an enterprise),
§6.4 the 25-character entry/exit serial `lsh` (enterprise code + gate number + A in / B out + yyMMddHHmmss).
Each validator returns the problems in words ([] when the value is good). With `alternatives=True` they also take
the documented alternative readings (E-HN-21: 济源 4190 codes; E-HN-23: gate 00), which the field patterns of the
tables warn about (or accept, or fail under strict) on their own.
"""
from __future__ import annotations

import functools
import re
from datetime import datetime

from harness.schemagen import load

LSH_LEN = 25
LSH_STATE = {"A": "1", "B": "2"}  # §6.4 进出状态 letter -> §4.1.4 tgzt (1 进门, 2 出门)
_ENTERPRISE = re.compile(r"[0-9]{10}")
_GATE = re.compile(r"[0-9]{2}")
GB2260_EXTRA = {"4190"}  # E-HN-21's alternative: 省直辖县级行政区划 (济源 419001), a Henan division §6.1 does not list


@functools.lru_cache(maxsize=1)
def city_bureaus() -> dict[str, str]:
    """§6.1: organisation code -> name (the provincial department and the 17 city bureaus)."""
    return dict(load("henan").codes["cityBureau"]["codes"])


@functools.lru_cache(maxsize=1)
def city_prefixes() -> frozenset[str]:
    """The first four digits of the §6.1 city bureaus (4101 郑州 … 4117 驻马店), not the department's 4100."""
    return frozenset(c[:4] for c in city_bureaus() if c[2:4] != "00")


def org_code_problems(code: str) -> list[str]:
    if code not in city_bureaus():
        return [f"{code!r} is no §6.1 organisation code (4100000000, 4101000000 … 4117000000)"]
    return []


def enterprise_code_problems(code: str, *, alternatives: bool = False) -> list[str]:
    """§6.2: 10 digits, the district's 6 digits under a §6.1 city, then a sequence 0001, 0002, …"""
    if not isinstance(code, str):
        return [f"{code!r} is not 10 digits (§6.2: 6-digit district code + 4-digit sequence)"]
    return list(_enterprise(code, alternatives))


def gate_code_problems(code: str, *, alternatives: bool = False) -> list[str]:
    """§6.3: two digits 01, 02, … (00 is no gate, unless E-HN-23's alternative is taken)."""
    if not isinstance(code, str):
        return [f"{code!r} is no §6.3 gate number (01, 02, …)"]
    return list(_gate(code, alternatives))


@functools.lru_cache(maxsize=4096)  # a platform sees few enterprises and gates, each in every record
def _enterprise(code: str, alternatives: bool) -> tuple[str, ...]:
    if not _ENTERPRISE.fullmatch(code):
        return (f"{code!r} is not 10 digits (§6.2: 6-digit district code + 4-digit sequence)",)
    out = []
    if code[:4] not in city_prefixes() and not (alternatives and code[:4] in GB2260_EXTRA):
        out.append(f"{code!r}: district {code[:6]} is under no §6.1 Henan city (4101-4117)")
    if code[6:] == "0000":
        out.append(f"{code!r}: the §6.2 sequence starts at 0001")
    return tuple(out)


@functools.lru_cache(maxsize=1024)
def _gate(code: str, alternatives: bool) -> tuple[str, ...]:
    if not _GATE.fullmatch(code) or (code == "00" and not alternatives):
        return (f"{code!r} is no §6.3 gate number (01, 02, …)",)
    return ()


def lsh_parts(lsh: str) -> dict[str, str] | None:
    """The four parts of a well-formed §6.4 serial, else None."""
    parts = _split(lsh)
    return None if parts is None else dict(zip(("qybh", "dzbh", "state", "time"), parts))


def _split(lsh: str) -> tuple[str, str, str, str] | None:
    """(qybh, dzbh, state, time) of a well-formed §6.4 serial, else None (lsh_parts without the dict)."""
    if not isinstance(lsh, str) or len(lsh) != LSH_LEN or lsh[12] not in LSH_STATE:
        return None
    return lsh[:10], lsh[10:12], lsh[12], lsh[13:]


def lsh_problems(lsh: str, qybh: str | None = None, dzbh: str | None = None, tgzt: str | None = None, *,
                 alternatives: bool = False) -> list[str]:
    """§6.4 composition, and agreement with the record's enterprise, gate and (for §4.1.4) pass state."""
    parts = _split(lsh)
    if parts is None:
        return [f"{lsh!r} is not a §6.4 serial: enterprise code (10) + gate number (2) + A/B + yyMMddHHmmss (12), "
                f"{LSH_LEN} characters"]
    q, d, state, t = parts
    out = [*_enterprise(q, alternatives), *_gate(d, alternatives)]
    if not _real_time(t):
        out.append(f"{lsh!r}: {t!r} is not a real time yyMMddHHmmss")
    if qybh is not None and q != qybh:
        out.append(f"{lsh!r} starts with enterprise {q!r}, the record's qybh is {qybh!r}")
    if dzbh is not None and d != dzbh:
        out.append(f"{lsh!r} carries gate {d!r}, the record's dzbh is {dzbh!r}")
    if tgzt is not None and LSH_STATE[state] != tgzt:
        out.append(f"{lsh!r} carries {state} ({'进门' if state == 'A' else '出门'}), the record's tgzt is {tgzt!r}")
    return out


def lsh_clean(lsh: str, qybh: str, dzbh: str, tgzt: str | None = None, *, alternatives: bool = False) -> bool:
    """True only when lsh_problems(lsh, qybh, dzbh, tgzt) and enterprise_code_problems(qybh) find nothing, without
    building their lists (the usual record); False: ask them. What depends on the serial's first 19 characters
    (enterprise, gate, A/B, date) is judged once per distinct head, the time of day by one regex."""
    if len(lsh) != LSH_LEN or lsh[:10] != qybh or lsh[10:12] != dzbh or not _HMS(lsh, 19):
        return False
    if tgzt is not None and LSH_STATE.get(lsh[12]) != tgzt:
        return False
    return _head_clean(lsh[:19], alternatives)


_HMS = re.compile(r"(?:[01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]\Z").match  # HHmmss in range, ASCII digits


@functools.lru_cache(maxsize=4096)  # per enterprise, gate, direction and day: few
def _head_clean(head: str, alternatives: bool) -> bool:
    """qybh + dzbh + A/B + yyMMdd: a good enterprise and gate code, a state letter, a real date of ASCII digits."""
    day = head[13:]
    return head[12] in LSH_STATE and not _enterprise(head[:10], alternatives) and not _gate(head[10:12], alternatives) \
        and day.isdigit() and day.isascii() and _real_date(day)


def _real_time(t: str) -> bool:
    """strptime(t, "%y%m%d%H%M%S") succeeds: twelve ASCII digits whose date is a real one (read once per date: a
    platform sees few) and whose hour, minute and second are in range are a real time (the hot path of every
    passage record); anything else goes to strptime itself, so the answer is the same."""
    if len(t) == 12 and t.isdigit() and t.isascii() and _real_date(t[:6]) and t[6:8] < "24" and t[8:10] < "60" \
            and t[10:] < "60":
        return True
    try:
        datetime.strptime(t, "%y%m%d%H%M%S")
        return True
    except ValueError:
        return False


@functools.lru_cache(maxsize=4096)
def _real_date(d: str) -> bool:
    """Six ASCII digits yyMMdd are a real date (%y: 00-68 are 20yy, 69-99 19yy: the same leap years)."""
    try:  # the C parser
        datetime.fromisoformat(f"20{d[:2]}-{d[2:4]}-{d[4:]}")
        return True
    except ValueError:
        return False


def make_lsh(qybh: str, dzbh: str, entering: bool, when: datetime) -> str:
    """A §6.4 serial for a passage."""
    return f"{qybh}{dzbh}{'A' if entering else 'B'}{when:%y%m%d%H%M%S}"

"""A reference city platform forwarding what its gates reported to the provincial platform (henan §2.7 → §4.2.11).

The city platform (henan §4.1) accepts a gate's passage (§4.1.4 shareDrivingRecord: lsh, qybh, dzbh, cphm, cpys,
tgsjq, bgzt, ...); as a city platform it then reports that passage to the province as one §4.2.11
SendEnterExitDataEx record. `pass_record` (the reference city platform's, re-exported) is the mapping (the §6.4
serial stays the record's identity); `forward` sends accepted passages through the reference city platform
(suites/henan/reference_city_platform.py), which adds islicensePK / licensePK from its ledgers and keeps the records
for the day's totals.
"""
from __future__ import annotations

from typing import Any, Iterable

from suites.henan.reference_city_platform import CityPlatform, pass_record, perform

__all__ = ["forward", "pass_record"]


def forward(platform: CityPlatform, passages: Iterable[dict[str, Any]], *, digits: int = 12) -> list[dict[str, str]]:
    """Report accepted passages to the province in one SendEnterExitDataEx call; returns the records sent (with
    the ledger link the city platform added). Raises reference_city_platform.Refused when the province refuses."""
    records = [pass_record(p, digits=digits) for p in passages]
    perform(platform, "SendEnterExitDataEx", {"list": records})
    platform.save()
    return platform.state["records"][-len(records):] if records else []

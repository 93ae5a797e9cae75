"""Cross-field rules of the provincial platform's methods (henan §4.2), by the names interfaces.toml uses.

The §4.2 requests nest their records (`data` of AddCompany/ModifyCompany, `list` of SendEnterExitDataEx and
SendGoodsRecordData), so each rule looks at the request's top level or at each nested item itself. The rule
for the swapped lng/lat labels (E-HN-42) reads the profile switch of the validation in progress (`PROFILE`).
"""
from __future__ import annotations

import contextvars
from typing import Any, Iterator

from harness.validation import COMMON_RULES, RuleContext, Rules, Violation

RULES = Rules(COMMON_RULES)
PROFILE: contextvars.ContextVar[dict] = contextvars.ContextVar("henan_province_profile", default={})

# Plausible ranges in China (BD-09 differs from WGS-84 by far less): they do not overlap, so a swap shows.
LNG_RANGE, LAT_RANGE = (73.0, 136.0), (3.0, 54.0)


def _items(ctx: RuleContext, key: str | None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(JSON path, object) of the records a rule judges: obj[key] (an object or each item of a list), else obj."""
    inner = ctx.obj.get(key) if key else None
    if isinstance(inner, dict):
        yield f"{ctx.at}.{key}", inner
    elif isinstance(inner, list):
        for i, item in enumerate(inner):
            if isinstance(item, dict):
                yield f"{ctx.at}.{key}[{i}]", item
    elif not key or key not in ctx.obj:
        yield ctx.at, ctx.obj


def _v(ctx: RuleContext, at: str, name: str, kind: str, message: str, level: str = "fail",
       errata: str | None = None) -> Violation:
    section = ctx.params["section"]
    return Violation(f"{at}.{name}", name, kind, f"{message} ({section})", level, errata, section)


def _text(obj: dict, name: str) -> str:
    value = obj.get(name)
    return value if isinstance(value, str) else ""


@RULES.rule("industry_sub")
def industry_sub(ctx: RuleContext):
    """The sub-industry (B7.16 子行业) belongs to the industry (行业类型) sent beside it."""
    subs = ctx.tables.codes["subIndustry"]["codes"]
    for at, obj in _items(ctx, "data"):
        ind, sub = _text(obj, "industryType"), _text(obj, "industrySubType")
        entry = subs.get(sub)
        if ind and isinstance(entry, dict) and entry.get("parent") != ind:
            yield _v(ctx, at, "industrySubType", "composition",
                     f"received industrySubType {sub!r} with industryType {ind!r} at {at}, spec requires a "
                     f"sub-industry of industry {ind} (B7.16 puts {sub} under {entry.get('parent')})")


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


@RULES.rule("lng_lat")
def lng_lat(ctx: RuleContext):
    """lng is a longitude and lat a latitude (E-HN-42: the labels print them swapped; that reading warns)."""
    label = PROFILE.get().get("company_lnglat") == "label"
    for at, obj in _items(ctx, "data"):
        lng, lat = _float(_text(obj, "lng")), _float(_text(obj, "lat"))
        if lng is None or lat is None:
            continue
        named = LNG_RANGE[0] <= lng <= LNG_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]
        swapped = LAT_RANGE[0] <= lng <= LAT_RANGE[1] and LNG_RANGE[0] <= lat <= LNG_RANGE[1]
        chosen, other = (swapped, named) if label else (named, swapped)
        if chosen:
            continue
        reading = "lng = 纬度 (latitude), lat = 经度 (longitude)" if label else "lng = longitude, lat = latitude"
        if other:
            yield _v(ctx, at, "lng", "rule", f"received lng={obj['lng']!r}, lat={obj['lat']!r} at {at}: the other "
                     f"reading of the swapped labels; profile expects {reading}", "warn", "E-HN-42")
        else:
            yield _v(ctx, at, "lng", "rule", f"received lng={obj['lng']!r}, lat={obj['lat']!r} at {at}, spec "
                     f"requires a point in China ({reading})")


@RULES.rule("serial_parts")
def serial_parts(ctx: RuleContext):
    """The §6.4 serial starts with the record's own enterprise code and gate number."""
    for at, obj in _items(ctx, "list"):
        serial, company, gate = _text(obj, "serialNum"), _text(obj, "companyCode"), _text(obj, "gateCode")
        if len(serial) == 25 and company and gate and not serial.startswith(company + gate):
            yield _v(ctx, at, "serialNum", "composition",
                     f"received serialNum {serial!r} with companyCode {company!r}, gateCode {gate!r} at {at}, "
                     f"spec requires companyCode + gateCode + A/B + yyMMddHHmmss (附录 A §6.4)")


@RULES.rule("license_pk")
def license_pk(ctx: RuleContext):
    """islicensePK = 1 goes with a licensePK; 0 with none."""
    for at, obj in _items(ctx, "list"):
        flag, pk = _text(obj, "islicensePK"), _text(obj, "licensePK")
        if flag == "1" and not pk:
            yield _v(ctx, at, "licensePK", "rule", f"received islicensePK '1' without licensePK at {at}, "
                     f"spec requires the record's 车辆备案唯一识别编码 when it says it has one")
        elif flag == "0" and pk:
            yield _v(ctx, at, "islicensePK", "rule", f"received licensePK {pk!r} with islicensePK '0' at {at}, "
                     f"spec requires islicensePK '1' (有) when a licensePK is sent")


SUBSETS = (("otherVehEnterTotal", "enterVehTotal"), ("standard3EnterTotal", "enterVehTotal"),
           ("standard4EnterTotal", "enterVehTotal"), ("otherVehExitTotal", "exitVehTotal"),
           ("standard3ExitTotal", "exitVehTotal"), ("standard4ExitTotal", "exitVehTotal"))


@RULES.rule("day_totals")
def day_totals(ctx: RuleContext):
    """A part of the day's entries (exits) is not larger than all entries (exits)."""
    for part, whole in SUBSETS:
        a, b = _text(ctx.obj, part), _text(ctx.obj, whole)
        if a.isdigit() and b.isdigit() and int(a) > int(b):
            yield _v(ctx, ctx.at, part, "rule", f"received {part}={a} > {whole}={b}, spec requires a part "
                     f"of {whole} ({part} counts some of those vehicles)")


@RULES.rule("licence_or_list")
def licence_or_list(ctx: RuleContext):
    """行驶证与随车清单不能同时为空: drivingLicenseImg and drivingLicenseImg2 are not both empty."""
    if not _text(ctx.obj, "drivingLicenseImg") and not _text(ctx.obj, "drivingLicenseImg2"):
        yield _v(ctx, ctx.at, "drivingLicenseImg", "rule", "received neither drivingLicenseImg nor "
                 "drivingLicenseImg2, spec requires 行驶证与随车清单不能同时为空")


@RULES.rule("control_lists")
def control_lists(ctx: RuleContext):
    """controlIndustry holds B7.16 industry codes, controlCompanyType B7.21 codes; the control type says which
    lists it needs (1 by industry, 2 by enterprise control type, 3 both)."""
    tables = {"controlIndustry": "industry", "controlCompanyType": "enterpriseControlType"}
    for name, table in tables.items():
        codes = ctx.tables.codes[table]["codes"]
        bad = [c for c in _text(ctx.obj, name).split(",") if c and c not in codes]
        if bad:
            yield _v(ctx, ctx.at, name, "code", f"received {name} codes {bad} at {ctx.at}.{name}, spec requires "
                     f"codes of {ctx.tables.codes[table]['section']}")
    need = {"1": ("controlIndustry",), "2": ("controlCompanyType",), "3": ("controlIndustry", "controlCompanyType")}
    for name in need.get(_text(ctx.obj, "controlType"), ()):
        if not _text(ctx.obj, name):
            yield _v(ctx, ctx.at, name, "rule", f"received controlType {ctx.obj['controlType']!r} without {name}, "
                     f"spec requires the list that control type names")


@RULES.rule("polygon")
def polygon(ctx: RuleContext):
    """areaCollection: at least three distinct lng,lat points (E-HN-51)."""
    text = _text(ctx.obj, "areaCollection")
    if not text:
        return
    points = [p for p in text.split("$") if p]
    if len(set(points)) < 3 and len(points) >= 3:
        yield _v(ctx, ctx.at, "areaCollection", "rule", f"received {len(set(points))} distinct points in "
                 "areaCollection, spec requires a polygon of at least three (E-HN-51)")
    for p in points:
        parts = p.split(",")
        lng, lat = (_float(parts[0]), _float(parts[1])) if len(parts) == 2 else (None, None)
        if lng is None or lat is None:
            continue
        if not (LNG_RANGE[0] <= lng <= LNG_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
            yield _v(ctx, ctx.at, "areaCollection", "rule", f"received point {p!r} in areaCollection, spec "
                     "requires lng,lat in China (经度在前, §4.2.28 example 113.831181,34.742967)")
            return

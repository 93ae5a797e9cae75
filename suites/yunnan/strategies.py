"""Hypothesis strategies for yunnan traffic: generated JSON Schemas plus domain-correct plates, VINs, codes and ids."""
from __future__ import annotations

import base64
import functools
import json
import random
import string
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Callable

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from harness.identifiers import strategies as idst
from harness.identifiers.strategies import vins
from harness.schemagen import load
from schemas.yunnan.datagen import tiny_jpeg

GENERATED = Path(__file__).resolve().parents[2] / "schemas" / "yunnan" / "generated"
# yunnan §7.6 plate colour codes -> the colour keys of harness/identifiers/identifiers.toml [colours]
PLATE_COLOUR_KEYS = {"0": "blue", "1": "yellow", "2": "white", "3": "black", "4": "green", "5": "other",
                     "6": "yellow-green"}
PLATE_COLOURS = "".join(PLATE_COLOUR_KEYS)
YUNNAN_LON, YUNNAN_LAT = (97_520_000, 106_190_000), (21_140_000, 29_220_000)  # micro-degrees
EARLIEST, LATEST = date(2000, 1, 1), date(2025, 10, 15)  # V1.1 of the spec: nothing uploaded is dated later
BOUNDARY_DAYS = [date(2000, 1, 1), date(2000, 2, 29), date(2016, 2, 29), date(2019, 12, 31), date(2020, 1, 1),
                 date(2020, 2, 29), date(2023, 12, 31), date(2024, 2, 29), date(2024, 12, 31), date(2025, 1, 1)]
BOUNDARY_TIMES = [time(0, 0, 0), time(23, 59, 59), time(12, 0, 0), time(0, 0, 1)]
PAGE = 100  # yunnan §6.6: at most 100 records per call


# ---- text and numbers -----------------------------------------------------------------------------

_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
_CJK_EXT_B = st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF)  # rare name characters: 4 bytes in UTF-8
_ALNUM = st.sampled_from(string.ascii_letters + string.digits)


def words(min_size: int = 1, max_size: int = 16) -> st.SearchStrategy[str]:
    """Names, addresses, models: Chinese characters (some beyond the BMP), letters, digits, name punctuation."""
    alphabet = st.one_of(_CJK, _CJK, _CJK, _ALNUM, _ALNUM, st.sampled_from("-·（）#"), _CJK_EXT_B)
    return st.text(alphabet, min_size=min_size, max_size=max_size)


def ascii_words(min_size: int = 1, max_size: int = 16) -> st.SearchStrategy[str]:
    return st.text(_ALNUM, min_size=min_size, max_size=max_size)


def phones() -> st.SearchStrategy[str]:
    mobile = st.builds(lambda p, n: f"1{p}{n:09d}", st.sampled_from("3456789"), st.integers(0, 10**9 - 1))
    land = st.builds(lambda a, n: f"{a}-{n}", st.sampled_from(["0871", "0874", "0877", "0878", "0691"]),
                     st.integers(2_000_000, 8_999_999))
    return mobile | land


def ipv4s() -> st.SearchStrategy[str]:
    """Cameras and NVRs sit on private networks (RFC 1918)."""
    nets = st.sampled_from(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"])
    return nets.flatmap(lambda n: st.ip_addresses(network=n)).map(str)


def ports() -> st.SearchStrategy[str]:
    return st.integers(1, 65535).map(str)


def coordinates() -> st.SearchStrategy[tuple[float, float]]:
    """A point in Yunnan with at most 6 decimals (yunnan §6.3 数字(10,6))."""
    return st.tuples(st.integers(*YUNNAN_LON), st.integers(*YUNNAN_LAT)).map(
        lambda p: (round(p[0] / 1e6, 6), round(p[1] / 1e6, 6)))


def images() -> st.SearchStrategy[str]:
    """A real (tiny) JPEG as a data URL; one drawn number picks its grey levels, so drawing stays cheap."""
    def build(shape: tuple[int, int], n: int) -> str:
        r = random.Random(n)
        levels = [[r.randint(30, 225) for _ in range(shape[1])] for _ in range(shape[0])]
        return "data:image/jpeg;base64," + base64.b64encode(tiny_jpeg(levels, "vconform")).decode()
    return st.builds(build, st.tuples(st.integers(1, 4), st.integers(1, 4)), st.integers(0, 2**16))


# ---- identifiers ------------------------------------------------------------------------------------

def plate_and_colour() -> st.SearchStrategy[tuple[str, str]]:
    """A plate consistent with its §7.6 colour code (new-energy plates 4, 6 have six characters after the letter)."""
    return idst.plate_and_colour(PLATE_COLOUR_KEYS)


def plates() -> st.SearchStrategy[str]:
    return plate_and_colour().map(lambda pc: pc[0])


def usccs(county: str | None = None) -> st.SearchStrategy[str]:
    """A GB 32100 code registered in a §7.2 county (or the given one)."""
    return idst.usccs(st.just(county) if county else region_pairs().map(lambda p: p[1]))


@functools.lru_cache(maxsize=None)
def _entries(table: str) -> dict:
    return load("yunnan").entries(table)


def region_pairs() -> st.SearchStrategy[tuple[str, str]]:
    """(areaCode, regionCode): a §7.2 city and one of its counties."""
    return idst.region_pairs(_entries("region"), "county")


def industry_pairs() -> st.SearchStrategy[tuple[str, str]]:
    """(industryType, industryBranch) of the same §7.9 row."""
    return st.sampled_from(idst.child_pairs(_entries("industryBranch")))


# ---- dates ------------------------------------------------------------------------------------------

def days(lo: date = EARLIEST, hi: date = LATEST) -> st.SearchStrategy[date]:
    edges = [d for d in BOUNDARY_DAYS if lo <= d <= hi] + [lo, hi]
    return st.sampled_from(edges) | st.dates(lo, hi)


def moments(lo: date = EARLIEST, hi: date = LATEST) -> st.SearchStrategy[datetime]:
    clock = st.sampled_from(BOUNDARY_TIMES) | st.times().map(lambda t: t.replace(microsecond=0))
    return st.builds(datetime.combine, days(lo, hi), clock)


def yyyymmdd(lo: date = EARLIEST, hi: date = LATEST) -> st.SearchStrategy[str]:
    return days(lo, hi).map(lambda d: d.strftime("%Y%m%d"))


def query_times(lo: date = EARLIEST, hi: date = LATEST) -> st.SearchStrategy[str]:
    """A pull timestamp in the examples' YYYY-MM-DD (E-YN-17): the other formats are readings a platform may accept."""
    return days(lo, hi).map(lambda d: d.strftime("%Y-%m-%d"))


# ---- the joint parts of a request: fields whose values depend on each other ------------------------------

def seq5() -> st.SearchStrategy[str]:
    return st.integers(0, 99999).map(lambda n: f"{n:05d}")


_ABSENT = object()


def _optional(draw, name: str, value: Any) -> dict:
    """An optional field as a value, absent, null or "" (what the generated schemas accept for optional fields)."""
    got = draw(st.sampled_from([value, _ABSENT, None, ""]))
    return {} if got is _ABSENT else {name: got}


def _plate_fields(required_colour: bool):
    @st.composite
    def build(draw):
        plate, colour = draw(plate_and_colour())
        out = {"licensePlate": plate}
        out.update({"plateColor": colour} if required_colour else _optional(draw, "plateColor", colour))
        return out
    return build()


@st.composite
def _region_fields(draw):
    area, region = draw(region_pairs())
    return {"areaCode": area, "regionCode": region}


@st.composite
def _industry_fields(draw):
    itype, branch = draw(industry_pairs())
    return {"industryType": itype, **_optional(draw, "industryBranch", branch)}


@st.composite
def _coordinate_fields(draw):
    lon, lat = draw(coordinates())
    return {"longitude": lon, "latitude": lat}


def _camera_fields(eid: str):
    @st.composite
    def build(draw):
        entrance = draw(st.sampled_from(string.ascii_uppercase))
        out = {"entranceId": entrance, "cameraId": f"{eid}{entrance}{draw(st.integers(1, 99)):02d}"}
        out.update(_optional(draw, "gateId", f"{entrance}{draw(st.integers(1, 99)):02d}"))  # §6.4: 可为空
        return out
    return build()


def _machinery_fields(eid: str):
    @st.composite
    def build(draw):
        made = draw(days())
        out = {"machineryId": f"JX{eid}{draw(seq5())}", "manufactureDate": made.strftime("%Y%m%d")}
        if made >= date(2017, 7, 1):  # §6.12: required for machinery made since 2017-07-01
            out["machineryImg3"] = draw(images())
        else:
            out.update(_optional(draw, "machineryImg3", draw(images())))
        return out
    return build()


def _access_fields(eid: str):
    @st.composite
    def build(draw):
        when, kind, entrance = draw(moments()), draw(st.sampled_from("01")), draw(st.sampled_from("ABCDEF"))
        stamp = when.strftime("%Y%m%d%H%M%S") + f"{draw(st.integers(0, 9999)):04d}"  # 时间戳(18)
        out = {"recordId": f"{stamp}{eid}{kind}{draw(seq5())}", "accessType": kind,
               "accessTime": when.strftime("%Y-%m-%d %H:%M:%S"), "entranceId": entrance,
               "vehicleId": f"{eid}{draw(seq5())}"}  # §6.13: the §6.11 ledger id
        out.update(_optional(draw, "gateId", f"{entrance}{draw(st.integers(1, 99)):02d}"))
        return out
    return build()


def _joint(interface: str, eid: str) -> list[st.SearchStrategy[dict]]:
    return {
        "enterprise": [_region_fields(), _industry_fields(), _coordinate_fields()],
        "cameraInfo": [_camera_fields(eid)],
        "vehicleInfo": [_plate_fields(False)],
        "nonMachinery": [_machinery_fields(eid)],
        "vehicleAccess": [_access_fields(eid), _plate_fields(True)],
        "exceedVehicleConfirm": [_plate_fields(True)],
    }.get(interface, [])


_JOINT_FIELDS = {"enterprise": {"areaCode", "regionCode", "industryType", "industryBranch", "longitude", "latitude"},
                 "cameraInfo": {"entranceId", "cameraId", "gateId"},
                 "vehicleInfo": {"licensePlate", "plateColor"},
                 "nonMachinery": {"machineryId", "manufactureDate", "machineryImg3"},
                 "vehicleAccess": {"recordId", "accessType", "accessTime", "entranceId", "vehicleId", "gateId",
                                   "licensePlate", "plateColor"},
                 "exceedVehicleConfirm": {"licensePlate", "plateColor"}}
_BY_NAME: dict[str, Callable[[str], st.SearchStrategy]] = {
    "enterpriseId": st.just, "enterpriseCode": lambda eid: usccs(), "contactPhone": lambda eid: phones(),
    "vin": lambda eid: vins(), "licensePlate": lambda eid: plates(), "cameraIp": lambda eid: ipv4s(),
    "nvrIp": lambda eid: ipv4s(), "cameraHost": lambda eid: ports(), "nvrPost": lambda eid: ports(),
    "nvrPort": lambda eid: ports(), "installDate": lambda eid: yyyymmdd(date(2005, 1, 1)),
    "registrationDate": lambda eid: yyyymmdd(), "excessVerificadate": lambda eid: yyyymmdd(date(2020, 1, 1)),
    "vehicleId": lambda eid: seq5().map(lambda s: eid + s),
    "recordId": lambda eid: st.builds(lambda d, n: f"EV{d}{n:06d}", yyyymmdd(date(2020, 1, 1)), st.integers(0, 999999)),
    "cameraUsername": lambda eid: ascii_words(), "cameraPassword": lambda eid: ascii_words(6, 20),
    "nvrUsername": lambda eid: ascii_words(), "nvrPassword": lambda eid: ascii_words(6, 20),
    "cameraChannel": lambda eid: st.integers(1, 64).map(str),
    "resolution": lambda eid: st.sampled_from(["1920x1080", "2560x1440", "3840x2160", "1280x720"]),
    "cargoWeight": lambda eid: st.integers(0, 100_000).map(lambda n: n / 100),
}
_COUNTS = ("entranceNums", "gateNums", "outsideCars", "insideCars", "machineries")


@functools.lru_cache(maxsize=None)
def schema(interface: str, direction: str = "request") -> dict:
    return json.loads((GENERATED / f"{interface}.{direction}.schema.json").read_text("utf-8"))


def _field(name: str, prop: dict, eid: str) -> st.SearchStrategy:
    """One field: a domain strategy where the table only says 字符, else what its JSON Schema allows."""
    if name in _BY_NAME:
        return _BY_NAME[name](eid)
    if name in _COUNTS:
        return st.integers(0, 500)
    if prop.get("x-file"):
        return images()
    bare = {k: v for k, v in prop.items() if not k.startswith("x-") and k != "description"}
    if "enum" in bare or "pattern" in bare:
        if "enum" in bare:  # an optional code's null/"" means "absent": draw real codes only
            bare = {"enum": [v for v in bare["enum"] if v not in (None, "")]}
        return from_schema(bare)
    return words(1, min(int(bare.get("maxLength", 16)), 16))


_CACHE: dict[tuple, st.SearchStrategy] = {}


def requests(interface: str, eid: str, profile: dict | None = None, *, checked: bool = True) -> st.SearchStrategy[dict]:
    """Valid plaintext requests of one interface for enterprise `eid` (checked: filtered through the validator)."""
    key = (interface, eid, json.dumps(profile or {}, sort_keys=True), checked)
    if key not in _CACHE:  # building from_schema strategies is slow; stateful rules ask for the same ones often
        _CACHE[key] = _requests(interface, eid, profile, checked)
    return _CACHE[key]


def _requests(interface: str, eid: str, profile: dict | None, checked: bool) -> st.SearchStrategy[dict]:
    sch = schema(interface)
    required = set(sch.get("required", []))
    joint = _joint(interface, eid)
    skip = _JOINT_FIELDS.get(interface, set())
    port_field = (profile or {}).get("nvr_port_field", "nvrPost")
    fields = {n: _field(n, p, eid) for n, p in sch["properties"].items() if n not in skip}

    empties = {n: _empties(p) for n, p in sch["properties"].items() if n not in required}

    @st.composite
    def build(draw):
        out: dict[str, Any] = {}
        for part in joint:
            out.update(draw(part))
        for name, strat in fields.items():
            if name in required:
                out[name] = draw(strat)
                continue
            how = draw(st.sampled_from(["value", "absent"] + [repr(e) for e in empties[name]]))
            if how == "value":
                out[name] = draw(strat)
            elif how != "absent":  # an optional field sent as null or "", which its schema allows
                out[name] = None if how == "None" else ""
        if port_field != "nvrPost" and "nvrPost" in out:  # E-YN-07: the profile picks the spelling
            out[port_field] = out.pop("nvrPost")
        return out

    strategy = build()
    return strategy.filter(lambda r: not _fails(interface, r, profile)) if checked else strategy


def _empties(prop: dict) -> list:
    """The empty values (null, "") an optional field's generated schema accepts."""
    from jsonschema import Draft202012Validator

    bare = {k: v for k, v in prop.items() if not k.startswith("x-")}
    return [e for e in (None, "") if Draft202012Validator(bare).is_valid(e)]


def _fails(interface: str, record: dict, profile: dict | None) -> list:
    from schemas.yunnan.validate import validate

    return [v for v in validate(interface, "request", record, profile=profile) if v.level == "fail"]


def queries(interface: str, eid: str) -> st.SearchStrategy[dict]:
    """A pull query (yunnan §6.6/§6.7/§6.9), its timestamp in the examples' format (E-YN-17)."""
    ts = {"exceedVehicle": "vehicleTimestamp", "basStrategy": "strategyTimestamp", "alarmVehicle": "alarmTimestamp"}
    q = {ts[interface]: query_times()}
    if interface != "exceedVehicle":
        q["enterpriseId"] = st.just(eid)
    return st.fixed_dictionaries(q)

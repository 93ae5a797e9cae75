"""Regenerate the home-made JT/T 809 vectors in tests/wire/vectors/jt809/ from the encoder (run by hand, not a test)."""
from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from harness.jt809 import HEADER_2011, HEADER_2019, Header, encode, lint  # noqa: E402
from harness.jt809.frame import decode_frame  # noqa: E402
from harness.jt809.jsonview import body_to_json, header_to_json  # noqa: E402
from harness.jt809 import layouts  # noqa: E402
from harness.jt809.messages import (TABLES, DownDisconnectInform, HistoryLocation, HistoryLocation2019,  # noqa: E402
                                    Location, Location2019, Register, UpExgMsg, UpLinktestReq, UpLinktestRsp,
                                    body_class)

OUT = ROOT / "tests" / "wire" / "vectors" / "jt809"
SOURCE = ("home-made: harness.jt809 encoder (tests/wire/jt809/make_vectors.py), cross-checked by the independent "
          "bit-wise verifier in tests/wire/jt809/test_jt809_vectors.py")
# The messages beyond jt809.md's: no frame from another implementation or a capture was available to this project
# (no web access when they were added), so these too are our encoder's, and their layouts are E-SD-16's.
SOURCE_2019 = SOURCE + ("; the 2019 bodies: no vector from another implementation or a capture was available "
                        "(layouts: errata E-SD-16, E-SD-17)")
SOURCE_TABLE = SOURCE + ("; this frame is our encoder's (layout: harness/jt809/layouts.toml, source {source}; "
                         "the o*.json vectors are another implementation's)")
CENTER = 20180920


def _loc(second: int, lon: float, lat: float, **kw) -> Location:
    return Location(0, datetime(2024, 5, 1, 8, 30, second), lon, lat, **kw)


CASES = [
    ("h1_up_exg_history_location", "0x1200/0x1203 HISTORY_LOCATION, GNSS_CNT 3, GBK plate; ALARM/"
     "mileage hold 5A 5B 5D 5E so the body needs escaping",
     UpExgMsg("粤B12345", 2, 0x1203, HistoryLocation([
         _loc(0, 113.264385, 22.847221, vec1=40, vec2=41, vec3=0x5B5D, direction=90, altitude=12, state=3),
         _loc(10, 113.264512, 22.847301, vec1=42, vec2=42, vec3=0x5B5E, direction=91, altitude=12, state=3,
              alarm=0x5A005B5D),
         _loc(20, 113.264701, 22.847390, vec1=45, vec2=44, vec3=0x5B5F, direction=92, altitude=13, alarm=0x5A5E)])),
     Header(msg_sn=0x5B, gnss_center_id=CENTER), HEADER_2011),
    ("h2_up_exg_register", "0x1200/0x1201 REGISTER (61-byte body, 20-byte TERMINAL_MODEL_TYPE)",
     UpExgMsg("粤X0A1B2", 2, 0x1201, Register("44060600001", "70111", "YX-G7-北斗", "1234567", "013800138000")),
     Header(msg_sn=2, gnss_center_id=CENTER), HEADER_2011),
    ("h3_up_linktest_req", "0x1005 UP_LINKTEST_REQ, empty body (MSG_LENGTH 26)",
     UpLinktestReq(), Header(msg_sn=3, gnss_center_id=CENTER), HEADER_2011),
    ("h4_up_linktest_rsp", "0x1006 UP_LINKTEST_RSP, empty body (MSG_LENGTH 26)",
     UpLinktestRsp(), Header(msg_sn=4, gnss_center_id=CENTER), HEADER_2011),
    ("h5_down_disconnect_inform", "0x9007 DOWN_DISCONNECT_INFORM, ERROR_CODE 1 (slave link broken)",
     DownDisconnectInform(1), Header(msg_sn=5, gnss_center_id=CENTER), HEADER_2011),
]

_LOC19 = Location2019(0, datetime(2024, 5, 1, 8, 30, 0), 113.123456, 23.012345, 60, 59, 12345, 180, 30, 0x000C0003,
                      0x00000001, [(0x25, bytes.fromhex("00000000"))], "44060600001", 0, "", 0, "", 0)
CASES += [
    ("h6_real_location_2019_header", "0x1200/0x1202 REAL_LOCATION, 2019 body (JT/T 808 GNSS_DATA with mileage and "
     "recorder-speed items, PLATFORM_ID/ALARM x3) under the 2019 header (TIME u64 UTC seconds)",
     UpExgMsg("粤E7788学", 2, None, _LOC19), Header(msg_sn=6, gnss_center_id=CENTER, time=1714552200), HEADER_2019),
    ("h7_up_connect_req_2019", "0x1001 UP_CONNECT_REQ, 2019 body: 50 bytes, the access code after PASSWORD",
     body_class("UP_CONNECT_REQ", "2019")(20180920, "20180920", CENTER, "127.0.0.1", 809),
     Header(msg_sn=7, gnss_center_id=CENTER, time=1714552201), HEADER_2019),
    ("h8_up_exg_register_2019", "0x1200/0x1201 REGISTER, 2019 body (110 bytes: 30-byte model, IMEI, 30-byte id)",
     UpExgMsg("粤X0A1B2", 2, None, body_class("UP_EXG_MSG_REGISTER", "2019")(
         "44060600001", "70111", "YX-G7-北斗", "860000000000001", "1234567", "0013800138000")),
     Header(msg_sn=8, gnss_center_id=CENTER, time=1714552202), HEADER_2019),
    ("h9_up_exg_history_2019", "0x1200/0x1203 HISTORY_LOCATION, 2019 body, GNSS_CNT 2",
     UpExgMsg("粤E7788学", 2, None, HistoryLocation2019([_LOC19, Location2019(
         0, datetime(2024, 5, 1, 8, 30, 10), 113.123556, 23.012445, 61, None, None, 181, 31, 3, 0)])),
     Header(msg_sn=9, gnss_center_id=CENTER, time=1714552203), HEADER_2019),
]


def _sample(f: layouts.FieldSpec, i: int):
    """A deterministic value for one field; bytes hold 5A 5B 5D 5E so frames need escaping."""
    if f.kind == "int":
        if f.counts_rest:
            return None  # computed on encode
        return 1714552200 + i if f.type == "time" else (0x0102030405060708 + i) % (1 << (8 * f.size))
    if f.kind == "bcd":
        return "".join(str((i + k) % 10) for k in range(2 * f.size))
    if f.kind == "records":
        return [{x.name: _sample(x, i + k) for k, x in enumerate(f.items)} for i in range(2)]
    if f.kind == "text":
        text = {True: "粤B12345 车辆信息", False: "粤B12345"}[f.size is None]
        while f.size and len(text.encode("gbk")) > f.size:
            text = text[:-1]
        return text
    if f.kind == "bytes":
        return bytes([0x5A, 0x5B, 0x5D, 0x5E, 0x01, 0x02])[:f.size] if f.size else bytes.fromhex("5A5B5D5E0102")
    loc = Location(0, datetime(2024, 5, 1, 8, 30, i % 60), 113.264385, 22.847221, 40, 41, 1000, 90, 12, 3, 0)
    return loc if f.kind == "gnss" else [loc]


def table_cases() -> list:
    """One vector per table-driven row (layouts.toml), in the revision that row belongs to."""
    out, n = [], 100
    for revision in ("2011", "2019"):
        other = TABLES["2011"]
        table = TABLES[revision]
        rows = [(None, r) for r in table.messages.values()]
        rows += [(fam, r) for fam, subs in table.subs.items() for r in subs.values()]
        for fam, row in rows:
            if row.cls not in layouts.SPECS:
                continue
            same = (other.subs[fam] if fam else other.messages).get(row.msg_id) is row
            if revision == "2019" and same:
                continue  # a row both revisions share has its 2011 vector
            specs = layouts.SPECS[row.cls]
            values = {f.name: _sample(f, i) for i, f in enumerate(specs)}
            if "msg_gnsscenterid" in values:  # the 2019 login repeats the header's access code
                values["msg_gnsscenterid"] = CENTER
            for f in specs:
                if f.ref:
                    v = values[f.name]
                    values[f.ref] = len(v.encode("gbk") if isinstance(v, (str)) else v)
            if "data_type" in values and not fam:  # 2019 link management bodies repeat their MSG_ID here
                values["data_type"] = row.msg_id
            msg = row.cls(**values)
            if fam:
                outer = table.messages[fam].cls
                msg = outer("粤B12345", 2, None, msg) if "vehicle_no" in outer.__dataclass_fields__ else outer(None, msg)
            n += 1
            ident = f"0x{fam:04X}/0x{row.msg_id:04X}" if fam else f"0x{row.msg_id:04X}"
            name = f"t{n}_{row.name.lower()}" + ("_2019" if revision == "2019" else "")
            source = next(r["source"] if r["source"] != "vector" else f"vector, verified by {r['vector']}"
                          for r in layouts.ROWS if r["name"] == row.name and r.get("revision", "2011") == revision)
            out.append((name, f"{ident} {row.name} ({revision}), every field set", msg,
                        Header(msg_sn=n, gnss_center_id=CENTER, time=1714552200 + n if revision == "2019" else None),
                        HEADER_2019 if revision == "2019" else HEADER_2011, SOURCE_TABLE.format(source=source)))
    return out


def main() -> None:
    cases = [c + (SOURCE_2019 if c[4] is HEADER_2019 else SOURCE,) for c in CASES]
    for old in OUT.glob("t*.json"):
        old.unlink()
    for name, description, msg, header, profile, source in cases + table_cases():
        raw = encode(msg, header, profile=profile)
        frame = decode_frame(raw, profile)
        doc = {
            "name": name,
            "source": source,
            "description": description,
            "kind": "frame",
            "header_profile": profile.name,
            "cipher": None,
            "hex": raw.hex().upper(),
            "expected": {
                "header": {k: v for k, v in header_to_json(frame.header, profile, frame.crc).items()
                           if k not in ("msg_id_hex",)},
                "body": body_to_json(frame.body, frame.header.msg_id),
                "findings": [f.as_dict() for f in lint(frame)],
            },
        }
        (OUT / f"{name}.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(name, len(raw), "bytes")


if __name__ == "__main__":
    main()

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
from harness.jt809.messages import (DownDisconnectInform, HistoryLocation, Location, Register,  # noqa: E402
                                    UpExgMsg, UpLinktestReq, UpLinktestRsp)

OUT = ROOT / "tests" / "wire" / "vectors" / "jt809"
SOURCE = ("home-made: harness.jt809 encoder (tests/wire/jt809/make_vectors.py), cross-checked by the independent "
          "bit-wise verifier in tests/wire/jt809/test_jt809_vectors.py")
CENTER = 20180920


def _loc(second: int, lon: float, lat: float, **kw) -> Location:
    return Location(0, datetime(2024, 5, 1, 8, 30, second), lon, lat, **kw)


CASES = [
    ("h1_up_exg_history_location", "0x1200/0x1203 HISTORY_LOCATION, GNSS_CNT 3, GBK plate; STATE/ALARM/"
     "mileage hold 5A 5B 5D 5E so the body needs escaping",
     UpExgMsg("粤B12345", 2, 0x1203, HistoryLocation([
         _loc(0, 113.264385, 22.847221, vec1=40, vec2=41, vec3=0x5B5D, direction=90, altitude=12, state=3),
         _loc(10, 113.264512, 22.847301, vec1=42, vec2=42, vec3=0x5B5E, direction=91, altitude=12, state=0x5A5E5B5D),
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
    ("h6_real_location_2019_header", "0x1200/0x1202 REAL_LOCATION under the 2019 header (TIME u64 UTC seconds)",
     UpExgMsg("粤E7788学", 2, 0x1202, _loc(0, 113.123456, 23.012345, vec1=60, vec2=59, vec3=12345, direction=180,
                                           altitude=30, state=3)),
     Header(msg_sn=6, gnss_center_id=CENTER, time=1714552200), HEADER_2019),
]


def main() -> None:
    for name, description, msg, header, profile in CASES:
        raw = encode(msg, header, profile=profile)
        frame = decode_frame(raw, profile)
        doc = {
            "name": name,
            "source": SOURCE,
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

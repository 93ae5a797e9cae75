"""Seeded reference data: an operator's account and fleet (粤X… plates), tracks inside Shunde, Attachment 1 sheets."""
from __future__ import annotations

import math
import random
import string
from datetime import datetime, timedelta, timezone
from typing import Any

from faker import Faker

from harness import specdata
from mocks.shunde.accounts import Account

# shunde Attachment 1 note: 车辆用途 values.
VEHICLE_USES = ["重型货车和汽车列车", "散装物料车", "公交车", "危险品运输车", "客运班车", "校车", "教练车",
                "环运局执法车", "固废车", "出租车", "旅游包车"]
# JT/T 415 colour by use: large passenger and goods vehicles carry yellow plates, small ones blue.
USE_COLOR = {"出租车": 1, "环运局执法车": 1, "教练车": 2}
COLOR_ZH = {1: "蓝色", 2: "黄色", 3: "黑色", 4: "白色", 9: "其他"}
# Plate letters exclude I and O (GA 36), the last character may be a digit or a letter.
_PLATE_CHARS = "".join(c for c in string.ascii_uppercase if c not in "IO")


def beijing_now(epoch: float, offset_h: float = 8) -> datetime:
    """Naive local time as 0x1202 DAY..SEC carries it (E-SD-08: UTC+8)."""
    return datetime.fromtimestamp(epoch, timezone(timedelta(hours=offset_h))).replace(tzinfo=None)


class ShundeData:
    """Everything a client-role run sends, from one seed."""

    def __init__(self, seed: int):
        self.seed = seed
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.box = specdata.load("shunde", "platform")["fleet"]
        self._plates: set[str] = set()

    # ---- shunde Attachment 2 ------------------------------------------------------------------------------
    def account(self, down_link_port: int = 0) -> Account:
        r = self.rng
        password = "".join(r.choice(string.ascii_letters + string.digits) for _ in range(8))
        return Account(user_id=r.randrange(10_000_000, 99_999_999), password=password,
                       access_code=r.randrange(10_000_000, 99_999_999), allowed_ips=["127.0.0.1", "::1"],
                       down_link_ip="127.0.0.1", down_link_port=down_link_port,
                       enterprise=self.fake.company(), short_name=self.fake.company_prefix())

    # ---- vehicles and shunde Attachment 1 -----------------------------------------------------------------
    def plate(self) -> str:
        while True:
            prefix = self.rng.choice(self.box["plate_prefixes"])
            body = self.rng.choice(_PLATE_CHARS) + "".join(self.rng.choice(string.digits) for _ in range(3))
            plate = prefix + body + self.rng.choice(string.digits + "ABCDEFGHJK")
            if plate not in self._plates:
                self._plates.add(plate)
                return plate

    def vehicle(self, operator: str) -> dict[str, Any]:
        use = self.rng.choice(VEHICLE_USES)
        color = USE_COLOR.get(use, 2)
        return {"vehicle_no": self.plate(), "vehicle_color": color, "color_zh": COLOR_ZH[color], "use": use,
                "company": self.fake.company(), "operator": operator}

    def fleet(self, n: int, operator: str = "") -> list[dict[str, Any]]:
        return [self.vehicle(operator) for _ in range(n)]

    def application(self, vehicles: list[dict[str, Any]], operator: str) -> dict[str, Any]:
        """shunde Attachment 1 (车辆接入申请表) as data: the form's header fields and its vehicle rows."""
        header = {"企业性质": "GPS营运商", "企业全称": operator, "企业简称": operator[:4],
                  "联系人": self.fake.name(), "电话方式": self.fake.phone_number(),
                  "QQ": str(self.rng.randrange(10_000_000, 3_999_999_999))}
        rows = [{"序号": i, "车牌号码": v["vehicle_no"], "车牌颜色": v["color_zh"], "车辆用途": v["use"],
                 "运输企业": v["company"], "GPS运营商": v["operator"] or operator, "备注": ""}
                for i, v in enumerate(vehicles, 1)]
        return {"header": header, "rows": rows}

    # ---- tracks ---------------------------------------------------------------------------------------------
    def track(self, n: int, end: datetime, interval_s: int | None = None) -> list[dict[str, Any]]:
        """n positions inside the Shunde box ending at `end`, one every interval_s, moving plausibly."""
        b, r = self.box, self.rng
        interval = int(interval_s or b["report_interval_s"])
        lon = r.uniform(b["lon_min"] + 0.05, b["lon_max"] - 0.05)
        lat = r.uniform(b["lat_min"] + 0.05, b["lat_max"] - 0.05)
        heading, mileage = r.uniform(0, 360), r.randrange(1_000, 300_000)
        out = []
        for i in range(n):
            speed = r.randrange(15, 70)
            heading = (heading + r.uniform(-25, 25)) % 360
            km = speed * interval / 3600
            lat += km / 111.0 * math.cos(math.radians(heading))
            lon += km / (111.0 * math.cos(math.radians(lat))) * math.sin(math.radians(heading))
            # Turn back at the district's edge instead of leaving it.
            if not b["lon_min"] < lon < b["lon_max"] or not b["lat_min"] < lat < b["lat_max"]:
                heading = (heading + 180) % 360
                lon = min(max(lon, b["lon_min"] + 0.01), b["lon_max"] - 0.01)
                lat = min(max(lat, b["lat_min"] + 0.01), b["lat_max"] - 0.01)
            mileage += round(km)
            when = end - timedelta(seconds=interval * (n - 1 - i))
            out.append({"time": when.replace(microsecond=0).isoformat(), "lon": round(lon, 6), "lat": round(lat, 6),
                        "vec1": speed, "vec2": max(0, speed + r.choice((-1, 0, 1))), "vec3": mileage,
                        "direction": int(heading) % 360, "altitude": r.randrange(2, 40),
                        "state": 0b11, "alarm": 0})  # JT/T 808 STATE: ACC on, positioned
        return out


def with_escape_bytes(positions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Headings 90° and 93° put 0x5A and 0x5D into the frame, so every run exercises escaping."""
    out = [dict(p) for p in positions]
    for p, heading in zip(out, (90, 93)):
        p["direction"] = heading
    return out

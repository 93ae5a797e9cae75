"""Seeded valid Gansu station data (zongjian.md, reconstructed): a station, its login, vehicles, and the
getVehicleInfoAndDetectSn / shareDetectInfo / image payloads for one inspection. The same seed gives the same data.
"""
from __future__ import annotations

import base64
import json
import random
from datetime import datetime, timedelta
from typing import Any

from harness.identifiers import with_vin_check_digit
from harness.jpeg import tiny_jpeg

SPEC = "gansu"
BASE_TIME = datetime(2026, 11, 29, 9, 0, 0)
GANSU_REGIONS = ("620102", "620103", "620402", "620502", "620602", "620702", "620802", "620902")  # GB/T 2260 甘肃
PLATE_LETTERS = "ABCDEFGHJKLMNP"  # 甘A 兰州 … 甘P
JTT415 = ("1", "2")  # plate colours of the vehicles drawn (blue, yellow)


def envelope(company_id: str, source: str, ipctype: str, value: dict[str, Any]) -> dict[str, Any]:
    """The request envelope with IPCType.value as a JSON string (E-GS-01)."""
    return {"CompanyId": company_id, "Source": source, "IPCType": ipctype,
            "IPCType.value": json.dumps(value, ensure_ascii=False, separators=(",", ":"))}


class StationData:
    def __init__(self, seed: int, *, base: datetime = BASE_TIME):
        self.seed = int(seed)
        self.base = base
        r = self._rng("station")
        self.source = r.choice(GANSU_REGIONS)
        self.company_id = f"{self.source}{r.randint(1, 999):03d}"
        self.ds_name = f"甘肃测试机动车检测站{r.randint(1, 99)}号"
        self.username = f"ds{self.company_id}"
        self.password = f"pw{r.randint(100000, 999999)}"

    def _rng(self, what: str) -> random.Random:
        return random.Random(f"gansu/{self.seed}/{what}")

    def account(self) -> dict[str, str]:
        return {"CompanyId": self.company_id, "Source": self.source, "username": self.username,
                "password": self.password, "dsName": self.ds_name}

    def vehicle(self, i: int = 0) -> dict[str, str]:
        r = self._rng(f"vehicle/{i}")
        plate = "甘" + r.choice(PLATE_LETTERS) + "".join(r.choice("0123456789ABCDEFGHJK") for _ in range(5))
        vin = with_vin_check_digit("LGW" + "".join(r.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(14)))
        return {"vehicleNo": plate, "plateColorCode": r.choice(JTT415), "vinNo": vin,
                "engineNo": "".join(r.choice("0123456789ABCDEF") for _ in range(10)),
                "vehicleType": r.choice(("H11", "K11", "Q11")), "fuelType": r.choice(("A", "B"))}

    def serial_request(self, vehicle: dict[str, str]) -> dict[str, str]:
        return {"dsId": self.company_id, **{k: vehicle[k] for k in ("vehicleNo", "plateColorCode", "vinNo")}}

    def station_info(self) -> dict[str, str]:
        return {"dsId": self.company_id, "dsName": self.ds_name}

    def detect_info(self, vehicle: dict[str, str], detect_sn: str, *, failed: bool = False) -> dict[str, Any]:
        """A §6.8 body: detectRecord with every result group, detectReport whose conclusion agrees with them."""
        r = self._rng(f"detect/{detect_sn}")
        ok = lambda: {"evaluate": r.choice(("0", "1", "2"))}  # noqa: E731
        record = {
            "dsId": self.company_id, "dsName": self.ds_name, "detectSn": detect_sn, "detectType": "1",
            "detectDate": (self.base + timedelta(minutes=r.randint(0, 600))).strftime("%Y-%m-%d %H:%M:%S"),
            "client": "张三", "vehicleNo": vehicle["vehicleNo"], "plateColorCode": vehicle["plateColorCode"],
            "vinNo": vehicle["vinNo"], "vehicleType": vehicle["vehicleType"], "engineNo": vehicle["engineNo"],
            "travelMileage": str(r.randint(1000, 400000)), "fuelType": vehicle["fuelType"],
            "steeringAxleAmount": "1", "detectLine": r.choice("ABCDE"), "busiType": r.choice(("申请", "在用")),
            "detectTotalCount": "1",
            "power": ok(), "fuelEconomy": ok(),
            "brake": {"initData": [{"axle": "1"}, {"axle": "2"}], "singleAxle": [ok(), ok()],
                      "wholeVehicle": ok(), "roadTest": ok()},
            "emission": {"dieselVehicle" if vehicle["fuelType"] == "B" else "gasolineVehicle": ok()},
            "suspension": [ok()], "mainLamp": [ok(), ok()], "singleItem": [ok()],
        }
        if failed:
            record["brake"]["singleAxle"][1] = {"evaluate": "-1"}
        return {"detectRecord": record,
                "detectReport": {"detectResult": "不合格" if failed else "合格", "note": ""},
                "image": [], "video": []}

    def image_items(self, vehicle: dict[str, str], detect_sn: str, image_type: str) -> list[dict[str, str]]:
        return [{"dsId": self.company_id, "detectSn": detect_sn, "vehicleNo": vehicle["vehicleNo"],
                 "plateColorCode": vehicle["plateColorCode"], "vinNo": vehicle["vinNo"], "imageType": image_type,
                 "base64Image": base64.b64encode(tiny_jpeg([[128]])).decode()}]

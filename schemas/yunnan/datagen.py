"""Realistic, valid yunnan data (Faker zh_CN + the §7 code tables), the same for the same seed."""
from __future__ import annotations

import base64
import random
from datetime import datetime, timedelta
from typing import Any

from harness import identifiers as ids
from harness import specdata
from harness.jpeg import tiny_jpeg  # noqa: F401  (also imported from here by the yunnan tests and strategies)
from harness.schemagen import load

SPEC = "yunnan"
BASE_TIME = datetime(2025, 10, 15, 9, 0, 0)  # V1.1 of the spec; fixed so output never depends on the clock

# Per city (§7.2): the 云 plate letter of its vehicle office and a point near the city seat.
CITIES = {
    "530100": ("A", 102.83, 24.88), "530300": ("D", 103.80, 25.49), "530400": ("F", 102.55, 24.35),
    "530500": ("M", 99.17, 25.11), "530600": ("C", 103.72, 27.34), "530700": ("P", 100.23, 26.86),
    "530800": ("J", 100.97, 22.78), "530900": ("S", 100.09, 23.88), "532300": ("E", 101.53, 25.04),
    "532500": ("G", 103.38, 23.36), "532600": ("H", 104.24, 23.37), "532800": ("K", 100.80, 22.01),
    "532900": ("L", 100.27, 25.61), "533100": ("N", 98.58, 24.43), "533300": ("Q", 98.85, 25.82),
    "533400": ("R", 99.70, 27.83),
}
OTHER_PROVINCES = "川贵桂渝粤湘黔陕豫鄂"
PLATE_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # plates never use I or O
TRUCKS = [("解放", "J6P", "LFW"), ("重汽", "豪沃TX", "LZZ"), ("陕汽", "德龙X3000", "LZG"),
          ("东风", "天龙KL", "LGA"), ("福田", "欧曼EST", "LRD")]  # brand, model, a WMI used on Chinese trucks
MACHINES = [("三一", "SY215C"), ("徐工", "XE200DA"), ("柳工", "CLG856H"), ("山推", "SD16"), ("合力", "CPCD30")]
ENGINES = [("潍柴动力股份有限公司", "WP10.336E53"), ("玉柴机器股份有限公司", "YC6K12N-60"),
           ("康明斯（中国）投资有限公司", "QSB6.7"), ("卡特彼勒(中国)", "C9.3B")]
CARGO = ["生产原料", "石灰石", "煤炭", "水泥熟料", "砂石骨料", "成品钢材", "铁矿石", "粉煤灰"]
CAMERAS = [("海康威视", "DS-2CD3T56WDV3-I3"), ("大华", "DH-IPC-HFW4433M"), ("宇视", "HIC6621EX22")]
YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"  # VIN position 10, a 30-year cycle from 1980 (GB 16735 annex)


class YunnanData:
    """Valid yunnan records for one enterprise; every method depends only on (seed, enterprise, arguments)."""

    def __init__(self, seed: int, enterprise_id: str | None = None, *, base: datetime = BASE_TIME):
        from faker import Faker  # imported here so importing the module stays cheap

        self.seed, self.base = seed, base
        self.tables = load(SPEC)
        self.fake = Faker("zh_CN")
        self._eid = enterprise_id
        self._site = self._draw_site()  # drawn now: drawing it lazily would reseed Faker mid-method

    def _rng(self, *key: Any) -> random.Random:
        # A fresh generator per (method, arguments): vehicle(3) is the same whatever was asked before.
        r = random.Random(f"{self.seed}|{self._eid}|{key}")
        self.fake.seed_instance(r.getrandbits(32))
        return r

    def _codes(self, table: str) -> list[str]:
        return list(self.tables.entries(table))

    # --- the enterprise and its identifiers ------------------------------------------------------
    def _draw_site(self) -> dict[str, Any]:
        r = self._rng("enterprise")
        regions = self.tables.entries("region")
        city = r.choice(sorted(CITIES))
        county = r.choice([c for c, e in regions.items() if e.get("parent") == city])
        org = "MA" + "".join(r.choice(ids.USCC_ALPHABET) for _ in range(6))
        code17 = f"91{county}{org}{ids.org_code_check_char(org)}"
        uscc = code17 + ids.uscc_check_char(code17)
        eid = self._eid
        if eid is None:  # a pollutant permit number is the USCC + 3-digit site number + P (HJ 608-2017 annex A)
            eid = uscc + f"{r.randint(1, 3):03d}P" if r.random() < 0.6 else uscc
        elif ids.is_valid_uscc(eid[:18]):  # a given id built on a USCC: keep its code and, if in Yunnan, its county
            uscc = eid[:18]
            if regions.get(uscc[2:8], {}).get("level") == "county":
                county, city = uscc[2:8], regions[uscc[2:8]]["parent"]
        branch = r.choice(self._codes("industryBranch"))
        itype = self.tables.entries("industryBranch")[branch]["parent"]
        return {"eid": eid, "uscc": uscc, "city": city, "county": county, "branch": branch, "type": itype,
                "entrances": "ABCD"[: r.randint(1, 4)], "name": self.fake.company_prefix()}

    @property
    def enterprise_id(self) -> str:
        return self._site["eid"]

    def _plate(self, r: random.Random, colour: str, province: str = "云") -> str:
        letter = CITIES[self._site["city"]][0] if province == "云" and r.random() < 0.7 else r.choice("ACDEFGHJKLMNPQRS")
        if colour in ("4", "6"):  # new-energy plates have 6 characters after the letter, D/F for electric/hybrid
            body = "".join(r.choice("0123456789") for _ in range(5))
            return f"{province}{letter}" + (body + r.choice("DF") if colour == "6" else r.choice("DF") + body)
        body = [r.choice("0123456789") for _ in range(5)]
        body[r.randrange(5)] = r.choice(PLATE_CHARS[10:])
        return f"{province}{letter}{''.join(body)}"

    def _vin(self, r: random.Random, wmi: str, year: int) -> str:
        vds = "".join(r.choice(ids.VIN_ALPHABET) for _ in range(5))
        serial = "".join(r.choice("0123456789") for _ in range(6))
        return ids.with_vin_check_digit(f"{wmi}{vds}0{YEAR_CODES[(year - 1980) % 30]}{r.choice('ABCDEFGH')}{serial}")

    def _date(self, r: random.Random, start: datetime, end: datetime) -> datetime:
        return start + timedelta(seconds=r.randint(0, int((end - start).total_seconds())))

    def _image(self, r: random.Random, what: str) -> str:
        levels = [[r.randint(40, 220) for _ in range(8)] for _ in range(6)]
        data = tiny_jpeg(levels, f"vconform {SPEC} {what}")
        return "data:image/jpeg;base64," + base64.b64encode(data).decode()

    # --- uploads --------------------------------------------------------------------------------
    def enterprise(self) -> dict[str, Any]:
        s, r = self._site, self._rng("enterprise-info")
        regions = self.tables.entries("region")
        _, lon, lat = CITIES[s["city"]]
        n_ent = len(s["entrances"])
        return {
            "enterpriseId": s["eid"], "enterpriseCode": s["uscc"],
            "enterpriseName": f"{regions[s['city']]['name'][:2]}{s['name']}"
                              f"{self.tables.entries('industryType')[s['type']]['name'].split('（')[0]}有限公司",
            "address": f"云南省{regions[s['city']]['name']}{regions[s['county']]['name']}"
                       f"{self.fake.street_name()}{r.randint(1, 999)}号",
            "areaCode": s["city"], "regionCode": s["county"],
            "legalPerson": self.fake.name(), "contactPerson": self.fake.name(), "contactPhone": self.fake.phone_number(),
            "industryType": s["type"], "industryBranch": s["branch"],
            "longitude": round(lon + r.uniform(-0.3, 0.3), 6), "latitude": round(lat + r.uniform(-0.3, 0.3), 6),
            "performanceLevel": r.choice(self._codes("performanceLevel")),
            "entranceNums": n_ent, "gateNums": n_ent * r.randint(1, 2),
            "outsideCars": r.randint(5, 120), "insideCars": r.randint(0, 30), "machineries": r.randint(0, 20),
            "status": "1",
        }

    def camera(self, entrance: str = "A", seq: int = 1) -> dict[str, Any]:
        if not (len(entrance) == 1 and "A" <= entrance <= "Z" and 1 <= seq <= 99):
            raise ValueError("a camera is numbered by an entrance letter A-Z and a sequence 1-99 (§6.4)")
        r = self._rng("camera", entrance, seq)
        maker, model = r.choice(CAMERAS)
        plate_cam = seq <= 2
        return {
            "cameraId": f"{self.enterprise_id}{entrance}{seq:02d}", "enterpriseId": self.enterprise_id,
            "entranceId": entrance, "gateId": f"{entrance}{seq:02d}" if plate_cam else "",
            "cameraName": f"{entrance}号门{'入口' if seq % 2 else '出口'}{'车牌识别' if plate_cam else '监控'}摄像头",
            "cameraType": "1" if plate_cam else r.choice("23"), "cameraModel": model, "manufacturer": maker,
            "installDate": self._date(r, datetime(2019, 1, 1), self.base).strftime("%Y%m%d"),
            "cameraIp": self.fake.ipv4_private(), "cameraHost": r.choice(["80", "8000", "554"]),
            "cameraUsername": "admin", "cameraPassword": self.fake.password(length=12, special_chars=False),
            "cameraChannel": str(seq), "resolution": r.choice(["1920x1080", "2560x1440", "3840x2160"]),
            "recordingEnabled": "1", "nvrIp": self.fake.ipv4_private(), "nvrPost": "8000",
            "nvrUsername": "admin", "nvrPassword": self.fake.password(length=12, special_chars=False), "status": "1",
        }

    def vehicle(self, seq: int) -> dict[str, Any]:
        if not 0 <= seq <= 99999:
            raise ValueError("a vehicle id ends in a 5-digit sequence (§6.11)")
        r = self._rng("vehicle", seq)
        brand, model, wmi = r.choice(TRUCKS)
        registered = self._date(r, datetime(2016, 1, 1), self.base - timedelta(days=30))
        fuel = r.choices("BEC", weights=(80, 12, 8))[0]
        kind = r.choice(["H11", "H17", "Q11", "H14", "H21", "H27"] if fuel != "C" else ["H11", "H17", "Q11"])
        colour = "6" if fuel == "C" else "1"  # goods vehicles of these classes carry yellow (or green-yellow) plates
        emission = "D" if fuel == "C" else "6" if registered >= datetime(2021, 7, 1) else r.choice("45")
        inside = r.random() < 0.25
        return {
            "vehicleId": f"{self.enterprise_id}{seq:05d}", "enterpriseId": self.enterprise_id,
            "licensePlate": self._plate(r, colour), "plateColor": colour, "vehicleUse": "2" if inside else "1",
            "vin": self._vin(r, wmi, registered.year), "vehicleType": kind, "vehicleBrand": brand,
            "vehicleModel": model, "fuelType": fuel, "emissionStandard": emission, "useType": "A" if inside else "F",
            "fleetName": "自有" if inside else f"{self.fake.company_prefix()}物流有限公司",
            "registrationDate": registered.strftime("%Y%m%d"), "networkStatus": r.choice("10"),
            "carImg1": self._image(r, "carImg1"), "carImg2": self._image(r, "carImg2"),
        }

    def machinery(self, seq: int) -> dict[str, Any]:
        if not 0 <= seq <= 99999:
            raise ValueError("a machinery id ends in a 5-digit sequence (§6.12)")
        r = self._rng("machinery", seq)
        made = self._date(r, datetime(2012, 1, 1), self.base - timedelta(days=30))
        brand, model = r.choice(MACHINES)
        maker, engine = r.choice(ENGINES)
        electric = model.startswith("CPCD") and r.random() < 0.5
        out = {
            "machineryId": f"JX{self.enterprise_id}{seq:05d}", "enterpriseId": self.enterprise_id,
            "machineryCode": f"{self._site['county'][:4]}{made:%Y}{seq:06d}", "manufactureDate": made.strftime("%Y%m%d"),
            "emissionStandard": "D" if electric else "4" if made >= datetime(2022, 12, 1) else "3" if made.year >= 2016 else "2",
            "fuelType": "C" if electric else "B",
            "machineryType": {"SY": "1", "XE": "1", "CL": "3", "SD": "2"}.get(model[:2], "4"),  # §7.8 by model family
            "machineryPin": self._vin(r, "LXG", made.year), "machineryBrand": f"{brand}{model}",
            "engineModel": engine, "engineMaker": maker, "engineNumber": f"{r.randint(10**9, 10**10 - 1)}",
            "machineryImg1": self._image(r, "machineryImg1"), "machineryImg2": self._image(r, "machineryImg2"),
            "ownerName": "自有" if r.random() < 0.7 else f"租赁（{self.fake.company_prefix()}工程机械租赁有限公司）",
        }
        if made >= datetime(2017, 7, 1):  # the environmental label exists for machinery made since then (§6.12)
            out["machineryImg3"] = self._image(r, "machineryImg3")
        return out

    def _record_id(self, r: random.Random, when: datetime, access_type: str, seq: int) -> str:
        # §6.13 asks for an 18-digit timestamp without a layout (E-YN-10): yyyyMMddHHmmss + 4 sub-second digits
        stamp = when.strftime("%Y%m%d%H%M%S") + f"{r.randrange(10000):04d}"
        return f"{stamp}{self.enterprise_id}{access_type}{seq:05d}"

    def access_record(self, vehicle: dict[str, Any], seq: int, access_type: int | str = 0) -> dict[str, Any]:
        acc = str(access_type)
        if acc not in ("0", "1") or not 0 <= seq <= 99999:
            raise ValueError("accessType is 0 (in) or 1 (out) and the sequence has 5 digits (§6.13)")
        r = self._rng("access", vehicle["vehicleId"], seq, acc)
        when = self.base - timedelta(minutes=r.randint(1, 60 * 24 * 30))
        entrance = r.choice(self._site["entrances"])
        unit = r.choices("TLP", weights=(90, 5, 5))[0]
        # On purpose, every fourth record weighs a whole number, held as a float: Python writes it 12.0, Java, Go
        # and JavaScript write 12; one JSON number (RFC 8259 §6), so every run shows a check accepts both.
        weight = float(r.randint(5, 40) if unit == "T" else r.randint(10, 500)) if seq % 4 == 0 else (
            round(r.uniform(5, 40), 2) if unit == "T" else float(r.randint(10, 500)))
        return {
            "recordId": self._record_id(r, when, acc, seq), "enterpriseId": self.enterprise_id,
            "entranceId": entrance, "gateId": f"{entrance}{r.randint(1, 2):02d}", "vehicleId": vehicle["vehicleId"],
            "licensePlate": vehicle["licensePlate"], "plateColor": vehicle.get("plateColor") or "1", "vin": vehicle["vin"],
            "accessType": acc, "accessTime": when.strftime("%Y-%m-%d %H:%M:%S"), "cargoType": r.choice(CARGO),
            "cargoWeight": weight, "cargoUnit": unit,
            "carHeadImg": self._image(r, "carHeadImg"), "carImg": self._image(r, "carImg"),
        }

    def exceed_confirm(self, record: dict[str, Any] | None = None) -> dict[str, Any]:
        rec = record or self.exceed_record(0)
        r = self._rng("exceed-confirm", rec["recordId"])
        return {"recordId": rec["recordId"], "licensePlate": rec["licensePlate"], "plateColor": rec["plateColor"],
                "vin": rec["vin"], "excessVerifica": r.choice("01"),
                "excessVerificadate": (self.base - timedelta(days=r.randint(0, 5))).strftime("%Y%m%d")}

    def heartbeat(self) -> dict[str, Any]:
        return {"enterpriseId": self.enterprise_id}

    # --- data the platform serves -----------------------------------------------------------------
    def exceed_record(self, i: int) -> dict[str, Any]:
        r = self._rng("exceed", i)
        sent = self._date(r, self.base - timedelta(days=365), self.base - timedelta(days=1))
        brand, _, wmi = r.choice(TRUCKS)
        province = "云" if r.random() < 0.8 else r.choice(OTHER_PROVINCES)
        out = {"recordId": f"EV{sent:%Y%m%d}{i:06d}", "licensePlate": self._plate(r, "1", province), "plateColor": "1",
               "vin": self._vin(r, wmi, r.randint(2012, 2020)), "fuelType": "B", "emissionStandard": r.choice("345"),
               "exceedlistReason": r.choice(self._codes("exceedlistReason")), "isRemove": "0",
               "sendTime": sent.strftime("%Y%m%d")}
        if r.random() < 0.3:
            out["isRemove"] = "1"
            out["removeTime"] = self._date(r, sent, self.base).strftime("%Y%m%d")
        return out

    def strategy_record(self, i: int) -> dict[str, Any]:
        r = self._rng("strategy", i)
        start = self._date(r, self.base - timedelta(days=60), self.base + timedelta(days=5)).replace(minute=0, second=0)
        level = r.choice("123")
        return {"strategyId": f"CL{start:%Y%m%d}{i:04d}", "strategyName": f"{'黄橙红'[int(level) - 1]}色预警管控",
                "startdate": start.strftime("%Y-%m-%d %H:%M:%S"),
                "enddate": (start + timedelta(hours=r.randint(24, 120))).strftime("%Y-%m-%d %H:%M:%S"),
                "pollutionLevel": level, "strategyLevel": str(4 - int(level)),
                "controlMeasures": r.choice(["禁止国四及以下排放标准重型柴油货车进出厂区",
                                             "禁止该企业凌晨 0 点至早上 7 点时间段运输车辆进出",
                                             "减少大宗物料公路运输车次 30%"])}

    def alarm_record(self, i: int) -> dict[str, Any]:
        r = self._rng("alarm", i)
        n = i % 99999 + 1  # the vehicle and its access record, within the 5-digit sequences
        v = self.vehicle(n)
        t_in = self._date(r, self.base - timedelta(days=30), self.base - timedelta(hours=12))
        t_out = t_in + timedelta(minutes=r.randint(20, 600))
        kind = r.choice(self._codes("alarmType"))
        epoch_ms = int((t_in - datetime(1970, 1, 1, 8)).total_seconds() * 1000)  # times are Beijing time, UTC+8
        return {"alarmId": f"{self._site['county']}{epoch_ms}{i:02d}",
                "recordId": self._record_id(r, t_in, "0", n), "licensePlate": v["licensePlate"],
                "plateColor": v["plateColor"], "vin": v["vin"],
                "inTime": t_in.strftime("%Y-%m-%d %H:%M:%S"), "outTime": t_out.strftime("%Y-%m-%d %H:%M:%S"),
                "alarmType": kind, "alarmTime": (t_out + timedelta(minutes=r.randint(1, 30))).strftime("%Y-%m-%d %H:%M:%S"),
                "alarmStatus": r.choice("01"), "alarmReason": {"1": "车辆尾气排放超标", "2": "管控策略期间违规通行",
                                                                 "3": "其他违规通行"}[kind]}

    # --- the remaining messages, so every interface and direction has a valid example -------------
    def init_auth(self, public_key: str | None = None) -> dict[str, Any]:
        r = self._rng("init-auth")
        # Shaped like a Base64 X.509 RSA-2048 key; not a usable key: pass a real one to run crypto.
        fake_key = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" + base64.b64encode(r.randbytes(258)).decode()
        name = self.enterprise()["enterpriseName"]
        return {"enterpriseId": self.enterprise_id, "enterpriseName": name, "publicKey": public_key or fake_key}

    def credentials(self) -> dict[str, Any]:
        r = self._rng("credentials")
        key = "YN_" + "".join(r.choice("ABCDEFGHJKMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789") for _ in range(24))
        return {"apiKey": key, "apiSecret": base64.b64encode(r.randbytes(30)).decode().rstrip("=")}

    def token(self) -> dict[str, Any]:
        return {"token": base64.urlsafe_b64encode(self._rng("token").randbytes(24)).decode(), "expireTime": "7200"}

    def page(self, interface: str, start: int = 0, count: int = 3, total: int | None = None) -> dict[str, Any]:
        """One page of a pull answer: records start..start+count of the interface's served data."""
        make = {"exceedVehicle": self.exceed_record, "basStrategy": self.strategy_record,
                "alarmVehicle": self.alarm_record}[interface]
        total = start + count if total is None else total
        return {"totalRecords": str(total), "isNew": "1" if start + count < total else "0",
                "records": [make(i) for i in range(start, start + count)]}

    def sample(self, interface: str, direction: str) -> Any:
        """A valid plaintext request or decrypted answer data for any interface (None where data is null)."""
        day = self.base.strftime("%Y-%m-%d")
        if direction == "response":
            return {"init-auth": lambda: self.credentials() | {"publicKey": self.init_auth()["publicKey"]},
                    "getToken": self.token, "exceedVehicle": lambda: self.page("exceedVehicle"),
                    "basStrategy": lambda: self.page("basStrategy"),
                    "alarmVehicle": lambda: self.page("alarmVehicle")}.get(interface, lambda: None)()
        spec = specdata.endpoints("yunnan")["interfaces"][interface]
        owner = {spec["owner_field"]: self.enterprise_id} if spec.get("owner_field") else {}
        if spec["kind"] == "pull":  # the query: the since-time, and the enterprise where the pull names one
            return owner | {spec["timestamp_field"]: day}
        if spec["kind"] == "confirm":  # the ids of a page of the same feed, comma-separated
            feed = specdata.feeds("yunnan")[spec["feed"]]
            ids = ",".join(x[feed["record_id"]] for x in self.page(feed["pull"])["records"])
            return {spec["ids_field"]: ids} | owner
        return {
            "init-auth": self.init_auth, "getToken": self.credentials, "enterprise": self.enterprise,
            "cameraInfo": self.camera, "heartBeat": self.heartbeat,
            "vehicleInfo": lambda: self.vehicle(1), "nonMachinery": lambda: self.machinery(1),
            "vehicleAccess": lambda: self.access_record(self.vehicle(1), 1, 0),
            "exceedVehicleConfirm": self.exceed_confirm,
        }[interface]()

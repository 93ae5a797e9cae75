"""Seeded valid Henan city data (henan §4.1, Appendix A/B) and Hypothesis strategies for the Appendix A numbers.

`CityData(seed)` draws one enterprise's gate system (its §6.2 code as organ, login, 企业授权码), vehicles,
passages with their §6.4 serials, photos (real JPEGs, §2.2), goods records and ledger entries; the same seed gives
the same data. Strategies: `enterprise_codes()`, `gate_codes()`, `lshs()`, each value passing its validator in
schemas/henan/identifiers.py.
"""
from __future__ import annotations

import base64
import random
from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from harness.jpeg import tiny_jpeg
from harness.schemagen import load

from . import identifiers as ids

SPEC = "henan"
BASE_TIME = datetime(2026, 11, 29, 8, 0, 0)
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSU"  # 豫A 郑州 … 豫U; letters of Henan plates
GOODS = ("铁矿石", "焦炭", "水泥熟料", "石灰石", "煤炭", "钢材")


def codes(table: str) -> list[str]:
    return list(load(SPEC).codes[table]["codes"])


class CityData:
    def __init__(self, seed: int, *, base: datetime = BASE_TIME):
        self.seed = int(seed)
        self.base = base
        r = self._rng("enterprise")
        prefix = r.choice(sorted(ids.city_prefixes()))
        self.qybh = f"{prefix}{r.randint(1, 99):02d}{r.randint(1, 9999):04d}"
        self.qymc = f"河南测试{r.choice(GOODS)}有限公司"
        self.dzbh = f"{r.randint(1, 4):02d}"

    def _rng(self, *key: Any) -> random.Random:
        return random.Random(f"{self.seed}:{':'.join(map(str, key))}")

    def account(self) -> dict[str, str]:
        r = self._rng("account")
        return {"organ": self.qybh, "username": f"gate{r.randint(100, 999)}", "password": f"pw-{r.getrandbits(40):010x}",
                "qymc": self.qymc, "companySecretCode": f"{r.getrandbits(128):032X}"}

    def plate(self, n: int) -> tuple[str, str]:
        r = self._rng("plate", n)
        body = "".join(r.choice("0123456789") for _ in range(5))
        return f"豫{r.choice(PLATE_LETTERS)}{body}", r.choice(["1", "1", "1", "0", "2"])

    def controlled_vehicles(self) -> list[dict[str, str]]:
        """Vehicles the city platform controls (isControl 1, §4.1.3): seeded into the mock."""
        out = []
        for n in range(1000, 1002):
            license, colour = self.plate(n)
            out.append({"license": license, "licenseColor": colour, "fuelType": "B", "emissionStandard": "3",
                        "controlReason": "国三及以下重型柴油货车，重污染天气管控期间禁止通行"})
        return out

    def free_vehicle(self, n: int = 1) -> dict[str, str]:
        license, colour = self.plate(n)
        return {"license": license, "licenseColor": colour}

    def photo_bytes(self, what: str) -> bytes:
        r = self._rng("photo", what)
        return tiny_jpeg([[r.randint(40, 220) for _ in range(8)] for _ in range(6)], f"vconform henan {what}")

    def image(self, what: str) -> str:
        return base64.b64encode(self.photo_bytes(what)).decode()

    # ---- the gate flow (§4.1.4-§4.1.6) ------------------------------------------------------------------
    def passage(self, vehicle: dict[str, str], n: int = 1, entering: bool = True) -> dict[str, str]:
        when = self.base + timedelta(minutes=17 * n + (0 if entering else 45))
        end = when + timedelta(seconds=self._rng("pass", n).randint(3, 20))
        return {"lsh": ids.make_lsh(self.qybh, self.dzbh, entering, when), "qybh": self.qybh, "qymc": self.qymc,
                "dzbh": self.dzbh, "cphm": vehicle["license"], "cpys": vehicle["licenseColor"],
                "tgsjq": f"{when:%Y-%m-%d %H:%M:%S}", "tgsjz": f"{end:%Y-%m-%d %H:%M:%S}",
                "tgzt": "1" if entering else "2", "bgzt": "1"}

    def photo(self, record: dict[str, str], zpbh: str = "1") -> dict[str, str]:
        keep = ("lsh", "qybh", "qymc", "dzbh", "cphm", "cpys")
        return {**{k: record[k] for k in keep}, "zpbh": zpbh, "zplx": "1" if record["tgzt"] == "1" else "2",
                "base64Image": self.image(f"{record['lsh']}-{zpbh}"), "pzsj": record["tgsjq"]}

    def goods(self, record: dict[str, str]) -> dict[str, str]:
        r = self._rng("goods", record["lsh"])
        keep = ("lsh", "qybh", "qymc", "dzbh", "cphm", "cpys")
        return {**{k: record[k] for k in keep}, "hwmc": r.choice(GOODS), "ysl": str(r.randint(10, 49)),
                "djsj": record["tgsjz"]}

    # ---- ledgers (§4.1.2, §4.1.7, §4.1.8) ---------------------------------------------------------------
    def _vehicle_fields(self, n: int) -> dict[str, str]:
        r = self._rng("vehicle", n)
        license, colour = self.plate(n)
        reg = self.base - timedelta(days=r.randint(400, 3000))
        from harness import identifiers as hid

        vin = hid.with_vin_check_digit("LZZ" + "".join(r.choice(hid.VIN_ALPHABET) for _ in range(5)) + "0L" +
                                       r.choice("ABC") + "".join(r.choice("0123456789") for _ in range(6)))
        return {"license": license, "licenseColor": colour, "vehicleType": r.choice(["H11", "H17", "Q11"]),
                "vin": vin, "useCharacter": "F", "engineNo": f"WP{r.randint(10**7, 10**8 - 1)}", "onwer": self.qymc,
                "address": "河南省许昌市魏都区", "model": "重汽牌ZZ4257", "registerDate": f"{reg:%Y%m%d}",
                "issueDate": f"{reg + timedelta(days=2):%Y%m%d}", "emissionStandard": r.choice(["5", "6"])}

    def veh_info(self, n: int = 1) -> dict[str, str]:
        return {"companySecretCode": self.account()["companySecretCode"], **self._vehicle_fields(n),
                "drivingLicenseImg": self.image(f"licence-{n}"), "drivingLicenseImg2": ""}

    def inner_veh_info(self, n: int = 2) -> dict[str, str]:
        return {"companySecretCode": self.account()["companySecretCode"], "companyCode": self.qybh,
                **self._vehicle_fields(n), "drivingLicenseImg": "", "drivingLicenseImg2": self.image(f"list-{n}"),
                "carStatus": "1"}

    def machine(self, n: int = 1) -> dict[str, str]:
        r = self._rng("machine", n)
        return {"mhyPlate": f"豫A{r.randint(10000, 99999)}", "companySecretCode": self.account()["companySecretCode"],
                "companyCode": self.qybh, "mhyJXMC": "轮式装载机", "emissionLevel": "4",
                "mhyFrameNo": f"JX{r.randint(10**9, 10**10 - 1)}", "mhyProdDate": "20210315",
                "imageInfo": self.image(f"nameplate-{n}"), "mhyStatus": "1"}


# ---- Hypothesis strategies for Appendix A -------------------------------------------------------------------
def enterprise_codes() -> st.SearchStrategy[str]:
    """§6.2: a district under a §6.1 city + a 4-digit sequence from 0001."""
    return st.builds(lambda p, d, n: f"{p}{d:02d}{n:04d}", st.sampled_from(sorted(ids.city_prefixes())),
                     st.integers(1, 99), st.integers(1, 9999))


def gate_codes() -> st.SearchStrategy[str]:
    return st.integers(1, 99).map(lambda n: f"{n:02d}")


def lshs(qybh: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """§6.4: enterprise code + gate + A/B + a real yyMMddHHmmss."""
    return st.builds(ids.make_lsh, qybh if qybh is not None else enterprise_codes(), gate_codes(), st.booleans(),
                     st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)))

"""Seeded, valid business data for the provincial platform's methods (henan §4.2): what the harness asks a
city platform to report. Identifiers follow 附录 A (§6.2 enterprise code, §6.3 gate number, §6.4 serial) and
harness.identifiers (GB 32100 credit code with its check character, GB 16735 VIN)."""
from __future__ import annotations

import random
import time
from typing import Any

from harness import identifiers as ids

DISTRICTS = ("410102", "410103", "410105", "410122", "410181")  # 郑州市 districts (GB/T 2260)


def serial(company: str, gate: str, direction: str, t: float) -> str:
    """附录 A §6.4: enterprise code (10) + gate number (2) + A (in) / B (out) + yyMMddHHmmss."""
    return f"{company}{gate}{direction}{time.strftime('%y%m%d%H%M%S', time.localtime(t))}"


class ProvinceData:
    """Company n (1, 2, ...) of the run, its gates, vehicles, records; the pass day is fixed by the seed."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.base = self.rng.randint(1, 9000)
        # The day the run's pass records happen (08:00 + minutes): fixed, so the daily totals never straddle midnight.
        self.day_start = time.mktime((2026, 11, 1 + self.rng.randint(0, 26), 8, 0, 0, 0, 0, -1))
        self.day = time.strftime("%Y%m%d", time.localtime(self.day_start))
        self._minute = 0

    def district(self, n: int = 1) -> str:
        return DISTRICTS[(self.base + n) % len(DISTRICTS)]

    def company_code(self, n: int = 1) -> str:
        return f"{self.district(n)}{(self.base + n) % 10000:04d}"

    def uscc(self, n: int = 1) -> str:
        body = f"914101{self.base + n:05d}" + "".join("0123456789ABCDEFGHJKLMNPQRTUWXY"[(self.base * 7 + n * i) % 31]
                                                     for i in range(6))
        return body + ids.uscc_check_char(body)

    def company(self, n: int = 1) -> dict[str, Any]:
        """henan §4.2.5 AddCompany `data` (lng is the longitude, E-HN-42's default)."""
        code = self.company_code(n)
        return {"companyCode": code, "uscc": self.uscc(n), "companyName": f"郑州示例建材有限公司{code[-4:]}",
                "cityCode": "410100", "dictrictCode": self.district(n), "address": "河南省郑州市示例路88号",
                "lng": f"{113.6 + self.rng.random() / 10:.6f}", "lat": f"{34.7 + self.rng.random() / 10:.6f}",
                "industryType": "15", "industrySubType": "1502", "controlType": "2",
                "addDate": time.strftime("%Y%m%d%H%M%S"), "legalPerson": "张三", "contact": "李四",
                "phone": "13800000000", "gateTotal": "2", "companyStatus": "1"}

    def gates(self) -> list[dict[str, Any]]:
        """henan §4.2.6 AddGate list: gates 01 (in) and 02 (out)."""
        return [{"gateCode": code, "gateEnterExitType": kind, "address": f"{name}门", "lng": "113.650001",
                 "lat": "34.750002", "contact": "王五", "phone": "13900000000", "gateMaintainCompany": "示例运维公司",
                 "gateMaintainCompanyContact": "赵六", "gateManitainCompanyPhone": "13700000000", "gateStatus": "1"}
                for code, kind, name in (("01", "B", "东"), ("02", "A", "西"))]

    def plate(self, kind: int, n: int) -> str:
        """A plate the province's registry does not know (豫A + kind digit + 4 digits)."""
        return f"豫A{kind}{(self.base + n) % 10000:04d}"

    def pass_record(self, company: str, gate: str, direction: str, license: str, color: str = "1", *,
                    emission: str = "6", control: str = "0", signal: str = "0") -> dict[str, Any]:
        """henan §4.2.11 one record, without islicensePK / licensePK (the city platform knows its ledgers)."""
        self._minute += 1
        t = self.day_start + 60 * self._minute
        return {"serialNum": serial(company, gate, direction, t), "companyCode": company, "gateCode": gate,
                "license": license, "licenseColor": color, "fuelType": "B", "emissionStandard": emission,
                "isControl": control, "gateSignal": signal,
                "date": time.strftime("%y%m%d%H%M%S", time.localtime(t)),
                "imgURL1": f"/img/{company}/{self._minute}-1.jpg", "imgURL2": f"/img/{company}/{self._minute}-2.jpg"}

    def vehicle_ledger(self, license: str, color: str, image: str) -> dict[str, Any]:
        """henan §4.2.15 VehElecAccountAdd body (without accessToken / companySecretCode)."""
        vin = ids.with_vin_check_digit("LZZ1CLSB0JA" + f"{self.rng.randint(0, 999999):06d}")
        return {"license": license, "licenseColor": color, "vehicleType": "Q11", "vin": vin, "useCharacter": "F",
                "engineNo": "WP12.430E50", "onwer": "郑州市示例物流有限公司", "address": "河南省郑州市金水区示例路1号",
                "model": "汕德卡牌ZZ4256V324HE1", "registerDate": "20180620000000", "issueDate": "20180620000000",
                "emissionStandard": "5", "drivingLicenseImg": image}

    def project(self) -> dict[str, Any]:
        """henan §4.2.22 RunControlProject body; the name (字符 200) carries the run's number, so runs with different
        seeds against one platform file different projects."""
        return {"controlProject": f"郑州市重污染天气橙色预警管控方案（{self.base:04d}）", "controlLevel": "2", "controlArea": "1",
                "controlType": "3", "controlIndustry": "15,16", "controlCompanyType": "2,3", "controlStrategy": "2",
                "controlRunTime": "2026-11-30 00:00:00", "controlEndTime": "2026-12-03 00:00:00", "remark": "示例"}

    def fence(self) -> dict[str, Any]:
        """henan §4.2.28 ElectronicFenceAdd body: a quadrilateral around central Zhengzhou (lng,lat$...), named
        with the run's number (字符 200)."""
        return {"areaName": f"郑州市四环内柴油货车禁行区（{self.base:04d}）",
                "areaCollection": "113.560000,34.700000$113.800000,34.700000$113.800000,34.860000$113.560000,34.860000",
                "remark": "示例"}

    # ---- the other business events of §4.2, shared by the client-role plans and the server role ------------
    BIGGER_ZONE = "113.500000,34.650000$113.850000,34.650000$113.850000,34.900000$113.500000,34.900000"

    def inner(self, code: str, plate: str, status: str, image: str) -> dict[str, Any]:
        """henan §4.2.18/§4.2.19 an in-plant vehicle of company `code`."""
        return self.vehicle_ledger(plate, "1", image) | {"companyCode": code, "carStatus": status}

    def machinery(self, code: str, status: str, image: str) -> dict[str, Any]:
        """henan §4.2.20/§4.2.21 an in-plant non-road machine of company `code`."""
        return {"companyCode": code, "mhyJXMC": "装载机", "emissionLevel": "4", "mhyFrameNo": f"JX{code}01",
                "mhyProdDate": "20200101000000", "imageInfo": image, "mhyStatus": status}

    def project_modify(self, project: dict[str, Any]) -> dict[str, Any]:
        """henan §4.2.23: the same project (by name), adjusted."""
        return {k: v for k, v in project.items() if k != "controlRunTime"} | {
            "controlAdjustTime": "2026-12-01 08:00:00", "controlLevel": "3", "controlStrategy": "7"}

    def project_close(self, project: dict[str, Any]) -> dict[str, Any]:
        """henan §4.2.24 (the city platform adds the controlProjectCode it kept)."""
        return {"controlProject": project["controlProject"], "controlEndTime": "2026-12-02 00:00:00", "remark": "预警解除"}

    def goods(self, rec: dict[str, Any]) -> dict[str, Any]:
        """henan §4.2.14 the goods of one pass record."""
        return {k: rec[k] for k in ("serialNum", "companyCode", "gateCode", "license", "licenseColor")} | {
            "hwmc": "水泥熟料", "ysl": "32.5"}

    def seasonal(self, code: str) -> dict[str, Any]:
        """henan §4.2.26."""
        return {"companyCode": code, "controlType": "2", "controlLevel": "2", "controlMeasures": "3",
                "startTime": "2026-12-01 00:00:00", "endTime": "2027-03-15 00:00:00", "remark": "采暖季错峰生产"}

    def feedback(self, rec: dict[str, Any]) -> dict[str, Any]:
        """henan §4.2.27 a corrected pass record."""
        keys = ("serialNum", "companyCode", "gateCode", "license", "licenseColor", "fuelType", "emissionStandard",
                "isControl", "gateSignal", "date")
        return {k: rec[k] for k in keys} | {"licenseB": "豫A10007", "licenseColorB": "1", "emissionStandardB": "6",
                                            "isControlB": "0", "gateSignalB": "0", "dateB": "2026-11-29 10:00:00",
                                            "reviewer": "审核员甲"}

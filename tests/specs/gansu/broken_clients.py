"""Deliberately broken Gansu station clients, one rule broken each:
`python tests/specs/gansu/broken_clients.py VARIANT ACTION CTX`.

Each variant is the reference station client (suites/gansu/reference_client.py) with a single override;
tests/specs/gansu/test_gansu_catalog.py asserts the harness fails each with the named check and clause.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/: broken_scaffold

from broken_scaffold import pick, post_labelled  # noqa: E402
from suites.gansu.reference_client import PREFIX, StationClient, run_adapter  # noqa: E402


class WrongPath(StationClient):
    """Posts getVehicleInfoAndDetectSn to put_data: the serial query belongs on get_data."""

    def path(self, ipctype, token):
        p = super().path(ipctype, token)
        return p.replace(PREFIX + "get_data", PREFIX + "put_data") if ipctype == "getVehicleInfoAndDetectSn" else p


class WrongPrefix(StationClient):
    """Posts uploads to /restapi/detect/put_data, a path the platform does not serve."""

    def path(self, ipctype, token):
        return super().path(ipctype, token).replace(PREFIX + "put_data", "/restapi/detect/put_data")


class FormEncoded(StationClient):
    """Declares application/x-www-form-urlencoded for its JSON body."""

    def post(self, path, body):
        return post_labelled(self.base_url + path, body, "application/x-www-form-urlencoded", self.timeout)


class ValueObject(StationClient):
    """Sends IPCType.value as a JSON object instead of the JSON string (E-GS-01)."""

    def encode(self, value):
        return value


class TokenInBody(StationClient):
    """Sends the token in the body instead of the path's ;token= matrix parameter."""

    def path(self, ipctype, token):
        return super().path(ipctype, None)

    def envelope(self, ipctype, value):
        return {**super().envelope(ipctype, value), "token": self.state.get("token", "")}


class RegionAsCompany(StationClient):
    """Sends its 6-digit region + 000 as CompanyId in business calls, not its registered station code."""

    def envelope(self, ipctype, value):
        env = super().envelope(ipctype, value)
        return env if ipctype == "getAccessToken" else {**env, "CompanyId": self.creds["Source"] + "000"}


class ColourName(StationClient):
    """Sends the plate colour's name (蓝色, 黄色) instead of its JT/T 415 code."""

    NAMES = {"1": "蓝色", "2": "黄色", "3": "黑色", "4": "白色", "5": "绿色"}

    def value(self, action, params):
        v = super().value(action, params)
        if action == "getVehicleInfoAndDetectSn":
            v["plateColorCode"] = self.NAMES.get(v["plateColorCode"], "其他")
        return v


class DropsEngineNo(StationClient):
    """Leaves engineNo out of detectRecord (required)."""

    def value(self, action, params):
        v = super().value(action, params)
        if action == "shareDetectInfo":
            v["detectRecord"].pop("engineNo", None)
        return v


class ImageNotList(StationClient):
    """Sends shareDetectInfo's image as one object, not a list."""

    def value(self, action, params):
        v = super().value(action, params)
        if action == "shareDetectInfo":
            v["image"] = {}
        return v


class SlashDate(StationClient):
    """Writes detectDate as YYYY/MM/DD hh:mm:ss, not YYYY-MM-DD hh:mm:ss."""

    def value(self, action, params):
        v = super().value(action, params)
        if action == "shareDetectInfo":
            v["detectRecord"]["detectDate"] = v["detectRecord"]["detectDate"].replace("-", "/")
        return v


class AlwaysPasses(StationClient):
    """Reports 合格 whatever the item verdicts say."""

    def value(self, action, params):
        v = super().value(action, params)
        if action == "shareDetectInfo":
            v["detectReport"] = {**v["detectReport"], "detectResult": "合格"}
        return v


class OwnSerial(StationClient):
    """Makes up its own detectSn instead of using the one the platform issued for the vehicle."""

    def serial_for(self, v):
        return self.creds["CompanyId"] + "00000001"


class WrongPassword(StationClient):
    """Logs in with a mistyped password."""

    def token(self, fresh=False):
        self.creds = {**self.creds, "password": self.creds["password"] + "x"}
        return super().token(fresh)


class AxleWithoutVerdict(StationClient):
    """Leaves the evaluate out of the second brake axle (brake.singleAxle[1]): each result group carries one."""

    def value(self, action, params):
        v = super().value(action, params)
        if action == "shareDetectInfo":
            axles = v["detectRecord"]["brake"]["singleAxle"]
            axles[-1] = {k: x for k, x in axles[-1].items() if k != "evaluate"}
        return v


class NumericCounts(StationClient):
    """E-GS-05: travelMileage and the counts as JSON numbers, as the 2018 mock types them."""

    def value(self, action, params):
        v = super().value(action, params)
        if action == "shareDetectInfo":
            for k in ("travelMileage", "detectTotalCount"):
                v["detectRecord"][k] = int(v["detectRecord"][k])
        return v


VARIANTS = {
    "wrong-path": WrongPath,
    "wrong-prefix": WrongPrefix,
    "form-encoded": FormEncoded,
    "value-object": ValueObject,
    "token-in-body": TokenInBody,
    "region-as-company": RegionAsCompany,
    "colour-name": ColourName,
    "drops-engine-no": DropsEngineNo,
    "image-not-list": ImageNotList,
    "slash-date": SlashDate,
    "always-passes": AlwaysPasses,
    "own-serial": OwnSerial,
    "wrong-password": WrongPassword,
    "axle-without-verdict": AxleWithoutVerdict,
    "numeric-counts": NumericCounts,
    "reference": StationClient,
}

if __name__ == "__main__":
    sys.exit(run_adapter(VARIANTS[pick(VARIANTS)], sys.argv[2:]))

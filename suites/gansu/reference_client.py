"""The reference inspection-station client as a DESIGN.md adapter: `python -m suites.gansu.reference_client ACTION CTX`.

It talks to the provincial platform as the reconstruction (zongjian.md) says: JSON over POST, the envelope
{CompanyId, Source, IPCType, IPCType.value} with IPCType.value a JSON *string*, a token from getAccessToken kept in
state_dir and sent as the `;token=` matrix parameter of get_data / put_data, answers {code "1" | "0", status,
data (a JSON string)}. The station's code, region and login come from the credentials (its configuration), the
business event from the params. getVehicleInfoAndDetectSn keeps the detectSn the platform issued per vehicle in
state_dir and prints {"detectSn": …}; every later upload for that vehicle carries it. Exit 0 when the platform
answered code "1", 1 when it refused, 2 on bad usage. Subclasses in tests/specs/gansu/ break one rule each.
"""
from __future__ import annotations

import json
import sys

from harness.adapter import load_state, save_state, serve_action
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

PREFIX = "/restapi/detecting/"
PATHS = {"getAccessToken": "get_access_token", "getVehicleInfoAndDetectSn": "get_data"}
IMAGE_ROOTS = {"sharePrintImage": "printImage", "shareReportImage": "reportImage",
               "shareSignatureImage": "signatureImage"}
VEHICLE = ("vehicleNo", "plateColorCode", "vinNo")
ACTIONS = ("getAccessToken", "shareDetectionStationInfo", "shareVehicleInfo", "getVehicleInfoAndDetectSn",
           "shareDetectInfo", *IMAGE_ROOTS)


class ClientError(Exception):
    pass


class StationClient:
    timeout = 30.0
    renew_on_refusal = True

    def __init__(self, base_url: str, state_dir: str, creds: dict[str, Any]):
        self.base_url = base_url.rstrip("/")
        self.creds = creds
        self.state_path = Path(state_dir) / "gansu-station.json"
        self.state: dict[str, Any] = load_state(self.state_path)
        self.state.setdefault("serials", {})

    def save(self) -> None:
        save_state(self.state_path, self.state)

    # ---- transport ---------------------------------------------------------------------------------------
    def path(self, ipctype: str, token: str | None) -> str:
        p = PREFIX + PATHS.get(ipctype, "put_data")
        return p if token is None else f"{p};token={token}"

    def post(self, path: str, body: dict) -> dict:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(self.base_url + path, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as err:
            raise ClientError(f"HTTP {err.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as err:
            raise ClientError(f"platform not reachable or no JSON answer: {err}") from None

    def encode(self, value: Any) -> Any:
        """IPCType.value: the payload as a JSON string (zongjian §transport)."""
        return json.dumps(value, ensure_ascii=False)

    def envelope(self, ipctype: str, value: Any) -> dict:
        return {"CompanyId": self.creds["CompanyId"], "Source": self.creds["Source"], "IPCType": ipctype,
                "IPCType.value": self.encode(value)}

    # ---- token ---------------------------------------------------------------------------------------------
    def token(self, fresh: bool = False) -> str:
        if not fresh and self.state.get("token"):
            return self.state["token"]
        ans = self.post(self.path("getAccessToken", None),
                        self.envelope("getAccessToken", {"username": self.creds["username"],
                                                         "password": self.creds["password"]}))
        if str(ans.get("code")) != "1" or not ans.get("access_token"):
            raise ClientError(f"getAccessToken refused: {ans.get('code')} {ans.get('status')}")
        self.state["token"] = str(ans["access_token"])
        return self.state["token"]

    def call(self, ipctype: str, value: Any) -> dict:
        ans = self.post(self.path(ipctype, self.token()), self.envelope(ipctype, value))
        if str(ans.get("code")) != "1" and self.renew_on_refusal and "令牌" in str(ans.get("status", "")):
            ans = self.post(self.path(ipctype, self.token(fresh=True)), self.envelope(ipctype, value))
        if str(ans.get("code")) != "1":
            raise ClientError(f"{ipctype} refused: {ans.get('code')} {ans.get('status')}")
        return ans

    # ---- the business events -------------------------------------------------------------------------------
    @staticmethod
    def vehicle_key(v: dict) -> str:
        return f"{v.get('vehicleNo')}/{v.get('plateColorCode')}"

    def serial_for(self, v: dict) -> str:
        sn = self.state["serials"].get(self.vehicle_key(v))
        if not sn:
            raise ClientError(f"no detectSn issued for {self.vehicle_key(v)}: call getVehicleInfoAndDetectSn first")
        return sn

    def value(self, action: str, params: dict) -> Any:
        c = self.creds
        if action == "shareDetectionStationInfo":
            return {"dsId": c["CompanyId"], "dsName": c.get("dsName", ""), **params}
        if action == "getVehicleInfoAndDetectSn":
            return {"dsId": c["CompanyId"], **{k: params[k] for k in VEHICLE}}
        if action == "shareDetectInfo":
            record = {"dsId": c["CompanyId"], "dsName": c.get("dsName", ""), "detectSn": self.serial_for(params["detectRecord"]),
                      **params["detectRecord"]}
            return {**params, "detectRecord": record}
        if action in IMAGE_ROOTS:
            return {IMAGE_ROOTS[action]: [{"dsId": c["CompanyId"], "detectSn": self.serial_for(item), **item}
                                          for item in params["items"]]}
        return dict(params)

    def perform(self, action: str, params: dict) -> Any:
        if action == "getAccessToken":
            self.token(fresh=True)
            return None
        if action not in ACTIONS:
            raise ClientError(f"unknown action {action!r}")
        ans = self.call(action, self.value(action, params))
        if action == "getVehicleInfoAndDetectSn":
            data = json.loads(ans.get("data") or "{}")
            if not data.get("detectSn"):
                raise ClientError("getVehicleInfoAndDetectSn answered no detectSn")
            self.state["serials"][self.vehicle_key(params)] = data["detectSn"]
            return {"detectSn": data["detectSn"]}
        return None


def run_adapter(client_cls: type[StationClient], argv: list[str]) -> int:
    """Adapter main (exit 0 done, 1 refused, 2 bad usage): the engine's `serve_action`."""
    return serve_action(argv, lambda ctx: client_cls(ctx["base_url"], ctx["state_dir"], ctx.get("credentials") or {}),
                        lambda c, action, params: c.perform(action, params), ClientError)


def main() -> int:
    return run_adapter(StationClient, sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())

"""The reference Henan gate system as a DESIGN.md adapter: `python -m suites.henan.reference_gate_client ACTION CTX`.

It talks to a city platform as henan §2 and §4.1 say: JSON over POST, the §2.4 envelope (organ, ipctype,
access_token, value), a token from getAccessToken kept in state_dir for its 2 hours (§4.1.1) and fetched again
once when the platform answers 401; the enterprise code, name, gate number and 企业授权码 come from the
credentials (the gate's configuration), the business event from the params. getCheckVehicle prints the gate's
decision {"pass": …, "isControl": …}: a controlled vehicle is refused (E-HN-16). Exit 0 when the platform answered
code 200, 1 when it refused, 2 on bad usage. Subclasses in tests/specs/henan/ break one rule each.
"""
from __future__ import annotations

import json
import sys

from harness.adapter import load_state, save_state, serve_action
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

PATHS = {"getAccessToken": "get_data", "getCheckVehicle": "get_data", "sharePhotoInfo": "put_file"}
PREFIX = "/restapi/transportControl/"
TOKEN_LIFE = 7200 - 60  # §4.1.1: 2 hours; renewed a minute early
RECORDS = ("shareDrivingRecord", "sharePhotoInfo", "shareGoodsRecord")
LEDGERS = ("shareVehInfo", "shareInnerVehInfo", "shareInnerMHYElec")


class ClientError(Exception):
    pass


class GateClient:
    timeout = 30.0
    renew_on_401 = True

    def __init__(self, base_url: str, state_dir: str, creds: dict[str, Any]):
        self.base_url = base_url.rstrip("/")
        self.creds = creds
        self.state_path = Path(state_dir) / "henan-gate.json"
        self.state: dict[str, Any] = load_state(self.state_path)

    def save(self) -> None:
        save_state(self.state_path, self.state)

    # ---- transport ---------------------------------------------------------------------------------------
    def path(self, ipctype: str) -> str:
        return PREFIX + PATHS.get(ipctype, "put_data")

    def post(self, path: str, body: dict) -> dict:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(self.base_url + path, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as err:  # E-HN-13: the status may mirror the body code
            try:
                return json.loads(err.read().decode("utf-8"))
            except ValueError:
                raise ClientError(f"HTTP {err.code} without a JSON answer") from None
        except (urllib.error.URLError, OSError, ValueError) as err:
            raise ClientError(f"platform not reachable or no JSON answer: {err}") from None

    # ---- token (§4.1.1) -----------------------------------------------------------------------------------
    def token(self, fresh: bool = False) -> str:
        if not fresh and self.state.get("token") and time.time() < self.state.get("until", 0):
            return self.state["token"]
        body = {"organ": self.creds["organ"], "ipctype": "getAccessToken", "username": self.creds["username"],
                "password": self.creds["password"]}
        ans = self.post(self.path("getAccessToken"), body)
        if str(ans.get("code")) != "200" or not ans.get("access_token"):
            raise ClientError(f"getAccessToken refused: {ans.get('code')} {ans.get('status')}")
        self.state.update(token=str(ans["access_token"]).strip(), until=time.time() + TOKEN_LIFE)  # E-HN-10: trim
        return self.state["token"]

    def envelope(self, ipctype: str, value: dict, token: str) -> dict:
        return {"organ": self.creds["organ"], "ipctype": ipctype, "access_token": token, "value": value}

    def call(self, ipctype: str, value: dict) -> dict:
        ans = self.post(self.path(ipctype), self.envelope(ipctype, value, self.token()))
        if str(ans.get("code")) == "401" and self.renew_on_401:
            ans = self.post(self.path(ipctype), self.envelope(ipctype, value, self.token(fresh=True)))
        if str(ans.get("code")) != "200":
            raise ClientError(f"{ipctype} refused: {ans.get('code')} {ans.get('status')}")
        return ans

    # ---- the business events -----------------------------------------------------------------------------
    def value(self, action: str, params: dict) -> dict:
        """The gate's configuration plus the event; the table's field order."""
        c = self.creds
        if action in RECORDS:
            return {"lsh": params.get("lsh"), "qybh": c["qybh"], "qymc": c["qymc"], "dzbh": c["dzbh"],
                    **{k: v for k, v in params.items() if k != "lsh"}}
        if action == "shareVehInfo":
            return {"companySecretCode": c["companySecretCode"], **params}
        if action in LEDGERS:
            return {"companySecretCode": c["companySecretCode"], "companyCode": c["qybh"], **params}
        return dict(params)

    def perform(self, action: str, params: dict) -> Any:
        if action == "getAccessToken":
            self.token(fresh=True)
            return None
        if action == "getCheckVehicle":
            ans = self.call(action, self.value(action, params))
            v = ans.get("value") or {}
            return {"pass": str(v.get("isControl")) != "1", "isControl": v.get("isControl"),
                    "controlReason": v.get("controlReason", "")}
        if action in RECORDS or action in LEDGERS:
            self.call(action, self.value(action, params))
            return None
        raise ClientError(f"unknown action {action!r}")


def run_adapter(client_cls: type[GateClient], argv: list[str]) -> int:
    """Adapter main (exit 0 done, 1 refused, 2 bad usage): the engine's `serve_action`."""
    return serve_action(argv, lambda ctx: client_cls(ctx["base_url"], ctx["state_dir"], ctx.get("credentials") or {}),
                        lambda c, action, params: c.perform(action, params), ClientError)


def main() -> int:
    return run_adapter(GateClient, sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())

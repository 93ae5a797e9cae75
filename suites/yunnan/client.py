"""A Yunnan enterprise-side client (yunnan §4–§6): the reference uploader and the base of the broken catalog.

Synchronous and stdlib-only for HTTP, so an adapter process starts fast. State (keys, apiKey/apiSecret,
platform key, token) lives in a JSON file in the adapter's state_dir between calls.
"""
from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from harness import crypto
from schemas.yunnan import envelope

PULL_TIME_FIELD = {"exceedVehicle": ("vehicleTimestamp", "sendTime"),
                   "basStrategy": ("strategyTimestamp", "startdate"),
                   "alarmVehicle": ("alarmTimestamp", "alarmTime")}
# After a pull the software tells the platform what it received (yunnan §6.8, §6.10): pull -> (confirm interface,
# its ids parameter, the record field that carries the id). §6.6 exceedVehicle has no such notification.
CONFIRM_AFTER_PULL = {"basStrategy": ("strategyConfirm", "strategyId", "strategyId"),
                      "alarmVehicle": ("alarmConfirm", "alarmId", "alarmId")}
MAX_PAGES = 1000


class ClientError(Exception):
    """The platform refused a call or could not be reached; message says which and why."""


class YunnanClient:
    """Talks to a Yunnan platform; subclasses in tests/ break one rule each."""

    aes_key_bytes = 32                 # yunnan §5.2: AES-256
    signature_range = "key+content"    # E-YN-04 default
    signature_encoding = "raw"         # E-YN-05 default
    paging = "repeat"                  # E-YN-11: repeat the query while isNew is 1 ("advance" is the other reading)
    renew_on_token_error = True
    confirm_batch = 100                # §6.10: at most 100 ids a call; §6.8 states no limit (E-YN-20), same cap kept
    confirms = CONFIRM_AFTER_PULL
    timeout = 30.0

    def __init__(self, base_url: str, state_dir: str | os.PathLike, enterprise_id: str = ""):
        self.base_url = base_url.rstrip("/")
        self.state_path = Path(state_dir) / "yunnan-client.json"
        self.state: dict[str, Any] = {}
        if self.state_path.exists():
            self.state = json.loads(self.state_path.read_text("utf-8"))
        if enterprise_id:
            self.state.setdefault("enterpriseId", enterprise_id)

    def save(self) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, ensure_ascii=False), "utf-8")
        os.replace(tmp, self.state_path)

    # ---- transport ------------------------------------------------------------------------------
    def post(self, path: str, body: dict, headers: dict[str, str] | None = None) -> dict:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(self.base_url + path, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as err:
            raw = err.read()
        except (urllib.error.URLError, OSError) as err:
            raise ClientError(f"POST {path}: {err}") from None
        try:
            return json.loads(raw)
        except ValueError:
            raise ClientError(f"POST {path}: answer is not JSON: {raw[:200]!r}") from None

    def headers(self, with_token: bool = True) -> dict[str, str]:
        h = {"X-Client-Id": self.state.get("apiKey", "")}
        if with_token:
            h["Authorization"] = f"Bearer {self.state.get('token', '')}"
        return h

    # ---- envelope -------------------------------------------------------------------------------
    def private_key(self):
        if "privateKey" not in self.state:
            self.state["privateKey"] = crypto.private_b64(crypto.generate_rsa(2048))
        return crypto.load_private(self.state["privateKey"])

    def seal(self, plaintext: dict) -> dict:
        raw = self.encode_plaintext(plaintext)
        key = os.urandom(self.aes_key_bytes)
        sealed = envelope.seal_request(raw, crypto.load_public(self.state["platformPublicKey"]), self.private_key(),
                                       reading=(self.signature_range, self.signature_encoding), aes_key=key)
        return sealed.body

    def encode_plaintext(self, plaintext: dict) -> bytes:
        return json.dumps(plaintext, ensure_ascii=False).encode("utf-8")

    def open_data(self, answer: dict) -> Any:
        """Decrypt an answer's data (yunnan §5.1 step 10); None when the answer carries none."""
        if not answer.get("data"):
            return None
        if not answer.get("aesKey"):
            return answer["data"]
        opened = envelope.open_response(answer["aesKey"], answer["data"], self.private_key())
        if opened.failure:
            raise ClientError(f"answer data unusable: {opened.failure.message}")
        return opened.obj

    # ---- §6.1, §6.2 -----------------------------------------------------------------------------
    def init_auth(self, enterprise_id: str, enterprise_name: str) -> dict:
        if self.state.get("apiKey"):
            return {"code": 200, "message": "already registered (kept in state)"}
        pub = crypto.public_b64(self.private_key())
        ans = self.post("/init-auth", {"enterpriseId": enterprise_id, "enterpriseName": enterprise_name, "publicKey": pub})
        if ans.get("code") != 200 or not isinstance(ans.get("data"), dict):
            raise ClientError(f"init-auth refused: {ans.get('code')} {ans.get('message')}")
        self.state.update(enterpriseId=enterprise_id, apiKey=ans["data"]["apiKey"],
                          apiSecret=ans["data"]["apiSecret"], platformPublicKey=ans["data"]["publicKey"])
        self.save()
        return ans

    def get_token(self) -> str:
        self.require_registration()
        ans = self.post("/getToken", self.seal({"apiKey": self.state["apiKey"], "apiSecret": self.state["apiSecret"]}),
                        self.headers(with_token=False))
        if ans.get("code") != 200:
            raise ClientError(f"getToken refused: {ans.get('code')} {ans.get('message')}")
        data = self.open_data(ans)
        self.state["token"] = data["token"]
        self.state["tokenExpires"] = time.time() + float(data.get("expireTime", 7200)) - 60
        self.save()
        return data["token"]

    def require_registration(self) -> None:
        if not self.state.get("apiKey") or not self.state.get("platformPublicKey"):
            raise ClientError("not registered: run the init-auth action first")

    def token_valid(self) -> bool:
        return bool(self.state.get("token")) and time.time() < float(self.state.get("tokenExpires", 0))

    # ---- every encrypted call -------------------------------------------------------------------
    def call(self, interface: str, plaintext: dict, path: str | None = None) -> dict:
        """Send one encrypted request; renew the token once and retry when the platform refuses it."""
        self.require_registration()
        if not self.token_valid():
            self.get_token()
        path = path or "/" + interface
        ans = self.post(path, self.seal(plaintext), self.headers())
        if self.renew_on_token_error and self.is_token_error(ans):
            self.get_token()
            ans = self.post(path, self.seal(plaintext), self.headers())
        if ans.get("code") != 200:
            raise ClientError(f"{interface} refused: {ans.get('code')} {ans.get('message')}")
        return ans

    @staticmethod
    def is_token_error(ans: dict) -> bool:
        """E-YN-12: code 401, or code 500 whose message says the token is bad."""
        msg = str(ans.get("message", ""))
        return ans.get("code") == 401 or (ans.get("code") == 500 and ("令牌" in msg or "token" in msg.lower()))

    def pull(self, interface: str, query: dict) -> list[dict]:
        """The pull action: fetch every new record, then confirm what was received (yunnan §6.7–§6.10)."""
        records = self.pull_all(interface, query)
        self.confirm_received(interface, records)
        return records

    def pull_all(self, interface: str, query: dict) -> list[dict]:
        """Pull every page while isNew is 1 (yunnan §6.6/§6.7/§6.9), under this client's paging reading."""
        ts_field, rec_field = PULL_TIME_FIELD[interface]
        query, records = dict(query), []
        for _ in range(MAX_PAGES):
            data = self.open_data(self.call(interface, query)) or {}
            page = data.get("records") or []
            records.extend(page)
            if str(data.get("isNew", "0")) != "1" or not page:
                return records
            if self.paging == "advance":
                query[ts_field] = page[-1][rec_field]
        raise ClientError(f"{interface}: still isNew=1 after {MAX_PAGES} pages")

    def confirm_received(self, interface: str, records: list[dict]) -> None:
        """Notify the platform of every received id once, in calls of at most `confirm_batch` ids (§6.8, §6.10)."""
        if interface not in self.confirms:
            return
        confirm, param, rec_field = self.confirms[interface]
        ids = list(dict.fromkeys(str(r[rec_field]) for r in records if isinstance(r, dict) and r.get(rec_field)))
        for start in range(0, len(ids), self.confirm_batch):
            body = {param: ",".join(ids[start:start + self.confirm_batch])}
            if confirm == "strategyConfirm":  # §6.8 names the enterprise too
                body["enterpriseId"] = self.state["enterpriseId"]
            self.call(confirm, body)

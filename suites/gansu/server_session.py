"""The server role: the harness plays an inspection station against a provincial platform under test (`--target`,
default: the project's own mock) and keeps every exchange (zongjian.md, reconstructed from public implementations).

The target needs the admin hook (/__vconform/account) to take the harness's station account; a target without it
must already know the station the run's seed draws (`vconform actions gansu` shows the credentials)."""
from __future__ import annotations

import json
from typing import Any

from harness import specdata
from harness.run import RunContext
from harness.uploader import HttpReply, Uploader
from schemas.gansu.datagen import StationData, envelope

EP = specdata.endpoints("gansu")
PATHS = {n: i["path"] for n, i in EP["interfaces"].items()}
IMAGE_ROOTS = {"sharePrintImage": "printImage", "shareReportImage": "reportImage",
               "shareSignatureImage": "signatureImage"}


class StationReply(HttpReply):
    @property
    def code(self) -> str | None:
        return str(self.body.get("code")) if isinstance(self.body, dict) and "code" in self.body else None

    @property
    def accepted(self) -> bool:
        """zongjian §transport: code "1" in the answer."""
        return self.status is not None and not self.error and self.code == "1"

    @property
    def outcome(self) -> str:
        return "ok" if self.accepted else (self.error and "transport_error") or f"code {self.code} (HTTP {self.status})"


class GansuServer(Uploader):
    reply_type = StationReply
    setup_doc = "docs/adapter.md (server role: the admin hook)"

    def __init__(self, vrun: RunContext):
        seed = int(vrun.config.seed)

        def embedded(journal, profile):
            from mocks.gansu.app import GansuMock

            return GansuMock(journal=journal, profile=profile, seed=seed)

        super().__init__(vrun, prefix=str(EP.get("base_path", "")).rstrip("/"), embedded=embedded)
        self.data = StationData(seed)
        self.account = self.data.account()
        self.token = ""
        self.serials: dict[int, str] = {}

    def start(self) -> None:
        if self.hook:
            self.admin("account", self.account)
        self.vrun.add_secret(self.account["password"])
        self.login()

    # ---- requests ----------------------------------------------------------------------------------------
    def send(self, interface: str, body: Any, *, token: str | None = None, note: str = "",
             path: str | None = None) -> StationReply:
        p = path or PATHS[interface]
        if interface != "getAccessToken" and token != "":
            p += f";{EP['token_param']}={self.token if token is None else token}"
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return self.post(p, data, {}, interface=interface, plaintext=body, note=note)

    def login(self, note: str = "") -> StationReply:
        a = self.account
        reply = self.send("getAccessToken", envelope(a["CompanyId"], a["Source"], "getAccessToken",
                                                     {"username": a["username"], "password": a["password"]}),
                          note=note)
        if reply.accepted and isinstance(reply.body, dict):
            self.token = str(reply.body.get("access_token", ""))
            self.vrun.add_secret(self.token)
        return reply

    def call(self, interface: str, value: Any, *, note: str = "", token: str | None = None,
             as_object: bool = False) -> StationReply:
        body = envelope(self.account["CompanyId"], self.account["Source"], interface, value)
        if as_object:
            body["IPCType.value"] = value
        return self.send(interface, body, token=token, note=note)

    def serial(self, n: int) -> StationReply:
        """Ask for a serial for vehicle n; keep it when the answer's data (a JSON string) holds one."""
        reply = self.call("getVehicleInfoAndDetectSn", self.data.serial_request(self.data.vehicle(n)),
                          note=f"serial for vehicle {n}")
        sn = answer_data(reply).get("detectSn")
        if reply.accepted and isinstance(sn, str) and sn:
            self.serials[n] = sn
        return reply

    def valid(self, interface: str, n: int) -> Any:
        """A valid value of the interface for vehicle n (under its serial, when it has one)."""
        d, v = self.data, self.data.vehicle(n)
        sn = self.serials.get(n, "")
        if interface == "shareDetectionStationInfo":
            return d.station_info()
        if interface == "shareVehicleInfo":
            return v
        if interface == "getVehicleInfoAndDetectSn":
            return d.serial_request(v)
        if interface == "shareDetectInfo":
            return d.detect_info(v, sn)
        return {IMAGE_ROOTS[interface]: d.image_items(v, sn, "3" if interface == "shareSignatureImage" else "1")}


def answer_data(reply: HttpReply) -> dict:
    """The answer's `data` decoded from its JSON string; {} when there is none or it is no JSON object string."""
    raw = reply.body.get("data") if isinstance(reply.body, dict) else None
    try:
        data = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}

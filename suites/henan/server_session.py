"""The server role at the city level: the harness plays a gate system against a city platform under test
(`--target`, default: the project's own city mock) and keeps every exchange (henan §2, §4.1).

The target needs the admin hook (/__vconform/account, /control, /clock, /state) to take the harness's account and
controlled vehicle and to move its clock past the 2-hour token; a target without it gets the checks that need no
setup, the others are skipped with the reason."""
from __future__ import annotations

import json
from typing import Any

from harness import specdata
from harness.run import HarnessError, RunContext
from harness.uploader import HttpReply, Uploader
from schemas.henan.datagen import CityData
from suites.henan.shared_target import TargetClock

PATHS = {n: i["path"] for n, i in specdata.endpoints("henan")["interfaces"].items() if i.get("level") == "city"}


class CityReply(HttpReply):
    @property
    def code(self) -> str | None:
        return str(self.body.get("code")) if isinstance(self.body, dict) and "code" in self.body else None

    @property
    def accepted(self) -> bool:
        """§2.5: code 200 in the answer (HTTP 2xx, or the code mirrored under E-HN-13)."""
        return self.status is not None and not self.error and self.code == "200"

    @property
    def outcome(self) -> str:
        return "ok" if self.accepted else (self.error and "transport_error") or f"code {self.code} (HTTP {self.status})"


class HenanCityServer(Uploader):
    reply_type = CityReply
    setup_doc = "docs/adapter.md (server role: the admin hook)"

    def __init__(self, vrun: RunContext):
        seed = int(vrun.config.seed)

        def embedded(journal, profile):
            from mocks.henan.city_app import HenanCityMock

            return HenanCityMock(journal=journal, profile=profile, seed=seed)

        super().__init__(vrun, prefix=specdata.endpoints("henan")["base_path"], embedded=embedded)
        self.data = CityData(seed)
        self.account = self.data.account()
        self.controlled = self.data.controlled_vehicles()[0]
        self.token = ""
        self.ready = False
        self.target_clock = TargetClock(self, "the account, its organ and the controlled vehicle loaded through the "
                                              "hook and the §6.4 serials all come from the seed, so two runs with "
                                              "the same --seed also share passages")

    def start(self) -> None:
        """Give the target the harness's account and controlled vehicle (admin hook), then log in."""
        if self.hook:
            self.admin("account", self.account)
            self.admin("control", {"license": self.controlled["license"],
                                   "licenseColor": self.controlled["licenseColor"], "isControl": "1",
                                   "controlReason": self.controlled["controlReason"]})
        self.vrun.add_secret(self.account["password"])
        self.vrun.add_secret(self.account["companySecretCode"])
        reply = self.login()
        if self.foreign and reply.status == 404:
            self._nothing_there(reply)
        self.ready = reply.accepted

    def _nothing_there(self, login: CityReply) -> None:
        """A target whose get_data and put_data paths both answer HTTP 404 serves no §3.1 interface there: a wrong
        --target (path prefix), the harness's error, not a finding against the platform."""
        probe = self.send("shareDrivingRecord", self.envelope("shareDrivingRecord", self.valid("shareDrivingRecord")),
                          note="probe: does the target serve put_data?")
        if probe.status == 404:
            raise HarnessError(f"nothing at --target {self.base}: HTTP 404 on {PATHS['getAccessToken']} and "
                               f"{PATHS['shareDrivingRecord']}; check the URL (the spec's base path is {self.prefix}, "
                               f"e.g. http://HOST:PORT{self.prefix})")

    # ---- requests ----------------------------------------------------------------------------------------
    def send(self, interface: str, body: Any, *, note: str = "", path: str | None = None, raw: bytes | None = None,
             headers: dict[str, str] | None = None) -> CityReply:
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        return self.post(path or PATHS[interface], data, headers or {}, interface=interface, plaintext=body, note=note)

    def login(self, note: str = "") -> CityReply:
        a = self.account
        reply = self.send("getAccessToken", {"organ": a["organ"], "ipctype": "getAccessToken",
                                             "username": a["username"], "password": a["password"]}, note=note)
        if reply.accepted and isinstance(reply.body, dict):
            self.token = str(reply.body.get("access_token", "")).strip()
            self.vrun.add_secret(self.token)
            self.target_clock.seen(reply.body.get("datetime"), "%Y-%m-%d %H:%M:%S")  # §4.1.1; E-HN-10's space
        return reply

    def record_outcome(self, *args, **kwargs):
        """An exploration disturbed by another run on the target is the harness's error, not a falsifying example."""
        if self.target_clock.collision:
            raise HarnessError(self.target_clock.collision)
        return super().record_outcome(*args, **kwargs)

    def envelope(self, interface: str, value: Any, token: str | None = None) -> dict:
        return {"organ": self.account["organ"], "ipctype": interface,
                "access_token": self.token if token is None else token, "value": value}

    def call(self, interface: str, value: Any, *, note: str = "", token: str | None = None) -> CityReply:
        """One business call with the live token; a 401 is answered by one new login and a resend."""
        reply = self.send(interface, self.envelope(interface, value, token), note=note)
        if token is None and reply.code == "401":
            self.login("token refused: new login")
            reply = self.send(interface, self.envelope(interface, value), note=note + " (new token)")
        return reply

    def valid(self, interface: str, n: int = 1) -> dict:
        """A valid value of the interface with the harness's own enterprise data."""
        d = self.data
        if interface == "getCheckVehicle":
            return d.free_vehicle(n)
        record = d.passage(d.free_vehicle(n), n)
        return {"shareDrivingRecord": lambda: record, "sharePhotoInfo": lambda: d.photo(record),
                "shareGoodsRecord": lambda: d.goods(record), "shareVehInfo": lambda: d.veh_info(n),
                "shareInnerVehInfo": lambda: d.inner_veh_info(n), "shareInnerMHYElec": lambda: d.machine(n)}[interface]()

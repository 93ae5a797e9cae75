"""The Gansu provincial inspection platform's business state, without I/O (zongjian.md, reconstructed): accounts,
tokens, the detectSn serials it issued (one per vehicle inspection) and what was uploaded under each.

The clock is injected, so a token expires in tests without waiting.
"""
from __future__ import annotations

import secrets
from collections import OrderedDict
from datetime import datetime
from dataclasses import dataclass, field
from typing import Any

from harness.bounded import put_newest
from harness.clock import Clock

VEHICLE = ("vehicleNo", "plateColorCode", "vinNo")


@dataclass
class Account:
    company_id: str
    source: str
    username: str
    password: str
    ds_name: str = ""


@dataclass
class Token:
    value: str
    company_id: str
    issued: float


@dataclass
class Inspection:
    """One issued detectSn: the station and vehicle it was issued for, and how many uploads of each interface came
    under it (the bodies, photos included, are in the journal)."""

    detect_sn: str
    company_id: str
    vehicle: dict[str, str]
    uploads: dict[str, int] = field(default_factory=dict)


class StationState:
    # Bounded whatever a peer sends: the newest live tokens and issued serials (drops counted in `dropped`).
    max_tokens = 100_000
    max_inspections = 100_000

    def __init__(self, clock: Clock, token_ttl: float):
        self.clock = clock
        self.token_ttl = token_ttl
        self.accounts: dict[str, Account] = {}
        self.tokens: OrderedDict[str, Token] = OrderedDict()  # in the order issued
        self.inspections: OrderedDict[str, Inspection] = OrderedDict()  # in the order issued
        self.dropped = {"tokens": 0, "inspections": 0}
        self.stations: dict[str, Any] = {}
        self.vehicles: OrderedDict[tuple[str, ...], dict[str, Any]] = OrderedDict()  # the newest max_inspections
        self._seq = 0

    # ---- accounts and tokens -----------------------------------------------------------------------------
    def add_account(self, company_id: str, source: str, username: str, password: str, ds_name: str = "") -> None:
        self.accounts[company_id] = Account(company_id, source, username, password, ds_name)

    def login(self, company_id: str, username: str, password: str) -> Token | None:
        acc = self.accounts.get(company_id)
        if acc is None or acc.username != username or acc.password != password:
            return None
        tok = Token(secrets.token_hex(16), company_id, self.clock.now())
        put_newest(self.tokens, tok.value, tok, self.max_tokens, self.dropped, "tokens")
        return tok

    def token_status(self, value: str | None, company_id: Any) -> str:
        """ok, missing, unknown, expired, or other_station (a token issued to another CompanyId)."""
        if not value:
            return "missing"
        tok = self.tokens.get(value)
        if tok is None:
            return "unknown"
        if self.clock.now() - tok.issued >= self.token_ttl:
            return "expired"
        if tok.company_id != str(company_id):
            return "other_station"
        return "ok"

    def expire_tokens(self) -> None:
        for tok in self.tokens.values():
            tok.issued = self.clock.now() - self.token_ttl

    # ---- serials -----------------------------------------------------------------------------------------
    def issue(self, company_id: str, vehicle: dict[str, str]) -> Inspection:
        """获取流水号 (zongjian §6.7): a new detectSn for this vehicle at this station."""
        self._seq += 1
        day = datetime.fromtimestamp(self.clock.now()).strftime("%Y%m%d")
        sn = f"{company_id}{day}{self._seq:06d}"  # the serial's form is not known (E-GS-03): the mock's own
        ins = Inspection(sn, company_id, {k: str(vehicle[k]) for k in VEHICLE})
        put_newest(self.inspections, sn, ins, self.max_inspections, self.dropped, "inspections")
        return ins

    def serial_problem(self, company_id: str, detect_sn: Any, vehicle: dict[str, Any]) -> tuple[str, str] | None:
        """(reason, message) when detectSn was not issued, was issued to another station, or to another vehicle."""
        ins = self.inspections.get(str(detect_sn)) if isinstance(detect_sn, str) else None
        if ins is None:
            return "serial_unknown", f"检测流水号 {detect_sn!r} 不是平台签发的"
        if ins.company_id != company_id:
            return "serial_other_station", f"检测流水号 {detect_sn} 签发给检验检测机构 {ins.company_id}"
        differ = [k for k in VEHICLE if str(vehicle.get(k, "")) != ins.vehicle[k]]
        if differ:
            return "serial_other_vehicle", (f"检测流水号 {detect_sn} 签发给车辆 {ins.vehicle['vehicleNo']}，"
                                            f"与上传的 {', '.join(f'{k}={vehicle.get(k)!r}' for k in differ)} 不符")
        return None

    def keep_vehicle(self, key: tuple[str, ...], value: dict[str, Any]) -> None:
        put_newest(self.vehicles, key, value, self.max_inspections)

    def store(self, detect_sn: str, interface: str, value: Any) -> None:
        uploads = self.inspections[detect_sn].uploads
        uploads[interface] = uploads.get(interface, 0) + 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "accounts": sorted(self.accounts),
            "tokens": len(self.tokens),
            "stations": sorted(self.stations),
            "vehicles": [list(k) for k in sorted(self.vehicles)],
            "inspections": {sn: {"company_id": i.company_id, "vehicle": i.vehicle,
                                 "uploads": dict(i.uploads)}
                            for sn, i in self.inspections.items()},
            "dropped": dict(self.dropped),
        }

"""The Henan city platform's business state, without I/O (henan §4.1): accounts, tokens, vehicles under control,
the gate records linked by their §6.4 serial `lsh`, and the vehicle and machine ledgers.

The clock is injected, so the 2-hour token (§4.1.1) expires in tests without waiting.
"""
from __future__ import annotations

import secrets
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any

from harness.bounded import put_newest
from harness.clock import Clock
from harness.httpmock import dump_json as _dumps, load_json as _loads


_KEPT_CHARS = 1024  # a ledger's string values longer than this (images) are kept as their length only


@dataclass
class Account:
    """A gate system's account at the city platform: the organ it was assigned (E-HN-18) and its login."""

    organ: str
    username: str
    password: str
    qymc: str = ""
    company_secret_code: str = ""  # the enterprise's 企业授权码 (§4.1.2, §4.1.7, §4.1.8)


@dataclass
class Token:
    value: str
    organ: str
    issued: float


@dataclass
class Control:
    """What getCheckVehicle answers for a vehicle (§4.1.3)."""

    is_control: str = "0"
    fuel_type: str = "B"
    emission_standard: str = "6"
    reason: str = ""


@dataclass
class Passage:
    """One entry or exit: its §4.1.4 record and how many records were linked to it by lsh (§4.1.5 photos, §4.1.6
    goods). A view built by `CityState.passage()`; the state keeps the parts apart (see `store`)."""

    record: dict[str, Any]
    photos: int = 0
    goods: int = 0


class CityState:
    # What the state keeps is bounded, whatever a peer sends (the journal keeps every exchange on disk): the newest
    # passages (an older one's photos and goods then link as orphans), live tokens, and the last getCheckVehicle
    # questions and orphans; the oldest go first, and `dropped` counts the passages and tokens let go.
    max_passages = 100_000
    max_tokens = 100_000
    max_log = 10_000

    def __init__(self, clock: Clock, token_ttl: float):
        self.clock = clock
        self.token_ttl = token_ttl
        self.accounts: dict[str, Account] = {}
        self.tokens: OrderedDict[str, Token] = OrderedDict()  # in the order issued
        self.controls: dict[tuple[str, str], Control] = {}
        # lsh -> the §4.1.4 record as received, as compact JSON (~0.4 KB, where the record as a dict of strings is
        # ~1.6 KB), in the order first reported; `record(lsh)` reads one back
        self.passages: OrderedDict[str, bytes] = OrderedDict()
        self.links: dict[str, tuple[int, int]] = {}  # lsh -> (photos, goods) linked to that passage
        self.orphans: deque[tuple[str, str]] = deque(maxlen=self.max_log)  # (interface, lsh) without a passage
        self.dropped = {"passages": 0, "tokens": 0}
        self.vehicles: OrderedDict[tuple[str, str], dict] = OrderedDict()
        self.inner_vehicles: OrderedDict[tuple[str, str], dict] = OrderedDict()
        self.machines: OrderedDict[str, dict] = OrderedDict()
        self.checks: deque[tuple[str, str]] = deque(maxlen=self.max_log)  # (license, colour) asked, in order

    # ---- accounts and tokens (§4.1.1) ---------------------------------------------------------------------
    def add_account(self, organ: str, username: str, password: str, qymc: str = "",
                    company_secret_code: str = "") -> Account:
        acc = Account(organ, username, password, qymc, company_secret_code or secrets.token_hex(16).upper())
        self.accounts[organ] = acc
        return acc

    def login(self, organ: str, username: str, password: str) -> Token | None:
        acc = self.accounts.get(organ)
        if acc is None or acc.username != username or acc.password != password:
            return None
        tok = Token(secrets.token_hex(16).upper(), organ, self.clock.now())
        put_newest(self.tokens, tok.value, tok, self.max_tokens, self.dropped, "tokens")
        return tok

    def token_status(self, value: Any, organ: Any) -> str:
        """ok | missing | unknown | expired | other_organ."""
        if not value:
            return "missing"
        tok = self.tokens.get(str(value).strip())
        if tok is None:
            return "unknown"
        if self.clock.now() - tok.issued >= self.token_ttl:
            return "expired"
        if organ is not None and str(organ) != tok.organ:
            return "other_organ"
        return "ok"

    def organ_of(self, token: Any) -> str | None:
        tok = self.tokens.get(str(token or "").strip())
        return tok.organ if tok else None

    def expire_tokens(self) -> None:
        for tok in self.tokens.values():
            tok.issued -= self.token_ttl

    # ---- vehicles (§4.1.3) -------------------------------------------------------------------------------
    def set_control(self, license: str, colour: str, **kw: Any) -> None:
        self.controls[(license, colour)] = Control(**kw)

    def check_vehicle(self, license: str, colour: str) -> dict[str, str]:
        self.checks.append((license, colour))
        c = self.controls.get((license, colour), Control())
        return {"license": license, "licenseColor": colour, "isControl": c.is_control, "fuelType": c.fuel_type,
                "emissionStandard": c.emission_standard, "controlReason": c.reason}

    def is_controlled(self, license: str, colour: str) -> bool:
        return self.controls.get((license, colour), Control()).is_control == "1"

    # ---- gate records (§4.1.4-§4.1.6), linked by lsh --------------------------------------------------------
    def store(self, interface: str, value: dict[str, Any]) -> str:
        """Keep one business record; returns how it links: new | linked | orphan | repeated."""
        # What is kept is what the platform's answers and the suites' checks read: the passage record, and per
        # passage the number of photos and goods records linked to it; not the photos themselves (base64 images
        # of up to hundreds of KB: the journal has every body). A mock serving a gate system for hours keeps a
        # record per passage and no objects per request that the garbage collector has to walk (a dataclass and
        # two lists per record cost ~3 us a request under load, and full collections grew with them).
        lsh = value.get("lsh", "")
        if type(lsh) is not str:
            lsh = str(lsh)
        if interface == "shareDrivingRecord":
            known = lsh in self.passages
            # (copied to its own size: orjson's bytes keep a block of ~4 KB whatever their length)
            kept = memoryview(_dumps(value)).tobytes()
            old = put_newest(self.passages, lsh, kept, self.max_passages, self.dropped, "passages")
            self.links.pop(lsh if known else old and old[0], None)  # a passage reported again starts unlinked
            return "repeated" if known else "new"
        if lsh not in self.passages:
            self.orphans.append((interface, lsh))
            return "orphan"
        photos, goods = self.links.get(lsh, (0, 0))
        self.links[lsh] = (photos + 1, goods) if interface == "sharePhotoInfo" else (photos, goods + 1)
        return "linked"

    def record(self, lsh: str) -> dict[str, Any] | None:
        """The §4.1.4 record of the passage with this lsh, as received, or None."""
        kept = self.passages.get(lsh)
        return None if kept is None else _loads(kept)

    def passage(self, lsh: str) -> Passage | None:
        """The passage with this lsh and what was linked to it, or None."""
        record = self.record(lsh)
        if record is None:
            return None
        photos, goods = self.links.get(lsh, (0, 0))
        return Passage(record, photos, goods)

    def store_ledger(self, interface: str, value: dict[str, Any]) -> None:
        """A ledger entry (§4.1.2, §4.1.7, §4.1.8) under its vehicle or machine, without its images (a long string
        is kept as its length: the journal has the body), the newest `max_passages` of each ledger."""
        if interface == "shareVehInfo":
            ledger, key = self.vehicles, (str(value.get("license")), str(value.get("licenseColor")))
        elif interface == "shareInnerVehInfo":
            ledger, key = self.inner_vehicles, (str(value.get("license")), str(value.get("licenseColor")))
        else:
            ledger, key = self.machines, str(value.get("mhyFrameNo"))
        put_newest(ledger, key, {k: f"({len(v)} characters)" if isinstance(v, str) and len(v) > _KEPT_CHARS else v
                                 for k, v in value.items()}, self.max_passages)

    def snapshot(self) -> dict[str, Any]:
        return {"accounts": sorted(self.accounts), "tokens": len(self.tokens),
                "controlled": sorted(f"{k[0]}/{k[1]}" for k, c in self.controls.items() if c.is_control == "1"),
                "passages": {lsh: {"cphm": r.get("cphm"), "tgzt": r.get("tgzt"), "photos": self.links.get(lsh, (0, 0))[0],
                                   "goods": self.links.get(lsh, (0, 0))[1]}
                             for lsh, r in ((lsh, _loads(b)) for lsh, b in self.passages.items())},
                "orphans": [list(o) for o in self.orphans], "vehicles": len(self.vehicles),
                "inner_vehicles": len(self.inner_vehicles), "machines": len(self.machines), "dropped": dict(self.dropped)}

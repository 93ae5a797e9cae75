"""The server-role session: the harness plays a Yunnan enterprise uploader against the platform under test."""
from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from harness import crypto, specdata
from mocks.yunnan.state import parse_time
from harness.checks import CheckResult
from harness.run import RunContext
from harness.uploader import Uploader
from schemas.yunnan import envelope
from schemas.yunnan.datagen import YunnanData
from suites.yunnan import server_checks as C
from suites.yunnan.server_checks import Pull, Reply

EP = specdata.endpoints("yunnan")
PREFIX = EP["prefix"]
PULLS = {name: spec for name, spec in EP["interfaces"].items() if spec["kind"] == "pull"}
UNSET: Any = object()


@dataclass
class Identity:
    """One enterprise the harness registered on the target: its key pair, credentials and current token."""

    eid: str
    name: str
    key: Any
    api_key: str = ""
    api_secret: str = ""
    platform_pub: str = ""
    token: str = ""
    token_at: float = 0.0  # the harness's clock offset when the token was issued
    ttl: float = float(EP["token_ttl"])

    @property
    def registered(self) -> bool:
        return bool(self.api_key and self.platform_pub)


def _embedded_mock(journal, profile: dict):
    from mocks.yunnan.app import YunnanMock

    return YunnanMock(journal=journal, profile=profile)


class ServerSession(Uploader):
    """The target (the embedded mock by default, see Uploader), the harness's identities, envelopes and pulls."""

    reply_type = Reply
    setup_doc = "docs/yunnan-server-role.md"
    replies: list[Reply]

    def __init__(self, vrun: RunContext):
        super().__init__(vrun, prefix=PREFIX, embedded=_embedded_mock)
        # A foreign platform keeps registrations between runs (§6.1 allows one each): vary the site suffix;
        # a fresh embedded platform each run: the seed alone decides every id.
        self.salt = "".join(random.SystemRandom().choice(string.digits) for _ in range(4)) if self.foreign else ""
        self.reading = (self.profile["signature_range"], self.profile["signature_encoding"])
        self.paths: dict[str, str] = {}
        self.register_url: str | None = None
        self.path_notes: dict[str, tuple[str, str]] = {}  # interface -> (errata, message) when an alias was needed
        self._windows = 0
        data = YunnanData(self.seed)
        eid = data.enterprise_id if not self.salt else data.enterprise_id[:18] + self.salt
        self.data = YunnanData(self.seed, eid)
        self.main = Identity(eid, self.data.enterprise()["enterpriseName"], crypto.generate_rsa(2048))
        self._spare_keys: list[Any] = []
        self._ids = 0
        self._ledger: set[tuple[str, str]] = set()  # (enterprise, vehicleId) uploaded through §6.11 and accepted
        self._issued: list[dict] = []  # exceedVehicle records the platform served through §6.6

    def describe_target(self) -> dict[str, Any]:
        return {**super().describe_target(), "enterpriseId": self.main.eid}

    # ---- envelopes and calls (§4.2, §4.3, §5) --------------------------------------------------------------
    def seal(self, ident: Identity, plaintext: Any, *, aes_key: bytes | None = None, sign_with=None,
             encrypt_to=None, reading: tuple[str, str] | None = None) -> dict:
        raw = plaintext if isinstance(plaintext, bytes) else json.dumps(plaintext, ensure_ascii=False).encode("utf-8")
        pub = encrypt_to or crypto.load_public(ident.platform_pub)
        return envelope.seal_request(raw, pub, sign_with or ident.key, reading=reading or self.reading,
                                     aes_key=aes_key).body

    def headers(self, ident: Identity, *, token: Any = UNSET, client_id: Any = UNSET) -> dict[str, str]:
        h = {"X-Client-Id": ident.api_key if client_id is UNSET else client_id,
             "Authorization": f"Bearer {ident.token if token is UNSET else token}"}
        return {k: v for k, v in h.items() if v is not None}

    def path(self, interface: str) -> str:
        if interface in self.paths:
            return self.paths[interface]
        if interface == "vehicleInfo" and self.profile.get("vehicle_ledger_path") == "carDate":
            return "/carDate"
        if interface == "exceedVehicleConfirm" and self.profile.get("exceed_confirm_path") == "exceedVehicle":
            return "/exceedVehicle"
        return "/" + interface

    def call(self, ident: Identity, interface: str, plaintext: Any, *, envelope: dict | None = None,
             body: bytes | None = None, note: str = "", **hdr) -> Reply:
        """One encrypted request; an interface the platform serves only under a documented alias is retried there."""
        if body is None:
            body = json.dumps(envelope if envelope is not None else self.seal(ident, plaintext)).encode()
        headers = self.headers(ident, **hdr)
        reply = self.post(self.path(interface), body, headers, interface=interface, plaintext=plaintext, note=note)
        if _not_found(reply) and interface not in self.paths:
            for alt, errata in _aliases(interface, self.path(interface)):
                again = self.post(alt, body, headers, interface=interface, plaintext=plaintext, note=note)
                if not _not_found(again):
                    self.paths[interface] = alt
                    self.path_notes[interface] = (errata, f"{interface} is served at {alt} only ({errata})")
                    reply = again
                    break
            else:
                self.paths[interface] = self.path(interface)
        elif interface not in self.paths and not _not_found(reply):
            self.paths[interface] = self.path(interface)
        self.open(ident, reply)
        return reply

    def open(self, ident: Identity, reply: Reply) -> None:
        open_answer(reply, ident.key)

    # ---- registration and tokens (§6.1, §6.2) -------------------------------------------------------------
    def identity(self, n: int) -> Identity:
        """A new enterprise (stateful fuzzing), with a unique id; keys come from a small pool, as keygen is slow."""
        self._ids += 1
        eid = f"{self.main.eid[:13]}{self.salt}X{self._ids:04d}"  # at most 22 characters (E-YN-19)
        return Identity(eid, f"{self.main.name}{n}分厂", self._pool()[n % 2])

    def other_key(self):
        """A key pair the platform has never seen."""
        return self._pool()[0]

    def _pool(self) -> list:
        while len(self._spare_keys) < 2:
            self._spare_keys.append(crypto.generate_rsa(2048))
        return self._spare_keys

    def register(self, ident: Identity, *, public_key: str | None = None, note: str = "") -> Reply:
        """init-auth in plaintext (§6.1) under the prefix, or at the root when only E-YN-03's reading is served."""
        plain = {"enterpriseId": ident.eid, "enterpriseName": ident.name,
                 "publicKey": public_key or crypto.public_b64(ident.key)}
        body = json.dumps(plain, ensure_ascii=False).encode("utf-8")
        url = self.register_url or self.base + "/init-auth"
        reply = self.post("/init-auth", body, {}, interface="init-auth", plaintext=plain, note=note, url=url)
        if self.register_url is None:
            if _not_found(reply):
                again = self.post("/init-auth", body, {}, interface="init-auth", plaintext=plain, note=note,
                                  url=self.root + "/init-auth")
                if not _not_found(again):
                    reply, url = again, self.root + "/init-auth"
                    self.path_notes["init-auth"] = ("E-YN-03", "init-auth is served at the root /init-auth only")
            self.register_url = url
        data = reply.body.get("data") if isinstance(reply.body, dict) else None
        if reply.accepted and isinstance(data, dict) and public_key is None:
            ident.api_key, ident.api_secret = str(data.get("apiKey", "")), str(data.get("apiSecret", ""))
            ident.platform_pub = str(data.get("publicKey", ""))
            self.vrun.add_secret(ident.api_secret)
        return reply

    def get_token(self, ident: Identity, *, reading: tuple[str, str] | None = None, note: str = "") -> Reply:
        plain = {"apiKey": ident.api_key, "apiSecret": ident.api_secret}
        env = self.seal(ident, plain, reading=reading)
        reply = self.post("/getToken", json.dumps(env).encode(), {"X-Client-Id": ident.api_key},
                          interface="getToken", plaintext=plain, note=note)
        self.open(ident, reply)
        if reply.accepted and isinstance(reply.data, dict) and reply.data.get("token"):
            ident.token, ident.token_at = str(reply.data["token"]), self.clock
            self.vrun.add_secret(ident.token)
            try:
                ident.ttl = float(reply.data.get("expireTime", EP["token_ttl"]))
            except (TypeError, ValueError):
                ident.ttl = float(EP["token_ttl"])
        return reply

    def ensure_token(self, ident: Identity) -> None:
        if not ident.token or self.clock - ident.token_at > ident.ttl - 600:
            self.get_token(ident)

    def send(self, ident: Identity, interface: str, plaintext: Any, note: str = "") -> Reply:
        """A valid request as a well-behaved client sends it: renew the token when refused, retry once."""
        self.ensure_token(ident)
        reply = self.call(ident, interface, plaintext, note=note)
        if reply.is_token_error():
            self.get_token(ident)
            reply = self.call(ident, interface, plaintext, note=note + " (retried with a new token)")
        return reply

    # ---- ledger integrity: what a record refers to exists on the platform first (§6.13, §6.14) --------------
    def prepare(self, ident: Identity, interface: str, plain: Any, *, renew: bool = True) -> Any:
        """Make a valid record's references real before it is sent: the vehicle of an access record is in the
        enterprise's §6.11 ledger ("与车辆台账车辆编号一致", §6.13), a §6.14 verification names a recordId the platform
        served through §6.6. `renew=False` never renews the token (the state machine judges token handling)."""
        if not isinstance(plain, dict):
            return plain
        if interface == "vehicleAccess" and isinstance(plain.get("vehicleId"), str):
            self.ledger_vehicle(ident, plain["vehicleId"], renew=renew)
        elif interface == "exceedVehicleConfirm":
            issued = self.issued_exceed(ident, renew=renew)
            if issued:
                plain = {**plain, **{k: issued[k] for k in ("recordId", "licensePlate", "plateColor", "vin")
                                     if issued.get(k) not in (None, "")}}
        return plain

    def ledger_vehicle(self, ident: Identity, vehicle_id: str, *, renew: bool = True) -> Reply | None:
        """Upload the vehicle's §6.11 ledger once per enterprise and vehicleId; None when already there."""
        if (ident.eid, vehicle_id) in self._ledger:
            return None
        rec = {**self.data.vehicle(1), "vehicleId": vehicle_id, "enterpriseId": ident.eid}
        note = f"the §6.11 ledger of vehicle {vehicle_id} first (§6.13: vehicleId as in the ledger)"
        reply = self.send(ident, "vehicleInfo", rec, note=note) if renew else self.call(ident, "vehicleInfo", rec,
                                                                                         note=note)
        if reply.accepted:
            self._ledger.add((ident.eid, vehicle_id))
        return reply

    def issued_exceed(self, ident: Identity, *, renew: bool = True) -> dict | None:
        """An exceedVehicle record the platform served (§6.6), seeded through the admin hook when there is one."""
        if not self._issued:
            if self.hook:
                start = self.window()
                self.seed_feed(ident, "exceed", self.feed_records("exceed", 1, start))
                query = {PULLS["exceedVehicle"]["timestamp_field"]: self.since(start)}
            else:
                query = {PULLS["exceedVehicle"]["timestamp_field"]: "2000-01-01"}
            if renew:
                pull = self.pull(ident, "exceedVehicle", query, max_pages=5)
                self._issued = [r for r in pull.records if isinstance(r, dict) and r.get("recordId")]
            else:
                reply = self.call(ident, "exceedVehicle", query, note="an exceed record to verify (§6.14)")
                data = reply.data if isinstance(reply.data, dict) else {}
                recs = data.get("records") if isinstance(data.get("records"), list) else []
                self._issued = [r for r in recs if isinstance(r, dict) and r.get("recordId")]
        return self._issued[0] if self._issued else None

    # ---- pulls and feeds (§6.6–§6.10) ------------------------------------------------------------------
    def pull(self, ident: Identity, interface: str, query: dict, reading: str = "repeat", max_pages: int = 50) -> Pull:
        """Pull while isNew is 1, repeating the query (E-YN-11 default) or advancing to the last record's time."""
        spec, out, query = PULLS[interface], Pull(), dict(query)
        for _ in range(max_pages):
            reply = self.send(ident, interface, dict(query), note=f"page {len(out.pages) + 1} ({reading})")
            out.pages.append(reply)
            data = reply.data if isinstance(reply.data, dict) else {}
            if not reply.accepted or reply.data_error:
                out.error = reply.data_error or reply.describe()
                return out
            page = data.get("records") if isinstance(data.get("records"), list) else []
            out.records.extend(page)
            out.flags.append(data.get("isNew"))
            out.sizes.append(len(page))
            if str(data.get("isNew")) != "1" or not page:
                return out
            if reading == "advance" and isinstance(page[-1], dict) and page[-1].get(spec["record_time"]):
                # toward the last record's time, in the examples' format (E-YN-17) and from the day before it, so
                # a platform serving strictly after the query time (E-YN-30) still serves that day's other records
                last = parse_time(page[-1][spec["record_time"]])
                query[spec["timestamp_field"]] = self.since(last) if last else page[-1][spec["record_time"]]
        out.error = f"still isNew=1 after {max_pages} pages"
        return out

    def window(self) -> datetime:
        """A start time later than every record seeded before, so a query from it sees only what follows."""
        self._windows += 1
        return datetime(2016, 1, 1) + timedelta(days=3 * self._windows)

    @staticmethod
    def since(start: datetime) -> str:
        """The query time for records seeded from `start`: the day before, in the examples' YYYY-MM-DD (E-YN-17).

        "返回该时间后新的数据" read as at-or-after or as strictly after (E-YN-30), both serve every record from
        `start` on; records of earlier windows (3 days apart, each within a day) stay before it.
        """
        return f"{start - timedelta(days=1):%Y-%m-%d}"

    def feed_records(self, feed: str, n: int, start: datetime) -> list[dict]:
        """n valid records of a feed, uniquely named, one minute apart from `start` (all within a day for n <= 1440)."""
        tag = f"V{self.salt}{self._windows:04d}"
        make = {"exceed": self.data.exceed_record, "strategy": self.data.strategy_record, "alarm": self.data.alarm_record}
        out = []
        for i in range(n):
            r, t = make[feed](i), start + timedelta(minutes=i)
            if feed == "exceed":
                r.update(recordId=f"EV{tag}{i:04d}", sendTime=t.strftime("%Y%m%d"))
                if "removeTime" in r:
                    r["removeTime"] = (t + timedelta(days=1)).strftime("%Y%m%d")
            elif feed == "strategy":
                r.update(strategyId=f"CL{tag}{i:04d}", startdate=f"{t:%Y-%m-%d %H:%M:%S}",
                         enddate=f"{t + timedelta(days=1):%Y-%m-%d %H:%M:%S}")
            else:
                r.update(alarmId=f"AL{tag}{i:04d}", alarmTime=f"{t:%Y-%m-%d %H:%M:%S}",
                         inTime=f"{t - timedelta(hours=2):%Y-%m-%d %H:%M:%S}",
                         outTime=f"{t - timedelta(hours=1):%Y-%m-%d %H:%M:%S}")
            out.append(r)
        return out

    def seed_feed(self, ident: Identity, feed: str, records: list[dict]) -> bool:
        owner = None if feed == "exceed" else ident.eid
        return self.admin("seed", {"feed": feed, "records": records, "owner": owner}) is not None

    # ---- start: register and get a token, agreeing on the signed range --------------------------------
    def start(self) -> list[CheckResult]:
        """Register the harness's enterprise and get a token; the results are the run's first checks."""
        reg = self.register(self.main)
        probs = C.registration(reg)
        if "init-auth" in self.path_notes:
            probs.append(C.warn(self.path_notes["init-auth"][1], self.path_notes["init-auth"][0]))
        results = [self.record("yunnan.server.register", probs, interface="init-auth", stage="interface",
                               evidence=[reg])]
        if not self.main.registered:
            return results
        tried, readings = [], self.readings()
        for reading in readings:
            tok = self.get_token(self.main, reading=reading, note=f"signed range {reading[0]}, bytes {reading[1]}")
            tried.append(tok)
            if tok.accepted and self.main.token:
                break
        probs = C.token_issued(tried[-1])
        if tried[-1].accepted and len(tried) > 1:  # E-YN-04/05: the platform verifies another documented reading
            chosen = readings[len(tried) - 1]
            errata = "E-YN-04" if chosen[0] != readings[0][0] else "E-YN-05"
            self.reading = chosen
            probs.append(C.warn(f"the platform refused the default signed bytes and accepted {tried[-1].note}; "
                                f"the rest of the run signs that way", errata))
        results.append(self.record("yunnan.server.token", probs, interface="getToken", stage="interface",
                                   evidence=tried))
        return results

    def readings(self) -> list[tuple[str, str]]:
        """The profile's signed-bytes reading first, then the other documented ones unless the profile is strict."""
        return envelope.readings(self.profile)

    @property
    def ready(self) -> bool:
        return self.main.registered and bool(self.main.token)


def open_answer(reply: Reply, key) -> None:
    """Decrypt an answer's data (§5.1 step 10) with the enterprise's private key into reply.data; a failure is kept
    in reply.data_error. Data sent without aesKey stays as sent (answer_envelope judges that)."""
    body = reply.body if isinstance(reply.body, dict) else {}
    data, aes_key = body.get("data"), body.get("aesKey")
    if data in (None, "") or not aes_key:
        reply.data = None if data == "" else data
        return
    opened = envelope.open_response(aes_key, data, key)
    if opened.failure:
        reply.data_error = opened.failure.message
    else:
        reply.data = opened.obj


def _not_found(reply: Reply) -> bool:
    return reply.status == 404 or reply.code == 404


def _aliases(interface: str, current: str) -> list[tuple[str, str]]:
    """The other paths a documented reading puts an interface at (E-YN-01, E-YN-02), from the endpoint map."""
    spec = EP["interfaces"][interface]
    alts = [(a["path"], a["errata"]) for a in spec.get("aliases", []) if not a.get("root")]
    if spec.get("shared_path"):
        alts.append((spec["shared_path"]["path"], spec["shared_path"]["errata"]))
    if alts:
        alts.append(("/" + interface, alts[0][1]))
    return [(p, e) for p, e in alts if p != current]

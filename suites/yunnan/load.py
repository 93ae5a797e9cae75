"""A Yunnan province under load (`vconform load yunnan`): thousands of enterprises on the spec's cadence.

Each simulated enterprise registers (§6.1) with its own RSA key pair, gets a token (§6.2) and renews it before its
expireTime, uploads its vehicle ledger (§6.11), then keeps the cadence below: heartbeats (§6.5), access records
(§6.13) and pulls (§6.6, §6.7, §6.9, confirming what a pull served, §6.8, §6.10). The engine (harness/load) runs
this on Locust across processes; this module knows no Locust. Answers are judged by the server role's checks
(suites/yunnan/server_checks.py): every answer for acceptance, every answer carrying data for its envelope, one in
K (and every refusal) for its shape and schema; with the admin hook, every exceedVehicle paging sequence must serve
the records seeded for the run once each. At the end, every upload the platform acknowledged must have been
counted by it (admin hook state), which a platform that loses uploads under concurrency fails.
"""
from __future__ import annotations

import json
import random
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from harness import crypto, specdata
from harness.checks import CheckResult, Problem, check, evaluate, fail, skipped
from harness.identifiers import USCC_ALPHABET, org_code_check_char, uscc_check_char
from harness.load.http import Answer
from harness.load.tally import Tally
from schemas.yunnan import envelope
from schemas.yunnan.datagen import YunnanData
from suites.yunnan import server_checks as C
from suites.yunnan.server_checks import Pull, Reply
from suites.yunnan.server_session import open_answer

EP = specdata.endpoints("yunnan")
PREFIX = EP["prefix"]
IFACES = EP["interfaces"]
STAGE = "pilot"  # province-scale operation of many enterprises at once (harness/stages.py)
SETUP_DOC = "docs/yunnan-server-role.md"

# One enterprise's cadence: action -> (period in the spec's seconds, where it comes from). `--time-scale F` divides
# every period by F. Only the heartbeat's period is the spec's; the others are stated assumptions of a busy site.
CADENCE: dict[str, tuple[float, str]] = {
    "heartBeat": (float(EP["heartbeat_advised"]), "yunnan §6.5: 建议 15 分钟一次"),
    "vehicleAccess": (120.0, "assumption: one vehicle through the gates every 2 minutes"),
    "exceedVehicle": (3600.0, "assumption: the platform-wide exceed list pulled hourly"),
    "basStrategy": (3600.0, "assumption: control strategies pulled hourly (§6.7: 不定期发布)"),
    "alarmVehicle": (3600.0, "assumption: violation alarms pulled hourly"),
}
RENEW_BEFORE = 600.0   # spec seconds before expireTime a token is renewed (a well-behaved client never lets it lapse)
LEDGER_VEHICLES = 2    # vehicles in each enterprise's §6.11 ledger; access records name only these (§6.13)
MAX_PAGES = 20         # pages one pull sequence follows while isNew is 1
EXCEED_SEEDED = 200    # exceedVehicle records seeded through the admin hook: two full pages (the edge of §6.6 isNew)
UPLOADS = tuple(n for n, s in IFACES.items() if s["kind"] == "upload")


@check("yunnan.server.load.counted", "yunnan §4.3; §6.3–§6.14", "critical", "并发上传不丢失",
       "Every upload acknowledged under concurrent load is counted by the platform")
def uploads_counted(before: dict[str, int], after: dict[str, int], acked: dict[str, int]) -> list[Problem]:
    """`before`/`after`: the platform's `uploads` counts (admin hook state, over all enterprises, never decreasing);
    `acked`: uploads answered with code 200 under load. Other clients may only add: fewer counted than acked is loss."""
    out = []
    for interface in sorted(acked):
        counted = int(after.get(interface, 0)) - int(before.get(interface, 0))
        if counted < acked[interface]:
            out.append(fail(f"{interface}: the platform acknowledged {acked[interface]} uploads with code 200 under "
                            f"load but counted {counted} (state uploads.{interface}: {before.get(interface, 0)} "
                            f"before, {after.get(interface, 0)} after): {acked[interface] - counted} lost"))
    return out


class LoadReply(Reply):
    def evidence_list(self) -> list[dict[str, Any]]:
        """The exchange as report evidence; built only when a tally keeps it."""
        return [self.evidence()]


def enterprise_id(salt: int, index: int, county: str) -> str:
    """A 22-character enterprise id (USCC + 3-digit site + P, HJ 608) unique per (run salt, index): the organisation
    code (GB 11714) carries both, with valid check characters, so a platform checking them accepts it."""
    if not 0 <= salt < 10_000 or not 0 <= index < 1_000_000:
        raise ValueError("salt has 4 digits and index at most 6")
    n, digits = salt * 1_000_000 + index, []
    for _ in range(7):
        n, r = divmod(n, len(USCC_ALPHABET))
        digits.append(USCC_ALPHABET[r])
    body = "L" + "".join(reversed(digits))
    code17 = f"91{county}{body}{org_code_check_char(body)}"
    return code17 + uscc_check_char(code17) + "001P"


def _now_cn() -> datetime:
    return datetime.now(timezone(timedelta(hours=8))).replace(tzinfo=None)  # the platform's local time (UTC+8)


class Worker:
    """One load process: the records every enterprise's are made from (built once), and its enterprises."""

    def __init__(self, options: dict[str, Any], tally: Tally):
        self.tally = tally
        self.scale = float(options.get("time_scale") or 1.0)
        self.salt, seed = int(options["salt"]), int(options.get("seed") or 0)
        self.profile = specdata.profile("yunnan", options.get("profile") or "default")
        self.reading = envelope.default_reading(self.profile)
        self.county = YunnanData(seed).enterprise_id[2:8]
        self.eid0 = enterprise_id(self.salt, 0, self.county)
        data = YunnanData(seed, self.eid0)
        self.vehicles = [data.vehicle(s) for s in range(1, LEDGER_VEHICLES + 1)]
        self.accesses = [data.access_record(v, 1, acc) for v in self.vehicles for acc in (0, 1)]
        self.queries = {n: data.sample(n, "request") for n, s in IFACES.items() if s["kind"] == "pull"}
        self.rng = random.Random(f"{seed}|{self.salt}|{options.get('worker_index', 0)}")
        self.exceed = options.get("exceed_seeded")  # what every exceedVehicle sequence must serve (None: no hook)

    def enterprise(self, index: int, key, post: Callable[..., Answer]) -> "Enterprise":
        return Enterprise(self, index, key, post)

    def own(self, record: dict[str, Any], eid: str) -> dict[str, Any]:
        """A template record as enterprise `eid`'s: every id that starts with the template's enterprise id."""
        e0 = self.eid0
        return {k: eid + v[len(e0):] if isinstance(v, str) and v.startswith(e0) else v for k, v in record.items()}


class Enterprise:
    """One simulated enterprise: `start()` once, then `step()` whenever `wait()` seconds have passed."""

    def __init__(self, worker: Worker, index: int, key, post: Callable[..., Answer]):
        self.w, self.index, self.key, self.post = worker, index, key, post
        self.eid = enterprise_id(worker.salt, index, worker.county)
        self.api_key = self.api_secret = self.token = ""
        self.platform_pub = None
        self.token_at, self.ttl = 0.0, float(EP["token_ttl"])
        self.due: dict[str, float] = {}
        self.sent = 0
        self.alive = False
        self.since = (_now_cn() - timedelta(days=1)).strftime("%Y-%m-%d")  # E-YN-17: the examples' format

    # ---- the life cycle -----------------------------------------------------------------------------
    def start(self) -> None:
        if not self.register() or not self.get_token():
            return  # judged (register / token); this enterprise sends nothing more
        self.alive = True
        for vehicle in self.w.vehicles:
            self.send("vehicleInfo", self.w.own(vehicle, self.eid))
        now = time.monotonic()
        for action, (period, _why) in CADENCE.items():  # spread the first of each over one period
            self.due[action] = now + self.w.rng.uniform(0, period / self.w.scale)

    def wait(self) -> float:
        if not self.alive:
            return 3600.0
        return max(0.0, min(self.due.values()) - time.monotonic())

    def step(self) -> None:
        if not self.alive:
            return
        action = min(self.due, key=self.due.get)
        now = time.monotonic()
        if self.due[action] > now:
            return
        # Each action keeps its own schedule: an enterprise that falls behind (a slow platform, a busy generator)
        # catches up in the spec's proportions, never in turns of one of each (which sent pulls as often as
        # access records: a different load than the province's).
        self.due[action] += CADENCE[action][0] / self.w.scale
        if (now - self.token_at) * self.w.scale > self.ttl - RENEW_BEFORE:
            self.get_token()
        if action == "heartBeat":
            self.send("heartBeat", {"enterpriseId": self.eid})
        elif action == "vehicleAccess":
            self.send("vehicleAccess", self.access_record())
        else:
            self.pull(action)

    def access_record(self) -> dict[str, Any]:
        self.sent += 1
        rec = self.w.own(self.w.accesses[self.sent % len(self.w.accesses)], self.eid)
        when = _now_cn()
        seq = self.sent % 100_000
        rec["accessTime"] = when.strftime("%Y-%m-%d %H:%M:%S")
        rec["recordId"] = f"{when:%Y%m%d%H%M%S}{self.sent % 10_000:04d}{self.eid}{rec['accessType']}{seq:05d}"
        return rec

    # ---- §6.1, §6.2 ---------------------------------------------------------------------------------
    def register(self) -> bool:
        plain = {"enterpriseId": self.eid, "enterpriseName": f"负载测试企业{self.index:05d}",
                 "publicKey": crypto.public_b64(self.key)}
        reply = self._post("init-auth", json.dumps(plain, ensure_ascii=False).encode(), {}, plain)
        ok = self.w.tally.judge("yunnan.server.register", "init-auth", C.registration(reply), reply.evidence_list)
        if ok:
            data = reply.body["data"]
            self.api_key, self.api_secret = data["apiKey"], data["apiSecret"]
            self.platform_pub = crypto.load_public(data["publicKey"])
        return ok

    def get_token(self) -> bool:
        plain = {"apiKey": self.api_key, "apiSecret": self.api_secret}
        reply = self.call("getToken", plain, {"X-Client-Id": self.api_key})
        self.decode(reply)
        ok = self.w.tally.judge("yunnan.server.token", "getToken", C.token_issued(reply), reply.evidence_list)
        if ok:
            self.token, self.token_at = str(reply.data["token"]), time.monotonic()
            self.ttl = float(reply.data["expireTime"])
            self.w.tally.count("tokens")
        return ok

    # ---- requests and judging ------------------------------------------------------------------------
    def _post(self, interface: str, body: bytes, headers: dict[str, str], plain: Any) -> LoadReply:
        hdrs = {"Content-Type": "application/json; charset=utf-8", **headers}
        ans = self.post("/" + interface, body, hdrs, interface, _refusal)
        return LoadReply(interface, "/" + interface, headers, plain, "", ans.status, ans.json(), ans.raw, ans.error,
                     duration_ms=ans.elapsed_ms)

    def call(self, interface: str, plain: Any, headers: dict[str, str] | None = None) -> LoadReply:
        raw = json.dumps(plain, ensure_ascii=False).encode("utf-8")
        sealed = envelope.seal_request(raw, self.platform_pub, self.key, reading=self.w.reading).body
        if headers is None:
            headers = {"X-Client-Id": self.api_key, "Authorization": f"Bearer {self.token}"}
        return self._post(interface, json.dumps(sealed).encode(), headers, plain)

    def decode(self, reply: Reply) -> None:
        open_answer(reply, self.key)

    def send(self, interface: str, plain: Any) -> LoadReply:
        """A valid request, judged; a token refusal renews the token and retries once, as a client would."""
        reply = self.call(interface, plain)
        if reply.is_token_error():
            age = (time.monotonic() - self.token_at) * self.w.scale
            if age < self.ttl:  # refused within its expireTime (on the scaled clock): §6.2 broken
                self.w.tally.judge("yunnan.server.token.lifetime", interface, C.token_lifetime(reply, age),
                                   reply.evidence_list)
            if self.get_token():
                reply = self.call(interface, plain)
        accepted = reply.accepted
        self.w.tally.judge("yunnan.server.accept", interface, [] if accepted else [
            fail(f"valid {interface} of enterprise {self.eid} refused under load: {reply.describe()}")],
            reply.evidence_list)
        kind = IFACES[interface]["kind"]
        if kind in ("pull", "token"):
            self.decode(reply)
            self.w.tally.judge("yunnan.server.answer.envelope", interface, C.answer_envelope(reply),
                               reply.evidence_list)
        if not accepted or self.w.tally.sample():
            self.w.tally.judge("yunnan.server.answer.shape", interface, C.answer_shape(reply), reply.evidence_list)
            if accepted and kind == "pull":
                self.w.tally.judge("yunnan.server.answer.schema", interface,
                                   C.answer_schema(interface, reply, self.w.profile), reply.evidence_list)
        if accepted and kind in ("upload", "heartbeat"):
            self.w.tally.count(f"acked.{interface}")
        return reply

    def pull(self, interface: str) -> None:
        """A paging sequence (E-YN-11's default reading: the same query while isNew is 1), then confirm what it
        served where the feed has a confirm (§6.8, §6.10), at most `max_ids` ids a call."""
        spec, seq = IFACES[interface], Pull()
        query = {**self.w.own(self.w.queries[interface], self.eid), spec["timestamp_field"]: self.since}
        for _ in range(MAX_PAGES):
            reply = self.send(interface, query)
            seq.pages.append(reply)
            data = reply.data if isinstance(reply.data, dict) else {}
            records = data.get("records") if isinstance(data.get("records"), list) else []
            seq.records += records
            seq.flags.append(data.get("isNew"))
            seq.sizes.append(len(records))
            if not reply.accepted or reply.data_error:
                seq.error = reply.data_error or reply.describe()
                break
            if str(data.get("isNew")) != "1" or not records:
                break
        else:
            seq.error = f"still isNew=1 after {MAX_PAGES} pages"
        if interface == "exceedVehicle" and self.w.exceed is not None:
            # every record seeded for this run, once, unaltered; others (earlier runs) only warn
            last = seq.pages[-1].evidence_list
            self.w.tally.judge("yunnan.server.pull.complete", interface,
                               C.pull_complete(seq, self.w.exceed, spec["record_id"], extras_ok=True), last)
            self.w.tally.judge("yunnan.server.pull.isnew", interface, C.pull_isnew(seq), last)
        served = [str(r[spec["record_id"]]) for r in seq.records if isinstance(r, dict) and r.get(spec["record_id"])]
        confirm = next((n for n, s in IFACES.items() if s["kind"] == "confirm" and s["feed"] == spec["feed"]), None)
        if confirm and served:
            cs, limit = IFACES[confirm], IFACES[confirm].get("max_ids") or 100
            for i in range(0, len(served), limit):
                body = {cs["ids_field"]: ",".join(served[i:i + limit])}
                if cs.get("owner_field"):
                    body[cs["owner_field"]] = self.eid
                self.send(confirm, body)


def _refusal(ans: Answer) -> str:
    """Locust's success/failure of one answer: "" when it is the §4.3 success (code 200), else why not."""
    if ans.status is None:
        return ans.error or "no answer"
    body = ans.json()
    code = body.get("code") if isinstance(body, dict) else None
    return "" if code == 200 and 200 <= ans.status < 300 else f"HTTP {ans.status}, code {code}"


# ---- the parent process: before and after the run ------------------------------------------------------------

def prepare(admin: Callable[..., dict | None], options: dict[str, Any]) -> dict[str, Any] | None:
    """Before the load: the platform's upload counts, and EXCEED_SEEDED exceedVehicle records seeded for this run
    (their list goes to the workers in `options`). None when the target offers no admin hook."""
    state = admin("state")
    if state is None:
        return None
    records = exceed_feed(int(options.get("seed") or 0), int(options["salt"]))
    admin("seed", {"feed": "exceed", "records": records, "owner": None})
    options["exceed_seeded"] = records
    return {"uploads": dict(state.get("uploads") or {})}


def exceed_feed(seed: int, salt: int) -> list[dict[str, Any]]:
    """Valid §6.6 records sent today, with ids unique to the run; the pulls ask from yesterday (E-YN-30 either way)."""
    data, today = YunnanData(seed), f"{_now_cn():%Y%m%d}"
    out = []
    for i in range(EXCEED_SEEDED):
        rec = {k: v for k, v in data.exceed_record(i).items() if k != "removeTime"}
        rec.update(recordId=f"EV{today}{salt:04d}{i:03d}", sendTime=today, isRemove="0")
        out.append(rec)
    return out


def conclude(admin: Callable[[str], dict | None], baseline: dict[str, Any] | None,
             merged: dict[str, Any]) -> list[CheckResult]:
    """End-of-run consistency: every upload acknowledged under load was counted by the platform."""
    acked = {k.split(".", 1)[1]: n for k, n in merged.get("counters", {}).items()
             if k.startswith("acked.") and k.split(".", 1)[1] in UPLOADS}
    if baseline is None:
        return [skipped("yunnan.server.load.counted", "counting the platform's uploads needs the admin hook "
                        f"(/__vconform/state), which the target does not offer; see {SETUP_DOC}", stage=STAGE)]
    after = (admin("state") or {}).get("uploads") or {}
    evidence = [{"kind": "note", "text": "upload counts: acknowledged under load, and the platform's state",
                 "acknowledged": acked, "state_before": baseline["uploads"], "state_after": after}]
    return [evaluate("yunnan.server.load.counted", uploads_counted(baseline["uploads"], after, acked),
                     stage=STAGE, evidence=evidence,
                     pass_message=f"{sum(acked.values())} acknowledged uploads, all counted by the platform")]


def describe() -> dict[str, Any]:
    """What the report states about the simulated traffic."""
    return {"cadence_s": {k: v[0] for k, v in CADENCE.items()}, "cadence_source": {k: v[1] for k, v in CADENCE.items()},
            "token_renewed_before_expiry_s": RENEW_BEFORE, "ledger_vehicles": LEDGER_VEHICLES}

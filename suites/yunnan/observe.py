"""The Yunnan stream judge of observe mode (harness/observe.py): the client-role checks that judge the wire alone,
applied to each exchange the mock journals, with no stimulus; plus the heartbeat cadence on real intervals.

It depends on the exchanges and on `meta` only (the platform key the mock decrypts with), so a journal re-derives
the same verdicts (`vconform report --journal`). What it learns from the stream: each enterprise's apiKey and public
key from its accepted /init-auth, the ids each pull served and each confirm confirmed, each enterprise's last
heartbeat time."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from harness import crypto, specdata
from harness.checks import Problem, check, fail
from harness.journal import Exchange
from harness.observe import RENEW
from schemas.yunnan.validate import validate
from suites.yunnan import checks as C

EP = specdata.endpoints("yunnan")
IFACES = EP["interfaces"]
WARNING_AFTER = float(EP["heartbeat_warning"])  # §6.5: 最长不超过 30 分钟 (the platform warns after 30 min)
ADVISED = float(EP["heartbeat_advised"])        # §6.5: 建议 15 分钟一次

# Checks whose verdict needs an action's expected effect (adapter exit, params given, output printed, a fault armed,
# a clock moved): observe mode reports them `skip`, never pass.
STIMULUS = {
    "adapter.completed": "",
    "yunnan.transport.reached": "",
    "yunnan.payload.params_intact": "",
    "yunnan.pull.complete": "",
    "yunnan.pull.paging": "",
    "yunnan.confirm.applied": "",
    "yunnan.token.renewal": "getToken",
    "yunnan.flow.fault_honest": "",
}


@check("yunnan.heartbeat.cadence", "yunnan §6.5", "major", "心跳间隔不超过 30 分钟",
       "Heartbeats at most 30 minutes apart (15 advised), on the real timers")
def heartbeat_cadence(gap_s: float, previous_seq: int, seq: int) -> list[Problem]:
    """§6.5: 建议 15 分钟一次，最长不超过 30 分钟; beyond 30 min the platform warns, beyond 1 h it deems the
    enterprise offline. `gap_s`: seconds (on the mock's clock) since the enterprise's previous heartbeat."""
    if gap_s > WARNING_AFTER:
        return [fail(f"heartbeat #{seq} came {gap_s / 60:.1f} min after #{previous_seq}; §6.5 allows at most "
                     f"{WARNING_AFTER / 60:g} min (advised {ADVISED / 60:g})")]
    return []


@dataclass
class _Enterprise:
    eid: str
    api_key: str
    public_key: Any
    last_heartbeat: tuple[float, int] | None = None  # (time, seq)
    ledger: set[str] = field(default_factory=set)     # vehicleIds of its accepted §6.11 uploads


@dataclass
class YunnanJudge:
    profile: dict
    platform_key: Any = None
    meta: dict = field(default_factory=dict)
    stimulus: dict = field(default_factory=lambda: dict(STIMULUS))
    unavailable: dict = field(default_factory=dict)  # check id -> (interface, why it cannot be judged here)

    def __post_init__(self) -> None:
        self.by_api_key: dict[str, _Enterprise] = {}
        self.registered: dict[str, int] = {}  # enterpriseId -> seq of its accepted init-auth
        self.refused_tokens: set[str] = set()
        self.served: dict[tuple[str, str], dict[str, int]] = {}  # (apiKey, feed) -> id -> seq of the answer
        self.confirmed: dict[tuple[str, str], set[str]] = {}    # (apiKey, confirm) -> ids in accepted calls
        self.confirms = {s["feed"]: n for n, s in IFACES.items() if s["kind"] == "confirm"}

    def see(self, e: Exchange) -> Iterable[tuple[str, str, list[Problem]]]:
        iface = e.interface
        yield "yunnan.http.post_json", iface, C.post_json([e])
        kind = IFACES.get(iface, {}).get("kind", "")
        if kind == "register":
            yield from self._register(e)
            return
        if not iface:
            yield "yunnan.answer.accepted", iface, C.accepted([e], iface)
            return
        got = C._header(e, "X-Client-Id")
        ent = self.by_api_key.get(got)
        yield "yunnan.headers.client_id", iface, (C.client_id([e], ent.api_key) if ent is not None else [
            fail(f"#{e.seq} {e.path}: X-Client-Id {got!r} is no apiKey the platform issued")])
        if kind != "token":
            yield "yunnan.headers.bearer", iface, C.bearer([e])
            yield "yunnan.token.valid", iface, self._token(e)
        if ent is not None and self.platform_key is not None:
            for aspect, probs in C.analyze_envelope(e, self.platform_key, ent.public_key, self.profile).items():
                yield C.ENVELOPE_CHECKS[aspect][0], iface, probs
        if isinstance(e.request_plaintext, dict):
            yield from self._payload(iface, e.request_plaintext)
        if ent is not None and e.outcome == "ok":
            if kind == "heartbeat":
                yield from self._heartbeat(e, ent)
            elif iface == "vehicleInfo" and isinstance(e.request_plaintext, dict):
                ent.ledger.add(str(e.request_plaintext.get("vehicleId")))
            elif iface == "vehicleAccess" and isinstance(e.request_plaintext, dict) and ent.ledger:
                # judged once the window saw a ledger: one uploaded before the window is no finding
                yield "yunnan.flow.ledger_link", iface, C.ledger_link([e.request_plaintext], ent.ledger)
            elif kind == "pull":
                feed = IFACES[iface]["feed"]
                seen = self.served.setdefault((ent.api_key, feed), {})
                for i in C.served_ids(e, IFACES[iface]["record_id"]):
                    seen.setdefault(i, e.seq)
        if kind == "confirm" and ent is not None:
            yield from self._confirm(e, ent)
        if e.outcome not in RENEW:  # an expired token's refusal is the token checks' to judge (renewal follows)
            yield "yunnan.answer.accepted", iface, C.accepted([e], iface)

    def finish(self) -> Iterable[tuple[str, str, list[Problem]]]:
        """Ids a pull served that the software never confirmed in an accepted call by the end of the window."""
        for (api_key, feed), ids in sorted(self.served.items()):
            confirm = self.confirms.get(feed)
            if confirm is None or not ids:
                continue
            done = self.confirmed.get((api_key, confirm), set())
            missing = [i for i in ids if i not in done]
            ent = next((x for x in self.by_api_key.values() if x.api_key == api_key), None)
            who = ent.eid if ent else api_key
            yield "yunnan.confirm.all_received", confirm, ([fail(
                f"{who}: {len(missing)} of {len(ids)} ids served by {feed} pulls never confirmed in an accepted "
                f"{confirm} call by the end of the window (first: {missing[:3]}, served in #{ids[missing[0]]})")]
                if missing else [])

    # ---- per kind ------------------------------------------------------------------------------------
    def _register(self, e: Exchange) -> Iterable[tuple[str, str, list[Problem]]]:
        iface, plain = e.interface, e.request_plaintext
        if isinstance(plain, dict):
            yield from self._payload(iface, plain)
            yield "yunnan.register.public_key", iface, C.register_public_key(plain)
            eid = str(plain.get("enterpriseId", ""))
            if eid in self.registered:
                yield "yunnan.register.once", iface, [fail(
                    f"#{e.seq}: init-auth for {eid} again after it succeeded (#{self.registered[eid]}); §6.1 allows "
                    f"one successful call only")]
            elif e.outcome == "ok":
                self.registered[eid] = e.seq
                data = e.response_plaintext if isinstance(e.response_plaintext, dict) else {}
                try:
                    pub = crypto.load_public(str(plain.get("publicKey", "")))
                except (ValueError, TypeError):
                    pub = None
                if data.get("apiKey") and pub is not None:
                    self.by_api_key[str(data["apiKey"])] = _Enterprise(eid, str(data["apiKey"]), pub)
                yield "yunnan.register.once", iface, []
        yield "yunnan.answer.accepted", iface, C.accepted([e], iface)

    def _payload(self, iface: str, sent: dict) -> Iterable[tuple[str, str, list[Problem]]]:
        """The run's payload checks (suites/yunnan/session.py judge_payload) without the params comparison."""
        violations = validate(iface, "request", sent, profile=self.profile)
        for kind in C.PAYLOAD_KINDS:
            probs = [Problem(v.message, v.level, v.errata) for v in violations if v.kind == kind]
            if kind == "unknown_field":
                probs = [Problem(p.message, "warn", p.errata) for p in probs]
            yield f"yunnan.payload.{kind}", iface, probs

    def _token(self, e: Exchange) -> list[Problem]:
        """C.token_valid over the stream: a refused token is tolerated once (E-YN-12), sending it again is not."""
        st = e.notes.get("token")
        if st in (None, "ok"):
            return []
        tok = C._header(e, "Authorization")[7:].strip()
        if st in ("expired", "revoked") and tok not in self.refused_tokens:
            self.refused_tokens.add(tok)
            return []
        return [fail(f"#{e.seq} {e.path}: token {st}" + (" (sent again after the platform refused it)"
                                                          if tok in self.refused_tokens else ""))]

    def _heartbeat(self, e: Exchange, ent: _Enterprise) -> Iterable[tuple[str, str, list[Problem]]]:
        if ent.last_heartbeat is not None and "yunnan.heartbeat.cadence" not in self.unavailable:
            t0, seq0 = ent.last_heartbeat
            yield "yunnan.heartbeat.cadence", e.interface, heartbeat_cadence(e.time - t0, seq0, e.seq)
        ent.last_heartbeat = (e.time, e.seq)
        st = e.notes.get("heartbeat_state")
        if st is not None:
            yield "yunnan.heartbeat.state", e.interface, C.heartbeat_state([(f"heartbeat #{e.seq}", st)])

    def _confirm(self, e: Exchange, ent: _Enterprise) -> Iterable[tuple[str, str, list[Problem]]]:
        iface, spec = e.interface, IFACES[e.interface]
        ids_field, feed = spec["ids_field"], spec["feed"]
        stated = spec.get("max_ids")
        limit = int(stated or max(int(i.get("max_ids", 0)) for i in IFACES.values() if i.get("kind") == "confirm"))
        yield "yunnan.confirm.batch_size", iface, C.confirm_batch_size([e], iface, ids_field, limit, bool(stated),
                                                                      bool(self.profile.get("strict")))
        ids = C.confirm_ids(e, ids_field)
        served = self.served.get((ent.api_key, feed), {})
        early = [i for i in ids if i not in served]
        if "yunnan.confirm.after_receipt" not in self.unavailable:
            yield "yunnan.confirm.after_receipt", iface, ([fail(
                f"#{e.seq}: {len(early)} ids confirmed that no earlier {feed} answer had served (first: {early[:3]})")]
                if early else [])
        if e.outcome == "ok":
            done = self.confirmed.setdefault((ent.api_key, iface), set())
            again = [i for i in ids if i in done]
            dup = sorted({i for i in ids if ids.count(i) > 1})
            done.update(ids)
            yield "yunnan.confirm.once", iface, ([fail(
                f"#{e.seq}: {len(set(again) | set(dup))} ids confirmed more than once in accepted {iface} calls "
                f"(first: {(again or dup)[0]})")] if again or dup else [])


# What a run's journal cannot show: there the harness triggered each heartbeat and chose the ids of each confirm
# action, so the software's own timers and confirm policy are judged on an observed stream only.
OBSERVED_ONLY = {
    "yunnan.heartbeat.cadence": ("heartBeat", "a run's heartbeats are the harness's stimuli, not the software's "
                                              "timers: judged in observe mode"),
    "yunnan.confirm.after_receipt": ("", "a run's confirm actions send ids the harness gives: judged in observe mode"),
}


def make_judge(profile: dict, meta: dict[str, Any]) -> YunnanJudge:
    """The judge of a stream. `meta["platform_key"]` (PKCS#8 Base64) lets it open envelopes, else the envelope checks
    are reported skip; `meta["observed"]` says the stream is a mock's in observe mode (not a run's journal)."""
    key = meta.get("platform_key")
    judge = YunnanJudge(profile, crypto.load_private(key) if key else None,
                        {"platform_key": key, "observed": bool(meta.get("observed"))} if key else
                        {"observed": bool(meta.get("observed"))})
    if key is None:
        for cid, *_ in C.ENVELOPE_CHECKS.values():
            judge.unavailable[cid] = ("", "the journal does not hold the platform key the envelopes were sealed to "
                                          "(a journal of observe mode does)")
    if not meta.get("observed"):
        judge.unavailable.update(OBSERVED_ONLY)
    return judge


def judge_for_mock(mock, profile: dict) -> YunnanJudge:
    """The judge of a running Yunnan mock in observe mode: the platform key it decrypts with."""
    return make_judge(profile, {"platform_key": crypto.private_b64(mock.state.platform_key), "observed": True})


# ---- the pilot feed: the reference client on its own timers (`vconform pilot-feed yunnan`) ------------------

def pilot_plan(seed: int, time_scale: float = 1.0, level: str = "") -> dict[str, Any]:
    """What a Yunnan enterprise does by itself: register once and upload its ledger, then heartbeats on §6.5's
    advised 15 minutes, access records and pulls on the cadence `vconform load` assumes (suites/yunnan/load.py).
    `time_scale`: pilot-feed divides the periods by it; nothing here depends on it."""
    from datetime import datetime, timedelta

    from schemas.yunnan.datagen import YunnanData
    from suites.yunnan.load import CADENCE

    d = YunnanData(int(seed))
    vehicle = d.vehicle(1)
    credentials = {"enterpriseId": d.enterprise_id, "enterpriseName": d.enterprise()["enterpriseName"]}

    def pull(name: str):
        spec = IFACES[name]

        def params(_i: int) -> dict:
            q = {spec["timestamp_field"]: (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%d")}
            if spec.get("owner_field"):
                q[spec["owner_field"]] = d.enterprise_id
            return q
        return params

    makers = {"heartBeat": lambda _i: d.heartbeat(),
              "vehicleAccess": lambda i: d.access_record(vehicle, i % 100_000, str(i % 2))}
    makers.update({n: pull(n) for n in CADENCE if IFACES.get(n, {}).get("kind") == "pull"})
    return {"prefix": EP["prefix"], "credentials": credentials,
            "setup": [("init-auth", credentials), ("vehicleInfo", vehicle)],
            "cadence": [(action, period, makers[action], why) for action, (period, why) in CADENCE.items()]}

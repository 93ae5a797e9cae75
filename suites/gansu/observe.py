"""The Gansu stream judge of observe mode (harness/observe.py): the station-client checks that judge the wire alone,
applied to each exchange the platform mock journals, with no stimulus. What it learns from the stream: the
CompanyId of every accepted getAccessToken (the station the platform registered). It depends on the exchanges only,
so `vconform report --journal` re-derives the same verdicts."""
from __future__ import annotations

from typing import Any, Iterable

from harness.checks import Problem
from harness.journal import Exchange
from harness.observe import RENEW, ExpiredAgain
from suites.gansu import checks as C

# Checks whose verdict needs an action's expected effect: reported `skip` in observe mode, never pass.
STIMULUS = {"adapter.completed": "", "gansu.transport.reached": ""}
NO_SERIAL = ("getAccessToken", "getVehicleInfoAndDetectSn", "shareDetectionStationInfo", "shareVehicleInfo")


class GansuJudge:
    def __init__(self, profile: dict):
        self.profile = profile
        self.meta: dict[str, Any] = {}
        self.stimulus = dict(STIMULUS)
        self.stations: set[str] = set()   # CompanyIds of accepted getAccessToken calls
        self.expired = ExpiredAgain()

    def see(self, e: Exchange) -> Iterable[tuple[str, str, list[Problem]]]:
        iface = e.interface
        body = e.request_plaintext if isinstance(e.request_plaintext, dict) else {}
        yield "gansu.http.post_json", iface, C.post_json([e])
        yield "gansu.envelope.shape", iface, C.envelope_shape([e])
        yield "gansu.envelope.value_string", iface, C.value_string([e])
        if iface == "getAccessToken" and e.outcome == "ok" and body.get("CompanyId") is not None:
            self.stations.add(str(body["CompanyId"]))
            self.expired.renewed()
        station = str(body.get("CompanyId", ""))
        if e.outcome in ("unknown_station", "owner") or (self.stations and "CompanyId" in body):
            # judged against the station the platform registered (the one that got a token); before any token the
            # mock's own refusal (unknown_station) is the finding
            known = station if station in self.stations else next(iter(sorted(self.stations)), station)
            yield "gansu.envelope.station", iface, C.station([e], known)
        if iface and iface != "getAccessToken":
            yield "gansu.token.valid", iface, self._token(e)
        if "violations" in e.notes:
            found: dict[str, list[Problem]] = {k: [] for k in C.PAYLOAD_KINDS}
            for v in e.notes["violations"]:
                kind = C.KIND_OF.get(v["kind"], v["kind"])
                if kind in found:
                    found[kind].append(Problem(v["message"], v["level"], v.get("errata")))
            strict = bool(self.profile.get("strict"))
            found["type"] += [Problem(p.message, "fail", p.errata) if strict else p for p in C.warnings_of([e])]
            for kind, probs in found.items():
                yield f"gansu.payload.{kind}", iface, probs
        if iface and iface not in NO_SERIAL:
            yield "gansu.serial.issued", iface, C.serial_issued([e])
        if e.outcome not in RENEW:  # an expired token's refusal is the token checks' to judge (renewal follows)
            yield "gansu.answer.accepted", iface, C.accepted([e], iface)

    def _token(self, e: Exchange) -> list[Problem]:
        """C.token_valid over the stream: one expired refusal is the client's cue to log in again; a second request
        with an expired token before a new getAccessToken is the finding C.token_valid makes within one action."""
        probs = C.token_valid([e])
        probs += self.expired.problems(e, "log in again after the platform refused it")
        return probs

    def finish(self) -> Iterable[tuple[str, str, list[Problem]]]:
        return ()


def make_judge(profile: dict, meta: dict[str, Any]) -> GansuJudge:
    return GansuJudge(profile)


def judge_for_mock(mock, profile: dict) -> GansuJudge:
    return GansuJudge(profile)

"""The Gansu stream judge of observe mode (harness/observe.py): the station-client checks that judge the wire alone,
applied to each exchange the platform mock journals, with no stimulus. What it learns from the stream: the
CompanyId of every accepted getAccessToken (the station the platform registered). It depends on the exchanges only,
so `vconform report --journal` re-derives the same verdicts."""
from __future__ import annotations

from typing import Any, Iterable

from harness import specdata
from harness.checks import Problem
from harness.journal import Exchange
from harness.observe import RENEW, ExpiredAgain
from schemas.gansu.datagen import StationData
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


MOCK_SEED = 0  # `vconform mock gansu` registers the station of StationData(0) (mocks/gansu/app.py)
INSPECTION = ("getVehicleInfoAndDetectSn", "shareDetectInfo", "sharePrintImage", "shareReportImage",
              "shareSignatureImage")


def pilot_plan(seed: int, time_scale: float = 1.0, level: str = "") -> dict[str, Any]:
    """What a Gansu inspection station does by itself (`vconform pilot-feed gansu`): log in and share its station
    record, then the business process of the flow stage (suites/gansu/station/test_station_2_flow.py) for one vehicle
    after another: a serial number (getVehicleInfoAndDetectSn), the inspection data, the three images; every tenth
    inspection failed. The station is the one the mock registers (its seed 0); `seed` picks the vehicles."""
    from types import SimpleNamespace

    from suites.gansu.session import GansuSession

    data = StationData(MOCK_SEED)
    station = SimpleNamespace(data=data)  # GansuSession.params builds each action's params from `data` alone
    base = 1000 * int(seed)

    def inspection(i: int) -> list[dict[str, Any]]:
        return [GansuSession.params(station, step, base + i, failed=i % 10 == 0) for step in INSPECTION]

    return {"prefix": str(specdata.endpoints("gansu").get("base_path", "")).rstrip("/"),
            "credentials": data.account(),
            "setup": [("getAccessToken", {}), ("shareDetectionStationInfo", {})],
            "cadence": [("inspection", 60.0, inspection, "one vehicle inspected a minute (a busy station's lane)"),
                        ("shareVehicleInfo", 300.0, lambda i: GansuSession.params(station, "shareVehicleInfo",
                                                                                  base + 500 + i),
                         "a vehicle record shared every five minutes")],
            "sequences": {"inspection": INSPECTION}}

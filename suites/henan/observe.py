"""The Henan stream judges of observe mode (harness/observe.py), one per level: the client-role checks that judge
the wire alone, applied to each exchange the city or provincial mock journals, with no stimulus. They depend on the
exchanges only (the city judge learns the organ of every accepted getAccessToken), so `vconform report --journal`
re-derives the same verdicts. Serves both levels: observe.judge_module finds it from suites/henan/city/ and
suites/henan/province/."""
from __future__ import annotations

from typing import Any, Iterable

from harness import specdata
from harness.checks import Problem
from harness.journal import Exchange
from harness.observe import RENEW, ExpiredAgain

LATER = "not judged in observe mode yet: it relates records across an action's exchanges"


class CityJudge:
    """Gate system -> city platform (henan §4.1)."""

    stimulus = {"adapter.completed": "", "henan.transport.reached": "", "henan.payload.params_intact": "",
                "henan.token.renewal": "getAccessToken", "henan.gate.decision": "getCheckVehicle"}

    def __init__(self, profile: dict):
        from schemas.henan.validate import validate
        from suites.henan import checks as C

        self.C, self.validate, self.profile = C, validate, profile
        self.meta: dict[str, Any] = {"level": "city"}
        self.unavailable = {"henan.flow.lsh_link": ("", LATER)}
        self.organs: set[str] = set()   # organ of every accepted getAccessToken
        self.expired = ExpiredAgain()

    def see(self, e: Exchange) -> Iterable[tuple[str, str, list[Problem]]]:
        C, iface = self.C, e.interface
        body = e.request_plaintext if isinstance(e.request_plaintext, dict) else None
        yield "henan.http.post_json", iface, C.post_json([e])
        yield "henan.envelope.shape", iface, C.envelope_shape([e])
        if iface == "getAccessToken" and e.outcome == "ok" and body and body.get("organ") is not None:
            self.organs.add(str(body["organ"]))
            self.expired = ExpiredAgain()
        if self.organs and body and "organ" in body:
            organ = str(body["organ"])
            yield "henan.envelope.organ", iface, C.envelope_organ([e], organ if organ in self.organs
                                                                   else sorted(self.organs)[0])
        if iface and iface != "getAccessToken":
            probs = C.token_valid([e]) + self.expired.problems(
                e, "after the 401 the client must get a new token (henan §4.1.1, E-HN-19)")
            yield "henan.token.valid", iface, probs
        if iface and body is not None:
            sent = e.notes.get("as_envelope", body)  # E-HN-03: a flat body read as the envelope
            violations = self.validate(iface, "request", sent, profile=self.profile)
            for kind in C.PAYLOAD_KINDS:
                yield f"henan.payload.{kind}", iface, [
                    Problem(v.message, "warn" if kind == "unknown_field" else v.level, v.errata)
                    for v in violations if v.kind == kind]
        if e.outcome not in RENEW:  # an expired token's refusal is the token checks' to judge (renewal follows)
            yield "henan.answer.accepted", iface, C.accepted([e], iface)

    def finish(self) -> Iterable[tuple[str, str, list[Problem]]]:
        return ()


class ProvinceJudge:
    """City platform -> provincial platform (henan §4.2)."""

    stimulus = {"adapter.completed": "", "henan.province.transport.reached": "",
                "henan.province.payload.params_intact": "", "henan.province.token.renewal": "",
                "henan.province.verify.relayed": ""}

    def __init__(self, profile: dict):
        from schemas.henan.province_validate import validate
        from suites.henan import province_checks as C

        self.C, self.validate, self.profile = C, validate, profile
        self.meta: dict[str, Any] = {"level": "province"}
        self.unavailable = {cid: ("", LATER) for cid in (
            "henan.province.flow.secrets_used", "henan.province.flow.ledger_link", "henan.province.flow.day_totals",
            "henan.province.flow.project_lifecycle", "henan.province.flow.fence")}
        self.refused: dict[str, Exchange] = {}  # method -> its last request, refused for its token

    def see(self, e: Exchange) -> Iterable[tuple[str, str, list[Problem]]]:
        C, method = self.C, e.interface
        yield "henan.province.http.post_json", method, C.post_json([e], self.profile)
        if method and method != "GetAuthorizationOrg":
            # C.token_valid judges a method's last request: a refusal the client recovers from (a new token, the
            # request sent again) is no failure. In the stream the recovery comes later, so a refusal is held until
            # the method's next request, and what is still held when the window ends fails (finish).
            if e.notes.get("token", "ok") != "ok":
                self.refused[method] = e
            else:
                self.refused.pop(method, None)
                yield "henan.province.token.valid", method, C.token_valid([e])
        if method and isinstance(e.request_plaintext, dict):
            violations = self.validate(method, "request", e.request_plaintext, profile=self.profile)
            for kind in C.PAYLOAD_KINDS:
                probs = [Problem(v.message, v.level, v.errata) for v in violations if C.KIND_CHECK[v.kind] == kind]
                if kind == "unknown_field":
                    probs = [Problem(p.message, "warn", p.errata) for p in probs]
                yield f"henan.province.payload.{kind}", method, probs
        if e.outcome not in RENEW:  # an expired token's refusal is the token checks' to judge (renewal follows)
            yield "henan.province.answer.accepted", method, C.accepted([e], method)

    def finish(self) -> Iterable[tuple[str, str, list[Problem]]]:
        for method, e in sorted(self.refused.items()):
            yield "henan.province.token.valid", method, [Problem(f"#{e.seq} " + p.message, p.level, p.errata)
                                                         for p in self.C.token_valid([e])]


def make_judge(profile: dict, meta: dict[str, Any]) -> CityJudge | ProvinceJudge:
    return ProvinceJudge(profile) if meta.get("level") == "province" else CityJudge(profile)  # level: the spec's


def judge_for_mock(mock, profile: dict) -> CityJudge | ProvinceJudge:
    from mocks.henan.province_app import HenanProvinceMock

    return ProvinceJudge(profile) if isinstance(mock, HenanProvinceMock) else CityJudge(profile)


MOCK_SEED = 0  # `vconform mock henan-city` registers the gate system of CityData(0) (mocks/henan/city_app.py)
PASSAGE = ("getCheckVehicle", "shareDrivingRecord", "sharePhotoInfo", "sharePhotoInfo", "shareGoodsRecord")


def pilot_plan(seed: int, time_scale: float = 1.0, level: str = "") -> dict[str, Any]:
    """What the client of either level does by itself (`vconform pilot-feed henan-city|henan-province`); `seed`
    picks the vehicles (the accounts are the mock's own)."""
    return _province_plan(seed) if level == "province" else _city_plan(seed)


def _city_plan(seed: int) -> dict[str, Any]:
    """A gate system (henan §2.7 as E-HN-12 reads it, the flow stage's passage): get a token, then for one vehicle
    after another ask getCheckVehicle, report the passage, its two photos and its goods record with the same lsh;
    a vehicle record (shareVehInfo) every ten minutes. The token is renewed when the platform refuses it."""
    from schemas.henan.datagen import CityData
    from suites.henan.session import FROM_CONFIG

    d = CityData(MOCK_SEED)
    base = 1000 * int(seed)

    def strip(made: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in made.items() if k not in FROM_CONFIG}

    def passage(i: int) -> list[dict[str, Any]]:
        vehicle = d.free_vehicle(base + i)
        record = d.passage(vehicle, base + i)
        return [vehicle, strip(record), strip(d.photo(record, "1")), strip(d.photo(record, "2")),
                strip(d.goods(record))]

    return {"prefix": str(specdata.endpoints("henan").get("base_path", "")).rstrip("/"),
            "credentials": {**d.account(), "qybh": d.qybh, "dzbh": d.dzbh},
            "setup": [("getAccessToken", {})],
            "cadence": [("passage", 60.0, passage, "one vehicle through the gate a minute"),
                        ("shareVehInfo", 600.0, lambda i: strip(d.veh_info(base + 500 + i)),
                         "a vehicle record every ten minutes")],
            "sequences": {"passage": PASSAGE}}


def _province_plan(seed: int) -> dict[str, Any]:
    """A city platform (henan §4.2): authorise, register its company and gates once (the province issues the codes
    the later calls carry), then a gate decision (VehVerifyEx) and the entry and exit records of a vehicle every
    minute (SendEnterExitDataEx)."""
    from mocks.henan.province_app import province_base
    from mocks.henan.province_state import load_fixtures
    from schemas.henan.province_datagen import ProvinceData

    d = ProvinceData(int(seed))
    code = d.company_code(1)
    plates = [d.plate(3, i) for i in range(1, 21)]

    def verify(i: int) -> dict[str, Any]:
        return {"companyCode": code, "gateCode": "01", "license": plates[i % len(plates)], "licenseColor": "1"}

    def passages(i: int) -> dict[str, Any]:
        plate = plates[i % len(plates)]
        return {"list": [d.pass_record(code, "01", "A", plate), d.pass_record(code, "02", "B", plate)]}

    return {"prefix": province_base({}).rstrip("/"),  # the default path (E-HN-40); the mock's account
            "credentials": dict(load_fixtures()["account"]),
            "setup": [("GetAuthorizationOrg", {}), ("AddCompany", d.company(1)),
                      ("AddGate", {"companyCode": code, "uscc": d.uscc(1), "list": d.gates()})],
            "cadence": [("VehVerifyEx", 60.0, verify, "a gate decision a minute"),
                        ("SendEnterExitDataEx", 60.0, passages, "a vehicle's entry and exit a minute")]}


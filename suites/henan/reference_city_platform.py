"""The reference city platform talking to the provincial platform (henan §3.2, §4.2), as a DESIGN.md adapter:
`python -m suites.henan.reference_city_platform ACTION CONTEXT_FILE`. The embedded default SUT of henan-province.

Each action is one provincial method, named as §4.2 names it; its params are the business event (a company to
connect, a vehicle to check, the day's records to report). What the province issues is kept in state_dir and
used where the spec needs it: the token (2 h, §4.2.1; renewed once when refused), the companySecretCode of
AddCompany, the gates' secrets of AddGate, the licensePK of the ledger methods, the project codes and fence ids.
Every pass record sent is logged, so the day's totals (§4.2.12/§4.2.13) are counted from what was reported.
"""
from __future__ import annotations

import json
import sys

from harness.adapter import load_state, save_state, serve_action
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

TOKEN_MARK = "授权码"


class Refused(Exception):
    """The platform answered result = fail, or could not be reached."""


class CityPlatform:
    def __init__(self, base_url: str, state_dir: str, credentials: dict[str, Any]):
        self.base = base_url.rstrip("/")
        self.path = Path(state_dir) / "city_platform.json"
        self.creds = credentials
        self.state: dict[str, Any] = load_state(self.path)
        for key in ("companies", "gates", "ledgers", "projects", "fences", "records"):
            self.state.setdefault(key, {} if key != "records" else [])

    def save(self) -> None:
        save_state(self.path, self.state)

    # ---- transport -------------------------------------------------------------------------------
    def post(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        req = urllib.request.Request(f"{self.base}/{method}", data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                     headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                answer = json.load(resp)
        except urllib.error.HTTPError as exc:
            raise Refused(f"HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise Refused(f"{method}: {exc}") from None
        if not isinstance(answer, dict):
            raise Refused(f"{method}: answer is not a JSON object")
        return answer

    def authorize(self) -> str:
        answer = self.post("GetAuthorizationOrg", {k: self.creds.get(k, "") for k in ("orgSecretCode", "username", "pwd")})
        if answer.get("result") != "success":
            raise Refused(f"GetAuthorizationOrg: {answer.get('err')}")
        data = answer["data"]
        try:
            expire = time.mktime(time.strptime(str(data.get("expire")), "%Y%m%d%H%M%S"))
        except ValueError:  # unreadable: use it for 10 minutes; a refusal renews it anyway
            expire = time.time() + 600
        self.state["token"] = {"value": data["accessToken"], "expire": expire}
        return data["accessToken"]

    def token(self) -> str:
        tok = self.state.get("token")
        if tok and time.time() < tok["expire"] - 60:
            return tok["value"]
        return self.authorize()

    def call(self, method: str, body: dict[str, Any]) -> Any:
        """POST with accessToken in the body; a refused token is renewed once and the request resent."""
        answer = self.post(method, {"accessToken": self.token()} | body)
        if answer.get("result") != "success" and TOKEN_MARK in str(answer.get("err")):
            answer = self.post(method, {"accessToken": self.authorize()} | body)
        if answer.get("result") != "success":
            raise Refused(f"{method}: {answer.get('err')}")
        return answer.get("data")

    # ---- what the province issued ------------------------------------------------------------------
    def company_secret(self, code: str) -> str:
        try:
            return self.state["companies"][code]
        except KeyError:
            raise Refused(f"company {code} has not been connected (AddCompany)") from None

    def gate_secret(self, company: str, gate: str) -> str:
        try:
            return self.state["gates"][f"{company}/{gate}"]
        except KeyError:
            raise Refused(f"gate {company}/{gate} has not been connected (AddGate)") from None

    def with_ledger(self, rec: dict[str, Any]) -> dict[str, Any]:
        pk = self.state["ledgers"].get(f"vehicle|{rec.get('license')}|{rec.get('licenseColor')}")
        return rec | ({"islicensePK": "1", "licensePK": pk} if pk else {"islicensePK": "0"})

    def totals(self, day: str, district: str = "") -> dict[str, str]:
        """The day's totals from the pass records this platform reported (§4.2.12 / §4.2.13)."""
        recs = [r for r in self.state["records"] if r["serialNum"][13:19] == day[2:8]
                and (not district or r["companyCode"].startswith(district))]
        enter = [r for r in recs if r["serialNum"][12] == "A"]
        exits = [r for r in recs if r["serialNum"][12] == "B"]

        def n(rows, **match):
            return str(sum(1 for r in rows if all(r.get(k) == v for k, v in match.items())))

        other = lambda rows: str(sum(1 for r in rows if not r["license"].startswith("豫")))  # noqa: E731
        controlled = [r for r in recs if r.get("isControl") == "1"]
        return {"companyTotal": str(len({r["companyCode"] for r in recs})),
                "gateTotal": str(len({(r["companyCode"], r["gateCode"]) for r in recs})),
                "vehTotal": str(len(recs)), "enterVehTotal": str(len(enter)), "exitVehTotal": str(len(exits)),
                "violationTotal": n(controlled, gateSignal="0"),
                "controlTotal": str(sum(1 for r in controlled if r.get("gateSignal") != "0")),
                "otherVehEnterTotal": other(enter), "otherVehExitTotal": other(exits), "otherAddVehTotal": "0",
                "standard3EnterTotal": n(enter, emissionStandard="3"), "standard3ExitTotal": n(exits, emissionStandard="3"),
                "standard4EnterTotal": n(enter, emissionStandard="4"), "standard4ExitTotal": n(exits, emissionStandard="4"),
                "violationHandleTotal": "0"}


def perform(p: CityPlatform, action: str, params: dict[str, Any]) -> Any:
    """Carry out one action; returns what to print (the platform's data for queries) or None."""
    s = p.state
    if action == "GetAuthorizationOrg":
        p.authorize()
    elif action in ("AddCompany", "ModifyCompany"):
        data = p.call(action, {"data": params})
        s["companies"][params["companyCode"]] = data["companySecretCode"]
    elif action == "AddGate":
        for gate in p.call(action, params):
            s["gates"][f"{params['companyCode']}/{gate['gateCode']}"] = gate["gateSecretCode"]
    elif action == "ModifyGate":
        data = p.call(action, params)
        s["gates"][f"{params['companyCode']}/{data['gateCode']}"] = data["gateSecretCode"]
    elif action in ("GetCompanyInfo", "GetGateInfo", "SeasonalControlReport", "CheckFeedbackReport"):
        return p.call(action, params)
    elif action == "VehVerifyEx":
        return p.call(action, {"companySecretCode": p.company_secret(params["companyCode"]),
                               "gateSecretCode": p.gate_secret(params["companyCode"], params["gateCode"]),
                               "license": params["license"], "licenseColor": params["licenseColor"]})
    elif action in ("GetNeedCompleteVehEx", "DrivingLicenseScanEx"):
        rest = {k: v for k, v in params.items() if k != "companyCode"}
        return p.call(action, {"companySecretCode": p.company_secret(params["companyCode"])} | rest)
    elif action in ("VehElecAccountAdd", "VehElecAccountModify", "InnerVehElecAccountAdd", "InnerVehElecAccountModify"):
        kind = "inner" if action.startswith("Inner") else "vehicle"
        key = f"{kind}|{params['license']}|{params['licenseColor']}"
        body = dict(params)
        if kind == "vehicle":
            body.pop("companyCode", None)
        if params.get("companyCode"):
            body["companySecretCode"] = p.company_secret(params["companyCode"])
        if action.endswith("Modify"):
            body["licensePK"] = s["ledgers"].get(key, "")
        data = p.call(action, body)
        s["ledgers"][key] = data["licensePK"]
        return data
    elif action == "VehElecAccountGain":
        pk = s["ledgers"].get(f"vehicle|{params['license']}|{params['licenseColor']}", "")
        return p.call(action, {"license": params["license"], "licenseColor": params["licenseColor"], "licensePK": pk})
    elif action in ("InnerMHYElecAccountAdd", "InnerMHYElecAccountModify"):
        key = f"mhy|{params['mhyFrameNo']}"
        body = dict(params) | {"companySecretCode": p.company_secret(params["companyCode"])}
        if action.endswith("Modify"):
            body |= {"licensePK": s["ledgers"].get(key, ""), "mhyPlate": s.get("plates", {}).get(key, "")}
        data = p.call(action, body)
        s["ledgers"][key] = data["licensePK"]
        s.setdefault("plates", {})[key] = data["mhyPlate"]
        return data
    elif action in ("SendEnterExitDataEx", "SendGoodsRecordData"):
        given = params["list"] if "passages" not in params else _passage_records(params["passages"])
        records = [p.with_ledger(r) for r in given]
        p.call(action, {"list": records})
        if action == "SendEnterExitDataEx":
            s["records"].extend(records)
    elif action == "SendDayDataCity":
        p.call(action, {"date": params["date"]} | p.totals(params["date"]))
    elif action == "SendDayDataDistrict":
        p.call(action, {"dictrictCode": params["dictrictCode"], "date": params["date"]}
               | p.totals(params["date"], params["dictrictCode"]))
    elif action == "RunControlProject":
        data = p.call(action, params)
        s["projects"][params["controlProject"]] = data["controlProjectCode"]
        return data
    elif action in ("ModifyControlProject", "CloseControlProject"):
        code = s["projects"].get(params["controlProject"], "")
        return p.call(action, {"controlProjectCode": code} | params)
    elif action == "GateStatusReport":
        return p.call(action, params | {"gateSecretCode": p.gate_secret(params["companyCode"], params["gateCode"])})
    elif action == "ElectronicFenceAdd":
        data = p.call(action, params)
        s["fences"][params["areaName"]] = data["areaId"]
        return data
    elif action == "ElectronicFenceModify":
        area = s["fences"].get(params["areaName"], "")
        return p.call(action, {"areaId": area, "areaCollection": params["areaCollection"], "remark": params.get("remark", "")})
    else:
        raise Refused(f"unknown action {action!r}")
    return None


def pass_record(passage: dict[str, Any], *, digits: int = 12) -> dict[str, str]:
    """The §4.2.11 record of a §4.1.4 passage the city accepted (henan §2.7). The pass time is tgsjq, the time the
    §6.4 serial carries (E-HN-15), written yyMMddHHmmss (字符 12, E-HN-44's default) or with `digits=14`
    yyyyMMddHHmmss; the other fields as the check that judges the relay reads them (province_checks.relay_fields)."""
    from datetime import datetime

    from suites.henan.province_checks import relay_fields

    when = datetime.strptime(passage["tgsjq"], "%Y-%m-%d %H:%M:%S")
    return relay_fields(passage) | {"date": when.strftime("%Y%m%d%H%M%S" if digits == 14 else "%y%m%d%H%M%S")}


def _passage_records(passages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The §4.2.11 records of passages the city's gates reported (§4.1.4)."""
    return [pass_record(p) for p in passages]


def run_adapter(platform_cls: type[CityPlatform], argv: list[str], perform_fn=perform) -> int:
    """Adapter main (exit 0 done, 1 refused, 2 bad usage): the engine's `serve_action`."""
    return serve_action(argv, lambda ctx: platform_cls(ctx["base_url"], ctx["state_dir"], ctx.get("credentials") or {}),
                        perform_fn, Refused)


def main() -> int:
    return run_adapter(CityPlatform, sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())

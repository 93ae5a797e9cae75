"""Deliberately broken city platforms (SUT of henan-province, client role), one rule broken each:
`python tests/specs/henan/province_broken_city_clients.py VARIANT ACTION CTX`.

Each variant is the reference city platform (suites/henan/reference_city_platform.py) with one override;
tests/specs/henan/catalog_province.toml names the check (and clause) each must fail, or the errata a documented
alternative reading must be warned with, and runs them (tests/specs/henan/test_henan_province_catalog.py).
"""
from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/: broken_scaffold

from broken_scaffold import pick, post_labelled  # noqa: E402

from suites.henan import reference_city_platform as ref  # noqa: E402
from suites.henan.reference_city_platform import CityPlatform, Refused, perform, run_adapter  # noqa: E402


def patched(method: str, change):
    """A CityPlatform whose `call` changes the body of one method before it is sent."""

    class Patched(CityPlatform):
        def call(self, m, body):
            return super().call(m, change(dict(body)) if m == method else body)

    return Patched


class FormBody(CityPlatform):
    """GetCompanyInfo posted as application/x-www-form-urlencoded (henan §2.2: JSON)."""

    def post(self, method, body):
        if method != "GetCompanyInfo":
            return super().post(method, body)
        data = "&".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in body.items()).encode()
        req = urllib.request.Request(f"{self.base}/{method}", data=data, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.load(resp)


class TextPlainJson(CityPlatform):
    """GetCompanyInfo's JSON body labelled Content-Type text/plain (§3.2/§4.2 state no header: E-HN-54, warned;
    failed under --profile strict)."""

    def post(self, method, body):
        if method != "GetCompanyInfo":
            return super().post(method, body)
        return post_labelled(f"{self.base}/{method}", body, "text/plain; charset=utf-8")


class NoToken(CityPlatform):
    """GateStatusReport sent without accessToken (henan §4.2.1), even after the refusal."""

    def post(self, method, body):
        return super().post(method, {k: v for k, v in body.items() if k != "accessToken"}
                            if method == "GateStatusReport" else body)


class TokenForever(CityPlatform):
    """Keeps the first token for ever: no expiry kept, no renewal when the province refuses it (§4.2.1)."""

    def token(self):
        return self.state["token"]["value"] if self.state.get("token") else self.authorize()

    def call(self, method, body):
        answer = self.post(method, {"accessToken": self.token()} | body)
        if answer.get("result") != "success":
            raise Refused(f"{method}: {answer.get('err')}")
        return answer.get("data")


class WrongMethodName(CityPlatform):
    """Posts GetGateInfo to /GetGateInfos: the method never reached (henan §3.2)."""

    def post(self, method, body):
        return super().post("GetGateInfos" if method == "GetGateInfo" else method, body)


class MachineryFyName(CityPlatform):
    """Uses §3.2's InnerFYElecAccountAdd/Modify names: a documented alternative reading (E-HN-45), warned."""

    def post(self, method, body):
        return super().post(method.replace("InnerMHY", "InnerFY"), body)


def secret_is_company_code(p, action, params):
    """VehVerifyEx with the companyCode where the province's companySecretCode belongs (§4.2.2, §4.2.5)."""
    if action == "VehVerifyEx":
        return p.call(action, {"companySecretCode": params["companyCode"],
                               "gateSecretCode": p.gate_secret(params["companyCode"], params["gateCode"]),
                               "license": params["license"], "licenseColor": params["licenseColor"]})
    return perform(p, action, params)


def reports_no_need(p, action, params):
    """Reports every vehicle as complete, whatever VehVerifyEx answered (§4.2.2 isNeedComplete)."""
    out = perform(p, action, params)
    if action == "VehVerifyEx" and isinstance(out, dict):
        out = out | {"isNeedComplete": "0"}
    return out


class NoLedgerLink(CityPlatform):
    """Never refers to the licensePK of filed vehicles: islicensePK = 0 on every record (§4.2.11, §4.2.15)."""

    def with_ledger(self, rec):
        return rec | {"islicensePK": "0"}


class ZeroTotals(CityPlatform):
    """Daily reports of zero traffic whatever was reported that day (§4.2.12, §4.2.13)."""

    def totals(self, day, district=""):
        return {k: "0" for k in super().totals(day, district)}


def relay_drops_exits(p, action, params):
    """Forwards only the entries among the passages its gates reported: exits never reach the province (henan
    §2.7, §4.2.11)."""
    if action == "SendEnterExitDataEx" and "passages" in params:
        params = {"passages": [x for x in params["passages"] if x.get("tgzt") != "2"]}
    return perform(p, action, params)


def relay_time_of_sending(p, action, params):
    """Reports relayed passages with the time it forwards them instead of the gate's pass time tgsjq (§4.1.4 ->
    §4.2.11 date): a well-formed record, altered."""
    if action == "SendEnterExitDataEx" and "passages" in params:
        import time

        from suites.henan.relay import pass_record

        now = time.strftime("%y%m%d%H%M%S")
        params = {"list": [pass_record(x) | {"date": now} for x in params["passages"]]}
    return perform(p, action, params)


def modify_runs_again(p, action, params):
    """An adjustment sent as a new RunControlProject: the project is never modified (§4.2.23)."""
    if action == "ModifyControlProject":
        params = {k: v for k, v in params.items() if k != "controlAdjustTime"} | {"controlRunTime": params["controlAdjustTime"]}
        return perform(p, "RunControlProject", params)
    return perform(p, action, params)


def fence_added_again(p, action, params):
    """A zone's change sent as a new ElectronicFenceAdd (§4.2.29 needs the areaId)."""
    if action == "ElectronicFenceModify":
        return perform(p, "ElectronicFenceAdd", params)
    return perform(p, action, params)


def modify_unknown_gate(p, action, params):
    """ModifyGate for a gate never connected (gateCode 09): valid fields, refused by the province."""
    if action == "ModifyGate":
        params = params | {"data": params["data"] | {"gateCode": "09"}}
    return perform(p, action, params)


def inout_date(body):
    """CheckFeedbackReport with the table's `inoutDate` for `date` (E-HN-41): warned."""
    body["inoutDate"] = body.pop("date")
    return body


def long_pass_time(body):
    """Pass times yyyyMMddHHmmss (14) where §4.2.11 prints 字符 12 (E-HN-44): warned."""
    body["list"] = [r | {"date": "20" + r["date"]} for r in body["list"]]
    return body


def bad_serials(body):
    """Serials built with gate 09 whatever the record's gate (附录 A §6.4)."""
    body["list"] = [r | {"serialNum": r["serialNum"][:10] + "09" + r["serialNum"][12:]} for r in body["list"]]
    return body


VARIANTS = {
    "reference": (CityPlatform, perform),
    "form-body": (FormBody, perform),
    "text-plain-json": (TextPlainJson, perform),
    "no-token": (NoToken, perform),
    "token-forever": (TokenForever, perform),
    "wrong-method-name": (WrongMethodName, perform),
    "no-license-color": (patched("VehVerifyEx", lambda b: {k: v for k, v in b.items() if k != "licenseColor"}), perform),
    "gate-total-number": (patched("AddCompany", lambda b: b | {"data": b["data"] | {"gateTotal": 2}}), perform),
    "area-name-too-long": (patched("ElectronicFenceAdd", lambda b: b | {"areaName": "禁" * 201}), perform),
    "measures-outside-b722": (patched("SeasonalControlReport", lambda b: b | {"controlMeasures": "4"}), perform),
    "run-time-compact": (patched("RunControlProject", lambda b: b | {"controlRunTime": "20261130000000"}), perform),
    "serial-wrong-gate": (patched("SendEnterExitDataEx", bad_serials), perform),
    "no-licence-images": (patched("VehElecAccountAdd", lambda b: {k: v for k, v in b.items()
                                                                  if not k.startswith("drivingLicenseImg")}), perform),
    "modify-unknown-gate": (CityPlatform, modify_unknown_gate),
    "secret-is-company-code": (CityPlatform, secret_is_company_code),
    "reports-no-need": (CityPlatform, reports_no_need),
    "no-ledger-link": (NoLedgerLink, perform),
    "zero-totals": (ZeroTotals, perform),
    "relay-drops-exits": (CityPlatform, relay_drops_exits),
    "relay-time-of-sending": (CityPlatform, relay_time_of_sending),
    "modify-runs-again": (CityPlatform, modify_runs_again),
    "fence-added-again": (CityPlatform, fence_added_again),
    "inout-date": (patched("CheckFeedbackReport", inout_date), perform),
    "long-pass-time": (patched("SendEnterExitDataEx", long_pass_time), perform),
    "machinery-fy-name": (MachineryFyName, perform),
}

class TruncatesNames(CityPlatform):
    """Cuts company names to 50 characters before sending them (§4.2.5/§4.2.9 allow 300)."""

    def call(self, method, body):
        if method in ("AddCompany", "ModifyCompany"):
            body = body | {"data": body["data"] | {"companyName": body["data"]["companyName"][:50]}}
        return super().call(method, body)


VARIANTS["truncates-names"] = (TruncatesNames, perform)

HALF_WIDTH = str.maketrans("（），－", "(),-")


def _half_width(body):
    return body | {k: body[k].translate(HALF_WIDTH) for k in ("onwer", "address") if isinstance(body.get(k), str)}


# Rewrites full-width brackets, commas and dashes of owners and addresses as ASCII before filing a ledger
# (§4.2.15 asks for the registration as written); the interface stage's ledgers have none, the fuzz stage's do.
VARIANTS["half-width-ledgers"] = (patched("VehElecAccountAdd", _half_width), perform)


if __name__ == "__main__":
    cls, fn = VARIANTS[pick(VARIANTS)]
    sys.exit(run_adapter(cls, sys.argv[2:], fn))

"""Deliberately broken provincial platforms: the provincial mock with one rule broken each
(`make(VARIANT).app`, served in the test process by tests/catalog.py). tests/specs/henan/catalog_province.toml
names the server-role check each must fail."""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # run as a script from anywhere

from harness.journal import Journal  # noqa: E402
from mocks.henan.province_app import HenanProvinceMock  # noqa: E402
from mocks.henan.province_state import ProvinceState, stamp  # noqa: E402


def _state(mock: HenanProvinceMock, **overrides) -> None:
    """Replace methods of the mock's state (the one rule each variant breaks)."""
    for name, fn in overrides.items():
        setattr(mock.state, name, fn.__get__(mock.state, ProvinceState))


class Broken(HenanProvinceMock):
    def __init__(self, **overrides):
        super().__init__(journal=Journal(None))
        _state(self, **overrides)


def any_password(self, req):
    """GetAuthorizationOrg answers a token whatever the password (§4.2.1)."""
    return ProvinceState.do_GetAuthorizationOrg(self, req | {"pwd": self.account["pwd"]})


def token_never_expires(self, token):
    """Tokens outlive their 2 hours (§4.2.1)."""
    status = ProvinceState.token_ok(self, token)
    return "ok" if status == "expired" else status


def any_token(self, token):
    """Every accessToken, even none, is taken (§4.2.1)."""
    return "ok"


def one_hour_tokens(self, req):
    """Tokens that expire after one hour, not two (§4.2.1)."""
    data, err = ProvinceState.do_GetAuthorizationOrg(self, req)
    if data:
        self.tokens[data["accessToken"]] -= 3600
        data["expire"] = stamp(self.tokens[data["accessToken"]])
    return data, err


def any_company_secret(self, secret):
    """VehVerifyEx takes any companySecretCode as the first connected company (§4.2.2)."""
    return ProvinceState._company_by_secret(self, secret) or next(iter(self.companies.values()), None)


def ledger_unchecked(self, rec):
    """Pass records may name any licensePK (§4.2.11, §4.2.15)."""
    return ProvinceState._record_owner(self, rec | {"islicensePK": "0", "licensePK": ""})


def reopens_projects(self, method, req):
    """A closed control project can be modified again (§4.2.23, §4.2.24)."""
    project = self.projects.get(req.get("controlProjectCode"))
    if project is not None and project["state"] == "closed":
        project["state"] = "running"
    return ProvinceState._project(self, method, req)


def all_need_complete(self, req):
    """GetNeedCompleteVehEx answers the whole list, more than 20 (§4.2.3)."""
    data, err = ProvinceState.do_GetNeedCompleteVehEx(self, req)
    return ([dict(n) for n in self.need_complete.values()] if data is not None else None), err


def refuses_companies(self, req):
    """AddCompany refuses every company."""
    return None, "系统维护中"


class NoValidation(HenanProvinceMock):
    """Takes requests without checking their fields against the §4.2 tables."""

    def __init__(self):
        super().__init__(journal=Journal(None))

    def _validate(self, ex, method, req):
        return None


class NoTokenNeeded(HenanProvinceMock):
    """A call without accessToken is served as if it carried a live one (§4.2.1)."""

    def __init__(self):
        super().__init__(journal=Journal(None))

    def respond(self, ex, route, incoming):
        try:
            body = json.loads(incoming.body)
        except ValueError:
            body = None
        if isinstance(body, dict) and "accessToken" not in body and self.state.tokens:
            body["accessToken"] = next(iter(self.state.tokens))
            incoming = replace(incoming, body=json.dumps(body).encode())
        return super().respond(ex, route, incoming)


class ExpireWithDashes(HenanProvinceMock):
    """Answers expire / serverTime as yyyy-MM-dd HH:mm:ss where §4.2.1 prints 字符 14 (yyyyMMddHHmmss)."""

    def __init__(self):
        super().__init__(journal=Journal(None))

    def respond(self, ex, route, incoming):
        body = super().respond(ex, route, incoming)
        data = body.get("data")
        if route[0] == "GetAuthorizationOrg" and isinstance(data, dict):
            for key in ("expire", "serverTime"):
                v = data[key]
                data[key] = f"{v[:4]}-{v[4:6]}-{v[6:8]} {v[8:10]}:{v[10:12]}:{v[12:]}"
        return body


VARIANTS = {
    "reference": lambda: HenanProvinceMock(journal=Journal(None)),
    "any-password": lambda: Broken(do_GetAuthorizationOrg=any_password),
    "token-never-expires": lambda: Broken(token_ok=token_never_expires),
    "any-token": lambda: Broken(token_ok=any_token),
    "one-hour-tokens": lambda: Broken(do_GetAuthorizationOrg=one_hour_tokens),
    "any-company-secret": lambda: Broken(_company_by_secret=any_company_secret),
    "ledger-unchecked": lambda: Broken(_record_owner=ledger_unchecked),
    "reopens-projects": lambda: Broken(_project=reopens_projects),
    "all-need-complete": lambda: Broken(do_GetNeedCompleteVehEx=all_need_complete),
    "refuses-companies": lambda: Broken(do_AddCompany=refuses_companies),
    "no-validation": NoValidation,
    "no-token-needed": NoTokenNeeded,
    "expire-with-dashes": ExpireWithDashes,
}


def make(variant: str) -> HenanProvinceMock:
    return VARIANTS[variant]()


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in VARIANTS:
        print(f"usage: province_broken_platforms.py VARIANT; variants: {', '.join(VARIANTS)}", file=sys.stderr)
        sys.exit(2)
    from harness.serve import serve_forever

    serve_forever(make(sys.argv[1]).app, "127.0.0.1", 0)

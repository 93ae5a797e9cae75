"""Deliberately broken Henan city platforms: the city mock with one rule broken each.
tests/specs/henan/test_henan_catalog.py serves each in process and asserts that
`vconform run henan --level city --role server --target URL` fails it with the named check."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # run as a script from anywhere
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/: broken_scaffold

from broken_scaffold import pick  # noqa: E402

from mocks.henan.city_app import HenanCityMock, Refusal  # noqa: E402
from mocks.henan.city_state import CityState  # noqa: E402


class AnyToken(HenanCityMock):
    """Takes any access_token, none included (§2.4: 必选; §4.1.1)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.state.token_status = lambda value, organ: "ok"


class EternalToken(HenanCityMock):
    """Tokens never expire (§4.1.1: 2 hours)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.state.token_ttl = float("inf")


class NoFormatCheck(HenanCityMock):
    """Stores whatever arrives: no 952 (§2.6) for fields outside their tables."""

    def _validate(self, ex, interface, body):
        if not isinstance(body.get("value", {}), dict):
            raise Refusal("952", "invalid", "value")


class IpctypeAnywhere(HenanCityMock):
    """Serves every ipctype on every path (§3.1 assigns each its path)."""

    def _routes(self):
        routes = super()._routes()
        every = [n for n in self.ifaces]
        return {p: (r[0], {**r[1], "interfaces": every}) for p, r in routes.items()}


class NeverControls(HenanCityMock):
    """Answers isControl 0 for every vehicle (§4.1.3)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        check = self.state.check_vehicle
        self.state.check_vehicle = lambda license, colour: {**check(license, colour), "isControl": "0"}


class LosesPhotos(HenanCityMock):
    """Answers 200 to photos and keeps none (§4.1.5)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        store = self.state.store
        self.state.store = lambda interface, value: "linked" if interface == "sharePhotoInfo" else store(interface, value)


class NumericCode(HenanCityMock):
    """Answers code as a JSON number (§2.5: 字符型)."""

    def encode(self, body):
        if isinstance(body, dict) and str(body.get("code", "")).isdigit():
            body = {**body, "code": int(body["code"])}
        return json.dumps(body, ensure_ascii=False).encode()


class AcceptsGarbage(HenanCityMock):
    """Answers code 200 to a body that is no JSON (§2.6: 400)."""

    def respond(self, ex, route, incoming):
        try:
            json.loads(incoming.body)
        except ValueError:
            return {"code": "200", "status": "ok"}
        return super().respond(ex, route, incoming)


class RefusesPhotos(HenanCityMock):
    """Refuses every photo with 500 (§4.1.5)."""

    def _dispatch(self, ex, info, body, flat):
        if body.get("ipctype") == "sharePhotoInfo":
            raise Refusal("500", "internal", "照片服务不可用")
        return super()._dispatch(ex, info, body, flat)


class RulesIgnored(HenanCityMock):
    """Checks the tables but not the rules beside them on the named fields (RULE_FIELDS): 200 where §2.6 says 952."""
    RULE_FIELDS: tuple[str, ...] = ()

    def _validate(self, ex, interface, body):
        from schemas.henan import validate as hv

        real = hv.validate

        def lenient(*a, **kw):
            return [v for v in real(*a, **kw)
                    if not (v.kind == "rule" and v.field.rsplit(".", 1)[-1] in self.RULE_FIELDS)]

        hv.validate = lenient
        try:
            super()._validate(ex, interface, body)
        finally:
            hv.validate = real


class AnyPhoto(RulesIgnored):
    """Takes a photo whatever its bytes: PNG, over 1M (§2.2: JPG, at most 1M)."""
    RULE_FIELDS = ("base64Image",)


class NoImageNeeded(RulesIgnored):
    """Takes a vehicle with neither licence nor list image (§4.1.2, §4.1.7: 不能同时为空)."""
    RULE_FIELDS = ("drivingLicenseImg", "drivingLicenseImg2")


VARIANTS = {
    "any-photo": AnyPhoto,
    "no-image-needed": NoImageNeeded,
    "any-token": AnyToken,
    "eternal-token": EternalToken,
    "no-format-check": NoFormatCheck,
    "ipctype-anywhere": IpctypeAnywhere,
    "never-controls": NeverControls,
    "loses-photos": LosesPhotos,
    "numeric-code": NumericCode,
    "accepts-garbage": AcceptsGarbage,
    "refuses-photos": RefusesPhotos,
    "reference": HenanCityMock,
}
assert CityState  # the state the variants patch


def make(variant: str, **kw) -> HenanCityMock:
    return VARIANTS[variant](**kw)


if __name__ == "__main__":
    from harness.serve import serve_forever

    serve_forever(make(pick(VARIANTS, "VARIANT", argc=2)).app)

"""Deliberately broken Gansu provincial platforms: the platform mock with one rule broken each.
tests/specs/gansu/test_gansu_catalog.py serves each in process and asserts that
`vconform run gansu --role server --target URL` fails it with the named check."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # run as a script from anywhere
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/: broken_scaffold

from broken_scaffold import pick  # noqa: E402

from mocks.gansu.app import GansuMock, Refusal, answer  # noqa: E402


class AnyToken(GansuMock):
    """Takes any token, none included."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.state.token_status = lambda value, company_id: "ok"


class ValueObjectAccepted(GansuMock):
    """Reads IPCType.value whether it is a string or an object (E-GS-01: a string is required)."""

    def _decode(self, ex, body):
        body, _ = super()._decode(ex, body)
        return body, False


class NoFormatCheck(GansuMock):
    """Stores whatever arrives: no field is judged against its table."""

    def _validate(self, ex, interface, body, not_string):
        if not isinstance(body.get("IPCType.value"), dict):
            raise Refusal("invalid", "IPCType.value")


class AnySerial(GansuMock):
    """Takes any detectSn, issued or not, for any vehicle."""

    def _serial(self, ex, company, item):
        sn = str(item.get("detectSn"))
        if sn not in self.state.inspections:
            self.state.issue(company, item)
            self.state.inspections[sn] = self.state.inspections.popitem()[1]


class NoConclusionCheck(GansuMock):
    """Takes a report whose conclusion contradicts its item verdicts."""

    def _validate(self, ex, interface, body, not_string):
        try:
            super()._validate(ex, interface, body, not_string)
        except Refusal as r:
            if r.reason != "conclusion_contradicts":
                raise


class RefusesImages(GansuMock):
    """Refuses every station photo upload."""

    def _dispatch(self, ex, names, incoming):
        out = super()._dispatch(ex, names, incoming)
        if ex.interface == "sharePrintImage":
            raise Refusal("images_off", "图片上传暂停")
        return out


class OneSerial(GansuMock):
    """Hands the same detectSn to every vehicle."""

    def __init__(self, **kw):
        super().__init__(**kw)
        issue = self.state.issue

        def same(company_id, vehicle):
            ins = issue(company_id, vehicle)
            first = min(self.state.inspections)
            self.state.inspections.pop(ins.detect_sn)
            ins.detect_sn = first
            self.state.inspections[first] = ins
            return ins

        self.state.issue = same


class TokenInData(GansuMock):
    """Puts access_token inside data instead of beside code/status (E-GS-04)."""

    def _dispatch(self, ex, names, incoming):
        out = super()._dispatch(ex, names, incoming)
        if "access_token" in out:
            out = answer(out["code"], out["status"], {"access_token": out.pop("access_token")})
        return out


class DataAsObject(GansuMock):
    """Answers data as a JSON object instead of a JSON string."""

    def _dispatch(self, ex, names, incoming):
        out = super()._dispatch(ex, names, incoming)
        if isinstance(out.get("data"), str):
            out["data"] = json.loads(out["data"])
        return out


VARIANTS = {
    "any-token": AnyToken,
    "value-object-accepted": ValueObjectAccepted,
    "no-format-check": NoFormatCheck,
    "any-serial": AnySerial,
    "no-conclusion-check": NoConclusionCheck,
    "refuses-images": RefusesImages,
    "one-serial": OneSerial,
    "token-in-data": TokenInData,
    "data-as-object": DataAsObject,
    "reference": GansuMock,
}


def make(variant: str, **kw) -> GansuMock:
    return VARIANTS[variant](**kw)


if __name__ == "__main__":
    from harness.serve import serve_forever

    serve_forever(make(pick(VARIANTS, "VARIANT", argc=2)).app)

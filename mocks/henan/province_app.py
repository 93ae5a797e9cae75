"""The Henan provincial platform mock (henan §3.2, §4.2): the engine's HTTP mock over the pure province state.

Every method is `POST <province_base_path>/<方法名>` with a JSON body (E-HN-40: the document prints no URL; the
profile switch `province_path = "root"` serves `/<方法名>` instead). The answer is always HTTP 200 with
`{"result": "success"|"fail", "err": ..., "data": ...}`. The engine journals every exchange before it answers.
"""
from __future__ import annotations

import json
from typing import Any

from harness import specdata
from harness.clock import Clock
from harness.faults import Fault
from harness.httpmock import HttpMock, Incoming
from harness.journal import Exchange, Journal
from mocks.henan.province_state import ProvinceState

SPEC = "henan"
LEVEL = "province"

ERR = {
    "too_large": "请求体过大", "fault_5xx": "服务暂不可用（注入故障）", "method": "请求方式须为 POST",
    "not_found": "方法不存在", "internal_error": "请求无法处理", "bad_request": "HTTP 请求格式错误",
    "timeout": "请求超时", "busy": "连接数已达上限，请稍后重试",
}


def province_methods() -> dict[str, dict[str, Any]]:
    """The provincial platform's methods (interface table, level province), in table order."""
    ifaces = specdata.endpoints(SPEC)["interfaces"]
    return {name: ifaces[name] for name in specdata.sections(SPEC, LEVEL) if ifaces[name].get("level") == LEVEL}


def province_base(profile: dict) -> str:
    """The path the methods hang under (E-HN-40): /ysgk/province by default, the server root under "root"."""
    return "" if profile.get("province_path") == "root" else specdata.endpoints(SPEC)["province_base_path"]


def answer(data: Any = None, err: str | None = None) -> dict[str, Any]:
    if err is not None:
        return {"result": "fail", "err": err, "data": None}
    return {"result": "success", "err": "", "data": data}


class HenanProvinceMock(HttpMock):
    """Routes, state, journal and faults of the provincial platform."""

    spec = SPEC
    max_body = 8 * 1024 * 1024  # a few Base64 licence images (JPG <= 1 MB each, henan §2.2)
    fault_kinds = HttpMock.fault_kinds + ("expire_token",)

    def __init__(self, *, journal: Journal | None = None, profile: str | dict | None = None,
                 clock: Clock | None = None):
        self.ep = specdata.endpoints(SPEC)
        self.profile = profile if isinstance(profile, dict) else specdata.profile(SPEC, profile)
        self.methods_ = province_methods()
        self.base = province_base(self.profile)
        super().__init__(journal=journal, clock=clock)
        self.state = ProvinceState(self.clock, int(self.ep["province_token_ttl"]),
                                   int(self.ep["province_need_complete_max"]),
                                   is_control_values=self.profile.get("is_control_values", "0-1-2"))

    def _routes(self) -> dict[str, tuple[str, str | None]]:
        """path -> (method, errata id when the path is an alternative reading: E-HN-45's §3.2 names)."""
        routes: dict[str, tuple[str, str | None]] = {}
        for name, spec in self.methods_.items():
            routes[f"{self.base}/{name}"] = (name, None)
            for alias in spec.get("aliases", []):
                routes[self.base + alias["path"]] = (name, alias["errata"])
        if self.profile.get("machinery_method") == "InnerFY":  # E-HN-45 switched: §3.2's names are the default
            for path, (name, errata) in list(routes.items()):
                if errata == "E-HN-45":
                    routes[path] = (name, None)
                    routes[f"{self.base}/{name}"] = (name, "E-HN-45")
        return routes

    def begin(self, ex: Exchange) -> None:
        ex.notes["warnings"] = []
        ex.notes["level"] = LEVEL

    def failure(self, reason: str, status: int | None, info: dict[str, Any]) -> dict:
        msg = ERR[reason]
        if reason == "not_found":
            msg = f"{msg}: {info['path']}"
        return answer(err=msg)

    def on_fault(self, fault: Fault, ex: Exchange) -> None:
        if fault.kind == "expire_token":
            self.state.expire_tokens()

    def admin_ops(self) -> dict:
        return {"expire_tokens": lambda args: self.state.expire_tokens()}

    def snapshot(self) -> dict:
        return self.state.snapshot()

    def _warn(self, ex: Exchange, errata: str, message: str) -> str | None:
        """A documented alternative reading: a warning, or the refusal under a strict profile."""
        if self.profile.get("strict"):
            return f"{message} ({errata}, strict profile)"
        ex.notes["warnings"].append({"errata": errata, "message": message})
        return None

    def respond(self, ex: Exchange, route: tuple[str, str | None], incoming: Incoming) -> dict:
        method, alias_errata = route
        if alias_errata:
            err = self._warn(ex, alias_errata, f"path {incoming.path} is the §3.2 name of {method}")
            if err:
                ex.outcome = "strict_" + alias_errata
                return answer(err=err)
        try:
            req = json.loads(incoming.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            ex.outcome = "malformed"
            return answer(err=f"请求体不是 UTF-8 JSON: {str(exc)[:200]}")
        if not isinstance(req, dict):
            ex.outcome = "malformed"
            return answer(err="请求体须为 JSON 对象")
        ex.request_plaintext = req
        if method != "GetAuthorizationOrg":
            status = self.state.token_ok(req.get("accessToken"))
            ex.notes["token"] = status
            if status != "ok":
                ex.outcome = "token_" + status
                return answer(err=f"授权码无效或已过期（{status}），请重新调用 GetAuthorizationOrg")
        err = self._validate(ex, method, req)
        if err:
            ex.outcome = "invalid"
            return answer(err=err)
        data, err = self.state.handler(method)(req)
        if err is not None:
            ex.outcome = "refused"
            return answer(err=err)
        if method == "GetAuthorizationOrg":
            ex.notes["token_issued"] = data["accessToken"]
        ex.response_plaintext = data
        return answer(data)

    def _validate(self, ex: Exchange, method: str, req: dict) -> str | None:
        from schemas.henan.province_validate import validate  # lazy: the tables load on first use

        fails = self.note_violations(ex, validate(method, "request", req, profile=self.profile))
        return "参数校验失败: " + "; ".join(v.message for v in fails[:5]) if fails else None

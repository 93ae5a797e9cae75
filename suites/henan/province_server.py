"""Server role of the provincial level (SUT = a provincial platform, henan §3.2, §4.2): the harness plays a city
platform against `--target` (default: the project's own provincial mock on loopback) and judges the answers.

The harness's city platform is the reference one (suites/henan/reference_city_platform.py) with its transport
replaced by the engine's Uploader, so every request is kept as evidence. A foreign provincial platform needs a
city account: HENAN_PROVINCE_ORG_SECRET, HENAN_PROVINCE_USERNAME and HENAN_PROVINCE_PWD (default: the mock's).
"""
from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from harness import specdata
from harness.checks import Problem, check, declare, fail
from harness.run import HarnessError, RunContext
from harness.uploader import HttpReply, Uploader
from mocks.henan.province_state import load_fixtures
from schemas.henan.province_datagen import ProvinceData
from schemas.henan.province_validate import validate
from suites.henan.reference_city_platform import CityPlatform, Refused
from suites.henan.shared_target import TargetClock

EP = specdata.endpoints("henan")
TTL = int(EP["province_token_ttl"])
MAX_NEED = int(EP["province_need_complete_max"])
ENV = {"orgSecretCode": "HENAN_PROVINCE_ORG_SECRET", "username": "HENAN_PROVINCE_USERNAME", "pwd": "HENAN_PROVINCE_PWD"}


def _embedded(journal, profile):
    from mocks.henan.province_app import HenanProvinceMock

    return HenanProvinceMock(journal=journal, profile=profile)


# ---- checks --------------------------------------------------------------------------------------------------
declare("henan.province.server.accept", "henan §4.2", "critical", "合规请求返回 success",
        "A valid request is answered result = success")
declare("henan.province.server.token.lifetime", "henan §4.2.1", "major", "授权码有效期 2 小时",
        "The access token expires 2 hours after it is issued")
REJECTS = {
    "bad_password": ("henan §4.2.1", "错误密码被拒绝", "A wrong password gets no token"),
    "token_missing": ("henan §4.2.1", "缺少授权码被拒绝", "A call without accessToken is refused"),
    "token_forged": ("henan §4.2.1", "伪造授权码被拒绝", "A call with a token the platform never issued is refused"),
    "token_expired": ("henan §4.2.1", "过期授权码被拒绝", "A token older than 2 hours is refused"),
    "missing_required": ("henan §4.2.26", "缺少必填字段被拒绝", "A request without a required field is refused"),
    "code_outside": ("henan §4.2.5; 附录 B7.16", "码表外代码被拒绝", "A code outside its Appendix B table is refused"),
    "secret_wrong": ("henan §4.2.2", "无效企业授权号被拒绝", "VehVerifyEx with a companySecretCode never issued is refused"),
    "ledger_unknown": ("henan §4.2.11; §4.2.15", "未知备案编码被拒绝", "A pass record naming a licensePK never issued is refused"),
    "project_closed": ("henan §4.2.23; §4.2.24", "已关闭方案不能调整", "A closed control project cannot be modified"),
    "fence_two_points": ("henan §4.2.28", "少于三点的禁行区被拒绝", "A forbidden zone of fewer than three points is refused"),
}
declare("henan.province.server.stateful.projects", "henan §4.2.22; §4.2.23; §4.2.24", "major",
        "管控方案生命周期在任意操作顺序下成立", "Control projects follow run -> modify -> close under any order of calls")
for _name, (_ref, _zh, _en) in REJECTS.items():
    declare(f"henan.province.server.reject.{_name}", _ref, "major", _zh, _en)


@check("henan.province.server.answer.schema", "henan §4.2", "major", "应答结构与返回参数表一致",
       "Answers are {result, err, data} with data as the 返回参数说明 table states")
def answer_schema(method: str, reply: HttpReply, profile: dict) -> list[Problem]:
    if not isinstance(reply.body, dict):
        return [fail(f"{method}: the answer is not a JSON object: {reply.describe()}")]
    return [Problem(v.message, v.level, v.errata) for v in validate(method, "response", reply.body, profile=profile)
            if v.kind != "unknown_field"]


@check("henan.province.server.need_complete.max20", "henan §4.2.3", "major", "待完善车辆每次最多返回 20 条",
       "GetNeedCompleteVehEx answers at most 20 vehicles")
def need_complete_max(reply: HttpReply) -> list[Problem]:
    data = reply.body.get("data") if isinstance(reply.body, dict) else None
    if isinstance(data, list) and len(data) > MAX_NEED:
        return [fail(f"{len(data)} vehicles in one answer, spec allows at most {MAX_NEED} (每次最多返回 20 条)")]
    return []


def refused(reply: HttpReply, what: str) -> list[Problem]:
    """A refusal is result = fail with a reason (HTTP 200, or an HTTP error status with the same body)."""
    body = reply.body if isinstance(reply.body, dict) else {}
    if reply.error:
        return [fail(f"{what}: no usable answer ({reply.error})")]
    if body.get("result") == "success":
        return [fail(f"{what}: answered result = success, spec requires a refusal (result = fail with err)")]
    if body.get("result") != "fail" or not body.get("err"):
        return [fail(f"{what}: answered {str(body)[:200]!r}, spec requires result = fail and the reason in err")]
    return []


# ---- the session ----------------------------------------------------------------------------------------------
class HarnessCity(CityPlatform):
    """The reference city platform over the Uploader: every request kept as evidence."""

    def __init__(self, session: "ProvinceServerSession", state_dir: str):
        super().__init__(session.base, state_dir, session.account)
        self.session = session

    def post(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        reply = self.session.post("/" + method, raw, {"Content-Type": "application/json; charset=utf-8"},
                                  interface=method, plaintext=body)
        if not isinstance(reply.body, dict):
            raise Refused(f"{method}: {reply.describe()}")
        if method == "GetAuthorizationOrg" and isinstance(reply.body.get("data"), dict):
            self.session.target_clock.seen(reply.body["data"].get("serverTime"), "%Y%m%d%H%M%S")
        return reply.body


class ProvinceServerSession(Uploader):
    setup_doc = "suites/henan/province_server.py (module docstring)"

    def __init__(self, vrun: RunContext):
        from mocks.henan.province_app import province_base

        super().__init__(vrun, prefix=province_base(vrun.profile), embedded=_embedded)  # E-HN-40
        fixture = load_fixtures()["account"]
        self.account = {k: os.environ.get(env) or fixture[k] for k, env in ENV.items()}
        self.vrun.add_secret(self.account["pwd"])
        self.target_clock = TargetClock(self, "companies, gates, vehicle ledgers (licensePK), pass records, control "
                                              "projects and fences are filed under codes drawn from the seed")
        self._tmp = tempfile.TemporaryDirectory(prefix="vconform-henan-province-server-")
        self.city = HarnessCity(self, self._tmp.name)
        self.data = ProvinceData(self.seed)
        self.scan_image = load_fixtures()["scan"][0]["image"]
        if self.foreign:
            self._served_here()
        self._fresh_for_this_seed()

    def _fresh_for_this_seed(self) -> None:
        """The run files company 1 of its seed (AddCompany, §4.2.5); a target already holding it was used by a run
        with the same --seed (now, or before without a restart): its refusals would be charged to the platform."""
        held = (self.state() or {}).get("companies") if self.hook else None
        code = self.data.company_code(1)
        if isinstance(held, dict) and code in held:
            raise HarnessError(
                f"the target {self.base} already holds company {code}, which this run (seed {self.seed}) is about to "
                f"connect with AddCompany: a run with the same --seed used this target (now, or earlier without a "
                f"restart). Companies, gates, licensePK ledgers and pass records are filed under codes drawn from "
                f"the seed; use another --seed or a fresh target")

    def _served_here(self) -> None:
        """A foreign target answering HTTP 404 to both the login method (§4.2.1) and AddCompany serves no §4.2 method
        under --target: a wrong URL (path prefix), the harness's error before any check, not a finding against the
        platform. The spec prints no URL for these methods (E-HN-40), so the message names the path expected and
        the switch for the other reading."""
        login = self.raw("GetAuthorizationOrg", {"orgSecretCode": "", "username": "", "pwd": ""},
                         "probe: is a §4.2 method served at --target?")
        if login.status != 404:
            return
        probe = self.raw("AddCompany", {"accessToken": "", "data": {}}, "probe: is a §4.2 method served at --target?")
        if probe.status != 404:
            return
        switch = self.profile.get("province_path", "ysgk-province")
        other = ("--profile province-root-path (province_path = root) if the platform serves them at its root"
                 if switch != "root" else "the default profile (province_path = ysgk-province) if the platform "
                 "serves them under /ysgk/province")
        raise HarnessError(
            f"nothing at --target {self.base}: HTTP 404 on {self.base}/GetAuthorizationOrg and /AddCompany; check "
            f"the URL. The methods are expected at {self.base}/<方法名>, e.g. http://HOST:PORT{self.prefix}"
            f"/GetAuthorizationOrg: henan §3.2/§4.2 print no URL, errata E-HN-40 (switch province_path = {switch}); "
            f"use {other}")

    def record_outcome(self, *args, **kwargs):
        """An exploration disturbed by another run on the target is the harness's error, not a falsifying example."""
        if self.target_clock.collision:
            raise HarnessError(self.target_clock.collision)
        return super().record_outcome(*args, **kwargs)

    def close(self) -> None:
        self._tmp.cleanup()
        super().close()

    def last(self, method: str) -> HttpReply | None:
        mine = [r for r in self.replies if r.interface == method]
        return mine[-1] if mine else None

    def raw(self, method: str, body: dict[str, Any], note: str = "") -> HttpReply:
        """One request exactly as given (negative cases)."""
        return self.post("/" + method, json.dumps(body, ensure_ascii=False).encode("utf-8"),
                         {"Content-Type": "application/json; charset=utf-8"}, interface=method, plaintext=body,
                         note=note)

    def learn(self, reply: HttpReply) -> None:
        body = reply.body if isinstance(reply.body, dict) else {}
        data = body.get("data")
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict):
                for key in ("accessToken", "companySecretCode", "gateSecretCode", "pwd"):
                    self.vrun.add_secret(item.get(key))

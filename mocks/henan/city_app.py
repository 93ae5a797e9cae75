"""The Henan city platform mock (henan §2, §4.1): the engine's HTTP mock over the pure city state.

Three paths under /ysgk/restapi/transportControl/ (get_data, put_data, put_file) carry eight interfaces; the §2.4
envelope's ipctype says which. Answers are §2.5 {code, status} with the §2.6 codes: 200 accepted, 401 token
missing / unknown / expired (2 h, §4.1.1) or wrong login, 952 format check failed (the tables, the rules beside
them, Appendix A), 403 a record of another enterprise, 404 an ipctype the path does not carry, 400 a body that is
no JSON object. Documented alternative readings (E-HN-01 path, E-HN-02 multipart photos, E-HN-03 flat bodies,
E-HN-53 value as a JSON string) are accepted with a warning in the journal, or refused under a strict profile.
"""
from __future__ import annotations

import base64
import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy

from harness import specdata
from harness.clock import Clock
from harness.faults import Fault
from harness.httpmock import HttpMock, Incoming, load_json
from harness.journal import Exchange, Journal
from mocks.henan.city_state import CityState
from schemas.henan import validate as henan_validate  # called as henan_validate.validate: a test may swap it

_CI = (CIMultiDict, CIMultiDictProxy)  # case-insensitive headers (both HTTP paths): .get gives the first match
SPEC = "henan"
LEVEL = "city"

STATUS = {
    "200": "服务器已成功处理了请求",
    "400": "服务器不理解请求的语法",
    "401": "未授权或身份授权失效",
    "403": "服务器拒绝请求",
    "404": "服务器找不到请求的网页",
    "500": "服务器遭遇异常阻止了当前请求的执行",
    "952": "格式校验失败",
}
PIPELINE = {"too_large": "400", "fault_5xx": "500", "method": "400", "not_found": "404", "internal_error": "500",
            "bad_request": "400", "timeout": "400", "busy": "500"}


class Refusal(Exception):
    def __init__(self, code: str, reason: str, detail: str = ""):
        super().__init__(detail or reason)
        self.code, self.reason, self.detail = code, reason, detail


def answer(code: str, detail: str = "", **extra: Any) -> dict[str, Any]:
    return {"code": code, "status": STATUS[code] + (f"：{detail}" if detail else ""), **extra}


class HenanCityMock(HttpMock):
    spec = SPEC
    max_body = 4 * 1024 * 1024  # a 1 MB photo in Base64 plus the envelope fits; more is refused
    fault_kinds = HttpMock.fault_kinds + ("expire_token",)

    def __init__(self, *, journal: Journal | None = None, profile: str | dict | None = None,
                 clock: Clock | None = None, seed: int = 0):
        self.ep = specdata.endpoints(SPEC)
        self.profile = profile if isinstance(profile, dict) else specdata.profile(SPEC, profile)
        self.ifaces = {n: i for n, i in self.ep["interfaces"].items() if i.get("level", LEVEL) == LEVEL}
        super().__init__(journal=journal, clock=clock)
        self.state = CityState(self.clock, float(self.ep["token_ttl"]))
        from schemas.henan.datagen import CityData

        self.data = CityData(seed)
        acc = self.data.account()
        self.state.add_account(acc["organ"], acc["username"], acc["password"], acc["qymc"], acc["companySecretCode"])
        for v in self.data.controlled_vehicles():
            self.state.set_control(v["license"], v["licenseColor"], is_control="1", fuel_type=v["fuelType"],
                                   emission_standard=v["emissionStandard"], reason=v["controlReason"])

    # ---- routes: path -> (the path's first interface, {interfaces on it, errata of an alternative path}) ----------
    def _routes(self) -> dict[str, tuple[str, dict]]:
        base = self.ep["base_path"]
        routes: dict[str, tuple[str, dict]] = {}
        for name, iface in self.ifaces.items():
            for path, errata in [(iface["path"], None)] + [(a["path"], a["errata"]) for a in iface.get("aliases", [])]:
                _, info = routes.setdefault(base + path, (name, {"interfaces": [], "errata": errata}))
                info["interfaces"].append(name)
        return routes

    # ---- the engine's hooks -------------------------------------------------------------------------------
    def begin(self, ex: Exchange) -> None:
        ex.notes["warnings"] = []

    def failure(self, reason: str, status: int | None, info: dict[str, Any]) -> dict:
        return answer(PIPELINE.get(reason, "500"), reason)

    def http_status(self, body: dict) -> int:
        """E-HN-13: HTTP 200 with the code in the body, unless the profile mirrors body codes."""
        if self.profile.get("http_status") != "mirror":
            return 200
        code = int(body.get("code", 200)) if str(body.get("code", "")).isdigit() else 200
        return code if 400 <= code <= 599 else 200

    def on_fault(self, fault: Fault, ex: Exchange) -> None:
        if fault.kind == "expire_token":
            self.state.expire_tokens()

    def admin_ops(self) -> dict:
        def control(args):
            self.state.set_control(args["license"], args["licenseColor"], is_control=str(args.get("isControl", "1")),
                                   reason=args.get("controlReason", ""))

        def account(args):
            self.state.add_account(args["organ"], args["username"], args["password"], args.get("qymc", ""),
                                   args.get("companySecretCode", ""))

        return {"control": control, "account": account}

    def snapshot(self) -> dict:
        return self.state.snapshot()

    def respond(self, ex: Exchange, route: tuple[str, dict], incoming: Incoming) -> dict:
        info = route[1]
        try:
            if info["errata"] and self.profile.get("put_data_path") != "detecting":
                self._alternative(ex, info["errata"], f"path {incoming.path}")
            body, flat = self._body(ex, incoming, info)
            return self._dispatch(ex, info, body, flat)
        except Refusal as r:
            ex.outcome = r.reason
            if ex.notes.get("flat"):
                return {"result": "fail", "err": STATUS[r.code] + (f"：{r.detail}" if r.detail else ""), "data": {},
                        "code": r.code}
            return answer(r.code, r.detail)

    def _alternative(self, ex: Exchange, errata: str, message: str) -> None:
        if self.profile.get("strict"):
            raise Refusal("952", "strict_" + errata, f"{message} ({errata}, strict profile)")
        ex.notes["warnings"].append({"errata": errata, "message": message})

    # ---- reading the body --------------------------------------------------------------------------------
    def _body(self, ex: Exchange, incoming: Incoming, info: dict) -> tuple[dict, bool]:
        h = incoming.headers
        ctype = h.get("Content-Type", "") if isinstance(h, _CI) else next(
            (v for k, v in h.items() if k.lower() == "content-type"), "")  # the first, whatever its case
        if ctype.lower().startswith("multipart/form-data"):
            return self._multipart(ex, incoming.body, ctype), False
        try:
            body = load_json(incoming.body, _utf8_json)  # orjson; the stdlib words what it refuses, as before
        except (UnicodeDecodeError, ValueError) as exc:
            raise Refusal("400", "malformed", f"请求体不是 UTF-8 JSON：{str(exc)[:120]}") from None
        if not isinstance(body, dict):
            raise Refusal("400", "malformed", "请求体须为 JSON 对象")
        ex.request_plaintext = body
        if isinstance(body.get("value"), str):
            body = self._value_string(ex, body)
        if "value" not in body and "ipctype" not in body and ("accessToken" in body or self._printed(body, info)):
            return self._flat(ex, body, info), True
        return body, False

    def _value_string(self, ex: Exchange, body: dict) -> dict:
        """E-HN-53: value as a string holding the JSON object (§2.4 types it 字符型): read as that object."""
        try:
            value = json.loads(body["value"])
        except ValueError:
            return body  # no JSON inside: the string is judged (and refused) as it is
        if not isinstance(value, dict):
            return body
        if self.profile.get("value_encoding") != "string":
            self._alternative(ex, "E-HN-53", "value sent as a JSON string (§2.4 types it 字符型; the examples "
                                             "carry an object)")
        read = {**body, "value": value}
        ex.notes["as_envelope"] = read  # what is validated and judged; request_plaintext keeps the body as sent
        return read

    def _printed(self, body: dict, info: dict) -> bool:
        """A flat body without accessToken, as §4.1.2 prints it: only fields of a flat interface on this path."""
        names = set(body) - {"organ"}
        return bool(names) and any(names <= self._value_fields(n) for n in info["interfaces"]
                                   if self._value_errata(n) == "E-HN-03")

    def _multipart(self, ex: Exchange, raw: bytes, ctype: str) -> dict:
        """E-HN-02: §5.2's multipart photo, part `file` the JPEG and part `info` the envelope without the image."""
        msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + raw)
        parts = {}
        for part in msg.iter_parts() if msg.is_multipart() else []:
            parts[part.get_param("name", header="content-disposition")] = part.get_payload(decode=True) or b""
        if "info" not in parts or "file" not in parts:
            raise Refusal("400", "malformed", f"multipart 须含 file 与 info 两部分，收到 {sorted(k for k in parts if k)}")
        try:
            body = json.loads(parts["info"].decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise Refusal("400", "malformed", "info 部分不是 JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("value"), dict):
            raise Refusal("952", "invalid", "info 部分须为含 value 的报文")
        body["value"].setdefault("base64Image", base64.b64encode(parts["file"]).decode())
        ex.notes["multipart"] = {"file_bytes": len(parts["file"])}
        ex.request_plaintext = body
        if self.profile.get("photo_transport") != "multipart":
            self._alternative(ex, "E-HN-02", "photo sent as multipart/form-data (§5.2)")
        return body

    def _flat(self, ex: Exchange, body: dict, info: dict) -> dict:
        """E-HN-03: a §4.1.2/§4.1.7/§4.1.8 body as printed, recognised by its fields, read into the envelope."""
        flat = [n for n in info["interfaces"] if self._value_errata(n) == "E-HN-03"]
        if not flat:
            raise Refusal("952", "invalid", "缺少 organ/ipctype/access_token/value 报文结构（§2.4）")
        names = set(body) - {"accessToken", "organ", "ipctype"}
        interface = max(flat, key=lambda n: len(names & self._value_fields(n)) - len(names - self._value_fields(n)))
        ex.notes["flat"] = True
        if self.profile.get("inner_body") != "flat":
            self._alternative(ex, "E-HN-03", f"{interface} body without the §2.4 envelope, as §4.1 prints it")
        token = body.get("accessToken")
        value = {k: v for k, v in body.items() if k not in ("accessToken", "organ", "ipctype")}
        read = {"organ": body.get("organ") or self.state.organ_of(token) or "", "ipctype": interface,
                "access_token": token, "value": value}
        ex.notes["as_envelope"] = read  # what is validated and judged; request_plaintext keeps the body as sent
        return read

    def _value_fields(self, interface: str) -> set[str]:
        from schemas.henan.validate import VALIDATOR

        fdef = VALIDATOR.field_defs(interface, "request").get("value")
        return {f["name"] for f in VALIDATOR.tables.objects[fdef["fields"]]} if fdef else set()

    def _value_errata(self, interface: str) -> str | None:
        from schemas.henan.validate import VALIDATOR

        return (VALIDATOR.field_defs(interface, "request").get("value") or {}).get("errata")

    # ---- the handler --------------------------------------------------------------------------------------
    def _dispatch(self, ex: Exchange, info: dict, body: dict, flat: bool) -> dict:
        interface = str(body.get("ipctype", ""))
        if interface not in info["interfaces"]:
            if interface in self.ifaces:
                ex.interface = interface  # reached the platform, on the wrong path
            carried = ", ".join(info["interfaces"])
            raise Refusal("404", "wrong_ipctype", f"ipctype {interface!r} 不属于此地址（此地址的业务接口代码：{carried}）")
        ex.interface = interface
        if self.ifaces[interface]["kind"] == "token":
            return self._token(ex, body)
        status = self.state.token_status(body.get("access_token"), body.get("organ"))
        ex.notes["token"] = status
        if status != "ok":
            if flat and status == "missing":  # §4.1.2 prints its body without one (E-HN-03)
                raise Refusal("401", "token_missing", "accessToken missing: the body as §4.1.2 prints it carries no "
                                                      "credential; every business request carries the §4.1.1 token "
                                                      "(E-HN-03: the flat body with accessToken)")
            raise Refusal("401", "token_" + status, f"access_token {status}")
        self._validate(ex, interface, body)
        value = body["value"]
        acc = self.state.accounts[str(body["organ"])]
        kind = self.ifaces[interface]["kind"]
        if kind == "query":
            data = self.state.check_vehicle(value["license"], value["licenseColor"])
            ex.notes["isControl"] = data["isControl"]
            return answer("200", value=data)
        owner = value.get("qybh", value.get("companyCode"))
        if owner is not None and str(owner) != acc.organ:
            raise Refusal("403", "owner", f"企业编号 {owner!r} 与 organ {acc.organ!r} 不一致")
        secret = value.get("companySecretCode")
        if secret is not None and secret != acc.company_secret_code:
            raise Refusal("403", "secret", "companySecretCode 与企业授权码不一致")
        if kind == "upload" and interface in ("shareVehInfo", "shareInnerVehInfo", "shareInnerMHYElec"):
            self.state.store_ledger(interface, value)
        else:
            ex.notes["link"] = self.state.store(interface, value)
        if flat:
            return {"result": "success", "err": "", "data": {}}
        return answer("200")

    def _token(self, ex: Exchange, body: dict) -> dict:
        self._validate(ex, "getAccessToken", body)
        tok = self.state.login(str(body["organ"]), str(body["username"]), str(body["password"]))
        if tok is None:
            raise Refusal("401", "login", "organ、username 或 password 错误")
        ex.notes["token_issued"] = tok.value
        return answer("200", access_token=tok.value, datetime=_fmt(self.clock.now()))

    def _validate(self, ex: Exchange, interface: str, body: dict) -> None:
        fails = self.note_violations(ex, henan_validate.validate(interface, "request", body, profile=self.profile))
        if fails:
            raise Refusal("952", "invalid", "; ".join(v.message for v in fails[:5]))


def _utf8_json(raw: bytes) -> Any:
    return json.loads(raw.decode("utf-8"))


def _fmt(t: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S")

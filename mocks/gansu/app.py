"""The Gansu provincial inspection platform mock (zongjian.md, reconstructed from public implementations, not the
official text): the engine's HTTP mock over the pure StationState.

Three paths: .../restapi/detecting/get_access_token (getAccessToken), .../get_data;token=<t> (the serial query
getVehicleInfoAndDetectSn) and .../put_data;token=<t> (every upload); the envelope's IPCType says which interface.
IPCType.value is a JSON string: it is decoded and judged (E-GS-01); an object in its place is refused as its own
finding. Answers are {code: "1" | "0", status, data (a JSON string)}, always HTTP 200. Refusal reasons (the
exchange's outcome): malformed, wrong_ipctype, value_not_string, value_not_json, token_missing / unknown /
expired / other_station, unknown_station, login, invalid, owner, serial_unknown, serial_other_station, serial_other_vehicle,
conclusion_contradicts. Every exchange is journaled by the engine.
"""
from __future__ import annotations

import json
from typing import Any

from harness import specdata
from harness.clock import Clock
from harness.faults import Fault
from harness.httpmock import HttpMock, Incoming
from harness.journal import Exchange, Journal
from mocks.gansu.state import VEHICLE, StationState

SPEC = "gansu"
VALUE = "IPCType.value"
OK_STATUS = "成功"
PIPELINE = {"too_large": "请求体过大", "fault_5xx": "服务器异常", "method": "只接受 POST", "not_found": "地址不存在",
            "internal_error": "服务器异常", "bad_request": "请求无法读取", "timeout": "请求超时", "busy": "服务器繁忙"}
IMAGE_ROOTS = {"sharePrintImage": "printImage", "shareReportImage": "reportImage",
               "shareSignatureImage": "signatureImage"}  # zongjian (more facts): the list under a root key


class Refusal(Exception):
    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def answer(code: str, status: str, data: Any = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"code": code, "status": status, **extra}
    if data is not None:
        out["data"] = json.dumps(data, ensure_ascii=False)
    return out


class MatrixRoutes(dict):
    """Routes looked up without the path's matrix parameters (`.../put_data;token=<t>`, zongjian §transport)."""

    def get(self, path, default=None):
        return super().get(str(path).split(";", 1)[0].rstrip("/") or "/", default)


def digits(number: int | float) -> str:
    """A JSON number as the digits it stands for (E-GS-05): 1234567.0 -> "1234567", 12.5 -> "12.5", never 1.2e+06."""
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number) if isinstance(number, int) else format(number, "f").rstrip("0")


def matrix(path: str) -> dict[str, str]:
    out = {}
    for part in path.split(";")[1:]:
        k, _, v = part.partition("=")
        out[k] = v
    return out


class GansuMock(HttpMock):
    spec = SPEC
    max_body = 8 * 1024 * 1024  # a §6.8 body with images in Base64
    fault_kinds = HttpMock.fault_kinds + ("expire_token",)

    def __init__(self, *, journal: Journal | None = None, profile: str | dict | None = None,
                 clock: Clock | None = None, seed: int = 0):
        self.ep = specdata.endpoints(SPEC)
        self.profile = profile if isinstance(profile, dict) else specdata.profile(SPEC, profile)
        super().__init__(journal=journal, clock=clock)
        self.state = StationState(self.clock, float(self.ep["token_ttl"]))
        from schemas.gansu.datagen import StationData

        self.data = StationData(seed)
        acc = self.data.account()
        self.state.add_account(acc["CompanyId"], acc["Source"], acc["username"], acc["password"], acc["dsName"])

    def _routes(self) -> MatrixRoutes:
        base = str(self.ep.get("base_path", "")).rstrip("/")
        routes = MatrixRoutes()
        for name, iface in self.ep["interfaces"].items():
            _, names = routes.setdefault(base + iface["path"], (name, []))
            names.append(name)
        return routes

    # ---- the engine's hooks -------------------------------------------------------------------------------
    def begin(self, ex: Exchange) -> None:
        ex.notes["warnings"] = []

    def failure(self, reason: str, status: int | None, info: dict[str, Any]) -> dict:
        return answer("0", PIPELINE.get(reason, "服务器异常") + f"（{reason}）")

    def http_status(self, body: dict) -> int:
        return 200  # the verdict is in code (zongjian §transport)

    def on_fault(self, fault: Fault, ex: Exchange) -> None:
        if fault.kind == "expire_token":
            self.state.expire_tokens()

    def admin_ops(self) -> dict:
        def account(args):
            self.state.add_account(str(args["CompanyId"]), str(args["Source"]), str(args["username"]),
                                   str(args["password"]), str(args.get("dsName", "")))

        return {"account": account}

    def snapshot(self) -> dict:
        return self.state.snapshot()

    def respond(self, ex: Exchange, route: tuple[str, list[str]], incoming: Incoming) -> dict:
        try:
            return self._dispatch(ex, route[1], incoming)
        except Refusal as r:
            ex.outcome = r.reason
            return answer("0", r.detail)

    # ---- the handler --------------------------------------------------------------------------------------
    def _dispatch(self, ex: Exchange, names: list[str], incoming: Incoming) -> dict:
        try:
            body = json.loads(incoming.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise Refusal("malformed", f"请求体不是 UTF-8 JSON：{str(exc)[:120]}") from None
        if not isinstance(body, dict):
            raise Refusal("malformed", "请求体须为 JSON 对象")
        ex.request_plaintext = body
        interface = body.get("IPCType")
        if interface not in names:
            if interface in self.ep["interfaces"]:
                ex.interface = str(interface)
            raise Refusal("wrong_ipctype", f"IPCType {interface!r} 不属于此地址（此地址的接口：{', '.join(names)}）")
        ex.interface = interface
        body, not_string = self._decode(ex, body)
        if interface != "getAccessToken":
            status = self.state.token_status(matrix(incoming.path).get(self.ep["token_param"]), body.get("CompanyId"))
            ex.notes["token"] = status
            if status != "ok":
                raise Refusal("token_" + status, f"令牌无效（{status}），请重新获取 access_token")
        self._validate(ex, interface, body, not_string)
        value = body[VALUE]
        company = str(body["CompanyId"])
        if company not in self.state.accounts:
            raise Refusal("unknown_station", f"检验检测机构不存在，检验检测机构编码[{company}]!")
        if interface == "getAccessToken":
            tok = self.state.login(company, value["username"], value["password"])
            if tok is None:
                raise Refusal("login", "用户名或密码错误")
            ex.notes["token_issued"] = tok.value
            return answer("1", OK_STATUS, access_token=tok.value)
        kind = self.ep["interfaces"][interface]["kind"]
        if kind == "serial":
            self._own(value.get("dsId"), company)
            ins = self.state.issue(company, value)
            ex.notes["detectSn"] = ins.detect_sn
            vehicle = self.state.vehicles.get(tuple(str(value[k]) for k in VEHICLE), {})
            return answer("1", OK_STATUS, {**vehicle, **ins.vehicle, "detectSn": ins.detect_sn})
        if interface == "shareDetectionStationInfo":
            self._own(value.get("dsId"), company)
            self.state.stations[company] = value
        elif interface == "shareVehicleInfo":
            self.state.keep_vehicle(tuple(str(value[k]) for k in VEHICLE), value)
        elif interface == "shareDetectInfo":
            record = value["detectRecord"]
            self._own(record.get("dsId"), company)
            self._serial(ex, company, record)
            self.state.store(record["detectSn"], interface, value)
        else:  # images: every item names an issued serial of its own vehicle
            items = value[IMAGE_ROOTS[interface]]
            for item in items:
                self._own(item.get("dsId"), company)
                self._serial(ex, company, item)
            for item in items:
                self.state.store(item["detectSn"], interface, {k: v for k, v in item.items() if k != "base64Image"})
        return answer("1", OK_STATUS)

    def _decode(self, ex: Exchange, body: dict) -> tuple[dict, bool]:
        """IPCType.value decoded from its JSON string (E-GS-01); (body as judged, whether it came as an object)."""
        raw = body.get(VALUE)
        if isinstance(raw, str):
            try:
                decoded = json.loads(raw)
            except ValueError as exc:
                raise Refusal("value_not_json", f"IPCType.value 不是合法的 JSON 字符串：{str(exc)[:120]}") from None
            body = {**body, VALUE: decoded}
            ex.notes["as_decoded"] = body
            return body, False
        return body, isinstance(raw, (dict, list))

    def _numbers(self, ex: Exchange, interface: str, body: dict) -> dict:
        """E-GS-05: a JSON number where the table has a string of digits, read as that string (a warning)."""
        if interface != "shareDetectInfo" or not isinstance(body.get(VALUE), dict):
            return body
        record = body[VALUE].get("detectRecord")
        if not isinstance(record, dict):
            return body
        from schemas.gansu.validate import VALIDATOR

        loose = [f["name"] for f in VALIDATOR.tables.objects["detectRecord"] if f.get("errata") == "E-GS-05"]
        hit = [n for n in loose if isinstance(record.get(n), (int, float)) and not isinstance(record.get(n), bool)]
        if not hit:
            return body
        ex.notes["warnings"].append({"errata": "E-GS-05", "message": f"numbers for {', '.join(hit)}"})
        if self.profile.get("strict"):  # judged as sent: the type check fails them, citing the table
            return body
        record = {**record, **{n: digits(record[n]) for n in hit}}
        return {**body, VALUE: {**body[VALUE], "detectRecord": record}}

    def _validate(self, ex: Exchange, interface: str, body: dict, not_string: bool) -> None:
        from schemas.gansu.rules import contradiction
        from schemas.gansu.validate import validate

        body = self._numbers(ex, interface, body)
        fails = self.note_violations(ex, validate(interface, "request", body, profile=self.profile))
        if not_string:  # its own finding, whatever the content (which was judged above, into notes)
            raise Refusal("value_not_string", "IPCType.value 须为 JSON 字符串，收到的是 JSON 对象"
                          + (f"；另有 {len(fails)} 处内容错误" if fails else ""))
        if fails:
            if all(v.kind == "rule" for v in fails) and contradiction(body.get(VALUE)):
                raise Refusal("conclusion_contradicts", "检测结论与检测项目评价矛盾：" + contradiction(body[VALUE]))
            raise Refusal("invalid", "格式校验失败：" + "; ".join(v.message for v in fails[:5]))

    def _own(self, ds_id: Any, company: str) -> None:
        if str(ds_id) != company:
            raise Refusal("owner", f"dsId {ds_id!r} 与 CompanyId {company!r} 不一致")

    def _serial(self, ex: Exchange, company: str, item: dict) -> None:
        problem = self.state.serial_problem(company, item.get("detectSn"), item)
        if problem:
            raise Refusal(*problem)
        ex.notes.setdefault("detectSn", item["detectSn"])


def make_mock(**kw: Any) -> GansuMock:
    return GansuMock(**kw)

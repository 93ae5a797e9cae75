"""The Yunnan provincial platform mock (yunnan §4–§6): the engine's HTTP mock over the pure platform state.

The engine (harness/httpmock.py) journals every request — raw envelope, decrypted plaintext, answer, timing,
conclusion — before the answer is sent; this module routes from the endpoint map, opens envelopes with the
codec (schemas/yunnan/envelope.py) and answers as yunnan §4.3 shows, failures included.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

from harness import crypto, specdata
from harness.clock import Clock
from harness.faults import Fault
from harness.httpmock import HttpMock, Incoming, load_json
from harness.journal import Exchange, Journal
from mocks.yunnan.state import Enterprise, PlatformState, parse_time
from schemas.yunnan import envelope

SPEC = "yunnan"

MSG = {
    "ok_upload": "上传成功",
    "ok_get": "获取成功",
    "ok_notify": "通知成功",
    "ok_heartbeat": "企业联网信息更新成功",
    "signature": "✖ 验签失败！签名不匹配！数据可能被篡改或来源不可信。",
    "malformed": "✖ 请求体格式错误：须为 {signature, encryptedAesKey, encryptedContent} 的 JSON 对象",
    "base64": "✖ 请求体 Base64 编码错误",
    "aes_key": "✖ 会话密钥解密失败：encryptedAesKey 不是用监管端公钥加密的",
    "aes_key_size": "✖ 会话密钥长度错误：须为 AES-256",
    "content": "✖ 业务数据解密失败",
    "plaintext_json": "✖ 业务数据不是合法的 UTF-8 JSON 对象",
    "client_id": "✖ X-Client-Id 缺失或未知",
    "token": "✖ 访问令牌无效或已过期，请重新获取令牌",
    "registered": "✖ 该企业已注册，注册接口只允许成功调用一次",
    "bad_secret": "✖ apiKey 或 apiSecret 错误",
    "invalid": "✖ 参数校验失败",
    "owner": "✖ 企业编号与令牌所属企业不一致",
    "unknown_ids": "✖ 编号不存在",
    "too_many_ids": "✖ 编号数量超过上限",
    "too_large": "✖ 请求体过大",
    "not_found": "✖ 接口不存在",
    "method": "✖ 请求方式须为 POST",
    "fault_5xx": "✖ 服务暂不可用（注入故障）",
    "internal_error": "✖ 请求无法处理",
    "bad_request": "✖ HTTP 请求格式错误",
    "timeout": "✖ 请求超时：请求头或请求体未在时限内收齐",
    "busy": "✖ 连接数已达上限，请稍后重试",
}


_VALIDATE: list = []  # schemas.yunnan.validate.validate, once imported


def answer(code: int, message: str, aes_key: str | None = None, data: Any = None) -> dict[str, Any]:
    return {"code": code, "message": message, "aesKey": aes_key, "data": data}


class Rejection(Exception):
    """A request the platform refuses: body code, message key, reason code for the journal."""

    def __init__(self, code: int, key: str, reason: str, detail: str = ""):
        super().__init__(detail or key)
        self.code, self.key, self.reason, self.detail = code, key, reason, detail


class YunnanMock(HttpMock):
    """Routes, state, journal and faults of one mock platform."""

    spec = SPEC
    max_body = 16 * 1024 * 1024  # far above any legal request (a few base64 photos); larger is refused
    fault_kinds = HttpMock.fault_kinds + ("expire_token",)

    def __init__(self, *, journal: Journal | None = None, profile: str | dict | None = None,
                 clock: Clock | None = None, key_bits: int = 2048, workers: int = 1):
        self.ep = specdata.endpoints(SPEC)
        self.profile = profile if isinstance(profile, dict) else specdata.profile(SPEC, profile)
        self.readings = envelope.readings(self.profile)
        super().__init__(journal=journal, clock=clock)
        self.state = PlatformState(self.ep, self.clock, key_bits)
        # Worker processes that open envelopes (RSA: most of an encrypted request's CPU) while this process keeps
        # the one platform state, the journal and every answer; 1 = none, everything in this process.
        self.workers = workers
        self._pool = None

    def waits(self) -> bool:
        # `prepare` opens envelopes in worker processes only: without them nothing in the pipeline waits.
        return self.workers > 1 or type(self)._pipeline is not HttpMock._pipeline

    # ---- configuration from data -----------------------------------------------------------------
    def _routes(self) -> dict[str, tuple[str, str | None]]:
        """path -> (interface, errata id if the path is an alternative reading)."""
        prefix = self.ep["prefix"]
        routes: dict[str, tuple[str, str | None]] = {}
        for name, spec in self.ep["interfaces"].items():
            routes[f"{prefix}/{name}"] = (name, None)
            for alias in spec.get("aliases", []):
                path = alias["path"] if alias.get("root") else prefix + alias["path"]
                routes[path] = (name, alias["errata"])
        # E-YN-01: a profile can make /carDate the default path and /vehicleInfo the alternative.
        if self.profile.get("vehicle_ledger_path") == "carDate":
            routes[f"{prefix}/carDate"] = ("vehicleInfo", None)
            routes[f"{prefix}/vehicleInfo"] = ("vehicleInfo", "E-YN-01")
        return routes

    # ---- the engine's hooks ------------------------------------------------------------------------
    def begin(self, ex: Exchange) -> None:
        ex.notes["warnings"] = []

    async def prepare(self, ex: Exchange, route: tuple[str, str | None], incoming: Incoming) -> Any:
        """With workers, open the envelope of an encrypted request from a known enterprise in a worker process
        (`_dispatch` still checks client, token and everything else first, and uses the result only for that
        enterprise's key). None when there is nothing to open or no worker: `_dispatch` opens it itself."""
        if self.workers <= 1 or self.ep["interfaces"][route[0]]["kind"] == "register":
            return None
        ent = self.state.by_api_key.get(incoming.headers.get("X-Client-Id", "").strip())
        if ent is None:
            return None
        try:
            body = load_json(incoming.body)
        except (ValueError, RecursionError):
            return None
        if not isinstance(body, dict):
            return None
        try:
            if self._pool is None:
                self._pool = _envelope_pool(self.workers, crypto.private_b64(self.state.platform_key))
            opened = await asyncio.get_running_loop().run_in_executor(self._pool, _open_in_worker, body,
                                                                      ent.public_key, self.readings)
        except Exception:  # noqa: BLE001 - a worker that died, a pool that cannot start: this process opens it
            return None
        return ent.public_key, opened

    def failure(self, reason: str, status: int | None, info: dict[str, Any]) -> dict:
        """§4.3's answer for what the pipeline refuses: the HTTP status as body code, 500 where none fits."""
        msg = MSG[reason]
        if reason == "too_large":
            return answer(500, f"{msg}（上限 {info['limit']} 字节）")
        if reason == "not_found":
            msg = f"{msg}: {info['path']}"
        return answer(status or 500, msg)

    def http_status(self, body: dict) -> int:
        """200 unless the profile mirrors body codes (E-YN-16)."""
        return 200 if self.profile.get("http_status") == "200" or body["code"] == 200 else _http(body["code"])

    def on_fault(self, fault: Fault, ex: Exchange) -> None:
        if fault.kind == "expire_token":
            self.state.expire_tokens()

    def admin_ops(self) -> dict:
        return {"seed": lambda args: self.state.seed(args["feed"], args["records"], args.get("owner"))}

    def snapshot(self) -> dict:
        return self.state.snapshot()

    def respond(self, ex: Exchange, route: tuple[str, str | None], incoming: Incoming) -> dict:
        interface, alias_errata = route
        try:
            if alias_errata:
                self._alternative(ex, alias_errata, f"path {incoming.path} is the alternative reading of {interface}")
            return self._dispatch(ex, interface, incoming.body, incoming)
        except Rejection as rej:
            ex.outcome = rej.reason
            msg = MSG.get(rej.key, rej.key) + (f"：{rej.detail}" if rej.detail else "")
            return answer(rej.code, msg)

    def _alternative(self, ex: Exchange, errata: str, message: str) -> None:
        """A documented alternative reading: a warning, or a rejection under a strict profile."""
        if self.profile.get("strict"):
            raise Rejection(500, "invalid", "strict_" + errata, f"{message} ({errata}, strict profile)")
        ex.notes["warnings"].append({"errata": errata, "message": message})

    # ---- the handler ------------------------------------------------------------------------------
    def _dispatch(self, ex: Exchange, interface: str, raw: bytes, request: Incoming) -> dict:
        spec = self.ep["interfaces"][interface]
        if spec["kind"] == "register":
            plain = _json_object(raw)
            ex.request_plaintext = plain
            return self._register(ex, plain)
        ent = self._client(ex, request, spec["kind"], raw)
        try:
            body = load_json(raw)
        except (ValueError, RecursionError):  # nested deeper than any parser follows: not an envelope either
            raise Rejection(500, "malformed", "malformed", "请求体不是 JSON") from None
        pre = request.prepared
        if pre is not None and pre[0] == ent.public_key:  # opened by a worker, with this enterprise's key
            opened = pre[1]
        else:
            opened = envelope.open_request(body, self.state.platform_key, crypto.load_public(ent.public_key),
                                           self.readings)
        bad = opened.failure
        if bad is not None and bad.aspect != "plaintext":
            raise Rejection(500, bad.reason if bad.reason in MSG else "malformed", bad.reason, bad.message)
        ex.notes["signature_reading"] = list(opened.reading)
        if opened.reading != self.readings[0]:
            self._alternative(ex, envelope.reading_errata(opened.reading, self.readings[0]),
                              f"signature verifies over range={opened.reading[0]}, encoding={opened.reading[1]}")
        plain = opened.obj if bad is None else _json_object(opened.plaintext)  # the latter raises the §4.3 refusal
        ex.request_plaintext = plain
        interface = self._shared_path(ex, interface, plain)
        ex.interface = interface
        self._validate(ex, interface, plain)
        kind = self.ep["interfaces"][interface]["kind"]
        handler = getattr(self, f"_do_{kind}")
        return handler(ex, interface, ent, plain)

    def _shared_path(self, ex: Exchange, interface: str, plain: dict) -> str:
        """E-YN-02: a §6.14 body posted to /exceedVehicle is the verification upload."""
        for name, spec in self.ep["interfaces"].items():
            shared = spec.get("shared_path")
            if shared and shared["path"].strip("/") == interface and shared["marker"] in plain:
                self._alternative(ex, shared["errata"], f"§6.14 body posted to {shared['path']}")
                return name
        return interface

    def _client(self, ex: Exchange, request: Incoming, kind: str, raw: bytes) -> Enterprise:
        """X-Client-Id and, except on /getToken, a live Bearer token (yunnan §4.2, E-YN-12, E-YN-13)."""
        client_id = request.headers.get("X-Client-Id", "").strip()
        ex.client_id = client_id
        ent = self.state.by_api_key.get(client_id)
        if ent is None and kind == "token" and not client_id:
            ent = self._client_from_body(raw)
            if ent is not None:
                self._alternative(ex, "E-YN-13", "X-Client-Id missing on /getToken; enterprise found from apiKey")
        if ent is None:
            raise Rejection(500, "client_id", "client_id", f"X-Client-Id={client_id!r}")
        if kind == "token":
            return ent
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.startswith("Bearer ") else ""
        status = self.state.token_status(token, ent.api_key) if token else "missing"
        ex.notes["token"] = status
        if status != "ok":
            raise Rejection(int(self.profile["token_error_code"]), "token", "token_" + status, status)
        return ent

    def _client_from_body(self, raw: bytes) -> Enterprise | None:
        try:
            opened = envelope.peek_request(load_json(raw), self.state.platform_key)
        except (ValueError, RecursionError):
            return None
        return self.state.by_api_key.get(str(opened.obj.get("apiKey"))) if opened.ok else None

    def _validate(self, ex: Exchange, interface: str, plain: dict) -> None:
        if not _VALIDATE:  # imported on first use (the tables load then), once: an import statement costs ~1 us
            from schemas.yunnan.validate import validate

            _VALIDATE.append(validate)
        violations = _VALIDATE[0](interface, "request", plain, profile=self.profile)
        fails = [v for v in violations if v.level == "fail"]
        ex.notes["violations"] = [v.__dict__ for v in violations]
        for v in violations:
            if v.level == "warn" and v.errata:
                self._alternative(ex, v.errata, v.message)
        if fails:
            raise Rejection(500, "invalid", "invalid", "; ".join(v.message for v in fails[:5]))

    # ---- business handlers per kind --------------------------------------------------------------
    def _register(self, ex: Exchange, plain: dict) -> dict:
        self._validate(ex, "init-auth", plain)
        try:
            crypto.load_public(str(plain["publicKey"]))
        except (ValueError, TypeError):
            raise Rejection(500, "invalid", "public_key", "publicKey 不是 X.509 编码的 RSA 公钥") from None
        try:
            ent = self.state.register(str(plain["enterpriseId"]), str(plain["enterpriseName"]), str(plain["publicKey"]))
        except KeyError:
            raise Rejection(500, "registered", "registered", str(plain["enterpriseId"])) from None
        ex.client_id = ent.api_key
        data = {"apiKey": ent.api_key, "apiSecret": ent.api_secret, "publicKey": self.state.platform_public_b64}
        ex.response_plaintext = data
        return answer(200, MSG["ok_get"], None, data)

    def _encrypted(self, ex: Exchange, ent: Enterprise, message: str, data: dict) -> dict:
        ex.response_plaintext = data
        aes_key, blob = envelope.seal_response(json.dumps(data, ensure_ascii=False).encode(),
                                               crypto.load_public(ent.public_key))
        return answer(200, message, aes_key, blob)

    def _do_token(self, ex: Exchange, interface: str, ent: Enterprise, plain: dict) -> dict:
        if plain.get("apiKey") != ent.api_key or plain.get("apiSecret") != ent.api_secret:
            raise Rejection(500, "bad_secret", "bad_secret")
        tok = self.state.issue_token(ent)
        ex.notes["token_issued"] = tok.value
        return self._encrypted(ex, ent, MSG["ok_get"], {"token": tok.value, "expireTime": str(self.ep["token_ttl"])})

    def _owner(self, interface: str, ent: Enterprise, plain: dict) -> None:
        field = self.ep["interfaces"][interface].get("owner_field")
        if field and field in plain and str(plain[field]) != ent.enterprise_id:
            raise Rejection(500, "owner", "owner", f"{field}={plain[field]!r}, token of {ent.enterprise_id!r}")

    def _do_upload(self, ex: Exchange, interface: str, ent: Enterprise, plain: dict) -> dict:
        self._owner(interface, ent, plain)
        self.state.store_upload(interface, plain, ex)
        return answer(200, MSG["ok_upload"])

    def _do_heartbeat(self, ex: Exchange, interface: str, ent: Enterprise, plain: dict) -> dict:
        self._owner(interface, ent, plain)
        self.state.heartbeat(ent)
        ex.notes["heartbeat_state"] = self.state.heartbeat_state(ent.enterprise_id)
        return answer(200, MSG["ok_heartbeat"])

    def _do_pull(self, ex: Exchange, interface: str, ent: Enterprise, plain: dict) -> dict:
        spec = self.ep["interfaces"][interface]
        self._owner(interface, ent, plain)
        since = parse_time(plain.get(spec["timestamp_field"]))
        if since is None:
            raise Rejection(500, "invalid", "invalid", f"{spec['timestamp_field']} 不是可识别的时间")
        records, total, more = self.state.pull(ent, spec["feed"], since)
        ex.notes["served"] = [r[spec["record_id"]] for r in records]
        data = {"totalRecords": str(total), "isNew": "1" if more else "0", "records": records}
        return self._encrypted(ex, ent, MSG["ok_get"], data)

    def _do_confirm(self, ex: Exchange, interface: str, ent: Enterprise, plain: dict) -> dict:
        spec = self.ep["interfaces"][interface]
        self._owner(interface, ent, plain)
        ids = [i.strip() for i in str(plain.get(spec["ids_field"], "")).split(",") if i.strip()]
        limit = spec.get("max_ids")
        if limit and len(ids) > limit:
            raise Rejection(500, "too_many_ids", "too_many_ids", f"{len(ids)} > {limit}")
        unknown = self.state.confirm(ent, spec["feed"], ids)
        if unknown:
            raise Rejection(500, "unknown_ids", "unknown_ids", ",".join(unknown[:10]))
        ex.notes["confirmed"] = ids
        return answer(200, MSG["ok_notify"])


# ---- envelope workers (--workers N) ---------------------------------------------------------------------
_WORKER_KEY = None


def _worker_init(platform_private_b64: str) -> None:
    global _WORKER_KEY
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the mock; the mock stops its workers
    _WORKER_KEY = crypto.load_private(platform_private_b64)


def _open_in_worker(body: dict, client_public_b64: str, readings: list) -> envelope.Opened:
    return envelope.open_request(body, _WORKER_KEY, crypto.load_public(client_public_b64), readings)


def _envelope_pool(workers: int, platform_private_b64: str):
    """`workers` processes holding the platform key (spawned: the mock's threads and sockets stay its own)."""
    import multiprocessing
    import weakref
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init,
                               initargs=(platform_private_b64,))
    weakref.finalize(pool, pool.shutdown, wait=False, cancel_futures=True)
    return pool


def _json_object(raw: bytes) -> dict:
    try:
        obj = load_json(raw, lambda b: json.loads(b.decode("utf-8")))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Rejection(500, "plaintext_json", "plaintext_json", str(exc)[:200]) from None
    if not isinstance(obj, dict):
        raise Rejection(500, "plaintext_json", "plaintext_json", f"got {type(obj).__name__}")
    return obj


def _http(code: int) -> int:
    return code if 400 <= code <= 599 else 500

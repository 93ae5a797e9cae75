"""Deliberately broken Yunnan platforms, the mock with one rule broken each (`python tests/specs/yunnan/broken_platforms.py V`)."""
# tests/specs/yunnan/test_yunnan_server_catalog.py serves each on a background port and asserts that
# `vconform run yunnan --role server --target URL` fails it with the named check.
from __future__ import annotations

import asyncio
import contextvars
import json
import re
import sys
from datetime import timedelta
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # run as a script from anywhere

from harness import crypto  # noqa: E402
from mocks.yunnan.app import Rejection, YunnanMock, _json_object  # noqa: E402
from schemas.yunnan import envelope  # noqa: E402


class AcceptsBadSignature(YunnanMock):
    """Decrypts and stores what fails signature verification (§5.1 step 8 skipped)."""

    def _dispatch(self, ex, interface, raw, request):
        try:
            return super()._dispatch(ex, interface, raw, request)
        except Rejection as rej:
            if rej.reason != "signature":
                raise
        kind = self.ep["interfaces"][interface]["kind"]
        ent = self._client(ex, request, kind, raw)
        (_sig, enc_key, enc_content), _ok = envelope.parse_request(json.loads(raw))
        try:
            plain = _json_object(crypto.aes_ecb_decrypt(crypto.rsa_decrypt(self.state.platform_key, enc_key), enc_content))
        except ValueError:
            raise Rejection(500, "content", "content") from None
        ex.request_plaintext = plain
        self._validate(ex, interface, plain)
        return getattr(self, f"_do_{kind}")(ex, interface, ent, plain)


class NeverExpiresTokens(YunnanMock):
    """Tokens stay valid after their expireTime (§6.2)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        status = self.state.token_status
        self.state.token_status = lambda value, api_key: "ok" if status(value, api_key) == "expired" else status(value, api_key)


class InitAuthTwice(YunnanMock):
    """Lets an enterprise register again, although §6.1 allows one successful init-auth."""

    def __init__(self, **kw):
        super().__init__(**kw)
        register = self.state.register

        def again(enterprise_id, name, public_key):
            self.state.enterprises.pop(enterprise_id, None)  # forget the first registration (its apiKey still works)
            return register(enterprise_id, name, public_key)

        self.state.register = again


class IsNewWrongAt100(YunnanMock):
    """Says isNew=1 on every full page, so exactly 100 (or 200) records end with an empty page (§6.6)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        pull, size = self.state.pull, int(self.ep["max_page"])

        def full_page_means_more(ent, feed, since):
            with self.state.lock:
                records, total, more = pull(ent, feed, since)
                if not more and len(records) == size:
                    self.state.cursors[(ent.enterprise_id, feed)].active = True  # the sequence stays open
                    more = True
                return records, total, more

        self.state.pull = full_page_means_more


class ServesConfirmedAgain(YunnanMock):
    """Answers confirms with 200 but never marks anything confirmed (§6.8, §6.10)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.state.confirm = lambda ent, feed, ids: [i for i in ids if i not in self.state.known_ids(ent, feed)]


class AcceptsCodeOutsideTable(YunnanMock):
    """Does not check coded fields against their §7 tables."""

    def _validate(self, ex, interface, plain):
        from schemas.yunnan.validate import validate

        fails = [v for v in validate(interface, "request", plain, profile=self.profile) if v.level == "fail" and v.kind != "code"]
        if fails:
            raise Rejection(500, "invalid", "invalid", "; ".join(v.message for v in fails[:5]))


class LosesUploads(YunnanMock):
    """Answers vehicle ledger uploads with 200 but keeps none of them."""

    def _do_upload(self, ex, interface, ent, plain):
        if interface == "vehicleInfo":
            self._owner(interface, ent, plain)
            return {"code": 200, "message": "上传成功", "aesKey": None, "data": None}
        return super()._do_upload(ex, interface, ent, plain)


_REQUEST: contextvars.ContextVar[dict] = contextvars.ContextVar("request")


class LosesUploadsUnderConcurrency(YunnanMock):
    """Keeps an upload only when no other request overlapped it: its store is an unlocked read-modify-write across
    an await (a lost update), so one client at a time loses nothing and concurrent clients lose uploads (§4.3: the
    200 answer says the upload was taken)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.live: list[dict] = []  # per request in flight: {"overlapped": bool}

    async def handle(self, request):
        mine = {"overlapped": bool(self.live)}
        for other in self.live:
            other["overlapped"] = True
        self.live.append(mine)
        _REQUEST.set(mine)  # each request is handled in its own task, with its own context
        try:
            await asyncio.sleep(0)  # the platform's storage round trip: other requests run meanwhile
            return await super().handle(request)
        finally:
            self.live.remove(mine)

    def _do_upload(self, ex, interface, ent, plain):
        if (_REQUEST.get(None) or {}).get("overlapped"):
            self._owner(interface, ent, plain)
            return {"code": 200, "message": "上传成功", "aesKey": None, "data": None}
        return super()._do_upload(ex, interface, ent, plain)


class YunnanPlatesOnly(YunnanMock):
    """Refuses vehicle ledgers whose plate is not a 云 plate: valid data the spec allows (found by Hypothesis)."""

    def _do_upload(self, ex, interface, ent, plain):
        if interface == "vehicleInfo" and not str(plain.get("licensePlate", "")).startswith("云"):
            raise Rejection(500, "invalid", "invalid", "licensePlate 须为云南号牌")
        return super()._do_upload(ex, interface, ent, plain)


class _MalformedJson(YunnanMock):
    """Base: something other than the §4.3 answer when the body is not JSON."""

    async def handle(self, request):
        try:
            raw = await request.read()  # aiohttp keeps the body: the mock's own read gets it again
            json.loads(raw)
        except ValueError:
            return await self.broken(request)
        except web.HTTPRequestEntityTooLarge:
            pass
        return await super().handle(request)


class Crash500OnMalformedJson(_MalformedJson):
    """HTTP 500 with an HTML page, no §4.3 JSON, on a body that is not JSON."""

    async def broken(self, request):
        return web.Response(status=500, text="<html><body>Internal Server Error</body></html>", content_type="text/html")


class ResetOnMalformedJson(_MalformedJson):
    """Drops the connection on a body that is not JSON."""

    async def broken(self, request):
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError()


class StrictlyAfter(YunnanMock):
    """Not broken: serves records strictly after the query time ("返回该时间后新的数据", E-YN-30's alternative)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        pull = self.state.pull
        self.state.pull = lambda ent, feed, since: pull(ent, feed, since + timedelta(microseconds=1))


class ExampleQueryFormatOnly(YunnanMock):
    """Not broken: accepts pull timestamps only as YYYY-MM-DD, the format of the §6.6/§6.7/§6.9 examples (E-YN-17)."""

    def _do_pull(self, ex, interface, ent, plain):
        value = plain.get(self.ep["interfaces"][interface]["timestamp_field"])
        if not (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
            raise Rejection(500, "invalid", "invalid", f"{value!r} 不是 yyyy-MM-dd")
        return super()._do_pull(ex, interface, ent, plain)


class ConfirmLimit101(YunnanMock):
    """Accepts 101 ids in one confirm, although §6.10 allows at most 100 (refuses 102)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.ep = {**self.ep, "interfaces": {**self.ep["interfaces"]}}
        for name, spec in self.ep["interfaces"].items():
            if spec.get("max_ids"):
                self.ep["interfaces"][name] = {**spec, "max_ids": spec["max_ids"] + 1}

    def _validate(self, ex, interface, plain):
        field, limit = self.ep["interfaces"][interface].get("ids_field"), self.ep["interfaces"][interface].get("max_ids")
        ids = str(plain.get(field, "")).split(",") if field else []
        if limit and len(ids) == limit:  # the table's id_list rule (at most 100) is lifted by one as well
            plain = {**plain, field: ",".join(ids[:-1])}
        return super()._validate(ex, interface, plain)


class ChecksLedger(YunnanMock):
    """Not broken: refuses access records of vehicles not in the enterprise's §6.11 ledger (§6.13 vehicleId 与车辆台账
    车辆编号一致) and §6.14 verifications of recordIds it never served through §6.6, with code 500 and a message."""

    def _do_upload(self, ex, interface, ent, plain):
        if interface == "vehicleAccess":
            ledger = {str(u["record"].get("vehicleId")) for u in self.state.uploads.get("vehicleInfo", [])
                      if str(u["record"].get("enterpriseId")) == ent.enterprise_id}
            if str(plain.get("vehicleId")) not in ledger:
                raise Rejection(500, "invalid", "invalid", f"vehicleId {plain.get('vehicleId')!r} 不在车辆台账中")
        if interface == "exceedVehicleConfirm":
            issued = {rid for (_eid, feed, rid) in self.state.served_log if feed == "exceed"}
            if str(plain.get("recordId")) not in issued:
                raise Rejection(500, "invalid", "invalid", f"recordId {plain.get('recordId')!r} 未由平台下发")
        return super()._do_upload(ex, interface, ent, plain)


class NoAdminHook(YunnanMock):
    """Not broken: a platform as a vendor ships it, without the harness's admin hook (skips, never failures)."""

    async def admin(self, request):
        return web.json_response({"code": 404, "message": "not found"}, status=404)


VARIANTS = {
    "accepts-bad-signature": AcceptsBadSignature,
    "never-expires-tokens": NeverExpiresTokens,
    "init-auth-twice": InitAuthTwice,
    "isnew-wrong-at-100": IsNewWrongAt100,
    "serves-confirmed-again": ServesConfirmedAgain,
    "accepts-code-outside-table": AcceptsCodeOutsideTable,
    "loses-uploads": LosesUploads,
    "loses-uploads-under-concurrency": LosesUploadsUnderConcurrency,
    "yunnan-plates-only": YunnanPlatesOnly,
    "crash-500-on-malformed-json": Crash500OnMalformedJson,
    "reset-on-malformed-json": ResetOnMalformedJson,
    "no-admin-hook": NoAdminHook,
    "strictly-after": StrictlyAfter,
    "example-query-format-only": ExampleQueryFormatOnly,
    "confirm-limit-101": ConfirmLimit101,
    "checks-ledger": ChecksLedger,
    "mock": YunnanMock,
}


def make(variant: str, **kw) -> YunnanMock:
    return VARIANTS[variant](**kw)


if __name__ == "__main__":
    from harness.serve import serve_forever

    if len(sys.argv) != 2 or sys.argv[1] not in VARIANTS:
        print(f"usage: yunnan_platforms.py VARIANT; variants: {', '.join(VARIANTS)}", file=sys.stderr)
        sys.exit(2)
    sys.exit(serve_forever(make(sys.argv[1]).app(), "127.0.0.1", 0))

"""The admin hook's contract (schemas/yunnan/admin.schema.json, docs/yunnan-server-role.md): every request the
harness sends it and every answer of the project's mock validate, and the harness calls no op the page omits."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from aiohttp import web
from jsonschema import Draft202012Validator

from harness.serve import BackgroundServer
from mocks.yunnan.app import YunnanMock

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((ROOT / "schemas" / "yunnan" / "admin.schema.json").read_text("utf-8"))
REQUESTS = {"state": "stateRequest", "seed": "seedRequest", "clock": "clockRequest"}


def _validator(name: str | None = None) -> Draft202012Validator:
    schema = SCHEMA if name is None else {**SCHEMA, "$ref": f"#/$defs/{name}"}
    if name is not None:
        schema = {k: v for k, v in schema.items() if k != "oneOf"}
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


class Recording(YunnanMock):
    """The mock, keeping each admin call's op, request body, HTTP status and answer."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.calls: list[tuple[str, object, int, object]] = []

    async def admin(self, request: web.Request) -> web.Response:
        resp = await super().admin(request)
        raw = await request.read()  # after the mock's own read: aiohttp keeps the body it read
        self.calls.append((request.match_info["op"], json.loads(raw) if raw else None, resp.status,
                           json.loads(resp.body)))
        return resp


def _errors(validator: Draft202012Validator, obj) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(obj)]


def test_harness_requests_and_mock_answers_follow_the_schema(tmp_path):
    mock = Recording()
    srv = BackgroundServer(mock.app).start()
    try:
        proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "yunnan", "--role", "server", "--seed", "4242",
                               "--target", srv.url, "--stage", "flow", "--only", "heartBeat", "--only", "alarmVehicle",
                               "--out", str(tmp_path / "report")], cwd=ROOT, capture_output=True, text=True,
                              timeout=600, env={**os.environ, "VCONFORM_HOME": str(tmp_path / "home")})
    finally:
        srv.stop()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ops = {op for op, *_ in mock.calls}
    assert ops == set(REQUESTS), f"the harness called {sorted(ops)}; the page documents {sorted(REQUESTS)}"
    answers = _validator()
    for op, body, status, answer in mock.calls:
        assert not _errors(_validator(REQUESTS[op]), body if body is not None else {}), (op, body)
        assert status == 200 and not _errors(answers, answer), (op, _errors(answers, answer))
    assert any(a["state"]["uploads"] or a["state"]["enterprises"] for *_, a in mock.calls)


def test_refused_admin_calls_follow_the_schema():
    srv = BackgroundServer(YunnanMock().app).start()
    try:
        for op, body, want in (("nosuch", {}, 404), ("seed", {"feed": "alarm"}, 400), ("clock", {}, 400)):
            req = urllib.request.Request(f"{srv.url}/__vconform/{op}", json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
            try:
                urllib.request.urlopen(req, timeout=10)
                raise AssertionError(f"{op} {body} accepted")
            except urllib.error.HTTPError as err:
                answer = json.loads(err.read())
                assert err.code == want and not _errors(_validator(), answer), (op, answer)
                assert not _validator("okAnswer").is_valid(answer)
    finally:
        srv.stop()


def test_schema_refuses_what_the_page_forbids():
    seed = _validator("seedRequest")
    assert seed.is_valid({"feed": "exceed", "records": [], "owner": None})
    assert not seed.is_valid({"feed": "exceed", "records": [], "owner": "530000X"})  # exceed is platform-wide
    assert not seed.is_valid({"feed": "alarm", "records": [], "owner": None})  # alarms belong to one enterprise
    assert not _validator().is_valid({"ok": True, "state": {"enterprises": {"E1": {"heartbeat": "alive"}},
                                                            "uploads": {}}})
    assert not _validator().is_valid({"ok": True, "state": {"enterprises": {}, "uploads": {"heartBeat": 1}}})

"""The Yunnan mock over the engine's HTTP pipeline: every refusal is a journaled section 4.3 answer."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from harness.journal import Journal
from harness.serve import BackgroundServer
from mocks.yunnan.app import MSG, YunnanMock
from schemas.yunnan.datagen import YunnanData
from suites.yunnan.client import YunnanClient


def _post(url, body: bytes, headers):
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())  # JSON, never aiohttp's plain text


class HeartbeatCrashes(YunnanMock):
    def _do_heartbeat(self, ex, interface, ent, plain):
        raise RuntimeError("state store went away")


def _client(mock, srv, tmp_path):
    data = YunnanData(2)
    c = YunnanClient(srv.url + mock.ep["prefix"], tmp_path, data.enterprise_id)
    c.init_auth(data.enterprise_id, data.enterprise()["enterpriseName"])
    c.get_token()
    return c, data


def test_refusals_are_journaled_section_4_3_answers(tmp_path):
    mock = HeartbeatCrashes(journal=Journal(None), profile="strict", key_bits=1024)
    with BackgroundServer(mock.app) as srv:
        c, data = _client(mock, srv, tmp_path)
        base, h = srv.url + mock.ep["prefix"], c.headers()
        # A strict profile refuses an alias path (E-YN-01) in its own words.
        status, body = _post(base + "/carDate", json.dumps(c.seal(data.vehicle(1))).encode(), h)
        assert (status, body["code"]) == (200, 500) and "E-YN-01" in body["message"]
        assert mock.journal.entries[-1].outcome == "strict_E-YN-01"
        # Surplus '=' padding, which Java's decoder refuses (issue 9).
        env = c.seal(data.heartbeat())
        env["encryptedContent"] += "="
        status, body = _post(base + "/heartBeat", json.dumps(env).encode(), h)
        assert body["code"] == 500 and body["message"].startswith(MSG["base64"])
        assert mock.journal.entries[-1].outcome == "base64"
        # A handler failing in a way nobody foresaw.
        status, body = _post(base + "/heartBeat", json.dumps(c.seal(data.heartbeat())).encode(), h)
        assert (status, body) == (200, {"code": 500, "message": MSG["internal_error"], "aesKey": None, "data": None})
        last = mock.journal.entries[-1]
        assert last.outcome == "internal_error" and "RuntimeError" in last.notes["internal_error"]


def test_get_token_without_client_id_finds_the_enterprise_inside(tmp_path):
    """E-YN-13: /getToken without X-Client-Id is served, with a warning, when the apiKey inside is known."""
    mock = YunnanMock(journal=Journal(None), key_bits=1024)
    with BackgroundServer(mock.app) as srv:
        c, _data = _client(mock, srv, tmp_path)
        url = srv.url + mock.ep["prefix"] + "/getToken"
        creds = {"apiKey": c.state["apiKey"], "apiSecret": c.state["apiSecret"]}
        status, body = _post(url, json.dumps(c.seal(creds)).encode(), {})
        assert body["code"] == 200 and c.open_data(body)["token"]
        assert [w["errata"] for w in mock.journal.entries[-1].notes["warnings"]] == ["E-YN-13"]
        status, body = _post(url, json.dumps(c.seal({**creds, "apiKey": "YN_unknown"})).encode(), {})
        assert body["code"] == 500 and mock.journal.entries[-1].outcome == "client_id"

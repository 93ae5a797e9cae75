"""The Yunnan mock platform (yunnan §4–§6): registration, tokens, refusals, paging, confirms, heartbeat, faults, journal."""
from __future__ import annotations

import json
import urllib.request

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import crypto
from harness.clock import FixedClock
from harness.journal import Journal
from harness.serve import BackgroundServer
from mocks.yunnan.app import MSG, YunnanMock
from schemas.yunnan.datagen import YunnanData
from suites.yunnan.client import ClientError, YunnanClient


@pytest.fixture()
def platform(tmp_path):
    clock = FixedClock()
    mock = YunnanMock(journal=Journal(tmp_path / "journal.sqlite"), clock=clock)
    with BackgroundServer(mock.app) as srv:
        yield mock, srv.url + mock.ep["prefix"], clock


def make_client(base, tmp_path, seed=1, cls=YunnanClient):
    data = YunnanData(seed)
    c = cls(base, tmp_path / f"state-{seed}", data.enterprise_id)
    c.init_auth(data.enterprise_id, data.enterprise()["enterpriseName"])
    return c, data


def raw_post(url, body: bytes, headers=None):
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_init_auth_succeeds_once(platform, tmp_path):
    mock, base, _ = platform
    c, data = make_client(base, tmp_path)
    again = YunnanClient(base, tmp_path / "other", data.enterprise_id)
    with pytest.raises(ClientError, match="init-auth refused"):
        again.init_auth(data.enterprise_id, "x")
    assert [e.outcome for e in mock.journal.entries] == ["ok", "registered"]
    assert mock.journal.entries[1].response_body["message"].startswith(MSG["registered"])


def test_token_expires_after_7200_seconds(platform, tmp_path):
    mock, base, clock = platform
    c, data = make_client(base, tmp_path)
    c.call("heartBeat", data.heartbeat())
    clock.advance(7199)
    c.call("heartBeat", data.heartbeat())
    clock.advance(2)
    c.renew_on_token_error = False
    with pytest.raises(ClientError, match="401"):
        c.call("heartBeat", data.heartbeat())
    assert mock.journal.entries[-1].outcome == "token_expired"
    c.renew_on_token_error = True
    c.call("heartBeat", data.heartbeat())  # renews and retries
    assert [e.interface for e in mock.journal.entries[-2:]] == ["getToken", "heartBeat"]


def test_headers_required(platform, tmp_path):
    mock, base, _ = platform
    c, data = make_client(base, tmp_path)
    c.get_token()
    body = json.dumps(c.seal(data.heartbeat())).encode()
    assert raw_post(base + "/heartBeat", body, {"Authorization": f"Bearer {c.state['token']}"})[1]["code"] == 500
    assert raw_post(base + "/heartBeat", body, {"X-Client-Id": c.state["apiKey"]})[1]["code"] == 401
    assert raw_post(base + "/heartBeat", body, {"X-Client-Id": c.state["apiKey"], "Authorization": "Bearer forged"})[1]["code"] == 401
    assert [e.outcome for e in mock.journal.entries[-3:]] == ["client_id", "token_missing", "token_unknown"]


@pytest.mark.parametrize("mangle,reason", [
    (lambda env: {**env, "signature": crypto.b64(b"\0" * 256)}, "signature"),
    (lambda env: {**env, "encryptedContent": env["encryptedContent"][:-4] + "AAA="}, "signature"),
    (lambda env: {"signature": env["signature"]}, "malformed"),
    (lambda env: ["not", "an", "object"], "malformed"),
    (lambda env: {**env, "encryptedAesKey": "%%%"}, "base64"),
])
def test_bad_envelopes_get_the_spec_failure_answer(platform, tmp_path, mangle, reason):
    mock, base, _ = platform
    c, data = make_client(base, tmp_path)
    c.get_token()
    env = mangle(c.seal(data.heartbeat()))
    status, ans = raw_post(base + "/heartBeat", json.dumps(env).encode(), c.headers())
    assert status == 200 and ans["code"] == 500 and ans["aesKey"] is None and ans["data"] is None
    assert mock.journal.entries[-1].outcome == reason
    if reason == "signature":
        assert ans["message"].startswith(MSG["signature"])  # the wording of yunnan §4.3


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe", b"null", b"[]", json.dumps({"signature": 1}).encode(),
                                  b"[" * 200_000 + b"]" * 200_000, b'{"enterpriseId": {"a": [1, 2]}}'])
def test_garbage_never_crashes(platform, tmp_path, body):
    mock, base, _ = platform
    c, _data = make_client(base, tmp_path)
    c.get_token()
    status, ans = raw_post(base + "/enterprise", body, c.headers())
    assert ans["code"] == 500
    status, ans = raw_post(base + "/init-auth", body)
    assert ans["code"] == 500
    assert all(e.status for e in mock.journal.entries)


def test_oversized_body_refused_and_journaled(platform, tmp_path):
    mock, base, _ = platform
    status, ans = raw_post(base + "/enterprise", b"{" + b" " * (17 * 1024 * 1024) + b"}")
    assert status == 413 and ans["code"] == 500
    assert mock.journal.entries[-1].outcome == "too_large"


def test_journal_file_has_every_exchange(platform, tmp_path):
    mock, base, _ = platform
    make_client(base, tmp_path)
    raw_post(base + "/nope", b"{}")
    rows = Journal.read(tmp_path / "journal.sqlite")
    assert [(r["interface"], r["outcome"]) for r in rows] == [("init-auth", "ok"), ("", "not_found")]
    assert rows[0]["request_plaintext"]["publicKey"]


def _pull_everything(c, interface, query, reading):
    c.paging = reading
    return c.pull_all(interface, query)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.sampled_from([0, 1, 99, 100, 101, 200, 250]), reading=st.sampled_from(["repeat", "advance"]))
def test_paging_serves_every_record_exactly_once_under_both_readings(platform, tmp_path, n, reading):
    """E-YN-11: repeating the query and advancing the timestamp both get each record once; isNew right at 100s."""
    mock, base, _ = platform
    c, data = make_client(base, tmp_path, seed=n * 2 + (reading == "advance"))
    recs = [data.strategy_record(10_000 + i) for i in range(n)]
    mock.state.seed("strategy", recs, data.enterprise_id)
    seq0 = mock.journal.last_seq
    got = _pull_everything(c, "basStrategy", {"enterpriseId": data.enterprise_id, "strategyTimestamp": "2000-01-01"}, reading)
    assert sorted(r["strategyId"] for r in got) == sorted(r["strategyId"] for r in recs)
    pages = [e for e in mock.journal.since(seq0) if e.interface == "basStrategy"]
    assert len(pages) == max(1, -(-n // 100))
    assert [p.response_plaintext["isNew"] for p in pages] == ["1"] * (len(pages) - 1) + ["0"]
    assert all(len(p.response_plaintext["records"]) <= 100 for p in pages)


def test_confirms_change_later_pulls(platform, tmp_path):
    mock, base, _ = platform
    c, data = make_client(base, tmp_path)
    recs = [data.alarm_record(i) for i in range(150)]
    mock.state.seed("alarm", recs, data.enterprise_id)
    q = {"enterpriseId": data.enterprise_id, "alarmTimestamp": "2000-01-01"}
    first = c.pull_all("alarmVehicle", q)
    ids = [r["alarmId"] for r in first]
    with pytest.raises(ClientError, match="500"):
        c.call("alarmConfirm", {"alarmId": ",".join(ids[:101])})  # yunnan §6.10: at most 100
    with pytest.raises(ClientError, match="500"):
        c.call("alarmConfirm", {"alarmId": "NO-SUCH-ID"})
    c.call("alarmConfirm", {"alarmId": ",".join(ids[:100])})
    again = c.pull_all("alarmVehicle", q)
    assert sorted(r["alarmId"] for r in again) == sorted(ids[100:])


def test_heartbeat_states(platform, tmp_path):
    mock, base, clock = platform
    c, data = make_client(base, tmp_path)
    eid = data.enterprise_id
    assert mock.state.heartbeat_state(eid) == "never"
    c.call("heartBeat", data.heartbeat())
    assert mock.state.heartbeat_state(eid) == "online"
    clock.advance(30 * 60 + 1)
    assert mock.state.heartbeat_state(eid) == "warning"
    clock.advance(30 * 60)
    assert mock.state.heartbeat_state(eid) == "offline"
    c.call("heartBeat", data.heartbeat())
    assert mock.state.heartbeat_state(eid) == "online"


def test_faults(platform, tmp_path):
    mock, base, _ = platform
    c, data = make_client(base, tmp_path)
    mock.faults.arm("http_5xx", value=503)
    with pytest.raises(ClientError, match="503"):
        c.call("heartBeat", data.heartbeat())
    mock.faults.arm("drop", interface="heartBeat")
    with pytest.raises(ClientError):
        c.call("heartBeat", data.heartbeat())
    assert mock.journal.entries[-1].outcome == "fault_drop"
    c.call("heartBeat", data.heartbeat())
    mock.faults.arm("expire_token")
    c.call("heartBeat", data.heartbeat())  # the client renews
    assert [e.outcome for e in mock.journal.entries[-3:]] == ["token_revoked", "ok", "ok"]


def test_alternative_readings_warn_not_fail(platform, tmp_path):
    """E-YN-04 (§5.3 signed range) and E-YN-01 (/carDate) are accepted with a warning carrying the errata id."""
    mock, base, _ = platform

    class Content(YunnanClient):
        signature_range = "content"

    c, data = make_client(base, tmp_path, cls=Content)
    c.call("heartBeat", data.heartbeat())
    assert mock.journal.entries[-1].notes["warnings"][0]["errata"] == "E-YN-04"
    c.signature_range = "key+content"
    c.call("vehicleInfo", data.vehicle(1), path="/carDate")
    last = mock.journal.entries[-1]
    assert last.outcome == "ok" and last.interface == "vehicleInfo"
    assert [w["errata"] for w in last.notes["warnings"]] == ["E-YN-01"]


def test_strict_profile_refuses_alternative_readings(tmp_path):
    mock = YunnanMock(profile="strict")
    with BackgroundServer(mock.app) as srv:
        base = srv.url + mock.ep["prefix"]

        class Content(YunnanClient):
            signature_range = "content"

        c, data = make_client(base, tmp_path, cls=Content)
        with pytest.raises(ClientError):
            c.call("heartBeat", data.heartbeat())
        assert mock.journal.entries[-1].outcome == "signature"

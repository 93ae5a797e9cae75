"""Unit cases that make Yunnan checks fail on crafted bad input, each with a passing control.

Each feeds a check the kind of evidence the suites give it (journal exchanges, adapter results, the platform's
replies) with one thing wrong, and asserts the verdict the run would record (tests/proving.py). Checks that a
broken implementation of tests/specs/yunnan/catalog.toml already fails end to end are not repeated here.
"""
from __future__ import annotations

import json

import pytest
from proving import assert_fails, assert_passes

from harness import crypto
from harness.journal import Exchange
from schemas.yunnan import envelope
from harness.specdata import profile
from suites.yunnan import checks as C
from suites.yunnan import server_checks as S

PROFILE = profile("yunnan")


def ex(seq: int, interface: str, **kw) -> Exchange:
    return Exchange(spec="yunnan", time=float(seq), method="POST", path=f"/access/api/dataReceive/{interface}",
                    interface=interface, seq=seq, **kw)


OK = {"code": 200, "message": "ok", "aesKey": None, "data": None}


def reply(interface: str = "vehicleInfo", *, status: int | None = 200, body=OK, **kw) -> S.Reply:
    """What the platform answered; body None is no JSON answer at all (pass `raw` or `error`)."""
    kw.setdefault("raw", json.dumps(body).encode() if body is not None else b"")
    return S.Reply(interface, f"/access/api/dataReceive/{interface}", {}, status=status, body=body, **kw)


# ---- client role -------------------------------------------------------------------------------------------

@pytest.mark.proves("yunnan.transport.reached")
def test_request_that_never_reached_the_interface_fails():
    other = [ex(1, "getToken", outcome="ok")]
    assert "getToken" in assert_fails("yunnan.transport.reached", C.reached(other, "vehicleInfo")).message
    assert_passes("yunnan.transport.reached", C.reached(other + [ex(2, "vehicleInfo")], "vehicleInfo"))


@pytest.mark.proves("yunnan.answer.accepted")
def test_last_request_refused_fails():
    refused = ex(2, "vehicleInfo", outcome="invalid", response_body={"code": 500, "message": "licensePlate"})
    assert_fails("yunnan.answer.accepted", C.accepted([ex(1, "vehicleInfo", outcome="ok"), refused], "vehicleInfo"))
    assert_passes("yunnan.answer.accepted", C.accepted([refused, ex(3, "vehicleInfo", outcome="ok")], "vehicleInfo"))


@pytest.mark.proves("yunnan.token.valid")
def test_token_sent_again_after_refusal_or_forged_fails():
    auth = {"Authorization": "Bearer t1"}
    expired = [ex(1, "heartBeat", headers=auth, notes={"token": "expired"}),
               ex(2, "heartBeat", headers=auth, notes={"token": "expired"})]
    assert "sent again" in assert_fails("yunnan.token.valid", C.token_valid(expired)).message
    assert_fails("yunnan.token.valid", C.token_valid([ex(1, "heartBeat", headers=auth, notes={"token": "unknown"})]))
    assert_passes("yunnan.token.valid", C.token_valid(expired[:1] + [ex(2, "heartBeat", notes={"token": "ok"})]))


@pytest.mark.proves("yunnan.pull.paging")
def test_pull_that_stops_early_or_goes_on_after_the_last_page_fails():
    def page(seq, flag):
        return ex(seq, "basStrategy", outcome="ok", response_plaintext={"isNew": flag})

    assert_fails("yunnan.pull.paging", C.pull_paging([page(1, "1")], "basStrategy"))
    assert_fails("yunnan.pull.paging", C.pull_paging([page(1, "0"), page(2, "0")], "basStrategy"))
    assert_fails("yunnan.pull.paging", C.pull_paging([], "basStrategy"))
    assert_passes("yunnan.pull.paging", C.pull_paging([page(1, "1"), page(2, "0")], "basStrategy"))


@pytest.fixture(scope="module")
def keys():
    return crypto.generate_rsa(), crypto.generate_rsa()  # platform, enterprise


@pytest.mark.proves("yunnan.envelope.content")
def test_content_that_does_not_decrypt_fails(keys):
    platform, client = keys
    aes = b"k" * 32
    enc_key = crypto.rsa_encrypt(platform.public_key(), aes)
    enc_content = crypto.aes_ecb_encrypt(aes, b'{"a": 1}')[:-1]  # not a whole AES block: no PKCS5 reading
    signed = envelope.signed_bytes(enc_key, enc_content, envelope.default_reading(PROFILE))
    body = {"signature": crypto.b64(crypto.sign(client, signed)),
            "encryptedAesKey": crypto.b64(enc_key), "encryptedContent": crypto.b64(enc_content)}
    found = C.analyze_envelope(ex(1, "heartBeat", request_body=json.dumps(body)), platform, client.public_key(), PROFILE)
    assert_fails("yunnan.envelope.content", found["content"])
    assert_passes("yunnan.envelope.signature", found["signature"])  # only the content is wrong
    good = envelope.seal_request(b'{"a": 1}', platform.public_key(), client).body
    ok = C.analyze_envelope(ex(2, "heartBeat", request_body=json.dumps(good)), platform, client.public_key(), PROFILE)
    assert_passes("yunnan.envelope.content", ok["content"])


# ---- server role: what the platform answered -------------------------------------------------------------

@pytest.mark.proves("yunnan.server.register")
def test_registration_refused_or_incomplete_fails(keys):
    assert_fails("yunnan.server.register", S.registration(reply("init-auth", body={"code": 500, "message": "no"})))
    partial = {"code": 200, "message": "ok", "data": {"apiKey": "k", "apiSecret": "", "publicKey": "x"}}
    assert_fails("yunnan.server.register", S.registration(reply("init-auth", body=partial)))
    full = {"code": 200, "message": "ok", "data": {"apiKey": "k", "apiSecret": "s", "publicKey": crypto.public_b64(keys[0])}}
    assert_passes("yunnan.server.register", S.registration(reply("init-auth", body=full)))


@pytest.mark.proves("yunnan.server.token")
def test_token_answer_without_token_or_digits_fails():
    assert_fails("yunnan.server.token", S.token_issued(reply("getToken", data={"expireTime": "7200"})))
    assert_fails("yunnan.server.token", S.token_issued(reply("getToken", data={"token": "t", "expireTime": "2h"})))
    assert_passes("yunnan.server.token", S.token_issued(reply("getToken", data={"token": "t", "expireTime": "7200"})))


@pytest.mark.proves("yunnan.server.answer.shape")
def test_answer_not_in_the_4_3_shape_fails():
    assert_fails("yunnan.server.answer.shape", S.answer_shape(reply(body={"code": "ok", "message": "x"})))
    assert_fails("yunnan.server.answer.shape", S.answer_shape(reply(body={"code": 200, "message": "x", "aesKey": "K",
                                                                          "data": None})))
    assert_passes("yunnan.server.answer.shape", S.answer_shape(reply()))


@pytest.mark.proves("yunnan.server.answer.envelope")
def test_answer_data_in_clear_fails():
    clear = reply("basStrategy", body={"code": 200, "message": "ok", "aesKey": None, "data": "eyJ9"})
    assert_fails("yunnan.server.answer.envelope", S.answer_envelope(clear))
    assert_fails("yunnan.server.answer.envelope", S.answer_envelope(reply(data_error="data does not decrypt")))
    assert_passes("yunnan.server.answer.envelope", S.answer_envelope(reply()))


@pytest.mark.proves("yunnan.server.answer.schema")
def test_answer_data_outside_its_field_table_fails():
    bad = reply("getToken", data={"token": 7, "expireTime": "7200"})
    assert_fails("yunnan.server.answer.schema", S.answer_schema("getToken", bad, PROFILE))
    good = reply("getToken", data={"token": "abc", "expireTime": "7200"})
    assert_passes("yunnan.server.answer.schema", S.answer_schema("getToken", good, PROFILE))


@pytest.mark.proves("yunnan.server.token.lifetime")
def test_token_refused_before_its_expiry_fails():
    refused = reply("heartBeat", body={"code": 401, "message": "token expired"})
    assert_fails("yunnan.server.token.lifetime", S.token_lifetime(refused, 30.0))
    assert_passes("yunnan.server.token.lifetime", S.token_lifetime(reply("heartBeat"), 30.0))


@pytest.mark.proves("yunnan.server.heartbeat.state")
def test_wrong_heartbeat_state_fails():
    assert_fails("yunnan.server.heartbeat.state", S.heartbeat_states([("after 31 min", "online", "warning")]))
    assert_passes("yunnan.server.heartbeat.state", S.heartbeat_states([("after a beat", "online", "online")]))


@pytest.mark.proves("yunnan.server.pull.complete")
def test_pull_missing_doubling_or_altering_records_fails():
    seeded = [{"id": "1", "v": "a"}, {"id": "2", "v": "b"}]
    missing = S.Pull(records=[{"id": "1", "v": "a"}])
    doubled = S.Pull(records=seeded + [{"id": "2", "v": "b"}])
    altered = S.Pull(records=[{"id": "1", "v": "a"}, {"id": "2", "v": "X"}])
    for pull in (missing, doubled, altered, S.Pull(records=seeded, error="HTTP 500")):
        assert_fails("yunnan.server.pull.complete", S.pull_complete(pull, seeded, "id"))
    assert_passes("yunnan.server.pull.complete", S.pull_complete(S.Pull(records=list(seeded)), seeded, "id"))


# Every refusal the negative stage sends is judged by S.refusal (suites/yunnan/test_server_3_reject.py judge());
# a platform that accepts the mutant, or answers it with no §4.3 failure answer, fails the mutation's check.
@pytest.mark.proves("yunnan.server.reject.missing_required", "yunnan.server.reject.over_length",
                    "yunnan.server.reject.code_outside", "yunnan.server.reject.date_format",
                    "yunnan.server.reject.id_composition", "yunnan.server.reject.content_tampered",
                    "yunnan.server.reject.signature_other_key", "yunnan.server.reject.aes_key_wrong_public_key",
                    "yunnan.server.reject.aes_key_size", "yunnan.server.reject.envelope_incomplete",
                    "yunnan.server.reject.client_id_missing", "yunnan.server.reject.client_id_wrong",
                    "yunnan.server.reject.token_missing", "yunnan.server.reject.token_forged",
                    "yunnan.server.reject.token_expired", "yunnan.server.reject.init_auth_twice",
                    "yunnan.server.reject.confirm_unknown", "yunnan.server.reject.confirm_too_many",
                    "yunnan.server.reject.malformed_json", "yunnan.server.reject.oversize")
def test_every_mutation_accepted_or_answered_without_the_failure_answer_fails():
    accepted = reply(note="mutant")
    html = reply(status=500, body=None, raw=b"<html>500</html>", note="mutant")
    reset = reply(status=None, body=None, error="connection reset", note="mutant")
    refused = {m: reply(body={"code": 401 if m in S.TOKEN_MUTATIONS else 500, "message": "refused", "aesKey": None,
                              "data": None}) for m in S.REJECTIONS}
    for mutation in S.REJECTIONS:
        cid = f"yunnan.server.reject.{mutation}"
        for bad in (accepted, html, reset):
            assert_fails(cid, S.refusal(bad, PROFILE, mutation))
        assert_passes(cid, S.refusal(refused[mutation], PROFILE, mutation))
    assert_passes("yunnan.server.reject.oversize", S.refusal(reply(status=413, body=None), PROFILE, "oversize"))

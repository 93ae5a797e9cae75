"""Server role, stage `negative`: one mutation at a time; the platform must answer each with the §4.3 refusal."""
from __future__ import annotations

import base64
import os
import secrets

import pytest

from harness import crypto, specdata
from harness.pytest_plugin import require
from schemas.yunnan.validate import validate
from suites.yunnan import server_checks as C

pytestmark = [pytest.mark.role("server"), pytest.mark.stage("negative")]
STAGE = "negative"
UPLOADS = specdata.interfaces_of_kind("yunnan", "upload", "heartbeat")
FIELD_KINDS = ["missing_required", "over_length", "code_outside", "date_format", "id_composition"]
MAX_CONFIRM_IDS = specdata.endpoints("yunnan")["interfaces"]["alarmConfirm"]["max_ids"]  # §6.10: 100
OVERSIZE = 32 * 1024 * 1024  # twice the mock's limit, far above any legal request (a few base64 photos)


def _ready(yns):
    if not yns.ready:
        pytest.fail("registration or token failed; see init-auth and getToken")


def base_record(yns, interface: str) -> dict:
    """A valid record of the interface, its references real; a mutation of it must be refused for that one change."""
    d = yns.data
    rec = {"enterprise": d.enterprise, "cameraInfo": lambda: d.camera("A", 1), "heartBeat": d.heartbeat,
           "vehicleInfo": lambda: d.vehicle(1), "nonMachinery": lambda: d.machinery(1),
           "vehicleAccess": lambda: d.access_record(d.vehicle(1), 1, "0"),
           "exceedVehicleConfirm": d.exceed_confirm}[interface]()
    rec = yns.prepare(yns.main, interface, rec)  # its vehicle in the ledger, its recordId issued (§6.13, §6.14)
    fails = [v.message for v in validate(interface, "request", rec, profile=yns.profile) if v.level == "fail"]
    if fails:
        raise RuntimeError(f"harness data for {interface} is not valid: {fails[:2]}")
    return rec


def send_mutant(yns, interface: str, plain, note: str, **kw):
    """Send one mutant with a live token; a token refusal is renewed and resent, so it never passes for a refusal."""
    yns.ensure_token(yns.main)
    reply = yns.call(yns.main, interface, plain, note=note, **kw)
    if reply.is_token_error():
        yns.get_token(yns.main)
        reply = yns.call(yns.main, interface, plain, note=note + " (new token)", **kw)
    return reply


def judge(yns, mutation: str, interface: str, replies: list, *, what: str = "") -> object:
    problems, bad = [], []
    for r in replies:
        p = C.refusal(r, yns.profile, mutation)
        problems += p
        if any(x.level == "fail" for x in p):
            bad.append(r)
    shown = bad[:4] or replies[:2]
    return yns.record(f"yunnan.server.reject.{mutation}", problems, interface=interface, stage=STAGE, evidence=shown,
                      pass_message=f"{len(replies)} refused{': ' + what if what else ''}")


@pytest.mark.parametrize("interface", [pytest.param(i, marks=pytest.mark.interface(i), id=i) for i in UPLOADS])
def test_field_mutations(yns, vrun, interface):
    """Missing, over-length, out-of-table, misformatted and wrongly composed fields, one field per request."""
    _ready(yns)
    base, results = base_record(yns, interface), []
    for kind in FIELD_KINDS:
        mutants = C.field_mutations(kind, interface, base, vrun.profile)
        if mutants:
            replies = [send_mutant(yns, interface, rec, note) for note, rec in mutants]
            results.append(judge(yns, kind, interface, replies, what=", ".join(n for n, _ in mutants)[:300]))
    require(vrun, results)


@pytest.mark.interface("vehicleAccess")
def test_envelope_mutations(yns, vrun):
    """Tampered ciphertext, a signature by another key, the AES key to the wrong public key or of 128 bits (§5)."""
    _ready(yns)
    main, plain = yns.main, base_record(yns, "vehicleAccess")
    env = yns.seal(main, plain)
    content = bytearray(crypto.b64decode(env["encryptedContent"]))
    content[len(content) // 2] ^= 0x01
    cases = {
        "content_tampered": {**env, "encryptedContent": base64.b64encode(bytes(content)).decode()},
        "signature_other_key": yns.seal(main, plain, sign_with=yns.other_key()),
        "aes_key_wrong_public_key": yns.seal(main, plain, encrypt_to=main.key.public_key()),
        "aes_key_size": yns.seal(main, plain, aes_key=os.urandom(16)),
        "envelope_incomplete": {k: v for k, v in env.items() if k != "encryptedAesKey"},
    }
    results = [judge(yns, m, "vehicleAccess", [send_mutant(yns, "vehicleAccess", plain, m, envelope=e)])
               for m, e in cases.items()]
    require(vrun, results)


@pytest.mark.interface("vehicleAccess")
def test_header_mutations(yns, vrun):
    """X-Client-Id missing or unknown, Bearer token missing or forged (§4.2)."""
    _ready(yns)
    plain = base_record(yns, "vehicleAccess")
    cases = {"client_id_missing": {"client_id": None}, "client_id_wrong": {"client_id": "YN_" + secrets.token_hex(12)},
             "token_missing": {"token": None}, "token_forged": {"token": secrets.token_urlsafe(24)}}
    results = []
    for m, hdr in cases.items():
        yns.ensure_token(yns.main)
        results.append(judge(yns, m, "vehicleAccess", [yns.call(yns.main, "vehicleAccess", plain, note=m, **hdr)]))
    require(vrun, results)


@pytest.mark.interface("getToken")
def test_token_expiry(yns, vrun):
    """A token works shortly before its expireTime and is refused after it; the platform's clock is moved, not waited."""
    _ready(yns)
    if not yns.hook:
        reason = yns.no_hook_reason("moving the platform's clock past expireTime")
        yns.skip("yunnan.server.token.lifetime", reason, interface="getToken", stage=STAGE)
        yns.skip("yunnan.server.reject.token_expired", reason, interface="getToken", stage=STAGE)
        return
    main, plain = yns.main, base_record(yns, "heartBeat")
    yns.get_token(main)
    early = max(main.ttl - 600, main.ttl / 2)  # margins of minutes: the run's own duration never decides
    yns.advance(early)
    before = yns.call(main, "heartBeat", plain, note=f"token {early:.0f} s old (expireTime {main.ttl:.0f})")
    yns.advance(main.ttl + 60 - early)
    after = yns.call(main, "heartBeat", plain, note=f"token {main.ttl + 60:.0f} s old (expireTime {main.ttl:.0f})")
    results = [yns.record("yunnan.server.token.lifetime", C.token_lifetime(before, early), interface="getToken",
                          stage=STAGE, evidence=[before]),
               judge(yns, "token_expired", "getToken", [after])]
    yns.get_token(main)
    require(vrun, results)


@pytest.mark.interface("init-auth")
def test_init_auth_twice(yns, vrun):
    """§6.1: init-auth succeeds once; a second call, with the same key or another, is refused."""
    _ready(yns)
    same = yns.register(yns.main, public_key=crypto.public_b64(yns.main.key), note="same enterprise, same key")
    other = yns.register(yns.main, public_key=crypto.public_b64(yns.other_key()), note="same enterprise, another key")
    require(vrun, [judge(yns, "init_auth_twice", "init-auth", [same, other])])


@pytest.mark.parametrize("interface", [pytest.param(i, marks=pytest.mark.interface(i), id=i)
                                       for i in ("alarmConfirm", "strategyConfirm")])
def test_confirm_mutations(yns, vrun, interface):
    """Confirming ids never served is refused; alarmConfirm refuses more than 100 ids in one call (§6.10)."""
    _ready(yns)
    field = "alarmId" if interface == "alarmConfirm" else "strategyId"
    owner = {"enterpriseId": yns.main.eid} if interface == "strategyConfirm" else {}
    unknown = {field: f"NOSUCH{yns.salt}1,NOSUCH{yns.salt}2", **owner}
    results = [judge(yns, "confirm_unknown", interface, [send_mutant(yns, interface, unknown, "ids never served")])]
    if interface == "alarmConfirm":
        results.append(_too_many(yns))
    require(vrun, results)


def _too_many(yns):
    """101 ids at once (§6.10 allows 100): ids the platform served, when the hook can seed them (so only the count
    is wrong), else unknown ones."""
    main, limit = yns.main, MAX_CONFIRM_IDS + 1
    if yns.hook:
        start = yns.window()
        recs = yns.feed_records("alarm", limit + 20, start)
        yns.seed_feed(main, "alarm", recs)
        pull = yns.pull(main, "alarmVehicle", {"enterpriseId": main.eid, "alarmTimestamp": yns.since(start)})
        served = list(dict.fromkeys(r.get("alarmId") for r in pull.records if isinstance(r, dict)))
        seeded = [r["alarmId"] for r in recs]
        ids = (served + [i for i in seeded if i not in served])[:limit]  # served first; seeded ones only if short
        note = f"{len(ids)} alarm ids in one call ({min(len(served), limit)} of them served by the pull)"
    else:
        ids = [f"NOSUCH{yns.salt}{i:03d}" for i in range(limit)]
        note = f"{limit} ids in one call (unknown ids: without the admin hook the count cannot be tested alone)"
    reply = send_mutant(yns, "alarmConfirm", {"alarmId": ",".join(ids)}, note)
    return judge(yns, "confirm_too_many", "alarmConfirm", [reply], what=note)


@pytest.mark.parametrize("interface", [pytest.param(i, marks=pytest.mark.interface(i), id=i)
                                       for i in ("vehicleAccess", "init-auth")])
def test_malformed_json(yns, vrun, interface):
    """A body that is not JSON gets the §4.3 failure answer, not a crash or a reset connection."""
    _ready(yns)
    body = b'{"signature": "' if interface == "vehicleAccess" else b'{"enterpriseId": '
    if interface == "init-auth":
        reply = yns.post("/init-auth", body, {}, interface=interface, note="truncated JSON", url=yns.register_url)
    else:
        yns.ensure_token(yns.main)
        reply = yns.call(yns.main, interface, None, body=body, note="truncated JSON")
    require(vrun, [judge(yns, "malformed_json", interface, [reply])])


@pytest.mark.interface("vehicleAccess")
def test_oversize_body(yns, vrun):
    """A 32 MiB envelope: HTTP 413 or the §4.3 refusal are both fine; accepting it or crashing is not."""
    _ready(yns)
    filler = b"A" * OVERSIZE
    body = b'{"signature":"' + filler + b'","encryptedAesKey":"QUFB","encryptedContent":"QUFB"}'
    yns.ensure_token(yns.main)
    reply = yns.call(yns.main, "vehicleAccess", None, body=body, note=f"{len(body) // 2**20} MiB body")
    require(vrun, [judge(yns, "oversize", "vehicleAccess", [reply])])


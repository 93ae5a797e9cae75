"""Redaction: secrets never reach report.json, report.html or junit.xml, while key names stay visible."""
from __future__ import annotations

import base64
import html
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from harness.report import write_report
from harness.report.redact import KEY_MASK, MASK, Redactor, is_secret_key

API_SECRET = "3k9mQ2nR8sLpVxYz1aBcDeFgHiJkLmNoPqRsTuV"
TOKEN = "tok-LpVxYzlaBcDeFgHiJkLmNoPqRs"
CAMERA_PW = "cam-Pa55w0rd!"
NVR_PW = "nvr<S3cret>&42"  # "<" and "&" so the HTML-escaped form is checked too
REGISTERED = "henan-organ-password-77"


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _der_b64(key, fmt=serialization.PrivateFormat.PKCS8) -> str:
    return base64.b64encode(key.private_bytes(serialization.Encoding.DER, fmt, serialization.NoEncryption())).decode()


def _stuffed_model(pem: str, der_b64: str) -> dict:
    request_plain = json.dumps({"enterpriseId": "E1", "cameraPassword": CAMERA_PW, "nvrPassword": NVR_PW,
                                "cameraIp": "10.0.0.7"}, ensure_ascii=False)
    exchange = {
        "kind": "exchange", "seq": 3, "method": "POST", "path": "/access/api/dataReceive/cameraInfo",
        "headers": {"Authorization": f"Bearer {TOKEN}", "X-Client-Id": "YN_Mn2dE7xQa9Bc1fRt4sLpVxYz",
                    "Content-Type": "application/json"},
        "request_body": json.dumps({"signature": "c2ln", "encryptedAesKey": "a2V5", "encryptedContent": "Y3Q="}),
        "request_plaintext": request_plain, "status": 200,
        "response_plaintext": json.dumps({"code": 200, "data": {"token": TOKEN, "expireTime": "7200"}}),
    }
    auth = {"kind": "exchange", "seq": 1, "method": "POST", "path": "/access/api/dataReceive/getToken",
            "request_plaintext": json.dumps({"apiKey": "YN_Mn2dE7xQa9Bc1fRt4sLpVxYz", "apiSecret": API_SECRET}),
            "status": 200}
    adapter = {"kind": "adapter", "cmd": f"gate-adapter --password {REGISTERED}", "action": "init-auth",
               "exit_code": 0, "stdout": json.dumps([{"clientPrivateKey": der_b64, "clientPublicKey": "MIIBIjANBg"}]),
               "stderr": f"loaded key\n{pem}\nposting with token={TOKEN}&x=1", "duration_ms": 12}
    check = {"id": "yunnan.auth.token", "verdict": "fail", "severity": "critical",
             "message": f"token {TOKEN} rejected; apiSecret {API_SECRET} was sent; nvr {NVR_PW}",
             "spec_ref": "yunnan §6.2", "title_zh": "令牌", "title_en": "Token", "stage": "interface",
             "evidence": [auth, exchange, adapter, {"kind": "note", "text": f"private key in use:\n{pem}"}]}
    return {
        "tool": {"name": "vconform", "version": "0.1.0"}, "spec": {"name": "yunnan", "version": "V1.1"},
        "role": "client", "profile": "default",
        "sut": {"name": "gate", "version": "1", "kind": "command", "cmd": f"gate-adapter --password {REGISTERED}"},
        "started": "2025-10-01T00:00:00+08:00", "finished": "2025-10-01T00:01:00+08:00", "seed": 1,
        "verdict": "fail", "counts": {"pass": 0, "fail": 1, "warn": 0, "skip": 0},
        "stages": [{"name": "interface", "verdict": "fail"}],
        "interfaces": [{"name": "cameraInfo", "section": "yunnan §6.3", "stage": "interface", "verdict": "fail",
                        "checks": [check]}],
        "reproduce": f"vconform run yunnan --sut-cmd 'gate-adapter --password {REGISTERED}' --seed 1",
        "signoff": {"tester": "T", "organisation": "O", "sut_name": "gate", "sut_version": "1", "date": "2025-10-01"},
    }


def test_no_secret_in_any_written_file(tmp_path, monkeypatch, rsa_key):
    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    pem, der = _pem(rsa_key), _der_b64(rsa_key)
    paths = write_report(_stuffed_model(pem, der), tmp_path / "out", secrets=[REGISTERED])
    pem_body = pem.splitlines()[5]
    for name, path in paths.items():
        text = path.read_text(encoding="utf-8")
        for secret in (API_SECRET, TOKEN, CAMERA_PW, NVR_PW, REGISTERED, pem_body, der[40:100], "PRIVATE KEY-----"):
            assert secret not in text, f"{secret[:20]}... leaked into {name}"
            assert html.escape(secret) not in text, f"{secret[:20]}... leaked (escaped) into {name}"
    report = json.loads(paths["json"].read_text(encoding="utf-8"))
    ev = report["interfaces"][0]["checks"][0]["evidence"]
    # The field names are still there, so a reader sees the password and token were sent.
    assert ev[1]["headers"]["Authorization"] == "Bearer ***"
    plain = json.loads(ev[1]["request_plaintext"])
    assert plain == {"enterpriseId": "E1", "cameraPassword": MASK, "nvrPassword": MASK, "cameraIp": "10.0.0.7"}
    assert json.loads(ev[0]["request_plaintext"])["apiSecret"] == MASK
    assert json.loads(ev[2]["stdout"])[0]["clientPrivateKey"] == MASK
    assert KEY_MASK in ev[3]["text"]
    assert "token=***&x=1" in ev[2]["stderr"]


def test_redact_by_key_name_case_insensitive_and_nested():
    src = {"a": [{"PASSWORD": "p1234567", "Access_Token": "t", "private_key": {"d": "x"}, "ok": "visible"}],
           "clientPrivateKey": "abc", "gateSecretCode": "g", "apiKey": "public-id", "publicKey": "MIIBIjANBg",
           "encryptedAesKey": "ciphertext", "nvrPwd": "n", "tokenExpiry": 7200, "password": ""}
    out = Redactor().redact(src)
    assert out["a"][0] == {"PASSWORD": MASK, "Access_Token": MASK, "private_key": MASK, "ok": "visible"}
    assert out["clientPrivateKey"] == out["gateSecretCode"] == out["nvrPwd"] == MASK
    # Identifiers, public keys and ciphertext are evidence, not secrets.
    assert out["apiKey"] == "public-id" and out["publicKey"] == "MIIBIjANBg" and out["encryptedAesKey"] == "ciphertext"
    assert out["tokenExpiry"] == 7200 and out["password"] == ""
    assert src["a"][0]["PASSWORD"] == "p1234567", "the input must not be modified"


def test_registered_and_harvested_values_masked_everywhere():
    r = Redactor(["s3cr3t-value"])
    r.add("")  # ignored, not "mask every empty string"
    out = r.redact({"msg": "got s3cr3t-value twice: s3cr3t-value",
                    "body": {"apiSecret": "harvested-secret-123"},
                    "log": "client sent harvested-secret-123 again"})
    assert out["msg"] == "got *** twice: ***"
    assert out["log"] == "client sent *** again"


def test_authorization_header_keeps_scheme_and_bearer_in_text():
    out = Redactor().redact({"headers": {"authorization": "Bearer abc.def.ghi"},
                             "message": "sent Authorization: Bearer eyJhbGciOi.xyz but token expired"})
    assert out["headers"]["authorization"] == "Bearer ***"
    assert out["message"] == "sent Authorization: Bearer *** but token expired"


@pytest.mark.parametrize("make", [
    lambda: rsa.generate_private_key(public_exponent=65537, key_size=1024),
    lambda: ec.generate_private_key(ec.SECP256R1()),
    lambda: ed25519.Ed25519PrivateKey.generate(),
])
def test_pem_and_bare_der_private_keys(make):
    key = make()
    out = Redactor().redact({"a": "before " + _pem(key).strip() + " after", "b": "k=" + _der_b64(key)})
    assert out["a"] == f"before {KEY_MASK} after"
    assert out["b"] == f"k={KEY_MASK}"


def test_bare_pkcs1_rsa_key_and_public_key_left_alone(rsa_key):
    pkcs1 = _der_b64(rsa_key, serialization.PrivateFormat.TraditionalOpenSSL)
    pub = base64.b64encode(rsa_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    out = Redactor().redact({"note": f"pri {pkcs1}", "server": f"pub {pub}"})
    assert out["note"] == f"pri {KEY_MASK}"
    assert out["server"] == f"pub {pub}"


def test_text_patterns_query_matrix_cli_and_broken_json():
    out = Redactor().redact({
        "url": "/restapi/detecting/put_data;token=abc123?access_token=zz&page=2",
        "cmd": "adapter --api-secret xyz --port 80 --password=pw1",
        "truncated": '{"username": "u", "password": "hunter22", "n": 1',
        "escaped": '"{\\"pwd\\":\\"abcdef\\",\\"organ\\":\\"4101\\"}',
    })
    assert out["url"] == "/restapi/detecting/put_data;token=***?access_token=***&page=2"
    assert out["cmd"] == "adapter --api-secret *** --port 80 --password=***"
    assert out["truncated"] == '{"username": "u", "password": "***", "n": 1'
    assert "abcdef" not in out["escaped"] and "4101" in out["escaped"]


def test_json_text_left_byte_identical_when_clean():
    body = '{ "b": 1,  "a": [1, 2] }'
    assert Redactor().redact({"request_body": body})["request_body"] == body


def test_is_secret_key_names():
    for name in ("apiSecret", "token", "access_token", "accessToken", "password", "cameraPassword",
                 "nvrPassword", "privateKey", "private_key", "secret", "clientPrivateKey", "X-Auth-Token", "pwd",
                 "companySecretCode", "Authorization", "Cookie"):
        assert is_secret_key(name), name
    for name in ("apiKey", "publicKey", "encryptedAesKey", "signature", "tokenExpiry", "expireTime", "key_id"):
        assert not is_secret_key(name), name


def test_large_blobs_are_linear_time():
    import time
    blob = "ab12" * 500_000  # 2 MB of hex ciphertext, no separators
    image = "data:image/jpeg;base64," + base64.b64encode(bytes(range(256)) * 6000).decode()
    start = time.perf_counter()
    out = Redactor(["needle-secret"]).redact({"hex": blob, "img": image, "body": json.dumps({"carHeadImg": image})})
    assert time.perf_counter() - start < 5
    assert out["hex"] == blob and out["img"] == image

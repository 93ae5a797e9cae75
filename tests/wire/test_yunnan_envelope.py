"""The Yunnan hybrid envelope codec (yunnan §4.3, §5): vectors, round trips, each signed-bytes reading, every finding."""
from __future__ import annotations

import base64
import json

import pytest

from harness import crypto, specdata
from schemas.yunnan import envelope

PLATFORM = crypto.generate_rsa(2048)
CLIENT = crypto.generate_rsa(2048)
OTHER = crypto.generate_rsa(2048)
ALL_READINGS = [(r, e) for r in envelope.SIGNED_RANGES for e in envelope.SIGNED_ENCODINGS]
DEFAULT = envelope.default_reading(specdata.profile("yunnan"))


def test_readings_are_the_profile_switches():
    """Every profile's switch values are readings the codec computes; the default is the register's default."""
    for name in specdata.profile_names("yunnan"):
        p = specdata.profile("yunnan", name)
        assert p["signature_range"] in envelope.SIGNED_RANGES
        assert p["signature_encoding"] in envelope.SIGNED_ENCODINGS
    assert DEFAULT == ("key+content", "raw")
    assert envelope.readings(specdata.profile("yunnan")) == [DEFAULT] + [r for r in ALL_READINGS if r != DEFAULT]
    assert envelope.readings(specdata.profile("yunnan", "strict")) == [DEFAULT]
    assert len(envelope.readings(specdata.profile("yunnan", "strict"), accepted_only=False)) == 4
    assert envelope.readings(specdata.profile("yunnan", "sign-content"))[0] == ("content", "raw")


def test_reading_errata_come_from_the_register():
    assert envelope.reading_errata(("content", "raw"), DEFAULT) == "E-YN-04"
    assert envelope.reading_errata(("content", "base64"), DEFAULT) == "E-YN-04"
    assert envelope.reading_errata(("key+content", "base64"), DEFAULT) == "E-YN-05"


def test_signed_bytes_vectors():
    k, c = b"\x01\x02", b"\xff"
    assert envelope.signed_bytes(k, c, ("key+content", "raw")) == b"\x01\x02\xff"
    assert envelope.signed_bytes(k, c, ("content", "raw")) == b"\xff"
    assert envelope.signed_bytes(k, c, ("key+content", "base64")) == b"AQI=/w=="
    assert envelope.signed_bytes(k, c, ("content", "base64")) == b"/w=="
    with pytest.raises(ValueError):
        envelope.signed_bytes(k, c, ("key", "raw"))
    with pytest.raises(ValueError):
        envelope.signed_bytes(k, c, ("content", "hex"))


def test_sealed_request_vector():
    """Fixed key and plaintext: the content is plain AES-256/ECB/PKCS5 and the signature SHA256withRSA over key||content."""
    key = bytes(range(32))
    plain = '{"enterpriseId":"530100000000000001"}'.encode()
    body = envelope.seal_request(plain, PLATFORM.public_key(), CLIENT, aes_key=key).body
    assert list(body) == list(envelope.FIELDS)
    enc_key, enc_content, sig = (base64.b64decode(body[f]) for f in ("encryptedAesKey", "encryptedContent", "signature"))
    assert enc_content == crypto.aes_ecb_encrypt(key, plain) and len(enc_content) == 48
    assert len(enc_key) == 256 and crypto.rsa_decrypt(PLATFORM, enc_key) == key
    assert crypto.verify(CLIENT.public_key(), sig, enc_key + enc_content)


@pytest.mark.parametrize("reading", ALL_READINGS)
def test_round_trip_under_each_reading(reading):
    plain = json.dumps({"enterpriseId": "X", "名称": "云南"}, ensure_ascii=False).encode()
    sealed = envelope.seal_request(plain, PLATFORM.public_key(), CLIENT, reading=reading)
    opened = envelope.open_request(sealed.body, PLATFORM, CLIENT.public_key(), ALL_READINGS)
    assert opened.ok and opened.plaintext == plain and opened.aes_key == sealed.aes_key
    assert opened.reading == reading and opened.obj == {"enterpriseId": "X", "名称": "云南"}


def test_default_reading_is_tried_first():
    sealed = envelope.seal_request(b"{}", PLATFORM.public_key(), CLIENT)
    assert envelope.open_request(sealed.body, PLATFORM, CLIENT.public_key(), ALL_READINGS).reading == DEFAULT


def _failure(body, readings=ALL_READINGS):
    opened = envelope.open_request(body, PLATFORM, CLIENT.public_key(), readings)
    assert not opened.ok and len(opened.findings) == 1  # a platform refuses at the first finding
    return opened.failure.aspect, opened.failure.reason


GOOD = envelope.seal_request(b'{"a":1}', PLATFORM.public_key(), CLIENT).body


@pytest.mark.parametrize("body,expected", [
    ([], ("shape", "malformed")),
    ({k: v for k, v in GOOD.items() if k != "signature"}, ("shape", "malformed")),
    ({**GOOD, "encryptedAesKey": ""}, ("shape", "malformed")),
    ({**GOOD, "encryptedContent": "***"}, ("shape", "base64")),
    ({**GOOD, "encryptedContent": GOOD["encryptedContent"] + "="}, ("shape", "base64")),  # extra padding, as Java refuses
    ({**GOOD, "encryptedContent": GOOD["signature"]}, ("signature", "signature")),
    (envelope.seal_request(b"{}", PLATFORM.public_key(), OTHER).body, ("signature", "signature")),
    (envelope.seal_request(b"{}", OTHER.public_key(), CLIENT).body, ("rsa", "aes_key")),
    (envelope.seal_request(b"{}", PLATFORM.public_key(), CLIENT, aes_key=b"k" * 16).body, ("aes256", "aes_key_size")),
    (envelope.seal_request(b"\xff{", PLATFORM.public_key(), CLIENT).body, ("plaintext", "plaintext_json")),
    (envelope.seal_request(b"[1]", PLATFORM.public_key(), CLIENT).body, ("plaintext", "plaintext_json")),
])
def test_refusals_have_stable_reasons(body, expected):
    assert _failure(body) == expected


def test_a_reading_not_accepted_is_a_signature_failure():
    body = envelope.seal_request(b"{}", PLATFORM.public_key(), CLIENT, reading=("content", "raw")).body
    assert _failure(body, [DEFAULT]) == ("signature", "signature")


def test_content_that_does_not_decrypt():
    key = b"k" * 32
    sealed = envelope.seal_request(b"{}", PLATFORM.public_key(), CLIENT, aes_key=key).body
    enc_key = base64.b64decode(sealed["encryptedAesKey"])
    bad_content = crypto.aes_ecb_encrypt(key, b"{}") + b"\x00"  # not a whole number of AES blocks
    body = {"signature": crypto.b64(crypto.sign(CLIENT, enc_key + bad_content)),
            "encryptedAesKey": sealed["encryptedAesKey"], "encryptedContent": crypto.b64(bad_content)}
    assert _failure(body) == ("content", "content")


def test_thorough_judges_every_aspect_it_can():
    """A bad signature AND a short key: a platform stops at the first, the analysis reports both and decrypts on."""
    body = envelope.seal_request(b'{"a":1}', PLATFORM.public_key(), OTHER, aes_key=b"k" * 16).body
    quick = envelope.open_request(body, PLATFORM, CLIENT.public_key(), ALL_READINGS)
    assert [f.aspect for f in quick.findings] == ["signature"]
    full = envelope.open_request(body, PLATFORM, CLIENT.public_key(), ALL_READINGS, thorough=True)
    assert [f.aspect for f in full.findings] == ["signature", "aes256"]
    assert full.obj == {"a": 1}
    assert {a for a, fs in full.by_aspect().items() if fs} == {"signature", "aes256"}


def test_response_round_trip_and_refusals():
    key_b64, data_b64 = envelope.seal_response('{"token":"t"}'.encode(), CLIENT.public_key())
    opened = envelope.open_response(key_b64, data_b64, CLIENT)
    assert opened.ok and opened.obj == {"token": "t"}
    assert envelope.open_response(key_b64, data_b64, PLATFORM).failure.reason == "aes_key"
    assert envelope.open_response("***", data_b64, CLIENT).failure.reason == "base64"
    short_key, data = envelope.seal_response(b"{}", CLIENT.public_key(), aes_key=b"k" * 16)
    assert envelope.open_response(short_key, data, CLIENT).failure.reason == "aes_key_size"
    k, not_json = envelope.seal_response(b"<html>", CLIENT.public_key())
    bad = envelope.open_response(k, not_json, CLIENT).failure
    assert bad.reason == "plaintext_json" and "not UTF-8 JSON" in bad.message


def test_peek_decrypts_without_knowing_the_sender():
    body = envelope.seal_request(b'{"apiKey":"YN_1"}', PLATFORM.public_key(), OTHER).body
    assert envelope.peek_request(body, PLATFORM).obj == {"apiKey": "YN_1"}
    assert envelope.peek_request(body, OTHER).failure.reason == "aes_key"
    assert envelope.peek_request({"signature": "x"}, PLATFORM).failure.reason == "malformed"

"""The hybrid envelope (yunnan §4.3, §5): round trips, each signed-range reading, and every refusal reason."""
from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization

from harness import crypto

PLATFORM = crypto.generate_rsa(2048)
CLIENT = crypto.generate_rsa(2048)
ALL_READINGS = [(r, e) for r in crypto.SIGNED_RANGES for e in crypto.SIGNED_ENCODINGS]


def test_key_encodings_are_javas_get_encoded():
    """X.509 SPKI and PKCS#8 DER, Base64: what Java's getEncoded() + Base64.getEncoder() give."""
    pub = base64.b64decode(crypto.public_b64(CLIENT))
    priv = base64.b64decode(crypto.private_b64(CLIENT))
    assert pub[:2] == b"\x30\x82" and b"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01" in pub  # rsaEncryption OID
    assert serialization.load_der_private_key(priv, None).private_numbers() == CLIENT.private_numbers()
    assert crypto.load_public(crypto.public_b64(CLIENT)).public_numbers() == CLIENT.public_key().public_numbers()


@pytest.mark.parametrize("rng,enc", ALL_READINGS)
def test_round_trip_under_each_reading(rng, enc):
    plain = json.dumps({"enterpriseId": "X", "名称": "云南"}, ensure_ascii=False).encode()
    sealed = crypto.seal_request(plain, PLATFORM.public_key(), CLIENT, rng=rng, encoding=enc)
    opened = crypto.open_request(sealed.body, PLATFORM, CLIENT.public_key(), ALL_READINGS)
    assert opened.plaintext == plain and opened.aes_key == sealed.aes_key
    assert opened.signature_reading == (rng, enc)


def test_default_reading_is_tried_first():
    sealed = crypto.seal_request(b"{}", PLATFORM.public_key(), CLIENT)
    assert crypto.open_request(sealed.body, PLATFORM, CLIENT.public_key(), ALL_READINGS).signature_reading == ("key+content", "raw")


def _reason(body, readings=ALL_READINGS):
    with pytest.raises(crypto.EnvelopeError) as info:
        crypto.open_request(body, PLATFORM, CLIENT.public_key(), readings)
    return info.value.reason


def test_refusals_have_stable_reasons():
    good = crypto.seal_request(b'{"a":1}', PLATFORM.public_key(), CLIENT).body
    assert _reason([]) == "malformed"
    assert _reason({k: v for k, v in good.items() if k != "signature"}) == "malformed"
    assert _reason({**good, "encryptedContent": "***"}) == "base64"
    tampered = base64.b64decode(good["encryptedContent"])
    assert _reason({**good, "encryptedContent": crypto.b64(bytes([tampered[0] ^ 1]) + tampered[1:])}) == "signature"
    other = crypto.generate_rsa(2048)
    assert _reason(crypto.seal_request(b"{}", PLATFORM.public_key(), other).body) == "signature"
    assert _reason(crypto.seal_request(b"{}", other.public_key(), CLIENT).body) == "aes_key"
    assert _reason(crypto.seal_request(b"{}", PLATFORM.public_key(), CLIENT, aes_key=b"k" * 16).body) == "aes_key_size"
    only_default = [("key+content", "raw")]
    assert _reason(crypto.seal_request(b"{}", PLATFORM.public_key(), CLIENT, rng="content").body, only_default) == "signature"


def test_response_round_trip():
    key_b64, data_b64 = crypto.seal_response('{"token":"t"}'.encode(), CLIENT.public_key())
    assert json.loads(crypto.open_response(key_b64, data_b64, CLIENT)) == {"token": "t"}
    with pytest.raises(crypto.EnvelopeError):
        crypto.open_response(key_b64, data_b64, PLATFORM)


def test_strict_base64():
    with pytest.raises(ValueError):
        crypto.b64decode("abc")  # bad padding, as Java's decoder refuses
    assert crypto.b64decode("YWJj") == b"abc"

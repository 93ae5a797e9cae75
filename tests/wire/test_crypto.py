"""Spec-neutral primitives in Java's encodings: keys, AES-ECB, RSA PKCS#1 v1.5, SHA256withRSA, strict Base64."""
from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization

from harness import crypto

KEY = crypto.generate_rsa(2048)
OTHER = crypto.generate_rsa(2048)


def test_key_encodings_are_javas_get_encoded():
    """X.509 SPKI and PKCS#8 DER, Base64: what Java's getEncoded() + Base64.getEncoder() give."""
    pub = base64.b64decode(crypto.public_b64(KEY))
    priv = base64.b64decode(crypto.private_b64(KEY))
    assert pub[:2] == b"\x30\x82" and b"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01" in pub  # rsaEncryption OID
    assert serialization.load_der_private_key(priv, None).private_numbers() == KEY.private_numbers()
    assert crypto.load_public(crypto.public_b64(KEY)).public_numbers() == KEY.public_key().public_numbers()
    assert crypto.load_private(crypto.private_b64(KEY)).private_numbers() == KEY.private_numbers()


def test_aes_ecb_pkcs5_round_trip_and_refusals():
    key = bytes(range(32))
    for plain in (b"", b"x" * 15, b"x" * 16, "云南".encode()):
        ct = crypto.aes_ecb_encrypt(key, plain)
        assert len(ct) % 16 == 0 and len(ct) > len(plain)
        assert crypto.aes_ecb_decrypt(key, ct) == plain
    # NIST SP 800-38A F.1.5 (ECB-AES256.Encrypt), first block: the cipher is plain AES-256 in ECB mode.
    nist_key = bytes.fromhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
    block = crypto.aes_ecb_encrypt(nist_key, bytes.fromhex("6bc1bee22e409f96e93d7e117393172a"))[:16]
    assert block.hex() == "f3eed1bdb5d2a03c064b5a7e3db181f8"
    with pytest.raises(ValueError):
        crypto.aes_ecb_decrypt(key, b"x" * 15)
    with pytest.raises(ValueError):
        crypto.aes_ecb_decrypt(key, b"")


def test_rsa_pkcs1_and_padding_diagnosis():
    ct = crypto.rsa_encrypt(KEY.public_key(), b"k" * 32)
    assert crypto.rsa_decrypt(KEY, ct) == b"k" * 32
    assert crypto.rsa_padding_ok(KEY, ct)
    wrong = crypto.rsa_encrypt(OTHER.public_key(), b"k" * 32)
    assert not crypto.rsa_padding_ok(KEY, wrong)  # OpenSSL may still "decrypt" it (implicit rejection)
    assert not crypto.rsa_padding_ok(KEY, ct[:-1])


def test_sha256withrsa():
    sig = crypto.sign(KEY, b"data")
    assert len(sig) == 256
    assert crypto.verify(KEY.public_key(), sig, b"data")
    assert not crypto.verify(KEY.public_key(), sig, b"datb")
    assert not crypto.verify(OTHER.public_key(), sig, b"data")


@pytest.mark.parametrize("text,plain", [("YWJj", b"abc"), ("YWI=", b"ab"), ("YQ==", b"a"), ("", b"")])
def test_base64_accepts_what_java_accepts(text, plain):
    assert crypto.b64decode(text) == plain
    assert crypto.b64(plain) == text


@pytest.mark.parametrize("text,why", [
    ("abc", "Incorrect padding"),
    ("YWJj=", "1 '=' after 4 characters, which take 0"),
    ("YWI==", "Excess data after padding"),
    ("AAAA===", "3 '=' after 4 characters, which take 0"),
    ("AAAA====", "4 '=' after 4 characters, which take 0"),
    ("YW=I", "invalid Base64"),
    ("YW*j", "invalid Base64"),
    ("云南", "non-ASCII"),
])
def test_base64_refuses_what_java_refuses_with_a_reason(text, why):
    """Java's Base64.getDecoder() refuses these; Python's decoder would take the surplus '=' silently."""
    with pytest.raises(ValueError, match="invalid Base64") as info:
        crypto.b64decode(text)
    assert why in str(info.value)

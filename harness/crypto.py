"""Hybrid RSA + AES envelopes with SHA256withRSA signatures, in the encodings Java's JCE produces.

Spec-agnostic: yunnan §4.3/§5 is the first user. Keys travel as Base64 of Java's `getEncoded()`:
X.509 SubjectPublicKeyInfo (public) and PKCS#8 (private). AES is AES/ECB/PKCS5Padding, RSA is
RSA/ECB/PKCS1Padding (PKCS#1 v1.5), signatures SHA256withRSA (PKCS#1 v1.5 + SHA-256).
"""
from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PKCS1 = asym_padding.PKCS1v15()


class EnvelopeError(Exception):
    """A request or answer envelope that cannot be opened; `reason` is a stable code."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


# ---- keys -------------------------------------------------------------------------------------

def generate_rsa(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def public_b64(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> str:
    """Base64 of the X.509 SubjectPublicKeyInfo DER, as Java's PublicKey.getEncoded()."""
    pub = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    der = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def private_b64(key: rsa.RSAPrivateKey) -> str:
    """Base64 of the PKCS#8 DER, as Java's PrivateKey.getEncoded()."""
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return base64.b64encode(der).decode()


@lru_cache(maxsize=1024)
def load_public(b64: str) -> rsa.RSAPublicKey:
    """Load an X.509 SPKI public key from Base64 (PEM armour tolerated); cached: it is on the hot path."""
    text = b64.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
    else:
        key = serialization.load_der_public_key(b64decode(text))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


@lru_cache(maxsize=64)
def load_private(b64: str) -> rsa.RSAPrivateKey:
    text = b64.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), None)
    else:
        key = serialization.load_der_private_key(b64decode(text), None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


# ---- primitives ---------------------------------------------------------------------------------

def b64decode(text: str | bytes) -> bytes:
    """Strict Base64 (Java's Base64.getDecoder()): wrong alphabet or padding raises ValueError."""
    if isinstance(text, str):
        text = text.encode("ascii", errors="strict")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"invalid Base64: {exc}") from None


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def aes_ecb_encrypt(key: bytes, plaintext: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    data = padder.update(plaintext) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(data) + enc.finalize()


def aes_ecb_decrypt(key: bytes, ciphertext: bytes) -> bytes:
    if len(ciphertext) == 0 or len(ciphertext) % 16:
        raise ValueError(f"ciphertext length {len(ciphertext)} is not a positive multiple of 16")
    dec = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    data = dec.update(ciphertext) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(data) + unpadder.finalize()


def rsa_encrypt(pub: rsa.RSAPublicKey, data: bytes) -> bytes:
    return pub.encrypt(data, PKCS1)


def rsa_decrypt(priv: rsa.RSAPrivateKey, data: bytes) -> bytes:
    """PKCS#1 v1.5 decrypt. OpenSSL 3 answers a wrong key with a synthetic message instead of an error
    (implicit rejection, against Bleichenbacher/Marvin), so use `rsa_padding_ok` to diagnose failures."""
    return priv.decrypt(data, PKCS1)


def rsa_padding_ok(priv: rsa.RSAPrivateKey, data: bytes) -> bool:
    """Whether `data` really is PKCS#1 v1.5 type-2 padded for this key (00 02 PS>=8 00 M).

    Slow pure-Python CRT exponentiation: used only to explain a failure, never on the accepting path."""
    nums = priv.private_numbers()
    n = nums.public_numbers.n
    k = (n.bit_length() + 7) // 8
    if len(data) != k:
        return False
    c = int.from_bytes(data, "big")
    if c >= n:
        return False
    m1, m2 = pow(c, nums.dmp1, nums.p), pow(c, nums.dmq1, nums.q)
    m = m2 + ((nums.iqmp * (m1 - m2)) % nums.p) * nums.q
    em = m.to_bytes(k, "big")
    sep = em.find(b"\x00", 2)
    return em[:2] == b"\x00\x02" and sep >= 10


def sign(priv: rsa.RSAPrivateKey, data: bytes) -> bytes:
    return priv.sign(data, PKCS1, hashes.SHA256())


def verify(pub: rsa.RSAPublicKey, signature: bytes, data: bytes) -> bool:
    try:
        pub.verify(signature, data, PKCS1, hashes.SHA256())
        return True
    except InvalidSignature:
        return False


# ---- envelopes ----------------------------------------------------------------------------------

SIGNED_RANGES = ("key+content", "content")
SIGNED_ENCODINGS = ("raw", "base64")


def signed_bytes(enc_key: bytes, enc_content: bytes, rng: str = "key+content", encoding: str = "raw") -> bytes:
    """The bytes a signature covers under one reading of the signed range (yunnan E-YN-04, E-YN-05)."""
    if encoding == "base64":
        enc_key, enc_content = b64(enc_key).encode(), b64(enc_content).encode()
    if rng == "key+content":
        return enc_key + enc_content
    if rng == "content":
        return enc_content
    raise ValueError(f"unknown signed range {rng!r}")


@dataclass
class Sealed:
    """An envelope as sent, with the session key kept for evidence and tests."""

    body: dict
    aes_key: bytes


def seal_request(
    plaintext: bytes,
    platform_pub: rsa.RSAPublicKey,
    client_priv: rsa.RSAPrivateKey,
    *,
    rng: str = "key+content",
    encoding: str = "raw",
    aes_key: bytes | None = None,
) -> Sealed:
    """Build {signature, encryptedAesKey, encryptedContent} exactly as yunnan §5.1 steps 3–7."""
    key = aes_key if aes_key is not None else os.urandom(32)
    enc_content = aes_ecb_encrypt(key, plaintext)
    enc_key = rsa_encrypt(platform_pub, key)
    sig = sign(client_priv, signed_bytes(enc_key, enc_content, rng, encoding))
    return Sealed({"signature": b64(sig), "encryptedAesKey": b64(enc_key), "encryptedContent": b64(enc_content)}, key)


@dataclass
class Opened:
    """A request envelope taken apart: plaintext plus which signature reading matched."""

    plaintext: bytes
    aes_key: bytes
    signature_reading: tuple[str, str] | None  # (range, encoding) that verified, None if none did


ENVELOPE_FIELDS = ("signature", "encryptedAesKey", "encryptedContent")


def parse_envelope(body: object) -> tuple[bytes, bytes, bytes]:
    """Check the envelope shape and decode its three Base64 members."""
    if not isinstance(body, dict):
        raise EnvelopeError("malformed", f"request body is {type(body).__name__}, spec requires a JSON object")
    missing = [f for f in ENVELOPE_FIELDS if not isinstance(body.get(f), str) or not body.get(f)]
    if missing:
        raise EnvelopeError("malformed", f"envelope lacks {', '.join(missing)} (non-empty strings required)")
    out = []
    for f in ENVELOPE_FIELDS:
        try:
            out.append(b64decode(body[f]))
        except ValueError as exc:
            raise EnvelopeError("base64", f"{f}: {exc}") from None
    sig, enc_key, enc_content = out
    return sig, enc_key, enc_content


def find_signature_reading(
    pub: rsa.RSAPublicKey, sig: bytes, enc_key: bytes, enc_content: bytes, order: list[tuple[str, str]]
) -> tuple[str, str] | None:
    """Try each reading of the signed bytes in order; the first that verifies wins."""
    for rng, encoding in order:
        if verify(pub, sig, signed_bytes(enc_key, enc_content, rng, encoding)):
            return rng, encoding
    return None


def open_request(
    body: object,
    platform_priv: rsa.RSAPrivateKey,
    client_pub: rsa.RSAPublicKey,
    readings: list[tuple[str, str]],
) -> Opened:
    """Verify then decrypt, in the order yunnan §5.1 step 8 gives; raises EnvelopeError with a reason."""
    sig, enc_key, enc_content = parse_envelope(body)
    reading = find_signature_reading(client_pub, sig, enc_key, enc_content, readings)
    if reading is None:
        raise EnvelopeError("signature", "signature does not verify with the enterprise public key under any accepted reading")
    bad_key = EnvelopeError("aes_key", "encryptedAesKey does not decrypt with the platform private key (RSA/ECB/PKCS1Padding)")
    try:
        key = rsa_decrypt(platform_priv, enc_key)
    except ValueError:
        raise bad_key from None
    try:
        if len(key) != 32:
            raise EnvelopeError("aes_key_size", f"AES session key is {len(key) * 8} bits, spec requires 256 (yunnan §5.2)")
        try:
            plaintext = aes_ecb_decrypt(key, enc_content)
        except ValueError as exc:
            raise EnvelopeError("content", f"encryptedContent does not decrypt (AES/ECB/PKCS5Padding): {exc}") from None
    except EnvelopeError:
        if not rsa_padding_ok(platform_priv, enc_key):  # the "key" was OpenSSL's implicit-rejection stand-in
            raise bad_key from None
        raise
    return Opened(plaintext, key, reading)


def seal_response(data: bytes, client_pub: rsa.RSAPublicKey, aes_key: bytes | None = None) -> tuple[str, str]:
    """Encrypt answer data with a fresh AES key, the key to the client's public key (yunnan §4.3, §6.1 note)."""
    key = aes_key if aes_key is not None else os.urandom(32)
    return b64(rsa_encrypt(client_pub, key)), b64(aes_ecb_encrypt(key, data))


def open_response(aes_key_b64: str, data_b64: str, client_priv: rsa.RSAPrivateKey) -> bytes:
    """Decrypt an answer's data as yunnan §5.1 step 10 shows."""
    try:
        key = rsa_decrypt(client_priv, b64decode(aes_key_b64))
    except ValueError as exc:
        raise EnvelopeError("aes_key", f"answer aesKey does not decrypt with the enterprise private key: {exc}") from None
    try:
        return aes_ecb_decrypt(key, b64decode(data_b64))
    except ValueError as exc:
        raise EnvelopeError("content", f"answer data does not decrypt: {exc}") from None

"""Cryptographic primitives in the encodings Java's JCE produces; a spec's envelope is built from these.

Keys travel as Base64 of Java's `getEncoded()`: X.509 SubjectPublicKeyInfo (public) and PKCS#8 (private).
AES is AES/ECB/PKCS5Padding, RSA is RSA/ECB/PKCS1Padding (PKCS#1 v1.5), signatures SHA256withRSA
(PKCS#1 v1.5 + SHA-256), Base64 decoded as strictly as Java's `Base64.getDecoder()`.
"""
from __future__ import annotations

import base64
import binascii
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PKCS1 = asym_padding.PKCS1v15()


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
    """Strict Base64 as Java's Base64.getDecoder(): wrong alphabet, missing or extra padding raise ValueError."""
    if isinstance(text, str):
        try:
            text = text.encode("ascii", errors="strict")
        except UnicodeEncodeError:
            raise ValueError("invalid Base64: non-ASCII character") from None
    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"invalid Base64: {exc}") from None
    core = text.rstrip(b"=")
    pad, need = len(text) - len(core), -len(core) % 4
    if pad != need:  # Python tolerates surplus '='; Java refuses it
        raise ValueError(f"invalid Base64: {pad} '=' after {len(core)} characters, which take {need}")
    return data


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

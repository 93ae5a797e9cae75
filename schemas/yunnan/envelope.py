"""The Yunnan hybrid envelope (yunnan §4.3, §5) as a sans-I/O codec: the one place it is built and taken apart.

Bytes and dicts in, results with findings out: no sockets, no check registry. The mock opens requests and
seals answers with it, the client-role checks analyse what reached the mock with it, the uploader (server
role) and the reference client seal requests and open answers with it.

Request (§5.1 steps 3-7): {signature, encryptedAesKey, encryptedContent}, each Base64; the content is the UTF-8
JSON plaintext under AES-256/ECB/PKCS5Padding, the AES key is RSA/ECB/PKCS1Padding-encrypted to the platform
key, the signature SHA256withRSA with the enterprise key over the bytes one reading of the signed range names
(E-YN-04: key+content or content; E-YN-05: raw bytes or their Base64 text). Answer (§4.3, §5.1 step 10):
{code, message, aesKey, data}, the data encrypted the same way to the enterprise key.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from harness import crypto, specdata

SPEC = "yunnan"
FIELDS = ("signature", "encryptedAesKey", "encryptedContent")  # §4.3, in this order in every result
KEY_BYTES = 32  # §5.2: AES-256

# Each reading of the signed bytes the codec can compute, per errata switch (values of profiles.toml).
SIGNED_RANGES = ("key+content", "content")   # switch signature_range
SIGNED_ENCODINGS = ("raw", "base64")         # switch signature_encoding
RANGE_SWITCH, ENCODING_SWITCH = "signature_range", "signature_encoding"

Reading = tuple[str, str]  # (range, encoding)


# ---- readings of the signed bytes (E-YN-04, E-YN-05) ---------------------------------------------

def signed_bytes(enc_key: bytes, enc_content: bytes, reading: Reading) -> bytes:
    """The bytes a signature covers under one reading."""
    rng, encoding = reading
    if encoding not in SIGNED_ENCODINGS:
        raise ValueError(f"unknown signed encoding {encoding!r}")
    if encoding == "base64":
        enc_key, enc_content = crypto.b64(enc_key).encode(), crypto.b64(enc_content).encode()
    if rng == "key+content":
        return enc_key + enc_content
    if rng == "content":
        return enc_content
    raise ValueError(f"unknown signed range {rng!r}")


def default_reading(profile: dict) -> Reading:
    return (profile[RANGE_SWITCH], profile[ENCODING_SWITCH])


def readings(profile: dict, *, accepted_only: bool = True) -> list[Reading]:
    """The profile's reading first, then every other one; a strict profile accepts its own alone."""
    first = default_reading(profile)
    rest = [(r, e) for r in SIGNED_RANGES for e in SIGNED_ENCODINGS if (r, e) != first]
    return [first] + ([] if accepted_only and profile.get("strict") else rest)


def reading_errata(reading: Reading, default: Reading) -> str:
    """The errata entry that documents `reading` as an alternative to `default` (found by its switch)."""
    switch = RANGE_SWITCH if reading[0] != default[0] else ENCODING_SWITCH
    return next(eid for eid, e in specdata.errata(SPEC).items() if e.get("switch") == switch)


# ---- results -------------------------------------------------------------------------------------------

ASPECTS = ("shape", "signature", "rsa", "aes256", "content", "plaintext")


@dataclass
class Finding:
    """One thing wrong with an envelope: the aspect it concerns, a stable reason code, a message."""

    aspect: str
    reason: str
    message: str


@dataclass
class Opened:
    """An envelope taken apart; `findings` is empty when everything held."""

    plaintext: bytes | None = None
    obj: Any = None                      # the plaintext parsed as JSON, when it parses
    aes_key: bytes | None = None
    reading: Reading | None = None       # the signed-bytes reading that verified (requests only)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def failure(self) -> Finding | None:
        """The first finding, in the order the spec takes an envelope apart."""
        return self.findings[0] if self.findings else None

    def by_aspect(self) -> dict[str, list[Finding]]:
        out: dict[str, list[Finding]] = {a: [] for a in ASPECTS}
        for f in self.findings:
            out[f.aspect].append(f)
        return out


@dataclass
class Sealed:
    """An envelope as sent, with the session key kept for evidence and tests."""

    body: dict
    aes_key: bytes


# ---- requests --------------------------------------------------------------------------------------------

def seal_request(plaintext: bytes, platform_pub, client_priv, *, reading: Reading | None = None,
                 aes_key: bytes | None = None) -> Sealed:
    """§5.1 steps 3-7: encrypt the content, encrypt the key, sign under `reading` (the default profile's)."""
    reading = reading or default_reading(specdata.profile(SPEC))
    key = aes_key if aes_key is not None else os.urandom(KEY_BYTES)
    enc_content = crypto.aes_ecb_encrypt(key, plaintext)
    enc_key = crypto.rsa_encrypt(platform_pub, key)
    sig = crypto.sign(client_priv, signed_bytes(enc_key, enc_content, reading))
    values = {"signature": sig, "encryptedAesKey": enc_key, "encryptedContent": enc_content}
    return Sealed({f: crypto.b64(values[f]) for f in FIELDS}, key)


def parse_request(body: object) -> tuple[tuple[bytes, bytes, bytes] | None, Finding | None]:
    """The envelope's shape and its three Base64 members decoded: (signature, key, content) or a finding."""
    if not isinstance(body, dict):
        return None, Finding("shape", "malformed", f"request body is {type(body).__name__}, spec requires a JSON object")
    missing = [f for f in FIELDS if not isinstance(body.get(f), str) or not body.get(f)]
    if missing:
        return None, Finding("shape", "malformed", f"envelope lacks {', '.join(missing)} (non-empty strings required)")
    out = []
    for f in FIELDS:
        try:
            out.append(crypto.b64decode(body[f]))
        except ValueError as exc:
            return None, Finding("shape", "base64", f"{f}: {exc}")
    return (out[0], out[1], out[2]), None


def open_request(body: object, platform_priv, client_pub, accepted: list[Reading], *,
                 thorough: bool = False) -> Opened:
    """§5.1 step 8: verify under the first accepted reading that holds, then decrypt, then parse the JSON.

    Stops at the first finding (a platform refuses there) unless `thorough`, which judges every aspect that
    can still be judged (the client-role analysis)."""
    res = Opened()
    parts, bad = parse_request(body)
    if bad:
        res.findings.append(bad)
        return res
    sig, enc_key, enc_content = parts
    res.reading = next((r for r in accepted if crypto.verify(client_pub, sig, signed_bytes(enc_key, enc_content, r))), None)
    if res.reading is None:
        res.findings.append(Finding("signature", "signature", "signature does not verify with the enterprise public key "
                                    "under any accepted reading"))
        if not thorough:
            return res
    _decrypt(res, platform_priv, enc_key, enc_content, thorough, "request")
    return res


def peek_request(body: object, platform_priv) -> Opened:
    """Decrypt without verifying: for finding out who sent it (E-YN-13 names the enterprise only inside)."""
    res = Opened()
    parts, bad = parse_request(body)
    if bad:
        res.findings.append(bad)
        return res
    _decrypt(res, platform_priv, parts[1], parts[2], False, "request")
    return res


# ---- answers ------------------------------------------------------------------------------------------------

def seal_response(data: bytes, client_pub, aes_key: bytes | None = None) -> tuple[str, str]:
    """An answer's (aesKey, data): a fresh AES key encrypted to the enterprise key (§4.3, §6.1 note)."""
    key = aes_key if aes_key is not None else os.urandom(KEY_BYTES)
    return crypto.b64(crypto.rsa_encrypt(client_pub, key)), crypto.b64(crypto.aes_ecb_encrypt(key, data))


def open_response(aes_key_b64: object, data_b64: object, client_priv) -> Opened:
    """§5.1 step 10: an answer's data decrypted with the enterprise private key and parsed as JSON."""
    res = Opened()
    try:
        enc_key, blob = crypto.b64decode(str(aes_key_b64)), crypto.b64decode(str(data_b64))
    except ValueError as exc:
        res.findings.append(Finding("shape", "base64", f"aesKey or data is not Base64: {exc}"))
        return res
    _decrypt(res, client_priv, enc_key, blob, False, "answer")
    return res


# ---- the shared half: key, content, plaintext ------------------------------------------------------------

_TEXT = {
    "request": {
        "aes_key": "encryptedAesKey does not decrypt with the platform private key (RSA/ECB/PKCS1Padding)",
        "aes_key_size": "AES session key is {bits} bits, spec requires 256 (yunnan §5.2)",
        "content": "encryptedContent does not decrypt (AES/ECB/PKCS5Padding): {exc}",
        "plaintext_json": "plaintext is not UTF-8 JSON: {exc}",
        "not_object": "plaintext is a JSON {kind}, spec requires an object",
    },
    "answer": {
        "aes_key": "aesKey does not decrypt with the enterprise private key (RSA/ECB/PKCS1Padding)",
        "aes_key_size": "aesKey holds a {bits}-bit key, spec requires AES-256 (§5.2)",
        "content": "data does not decrypt under AES/ECB/PKCS5Padding: {exc}",
        "plaintext_json": "decrypted data is not UTF-8 JSON: {exc}",
    },
}


def _decrypt(res: Opened, priv, enc_key: bytes, enc_content: bytes, thorough: bool, side: str) -> None:
    """RSA-decrypt the key, check its size, AES-decrypt, parse the UTF-8 JSON; findings in that order.

    OpenSSL answers a key encrypted to another key with a random stand-in rather than an error (implicit
    rejection), so whenever a later step fails the PKCS#1 padding is checked (slowly) to name the real cause."""
    text = _TEXT[side]
    wrong_key = Finding("rsa", "aes_key", text["aes_key"])
    try:
        key = crypto.rsa_decrypt(priv, enc_key)
    except ValueError:
        res.findings.append(wrong_key)
        return
    later: list[Finding] = []
    if len(key) != KEY_BYTES:
        later.append(Finding("aes256", "aes_key_size", text["aes_key_size"].format(bits=len(key) * 8)))
    plaintext = None
    if not later or thorough:
        try:
            plaintext = crypto.aes_ecb_decrypt(key, enc_content)
        except ValueError as exc:
            later.append(Finding("content", "content", text["content"].format(exc=exc)))
    if plaintext is not None:
        try:
            res.obj = json.loads(plaintext.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: nested beyond parsing
            later.append(Finding("plaintext", "plaintext_json", text["plaintext_json"].format(exc=exc)))
        else:
            if "not_object" in text and not isinstance(res.obj, dict):
                later.append(Finding("plaintext", "plaintext_json", text["not_object"].format(kind=type(res.obj).__name__)))
    if later and not crypto.rsa_padding_ok(priv, enc_key):
        res.obj = None
        res.findings.append(wrong_key)
        return
    res.aes_key, res.plaintext = key, plaintext
    res.findings.extend(later)

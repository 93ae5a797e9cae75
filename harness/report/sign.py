"""Ed25519 signing of the report model: key handling, canonical form, sign and check."""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "Ed25519"
# RFC 8785 JSON Canonicalization Scheme: anyone can check a report without vconform (any JCS library plus
# any Ed25519 verifier). Reports of vconform 0.1 used sorted compact UTF-8 JSON; they still verify.
CANONICALIZATION = "RFC8785"
LEGACY_CANONICALIZATION = "json-sorted-compact-utf8"
# Reports now sign a digest of the canonical bytes, streamed through the hash a member and an
# array element at a time, so signing holds one exchange's text, not the report's (Ed25519 itself needs the whole
# message at once, and `cryptography` offers no Ed25519ph). The signature member says so with `prehash`; one
# without it signed the canonical bytes themselves, and still verifies.
PREHASH = "SHA-512/256"
_HASHLIB_NAME = {PREHASH: "sha512_256"}
KEY_FILE = "signing-key.pem"
SAFE_INTEGER = 2**53 - 1  # RFC 8785 §3.2.2.3: integers beyond IEEE 754 double precision are not canonical


class SigningKeyError(ValueError):
    """A signing or expected public key that cannot be used (missing, unreadable, encrypted, not Ed25519)."""


def home_dir() -> Path:
    """Where vconform keeps per-user state: $VCONFORM_HOME, else ~/.vconform."""
    env = os.environ.get("VCONFORM_HOME")
    return Path(env).expanduser() if env else Path.home() / ".vconform"


def load_or_create_key(path: str | os.PathLike | None) -> tuple[Ed25519PrivateKey, Path]:
    """The signing key: the PEM at `path` when given, else the per-user key, generated on first use."""
    if path is not None:
        key_path = Path(path).expanduser()
        if not key_path.is_file():
            # A named key that is missing is a mistake to report, not a reason to mint a new identity.
            raise SigningKeyError(f"signing key {key_path} not found")
        return _load_private(key_path), key_path
    home = home_dir()
    key_path = home / KEY_FILE
    if key_path.is_file():
        return _load_private(key_path), key_path
    if not home.exists():
        home.mkdir(parents=True, mode=0o700)
        os.chmod(home, 0o700)  # mkdir's mode is filtered by the umask
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Write 0600 from the first byte, then link into place: two first runs at once must not both win.
    tmp = home / f".{KEY_FILE}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        try:
            os.link(tmp, key_path)
        except FileExistsError:
            return _load_private(key_path), key_path
    finally:
        tmp.unlink(missing_ok=True)
    return key, key_path


def _load_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"signing key {path} is not an unencrypted PKCS#8 PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"signing key {path} is a {type(key).__name__}, expected an Ed25519 key")
    return key


def public_raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of the public half."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(raw_public: bytes) -> str:
    """A short, stable name for a public key: the first 16 hex chars of its SHA-256."""
    return hashlib.sha256(raw_public).hexdigest()[:16]


def fingerprint(raw_public: bytes) -> str:
    """The full fingerprint a person compares out of band: SHA-256 of the 32 raw public-key bytes."""
    digest = hashlib.sha256(raw_public).hexdigest()
    return "SHA256:" + ":".join(digest[i:i + 4] for i in range(0, 64, 4))


def jcs_safe(obj: Any, *, in_place: bool = False) -> Any:
    """The model with integers outside the IEEE 754 safe range written as strings (RFC 8785 cannot carry them).

    Such numbers only reach a report as evidence quoted from a system under test; the text keeps every digit.
    With `in_place`, `obj`'s own dicts and lists are changed and `obj` is returned (no copy)."""
    if in_place and isinstance(obj, (dict, list)):
        stack: list[Any] = [obj]
        while stack:
            node = stack.pop()
            for k, v in (node.items() if isinstance(node, dict) else enumerate(node)):
                if isinstance(v, (dict, list)):
                    stack.append(v)
                elif isinstance(v, int) and not isinstance(v, bool) and not -SAFE_INTEGER <= v <= SAFE_INTEGER:
                    node[k] = str(v)
                elif isinstance(v, tuple):
                    node[k] = jcs_safe(v)
        return obj
    if isinstance(obj, bool) or obj is None:
        return obj
    if isinstance(obj, int):
        return obj if -SAFE_INTEGER <= obj <= SAFE_INTEGER else str(obj)
    if isinstance(obj, dict):
        return {k: jcs_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jcs_safe(v) for v in obj]
    return obj


def canonical(model: dict[str, Any], method: str = CANONICALIZATION) -> bytes:
    """The bytes that are signed: the model without its `signature` member, canonicalized by `method`."""
    body = {k: v for k, v in model.items() if k != "signature"}
    if method == LEGACY_CANONICALIZATION:
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return jcs_dumps(body)


def jcs_dumps(obj: Any) -> bytes:
    """RFC 8785 bytes of `obj`, exactly as `rfc8785.dumps` gives them, written by the stdlib's C JSON encoder.

    For JSON values the two agree on everything but numbers that are floats (RFC 8785 writes them as ECMAScript
    does: 3.0 -> 3, 1e-07 -> 1e-7) and on key order where a key holds a character beyond U+FFFF (RFC 8785 orders
    by UTF-16 units). So the floats are set aside (swapped for marker strings, written by rfc8785's own number
    writer and put back in the text; the model is restored) and a key beyond U+FFFF, an integer RFC 8785 cannot
    carry or a float that is not finite sends the whole value to rfc8785 itself (which also raises on them).
    Pure-Python rfc8785 took 1 ms per exchange of a report; this takes a few microseconds."""
    import rfc8785

    floats: list[tuple[Any, Any, float]] = []
    if _set_floats_aside(obj, floats):
        try:
            text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        finally:
            for node, key, value in floats:
                node[key] = value
    else:
        text = None
    if text is None:
        for node, key, value in floats:
            node[key] = value
        return rfc8785.dumps(obj)
    if floats:
        from rfc8785._impl import _serialize_float
        import io

        def number(m: re.Match[str]) -> str:
            sink = io.BytesIO()
            _serialize_float(floats[int(m.group(1))][2], sink)
            return sink.getvalue().decode("ascii")

        text = re.sub(r'"\\u0000' + _MARK + r'(\d+)\\u0000"', number, text)
    return text.encode("utf-8")


_MARK = "jcsf" + os.urandom(8).hex() + ":"  # a marker no report string holds: \x00 + 24 random characters


def _set_floats_aside(obj: Any, floats: list[tuple[Any, Any, float]]) -> bool:
    """Swap every float in `obj` for a marker string (recorded in `floats`); False when rfc8785 itself must write
    `obj` (a key beyond U+FFFF, an integer beyond 2**53-1, a float that is not finite). Containers other than
    dicts and lists (a tuple) also go to rfc8785."""
    if isinstance(obj, float):
        return False  # a bare float: rfc8785 writes it
    if not isinstance(obj, (dict, list)):
        return not isinstance(obj, (tuple, int)) or isinstance(obj, bool) or -SAFE_INTEGER <= obj <= SAFE_INTEGER
    stack: list[Any] = [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for k in node:
                if not isinstance(k, str) or (not k.isascii() and any(ord(c) > 0xFFFF for c in k)):
                    return False
            items = node.items()
        else:
            items = enumerate(node)
        for k, v in items:
            if v is None or isinstance(v, (str, bool)):
                continue
            if isinstance(v, (dict, list)):
                stack.append(v)
            elif isinstance(v, float):
                if v != v or v in (float("inf"), float("-inf")):
                    return False
                text = float.__repr__(v)  # what the JSON encoder writes
                if "e" in text or text.endswith(".0"):
                    floats.append((node, k, v))
                # else rfc8785 writes the same text (it rewrites only an exponent and a trailing ".0"): left as is
            elif isinstance(v, int):
                if not -SAFE_INTEGER <= v <= SAFE_INTEGER:
                    return False
            else:
                return False  # a tuple or anything else: rfc8785 decides
    for i, (node, key, value) in enumerate(floats):
        node[key] = f"\x00{_MARK}{i}\x00"
    return True


def _streamed(value: Any) -> bool:
    """A top-level member written an element at a time: an array (a list, a tuple, or a re-iterable sequence such
    as the report writer's spool of exchanges)."""
    return isinstance(value, (list, tuple)) or (hasattr(value, "__iter__") and hasattr(value, "__len__")
                                                 and not isinstance(value, (str, bytes, bytearray, dict)))


def canonical_chunks(model: dict[str, Any]) -> Iterator[bytes]:
    """`canonical(model)` in pieces whose concatenation is byte-equal to it: the members in RFC 8785 order (UTF-16
    code units), each array member an element at a time, and an object inside one that holds a re-iterable sequence
    (an interface's spooled checks) a member at a time. RFC 8785 text of an object or array is its members' texts
    joined by "," (no whitespace), so each piece is `jcs_dumps` of a part of the model."""
    yield from _object_chunks(model, top=True)


def _object_chunks(obj: dict[str, Any], *, top: bool = False) -> Iterator[bytes]:
    keys = sorted((k for k in obj if not (top and k == "signature")), key=lambda k: str(k).encode("utf-16-be"))
    yield b"{"
    for i, k in enumerate(keys):
        yield (b"," if i else b"") + jcs_dumps(k) + b":"
        value = obj[k]
        if _streamed(value) and (top or not isinstance(value, (list, tuple))):
            yield b"["
            for j, item in enumerate(value):
                yield b"," if j else b""
                if isinstance(item, dict) and any(_lazy(v) for v in item.values()):
                    yield from _object_chunks(item)
                else:
                    yield jcs_dumps(item)
            yield b"]"
        else:
            yield jcs_dumps(value)
    yield b"}"


_IN_MEMORY = frozenset({str, int, float, bool, type(None), dict, list, tuple})  # never lazy: decided by the type


def _lazy(value: Any) -> bool:
    """A re-iterable sequence that is not in memory (the report writer's spool): never encoded as one value."""
    return type(value) not in _IN_MEMORY and _streamed(value) and not isinstance(value, (list, tuple))


def canonical_digest(model: dict[str, Any], prehash: str = PREHASH) -> bytes:
    """The `prehash` digest of `canonical(model)`, computed without holding the canonical text whole."""
    h = hashlib.new(_HASHLIB_NAME[prehash])
    for chunk in canonical_chunks(model):
        h.update(chunk)
    return h.digest()


def sign_model(model: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The `signature` member for `model` (which must already hold everything that is to be covered): Ed25519 over
    the SHA-512/256 digest of the RFC 8785 canonical bytes (`prehash`)."""
    raw = public_raw(key)
    return {
        "algorithm": ALGORITHM,
        "public_key": base64.b64encode(raw).decode("ascii"),
        "key_id": key_id(raw),
        "fingerprint": fingerprint(raw),
        "value": base64.b64encode(key.sign(canonical_digest(model))).decode("ascii"),
        "canonicalization": CANONICALIZATION,
        "prehash": PREHASH,
    }


def signed_message(model: dict[str, Any]) -> bytes:
    """What the model's signature signs: the digest of its canonical bytes when `signature.prehash` names one
    (reports written now), else the canonical bytes themselves (reports signed before `prehash` existed)."""
    sig = model.get("signature") or {}
    method = sig.get("canonicalization", CANONICALIZATION)
    if "prehash" in sig:
        return canonical_digest(model, sig["prehash"])
    return canonical(model, method)


def check_signature(model: dict[str, Any], expected_public: bytes | None = None) -> tuple[bool, str]:
    """Check the model's own signature member; with `expected_public`, also that it names that key."""
    sig = model.get("signature")
    if not isinstance(sig, dict):
        return False, "report.json is not signed (no signature member)"
    if sig.get("algorithm") != ALGORITHM:
        return False, f"unsupported signature algorithm {sig.get('algorithm')!r}, expected {ALGORITHM}"
    method = sig.get("canonicalization")
    if method not in (CANONICALIZATION, LEGACY_CANONICALIZATION):
        return False, f"unsupported canonicalization {method!r}, expected {CANONICALIZATION}"
    if "prehash" in sig and (not isinstance(sig["prehash"], str) or sig["prehash"] not in _HASHLIB_NAME or method != CANONICALIZATION):
        return False, f"unsupported prehash {sig['prehash']!r} (with {method!r}), expected {PREHASH} over {CANONICALIZATION}"
    try:
        raw = base64.b64decode(sig.get("public_key", ""), validate=True)
        value = base64.b64decode(sig.get("value", ""), validate=True)
        pub = Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError, TypeError):
        return False, "signature member is malformed (public_key or value is not valid base64 Ed25519)"
    if sig.get("key_id") != key_id(raw):
        return False, f"signature key_id {sig.get('key_id')!r} does not match its public key ({key_id(raw)})"
    if expected_public is not None and raw != expected_public:
        return False, f"signed by key_id {key_id(raw)}, expected {key_id(expected_public)}"
    try:
        pub.verify(value, signed_message(model))
    except InvalidSignature:
        return False, "signature does not match the content (report.json changed since signing)"
    except Exception as exc:  # content RFC 8785 cannot canonicalize (a float NaN, a huge integer) was edited in
        return False, f"report.json cannot be canonicalized ({type(exc).__name__}): it was not written by vconform"
    return True, f"signed by key_id {key_id(raw)}"


def parse_public_key(spec: str) -> bytes:
    """Raw public key bytes from base64 of the 32 raw bytes, or a PEM file (public, or private to derive it)."""
    path = Path(spec).expanduser()
    if path.is_file():
        data = path.read_bytes()
        try:
            if b"PRIVATE KEY" in data:
                key: Any = serialization.load_pem_private_key(data, password=None).public_key()
            else:
                key = serialization.load_pem_public_key(data)
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(f"cannot read public key from {path}: {exc}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise SigningKeyError(f"{path} holds a {type(key).__name__}, expected an Ed25519 key")
        return public_raw(key)
    try:
        raw = base64.b64decode(spec.strip(), validate=True)
    except binascii.Error:
        raw = b""
    if len(raw) != 32:
        raise SigningKeyError(f"expected public key must be base64 of 32 raw Ed25519 bytes or a PEM file: {spec!r}")
    return raw

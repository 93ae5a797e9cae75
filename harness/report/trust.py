"""Who signed a report, and whether the person verifying trusts that key.

A signature proves only that the report is unchanged since a key signed it; anyone can re-sign an edited report
with a key of their own. So `vconform verify` answers two questions:

- intact?  the signature over report.json, the hashes of report.html and junit.xml, and the journal when at hand;
- trusted? the signer's key is one the verifier has chosen to trust: `--key` (exactly that key), `--trust FILE`
  (a trust list), or by default the keys in `$VCONFORM_HOME/trusted/` plus this machine's own signing key.

Results and exit codes: `valid` (0) intact and signed by a trusted key; `INVALID` (1) changed, malformed or
unsigned; `UNTRUSTED` (3) intact, but the signer is not trusted: it proves nothing about who wrote it.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import sign as _sign

TRUST_DIR = "trusted"
EXIT = {"valid": 0, "invalid": 1, "untrusted": 3}


@dataclass
class TrustedKey:
    raw: bytes
    source: str  # where the trust came from: "--key", a trust-list file and line, "this machine's own key"
    label: str = ""

    @property
    def key_id(self) -> str:
        return _sign.key_id(self.raw)


@dataclass
class Verdict:
    status: str  # valid | invalid | untrusted
    reason: str
    key_id: str = ""
    fingerprint: str = ""
    trusted_by: str = ""

    @property
    def exit_code(self) -> int:
        return EXIT[self.status]

    def line(self) -> str:
        head = {"valid": "valid", "invalid": "INVALID", "untrusted": "UNTRUSTED"}[self.status]
        return f"{head}: {self.reason}"


def _raw_from_pem(data: bytes, where: str) -> bytes:
    try:
        if b"PRIVATE KEY" in data:
            key = serialization.load_pem_private_key(data, password=None).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise _sign.SigningKeyError(f"{where}: not a PEM Ed25519 key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise _sign.SigningKeyError(f"{where}: holds a {type(key).__name__}, expected an Ed25519 key")
    return _sign.public_raw(key)


def read_trust_file(path: Path) -> list[TrustedKey]:
    """A trust list: a PEM public key, or lines `BASE64_RAW_ED25519_PUBLIC_KEY [label]` (`#` starts a comment)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _sign.SigningKeyError(f"cannot read trust list {path}: {exc.strerror or exc}") from None
    if b"-----BEGIN" in data:
        return [TrustedKey(_raw_from_pem(data, str(path)), str(path))]
    keys = []
    for n, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        b64, _, label = text.partition(" ")
        try:
            raw = base64.b64decode(b64, validate=True)
        except binascii.Error:
            raw = b""
        if len(raw) != 32:
            raise _sign.SigningKeyError(f"{path}:{n}: expected base64 of a 32-byte Ed25519 public key, got {b64[:60]!r}")
        keys.append(TrustedKey(raw, f"{path}:{n}", label.strip()))
    return keys


def default_trust(home: Path | None = None) -> list[TrustedKey]:
    """The keys in `$VCONFORM_HOME/trusted/` (each file a trust list or a PEM), plus this machine's own key."""
    home = home or _sign.home_dir()
    keys: list[TrustedKey] = []
    folder = home / TRUST_DIR
    if folder.is_dir():
        for f in sorted(folder.iterdir()):
            if f.is_file() and not f.name.startswith("."):
                keys += read_trust_file(f)
    own = home / _sign.KEY_FILE
    if own.is_file():
        keys.append(TrustedKey(_raw_from_pem(own.read_bytes(), str(own)), "this machine's own signing key", "own"))
    return keys


def trusted_keys(key: str | None = None, trust_files: list[str] = (), home: Path | None = None) -> list[TrustedKey]:
    """The keys a verifier trusts: exactly `key`, else the trust lists given, else the default trust."""
    if key is not None:
        return [TrustedKey(_sign.parse_public_key(key), "--key")]
    if trust_files:
        return [k for f in trust_files for k in read_trust_file(Path(f))]
    return default_trust(home)


def verify_trusted(report: str | os.PathLike, *, key: str | None = None, trust_files: list[str] = (),
                   journal: str | os.PathLike | None = None, home: Path | None = None) -> Verdict:
    """Integrity first (`harness.report.verify`), then whether the signer is trusted."""
    from . import _report_json_path, verify

    trusted = trusted_keys(key, trust_files, home)
    ok, reason = verify(report, journal=journal)
    if not ok:
        return Verdict("invalid", reason)
    sig = json.loads(_report_json_path(report).read_text(encoding="utf-8"))["signature"]
    raw = base64.b64decode(sig["public_key"])
    fp, kid = _sign.fingerprint(raw), _sign.key_id(raw)
    intact = reason.split(" (", 1)[0]  # "signed by key_id …"
    rest = reason.split("); ", 1)[1] if "); " in reason else ""
    for t in trusted:
        if t.raw == raw:
            by = t.source + (f" ({t.label})" if t.label and t.label != "own" else "")
            return Verdict("valid", f"{intact}, {fp}, trusted by {by}; {rest}", kid, fp, by)
    where = ("the key given with --key" if key is not None else
             "the trust list given with --trust" if trust_files else
             f"{(home or _sign.home_dir()) / TRUST_DIR}/ or this machine's own key")
    return Verdict("untrusted", f"intact, but {intact} ({fp}) is not in {where}: the signature proves nothing "
                                f"about who wrote this report; compare the fingerprint with the signer out of band, "
                                f"then pass --key or add it with `vconform key trust`; {rest}", kid, fp)


def own_key_lines(sign_key: str | None = None) -> list[str]:
    """This signing identity (the per-user key, created on first use, or `sign_key`), to hand to whoever
    verifies its reports."""
    key, path = _sign.load_or_create_key(sign_key)
    raw = _sign.public_raw(key)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return [f"key file:    {path}", f"key_id:      {_sign.key_id(raw)}", f"fingerprint: {_sign.fingerprint(raw)}",
            f"public key:  {base64.b64encode(raw).decode('ascii')}", "", pem.decode("ascii").rstrip()]


def add_trusted(spec: str, label: str = "", home: Path | None = None) -> Path:
    """Trust a key: base64 raw Ed25519 public key or a PEM file; written to $VCONFORM_HOME/trusted/KEYID.pub."""
    raw = _sign.parse_public_key(spec)
    folder = (home or _sign.home_dir()) / TRUST_DIR
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    out = folder / f"{_sign.key_id(raw)}.pub"
    out.write_text(f"# {_sign.fingerprint(raw)}\n{base64.b64encode(raw).decode('ascii')} {label}".rstrip() + "\n",
                   encoding="utf-8")
    return out

"""No secret reaches report.json, report.html or junit.xml in any encoding.

Property: a private key the run never saw (PEM, DER in base64, base64url, hex, MIME-wrapped, PKCS#1 or PKCS#8,
JWK), or a token / apiSecret the run knows (as is, hex, base64, base64url, percent-encoded, JSON-escaped), placed
in an adapter's output, leaves no 20-character piece of itself in any file the report writes.
"""
from __future__ import annotations

import base64
import json
from urllib.parse import quote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import example, HealthCheck, given, settings
from hypothesis import strategies as st

from harness.report import write_report
from harness.report.redact import Redactor

from test_report_sign import _model

_RSA = rsa.generate_private_key(public_exponent=65537, key_size=1024)
_EC = ec.generate_private_key(ec.SECP256R1())
_ED = ed25519.Ed25519PrivateKey.generate()
KEYS = {"rsa": _RSA, "ec": _EC, "ed25519": _ED}


def _b64u(n: int, length: int | None = None) -> str:
    raw = n.to_bytes(length or (n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _jwk(name: str) -> dict:
    key = KEYS[name]
    if name == "rsa":
        p = key.private_numbers()
        return {"kty": "RSA", "n": _b64u(p.public_numbers.n), "e": "AQAB", "d": _b64u(p.d), "p": _b64u(p.p),
                "q": _b64u(p.q), "dp": _b64u(p.dmp1), "dq": _b64u(p.dmq1), "qi": _b64u(p.iqmp)}
    if name == "ec":
        return {"kty": "EC", "crv": "P-256", "d": _b64u(key.private_numbers().private_value, 32)}
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return {"kty": "OKP", "crv": "Ed25519", "d": base64.urlsafe_b64encode(raw).rstrip(b"=").decode()}


def _der(name: str, fmt: str) -> bytes:
    f = serialization.PrivateFormat.TraditionalOpenSSL if fmt == "pkcs1" else serialization.PrivateFormat.PKCS8
    return KEYS[name].private_bytes(serialization.Encoding.DER, f, serialization.NoEncryption())


def key_forms(name: str, form: str) -> tuple[str, list[str]]:
    """(the text an adapter prints, the encodings of the secret that must not survive anywhere)."""
    fmt = "pkcs1" if form.endswith("pkcs1") and name != "ed25519" else "pkcs8"
    der = _der(name, fmt)
    std, url = base64.b64encode(der).decode(), base64.urlsafe_b64encode(der).decode()
    secrets = [std, url, der.hex(), der.hex().upper()]
    if form.startswith("pem"):
        f = serialization.PrivateFormat.TraditionalOpenSSL if fmt == "pkcs1" else serialization.PrivateFormat.PKCS8
        text = KEYS[name].private_bytes(serialization.Encoding.PEM, f, serialization.NoEncryption()).decode()
    elif form.startswith("b64url"):
        text = url.rstrip("=")
    elif form.startswith("b64mime"):
        text = "\r\n".join(std[i:i + 76] for i in range(0, len(std), 76))
    elif form.startswith("b64"):
        text = std
    elif form.startswith("hexupper"):
        text = der.hex().upper()
    elif form.startswith("hex"):
        text = der.hex()
    else:  # jwk
        jwk = _jwk(name)
        text = json.dumps(jwk)
        secrets = [v for k, v in jwk.items() if k in ("d", "p", "q", "dp", "dq", "qi")]
    return text, secrets


KEY_FORMS = ["pem-pkcs8", "pem-pkcs1", "b64-pkcs8", "b64-pkcs1", "b64url-pkcs8", "b64mime-pkcs8", "hex-pkcs8",
             "hex-pkcs1", "hexupper-pkcs8", "jwk"]


def known_forms(secret: str, form: str) -> str:
    raw = secret.encode()
    return {"plain": secret, "hex": raw.hex(), "hexupper": raw.hex().upper(), "b64": base64.b64encode(raw).decode(),
            "b64url": base64.urlsafe_b64encode(raw).rstrip(b"=").decode(), "percent": quote(secret, safe=""),
            "json": json.dumps(secret)[1:-1]}[form]


def _pieces(secret: str, width: int = 20) -> list[str]:
    return [secret[i:i + width] for i in range(0, max(1, len(secret) - width), 7)]


SEPARATORS = st.sampled_from([" ", "\n", "\t", ": ", "=", "'", "(", "[", "> ", "\r\n"])
WHERE = st.sampled_from(["stderr", "stdout-json", "stdout-text", "message"])


def _place(model: dict, where: str, text: str, before: str, after: str) -> None:
    chk = model["interfaces"][0]["checks"][0]
    chk["verdict"] = "fail"
    if where == "message":
        chk["message"] = f"adapter said{before}{text}{after}"
        return
    ev = {"kind": "adapter", "action": "vehicleAccess", "exit_code": 1, "timed_out": False, "duration_ms": 3}
    if where == "stderr":
        ev["stderr"] = f"Exception in thread main{before}{text}{after}at Client.java:42"
    elif where == "stdout-json":
        ev["stdout"] = json.dumps({"result": "error", "detail": text})
    else:
        ev["stdout"] = f"loaded{before}{text}{after}done"
    chk.setdefault("evidence", []).append(ev)


def _outputs(paths: dict) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in paths.values())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(KEYS)), form=st.sampled_from(KEY_FORMS), where=WHERE, before=SEPARATORS,
       after=SEPARATORS)
def test_unknown_private_key_in_any_encoding_never_reaches_a_report(tmp_path_factory, name, form, where, before, after):
    text, secrets = key_forms(name, form)
    model = _model()
    _place(model, where, text, before, after)
    out = tmp_path_factory.mktemp("r")
    written = _outputs(write_report(model, out))
    for secret in secrets:
        for piece in _pieces(secret):
            assert piece not in written, f"{form} {name} key leaked via {where}: {piece!r}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=st.text(alphabet="abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_.~+/", min_size=12,
                      max_size=48),
       form=st.sampled_from(["plain", "hex", "hexupper", "b64", "b64url", "percent", "json"]), where=WHERE,
       before=SEPARATORS, after=SEPARATORS)
def test_known_secret_in_any_encoding_never_reaches_a_report(tmp_path_factory, secret, form, where, before, after):
    model = _model()
    _place(model, where, known_forms(secret, form), before, after)
    written = _outputs(write_report(model, tmp_path_factory.mktemp("r"), secrets=[secret]))
    for enc in ("plain", "hex", "hexupper", "b64", "b64url", "percent"):
        for piece in _pieces(known_forms(secret, enc)):
            assert piece not in written, f"{form} form leaked as {enc} via {where}: {piece!r}"


def test_public_keys_and_ordinary_hex_stay_readable():
    """Redaction must not eat evidence: public keys, ciphertext-like hex and ids are kept."""
    pub = base64.b64encode(_RSA.public_key().public_bytes(serialization.Encoding.DER,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    frame = "5b0000001a0000000110010000000001000000000000" + "ab" * 30 + "5d"
    text = f"publicKey {pub} frame {frame} VIN LSVAM4187C2184847"
    assert Redactor().redact({"note": text}) == {"note": text}


# -- the evidence cut (issue 9): adapter output is cut to its last EVIDENCE_TAIL characters; the cut must never
# leave a piece of a secret behind that redaction no longer recognises (the end of a hex key, a PKCS#1 tail).

def _adapter_evidence(stream: str, text: str, offset: int, secrets: list[str]) -> dict:
    """Adapter evidence whose `stream` holds `text` placed so that the tail cut lands `offset` characters into it."""
    from harness.adapter import EVIDENCE_TAIL, AdapterResult
    filler_len = EVIDENCE_TAIL - (len(text) - offset)
    filler = ("filler line\n" * (filler_len // 12 + 1))[:filler_len]
    out = "booting client\n" + "x" * 50 + "key=" + text + filler
    res = AdapterResult("enterprise", ["node", "leak.mjs"], 1, out if stream == "stdout" else "",
                        out if stream == "stderr" else "", 3.0, secrets=secrets)
    return res.evidence()


def _write_with(evidence: dict, out, secrets=()) -> str:
    model = _model()
    chk = model["interfaces"][0]["checks"][0]
    chk["verdict"] = "fail"
    chk["evidence"] = [evidence]
    return _outputs(write_report(model, out, secrets=list(secrets)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(KEYS)), form=st.sampled_from(KEY_FORMS), stream=st.sampled_from(["stdout", "stderr"]),
       where=st.floats(min_value=0.02, max_value=0.98))
def test_a_cut_inside_a_private_key_leaves_no_piece_of_it(tmp_path_factory, name, form, stream, where):
    text, secrets = key_forms(name, form)
    ev = _adapter_evidence(stream, text, max(1, int(len(text) * where)), [])
    written = _write_with(ev, tmp_path_factory.mktemp("r"))
    for secret in secrets:
        for piece in _pieces(secret, 16):
            assert piece not in written, f"{form} {name} key cut in {stream} leaked: {piece!r}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=st.text(alphabet="abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_.~+/", min_size=12,
                      max_size=48),
       form=st.sampled_from(["plain", "hex", "hexupper", "b64", "b64url", "percent", "json"]),
       stream=st.sampled_from(["stdout", "stderr"]), where=st.floats(min_value=0.05, max_value=0.95))
@example(secret="Signatur2222", form="plain", stream="stdout", where=0.5)   # shares "Signatur" with the page
def test_a_cut_inside_a_known_secret_leaves_no_piece_of_it(tmp_path_factory, secret, form, stream, where):
    text = known_forms(secret, form)
    ev = _adapter_evidence(stream, text, max(1, int(len(text) * where)), [secret])
    written = _write_with(ev, tmp_path_factory.mktemp("r"), [secret])
    # A piece the page holds without the secret is the page's own text (a secret "Signatur2222" shares "Signatur"
    # with the page's "Signature" heading), not a leak: compare with the same report around a neutral text.
    neutral = _adapter_evidence(stream, "#" * len(text), max(1, int(len(text) * where)), [])
    page = _write_with(neutral, tmp_path_factory.mktemp("r"))
    for enc in ("plain", "hex", "hexupper", "b64", "b64url", "percent"):
        for piece in _pieces(known_forms(secret, enc), 8):
            assert piece not in written or piece in page, f"{form} form cut in {stream} leaked as {enc}: {piece!r}"


def test_the_cut_masks_an_unrecognised_key_tail_and_keeps_the_rest():
    """Defence in depth: text no pattern knows (random base64, as a cut might leave) starting the tail is masked."""
    import secrets as pysecrets

    from harness.report.redact import safe_tail
    blob = base64.b64encode(pysecrets.token_bytes(600)).decode()
    tail = safe_tail("start " + blob + "\r\nError: deliberate\n", 300)
    assert blob[-40:] not in tail and "Error: deliberate" in tail
    pem_body = "\n".join(blob[i:i + 64] for i in range(0, len(blob), 64))
    tail = safe_tail("-----BEGIN PRIVATE KEY-----\n" + pem_body + "\n-----END PRIVATE KEY-----\nfiller\n", 200)
    assert not any(line in tail for line in pem_body.splitlines()[-3:]), tail
    assert tail.endswith("filler\n")
    assert safe_tail("short text", 300) == "short text"
    assert safe_tail("line one\nline two is readable\n", 24) == "[...] line two is readable\n"

"""Signing and verify: a written report verifies, and any change to any of its three files is caught and named."""
from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from harness.report import SigningKeyError, verify, write_report
from harness.report.sign import canonical, fingerprint, key_id, load_or_create_key, public_raw


_KEY = {"report.json": "json", "report.html": "html", "junit.xml": "junit"}


def _model() -> dict:
    exchange = {"kind": "exchange", "seq": 1, "method": "POST", "path": "/access/api/dataReceive/vehicleAccess",
                "status": 200, "request_body": '{"encryptedContent":"QUJD"}', "duration_ms": 5}
    return {
        "tool": {"name": "vconform", "version": "0.1.0"},
        "spec": {"name": "yunnan", "version": "V1.1", "title_zh": "云南门禁规范", "title_en": "Yunnan gate spec"},
        "role": "client", "profile": "default",
        "sut": {"name": "reference", "version": "0.1.0", "kind": "reference"},
        "started": "2025-10-01T08:00:00+08:00", "finished": "2025-10-01T08:00:05+08:00", "seed": 123,
        "verdict": "pass", "counts": {"pass": 2, "fail": 0, "warn": 0, "skip": 0},
        "stages": [{"name": "interface", "verdict": "pass"}],
        "interfaces": [{"name": "vehicleAccess", "section": "yunnan §6.13", "stage": "interface", "verdict": "pass",
                        "checks": [
                            {"id": "yunnan.envelope.signature", "verdict": "pass", "severity": "critical",
                             "message": "ok", "spec_ref": "yunnan §5.1", "title_zh": "签名", "title_en": "Signature",
                             "stage": "interface", "errata": [], "evidence": [exchange]},
                            {"id": "yunnan.vehicleAccess.schema", "verdict": "pass", "severity": "major",
                             "message": "ok", "spec_ref": "yunnan §6.13", "stage": "interface", "evidence": []},
                        ]}],
        "reproduce": "vconform run yunnan --seed 123",
        "signoff": {"tester": "张三", "organisation": "测试中心", "sut_name": "reference", "sut_version": "0.1.0",
                    "date": "2025-10-01"},
    }


@pytest.fixture
def home(tmp_path, monkeypatch):
    h = tmp_path / "vhome"
    monkeypatch.setenv("VCONFORM_HOME", str(h))
    return h


@pytest.fixture
def report(tmp_path, home):
    return write_report(_model(), tmp_path / "out")


def _edit_json(path, fn):
    data = json.loads(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def test_round_trip_from_dir_json_and_html(report):
    for target in (report["json"].parent, report["json"], report["html"]):
        ok, msg = verify(target)
        assert ok, msg
        assert msg.startswith("signed by key_id ") and msg.endswith("unchanged")


def test_signature_shape_and_files_covered(report):
    data = json.loads(report["json"].read_text(encoding="utf-8"))
    sig = data["signature"]
    assert sig["algorithm"] == "Ed25519" and sig["canonicalization"] == "RFC8785"
    raw = base64.b64decode(sig["public_key"])
    assert len(raw) == 32 and sig["key_id"] == key_id(raw)
    assert set(data["files"]) == {"report.html", "junit.xml"}
    # The HTML names the signing key for a human reader.
    assert f'key_id={sig["key_id"]}' in report["html"].read_text(encoding="utf-8")
    assert sig["fingerprint"].startswith("SHA256:") and sig["fingerprint"].replace(":", "")[6:].startswith(sig["key_id"])
    # An independent check of the documented canonical form: for a model of strings, integers and BMP text,
    # RFC 8785 is sorted compact UTF-8 JSON.
    body = {k: v for k, v in data.items() if k != "signature"}
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert blob == canonical(data)
    # What is signed now (`prehash`): the SHA-512/256 digest of those bytes.
    assert sig["prehash"] == "SHA-512/256"
    import hashlib
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    Ed25519PublicKey.from_public_bytes(raw).verify(base64.b64decode(sig["value"]), hashlib.new("sha512_256", blob).digest())


V1_REPORT = Path(__file__).parent / "fixtures" / "report_v1_signed"


def test_report_signed_the_old_way_still_verifies(tmp_path):
    """A report signed before `prehash` existed (Ed25519 over the canonical bytes themselves, no `prehash`) still verifies, and an
    edit to it is still caught."""
    data = json.loads((V1_REPORT / "report.json").read_text(encoding="utf-8"))
    assert "prehash" not in data["signature"]
    ok, msg = verify(V1_REPORT, public_key=data["signature"]["public_key"])
    assert ok, msg
    copy = tmp_path / "v1"
    shutil.copytree(V1_REPORT, copy)
    _edit_json(copy / "report.json", lambda d: d.__setitem__("verdict", "fail"))
    ok, msg = verify(copy)
    assert not ok and "does not match" in msg


@pytest.mark.parametrize("edit, reason", [
    (lambda s: s.pop("prehash"), "does not match"),                      # a digest signature read as a v1 one
    (lambda s: s.__setitem__("prehash", "MD5"), "unsupported prehash"),
    (lambda s: s.__setitem__("prehash", ["SHA-512/256"]), "unsupported prehash"),
], ids=["dropped", "unknown", "not-a-name"])
def test_prehash_member_is_bound(report, edit, reason):
    _edit_json(report["json"], lambda d: edit(d["signature"]))
    ok, msg = verify(report["json"])
    assert not ok and reason in msg, msg


def test_canonical_chunks_join_to_canonical():
    from harness.report.sign import canonical_chunks
    model = {"b": [1, 2.5, {"x": 1e-7, "\U0001F600": "e", "\uff01": 3}], "a": {"z": [3.0], "y": "文本"},
             "exchanges": [{"seq": i, "t": i / 3} for i in range(5)], "empty": [], "\U0001F600": 1, "\uffff": 2,
             "signature": {"value": "x"}}
    assert b"".join(canonical_chunks(model)) == canonical(model)


@pytest.mark.parametrize("edit", [
    lambda d: d.__setitem__("verdict", "fail"),
    lambda d: d["interfaces"][0]["checks"][0].__setitem__("verdict", "fail"),
    lambda d: d["interfaces"][0]["checks"][1].__setitem__("message", "ok!"),
    lambda d: d["interfaces"][0]["checks"][0]["evidence"][0].__setitem__("request_body", '{"encryptedContent":"QUJE"}'),
    lambda d: d["files"].__setitem__("report.html", "0" * 64),
], ids=["verdict", "check-verdict", "message", "evidence-byte", "recorded-hash"])
def test_tampered_json_content(report, edit):
    _edit_json(report["json"], edit)
    ok, msg = verify(report["json"])
    assert not ok
    assert msg == "signature does not match the content (report.json changed since signing)"


def test_signature_removed(report):
    _edit_json(report["json"], lambda d: d.pop("signature"))
    assert verify(report["json"]) == (False, "report.json is not signed (no signature member)")


def test_resigned_with_other_key_is_caught_by_key_id_mismatch(report):
    other = Ed25519PrivateKey.generate()
    _edit_json(report["json"], lambda d: d["signature"].__setitem__(
        "public_key", base64.b64encode(public_raw(other)).decode()))
    ok, msg = verify(report["json"])
    assert not ok and "does not match its public key" in msg


def test_duplicate_key_rejected(report):
    p = report["json"]
    p.write_text('{"verdict": "pass",' + p.read_text(encoding="utf-8")[1:], encoding="utf-8")
    ok, msg = verify(p)
    assert not ok and "duplicate key 'verdict'" in msg


@pytest.mark.parametrize("name", ["report.html", "junit.xml"])
def test_tampered_covered_file(report, name):
    p = report[_KEY[name]]
    text = p.read_text(encoding="utf-8")
    i = text.index("vehicleAccess")
    p.write_text(text[:i] + "V" + text[i + 1:], encoding="utf-8")  # one character
    assert verify(p.parent) == (False, f"{name} changed since signing")


def test_missing_covered_file(report):
    report["junit"].unlink()
    assert verify(report["html"]) == (False, "junit.xml is missing")


def test_missing_or_broken_report_json(tmp_path, report):
    ok, msg = verify(tmp_path / "nowhere")
    assert not ok and "not found" in msg
    report["json"].write_text("{not json", encoding="utf-8")
    ok, msg = verify(report["json"])
    assert not ok and "not valid JSON" in msg


def test_generated_key_on_first_use_is_private_and_reused(tmp_path, home):
    assert not home.exists()
    a = write_report(_model(), tmp_path / "a")
    key_file = home / "signing-key.pem"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    b = write_report(_model(), tmp_path / "b")
    kid = lambda paths: json.loads(paths["json"].read_text(encoding="utf-8"))["signature"]["key_id"]
    assert kid(a) == kid(b)
    key, path = load_or_create_key(None)
    assert path == key_file and kid(a) == key_id(public_raw(key))


def _key_files(folder: Path, name: str) -> tuple[Ed25519PrivateKey, Path, Path]:
    """A fresh Ed25519 key, its private PEM (NAME.pem) and public PEM (NAME.pub.pem) in `folder`."""
    key = Ed25519PrivateKey.generate()
    key_pem, pub_pem = folder / f"{name}.pem", folder / f"{name}.pub.pem"
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    pub_pem.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo))
    return key, key_pem, pub_pem


def test_given_sign_key_and_expected_public_key(tmp_path, home):
    key, key_pem, pub_pem = _key_files(tmp_path, "ci-key")
    paths = write_report(_model(), tmp_path / "out", sign_key=str(key_pem))
    assert not home.exists(), "a given key must not create the per-user key"
    raw_b64 = base64.b64encode(public_raw(key)).decode()
    assert verify(paths["json"], public_key=raw_b64)[0]
    assert verify(paths["json"], public_key=str(pub_pem))[0]

    wrong = Ed25519PrivateKey.generate()
    ok, msg = verify(paths["json"], public_key=base64.b64encode(public_raw(wrong)).decode())
    assert not ok
    assert msg == f"signed by key_id {key_id(public_raw(key))}, expected {key_id(public_raw(wrong))}"


def test_bad_sign_key_is_refused_before_writing(tmp_path, home):
    with pytest.raises(SigningKeyError, match="not found"):
        write_report(_model(), tmp_path / "out", sign_key=str(tmp_path / "absent.pem"))
    rsa_pem = tmp_path / "rsa.pem"
    from cryptography.hazmat.primitives.asymmetric import rsa
    rsa_pem.write_bytes(rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with pytest.raises(SigningKeyError, match="expected an Ed25519 key"):
        write_report(_model(), tmp_path / "out", sign_key=str(rsa_pem))
    assert not (tmp_path / "out").exists()


def test_bad_expected_public_key_is_an_error(report):
    with pytest.raises(SigningKeyError):
        verify(report["json"], public_key="not-a-key")


def test_input_model_not_modified_and_resigning_drops_stale_members(tmp_path, home):
    model = _model()
    model["signature"] = {"stale": True}
    model["files"] = {"report.html": "x"}
    before = json.dumps(model, sort_keys=True)
    paths = write_report(model, tmp_path / "out")
    assert json.dumps(model, sort_keys=True) == before
    assert verify(paths["json"])[0]


NODE_VERIFIER = Path(__file__).parent / "node" / "verify_report.mjs"


def test_a_regulator_can_check_a_report_without_vconform(tmp_path, home):
    """RFC 8785 + Ed25519 + SHA-256, checked by Node's built-ins alone; floats and non-BMP text included."""
    node = shutil.which("node")
    if not node:
        pytest.skip("no Node.js on this machine: the independent verifier cannot run here")
    model = _model()
    model["interfaces"][0]["checks"][0]["duration_ms"] = 12.5
    model["interfaces"][0]["checks"][0]["message"] = "粤B·12345 😀 1e21 \u2028"
    model["exchanges"] = [{"seq": 1, "big": 2**60, "tiny": 1e-7, "neg": -0.0}]
    paths = write_report(model, tmp_path / "out")
    signer = json.loads(paths["json"].read_text(encoding="utf-8"))["signature"]["public_key"]
    proc = subprocess.run([node, str(NODE_VERIFIER), str(paths["json"].parent), signer], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("ok "), proc.stdout + proc.stderr
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["exchanges"][0]["big"] == str(2**60), "integers past 2^53 keep every digit, as text"
    # ... and Node sees an edit the same way vconform does.
    data["verdict"] = "pass" if data["verdict"] != "pass" else "fail"
    paths["json"].write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run([node, str(NODE_VERIFIER), str(paths["json"].parent)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1 and not verify(paths["json"])[0]
    # A report signed before `prehash` existed verifies with Node too.
    v1_key = json.loads((V1_REPORT / "report.json").read_text(encoding="utf-8"))["signature"]["public_key"]
    proc = subprocess.run([node, str(NODE_VERIFIER), str(V1_REPORT), v1_key], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("ok "), proc.stdout + proc.stderr


def test_the_node_verifier_refuses_a_foreign_re_signed_report_and_takes_a_folder_or_file(tmp_path, home):
    """issue 8: the README's independent check must not accept a forgery re-signed with the forger's own key."""
    node = shutil.which("node")
    if not node:
        pytest.skip("no Node.js on this machine: the independent verifier cannot run here")
    ours, ours_pem, pub_pem = _key_files(tmp_path, "ours")
    genuine = write_report(_model(), tmp_path / "genuine", sign_key=str(ours_pem))
    _, forger, _ = _key_files(tmp_path, "forger")
    forged_model = _model()
    forged_model["verdict"] = "pass"
    forged = write_report(forged_model, tmp_path / "forged", sign_key=str(forger))

    def run(*args):
        proc = subprocess.run([node, str(NODE_VERIFIER), *map(str, args)], capture_output=True, text=True, timeout=60)
        assert "    at " not in proc.stdout + proc.stderr, "no stack trace"
        return proc.returncode, proc.stdout

    fp = fingerprint(public_raw(ours))
    for trusted in (fp, fp.replace("SHA256:", "").replace(":", ""), base64.b64encode(public_raw(ours)).decode(),
                    pub_pem):
        assert run(genuine["json"].parent, trusted)[0] == 0          # the folder
        assert run(genuine["json"], trusted)[0] == 0                 # or report.json itself
        code, out = run(forged["json"], trusted)
        assert code == 1 and "signed by another key" in out, out    # intact, but not our signer: refused
    code, out = run(forged["json"].parent)
    assert code == 3 and out.startswith("UNTRUSTED"), out            # no key to compare with: proves nothing
    assert run(tmp_path / "nowhere")[0] == 2
    assert run(genuine["json"], "not-a-key")[0] == 2

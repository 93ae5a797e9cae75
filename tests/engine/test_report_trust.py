"""`vconform verify` trust model: a report re-signed with a foreign key is never reported valid by any invocation
the README shows; intact-but-untrusted has its own exit code; the journal is covered by the signature."""
from __future__ import annotations

import base64
import json
import sqlite3

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from harness.cli import main
from harness.report import write_report
from harness.report.sign import fingerprint, key_id, public_raw, signed_message
from harness.report.trust import read_trust_file

from test_report_sign import _model


@pytest.fixture
def home(tmp_path, monkeypatch):
    h = tmp_path / "home"
    monkeypatch.setenv("VCONFORM_HOME", str(h))
    return h


def _pem(key: Ed25519PrivateKey, path) -> str:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return str(path)


def _resign(report_json, key: Ed25519PrivateKey, edit=None) -> None:
    """What a forger does: edit report.json and sign it again with a key of their own."""
    data = json.loads(report_json.read_text(encoding="utf-8"))
    if edit:
        edit(data)
    raw = public_raw(key)
    data["signature"].update(public_key=base64.b64encode(raw).decode(), key_id=key_id(raw), fingerprint=fingerprint(raw))
    data["signature"]["value"] = base64.b64encode(key.sign(signed_message(data))).decode()
    report_json.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_own_report_is_valid_by_default(tmp_path, home, capsys):
    paths = write_report(_model(), tmp_path / "out")
    assert main(["verify", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("valid: ") and "this machine's own signing key" in out and "SHA256:" in out


@pytest.mark.parametrize("how", ["default", "key-of-the-real-signer", "trust-list", "trust-dir"])
def test_report_resigned_with_a_foreign_key_is_never_valid(tmp_path, home, capsys, how):
    real = Ed25519PrivateKey.generate()
    paths = write_report(_model(), tmp_path / "out", sign_key=_pem(real, tmp_path / "real.pem"))
    _resign(paths["json"], Ed25519PrivateKey.generate(), lambda d: d.__setitem__("verdict", "pass"))
    real_b64 = base64.b64encode(public_raw(real)).decode()
    if how == "default":
        write_report(_model(), tmp_path / "mine")  # this machine has a key of its own, which is trusted
        args = []
    elif how == "key-of-the-real-signer":
        args = ["--key", real_b64]
    elif how == "trust-list":
        (tmp_path / "trusted.txt").write_text(f"# regulator's list\n{real_b64} vendor A\n", encoding="utf-8")
        args = ["--trust", str(tmp_path / "trusted.txt")]
    else:
        assert main(["key", "trust", real_b64, "--name", "vendor A"]) == 0
        args = []
    capsys.readouterr()
    code = main(["verify", str(paths["json"]), *args])
    out = capsys.readouterr().out
    assert code == 3 and out.startswith("UNTRUSTED: intact, but signed by key_id"), out
    assert key_id(public_raw(real)) not in out.split("is not in")[0]


def test_trusted_signer_from_the_trust_dir_is_valid(tmp_path, home, capsys):
    vendor = Ed25519PrivateKey.generate()
    key_file = _pem(vendor, tmp_path / "vendor.pem")
    paths = write_report(_model(), tmp_path / "out", sign_key=key_file)
    assert main(["verify", str(paths["json"])]) == 3  # not trusted yet (this machine never signed anything)
    capsys.readouterr()
    assert main(["key", "show", "--sign-key", key_file]) == 0
    shown = capsys.readouterr().out
    pub = next(line.split()[-1] for line in shown.splitlines() if line.startswith("public key:"))
    assert fingerprint(public_raw(vendor)) in shown
    assert main(["key", "trust", pub, "--name", "vendor"]) == 0
    assert main(["verify", str(paths["json"])]) == 0
    assert "vendor" in capsys.readouterr().out


def test_tampered_report_is_invalid_even_when_trusted(tmp_path, home, capsys):
    paths = write_report(_model(), tmp_path / "out")
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    data["verdict"] = "fail"
    paths["json"].write_text(json.dumps(data), encoding="utf-8")
    assert main(["verify", str(paths["json"])]) == 1
    assert capsys.readouterr().out.startswith("INVALID: ")


def test_bad_trust_list_is_a_harness_error(tmp_path, home, capsys):
    paths = write_report(_model(), tmp_path / "out")
    bad = tmp_path / "bad.txt"
    bad.write_text("not-a-key\n", encoding="utf-8")
    assert main(["verify", str(paths["json"]), "--trust", str(bad)]) == 2
    assert "bad.txt:1" in capsys.readouterr().err
    with pytest.raises(Exception):
        read_trust_file(bad)
    assert main(["verify", str(paths["json"]), "--trust", str(tmp_path / "absent.txt")]) == 2


def test_journal_is_covered_by_the_signature(tmp_path, home, capsys):
    journal = tmp_path / "journal.sqlite"
    db = sqlite3.connect(journal)
    db.execute("CREATE TABLE exchanges (seq INTEGER, body TEXT)")
    db.execute("INSERT INTO exchanges VALUES (1, 'a request')")
    db.commit()
    db.close()
    paths = write_report(_model(), tmp_path / "out", journal=journal)
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["journal"]["name"] == "journal.sqlite" and len(data["journal"]["sha256"]) == 64
    assert not (tmp_path / "out" / "journal.sqlite").exists(), "the journal holds secrets: never copied into a report"
    assert main(["verify", str(paths["json"]), "--journal", str(journal)]) == 0
    assert "journal journal.sqlite unchanged" in capsys.readouterr().out
    assert main(["verify", str(paths["json"])]) == 0
    assert "not at hand" in capsys.readouterr().out
    db = sqlite3.connect(journal)
    db.execute("UPDATE exchanges SET body = 'another request'")
    db.commit()
    db.close()
    assert main(["verify", str(paths["json"]), "--journal", str(journal)]) == 1
    assert "journal journal.sqlite changed since signing" in capsys.readouterr().out

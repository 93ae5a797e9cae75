"""Reports that stream (issue 10): the writer holds one exchange at a time, and what it writes is the same report.

report.json of a fixed run, written by the writer before it streamed (fixtures/report_stream_before.json.gz, made
by the code of commit c37824b with the key below), must read back as the same JSON values: every member but the
signature (now over a digest: `prehash`) and the hash of report.html (its data block is encoded differently)."""
from __future__ import annotations

import base64
import datetime as _dt
import gzip
import json
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from harness.report import verify, write_report

ROOT = Path(__file__).resolve().parents[2]
BEFORE = Path(__file__).parent / "fixtures" / "report_stream_before.json.gz"
TOKEN = "tok" + "Q" * 29
SECRET_IN_EXCHANGE = "secret-00000007-"


def fixed_key(path: Path) -> str:
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return str(path)


def fixed_model() -> dict:
    """A run with secrets crossing parts: a check message quotes an exchange's apiSecret (learnt only from the
    exchanges), an exchange quotes a token learnt only from a check's evidence; bytes, a datetime, a set, an
    integer beyond 2**53, floats, non-BMP text."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from report_write import synthetic_model
    finally:
        sys.path.remove(str(ROOT / "bench"))
    model = synthetic_model(20, fail_every=5)
    ex7 = next(e for e in model["exchanges"] if e["seq"] == 7)
    secret7 = json.loads(ex7["request_plaintext"])["apiSecret"]
    assert secret7.startswith(SECRET_IN_EXCHANGE)
    first = model["interfaces"][0]["checks"][0]
    first["message"] = f"the platform echoed {secret7} and {base64.b64encode(secret7.encode()).decode()}"
    first["evidence"] = [*first["evidence"], {"kind": "note", "headers": {"X-Auth-Token": TOKEN}}]
    ex3 = model["exchanges"][2]
    ex3["stderr"] = f"retrying with token {TOKEN} 😀"
    ex3["raw"] = b"\x00\xffbinary"
    ex3["when"] = _dt.datetime(2025, 10, 1, 8, 0, tzinfo=_dt.timezone.utc)
    ex3["tags"] = {"b", "a"}
    ex3["big"] = 2**60
    ex3["ratio"] = 1e-7
    model["exchanges"].append({"seq": 21, "note": "no secret here", "duration_ms": 3.0})
    return model


def test_report_json_values_are_unchanged_by_streaming(tmp_path, monkeypatch):
    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    paths = write_report(fixed_model(), tmp_path / "out", sign_key=fixed_key(tmp_path / "k.pem"))
    after = json.loads(paths["json"].read_text(encoding="utf-8"))
    before = json.loads(gzip.decompress(BEFORE.read_bytes()).decode("utf-8"))
    assert set(after) == set(before)
    for member in before:
        if member not in ("signature", "files"):
            assert after[member] == before[member], member
    assert after["files"]["junit.xml"] == before["files"]["junit.xml"]
    sig_before, sig_after = before["signature"], after["signature"]
    assert {k: sig_after[k] for k in sig_before if k != "value"} == {k: v for k, v in sig_before.items() if k != "value"}
    assert sig_after["prehash"] == "SHA-512/256"
    ok, msg = verify(paths["json"])
    assert ok, msg
    text = paths["json"].read_text(encoding="utf-8") + paths["html"].read_text(encoding="utf-8")
    assert SECRET_IN_EXCHANGE not in text and TOKEN not in text


def test_report_json_is_indented_as_before(tmp_path, monkeypatch):
    """Written a member and an exchange at a time, report.json is byte-equal to the whole model indented at once."""
    import orjson

    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    paths = write_report(fixed_model(), tmp_path / "out")
    raw = paths["json"].read_bytes()
    assert raw == orjson.dumps(json.loads(raw), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def test_spool_reads_back_exactly_and_repeatedly():
    from harness.report.writers import Spool

    spool = Spool()
    values = [{"a": float("nan")}, {"big": 2**80}, [1, "二", None], "x" * 100_000]
    for v in values:
        spool.append(v)
    for _ in range(2):
        got = list(spool)
        assert len(got) == len(spool) == 4
        assert got[1:] == values[1:] and got[0]["a"] != got[0]["a"]
    # Spools sharing one file keep their own values, in their own order, appended between reads.
    other = Spool(share=spool)
    other.append("o1")
    spool.append({"late": 1})
    other.append("o2")
    assert list(other) == ["o1", "o2"] and other[1] == "o2" and other[-1] == "o2"
    assert len(spool) == 5 and spool[4] == {"late": 1} and spool[2] == values[2]
    spool.close()


def test_a_broken_exchange_is_refused_by_the_contract_and_named(tmp_path, monkeypatch):
    from harness.report import ReportContractError

    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    model = fixed_model()
    model["exchanges"][5] = "not an object"
    with pytest.raises(ReportContractError, match="exchanges/5"):
        write_report(model, tmp_path / "out")
    assert not (tmp_path / "out" / "report.json").exists()


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_bearer_tokens_of_any_case_are_harvested_and_masked(scheme):
    """The cheap `"bearer" in text.lower()` test in front of the Bearer pattern must not miss a case it matches."""
    from harness.report import Redactor

    token = "eyJmixedCase.tok-" + scheme
    out = Redactor().redact({"message": f"sent {scheme} {token} then", "later": f"echo {token}!"})
    assert out == {"message": f"sent {scheme} *** then", "later": "echo ***!"}


def test_equal_evidence_cited_by_several_checks_is_redacted_in_every_place(tmp_path, monkeypatch):
    """The writer holds equal evidence items once; each citation still reads back redacted and equal."""
    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    model = fixed_model()
    checks = model["interfaces"][1]["checks"]

    def item():  # equal values, distinct objects, as the engine makes them
        return {"kind": "exchange", "seq": 99, "headers": {"Authorization": "Bearer abcdefgh.ijkl"},
                "request_body": '{"password": "hunter2hunter2", "n": 1.5}', "note": "sent hunter2hunter2"}
    for chk in checks[:3]:
        chk["evidence"] = [item(), item()]
    paths = write_report(model, tmp_path / "out")
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    cited = [e for chk in data["interfaces"][1]["checks"][:3] for e in chk["evidence"]]
    assert len(cited) == 6 and all(e == cited[0] for e in cited)
    assert cited[0]["headers"]["Authorization"] == "Bearer ***" and "hunter2" not in json.dumps(cited[0])
    assert cited[0]["note"] == "sent ***"
    ok, msg = verify(paths["json"])
    assert ok, msg


def test_checks_are_read_not_changed_and_only_plain_json_is_kept_as_given(tmp_path, monkeypatch):
    """The writer keeps a check that is plain JSON and holds no secret as the caller's own object (no copy); the
    caller's model is never changed, a check that held a secret is masked in a copy, and a check that is not plain
    JSON (a tuple, a str or int subclass, an integer beyond 2**53, the same dict placed twice) reads back as a
    JSON round trip of it would."""
    import copy
    import enum

    class Kind(str, enum.Enum):
        NOTE = "note"

    class Level(enum.IntEnum):
        HIGH = 3

    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    model = fixed_model()
    checks = model["interfaces"][1]["checks"]
    checks[0]["evidence"] = [{"kind": Kind.NOTE, "level": Level.HIGH, "pair": (1, 2), "big": 2**60}]
    checks[1]["message"] = "sent password=hunter2hunter2"
    checks.append(checks[2])  # the same object twice
    snapshot = copy.deepcopy(model)
    paths = write_report(model, tmp_path / "out")
    assert model == snapshot and type(checks[0]["evidence"][0]["kind"]) is Kind  # the caller's model unchanged
    assert checks[1]["message"] == "sent password=hunter2hunter2"
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    got = data["interfaces"][1]["checks"]
    assert got[0]["evidence"] == [{"kind": "note", "level": 3, "pair": [1, 2], "big": str(2**60)}]
    assert got[1]["message"] == "sent password=***"
    assert got[-1] == got[2] == json.loads(json.dumps(checks[2]))
    import xml.etree.ElementTree as ET

    cases = [(c.get("classname"), c.get("name")) for c in ET.parse(paths["junit"]).iter("testcase")]
    assert len(cases) == sum(len(i["checks"]) for i in data["interfaces"]) == len(set(cases))  # CI keys on these
    ok, msg = verify(paths["json"])
    assert ok, msg

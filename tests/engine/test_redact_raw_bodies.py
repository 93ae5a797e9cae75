"""A request body holding a secret is shown as it was sent, with only the secret masked (tester11 D7): the bytes
around the secret (indentation, member order, `\\u` escapes, number forms) stay as the client wrote them, and the
secret is masked whatever its encoding inside the body (base64, percent-encoded, `\\u`-escaped, under a secret
key). The old redaction re-serialised such a body (json.dumps of the masked object): every test here failed."""
from __future__ import annotations

import base64
import json
from urllib.parse import quote

from harness.report import write_report
from harness.report.redact import MASK, Redactor

SECRET = "pw+S3cr3t/T0ken=42&x"  # "+", "/", "=", "&": its percent and base64 forms differ from it


def _escaped(s: str) -> str:
    """Every character as a \\u escape, as a client that escapes everything writes it."""
    return "".join(f"\\u{ord(c):04x}" for c in s)


BODY = ('{\n    "value" : {\n        "b64"  : "%s",\n        "pct": "q=%s",\n        "esc": "%s",\n'
        '        "name": "\\u90d1\\u5dde",  "n": 1.50e0\n    },\n    "access_token":"%s", "pwd": 7,\n'
        '    "list": [ "%s" , 2 ]\n}') % (base64.b64encode(SECRET.encode()).decode(), quote(SECRET, safe=""),
                                          _escaped(SECRET), SECRET, SECRET)
EXPECTED = ('{\n    "value" : {\n        "b64"  : "***",\n        "pct": "q=***",\n        "esc": "***",\n'
            '        "name": "\\u90d1\\u5dde",  "n": 1.50e0\n    },\n    "access_token":"***", "pwd": "***",\n'
            '    "list": [ "***" , 2 ]\n}')


def test_body_kept_as_sent_with_the_secret_masked_in_every_encoding():
    assert json.loads(BODY)["value"]["esc"] == SECRET  # the body really carries the secret in each form
    out = Redactor([SECRET]).redact({"request_body": BODY})["request_body"]
    assert out == EXPECTED


def test_secret_found_only_under_its_key_is_masked_in_place():
    """A short value under a secret key (not hunted elsewhere) and a harvested token: same bytes otherwise."""
    body = '{"organ" : "4101020001",\n "password":"abc1", "access_token": "%s", "v": {"t": "%s"}}' % (
        "t" * 12, _escaped("t" * 12))
    out = Redactor().redact({"request_body": body})["request_body"]
    assert out == '{"organ" : "4101020001",\n "password":"***", "access_token": "***", "v": {"t": "***"}}'


def test_a_string_holding_json_with_a_secret_keeps_its_own_escapes():
    inner = json.dumps({"pwd": "x" * 9, "k": "中"}, ensure_ascii=True)
    body = '{ "value": %s }' % json.dumps(inner)  # value is a JSON string of an object (E-HN-53)
    out = Redactor().redact({"request_body": body})["request_body"]
    assert json.loads(json.loads(out)["value"]) == {"pwd": MASK, "k": "中"}
    assert out.startswith('{ "value": "') and out.endswith('" }')


def test_the_written_report_shows_the_raw_body_masked(tmp_path, monkeypatch):
    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    exchange = {"kind": "exchange", "seq": 1, "method": "POST", "path": "/ysgk/restapi/transportControl/put_data",
                "headers": {"Content-Type": "application/json"}, "request_body": BODY, "status": 200}
    check = {"id": "henan.payload.params_intact", "verdict": "fail", "severity": "major", "message": "m",
             "spec_ref": "henan §4.1.4", "title_zh": "z", "title_en": "e", "stage": "interface",
             "evidence": [exchange]}
    model = {"tool": {"name": "vconform", "version": "0.1.0"}, "spec": {"name": "henan-city", "version": "V1.9.4"},
             "role": "client", "profile": "default", "sut": {"name": "gate", "version": "1"},
             "started": "2026-11-30T00:00:00+08:00", "finished": "2026-11-30T00:01:00+08:00", "seed": 1,
             "verdict": "fail", "counts": {"pass": 0, "fail": 1, "warn": 0, "skip": 0},
             "stages": [{"name": "interface", "verdict": "fail"}],
             "interfaces": [{"name": "shareDrivingRecord", "section": "henan §4.1.4", "stage": "interface",
                             "verdict": "fail", "checks": [check]}],
             "exchanges": [exchange], "reproduce": "vconform run henan-city --seed 1",
             "signoff": {"tester": "T", "organisation": "O", "sut_name": "gate", "sut_version": "1",
                         "date": "2026-11-30"}}
    paths = write_report(model, tmp_path / "out", secrets=[SECRET])
    report = json.loads(paths["json"].read_text("utf-8"))
    shown = [e["request_body"] for e in report["exchanges"]]
    shown += [ev["request_body"] for ev in report["interfaces"][0]["checks"][0]["evidence"] if "request_body" in ev]
    assert shown and all(s == EXPECTED for s in shown), shown
    for path in paths.values():
        text = path.read_text("utf-8")
        for form in (SECRET, quote(SECRET, safe=""), base64.b64encode(SECRET.encode()).decode(), _escaped(SECRET)):
            assert form not in text and form.replace("\\", "\\\\") not in text

"""The three writers fed by one model: report.json as given, bilingual escaped HTML, valid JUnit with matching counts."""
from __future__ import annotations

import base64
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from harness.report import write_report
from harness.report.html_writer import shorten

_KEY = {"report.json": "json", "report.html": "html", "junit.xml": "junit"}
IMAGE = "data:image/jpeg;base64," + base64.b64encode(bytes(range(256)) * 8).decode()  # > 512 chars


def _check(cid, verdict, severity="major", stage="interface", evidence=(), errata=(), message=None):
    return {"id": cid, "verdict": verdict, "severity": severity, "message": message or f"{cid} {verdict}",
            "spec_ref": "yunnan §6.13", "title_zh": "车辆进出记录", "title_en": "Vehicle access record",
            "stage": stage, "errata": list(errata), "evidence": list(evidence)}


def _model() -> dict:
    hostile = {"kind": "exchange", "seq": 7, "time": "2025-10-01T08:00:01+08:00", "method": "POST",
               "path": "/access/api/dataReceive/vehicleAccess", "headers": {"X-Client-Id": "YN_1"},
               "request_plaintext": json.dumps({"carHeadImg": IMAGE, "plate": "云A12345"}, ensure_ascii=False),
               "status": 500, "response_body": "<script>alert('x')</script>", "duration_ms": 3.5,
               "note": "answer\x01with a control char"}
    adapter = {"kind": "adapter", "cmd": "gate vehicleAccess ctx.json", "action": "vehicleAccess", "exit_code": 2,
               "stdout": "", "stderr": "Traceback (most recent call last):\n  boom", "duration_ms": 40}
    checks_va = [
        _check("yunnan.vehicleAccess.schema", "fail", "critical", evidence=[hostile, adapter],
               message='received <b>status</b> 500 & "x", spec requires 200'),
        _check("yunnan.vehicleAccess.images", "warn", "minor", errata=["E-YN-06"]),
        _check("yunnan.vehicleAccess.order", "skip", "info"),
        _check("yunnan.vehicleAccess.params", "pass"),
    ]
    checks_flow = [_check("yunnan.flow.heartbeat", "pass", stage="flow", evidence=[{"kind": "note", "text": "15 min"}]),
                   _check("yunnan.flow.paging", "fail", stage="flow", evidence=["plain string evidence"])]
    return {
        "tool": {"name": "vconform", "version": "0.1.0"},
        "spec": {"name": "yunnan", "version": "V1.1", "title_zh": "云南省重点行业移动源门禁监管规范",
                 "title_en": "Yunnan gate supervision spec"},
        "role": "client", "profile": "default",
        "sut": {"name": "gate", "version": "2.3", "kind": "command", "cmd": "gate --x <y>"},
        "started": "2025-10-01T08:00:00+08:00", "finished": "2025-10-01T08:01:00+08:00", "seed": 42,
        "verdict": "fail", "counts": {"pass": 2, "fail": 2, "warn": 1, "skip": 1},
        "stages": [{"name": "interface", "verdict": "fail"}, {"name": "flow", "verdict": "fail"},
                   {"name": "pilot", "verdict": "skip"}],
        "interfaces": [
            {"name": "vehicleAccess", "section": "yunnan §6.13", "stage": "interface", "verdict": "fail",
             "checks": checks_va},
            {"name": "heartbeat", "section": "yunnan §6.15", "stage": "flow", "verdict": "fail", "checks": checks_flow},
        ],
        "errata": [{"id": "E-YN-06", "title": "images in JSON or not", "default": "in-json", "alternative": "omitted",
                    "sections": ["yunnan §6.13"], "hit": True},
                   {"id": "E-YN-07", "title": "nvrPost/nvrPort", "default": "nvrPost", "alternative": "nvrPort",
                    "sections": ["yunnan §6.4"], "hit": False}],
        "coverage": [{"clause": "yunnan §6.13", "checks": ["yunnan.vehicleAccess.schema"], "covered": True},
                     {"clause": "yunnan §6.20", "checks": [], "covered": False}],
        "reproduce": "vconform run yunnan --seed 42 --sut-cmd 'gate'",
        "signoff": {"tester": "李四", "organisation": "省监管平台技术支持", "sut_name": "gate", "sut_version": "2.3",
                    "date": "2025-10-01"},
    }


@pytest.fixture
def paths(tmp_path, monkeypatch):
    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    return write_report(_model(), tmp_path / "out")


def test_json_is_the_model_plus_files_and_signature(paths):
    raw = paths["json"].read_text(encoding="utf-8")
    assert "云南省重点行业移动源门禁监管规范" in raw, "ensure_ascii=False: Chinese stays readable"
    data = json.loads(raw)
    from harness.report import DEFAULTS

    expected = {**DEFAULTS, **json.loads(json.dumps(_model()))}  # members a hand-made model lacks get their empty default
    assert {k: v for k, v in data.items() if k not in ("files", "signature")} == expected
    ev = data["interfaces"][0]["checks"][0]["evidence"][0]
    assert IMAGE in ev["request_plaintext"], "long strings are kept whole in report.json"


def test_html_bilingual_labels_and_content(paths):
    html = paths["html"].read_text(encoding="utf-8")
    for label in ("通过 / pass", "不通过 / fail", "警告 / warn", "跳过 / skip", "检查项 / Check",
                  "证据 / Evidence", "复现命令 / Reproduce", "条款覆盖", "Clause coverage", "接口测试",
                  "业务流程测试 / flow", "严重 / critical", "李四", "E-YN-06", "in-json", "omitted",
                  "未覆盖 / not covered", "yunnan §6.20", "--seed 42", "key_id="):
        assert label in html, label
    assert "E-YN-07" not in html.split("Errata applied")[1].split("</table>")[0], "only errata that were hit"
    assert html.index("结论 / Verdict") < html.index("阶段汇总")


def test_harness_errors_shown(tmp_path, monkeypatch):
    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    model = dict(_model(), harness_errors=["pytest: <usage error>"])
    html = write_report(model, tmp_path / "out")["html"].read_text(encoding="utf-8")
    assert "The harness itself failed" in html and "pytest: &lt;usage error&gt;" in html


def _data_block(html: str) -> list:
    """The page's data block (evidence and journal, drawn on demand by its script), parsed."""
    start = html.index('<script type="application/json" id="vc-data">')
    body = html[html.index(">", start) + 1:html.index("</script>", start)]
    return json.loads(body)


def test_html_escapes_evidence_and_messages(paths):
    html = paths["html"].read_text(encoding="utf-8")
    # The hostile answer reaches the page only inside the data block, with every <, > and & escaped, so it can
    # neither end the block nor open markup; the page's script sets it with textContent, never as HTML.
    assert "<script>alert" not in html and "alert(" not in html.replace("\\u003cscript\\u003ealert(", "")
    assert "\\u003cscript\\u003ealert('x')\\u003c/script\\u003e" in html
    assert "<script>alert('x')</script>" in json.dumps(_data_block(html), ensure_ascii=False)
    assert "innerHTML" not in html and "insertAdjacentHTML" not in html and "document.write" not in html
    assert "<b>status</b>" not in html and "&lt;b&gt;status&lt;/b&gt;" in html
    assert "gate --x &lt;y&gt;" in html


def test_html_self_contained_and_well_formed(paths):
    html = paths["html"].read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "no external assets"
    assert "<link" not in html
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == ['<script type="application/json" id="vc-data">', "<script>"], "inline script and data only"

    class Balance(HTMLParser):
        VOID = {"meta", "br", "hr", "img", "input", "link"}

        def __init__(self):
            super().__init__()
            self.stack = []

        def handle_starttag(self, tag, attrs):
            if tag not in self.VOID:
                self.stack.append(tag)

        def handle_endtag(self, tag):
            assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
            self.stack.pop()

    p = Balance()
    p.feed(html)
    assert p.stack == []


def test_html_shortens_large_strings(paths):
    html = paths["html"].read_text(encoding="utf-8")
    digest = hashlib.sha256(IMAGE.encode()).hexdigest()
    assert f"…({len(IMAGE)} chars, sha256 {digest})" in html
    assert IMAGE not in html
    assert IMAGE[:120] in html


def test_shorten_rules():
    blob = "A" * 600
    assert shorten(blob) == "A" * 120 + f"…(600 chars, sha256 {hashlib.sha256(blob.encode()).hexdigest()})"
    assert shorten("short") == "short"
    log = "line\n" * 200  # ordinary text over the limit stays readable
    assert shorten(log) == log


def test_junit_valid_and_counts_match(paths):
    root = ET.parse(paths["junit"]).getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["interface", "flow", "pilot"]
    cases = root.iter("testcase")
    cases = list(cases)
    counts = _model()["counts"]
    assert len(cases) == sum(counts.values()) == int(root.get("tests"))
    assert len(root.findall(".//failure")) == counts["fail"] == int(root.get("failures"))
    assert len(root.findall(".//skipped")) == counts["skip"] == int(root.get("skipped"))
    for s in suites:
        assert int(s.get("tests")) == len(s.findall("testcase"))
    by_name = {c.get("name"): c for c in cases}
    schema = by_name["yunnan.vehicleAccess.schema"]
    assert schema.get("classname") == "yunnan.vehicleAccess"
    failure = schema.find("failure")
    assert failure.get("type") == "critical"
    assert failure.get("message") == 'received <b>status</b> 500 & "x", spec requires 200'
    assert "#7 POST /access/api/dataReceive/vehicleAccess -> 500" in failure.text
    warn = by_name["yunnan.vehicleAccess.images"]
    assert warn.find("failure") is None and warn.find("skipped") is None
    assert "E-YN-06" in warn.find("system-out").text
    assert by_name["yunnan.flow.paging"].get("classname") == "yunnan.heartbeat"


def test_model_with_tuples_and_bytes_still_verifies(tmp_path, monkeypatch):
    from harness.report import verify
    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    model = _model()
    model["interfaces"][0]["checks"][3]["evidence"] = [{"kind": "note", "text": b"raw bytes", "pair": (1, 2)}]
    paths = write_report(model, tmp_path / "out")
    assert verify(paths["json"])[0]


def test_control_chars_never_reach_html_or_xml(paths):
    for name in ("report.html", "junit.xml"):
        text = paths[_KEY[name]].read_text(encoding="utf-8")
        assert "\x01" not in text and "answer\ufffdwith a control char" in text, name


def test_junit_time_sums_evidence_durations(paths):
    root = ET.parse(paths["junit"]).getroot()
    case = next(c for c in root.iter("testcase") if c.get("name") == "yunnan.vehicleAccess.schema")
    assert float(case.get("time")) == pytest.approx(0.0435, abs=1e-3)  # 3.5 ms exchange + 40 ms adapter


def test_junit_names_unique_when_checks_repeat(tmp_path, monkeypatch):
    """A check that runs several times for one interface (flow loops, several stages) gets a distinct JUnit name."""
    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    model = _model()
    model["interfaces"].append({"name": "vehicleAccess", "section": "yunnan §6.13", "stage": "flow", "verdict": "pass",
                                "checks": [_check("yunnan.vehicleAccess.params", "pass", stage="flow"),
                                           _check("yunnan.vehicleAccess.params", "pass", stage="flow")]})
    model["counts"]["pass"] += 2
    root = ET.parse(write_report(model, tmp_path / "out")["junit"]).getroot()
    pairs = [(c.get("classname"), c.get("name")) for c in root.iter("testcase")]
    assert len(pairs) == len(set(pairs)), sorted(p for p in pairs if pairs.count(p) > 1)
    names = [n for cls, n in pairs if cls == "yunnan.vehicleAccess"]
    assert {"yunnan.vehicleAccess.params [interface]", "yunnan.vehicleAccess.params [flow #1]",
            "yunnan.vehicleAccess.params [flow #2]"} <= set(names)
    assert "yunnan.vehicleAccess.schema" in names  # a check that ran once keeps its plain id

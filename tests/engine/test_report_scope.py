"""A run the harness could not complete reads as `error` in every writer (JUnit <error>s, errors="N"), and a
restricted run reads as PARTIAL in every writer (issue 8)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from harness.report.html_writer import render_html
from harness.report.writers import render_junit
from harness.adapter import ADAPTER_COMPLETED
from harness.checks import evaluate
from harness.run import RunConfig, RunContext


def _model(harness_errors=(), scope=None) -> dict:
    check = {"id": "toy.upload.ok", "verdict": "pass", "severity": "major", "message": "ok", "spec_ref": "toy §1",
             "title_zh": "上传", "title_en": "Upload", "stage": "interface", "errata": [], "evidence": []}
    return {"spec": {"name": "toy", "version": "1"}, "role": "server", "verdict": "error" if harness_errors else "pass",
            "counts": {"pass": 1, "fail": 0, "warn": 0, "skip": 0}, "harness_errors": list(harness_errors),
            "scope": scope or {"partial": False, "only": [], "stages": []},
            "stages": [{"name": "interface", "verdict": "pass"}],
            "interfaces": [{"name": "upload", "stage": "interface", "section": "toy §1", "verdict": "pass",
                            "checks": [check]}]}


def test_harness_errors_are_junit_errors():
    errs = ["cannot reach the target http://127.0.0.1:1/: refused", "run deadline reached: more than 5 s"]
    root = ET.fromstring(render_junit(_model(errs)))
    assert root.get("errors") == "2" and root.get("tests") == "3" and root.get("failures") == "0"
    found = root.findall(".//testcase/error")
    assert [e.get("message") for e in found] == errs
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert suites["harness"].get("errors") == "2" and suites["interface"].get("errors") == "0"


def test_a_complete_run_has_no_junit_errors():
    root = ET.fromstring(render_junit(_model()))
    assert root.get("errors") == "0" and not root.findall(".//error") and "PARTIAL" not in root.get("name")


def test_error_verdict_and_partial_scope_in_html():
    html = render_html(_model(["run deadline reached"], {"partial": True, "only": ["upload"], "stages": []}))
    head = html.split("<table", 1)[0]
    assert "v-error" in head and "PARTIAL RUN" in head and 'id="partial-run"' in head and "upload" in head
    assert "partial-run" not in render_html(_model())


def test_partial_scope_in_junit_name_and_properties():
    root = ET.fromstring(render_junit(_model(scope={"partial": True, "only": [], "stages": ["flow"]})))
    assert "PARTIAL RUN" in root.get("name")
    assert root.find(".//property[@name='partial']").get("value") == "true"


def test_run_model_scope_and_error_verdict(monkeypatch, tmp_path):
    from harness.registry import SpecInfo
    from pathlib import Path

    monkeypatch.setattr("harness.specdata.profile", lambda spec, name=None: {"name": name or "default"})
    monkeypatch.setattr("harness.specdata.errata", lambda folder: {})
    toy = SpecInfo(name="toy", version="1", title_zh="玩具", title_en="Toy", source="none", roles=("server",),
                   interfaces={"upload": "toy §1"}, suite_dir=Path("."))
    monkeypatch.setattr(SpecInfo, "coverage", lambda self, ids: [])
    ctx = RunContext(RunConfig(spec="toy", role="server", only=["upload"], stages=["interface"], seed=1,
                               out=tmp_path), toy)
    ctx.record(evaluate(ADAPTER_COMPLETED, [], interface="upload", stage="interface"))
    model = ctx.model()
    assert model["scope"] == {"partial": True, "only": ["upload"], "stages": ["interface"]}
    assert model["verdict"] == "pass"
    ctx.harness_errors.append("cannot reach the target")
    assert ctx.model()["verdict"] == "error"
    json.dumps(ctx.model())


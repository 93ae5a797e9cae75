"""report.json is a published contract (harness/report/report.schema.json): every report written is checked
against it before it is signed, so every run in this test suite checks it too; a model that would break it is
the harness's error, never a report."""
from __future__ import annotations

import json

import jsonschema
import pytest

from harness.report import SCHEMA_PATH, ReportContractError, check_contract, write_report
from test_report_sign import _model


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))


def test_the_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA_PATH.read_text("utf-8")))


def test_a_written_report_meets_its_schema(tmp_path):
    paths = write_report(_model(), tmp_path / "out")
    check_contract(json.loads(paths["json"].read_text("utf-8")))


@pytest.mark.parametrize("edit, where", [
    (lambda m: m.__setitem__("verdict", "maybe"), "verdict"),
    (lambda m: m["interfaces"][0]["checks"][0].__setitem__("verdict", "ok"), "interfaces/0/checks/0/verdict"),
    (lambda m: m["interfaces"][0]["checks"][0].pop("spec_ref"), "interfaces/0/checks/0"),
    (lambda m: m.__setitem__("role", "both"), "role"),
])
def test_a_model_that_breaks_the_contract_is_refused_and_nothing_is_written(tmp_path, edit, where):
    model = _model()
    edit(model)
    with pytest.raises(ReportContractError, match=where):
        write_report(model, tmp_path / "out")
    assert not (tmp_path / "out" / "report.json").exists()

"""`vconform report --journal` over the journals of catalog runs, for every spec with a stream judge (yunnan, henan
city and province, gansu): a broken client's journal fails with the catalog's check id, the reference's has no
failure. The entries are read from the catalogs (tests/specs/<doc>/catalog*.toml); slow: each is a run."""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import catalog

ROOT = Path(__file__).resolve().parents[2]
# (document, catalog variant): broken clients whose defect the stream judges, and the references. (A Yunnan run's
# journal holds no platform key, so its envelope checks skip there: observe mode keeps the key, see test_observe_yunnan.)
CASES = [("yunnan", "field-over-length"), ("henan", "wrong-organ"),
         ("henan", "area-name-too-long"), ("gansu", "value-object"), ("gansu", "reference"), ("henan", "reference")]


def _entries():
    for doc, variant in CASES:
        for entry in catalog.load(doc):
            if entry.role == "client" and entry.variant == variant:
                yield pytest.param(entry, id=f"{doc}-{entry.name}")


def _spec_name(entry) -> str:
    args = list(entry.args)
    return f"{entry.spec}-{args[args.index('--level') + 1]}" if "--level" in args else entry.spec


@pytest.mark.slow
@pytest.mark.parametrize("entry", list(_entries()))
def test_report_journal_rederives_the_catalog_verdict(entry, tmp_path):
    journal = tmp_path / "run.db"
    outcome = catalog.run(dataclasses.replace(entry, args=(*entry.args, "--journal", str(journal))), tmp_path)
    assert outcome.code in (0, 1), outcome.output
    env = {**os.environ, "VCONFORM_HOME": str(tmp_path / "home")}
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "report", "--journal", str(journal), "--spec",
                           _spec_name(entry), "--out", str(tmp_path / "offline")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    report = json.loads((tmp_path / "offline" / "report.json").read_text("utf-8"))
    rows = [c for i in report["interfaces"] for c in i["checks"]]
    failed = sorted({c["id"] for c in rows if c["verdict"] == "fail"})
    assert report["scope"]["stages"] == ["pilot"] and report["pilot"]["exchanges"] > 0
    if entry.passes:
        assert proc.returncode == 0 and not failed, proc.stdout + proc.stderr
    else:
        assert proc.returncode == 1 and entry.fails in failed, (entry.fails, failed, proc.stdout)

"""The run keeps its results on disk (issue 10, reports that stream): `RunContext.results` is a store read back from
an unnamed temporary SQLite database, `ctx.model(streamed=True)` hands the writer sequences read from it, and the
files written from it are the files written from the same model held in memory."""
from __future__ import annotations

import hashlib
import sys
import tracemalloc
from pathlib import Path

import pytest

from harness.checks import CheckResult
from harness.report import verify, write_report

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "tok" + "Z" * 29


@pytest.fixture
def bench():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import report_write
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return report_write


def _run(bench, tmp_path, n=60):
    ctx = bench.new_run(str(tmp_path / "out"))
    bench.record_run(ctx, n, fail_every=7)
    ctx.current_stage = "flow"
    # a token learnt only from this check's evidence, quoted by a later check; a second, different copy of exchange
    # 5 (the first one cited is the one kept); an exchange cited only by a failure; a skip
    ctx.record(CheckResult(id="toy.w", verdict="warn", severity="minor", message="w", spec_ref="x", interface="beta",
                           errata=["E1"], evidence=[{"kind": "exchange", "seq": 5, "note": "a later copy"},
                                                    {"kind": "note", "headers": {"X-Auth-Token": TOKEN}}]))
    ctx.record(CheckResult(id="toy.f", verdict="fail", severity="major", message=f"echoed {TOKEN}", spec_ref="x",
                           interface="beta", evidence=[{"kind": "exchange", "seq": 10_000, "path": "/late"}]))
    ctx.record(CheckResult(id="toy.s", verdict="skip", severity="minor", message="s", spec_ref="x", interface="beta"))
    return ctx


def test_results_read_back_as_recorded(bench, tmp_path):
    ctx = _run(bench, tmp_path, n=20)
    results = ctx.results
    assert len(results) == 63
    every = list(results)
    assert [r.id for r in every[-3:]] == ["toy.w", "toy.f", "toy.s"] and every[-1].stage == "flow"
    assert results[-1].as_dict() == every[-1].as_dict() and results[0].as_dict() == every[0].as_dict()
    assert [r.as_dict() for r in results[58:61]] == [r.as_dict() for r in every[58:61]]
    assert results[70:] == [] and len(results[:5]) == 5
    with pytest.raises(IndexError):
        results[63]
    assert [r.id for r in ctx.failures(stage="flow")] == ["toy.f"]
    assert ctx.verdict == "fail"


def test_streamed_model_writes_the_same_files_as_the_model_in_memory(bench, tmp_path, monkeypatch):
    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    ctx = _run(bench, tmp_path)
    listed = ctx.model()
    streamed = ctx.model(streamed=True)
    assert not isinstance(streamed["exchanges"], list) and len(streamed["exchanges"]) == len(listed["exchanges"])
    seqs = [e["seq"] for e in listed["exchanges"]]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)) == 61  # 60 of the run and #10000, each once
    assert next(e for e in listed["exchanges"] if e["seq"] == 5).get("note") is None  # the first copy cited
    for iface_l, iface_s in zip(listed["interfaces"], streamed["interfaces"]):
        assert list(iface_s["checks"]) == iface_l["checks"]
        assert iface_s["checks"][-1] == iface_l["checks"][-1]
    a = write_report(listed, tmp_path / "a", secrets=sorted(ctx.secrets))
    b = write_report(streamed, tmp_path / "b", secrets=sorted(ctx.secrets))
    for kind in ("html", "junit", "json"):
        assert hashlib.sha256(a[kind].read_bytes()).digest() == hashlib.sha256(b[kind].read_bytes()).digest(), kind
    assert verify(tmp_path / "b")[0]
    text = b["json"].read_text(encoding="utf-8") + b["junit"].read_text(encoding="utf-8")
    assert TOKEN not in text and "echoed ***" in text


def test_recording_does_not_hold_results_in_memory(bench, tmp_path):
    ctx = bench.new_run(str(tmp_path / "out"))
    bench.record_run(ctx, 50)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        bench.record_run(ctx, 1500)  # 4,500 checks, each citing a ~2.5 KB exchange
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(ctx.results) == 4650
    assert grown / 4500 < 100, f"{grown / 4500:.0f} bytes held per recorded check"


def test_the_index_gathered_while_spooling_is_the_index_of_the_spooled_model(bench, tmp_path, monkeypatch):
    """The writer notes what the files say of the checks as a whole (`CheckIndex`) as it spools them; the same files
    come out when each writer gathers it itself in a pass over the spools (`CheckIndex.of`), failing rows, warns,
    skips, errata and a second stage included."""
    import harness.report as report
    from harness.report.writers import CheckIndex

    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    ctx = _run(bench, tmp_path)
    a = write_report(ctx.model(streamed=True), tmp_path / "a", secrets=sorted(ctx.secrets))
    gathered: list[CheckIndex] = []
    real_html, real_junit = report.write_html, report.write_junit

    def html_without(model, path, *, index=None, **kw):
        gathered.append(index)
        return real_html(model, path, **kw)

    monkeypatch.setattr(report, "write_html", html_without)
    monkeypatch.setattr(report, "write_junit", lambda model, path, *, index=None: real_junit(model, path))
    b = write_report(ctx.model(streamed=True), tmp_path / "b", secrets=sorted(ctx.secrets))
    for kind in ("html", "junit"):
        assert a[kind].read_bytes() == b[kind].read_bytes(), kind
    index = gathered[0]
    assert index.stage_counts == {"interface": {"pass": 154, "fail": 26}, "flow": {"warn": 1, "fail": 1, "skip": 1}}
    assert index.errata == {"E1": {"toy.w"}} and index.n_exchanges == 61
    assert sum(len(js) for js in index.failing.values()) == 27
    assert b"toy.f" in a["junit"].read_bytes() and b"echoed ***" in a["html"].read_bytes()

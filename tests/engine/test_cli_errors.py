"""Harness errors are errors (issues 8, 9): every argument the harness can check is checked before a run starts,
and refused with one line on stderr and exit 2 — never a traceback, never a signed verdict about the SUT."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from harness import cli


def run_cli(capsys, *argv: str) -> tuple[int, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:  # argparse refusals
        code = exc.code
    out = capsys.readouterr()
    return code, out.out + out.err


def one_line_refusal(code: int, text: str, *needles: str) -> None:
    assert code == 2, text
    assert "Traceback" not in text, text
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines and len(lines[-1]) < 400, text
    for needle in needles:
        assert needle in text, (needle, text)


@pytest.fixture
def not_sqlite(tmp_path) -> Path:
    p = tmp_path / "notes.txt"
    p.write_text("not a database\n")
    return p


MOCK_CASES = {
    "port out of range": (["--port", "70000"], "70000"),
    "journal is a directory": (["--journal", "{tmp}"], "is a directory"),
    "journal is not SQLite": (["--journal", "{notes}"], "not an SQLite"),
    "journal under a file": (["--journal", "{notes}/journal.db"], "is a file"),
}


@pytest.mark.parametrize("case", list(MOCK_CASES))
def test_mock_refuses_bad_arguments_in_one_line(case, capsys, tmp_path, not_sqlite):
    args, needle = MOCK_CASES[case]
    args = [a.format(tmp=tmp_path, notes=not_sqlite) for a in args]
    code, text = run_cli(capsys, "mock", "yunnan", *args)
    one_line_refusal(code, text, needle)
    assert not_sqlite.read_text() == "not a database\n"  # a foreign file is never touched


def test_verify_names_the_path_it_was_given(capsys, tmp_path):
    missing = tmp_path / "nonexistent"
    code, text = run_cli(capsys, "verify", str(missing))
    one_line_refusal(code, text, str(missing))


def _exe(path: Path, text: str, mode: int = 0o755) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def run_refusals(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    noexec = _exe(tmp_path / "adapter.sh", "#!/bin/sh\nexit 0\n", 0o644)
    return {
        "empty --sut-cmd": (["--sut-cmd", ""], "empty adapter command"),
        "blank --sut-cmd": (["--sut-cmd", "   "], "empty adapter command"),
        "unbalanced quote": (["--sut-cmd", "python3 'adapter.py"], "cannot be split"),
        "not executable": (["--sut-cmd", str(noexec)], "not executable"),
        "missing program": (["--sut-cmd", str(tmp_path / "nope")], "not found"),
        "out under a file": (["--out", str(blocker / "reports")], "--out"),
        "out is a file": (["--out", str(blocker)], "--out"),
        "unknown stage": (["--stage", "flw"], "flw"),
        "journal is a directory": (["--journal", str(tmp_path)], "is a directory"),
        "bad deadline": (["--deadline", "soon"], "soon"),
        "zero adapter timeout": (["--adapter-timeout", "0"], "positive"),
    }


CASES = ["empty --sut-cmd", "blank --sut-cmd", "unbalanced quote", "not executable", "missing program",
         "out under a file", "out is a file", "unknown stage", "journal is a directory", "bad deadline",
         "zero adapter timeout"]


@pytest.mark.parametrize("case", CASES)
def test_run_refuses_before_anything_runs(case, capsys, tmp_path, monkeypatch):
    """Each refusal comes before any suite starts: no report folder content, exit 2, one line."""
    import harness.runner

    monkeypatch.setattr(harness.runner.pytest, "main", lambda *a, **k: pytest.fail("a suite started"))
    refusals = run_refusals(tmp_path)
    assert sorted(refusals) == sorted(CASES)
    args, needle = refusals[case]
    out = tmp_path / "reports-default"
    if "--out" not in args:
        args = args + ["--out", str(out)]
    code, text = run_cli(capsys, "run", "yunnan", *args)
    one_line_refusal(code, text, needle)
    assert not (out / "report.json").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_unwritable_out_is_refused_before_the_run(capsys, tmp_path, monkeypatch):
    import harness.runner

    monkeypatch.setattr(harness.runner.pytest, "main", lambda *a, **k: pytest.fail("a suite started"))
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        code, text = run_cli(capsys, "run", "yunnan", "--out", str(ro / "reports"))
        one_line_refusal(code, text, "--out")
        code, text = run_cli(capsys, "run", "yunnan", "--out", str(ro))
        one_line_refusal(code, text, "--out")
    finally:
        ro.chmod(0o755)


def test_runner_refuses_empty_sut_cmd_for_api_callers(tmp_path):
    """run() itself, not only the command line, refuses an empty command instead of running the reference."""
    from harness.run import HarnessError, RunConfig
    from harness.runner import run

    with pytest.raises(HarnessError, match="empty adapter command"):
        run(RunConfig(spec="yunnan", sut_cmd="", out=tmp_path))


def test_a_full_disk_while_writing_the_report_is_a_harness_error(tmp_path, monkeypatch, capsys):
    """The report's spools are temporary SQLite databases and files: SQLite failing (disk full) while they are
    written is the harness's failure, exit 2 with the reason, never a run judged against the SUT."""
    import sqlite3

    import harness.report

    def full(*a, **k):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(harness.report, "write_report", full)
    code, text = run_cli(capsys, "run", "yunnan", "--only", "init-auth", "--out", str(tmp_path / "out"))
    assert code == 2 and "cannot write the report" in text and "disk is full" in text


def test_options_are_documented_with_their_defaults(capsys):
    code, text = run_cli(capsys, "run", "--help")
    assert code == 0
    flat = " ".join(text.split())
    assert "--deadline SECONDS" in flat and "default: 3600" in flat
    assert "--adapter-timeout SECONDS" in flat and "default: 60" in flat


def test_a_real_or_new_journal_is_accepted(tmp_path):
    """The refusals above refuse only what cannot be a journal: an existing SQLite journal, an empty file and a
    new path in an existing folder are accepted."""
    from harness.journal import Journal

    existing = tmp_path / "j.sqlite"
    Journal(existing).close()
    empty = tmp_path / "empty.db"
    empty.touch()
    for path in (existing, empty, tmp_path / "new.db", tmp_path / "sub" / "new.db"):
        cli.check_journal_path(path)
        cli.open_journal(path).close()


def test_output_piped_into_a_reader_that_stops_early_is_no_error():
    """`vconform actions yunnan --schema | head -c 1`: the closed pipe gives no traceback (it did 4 runs in 5)."""
    import subprocess
    import sys

    for _ in range(5):
        proc = subprocess.run(f"{sys.executable} -m harness.cli actions yunnan --schema | head -c 1", shell=True,
                              capture_output=True, text=True, timeout=120,
                              cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
        assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr

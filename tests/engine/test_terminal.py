"""A failed run is easy to read in the terminal (issue 8, "Failures first"): progress per stage and interface while
the run goes, no pytest internals, and one line per distinct root cause with its check id, clause and a pointer
into report.json; a failing run fits on one screen."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from harness.terminal import normalise_message, root_causes

ROOT = Path(__file__).resolve().parents[2]
BROKEN = ROOT / "tests" / "specs" / "yunnan" / "broken_clients.py"


def vconform(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "VCONFORM_HOME": str(home)})


PYTEST_INTERNALS = ("deselected", "passed", "failed in", "FAILURES", "Traceback", "pytest_plugin.py", ".py:", "[100%]")


def test_adapter_that_always_exits_1_prints_its_cause_once_on_one_screen(tmp_path):
    adapter = f"{sys.executable} -c 'import sys; print(\"cannot reach the database\", file=sys.stderr); sys.exit(1)'"
    res = vconform("run", "yunnan", "--seed", "5", "--out", str(tmp_path / "o"), "--sut-cmd", adapter,
                   home=tmp_path / "home")
    text = res.stdout + res.stderr
    assert res.returncode == 1, text
    lines = text.splitlines()
    assert len(lines) <= 40, f"{len(lines)} lines:\n{text}"
    for needle in PYTEST_INTERNALS:
        assert needle not in text, (needle, text)
    # a cause takes one line, or (the terminal too narrow for its message beside id, clause and pointer) its
    # message goes on an indented line below
    at = [i for i, line in enumerate(lines) if "cannot reach the database" in line and not line.startswith("reproduce:")]
    assert len(at) == 1, text
    cause = [next(line for line in lines[at[0]::-1] if line.startswith("  FAIL "))]
    assert "adapter.completed" in cause[0] and "report.json#/interfaces/" in cause[0], text
    # progress: one line per interface of the interface stage, with its check count and verdict
    assert any(line.split()[:2] == ["interface", "heartBeat"] and "checks" in line and "fail" in line
               for line in lines), text
    # the pointer leads to a failing check of that root cause
    pointer = cause[0].split("report.json#")[1].split()[0]
    report = json.loads((tmp_path / "o" / "report.json").read_text("utf-8"))
    node = report
    for part in pointer.strip("/").split("/"):
        node = node[int(part)] if isinstance(node, list) else node[part]
    assert node["id"] == "adapter.completed" and node["verdict"] == "fail"


def test_broken_client_from_the_catalog_names_its_root_cause_once(tmp_path):
    res = vconform("run", "yunnan", "--seed", "5", "--out", str(tmp_path / "o"),
                   "--sut-cmd", f"{sys.executable} {BROKEN} aes128", home=tmp_path / "home")
    text = res.stdout + res.stderr
    assert res.returncode == 1, text
    assert len(text.splitlines()) <= 50, text  # 26 progress lines, then causes of one to three lines
    aes = [line for line in text.splitlines() if "yunnan.envelope.aes256" in line and "FAIL" in line]
    assert len(aes) == 1 and "yunnan §5" in aes[0], text


def _fail(cid, message, i, j):
    return {"id": cid, "verdict": "fail", "message": message, "spec_ref": "yunnan §5.2"}, i, j


def test_root_causes_group_by_check_and_normalised_message():
    model = {"interfaces": [
        {"name": "heartBeat", "stage": "interface", "checks": [
            {"id": "x.aes", "verdict": "fail", "message": "seq 17: key is 16 bytes, heartBeat needs 32",
             "spec_ref": "yunnan §5.2"},
            {"id": "x.ok", "verdict": "pass", "message": "", "spec_ref": "yunnan §5.2"}]},
        {"name": "vehicleAccess", "stage": "interface", "checks": [
            {"id": "x.aes", "verdict": "fail", "message": "seq 2301: key is 16 bytes, vehicleAccess needs 32",
             "spec_ref": "yunnan §5.2"},
            {"id": "x.other", "verdict": "fail", "message": "status 500", "spec_ref": "yunnan §4.1"}]},
        {"name": "vehicleAccess", "stage": "flow", "checks": [
            {"id": "x.aes", "verdict": "fail", "message": "seq 2310: key is 16 bytes, vehicleAccess needs 32",
             "spec_ref": "yunnan §5.2"}]},
    ]}
    causes = root_causes(model)
    assert [(c.check_id, c.count, c.interfaces) for c in causes] == [("x.aes", 3, ["heartBeat", "vehicleAccess"]),
                                                                     ("x.other", 1, ["vehicleAccess"])]
    assert causes[0].pointer == "/interfaces/0/checks/0" and causes[1].pointer == "/interfaces/1/checks/1"
    assert normalise_message("id 8f3a2c1d9e0b: #3 at 2025-10-01T08:00:01+08:00 to /api/heartBeat", ["heartBeat"]) == \
        normalise_message("id 00aa11bb22cc: #99 at 2026-01-02T09:10:11+08:00 to /api/enterprise", ["enterprise"])
    assert normalise_message("exited 1", ["x"]) != normalise_message("exited 2", ["x"])
    assert "exceedVehicleConfirm" not in normalise_message("exceedVehicleConfirm", ["exceedVehicle", "exceedVehicleConfirm"])


def test_a_test_that_ended_without_checks_says_why():
    from types import SimpleNamespace

    from harness.terminal import _reason

    report = SimpleNamespace(longreprtext="suites/x.py:20: in test_heartbeat\n    pytest.fail(...)\n"
                                          "E   Failed: connect failed; see the connect interface")
    assert _reason(report) == "connect failed; see the connect interface"


def test_one_defect_is_one_cause_in_an_aes128_run():
    """issue 8: messages of one failing AES-128 run (ids, quoted values, counts, fuzz-stage batch labels and their
    reproduction lines differ) group into one cause per defect, for the terminal and the HTML report alike."""
    aes = "my-yn: getToken refused 500 ✖ 会话密钥长度错误：须为 AES-256：AES session key is 128 bits, spec requires 256"
    replay = "; seed 1521550361; replay: vconform run yunnan --role client --seed 1521550361 --sut-cmd 'node c.mjs'" \
             " Falsifying example: run( example=Feed( 'a', 3, ({'b': 'c'},), (7,), ), )"
    rows = [
        ("getToken", "adapter.completed", f"adapter getToken exited 1: {aes}"),
        ("enterprise", "adapter.completed", f"adapter enterprise exited 1: {aes}"),
        ("strategyConfirm", "yunnan.confirm.applied",
         "3 of 3 ids never confirmed (first: ['CL202510180500', 'CL202510080501', 'CL202510080502'])"),
        ("alarmConfirm", "yunnan.confirm.applied",
         "3 of 3 ids never confirmed (first: ['5306251760347829000500', '5306251760170775000501'])"),
        ("exceedVehicle", "yunnan.pull.paging", "no successful exceedVehicle call"),
    ]
    for name, n in (("exceedVehicle", 100), ("basStrategy", 200), ("alarmVehicle", 350)):
        rows += [
            (name, "adapter.completed", f"{n} records from 2027-12-31 23:59:58 over 0 pages: adapter {name} exited 1: "
                                        f"{aes}{replay}"),
            (name, "yunnan.pull.paging", f"{n} records from 2027-12-31 23:59:58 over 0 pages: no successful {name} "
                                         f"call; {n} records from 2028-02-28 23:59:58 over 0 pages: no successful "
                                         f"{name} call{replay}"),
        ]
    model = {"interfaces": [{"name": name, "checks": [{"id": cid, "verdict": "fail", "message": msg}]}
                            for name, cid, msg in rows]}
    causes = root_causes(model)
    assert [(c.check_id, c.count) for c in causes] == [
        ("adapter.completed", 5), ("yunnan.confirm.applied", 2), ("yunnan.pull.paging", 4)]
    from harness.report.html_writer import failure_groups
    assert len(failure_groups(model, {})) == 3
    # Different defects stay apart: another exit code, another finding.
    assert normalise_message("adapter x exited 1: boom") != normalise_message("adapter x exited 2: boom")
    assert normalise_message("answered code 500") != normalise_message("answered code 404")


def test_harness_errors_print_their_reason_once_and_pytest_output_only_for_a_harness_bug():
    from harness.terminal import harness_reasons
    down = [f"suites/y/test_a.py::test_{i}: HarnessError: cannot reach the target http://h/x: refused" for i in range(5)]
    lines, unexplained = harness_reasons(down + ["run deadline reached"], {"HarnessError", "DeadlineReached"})
    assert lines == ["cannot reach the target http://h/x: refused (5 tests)", "run deadline reached"]
    assert not unexplained
    lines, unexplained = harness_reasons(["suites/y/test_a.py::test_b: KeyError: 'x'"], {"HarnessError"})
    assert lines == ["suites/y/test_a.py::test_b: KeyError: 'x'"] and unexplained


def test_cause_lines_fit_the_terminal_and_keep_id_clause_and_pointer(monkeypatch):
    """issue 8: lines of up to 356 characters; each now fits the width, check id, clause and pointer visible."""
    from harness.terminal import RootCause, columns, fit, terminal_width
    long_msg = "adapter getToken exited 1: my-yn: getToken refused 500 ✖ 会话密钥长度错误：须为 AES-256 " + "x" * 200
    causes = [RootCause("adapter.completed", "vconform adapter contract (docs/adapter.md)", long_msg,
                        "/interfaces/1/checks/0", 37, ["getToken", "enterprise", "heartBeat"],
                        "vconform replay /somewhere/report.json --check adapter.completed"),
              RootCause("yunnan.answer.accepted", "yunnan §4.3", "short", "/interfaces/1/checks/10", 2, ["getToken"])]
    for width in (80, 100, 140):
        for cause in causes:
            text = cause.line(width)
            assert all(columns(ln) <= width for ln in text.splitlines()), (width, text)
            for part in (cause.check_id, cause.clause, cause.pointer):
                assert part in text, (width, part, text)
    assert causes[1].line(200).endswith("→ report.json#/interfaces/1/checks/10")
    assert columns(fit("会" * 100, 41)) <= 41
    monkeypatch.setenv("COLUMNS", "123")
    assert terminal_width() == 123

"""Adapter evidence a person can act on after the run (issue 8): the context the adapter received is embedded
(the context file is deleted with the state folder), stderr keeps the exception line and the first stack frames
of real Python, Node.js and Java failures (not "Node.js v20.20.2"), bounded, and each call has a replay line."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.adapter import STDERR_LINES, Adapter, completion_problems, stderr_lines


def _adapter(tmp_path: Path, argv: list[str]) -> Adapter:
    ad = Adapter(argv, "toy", "http://127.0.0.1:9/x", {"enterpriseId": "E1", "password": "pw-123456"},
                 tmp_path / "state", timeout=60)
    ad.replay_hint = "vconform replay out/report.json"
    return ad


def test_evidence_embeds_the_context_and_names_no_deleted_file(tmp_path):
    script = tmp_path / "a.py"
    script.write_text("import sys\nsys.exit(0)\n")
    ad = _adapter(tmp_path, [sys.executable, str(script)])
    res = ad.run("vehicleAccess", {"recordId": "R1", "cargoWeight": 12.0})
    ev = res.evidence()
    assert ev["context"] == {"spec": "toy", "action": "vehicleAccess", "base_url": "http://127.0.0.1:9/x",
                             "credentials": {"enterpriseId": "E1", "password": "pw-123456"},
                             "params": {"recordId": "R1", "cargoWeight": 12.0}, "state_dir": str(tmp_path / "state")}
    assert ev["call"] == 1 and ev["replay"] == "vconform replay out/report.json --call 1"
    assert ev["cmd"].endswith("vehicleAccess CONTEXT_FILE") and "context-0001" not in ev["cmd"]
    assert ad.run("getToken", {}).evidence()["call"] == 2
    json.dumps(ev)


PY_FAIL = """
import json
def read_answer(text):
    return json.loads(text)
print("calling the platform", flush=True)
read_answer("{not json")
"""

NODE_FAIL = """
function seal(key) {
  if (key.length !== 32) throw new RangeError('AES key must be 32 bytes, got ' + key.length);
}
console.error('sealing the envelope');
seal(Buffer.alloc(16));
"""

JAVA_FAIL = """
public class Fail {
    static void seal(byte[] key) { throw new IllegalStateException("AES key must be 32 bytes, got " + key.length); }
    public static void main(String[] a) { seal(new byte[16]); }
}
"""


def _run_failing(tmp_path, argv):
    res = _adapter(tmp_path, argv).run("vehicleAccess", {})
    assert res.exit_code not in (0, None)
    return res, res.evidence()["stderr_lines"], completion_problems(res)[0].message


def test_python_traceback_keeps_the_exception_and_its_frames(tmp_path):
    script = tmp_path / "adapter.py"
    script.write_text(PY_FAIL)
    res, lines, msg = _run_failing(tmp_path, [sys.executable, str(script)])
    assert lines[-1].startswith("json.decoder.JSONDecodeError: Expecting property name")
    assert any('line 6, in <module>' in ln for ln in lines) or any("in read_answer" in ln for ln in lines)
    assert "JSONDecodeError" in msg and len(lines) <= STDERR_LINES


def test_node_stack_keeps_the_error_and_first_frames_not_the_version_banner(tmp_path):
    node = shutil.which("node")
    if not node:
        pytest.skip("no Node.js here (CI installs it)")
    script = tmp_path / "adapter.mjs"
    script.write_text(NODE_FAIL)
    res, lines, msg = _run_failing(tmp_path, [node, str(script)])
    assert res.stderr.strip().splitlines()[-1].startswith("Node.js v")  # what the old message quoted
    assert "RangeError: AES key must be 32 bytes, got 16" in lines
    frames = [ln for ln in lines if ln.strip().startswith("at ")]
    assert frames and "seal" in frames[0] and "adapter.mjs" in frames[0]
    assert not any(ln.startswith("Node.js v") for ln in lines)
    assert msg.endswith("RangeError: AES key must be 32 bytes, got 16") and len(lines) <= STDERR_LINES


def test_java_stack_keeps_the_exception_and_first_frames(tmp_path):
    javac, java = shutil.which("javac"), shutil.which("java")
    if not (javac and java):
        pytest.skip("no JDK here (CI installs one)")
    (tmp_path / "Fail.java").write_text(JAVA_FAIL)
    subprocess.run([javac, "-d", str(tmp_path), str(tmp_path / "Fail.java")], check=True, timeout=300)
    res, lines, msg = _run_failing(tmp_path, [java, "-cp", str(tmp_path), "Fail"])
    assert lines[0] == 'Exception in thread "main" java.lang.IllegalStateException: AES key must be 32 bytes, got 16'
    assert "at Fail.seal(Fail.java:3)" in lines[1]
    assert "IllegalStateException" in msg


def test_stderr_lines_are_bounded_and_plain_text_keeps_its_last_lines():
    assert stderr_lines("warming up\nvehicleAccess refused: 500 server error\n") == [
        "warming up", "vehicleAccess refused: 500 server error"]
    huge = "Error: x\n" + "    at f (a.js:1:1)\n" * 10_000 + "y" * 100_000
    lines = stderr_lines(huge)
    assert len(lines) <= STDERR_LINES and all(len(ln) <= 300 for ln in lines)
    assert stderr_lines("") == [] and stderr_lines("\n\nNode.js v20.20.2\n") == []


def test_secrets_in_the_context_credentials_are_the_runs_secrets(monkeypatch, tmp_path):
    """The context embedded in evidence holds the credentials; a password there is masked wherever the report
    quotes it (here: the adapter's stderr), not only under its own key."""
    from harness.journal import Journal
    from harness.registry import SpecInfo
    from harness.report.redact import Redactor
    from harness.run import RunConfig, RunContext
    from harness.session import ClientSession

    monkeypatch.setattr("harness.specdata.profile", lambda spec, name=None: {"name": name or "default"})
    toy = SpecInfo(name="toy", version="1", title_zh="玩具", title_en="Toy", source="none", roles=("client",),
                   interfaces={"connect": "toy §1"}, suite_dir=Path("."))
    vrun = RunContext(RunConfig(spec="toy", seed=1, out=tmp_path / "out"), toy)
    session = ClientSession(vrun, Journal(None))
    try:
        session.start_adapter([sys.executable, "-c", "import sys; sys.stderr.write('login pw-SECRET-99 refused\\n'); "
                                                     "sys.exit(1)"], "toy", "tcp://127.0.0.1:9",
                              {"user_id": 7, "account": {"password": "pw-SECRET-99"}})
        res, _ = session.act("connect", {})
    finally:
        session.close()
    assert "pw-SECRET-99" in vrun.secrets
    ev = Redactor(vrun.secrets).redact(res.evidence())
    assert "pw-SECRET-99" not in json.dumps(ev, ensure_ascii=False)
    assert ev["context"]["credentials"]["user_id"] == 7 and ev["replay"].endswith("report.json --call 1")


def test_a_lone_error_line_is_not_taken_for_the_reason_when_the_adapter_wrote_its_own_last():
    from harness.adapter import AdapterResult, failure_line

    res = AdapterResult("vehicleAccess", [], 1, "", "Error: first try timed out, retrying\nvehicleAccess refused: 503\n", 1.0)
    assert failure_line(res) == "vehicleAccess refused: 503"
    assert stderr_lines(res.stderr)[-1] == "vehicleAccess refused: 503"

"""The client-role SUT adapter protocol of DESIGN.md: run `CMD ACTION CONTEXT_FILE`, capture what it did."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from harness.checks import Problem, check, fail
from harness.report.redact import redact_text, safe_tail

ADAPTER_COMPLETED = "adapter.completed"  # one engine-owned check, judged in every spec's client role


DEFAULT_TIMEOUT = 60.0      # seconds one adapter call may take (`vconform run --adapter-timeout`)
OUTPUT_CAP = 4 * 1024 * 1024  # bytes of stdout and of stderr kept per call; the rest is read and dropped
PIPE_GRACE = 2.0            # seconds the adapter's output may stay open after it exited (a child holding it)
EVIDENCE_TAIL = 4000        # characters of stdout and stderr the report's evidence keeps (the end of each)
STDERR_LINES = 12           # meaningful stderr lines kept (exception line and first stack frames), each cut to 300
CONTEXT_TOKEN = "CONTEXT_FILE"  # stands for the (deleted) context file in evidence: the context itself is embedded


class AdapterNotFound(RuntimeError):
    """The adapter command does not exist or cannot be run: a harness error (exit 2), not a SUT failure."""


@dataclass
class AdapterResult:
    action: str
    cmd: list[str]
    exit_code: int | None
    stdout: str
    stderr: str
    duration_ms: float
    timed_out: bool = False
    leftover: bool = False        # it exited, but processes it started kept its output open (killed)
    stdout_cut: bool = False      # stdout was longer than OUTPUT_CAP; only its head is kept
    output: Any = None            # parsed stdout JSON for pull actions
    output_error: str = ""        # why stdout could not be parsed
    context: dict[str, Any] = field(default_factory=dict)
    call: int = 0                 # the adapter call's number in the run (1, 2, ...): `vconform replay --call N`
    replay: str = ""              # the one-line command that re-sends this stimulus after the run
    secrets: Any = field(default=(), repr=False)  # the run's known secrets (a live set), masked before the cut

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    def evidence(self) -> dict[str, Any]:
        """The call as report evidence: the context it received embedded (the context file is deleted with the
        run's state folder), the meaningful stderr lines, the ends of stdout and stderr, and its replay line.
        The whole output is redacted (the run's secrets, the context's credentials, key-shaped text) before it is
        cut to its tail, and the cut is made safe: a cut inside a key must not leave a tail redaction misses."""
        stdout = redact_text(self.stdout, self.secrets, self.context)
        stderr = redact_text(self.stderr, self.secrets, self.context)
        ev = {"kind": "adapter", "call": self.call, "action": self.action, "cmd": " ".join(self.cmd),
              "exit_code": self.exit_code, "timed_out": self.timed_out, "duration_ms": round(self.duration_ms, 1),
              "params": self.context.get("params"), "context": self.context,
              "stdout": safe_tail(stdout, EVIDENCE_TAIL), "stderr": safe_tail(stderr, EVIDENCE_TAIL),
              "stderr_lines": stderr_lines(stderr)}
        if self.replay:
            ev["replay"] = self.replay
        return ev


# What a runtime prints after its stack trace and that says nothing of the failure.
_NOISE = re.compile(r"^\s*(Node\.js v\d[\w.]*|npm (ERR!|error) (A complete log|code)|\^+)\s*$")
# The line that names the failure: Python's last traceback line, Java's "Exception in thread"/"Caused by", Node's
# "Error: ..." / "TypeError [ERR_...]: ...", Go's "panic:".
_EXCEPTION = re.compile(r"^(?:Exception in thread .*|Caused by: .*|panic: .*|Uncaught .*"
                        r"|(?:[A-Za-z_$][\w$.]*)?(?:Error|Exception|Exit|Interrupt|Failure)\b(?: \[[A-Z_0-9]+\])?(?::.*)?)$")
_FRAME_AFTER = re.compile(r"^\s+(at |\.\.\. \d+ more)")      # Java and Node: frames follow the exception line
_FRAME_BEFORE = re.compile(r'^\s+File "|^\s{4}\S')            # Python: frames (and their source lines) precede it


def stderr_lines(text: str, limit: int = STDERR_LINES) -> list[str]:
    """The lines of an adapter's stderr a person needs to see why it failed, bounded: for a Python, Java or Node.js
    stack trace the exception line with the stack frames nearest to the failure (Python's last frames before it,
    Java's and Node's first frames after it); for anything else its last lines. Runtime banners such as
    "Node.js v20.20.2" are left out."""
    return _stderr_summary(text, limit)[0]


def _stderr_summary(text: str, limit: int = STDERR_LINES) -> tuple[list[str], str]:
    """(the meaningful lines, the exception line of a stack trace or "" when there is no stack trace)."""
    lines = [ln.rstrip() for ln in text.splitlines()]
    lines = [ln[:300] for ln in lines if ln.strip() and not _NOISE.match(ln)]
    hits = [i for i, ln in enumerate(lines) if _EXCEPTION.match(ln.strip()) and not ln.startswith((" ", "\t"))]
    for i in ([hits[0]] if hits and lines[hits[0]].startswith("Exception in thread") else []) + hits[::-1]:
        if i + 1 < len(lines) and _FRAME_AFTER.match(lines[i + 1]):   # Java / Node: exception, then frames
            frames = [ln for ln in lines[i + 1:] if _FRAME_AFTER.match(ln) or ln.lstrip().startswith("Caused by")]
            out = [lines[i]] + frames[:limit - 1]
            before = [ln for ln in lines[:i] if not _FRAME_BEFORE.match(ln)][-2:]  # e.g. Node's source line
            causes = [ln.strip() for ln in out if ln.lstrip().startswith("Caused by")]
            return ((before + out)[-limit:] if len(out) < limit else out), (causes or [lines[i]])[-1]
        start = i
        while start > 0 and (_FRAME_BEFORE.match(lines[start - 1]) or lines[start - 1].startswith("Traceback")):
            start -= 1
        if start < i and lines[start].startswith("Traceback"):  # Python: frames, then the exception line
            return lines[start:i + 1][-limit:], lines[i]
    return lines[-min(limit, 3):], ""  # no stack trace: the adapter's own last words


def failure_line(res: "AdapterResult") -> str:
    """The one line a failure message quotes from stderr: a stack trace's exception line (Java: its last cause),
    else the last meaningful line (where docs/adapter.md asks an adapter to write its reason)."""
    lines, exception = _stderr_summary(res.stderr)
    return (exception or (lines[-1] if lines else "")).strip()[:300]


@check(ADAPTER_COMPLETED, "vconform adapter contract (docs/adapter.md)", "major", "被测系统完成动作",
       "SUT completed the action")
def completion_problems(res: AdapterResult) -> list[Problem]:
    """DESIGN.md: an adapter that times out or exits non-zero is the SUT failing that action (every spec)."""
    if res.timed_out:
        return [fail(f"adapter {res.action} did not finish in {res.duration_ms / 1000:.0f} s (timeout); its "
                     f"process group was killed")]
    if res.leftover:
        return [fail(f"adapter {res.action} exited, but processes it started kept its stdout/stderr open "
                     f"{PIPE_GRACE:g} s later; they were killed (start a background process with its own "
                     f"output, in its own session)")]
    if res.exit_code != 0:
        return [fail(f"adapter {res.action} exited {res.exit_code}: {failure_line(res)}")]
    return []


class Adapter:
    """Runs one vendor adapter command for every stimulus, with a fresh context file each time."""

    def __init__(self, cmd: str | list[str], spec: str, base_url: str, credentials: dict, state_dir: Path,
                 timeout: float = DEFAULT_TIMEOUT, deadline: float | None = None):
        """`timeout`: seconds per call; `deadline`: the run's end (time.monotonic()), which no call outlives."""
        self.cmd = check_command(cmd)
        self.deadline = deadline
        self.spec, self.base_url, self.credentials = spec, base_url, credentials
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.timeout = timeout
        self.calls = 0
        self.replay_hint = ""  # "vconform replay REPORT.json": each result's replay line adds "--call N"
        self.secrets: Any = ()  # the run's secrets (the session shares its live set): masked before evidence is cut

    def run(self, action: str, params: Any, *, expect_output: bool = False) -> AdapterResult:
        self.calls += 1
        ctx = {"spec": self.spec, "action": action, "base_url": self.base_url, "credentials": self.credentials,
               "params": params, "state_dir": str(self.state_dir)}
        ctx_file = self.state_dir / f"context-{self.calls:04d}-{action}.json"
        ctx_file.write_text(json.dumps(ctx, ensure_ascii=False, indent=1), "utf-8")
        argv = self.cmd + [action, str(ctx_file)]
        t0 = time.perf_counter()
        try:
            limit = self.timeout if self.deadline is None else max(0.0, min(self.timeout,
                                                                            self.deadline - time.monotonic()))
            code, out, err, timed_out, leftover, cut = run_bounded(argv, limit, env=_env())
        except FileNotFoundError as exc:
            raise AdapterNotFound(f"adapter command not found: {exc.filename or argv[0]}") from None
        except PermissionError:
            raise AdapterNotFound(f"adapter command is not executable: {argv[0]}") from None
        except OSError as exc:  # e.g. ENOEXEC: a script without a #! line
            raise AdapterNotFound(f"adapter command cannot be run: {argv[0]}: {exc.strerror or exc}") from None
        res = AdapterResult(action, self.cmd + [action, CONTEXT_TOKEN], code, _text(out), _text(err),
                            (time.perf_counter() - t0) * 1000, timed_out=timed_out, leftover=leftover, stdout_cut=cut,
                            context=ctx, call=self.calls, secrets=self.secrets,
                            replay=f"{self.replay_hint} --call {self.calls}" if self.replay_hint else "")
        if expect_output and res.ok and res.stdout_cut:
            res.output_error = f"stdout longer than {OUTPUT_CAP} bytes; not read further"
        elif expect_output and res.ok:
            try:
                res.output = json.loads(res.stdout)
                if not isinstance(res.output, list):
                    res.output_error = f"stdout is a JSON {type(res.output).__name__}, a JSON array is required"
            except ValueError as exc:
                res.output_error = f"stdout is not JSON: {exc}"
            except RecursionError:
                res.output = None
                res.output_error = "stdout is JSON nested too deeply to read"
        return res


def run_bounded(argv: list[str], timeout: float, *, env: dict[str, str] | None = None
                ) -> tuple[int | None, bytes, bytes, bool, bool, bool]:
    """Run `argv` in its own process group, stdin closed; return (exit code or None, stdout, stderr, timed out,
    left processes behind, stdout longer than kept). At most OUTPUT_CAP bytes of each stream are kept. When the
    call outlives `timeout`, or its output is still held open PIPE_GRACE s after it exited, its whole process
    group is killed, so no child it forked outlives it (a daemon that starts its own session is not in the
    group; one that keeps the output open is left to itself, and the call still returns)."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, start_new_session=True)
    bufs: list[bytearray] = [bytearray(), bytearray()]
    seen = [0, 0]  # bytes read from each stream
    readers = [threading.Thread(target=_drain, args=(pipe, buf, seen, i), daemon=True)
               for i, (pipe, buf) in enumerate(zip((proc.stdout, proc.stderr), bufs))]
    for t in readers:
        t.start()
    deadline = time.monotonic() + timeout
    timed_out = leftover = False
    try:
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        timed_out = True
    if not timed_out:
        grace = time.monotonic() + PIPE_GRACE
        for t in readers:  # output held open by a child after the adapter exited
            t.join(max(0.0, grace - time.monotonic()))
        leftover = any(t.is_alive() for t in readers)
    if timed_out or leftover:
        _kill_group(proc.pid)
        # A descendant that left the group (setsid) but still holds the adapter's output is found by the pipe it
        # holds and killed too; a daemon that started its own session with its own output is not touched.
        _kill_pipe_holders([p for p in (proc.stdout, proc.stderr) if p is not None])
    proc.wait()
    code = None if timed_out else proc.returncode
    for t, pipe in zip(readers, (proc.stdout, proc.stderr)):
        t.join(READER_JOIN if (timed_out or leftover) else 5)
        if not t.is_alive():  # a reader still blocked (output held by a process we cannot kill) keeps its pipe
            pipe.close()
    return code, bytes(bufs[0]), bytes(bufs[1]), timed_out, leftover, seen[0] > OUTPUT_CAP


READER_JOIN = 0.5  # seconds to wait for the output readers after killing whatever held the output


def _pipe_inodes(pipes) -> set[str]:
    out = set()
    for pipe in pipes:
        try:
            out.add(f"pipe:[{os.fstat(pipe.fileno()).st_ino}]")
        except (OSError, ValueError):
            pass
    return out


def _kill_pipe_holders(pipes) -> list[int]:
    """SIGKILL every process (other than this one) that holds the write end of one of `pipes`, found through
    /proc/PID/fd (Linux; elsewhere nothing is found and the readers are simply not waited for). Returns the pids."""
    wanted = _pipe_inodes(pipes)
    proc_dir = Path("/proc")
    if not wanted or not proc_dir.is_dir():
        return []
    me, killed = os.getpid(), []
    for entry in proc_dir.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:  # gone, or not ours to look at
            continue
        for fd in fds:
            try:
                if os.readlink(fd) in wanted:
                    os.kill(int(entry.name), signal.SIGKILL)
                    killed.append(int(entry.name))
                    break
            except OSError:
                continue
    return killed


def _drain(pipe, buf: bytearray, seen: list[int], index: int) -> None:
    while True:
        try:
            chunk = pipe.read1(65536)
        except (OSError, ValueError):
            return
        if not chunk:
            return
        seen[index] += len(chunk)
        room = OUTPUT_CAP - len(buf)
        if room > 0:
            buf += chunk[:room]


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def check_command(cmd: str | list[str]) -> list[str]:
    """Split an adapter command as a shell would; make sure it is not empty and its program exists and can be
    run. Every refusal is an AdapterNotFound with a one-line reason."""
    try:
        argv = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
    except ValueError as exc:
        raise AdapterNotFound(f"adapter command {cmd!r} cannot be split as a shell would: {exc}") from None
    if not argv or not argv[0].strip():
        raise AdapterNotFound("empty adapter command (is the variable that should hold it set?)")
    prog = argv[0]
    if os.sep in prog or (os.altsep and os.altsep in prog):
        path = Path(prog)
        if not path.exists():
            raise AdapterNotFound(f"adapter command not found: {prog}")
        if path.is_dir():
            raise AdapterNotFound(f"adapter command is a directory: {prog}")
        if not os.access(path, os.X_OK):
            raise AdapterNotFound(f"adapter command is not executable: {prog} (chmod +x, or name its interpreter)")
    elif shutil.which(prog) is None:
        raise AdapterNotFound(f"adapter command not found: {prog}")
    return argv


def python_cmd(module: str, *args: str) -> list[str]:
    """The command line for a Python adapter module run with this interpreter."""
    return [sys.executable, "-m", module, *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # The project root on the path, so `python -m suites...` and tests' broken adapters import in a fresh clone.
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _text(b: bytes | None) -> str:
    return (b or b"").decode("utf-8", "replace")


def load_state(path: Path) -> dict[str, Any]:
    """A reference implementation's state between adapter calls (a JSON object in the context's state_dir), or {}
    on the first call."""
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write `state` whole to `path`, atomically (a killed call leaves the previous state, never half of one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False), "utf-8")
    os.replace(tmp, path)


def serve_action(argv: list[str], make: Callable[[dict], Any], perform: Callable[[Any, str, dict], Any],
                 refused: type[BaseException]) -> int:
    """The adapter protocol's main for a reference implementation (`ADAPTER ACTION CONTEXT_FILE`): build the
    implementation from the context (`make(ctx)`, which must have `save()`), run `perform(impl, action, params)`,
    print its answer as one JSON line. Exit 0 done, 1 when the platform refused (`refused` raised), 2 on bad usage."""
    if len(argv) != 2:
        print("usage: ADAPTER ACTION CONTEXT_FILE", file=sys.stderr)
        return 2
    action, ctx_path = argv
    with open(ctx_path, encoding="utf-8") as fh:
        ctx = json.load(fh)
    impl = make(ctx)
    try:
        out = perform(impl, action, ctx.get("params") or {})
    except refused as err:
        print(f"{action}: {err}", file=sys.stderr)
        return 1
    finally:
        impl.save()
    if out is not None:
        json.dump(out, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    return 0

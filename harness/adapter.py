"""The client-role SUT adapter protocol of DESIGN.md: run `CMD ACTION CONTEXT_FILE`, capture what it did."""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.checks import Problem, check, fail

ADAPTER_COMPLETED = "adapter.completed"  # one engine-owned check, judged in every spec's client role


class AdapterNotFound(RuntimeError):
    """The adapter command does not exist: a harness error (exit 2), not a SUT failure."""


@dataclass
class AdapterResult:
    action: str
    cmd: list[str]
    exit_code: int | None
    stdout: str
    stderr: str
    duration_ms: float
    timed_out: bool = False
    output: Any = None            # parsed stdout JSON for pull actions
    output_error: str = ""        # why stdout could not be parsed
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    def evidence(self) -> dict[str, Any]:
        return {"kind": "adapter", "action": self.action, "cmd": " ".join(self.cmd), "exit_code": self.exit_code,
                "timed_out": self.timed_out, "duration_ms": round(self.duration_ms, 1),
                "params": self.context.get("params"), "stdout": self.stdout[-4000:], "stderr": self.stderr[-4000:]}


@check(ADAPTER_COMPLETED, "vconform adapter contract (README: Your adapter)", "major", "被测系统完成动作",
       "SUT completed the action")
def completion_problems(res: AdapterResult) -> list[Problem]:
    """DESIGN.md: an adapter that times out or exits non-zero is the SUT failing that action (every spec)."""
    if res.timed_out:
        return [fail(f"adapter {res.action} did not finish in time")]
    if res.exit_code != 0:
        tail = (res.stderr.strip().splitlines() or [""])[-1][:300]
        return [fail(f"adapter {res.action} exited {res.exit_code}: {tail}")]
    return []


class Adapter:
    """Runs one vendor adapter command for every stimulus, with a fresh context file each time."""

    def __init__(self, cmd: str | list[str], spec: str, base_url: str, credentials: dict, state_dir: Path,
                 timeout: float = 60.0):
        self.cmd = check_command(cmd)
        self.spec, self.base_url, self.credentials = spec, base_url, credentials
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.timeout = timeout
        self.calls = 0

    def run(self, action: str, params: Any, *, expect_output: bool = False) -> AdapterResult:
        self.calls += 1
        ctx = {"spec": self.spec, "action": action, "base_url": self.base_url, "credentials": self.credentials,
               "params": params, "state_dir": str(self.state_dir)}
        ctx_file = self.state_dir / f"context-{self.calls:04d}-{action}.json"
        ctx_file.write_text(json.dumps(ctx, ensure_ascii=False, indent=1), "utf-8")
        argv = self.cmd + [action, str(ctx_file)]
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(argv, capture_output=True, timeout=self.timeout, stdin=subprocess.DEVNULL,
                                  env=_env())
            res = AdapterResult(action, argv, proc.returncode, proc.stdout.decode("utf-8", "replace"),
                                proc.stderr.decode("utf-8", "replace"), (time.perf_counter() - t0) * 1000, context=ctx)
        except subprocess.TimeoutExpired as exc:
            res = AdapterResult(action, argv, None, _text(exc.stdout), _text(exc.stderr),
                                (time.perf_counter() - t0) * 1000, timed_out=True, context=ctx)
        except FileNotFoundError as exc:
            raise AdapterNotFound(f"adapter command not found: {exc.filename}") from None
        if expect_output and res.ok:
            try:
                res.output = json.loads(res.stdout)
                if not isinstance(res.output, list):
                    res.output_error = f"stdout is a JSON {type(res.output).__name__}, a JSON array is required"
            except ValueError as exc:
                res.output_error = f"stdout is not JSON: {exc}"
        return res


def check_command(cmd: str | list[str]) -> list[str]:
    """Split an adapter command as a shell would and make sure its program exists."""
    argv = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
    if not argv:
        raise AdapterNotFound("empty adapter command")
    if shutil.which(argv[0]) is None and not Path(argv[0]).exists():
        raise AdapterNotFound(f"adapter command not found: {argv[0]}")
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

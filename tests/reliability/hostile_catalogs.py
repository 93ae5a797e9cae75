"""The hostile catalogs as whole `vconform run`s, with their figures (issue 9): each hostile adapter
(hostile_adapters.py) as the SUT of a client-role run, each hostile target (hostile_targets.py) as the platform of a
server-role run. Every row must end with its expected verdict and exit code within a bounded time; the figures are
the input size, verdict, exit code, elapsed seconds and the harness process's peak RSS.

Full size (prints the figures; a few minutes):

    python -m tests.reliability.hostile_catalogs --size full

CI runs the same code at `--size small` on a few rows (tests/reliability/test_hostile.py) and every row in the
slow suite. Elapsed and RSS are measured on whatever else the machine is doing: compare them only within one run.

A hostile adapter misbehaves on the pull action only (basStrategy); every other action goes to the reference
adapter, so the run reaches the pull. A hostile target serves every connection with one behaviour."""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.reliability import hostile_targets as HT  # noqa: E402

SIZES = {  # what "size" means per size: bytes flooded / written, JSON depth, adapter timeout, run deadline
    "small": {"flood": 4 * 1024 * 1024, "garbage": 65536, "depth": 20_000, "timeout": 2, "deadline": 20},
    "full": {"flood": 100 * 1024 * 1024, "garbage": 10 * 1024 * 1024, "depth": 200_000, "timeout": 10,
             "deadline": 60},
}
SLACK = 60  # seconds over a row's bound allowed on a loaded 2-core machine


@dataclass(frozen=True)
class Row:
    name: str
    script: str          # the adapter's behaviour on the pull (sh), or "" for the reference adapter
    verdict: str         # the run's expected verdict and exit code
    exit_code: int
    inputs: str = ""     # what the size is for this row (printed)


def adapter_rows(size: dict) -> list[Row]:
    py = shlex.quote(sys.executable)
    return [
        Row("hang", "sleep 600", "fail", 1, f"adapter timeout {size['timeout']} s"),
        Row("drip", "while true; do printf '['; sleep 0.5; done", "fail", 1, f"adapter timeout {size['timeout']} s"),
        Row("flood", f"head -c {size['flood']} /dev/zero | tr '\\0' '['", "fail", 1, f"{size['flood']} bytes stdout"),
        Row("garbage", f"head -c {size['garbage']} /dev/urandom", "fail", 1, f"{size['garbage']} bytes stdout"),
        Row("deep-json", f"{py} -c \"import sys; n = {size['depth']}; sys.stdout.write('[' * n + ']' * n)\"",
            "fail", 1, f"JSON depth {size['depth']}"),
        Row("fork-and-exit", "sleep 600 &\necho '[]'", "fail", 1, "a child holding stdout"),
        Row("fork-and-hang", "sleep 600 &\nsleep 600", "fail", 1, f"adapter timeout {size['timeout']} s"),
        Row("setsid-holds-output", "setsid sleep 600 &\necho '[]'", "fail", 1, "an escaped child holding stdout"),
        Row("setsid-hangs", "setsid sleep 600 &\nsleep 600", "fail", 1, "an escaped child, adapter hangs"),
        Row("exit-1", "echo 'no platform' >&2\nexit 1", "fail", 1, "exit 1"),
        Row("reference", "", "pass", 0, "control: the reference adapter"),
    ]


# A target that never completes an answer leaves nothing to judge: the run is a harness error (exit 2), by its
# deadline at the latest. One that answers, unusably, is judged: it fails (exit 1).
TARGET_VERDICTS = {"hang": ("error", 2), "drip-headers": ("error", 2), "drip-body": ("error", 2),
                   "flood": ("fail", 1), "garbage": ("fail", 1), "deep-json": ("fail", 1), "reset": ("fail", 1)}


def target_rows(size: dict) -> list[Row]:
    return [Row(name, name, *TARGET_VERDICTS[name], f"run deadline {size['deadline']} s") for name in HT.TARGETS]


@dataclass
class Figures:
    catalog: str
    name: str
    inputs: str
    verdict: str
    exit_code: int
    elapsed: float
    peak_rss_mb: float
    expected: str

    def ok(self, bound: float) -> bool:
        return self.expected == f"{self.verdict}/{self.exit_code}" and self.elapsed <= bound

    def line(self) -> str:
        return (f"{self.catalog:<8} {self.name:<20} {self.inputs:<34} verdict {self.verdict:<5} exit {self.exit_code}"
                f"  {self.elapsed:6.1f} s  peak RSS {self.peak_rss_mb:6.0f} MB  (expected {self.expected})")


def _vm_hwm_kib(pid: int) -> int | None:
    """The process's own resident-memory high-water mark (VmHWM, KiB) from /proc, None once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def run_measured(argv: list[str], limit: float, **popen: Any) -> tuple[int, float, float]:
    """Run `argv` (killed after `limit` s); (exit code, elapsed s, the child's own peak RSS in MB).
    The peak is the child's VmHWM, read from /proc while it runs (the last reading before it exits: a peak in
    its final poll interval can be missed). Not os.wait4's ru_maxrss: on Linux a child started by fork+exec
    inherits the parent's high-water mark in it, so every row showed this process's peak, not the child's."""
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, **popen)
    peak_kib, status, usage = 0, None, None
    while status is None:
        hwm = _vm_hwm_kib(proc.pid)
        if hwm is not None:
            peak_kib = max(peak_kib, hwm)
        pid, st, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            status, usage = st, ru
        elif time.monotonic() - t0 > limit:
            proc.kill()
        else:
            time.sleep(0.02)
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    if not peak_kib and sys.platform != "linux":
        peak_kib = usage.ru_maxrss  # no /proc: the best figure there is (KiB on Linux; bytes on macOS)
    return code, time.monotonic() - t0, peak_kib / 1024


def _vconform(args: list[str], work: Path, limit: float) -> tuple[int, str, float, float]:
    """Run `vconform run ...`; (exit code, verdict, elapsed s, peak RSS MB of the harness process itself)."""
    out = work / "out"
    code, elapsed, rss_mb = run_measured(
        [sys.executable, "-m", "harness.cli", "run", "yunnan", "--out", str(out), "--seed", "3", *args], limit,
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "VCONFORM_HOME": str(work / "home")})
    try:
        verdict = json.loads((out / "report.json").read_text("utf-8"))["verdict"]
    except (OSError, ValueError, KeyError):
        verdict = "none"
    return code, verdict, elapsed, rss_mb


def run_adapter_row(row: Row, size: dict, work: Path) -> Figures:
    work.mkdir(parents=True, exist_ok=True)
    reference = f"{shlex.quote(sys.executable)} -m suites.yunnan.reference_client"
    if row.script:
        script = work / "adapter.sh"
        script.write_text(f"#!/bin/sh\nif [ \"$1\" != basStrategy ]; then exec {reference} \"$@\"; fi\n{row.script}\n")
        script.chmod(0o755)
        cmd = str(script)
    else:
        cmd = reference
    bound = size["deadline"] + 4 * size["timeout"] + SLACK
    code, verdict, elapsed, rss = _vconform(["--sut-cmd", cmd, "--only", "basStrategy", "--stage", "interface",
                                             "--adapter-timeout", str(size["timeout"]),
                                             "--deadline", str(size["deadline"] + 4 * size["timeout"])], work,
                                            bound + 60)
    return Figures("adapter", row.name, row.inputs, verdict, code, elapsed, rss, f"{row.verdict}/{row.exit_code}")


def run_target_row(row: Row, size: dict, work: Path) -> Figures:
    work.mkdir(parents=True, exist_ok=True)
    with HT.HostileServer(HT.TARGETS[row.name].serve) as srv:
        code, verdict, elapsed, rss = _vconform(["--role", "server", "--target", srv.url, "--deadline",
                                                 str(size["deadline"])], work, size["deadline"] + SLACK + 60)
    return Figures("target", row.name, row.inputs, verdict, code, elapsed, rss, f"{row.verdict}/{row.exit_code}")


def bound_of(fig: Figures, size: dict) -> float:
    return (size["deadline"] + 4 * size["timeout"] if fig.catalog == "adapter" else size["deadline"]) + SLACK


def run(size_name: str, catalogs: set[str], names: set[str] | None = None, echo=print) -> list[Figures]:
    size = SIZES[size_name]
    figures = []
    with tempfile.TemporaryDirectory(prefix="vconform-hostile-") as tmp:
        work = Path(tmp)
        if "adapters" in catalogs:
            for row in adapter_rows(size):
                if names is None or row.name in names:
                    figures.append(run_adapter_row(row, size, work / f"a-{row.name}"))
                    echo(figures[-1].line() + ("" if figures[-1].ok(bound_of(figures[-1], size)) else "  <-- WRONG"))
        if "targets" in catalogs:
            for row in target_rows(size):
                if names is None or row.name in names:
                    figures.append(run_target_row(row, size, work / f"t-{row.name}"))
                    echo(figures[-1].line() + ("" if figures[-1].ok(bound_of(figures[-1], size)) else "  <-- WRONG"))
    return figures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", choices=tuple(SIZES), default="full")
    ap.add_argument("--only", choices=("adapters", "targets"), action="append")
    ap.add_argument("--row", action="append", help="run only this row (repeatable)")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    figures = run(args.size, set(args.only or ("adapters", "targets")), set(args.row) if args.row else None)
    bad = [f for f in figures if not f.ok(bound_of(f, SIZES[args.size]))]
    print(f"{len(figures)} rows, {len(bad)} wrong, took {time.monotonic() - t0:.0f} s "
          f"(elapsed and RSS figures are only comparable within one run on a shared machine)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: seconds for a full `vconform run yunnan` against the reference client (target <= 30 s on 2 cores)."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 30.0


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "yunnan", "--seed", "1", "--out", tmp],
                              cwd=ROOT, capture_output=True, text=True, env={**os.environ, "VCONFORM_HOME": tmp})
        dt = time.perf_counter() - t0
    status = "ok" if proc.returncode == 0 else f"run exited {proc.returncode}"
    print(f"yunnan full run (reference client): {dt:.1f} s  target <= {TARGET_S:.0f} s  "
          f"[{'MET' if dt <= TARGET_S else 'MISSED'}; {status}]")
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

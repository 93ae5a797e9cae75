"""Benchmark: the Yunnan mock's encrypted requests/s on one core, against the crypto ceiling measured in the same run.

The mock runs in a subprocess pinned to core 0; the load comes from this process, pinned to core 1. The
ceiling is what one core can do of the unavoidable per-request crypto alone (verify, RSA decrypt, AES
decrypt of the request; RSA encrypt + AES encrypt of an answer). Target: the mock reaches >= 50 % of it.
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import crypto  # noqa: E402
from schemas.yunnan import envelope  # noqa: E402
from schemas.yunnan.datagen import YunnanData  # noqa: E402
from suites.yunnan.client import YunnanClient  # noqa: E402

REQUESTS = 3000
CONCURRENCY = 16
ENVELOPES = 100


def crypto_ceiling(n: int = 400) -> float:
    """Requests/s one core can do of the crypto alone (§5.1 step 8 + the encrypted answer)."""
    platform, client = crypto.generate_rsa(), crypto.generate_rsa()
    body = envelope.seal_request(json.dumps(YunnanData(1).vehicle(1), ensure_ascii=False).encode(),
                               platform.public_key(), client).body
    t0 = time.perf_counter()
    for _ in range(n):
        opened = envelope.open_request(body, platform, client.public_key(), [("key+content", "raw")])
        envelope.seal_response(opened.plaintext[:64], client.public_key())
    return n / (time.perf_counter() - t0)


async def load(url: str, envelopes: list[dict], headers: dict) -> tuple[float, int]:
    sent = ok = 0
    async with aiohttp.ClientSession(headers=headers) as session:
        async def worker():
            nonlocal sent, ok
            while sent < REQUESTS:
                env = envelopes[sent % len(envelopes)]
                sent += 1
                async with session.post(url, json=env) as resp:
                    if (await resp.json()).get("code") == 200:
                        ok += 1
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return time.perf_counter() - t0, ok


def main() -> int:
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    mock_core, load_core = (cores[0], cores[-1]) if cores else (None, None)
    if load_core is not None:
        os.sched_setaffinity(0, {load_core})
    ceiling = crypto_ceiling()
    cmd = [sys.executable, "-m", "harness.cli", "mock", "yunnan", "--port", "0"]
    if mock_core is not None and len(cores) > 1:
        cmd = ["taskset", "-c", str(mock_core)] + cmd
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        base = proc.stdout.readline().split("listening on ", 1)[1].strip() + "/access/api/dataReceive"
        with tempfile.TemporaryDirectory() as tmp:
            data = YunnanData(5)
            c = YunnanClient(base, tmp, data.enterprise_id)
            c.init_auth(data.enterprise_id, data.enterprise()["enterpriseName"])
            c.get_token()
            envelopes = [c.seal(data.vehicle(i)) for i in range(ENVELOPES)]
            dt, ok = asyncio.run(load(base + "/vehicleInfo", envelopes, c.headers()))
    finally:
        proc.terminate()
        proc.wait(10)
    rate = REQUESTS / dt
    print(f"crypto ceiling (one core, crypto alone): {ceiling:.0f} req/s")
    print(f"mock, encrypted vehicleInfo uploads: {rate:.0f} req/s ({ok}/{REQUESTS} accepted, "
          f"concurrency {CONCURRENCY}) = {100 * rate / ceiling:.0f} % of the ceiling  target >= 50 % "
          f"[{'MET' if rate >= ceiling / 2 else 'MISSED'}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())

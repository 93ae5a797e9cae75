"""Shared bench helpers (method: ../shared PERFORMANCE.md): servers pinned to one core, load from another process
pinned to the other core, reference and system interleaved in rounds, medians, and every row printed as
measured / target / ratio.

The load generator is wrk (Debian package `wrk`) with a Lua script that fills in precomputed request bodies; when
wrk is absent, `replay` (below) runs in its own process: a Python replayer of precomputed raw requests over
keep-alive connections. Both report requests/s, p50/p99 latency and how many answers were not 2xx.

The machine is shared (2 cores, other work running): only the ratios of rounds measured interleaved in the same
run mean anything; absolute requests/s are context.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def cores() -> tuple[int | None, int | None]:
    """(server core, load core): the first and last CPUs this process may use, None when unpinnable."""
    if not hasattr(os, "sched_getaffinity"):
        return None, None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    return cpus[0], cpus[-1]


def pinned(cmd: list[str], core: int | None) -> list[str]:
    return (["taskset", "-c", str(core)] + cmd) if core is not None and shutil.which("taskset") else cmd


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process that prints `listening on SCHEME://HOST:PORT` once it accepts connections, or, given
    `port`, one that is ready when that port accepts a connection (its output is discarded)."""

    def __init__(self, cmd: list[str], core: int | None = None, env: dict | None = None, cwd: Path = ROOT,
                 ready: str = "listening on", timeout: float = 120.0, port: int | None = None):
        import socket

        quiet = port is not None
        self.proc = subprocess.Popen(pinned(cmd, core), cwd=cwd, stdout=subprocess.DEVNULL if quiet else subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, env={**os.environ, **(env or {})})
        deadline = time.monotonic() + timeout
        if quiet:
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    self.url = f"http://127.0.0.1:{port}"
                    return
                except OSError:
                    time.sleep(0.2)
            self.stop()
            raise RuntimeError(f"server did not start: {' '.join(cmd)}")
        line = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line or ready in line:
                break
        if ready not in line:
            self.stop()
            raise RuntimeError(f"server did not start: {' '.join(cmd)}: {line!r}")
        self.url = line.split(ready, 1)[1].strip().split()[0]

    def pid(self) -> int:
        return self.proc.pid

    def cpu_seconds(self) -> float:
        """CPU time the server process and its children have used (user + system; taskset execs the command, so
        same pid; a node or java server's threads are in its process)."""
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    not_2xx: int
    statuses: dict = field(default_factory=dict)
    cpu_s: float = float("nan")  # the server's CPU time during the load, when measured

    @property
    def per_cpu(self) -> float:
        """Requests per CPU-second of the server: what a shared machine's other work does not change."""
        return self.requests / self.cpu_s if self.cpu_s > 0 else float("nan")


def measured(server: "Server", fn: Callable[[], Load]) -> Load:
    """Run one load and record the server's CPU time during it."""
    c0 = server.cpu_seconds()
    res = fn()
    res.cpu_s = server.cpu_seconds() - c0
    return res


_LUA = r"""
local bodies = {}
local f = io.open("%(bodies)s", "r")
for line in f:lines() do bodies[#bodies + 1] = line end
f:close()
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
%(headers)s
request = function()
  i = i + 1
  return wrk.format(nil, nil, nil, bodies[(i - 1) %% #bodies + 1])
end
local non2xx = 0
response = function(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format('\nRESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, "errors": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def load(url: str, bodies: list[bytes], *, connections: int = 16, seconds: float = 3.0, core: int | None = None,
         headers: dict[str, str] | None = None) -> Load:
    """POST the bodies (in turn, one per request) to `url` for `seconds` from `connections` keep-alive connections,
    from a separate process pinned to `core`: wrk when installed, else the Python replayer."""
    if not all(b"\n" not in b for b in bodies):
        raise ValueError("bodies must be one line each")
    with tempfile.TemporaryDirectory(prefix="vconform-bench-") as tmp:
        if shutil.which("wrk"):
            bpath = Path(tmp) / "bodies.txt"
            bpath.write_bytes(b"\n".join(bodies) + b"\n")
            hdr = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in (headers or {}).items())
            script = Path(tmp) / "post.lua"
            script.write_text(_LUA % {"bodies": str(bpath), "headers": hdr})
            # wrk's response() hook costs the generator a little; both sides of a ratio pay it alike.
            cmd = pinned(["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", str(script), url],
                         core)
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
            res = json.loads(out.rsplit("RESULT ", 1)[1].splitlines()[0])
            not2xx = 0
            for line in out.splitlines():
                if "Non-2xx or 3xx responses:" in line:
                    not2xx = int(line.rsplit(":", 1)[1])
            return Load(res["requests"] / (res["duration_us"] / 1e6), res["p50_us"] / 1000, res["p99_us"] / 1000,
                        res["requests"], not2xx + res["errors"])
        spec = Path(tmp) / "load.json"
        spec.write_text(json.dumps({"url": url, "bodies": [b.decode() for b in bodies], "connections": connections,
                                    "seconds": seconds, "headers": headers or {}}))
        out = subprocess.run(pinned([PY, str(Path(__file__).resolve()), "replay", str(spec)], core),
                             capture_output=True, text=True, timeout=seconds + 60).stdout
        res = json.loads(out.strip().splitlines()[-1])
        return Load(**res)


def replay(spec_path: str) -> None:
    """The fallback load generator (run in its own process): raw HTTP/1.1 requests prebuilt, keep-alive."""
    import asyncio
    from urllib.parse import urlsplit

    spec = json.loads(Path(spec_path).read_text())
    u = urlsplit(spec["url"])
    extra = "".join(f"{k}: {v}\r\n" for k, v in spec["headers"].items())
    reqs = [(f"POST {u.path} HTTP/1.1\r\nHost: {u.netloc}\r\nContent-Type: application/json\r\n{extra}"
             f"Content-Length: {len(b.encode())}\r\n\r\n").encode() + b.encode() for b in spec["bodies"]]
    lat: list[float] = []
    statuses: dict[int, int] = {}

    async def conn(k: int, end: float) -> None:
        reader, writer = await asyncio.open_connection(u.hostname, u.port)
        i = k
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            writer.write(reqs[i % len(reqs)])
            i += spec["connections"]
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            lat.append(time.perf_counter() - t0)
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    async def main() -> float:
        t0 = time.perf_counter()
        end = t0 + spec["seconds"]
        await asyncio.gather(*(conn(k, end) for k in range(spec["connections"])))
        return time.perf_counter() - t0

    dt = asyncio.run(main())
    lat.sort()
    n = len(lat)
    print(json.dumps({"rps": n / dt, "p50_ms": 1000 * lat[n // 2], "p99_ms": 1000 * lat[min(n - 1, int(n * 0.99))],
                      "requests": n, "not_2xx": sum(v for s, v in statuses.items() if not 200 <= s < 300),
                      "statuses": {str(s): v for s, v in statuses.items()}}))


@contextmanager
def stopping(servers: dict[str, "Server"]):
    """The servers (added to the dict as they start), all stopped at the end, whatever happens."""
    try:
        yield servers
    finally:
        for s in servers.values():
            s.stop()


def interleaved(rounds: int, runs: dict[str, Callable[[], Load]]) -> dict[str, list[Load]]:
    """Each run once per round, in turn (A B A B ...), so that both see the same machine load."""
    out: dict[str, list[Load]] = {k: [] for k in runs}
    for _ in range(rounds):
        for name, fn in runs.items():
            out[name].append(fn())
    return out


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def medians(res: dict[str, list[Load]], attr: str) -> dict[str, float]:
    """Per run, the median of one Load attribute over its rounds."""
    return {k: median(getattr(x, attr) for x in v) for k, v in res.items()}


def row(what: str, measured: float, target: float, *, unit: str = "", higher: bool = True, context: str = "") -> bool:
    """Print one bench row as `measured / target / ratio` and whether it meets the target."""
    ratio = measured / target if target else float("inf")
    met = measured >= target if higher else measured <= target
    cmp = ">=" if higher else "<="
    print(f"{what}: measured {measured:.3g}{unit} / target {cmp} {target:g}{unit} / ratio {ratio:.2f}  "
          f"[{'MET' if met else 'MISSED'}]" + (f"  ({context})" if context else ""), flush=True)
    return met


def plain_json_rows(res: dict[str, list[Load]], what: str, *, rounds: int, connections: int, target_ratio: float,
                    target_p99_ms: float) -> tuple[bool, dict[str, float], dict[str, int]]:
    """Print each server's medians and the two plain-JSON rows (issue 10: "mock" vs "reference" per CPU-second,
    and the mock's p99); return (both met, requests per CPU-second by server, answers not 2xx by server)."""
    rps, eff, p99 = medians(res, "rps"), medians(res, "per_cpu"), medians(res, "p99_ms")
    bad = {k: sum(x.not_2xx for x in v) for k, v in res.items()}
    for k in res:
        print(f"  {k}: {rps[k]:.0f} req/s, {eff[k]:.0f} req per CPU-s, p50 {median(x.p50_ms for x in res[k]):.2f} ms, "
              f"p99 {p99[k]:.2f} ms, not 2xx {bad[k]} (rounds req/s: {', '.join(f'{x.rps:.0f}' for x in res[k])})")
    ok = row(f"{what}, journal on a file, share of the reference (req per CPU-s)", eff["mock"] / eff["reference"],
             target_ratio, context=f"req/s share {rps['mock'] / rps['reference']:.2f}; {connections} connections, "
             f"medians of {rounds} interleaved rounds")
    ok &= row(f"{what}, p99 at {connections} connections", p99["mock"], target_p99_ms, unit=" ms", higher=False,
              context=f"reference p99 {p99['reference']:.2f} ms in the same rounds")
    return ok, eff, bad


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "replay":
    replay(sys.argv[2])

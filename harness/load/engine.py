"""One load run: keys cached, the target probed, Locust's master and workers started as subprocesses, their
statistics and judgements collected into one signed report.

Locust (and its gevent monkey-patching) lives only in the subprocesses: `locust -f harness/load/locustfile.py`.
Exit codes as for every run: 0 no correctness failure, 1 a check failed, 2 the harness could not run or finish
(target down before the start, a worker or the master failing, an exception in the load code, no traffic).
"""
from __future__ import annotations

import csv
import importlib
import json
import os
import random
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import __version__, specdata, stages
from harness.checks import CheckResult
from harness.load import keys, tally
from harness.load.http import AdminHook, AdminRefused, Unreachable, reachable
from harness.uploader import normalise_target, origin

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
STATS_PREFIX = "locust"  # Locust's CSV and HTML statistics beside the report: locust_stats.csv, locust.html
TALLY_FILE = "load-tally.json"
GRACE = 120.0  # seconds past --duration (and the spawn) before a run that has not ended is stopped as an error


class LoadError(Exception):
    """The load could not run or finish: exit 2 with this one line."""


@dataclass
class LoadConfig:
    spec: str
    target: str
    enterprises: int
    processes: int
    duration: float
    out: Path
    spawn_rate: float | None = None
    time_scale: float = 1.0
    sample: int = 10
    seed: int | None = None
    profile: str = "default"
    sign_key: str | None = None
    master_bind: str = "127.0.0.1"
    master_port: int = 0            # 0: a free port
    remote_workers: int = 0         # workers started by hand on other machines (`--worker --master-host`)
    key_dir: str | None = None
    web_port: int = 0               # Locust's web UI on 127.0.0.1:PORT while the run lasts; 0: none (headless)
    signoff: dict[str, str] = field(default_factory=dict)

    @property
    def workers(self) -> int:
        return self.processes + self.remote_workers


def behaviour(spec) -> Any:
    """The spec's load module: `load` beside its suites (e.g. suites/<spec>/load.py), found by path, not by name."""
    pkg, here = [], Path(spec.suite_dir)
    while (here / "__init__.py").is_file():
        pkg.insert(0, here.name)
        here = here.parent
    name = ".".join(pkg + ["load"])
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            raise LoadError(f"{spec.name} has no load behaviour ({name})") from None
        raise


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _locust_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), *args]


def worker_command(master_host: str, master_port: int) -> list[str]:
    """What one more worker runs, on this machine or another (docs/load.md)."""
    return _locust_cmd("--worker", "--master-host", master_host, "--master-port", str(master_port))


def run(cfg: LoadConfig) -> int:
    from harness import registry

    try:
        spec = registry.get(cfg.spec)
    except KeyError as exc:
        raise LoadError(exc.args[0]) from None
    module = behaviour(spec)
    try:
        specdata.profile(spec.folder, cfg.profile)
    except specdata.ProfileError as exc:
        raise LoadError(str(exc)) from None
    seed = cfg.seed if cfg.seed is not None else random.SystemRandom().randrange(2**31)
    salt = random.SystemRandom().randrange(10_000)  # registrations persist on a target: fresh ids every run
    base = normalise_target(cfg.target, module.PREFIX)
    root = base[: -len(module.PREFIX)] if base.endswith(module.PREFIX) else origin(base)
    try:
        reachable(base)
    except Unreachable as exc:
        raise LoadError(str(exc)) from None
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    started = _now()
    admin = AdminHook(root)
    options = {"module": module.__name__, "base_path": base[len(origin(base)):], "time_scale": cfg.time_scale,
               "sample": cfg.sample, "seed": seed, "salt": salt, "workers": cfg.workers, "profile": cfg.profile,
               "key_dir": cfg.key_dir}
    try:
        baseline = module.prepare(admin, options)  # may add what the workers need to know to `options`
    except AdminRefused as exc:
        raise LoadError(str(exc)) from None
    t0 = time.monotonic()
    keys.ensure(cfg.enterprises + cfg.workers, folder=cfg.key_dir, processes=max(1, cfg.processes),
                announce=_announce_keys)
    keygen_s = time.monotonic() - t0

    for stale in out.glob(f"{STATS_PREFIX}*"):  # an earlier run's statistics must never pass for this run's
        if stale.is_file():
            stale.unlink()
    # The judgements carry exchanges in clear (tokens, apiSecret): kept in a private folder, never beside the report.
    private = Path(tempfile.mkdtemp(prefix="vconform-load-"))
    try:
        return _run(cfg, spec, module, out, private / TALLY_FILE, options, seed=seed, salt=salt, base=base,
                    admin=admin, baseline=baseline, started=started, keygen_s=keygen_s)
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _run(cfg: LoadConfig, spec, module, out: Path, tally_path: Path, options: dict[str, Any], *, seed: int,
         salt: int, base: str, admin: AdminHook, baseline: Any, started: str, keygen_s: float) -> int:
    from harness.report import write_report

    spawn_rate = cfg.spawn_rate or max(1.0, cfg.enterprises / max(1.0, min(10.0, cfg.duration / 3)))
    port = cfg.master_port or _free_port(cfg.master_bind)
    master_cmd = _locust_cmd(
        "--master", "--master-bind-host", cfg.master_bind, "--master-bind-port", str(port),
        "--expect-workers", str(cfg.workers), "--expect-workers-max-wait", "120",
        *(["--autostart", "--autoquit", "0", "--web-host", "127.0.0.1", "--web-port", str(cfg.web_port)]
          if cfg.web_port else ["--headless"]),
        "-u", str(cfg.enterprises), "-r", f"{spawn_rate:g}", "-t", f"{int(max(1, round(cfg.duration)))}s",
        "--host", origin(base), "--csv", str(out / STATS_PREFIX), "--html", str(out / f"{STATS_PREFIX}.html"),
        "--only-summary", "--stop-timeout", "0", "--exit-code-on-error", "0", "--loglevel", "WARNING",
        "--logfile", str(out / "locust-master.log"), "--vconform-config", json.dumps(options))
    env = {**os.environ, "VCONFORM_LOAD_TALLY": str(tally_path)}
    errors: list[str] = []
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    master = _start(master_cmd, env, out / "locust-master.err")
    connect = "127.0.0.1" if cfg.master_bind in ("0.0.0.0", "") else cfg.master_bind
    workers = [_start(worker_command(connect, port) + ["--loglevel", "WARNING", "--logfile",
                                                       str(out / f"locust-worker-{i}.log")],
                      env, out / f"locust-worker-{i}.err") for i in range(cfg.processes)]
    if cfg.web_port:
        print(f"vconform load: Locust's web UI at http://127.0.0.1:{cfg.web_port}/ while the run lasts",
              file=sys.stderr, flush=True)
    if cfg.remote_workers:
        print(f"vconform load: waiting for {cfg.remote_workers} more worker(s); on each other machine run\n  "
              f"vconform load {shlex.quote(spec.name)} --worker --master-host ADDRESS_OF_THIS_MACHINE "
              f"--master-port {port}", file=sys.stderr, flush=True)
    deadline = time.monotonic() + cfg.duration + cfg.enterprises / spawn_rate + GRACE + 120
    try:
        master_rc = _wait(master, deadline)
        usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        worker_rcs = [_wait(w, time.monotonic() + 30) for w in workers]
        usage2 = resource.getrusage(resource.RUSAGE_CHILDREN)
    except BaseException:  # Ctrl-C or anything else: the processes in their own sessions must not outlive us
        for proc in [master, *workers]:
            _wait(proc, 0)
        raise
    finished = _now()
    if master_rc is None:
        errors.append(f"the Locust master did not finish within {cfg.duration:g} s plus {GRACE:g} s; stopped")
    elif master_rc != 0:  # refused requests do not count here (--exit-code-on-error 0): the checks judge them
        errors.append(f"the Locust master exited {master_rc}: {_tail(out / 'locust-master.err')}")
    for i, (w, rc) in enumerate(zip(workers, worker_rcs)):
        if rc != 0:
            errors.append(f"Locust worker {i} exited {rc}: {_tail(out / f'locust-worker-{i}.err')}")
    exceptions = _exceptions(out)
    if exceptions:
        errors.append(f"{len(exceptions)} exception(s) in the load code (a harness bug, not the platform's): "
                      + "; ".join(exceptions[:3]))
    snapshots = _read_tally(tally_path)
    if len(snapshots) < cfg.workers and not errors:
        errors.append(f"{len(snapshots)} of {cfg.workers} workers reported their judgements")
    merged = tally.merge(snapshots)
    stats = read_stats(out / f"{STATS_PREFIX}_stats.csv")
    if not stats["total"]["requests"] and not errors:
        errors.append("no request was sent in the whole run")
    results: list[CheckResult] = tally.results(merged, stage=module.STAGE)
    try:
        results += module.conclude(admin, baseline, merged)
    except (AdminRefused, OSError) as exc:
        errors.append(f"end-of-run state: {exc}")
    cpu = _cpu(usage1, usage2)
    model = build_model(spec, cfg, seed=seed, salt=salt, base=base, hook=admin.present, started=started,
                        finished=finished, results=results, errors=errors, stats=stats, merged=merged,
                        cpu_s=cpu, master_cpu_s=_cpu(usage0, usage1), keygen_s=keygen_s, traffic=module.describe(),
                        exit_codes={"master": master_rc, "workers": worker_rcs})
    write_report(model, out, sign_key=cfg.sign_key)
    print(summary_line(model, out))
    return {"pass": 0, "fail": 1}.get(model["verdict"], 2)


def _announce_keys(n: int, folder: Path) -> None:
    print(f"vconform load: generating {n} RSA-2048 key pairs for the simulated enterprises, once (about 55 ms of "
          f"CPU each); cached in {folder}", file=sys.stderr, flush=True)


def _start(cmd: list[str], env: dict[str, str], stderr: Path) -> subprocess.Popen:
    """A Locust process in its own session (so a stuck one is killed with all it started), stderr to a file."""
    with stderr.open("wb") as err:
        return subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=True)


def _wait(proc: subprocess.Popen, deadline: float) -> int | None:
    """Its exit code by `deadline`, else None after killing its whole session (it and what it started)."""
    if proc.poll() is not None:
        return proc.returncode
    try:
        return proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: this process and whatever it started
        except ProcessLookupError:
            pass
        proc.wait()
        return None


def _tail(path: Path) -> str:
    try:
        err = path.read_bytes()[-20_000:].decode("utf-8", "replace")
    except OSError:
        err = ""
    lines = [x for x in err.strip().splitlines() if x.strip()]
    return " / ".join(lines[-3:])[:600] or "no output"


def _cpu(a, b) -> float:
    return round((b.ru_utime + b.ru_stime) - (a.ru_utime + a.ru_stime), 3)


def _exceptions(out: Path) -> list[str]:
    path = out / f"{STATS_PREFIX}_exceptions.csv"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return [f"{row.get('Count', '?')}x {row.get('Message', '')[:200]}" for row in csv.DictReader(fh)]


def _read_tally(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return list(json.loads(path.read_text("utf-8")).get("workers", {}).values())


def read_stats(path: Path) -> dict[str, Any]:
    """Locust's per-request-name statistics: requests, failures, rate, p50/p99/average/max latency (ms)."""
    rows, total = [], {"requests": 0, "failures": 0, "rps": 0.0}
    if not path.is_file():
        return {"interfaces": rows, "total": total}

    def num(row: dict, key: str) -> float:
        try:
            return float(row.get(key) or 0)
        except ValueError:  # "N/A" where Locust has no sample
            return 0.0

    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            item = {"name": row["Name"], "requests": int(num(row, "Request Count")),
                    "failures": int(num(row, "Failure Count")), "rps": round(num(row, "Requests/s"), 2),
                    "p50_ms": num(row, "50%"), "p99_ms": num(row, "99%"),
                    "avg_ms": round(num(row, "Average Response Time"), 2), "max_ms": num(row, "Max Response Time")}
            if row["Name"] == "Aggregated":
                total = item
            else:
                rows.append(item)
    return {"interfaces": rows, "total": total}


def build_model(spec, cfg: LoadConfig, *, seed: int, salt: int, base: str, hook: bool, started: str, finished: str,
                results: list[CheckResult], errors: list[str], stats: dict[str, Any], merged: dict[str, Any],
                cpu_s: float, master_cpu_s: float, keygen_s: float, traffic: dict[str, Any],
                exit_codes: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report model of a load run: the run's members (report.schema.json) plus `load` (rates, latencies)."""
    from harness.run import versions

    lat = {row["name"]: row for row in stats["interfaces"]}
    seen: set[str] = set()
    for r in results:  # each interface's latency shown with its first check, in the page as in report.json
        if r.interface in lat and r.interface not in seen:
            seen.add(r.interface)
            r.evidence.append({"kind": "note", "text": f"{r.interface} under load: Locust statistics",
                               **{k: v for k, v in lat[r.interface].items() if k != "name"}})
    counts = {v: sum(1 for r in results if r.verdict == v) for v in ("pass", "fail", "warn", "skip")}
    if errors:
        verdict = "error"
    elif counts["fail"]:
        verdict = "fail"
    else:
        verdict = "pass"
    groups: dict[tuple[str, str], list[CheckResult]] = {}
    for r in results:
        groups.setdefault((r.stage, r.interface), []).append(r)
    interfaces = [{"name": name, "stage": st, "section": spec.section_of(name),
                   "verdict": stages.roll_up(r.verdict for r in rs), "checks": [r.as_dict() for r in rs]}
                  for (st, name), rs in groups.items()]
    stage_list = [{"name": st, "verdict": stages.roll_up(r.verdict for r in results if r.stage == st)}
                  for st in stages.ordered(r.stage for r in results)]
    total = stats["total"]
    per_cpu = round(total["requests"] / cpu_s, 1) if cpu_s > 0 else None
    load = {"enterprises": cfg.enterprises, "processes": cfg.processes, "remote_workers": cfg.remote_workers,
            "duration_s": cfg.duration, "time_scale": cfg.time_scale, "sample_every": cfg.sample, "salt": salt,
            "requests": total["requests"], "failed_requests": total["failures"], "rate_rps": total["rps"],
            "worker_cpu_s": cpu_s, "master_cpu_s": master_cpu_s, "requests_per_worker_cpu_s": per_cpu,
            "key_generation_s": round(keygen_s, 2), "interfaces": stats["interfaces"],
            "counters": merged.get("counters", {}), "traffic": traffic,
            "exit_codes": exit_codes or {},
            "locust_files": sorted(p.name for p in Path(cfg.out).glob(f"{STATS_PREFIX}*"))}
    errata = specdata.errata(spec.folder)
    line = ["vconform", "load", spec.name, "--target", cfg.target, "--enterprises", str(cfg.enterprises),
            "--processes", str(cfg.processes), "--duration", f"{cfg.duration:g}", "--time-scale",
            f"{cfg.time_scale:g}", "--sample", str(cfg.sample), "--seed", str(seed)]
    if cfg.spawn_rate:
        line += ["--spawn-rate", f"{cfg.spawn_rate:g}"]
    if cfg.profile != "default":
        line += ["--profile", cfg.profile]
    signoff = cfg.signoff or {}
    return {
        "tool": {"name": "vconform", "version": __version__},
        "spec": {"name": spec.name, "version": spec.version, "title_zh": spec.title_zh, "title_en": spec.title_en},
        "role": "server",
        "profile": cfg.profile,
        "sut": {"kind": "target under load", "url": base, "admin_hook": hook,
                "summary": f"{total['requests']} requests, {total['rps']:g}/s, {total['failures']} refused by "
                           f"Locust's count; {cfg.enterprises} enterprises on {cfg.workers} worker process(es)"},
        "started": started, "finished": finished, "seed": seed, "verdict": verdict,
        "scope": {"partial": True, "only": [], "stages": sorted({r.stage for r in results})},
        "counts": counts, "harness_errors": errors, "stages": stage_list, "interfaces": interfaces,
        "errata": [{"id": k, **v, "hit": any(k in r.errata for r in results)} for k, v in errata.items()],
        "known_gaps": specdata.known_gaps(spec.folder),
        "coverage": spec.coverage([r.id for r in results if r.verdict != "skip"]),
        "exchanges": [], "reproduce": " ".join(shlex.quote(p) for p in line), "reproducibility": versions(),
        "signoff": {"tester": signoff.get("tester", ""), "organisation": signoff.get("organisation", ""),
                    "sut_name": signoff.get("sut_name", ""), "sut_version": signoff.get("sut_version", ""),
                    "date": finished[:10], "warnings": []},
        "load": load,
    }


def summary_line(model: dict[str, Any], out: Path) -> str:
    load = model["load"]
    lines = [f"vconform load {model['spec']['name']}: {model['verdict']} — {load['requests']} requests "
             f"({load['rate_rps']:g}/s), {model['counts']['fail']} failed check(s); report {out / 'report.html'}"]
    for row in load["interfaces"]:
        lines.append(f"  {row['name']:<22} {row['requests']:>8} req  {row['rps']:>8.1f}/s  p50 {row['p50_ms']:g} ms  "
                     f"p99 {row['p99_ms']:g} ms  refused {row['failures']}")
    lines += [f"  harness error: {e}" for e in model["harness_errors"]]
    return "\n".join(lines)


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")

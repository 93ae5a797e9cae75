"""`vconform load` arguments and entry (harness/cli.py adds the sub-command with `add_parser`)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: a positive number is required")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be >= 0")
    return value


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("load", help="server role at province scale: simulated enterprises on Locust, judged, one "
                       "signed report with latency percentiles (docs/load.md)")
    p.add_argument("spec", help="a spec with a server role and a load behaviour (`vconform specs`)")
    p.add_argument("--level", help="the platform of a spec document with several (same as DOCUMENT-LEVEL)")
    p.add_argument("--target", help="base URL of the platform under test (as for `vconform run --role server`)")
    p.add_argument("--enterprises", type=_count, default=100, help="simulated enterprises, each its own key pair "
                   "(cached under $VCONFORM_HOME/load-keys) and id (default %(default)s)")
    p.add_argument("--processes", type=_count, default=1, help="Locust worker processes on this machine, beside "
                   "the master (default %(default)s)")
    p.add_argument("--duration", type=_positive, default=60.0, metavar="S", help="seconds of load (default %(default)g)")
    p.add_argument("--spawn-rate", type=_positive, metavar="N", help="enterprises started per second "
                   "(default: all within 10 s, or a third of --duration when shorter)")
    p.add_argument("--time-scale", type=_positive, default=1.0, metavar="F", help="run the spec's cadence F times "
                   "faster (heartbeats every 900/F s, ...) so a short run exercises it (default %(default)g)")
    p.add_argument("--sample", type=int, default=10, metavar="K", help="judge the shape and schema of one answer "
                   "in K, and of every refusal (default %(default)s)")
    p.add_argument("--seed", type=int, help="data seed (the records sent); enterprise ids are fresh every run")
    p.add_argument("--profile", default="default", help="errata profile (see `vconform profiles SPEC`)")
    p.add_argument("--out", type=Path, default=Path("reports/load"), help="report folder; Locust's CSV and HTML "
                   "statistics are written beside the report (default %(default)s)")
    p.add_argument("--sign-key", help="Ed25519 PKCS#8 PEM to sign with (default: generated on first use)")
    p.add_argument("--tester", default="", help="sign-off: tester's name")
    p.add_argument("--organisation", default="", help="sign-off: testing organisation")
    g = p.add_argument_group("several machines (docs/load.md)")
    g.add_argument("--master-bind", default="127.0.0.1", metavar="HOST", help="address the master listens on for "
                   "workers; 0.0.0.0 to accept workers of other machines (default %(default)s)")
    g.add_argument("--master-port", type=_count, default=0, metavar="PORT", help="the master's port (default: a "
                   "free one, printed when --remote-workers is given)")
    g.add_argument("--remote-workers", type=_count, default=0, metavar="N",
                   help="also wait for N workers started on other machines with --worker")
    g.add_argument("--worker", action="store_true", help="be one worker of a master on another machine: needs "
                   "--master-host (the run's options come from the master)")
    g.add_argument("--master-host", metavar="HOST", help="with --worker: the master's address")
    p.set_defaults(func=main)
    return p


def main(args) -> int:
    """Returns the exit code; raises LoadError for a harness error (harness/cli.py prints it and exits 2)."""
    from harness.load.engine import LoadConfig, LoadError, run, worker_command

    if args.worker:
        if not args.master_host or not args.master_port:
            raise LoadError("--worker needs --master-host HOST and --master-port PORT (printed by the master)")
        cmd = worker_command(args.master_host, args.master_port)
        os.execv(cmd[0], cmd)  # this process becomes the Locust worker
    if not args.target or not args.target.strip():
        raise LoadError("--target URL is required (start the project's mock with `vconform mock SPEC`)")
    if args.enterprises < 1:
        raise LoadError("--enterprises must be at least 1")
    if args.processes + args.remote_workers < 1:
        raise LoadError("--processes 0 needs --remote-workers N >= 1: someone must send the load")
    if args.sample < 1:
        raise LoadError("--sample K: K must be at least 1")
    if args.remote_workers and args.master_bind == "127.0.0.1":
        print("vconform load: warning: --master-bind 127.0.0.1 accepts workers of this machine only", file=sys.stderr)
    from harness import registry

    try:
        spec = registry.get(args.spec, args.level)
    except KeyError as exc:
        raise LoadError(exc.args[0]) from None
    if "server" not in spec.roles:
        raise LoadError(f"{spec.name} has no server role to put under load")
    from harness.runner import require_writable
    from harness.run import HarnessError

    try:
        require_writable(args.out)
    except HarnessError as exc:
        raise LoadError(str(exc)) from None
    cfg = LoadConfig(spec=spec.name, target=args.target.strip(), enterprises=args.enterprises,
                     processes=args.processes, duration=args.duration, out=args.out, spawn_rate=args.spawn_rate,
                     time_scale=args.time_scale, sample=args.sample, seed=args.seed, profile=args.profile,
                     sign_key=args.sign_key, master_bind=args.master_bind, master_port=args.master_port,
                     remote_workers=args.remote_workers,
                     signoff={"tester": args.tester, "organisation": args.organisation})
    return run(cfg)

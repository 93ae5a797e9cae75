"""`vconform load`: checks the arguments harness/cli.py parsed, then runs the load (harness/load/engine.py)."""
from __future__ import annotations

import os
import sys


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
                     remote_workers=args.remote_workers, web_port=args.web_port,
                     signoff={"tester": args.tester, "organisation": args.organisation})
    return run(cfg)

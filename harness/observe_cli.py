"""The command-line side of observe mode (docs/observe.md): `vconform mock SPEC --observe`, `vconform report
--journal FILE` and `vconform pilot-feed SPEC`. The judging itself is harness/observe.py."""
from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import observe


def _failure(msg: str) -> Exception:
    """A one-line reason the command cannot run: `vconform` prints it and exits 2 (cli.main)."""
    return observe.ObserveError(msg)


def _window(text: str) -> float:
    try:
        return observe.parse_window(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _scale(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        v = 0.0
    if v <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a time scale is a number above 0")
    return v


def _signoff_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sign-key", help="Ed25519 PKCS#8 PEM to sign with (default: generated on first use)")
    p.add_argument("--tester", default="", help="sign-off: tester's name")
    p.add_argument("--organisation", default="", help="sign-off: testing organisation")
    p.add_argument("--sut-name", default="", help="sign-off: SUT product name")
    p.add_argument("--sut-version", default="", help="sign-off: SUT version (the campaign's pilot gate reads it)")


def add_mock_args(m: argparse.ArgumentParser) -> None:
    g = m.add_argument_group("observe mode (docs/observe.md)")
    g.add_argument("--observe", action="store_true", help="judge every exchange received with the spec's client-role "
                   "checks, send no stimuli, and write a signed pilot report on SIGINT/SIGTERM or when --window ends")
    g.add_argument("--window", type=_window, metavar="DURATION", help="stop after this long (72h, 10m, 90s); "
                   "default: until SIGINT/SIGTERM")
    g.add_argument("--report-dir", type=Path, default=None, help="where the pilot report goes (default "
                   "reports/pilot-<UTC start time>, new for each start; a folder holding a report is refused)")
    g.add_argument("--time-scale", type=_scale, default=1.0, metavar="F", help="the mock's clock runs F times "
                   "faster (a pilot-feed with --time-scale F keeps the spec's cadence on it)")
    _signoff_args(g)


def add_parsers(sub) -> None:
    r = sub.add_parser("report", help="re-derive a signed report from an exchange journal alone (docs/observe.md)")
    r.add_argument("--journal", type=Path, required=True, help="the SQLite journal (of observe mode or of a run)")
    r.add_argument("--spec", help="the spec the journal was recorded for (default: read from the journal)")
    r.add_argument("--profile", help="errata profile (default: the journal's, else default)")
    r.add_argument("--out", type=Path, required=True, help="report folder")
    _signoff_args(r)

    f = sub.add_parser("pilot-feed", help="run the reference client (or --sut-cmd) on its own timers against a "
                       "mock in observe mode (docs/observe.md)")
    f.add_argument("spec")
    f.add_argument("--level", help="the platform of a spec document with several (same as DOCUMENT-LEVEL)")
    f.add_argument("--target", required=True, help="the observe-mode mock's URL (http://HOST:PORT)")
    f.add_argument("--duration", type=_window, default=600.0, metavar="DURATION", help="how long to feed "
                   "(default 10m)")
    f.add_argument("--time-scale", type=_scale, default=1.0, metavar="F", help="run the cadence F times faster "
                   "(give the mock the same --time-scale)")
    f.add_argument("--sut-cmd", help="an adapter command instead of the spec's reference client")
    f.add_argument("--only", action="append", default=[], metavar="ACTION", help="run only these cadence actions "
                   "(repeatable; the setup actions always run)")
    f.add_argument("--seed", type=int, default=1, help="data seed (the enterprise and its records)")
    f.add_argument("--adapter-timeout", type=float, default=60.0, metavar="SECONDS")


def clock_of(args) -> observe.ScaledClock | None:
    """The mock's clock under `--observe --time-scale F` (None: the spec's own); refuses observe options alone."""
    if not args.observe:
        given = [flag for flag, on in (("--window", args.window is not None), ("--time-scale", args.time_scale != 1.0))
                 if on]
        if given:
            raise _failure(f"{' and '.join(given)}: observe mode only (add --observe)")
        return None
    return observe.ScaledClock(args.time_scale) if args.time_scale != 1.0 else None


def serve_observed(args, spec, mock, journal, profile: dict) -> int:
    """`vconform mock SPEC --observe`: serve, judge every exchange, write the pilot report at the end."""
    from harness.dashboard import options as dashboard
    from harness.serve import PortInUse, serve_mock_forever

    if not hasattr(mock, "app") and not hasattr(mock, "start"):
        raise _failure(f"{spec.name}: observe mode judges HTTP mocks and TCP mocks (async start/close) only")
    try:
        module = observe.judge_module(spec)
    except observe.ObserveError as exc:
        raise _failure(str(exc)) from None
    out = report_dir(args.report_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _failure(f"--report-dir {out}: {exc.strerror or exc}") from None
    obs = observe.Observer(spec, module.judge_for_mock(mock, profile), journal=journal, profile=profile["name"],
                           echo=observe.echo_stderr, time_scale=args.time_scale,
                           sut={"name": args.sut_name, "version": args.sut_version})
    obs.attach(mock)
    if journal.temporary:
        print("observe: no --journal given; `vconform report --journal` needs one to re-derive this report",
              file=sys.stderr)
    print(window_line(args.window, out), file=sys.stderr, flush=True)
    try:
        serve_mock_forever(dashboard.serving(args, spec.name, mock), args.host, args.port, spec.mock_scheme,
                           stop_after=args.window)
    except PortInUse as exc:
        raise _failure(str(exc)) from None
    obs.finish()
    signoff = {"tester": args.tester, "organisation": args.organisation, "sut_name": args.sut_name,
               "sut_version": args.sut_version}
    sut = {"kind": "observed", "name": args.sut_name, "version": args.sut_version,
           "summary": f"{obs.exchanges} exchanges observed"}
    model = obs.write(out, sign_key=args.sign_key, sut=sut, signoff=signoff)
    journal.close()
    print(summary_line(model, out), flush=True)
    return {"pass": 0, "fail": 1}.get(model["verdict"], 2)


def report_dir(given: Path | None) -> Path:
    """The pilot report's folder: the one given, unless it holds a report already (a second observe mock must not
    write over a pilot's signed report); by default a new reports/pilot-<UTC start time>."""
    if given is None:
        return Path("reports") / time.strftime("pilot-%Y%m%dT%H%M%SZ", time.gmtime())
    out = Path(given)
    if (out / "report.json").exists():
        raise _failure(f"--report-dir {out}: holds a report already; give a new folder (or move that report)")
    return out


def window_line(window: float | None, out: Path) -> str:
    """What a user starting a pilot waits for: the window is real (wall-clock) time, whatever --time-scale says."""
    if window is None:
        return f"observe: observing until SIGINT/SIGTERM; the report goes to {out}"
    end = time.strftime("%H:%M:%S", time.gmtime(time.time() + window))
    return (f"observe: observing until {end} UTC (window {_span(window)}, real time; --time-scale speeds the "
            f"clocks, not the window); the report goes to {out}")


def _span(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def summary_line(model: dict[str, Any], out: Path) -> str:
    p = model["pilot"]
    return (f"vconform observe {model['spec']['name']}: {model['verdict']} — {p['exchanges']} exchanges from "
            f"{p['window_start']} to {p['window_end']}, {model['counts']['fail']} failed check(s); "
            f"report {out / 'report.html'}")


def cmd_report(args, _spec) -> int:
    path = Path(args.journal)
    if not path.is_file():
        raise _failure(f"--journal {path}: no such file")
    try:
        name = args.spec or observe.journal_spec(path)
        spec = _spec(name)
        obs = observe.Observer.replay(spec, path, profile=args.profile)
    except observe.ObserveError as exc:
        raise _failure(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - not a journal, a broken file: a harness error, one line
        import sqlite3

        if isinstance(exc, (sqlite3.Error, ValueError, KeyError)):
            raise _failure(f"--journal {path}: {type(exc).__name__}: {exc}") from None
        raise
    # The SUT the journal was observed for names the re-derived report; a different name or version is refused,
    # so a pilot cannot be re-derived (and then recorded) under another SUT.
    observed = observe.read_meta(path).get("sut") or {}
    named = {}
    for key, flag, given in (("name", "--sut-name", args.sut_name), ("version", "--sut-version", args.sut_version)):
        kept = observed.get(key) or "" if isinstance(observed, dict) else ""
        if kept and given and given != kept:
            obs.journal.close()
            raise _failure(f"{flag} {given!r}: the journal was observed for SUT {key} {kept!r}; a re-derived "
                           f"report names the SUT observed")
        named[key] = given or kept
    signoff = {"tester": args.tester, "organisation": args.organisation, "sut_name": named["name"],
               "sut_version": named["version"]}
    sut = {"kind": "journal", "name": named["name"], "version": named["version"],
           "summary": f"{obs.exchanges} exchanges re-judged from {path.name}"}
    model = obs.write(args.out, sign_key=args.sign_key, sut=sut, signoff=signoff)
    obs.journal.close()
    print(summary_line(model, Path(args.out)), flush=True)
    return {"pass": 0, "fail": 1}.get(model["verdict"], 2)


def cmd_pilot_feed(args, _spec) -> int:
    """The client's business loop on its own timers: setup actions once, then each cadence action when due.
    `_spec(name, level)`: the CLI's spec lookup (one-line refusal of an unknown name)."""
    from harness.adapter import Adapter, check_command
    spec = _spec(args.spec, args.level)
    try:
        module = observe.judge_module(spec)
    except observe.ObserveError as exc:
        raise _failure(str(exc)) from None
    if not hasattr(module, "pilot_plan"):
        raise _failure(f"{spec.name} has no pilot plan (pilot_plan in its observe module)")
    plan = module.pilot_plan(args.seed, time_scale=args.time_scale, level=getattr(spec, "level", "") or "")
    cmd = args.sut_cmd or spec.reference_cmd()
    try:
        check_command(cmd)
    except Exception as exc:  # noqa: BLE001 - a command that cannot run: one line, exit 2
        raise _failure(f"--sut-cmd: {exc}") from None
    base = args.target.rstrip("/")
    if plan.get("prefix") and not base.endswith(plan["prefix"]):
        base += plan["prefix"]
    cadence = [c for c in plan["cadence"] if not args.only or c[0] in args.only]
    unknown = sorted(set(args.only) - {c[0] for c in plan["cadence"]})
    if unknown:
        raise _failure(f"--only {', '.join(unknown)}: the pilot plan's actions are "
                       f"{', '.join(c[0] for c in plan['cadence'])}")
    stop = {"now": False}

    def _stop(*_a):
        stop["now"] = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    with tempfile.TemporaryDirectory(prefix=f"vconform-pilot-{spec.name}-") as tmp:
        state = Path(tmp) / "state"
        state.mkdir()
        adapter = Adapter(cmd, spec.name, base, plan["credentials"], state, timeout=args.adapter_timeout)
        calls = {"ok": 0, "failed": 0}

        aliases = plan.get("actions", {})  # a cadence entry's adapter action when its name differs
        sequences = plan.get("sequences", {})  # a cadence entry made of several actions: its maker gives their params

        def act(action: str, params: Any) -> None:
            res = adapter.run(aliases.get(action, action), params)
            calls["ok" if res.ok else "failed"] += 1
            tail = "" if res.ok else " (" + (res.stderr.strip().splitlines() or ["timed out" if res.timed_out
                                                                                     else "no stderr"])[-1][:200] + ")"
            print(f"pilot-feed: {action} exit {res.exit_code}{tail}", flush=True)
            for f in state.glob("context-*.json"):  # a long pilot leaves no pile of context files
                f.unlink(missing_ok=True)

        end = time.monotonic() + args.duration
        for action, params in plan["setup"]:
            if stop["now"]:
                break
            act(action, params)
        now = time.monotonic()
        due = {action: now for action, _period, _make, _why in cadence}  # each once at start, then on its period
        count = {action: 0 for action in due}
        makers = {action: (period, make) for action, period, make, _why in cadence}
        while not stop["now"]:
            action = min(due, key=due.get)
            wait = due[action] - time.monotonic()
            if due[action] > end:
                break
            if wait > 0:
                time.sleep(min(wait, 0.5))
                continue
            period, make = makers[action]
            count[action] += 1
            made = make(count[action])
            if action in sequences:  # one business event of several calls, in order (a whole inspection)
                for step, params in zip(sequences[action], made):
                    act(step, params)
            else:
                act(action, made)
            # no backlog: an action that fell behind (a slow call) runs once, then keeps its period from now
            due[action] = max(due[action] + period / args.time_scale, time.monotonic())
        for action, params in plan.get("teardown", []):  # leave in order (a forwarder's 0x1003), even on a signal
            act(action, params)
    print(f"pilot-feed {spec.name}: {calls['ok']} calls succeeded, {calls['failed']} failed", flush=True)
    return 0

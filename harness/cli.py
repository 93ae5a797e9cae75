"""The `vconform` command line (DESIGN.md §CLI). Exit codes: 0 conforms/valid, 1 does not, 2 harness error."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import __version__, stages
from harness import mocklimits as limits
from harness.dashboard import options as dashboard
from harness import observe_cli
from harness.run import DEFAULT_DEADLINE


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vconform", description="Conformance harness and mock platforms for "
                                "vehicle-supervision networking specs")
    p.add_argument("--version", action="version", version=f"vconform {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("specs", help="spec documents, their platforms (levels), roles and interfaces")

    a = sub.add_parser("actions", help="what the software must do for each client-role action of a spec")
    _spec_args(a)
    a.add_argument("--schema", action="store_true", help="print each action's params JSON Schema, and its answer's where one is generated")

    m = sub.add_parser("mock", help="run a spec's mock platform until SIGINT/SIGTERM")
    _spec_args(m)
    m.add_argument("--host", default="127.0.0.1")
    m.add_argument("--port", type=int, default=0, help="0 picks a free port (printed)")
    m.add_argument("--journal", type=Path, help="SQLite journal file, mode 0600 (default: a private temporary file)")
    m.add_argument("--profile", default=None)
    g = m.add_argument_group("HTTP mocks: connection limits")
    g.add_argument("--header-timeout", type=_positive, default=limits.HEADER_TIMEOUT, metavar="S",
                   help="request line and headers must arrive within S seconds (default %(default)g)")
    g.add_argument("--body-timeout", type=_positive, default=limits.BODY_TIMEOUT, metavar="S",
                   help="the body must arrive within S seconds of the headers (default %(default)g)")
    g.add_argument("--idle-timeout", type=_positive, default=limits.IDLE_TIMEOUT, metavar="S",
                   help="close a keep-alive connection idle for S seconds (default %(default)g)")
    g.add_argument("--max-connections", type=_positive_int, default=limits.MAX_CONNECTIONS, metavar="N",
                   help="beyond N open connections a request is answered 503 (default %(default)d)")
    g.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                   help="processes that open encrypted envelopes (RSA) beside the one holding the state, the "
                        "journal and every answer (default 1: none; docs/ARCHITECTURE.md says why not N servers)")
    dashboard.add_arguments(m)
    observe_cli.add_mock_args(m)

    r = sub.add_parser("run", help="run a spec's conformance suites and write a signed report")
    _spec_args(r)
    r.add_argument("--role", choices=("client", "server"), default="client")
    r.add_argument("--sut-cmd", help="client role: the vendor's adapter command (DESIGN.md adapter protocol)")
    r.add_argument("--target", help="server role: base URL of the platform under test")
    r.add_argument("--only", action="append", default=[], metavar="INTERFACE", help="run one interface (repeatable)")
    r.add_argument("--stage", action="append", default=[], metavar="STAGE",
                   help="run one stage only (repeatable): " + ", ".join(stages.names()) + " (see harness/stages.py)")
    r.add_argument("--out", type=Path, default=Path("reports"),
                   help="report folder (default: reports/); checked to be writable before the run starts")
    r.add_argument("--adapter-timeout", type=_seconds, default=None, metavar="SECONDS",
                   help="client role: seconds one adapter call may take before its whole process group is killed "
                        "and the action fails (default: 60)")
    r.add_argument("--deadline", type=_seconds, default=DEFAULT_DEADLINE, metavar="SECONDS",
                   help=f"seconds the whole run may take; past it the run ends with verdict `error`, exit 2 "
                        f"(default: {DEFAULT_DEADLINE:g})")
    r.add_argument("--seed", type=int, help="data and fuzzing seed; a run with the same seed (and the same "
                                            "--expect-versions) repeats exactly")
    r.add_argument("--expect-versions", metavar="python=V,hypothesis=V,faker=V,vconform=V",
                   help="replay: refuse to run (exit 2) unless this install has these versions, which decide the data "
                        "a seed generates (a report's reproduce line and `reproducibility` member give them)")
    r.add_argument("--profile", default="default", help="errata profile (see `vconform profiles SPEC`)")
    r.add_argument("--journal", type=Path, help="keep the mock's SQLite journal in this file")
    r.add_argument("--sign-key", help="Ed25519 PKCS#8 PEM to sign with (default: generated on first use)")
    r.add_argument("--tester", default="", help="sign-off: tester's name")
    r.add_argument("--organisation", default="", help="sign-off: testing organisation")
    r.add_argument("--sut-name", default="", help="sign-off: SUT product name")
    r.add_argument("--sut-version", default="", help="sign-off: SUT version")
    r.add_argument("--campaign", metavar="URL", help="record the signed report in this campaign database (a file, "
                   "sqlite:///PATH or postgresql://...; needs --sut-name and --sut-version; docs/campaign.md)")

    rp = sub.add_parser("replay", help="re-send one recorded client-role stimulus to the adapter against a fresh mock "
                        "(exit 0 passes, 1 fails again, 2 cannot replay)")
    rp.add_argument("report", type=Path, help="report folder or report.json")
    which = rp.add_mutually_exclusive_group(required=True)
    which.add_argument("--call", type=int, metavar="N", help="the adapter call numbered N in the report's evidence")
    which.add_argument("--check", metavar="ID", help="the first failing row of this check id")
    rp.add_argument("--sut-cmd", help="another adapter command (default: the report's SUT)")
    rp.add_argument("--adapter-timeout", type=_seconds, default=None, metavar="SECONDS")

    pr = sub.add_parser("profiles", help="a spec document's errata profiles and the errata register")
    pr.add_argument("spec", help="a spec document, or one of its platforms (they share the profiles)")

    v = sub.add_parser("verify", help="check a report: exit 0 intact and signed by a trusted key, 1 changed or "
                       "unsigned, 3 intact but the signer is not trusted")
    v.add_argument("report", type=Path, help="report folder, report.json or report.html")
    v.add_argument("--key", help="trust exactly this signer: base64 Ed25519 public key or a PEM file")
    v.add_argument("--trust", action="append", default=[], metavar="FILE",
                   help="trust the keys in this trust list (repeatable; default: $VCONFORM_HOME/trusted/ and "
                        "this machine's own key)")
    v.add_argument("--journal", type=Path, help="also check this exchange journal against the hash the report signed")

    k = sub.add_parser("key", help="this machine's report-signing key, and the keys it trusts")
    ksub = k.add_subparsers(dest="key_command", required=True)
    ks = ksub.add_parser("show", help="print the signing key's fingerprint and public key (to give to verifiers)")
    ks.add_argument("--sign-key", help="an Ed25519 PKCS#8 PEM instead of the per-user key")
    kt = ksub.add_parser("trust", help="trust a signer's public key for `vconform verify`")
    kt.add_argument("public_key", help="base64 of the 32 raw Ed25519 bytes, or a PEM file")
    kt.add_argument("--name", default="", help="a label: who this key belongs to")

    s = sub.add_parser("schemas", help="regenerate JSON Schemas from a spec document's field tables "
                       "(--check: drift test)")
    s.add_argument("spec", help="a spec document, or one of its platforms (they share the schemas folder)")
    s.add_argument("--check", action="store_true")

    from harness import registry

    for spec in registry.discover().values():
        if spec.add_cli is not None:
            try:
                spec.add_cli(sub)
            except ImportError as exc:  # one spec's broken extra commands must not take the whole CLI down
                print(f"vconform: warning: {spec.name} sub-commands unavailable: {exc}", file=sys.stderr)
    from harness.jt809.cli import add_parser as add_jt809

    add_jt809(sub)
    _load_args(sub)
    from harness.campaign.cli import add_parser as add_campaign

    add_campaign(sub)
    observe_cli.add_parsers(sub)
    return p


def _load_args(sub) -> None:
    p = sub.add_parser("load", help="server role at province scale: simulated enterprises on Locust, judged, one "
                       "signed report with latency percentiles (docs/load.md)")
    p.add_argument("spec", help="a spec with a server role and a load behaviour (`vconform specs`)")
    p.add_argument("--level", help="the platform of a spec document with several (same as DOCUMENT-LEVEL)")
    p.add_argument("--target", help="base URL of the platform under test (as for `vconform run --role server`)")
    p.add_argument("--enterprises", type=_positive_int, default=100, help="simulated enterprises, each its own key "
                   "pair (cached under $VCONFORM_HOME/load-keys) and id (default %(default)s)")
    p.add_argument("--processes", type=_non_negative, default=1, help="Locust worker processes on this machine, "
                   "beside the master (default %(default)s)")
    p.add_argument("--duration", type=_seconds, default=60.0, metavar="S", help="seconds of load (default %(default)g)")
    p.add_argument("--spawn-rate", type=_seconds, metavar="N", help="enterprises started per second "
                   "(default: all within 10 s, or a third of --duration when shorter)")
    p.add_argument("--time-scale", type=_seconds, default=1.0, metavar="F", help="run the spec's cadence F times "
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
    p.add_argument("--web-port", type=_non_negative, default=0, metavar="PORT", help="show Locust's web UI on "
                   "127.0.0.1:PORT while the run lasts (default: none)")
    g = p.add_argument_group("several machines (docs/load.md)")
    g.add_argument("--master-bind", default="127.0.0.1", metavar="HOST", help="address the master listens on for "
                   "workers; 0.0.0.0 to accept workers of other machines (default %(default)s)")
    g.add_argument("--master-port", type=_non_negative, default=0, metavar="PORT", help="the master's port "
                   "(default: a free one, printed when --remote-workers is given)")
    g.add_argument("--remote-workers", type=_non_negative, default=0, metavar="N",
                   help="also wait for N workers started on other machines with --worker")
    g.add_argument("--worker", action="store_true", help="be one worker of a master on another machine: needs "
                   "--master-host (the run's options come from the master)")
    g.add_argument("--master-host", metavar="HOST", help="with --worker: the master's address")


def _seconds(text: str) -> float:
    """A positive number of seconds (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: a positive number of seconds is required")
    return value


def _spec_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", help="a spec (`vconform specs`): a single-platform spec, or DOCUMENT-LEVEL")
    p.add_argument("--level", help="the platform of a spec document with several (same as DOCUMENT-LEVEL)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command not in COMMANDS and hasattr(args, "func"):
            return args.func(args)  # a spec's own sub-command
        return COMMANDS[args.command](args)
    except (HarnessFailure, observe_cli.observe.ObserveError) as exc:
        print(f"vconform: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `vconform actions SPEC --schema | head`: the reader closed the pipe; that is not an error of ours.
        # Point stdout at /dev/null so the interpreter's final flush does not raise again.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


class HarnessFailure(Exception):
    """A one-line reason the harness could not run (exit 2)."""


def cmd_specs(args) -> int:
    """Each document; a document with several platforms lists each level under it, by its registered name."""
    from harness import registry

    for document, specs in registry.documents().items():
        if len(specs) == 1 and not specs[0].level:
            spec = specs[0]
            print(f"{document}\t{spec.version}\troles: {', '.join(spec.roles)}\t{spec.title_en}")
            _print_interfaces(spec, "  ")
            continue
        print(f"{document}\t{specs[0].version}\tlevels: {', '.join(s.level for s in specs)}")
        for spec in specs:
            print(f"  level {spec.level}: {spec.name}\troles: {', '.join(spec.roles)}\t{spec.title_en}")
            _print_interfaces(spec, "    ")
    return 0


def _print_interfaces(spec, indent: str) -> None:
    for iface, section in spec.interfaces.items():
        print(f"{indent}{iface:<22} {section}")


def _spec(name: str, level: str | None = None):
    from harness import registry

    try:
        return registry.get(name, level)
    except KeyError as exc:
        raise HarnessFailure(exc.args[0]) from None


def _folder(name: str) -> str:
    from harness import registry

    try:
        return registry.folder_of(name)
    except KeyError as exc:
        raise HarnessFailure(exc.args[0]) from None


def cmd_actions(args) -> int:
    from harness import actions

    return actions.show(_spec(args.spec, args.level), schema=args.schema)


def cmd_profiles(args) -> int:
    from harness import specdata

    folder = _folder(args.spec)
    for name in specdata.profile_names(folder):
        prof = specdata.profile(folder, name)
        print(f"{name:<16} {prof.get('description', '')}")
    print()
    for eid, e in specdata.errata(folder).items():
        switch = f"  [switch: {e['switch']}]" if e.get("switch") else ""
        print(f"{eid}  {e['title']}{switch}\n        default: {e['default']}")
    return 0


def _positive(text: str) -> float:
    v = float(text)
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be > 0 seconds: {text}")
    return v


def _non_negative(text: str) -> int:
    v = int(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text}")
    return v


def _positive_int(text: str) -> int:
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1: {text}")
    return v


def cmd_mock(args) -> int:
    from harness import specdata
    from harness.serve import PortInUse, serve_mock_forever

    spec = _spec(args.spec, args.level)
    if spec.make_mock is None:
        raise HarnessFailure(f"{spec.name} has no mock")
    try:
        profile = specdata.profile(spec.folder, args.profile)
    except specdata.ProfileError as exc:
        raise HarnessFailure(str(exc)) from None
    if not 0 <= args.port <= 65535:
        raise HarnessFailure(f"--port {args.port}: a TCP port is 0-65535 (0 picks a free one)")
    if dashboard.problem(args):
        raise HarnessFailure(dashboard.problem(args))
    clock = observe_cli.clock_of(args)  # --observe --time-scale F: the mock's clock runs F times faster
    journal = open_journal(args.journal)
    mock = spec.make_mock(journal=journal, profile=profile, **({"clock": clock} if clock else {}))
    if hasattr(mock, "app"):
        mock.header_timeout, mock.body_timeout = args.header_timeout, args.body_timeout
        mock.idle_timeout, mock.max_connections = args.idle_timeout, args.max_connections
        if hasattr(mock, "workers"):
            mock.workers = args.workers
    if args.observe:
        return observe_cli.serve_observed(args, spec, mock, journal, profile)
    try:
        return serve_mock_forever(dashboard.serving(args, spec.name, mock), args.host, args.port, spec.mock_scheme,
                                  on_stop=journal.close)
    except PortInUse as exc:
        raise HarnessFailure(str(exc)) from None


SQLITE_MAGIC = b"SQLite format 3\x00"


def check_journal_path(path: Path | None) -> None:
    """Refuse, with a one-line reason, a --journal that cannot be an SQLite journal file."""
    if path is None:
        return
    path = Path(path)
    if path.is_dir():
        raise HarnessFailure(f"--journal {path}: is a directory; give a file name (e.g. {path / 'journal.db'})")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise HarnessFailure(f"--journal {path}: {parent} is a file, not a directory")
            break
    if path.is_file():
        try:
            with path.open("rb") as fh:
                head = fh.read(len(SQLITE_MAGIC))
        except OSError as exc:
            raise HarnessFailure(f"--journal {path}: cannot read it: {exc.strerror or exc}") from None
        if head and head != SQLITE_MAGIC:
            raise HarnessFailure(f"--journal {path}: exists and is not an SQLite database; refusing to touch it")


def open_journal(path: Path | None):
    """The mock's Journal at `path` (in memory when None); HarnessFailure with a one-line reason when it cannot be."""
    import sqlite3

    from harness.journal import Journal

    check_journal_path(path)
    try:
        return Journal(path)
    except (sqlite3.Error, OSError) as exc:
        raise HarnessFailure(f"--journal {path}: cannot open it as an SQLite journal: {exc}") from None


def run_config(args):
    """The RunConfig of `vconform run` arguments; a HarnessFailure for a bad spec, level, profile, role option
    or stage, before anything runs."""
    from harness import specdata
    from harness.run import RunConfig

    spec = _spec(args.spec, args.level)
    try:
        stages.require_known(args.stage)
    except stages.UnknownStage as exc:
        raise HarnessFailure(f"--stage: {exc}") from None
    try:
        specdata.profile(spec.folder, args.profile)
    except specdata.ProfileError as exc:
        raise HarnessFailure(str(exc)) from None
    if args.sut_cmd is not None and args.role != "client":
        raise HarnessFailure("--sut-cmd is for the client role; use --target URL for the server role")
    if args.target is not None and args.role != "server":
        raise HarnessFailure("--target is for the server role; use --sut-cmd CMD for the client role")
    if args.adapter_timeout is not None and args.role != "client":
        raise HarnessFailure("--adapter-timeout is for the client role (adapters run only there)")
    if args.sut_cmd is not None:  # given, even empty: an unset variable must not certify the reference client
        from harness.adapter import AdapterNotFound, check_command

        try:
            check_command(args.sut_cmd)
        except AdapterNotFound as exc:
            raise HarnessFailure(f"--sut-cmd: {exc}") from None
    if args.target is not None and not args.target.strip():
        raise HarnessFailure("--target is empty (is the variable that should hold the URL set?)")
    check_journal_path(args.journal)
    from harness.runner import require_writable
    from harness.run import HarnessError, parse_versions, version_mismatch

    expect_versions: dict[str, str] = {}
    if args.expect_versions is not None:
        try:
            expect_versions = parse_versions(args.expect_versions)
        except ValueError as exc:
            raise HarnessFailure(f"--expect-versions: {exc}") from None
        if version_mismatch(expect_versions):
            raise HarnessFailure(version_mismatch(expect_versions))

    try:
        require_writable(args.out)
    except HarnessError as exc:
        raise HarnessFailure(str(exc)) from None
    if args.campaign is not None:
        from harness.campaign import CampaignError
        from harness.campaign.cli import check_url

        if not (args.sut_name.strip() and args.sut_version.strip()):
            raise HarnessFailure("--campaign records the run under its SUT: give --sut-name and --sut-version")
        try:
            check_url(args.campaign)
        except CampaignError as exc:
            raise HarnessFailure(str(exc)) from None
    cfg = RunConfig(spec=spec.name, role=args.role, sut_cmd=args.sut_cmd, target=args.target, only=args.only,
                    stages=args.stage, out=args.out, seed=args.seed, profile=args.profile, sign_key=args.sign_key,
                    signoff={"tester": args.tester, "organisation": args.organisation}, journal=args.journal,
                    sut_name=args.sut_name, sut_version=args.sut_version, extra={"tool_version": __version__},
                    adapter_timeout=args.adapter_timeout, deadline=args.deadline, expect_versions=expect_versions,
                    campaign=args.campaign)
    return cfg


def cmd_run(args) -> int:
    from harness.adapter import AdapterNotFound
    from harness.run import HarnessError
    from harness.runner import run
    from harness.serve import PortInUse

    cfg = run_config(args)  # every argument checked before any suite starts
    from harness.report import SigningKeyError

    try:
        return run(cfg)
    except (HarnessError, PortInUse, AdapterNotFound, SigningKeyError) as exc:
        raise HarnessFailure(str(exc)) from None


def cmd_verify(args) -> int:
    from harness.report import SigningKeyError
    from harness.report.trust import verify_trusted

    if not args.report.exists():
        raise HarnessFailure(f"{args.report}: no such file or directory (a report folder, report.json or "
                             f"report.html is expected)")
    from harness.campaign import certificate

    try:
        if certificate.certificate_path(args.report) is not None:  # `kind: "certificate"`: a go-live certificate
            if args.journal is not None:
                raise HarnessFailure("--journal is for reports; a certificate names no journal")
            verdict = certificate.verify(args.report, key=args.key, trust_files=args.trust)
            print(verdict.line())
            return verdict.exit_code
        verdict = verify_trusted(args.report, key=args.key, trust_files=args.trust, journal=args.journal)
    except SigningKeyError as exc:
        raise HarnessFailure(str(exc)) from None
    print(verdict.line())
    return verdict.exit_code


def cmd_key(args) -> int:
    from harness.report import SigningKeyError
    from harness.report.trust import add_trusted, own_key_lines

    try:
        if args.key_command == "show":
            print("\n".join(own_key_lines(args.sign_key)))
        else:
            print(f"trusted: {add_trusted(args.public_key, args.name)}")
    except SigningKeyError as exc:
        raise HarnessFailure(str(exc)) from None
    return 0


def cmd_schemas(args) -> int:
    from harness import schemagen

    try:
        folder = _folder(args.spec)
    except HarnessFailure:  # a new spec generates its schemas before its spec.py registers it
        if not (schemagen.spec_dir(args.spec) / "tables").is_dir():
            raise
        folder = args.spec
    return schemagen.main([folder] + (["--check"] if args.check else []))


def cmd_replay(args) -> int:
    from harness.replay import ReplayError, replay

    try:
        return replay(args.report, call=args.call, check=args.check, sut_cmd=args.sut_cmd,
                      adapter_timeout=args.adapter_timeout)
    except ReplayError as exc:
        raise HarnessFailure(f"replay: {exc}") from None


def cmd_jt809(args) -> int:
    from harness.jt809.cli import decode_main

    return decode_main(args.jt809_argv) if hasattr(args, "jt809_argv") else args.func(args)


def cmd_load(args) -> int:
    from harness.load.cli import main as load_main
    from harness.load.engine import LoadError
    from harness.report import SigningKeyError

    try:
        return load_main(args)
    except (LoadError, SigningKeyError) as exc:
        raise HarnessFailure(str(exc)) from None


COMMANDS = {"specs": cmd_specs, "actions": cmd_actions, "profiles": cmd_profiles, "mock": cmd_mock, "run": cmd_run,
            "verify": cmd_verify, "key": cmd_key, "schemas": cmd_schemas, "jt809": cmd_jt809,
            "load": cmd_load, "replay": cmd_replay, "report": lambda a: observe_cli.cmd_report(a, _spec),
            "pilot-feed": lambda a: observe_cli.cmd_pilot_feed(a, _spec)}


if __name__ == "__main__":
    sys.exit(main())

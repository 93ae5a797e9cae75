"""`vconform campaign record|status|gate|certificate`, and the recording of `vconform run --campaign URL`.

Exit codes: 0 done / gate passed / certificate written; 1 report refused / gate not passed / go-live not reached;
2 harness error (database unreachable, unknown spec, bad arguments).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import CampaignError, RecordRefused, gates, open_campaign, pilot_rule

URL_HELP = ("campaign database: a file, sqlite:///PATH or postgresql://USER@HOST:PORT/DB "
            "(default $VCONFORM_HOME/campaigns.sqlite)")


def add_parser(sub) -> None:
    c = sub.add_parser("campaign", help="the rollout campaign of a SUT: interface -> flow -> pilot -> go-live "
                       "(docs/campaign.md)")
    csub = c.add_subparsers(dest="campaign_command", required=True)

    r = csub.add_parser("record", help="record a signed report (its signature must verify and be trusted)")
    r.add_argument("report", type=Path, help="report folder or report.json")
    r.add_argument("--key", help="trust exactly this signer (as `vconform verify --key`)")
    r.add_argument("--trust", action="append", default=[], metavar="FILE", help="trust list (as `vconform verify`)")
    r.add_argument("--sut", default="", help="SUT name, only for a report that names none (a pilot report)")
    r.add_argument("--sut-version", default="", help="SUT version, only for a report that names none")
    _url(r)
    r.set_defaults(func=cmd_record)

    for name, help_text in (("status", "the per-interface board and the stage gates of a SUT"),
                            ("gate", "exit 0 when STAGE may be declared passed, 1 with the reason when not"),
                            ("certificate", "write the signed go-live certificate (HTML + JSON); refused (exit 1) "
                                            "before go-live")):
        p = csub.add_parser(name, help=help_text)
        p.add_argument("spec", help="a spec (`vconform specs`)")
        p.add_argument("--sut", required=True, help="the SUT name its reports carry (--sut-name of the run)")
        p.add_argument("--version", required=(name == "certificate"), default=None,
                       help="SUT version (default: the version of its latest recorded run)")
        p.add_argument("--pilot-window", type=_duration, default=None, metavar="DURATION",
                       help="the pilot's minimum observation window, e.g. 72h, 10m (default: spec data, else 72h)")
        p.add_argument("--pilot-min-exchanges", type=int, default=None, metavar="N",
                       help="the pilot's minimum number of exchanges (default: spec data, else 100)")
        _url(p)
        if name == "status":
            p.add_argument("--json", action="store_true", help="print the board as JSON")
            p.set_defaults(func=cmd_status)
        elif name == "gate":
            p.add_argument("--stage", required=True, choices=gates.GATES)
            p.set_defaults(func=cmd_gate)
        else:
            p.add_argument("--out", type=Path, required=True, help="folder for certificate.json and certificate.html")
            p.add_argument("--sign-key", help="Ed25519 PKCS#8 PEM to sign with (default: this machine's key)")
            p.set_defaults(func=cmd_certificate)


def _url(p: argparse.ArgumentParser) -> None:
    p.add_argument("--campaign", default=None, metavar="URL", help=URL_HELP)


def _duration(text: str) -> float:
    try:
        return gates.parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _error(msg: str) -> int:
    print(f"vconform: error: {msg}", file=sys.stderr)
    return 2


def _spec_name(name: str) -> str:
    from harness import registry

    try:
        return registry.get(name).name
    except KeyError as exc:
        raise CampaignError(exc.args[0]) from None


def cmd_record(args) -> int:
    from harness.report import SigningKeyError, _report_json_path

    path = _report_json_path(args.report)
    if not path.is_file():  # a bad argument (exit 2), as `vconform verify` of a missing file
        return _error(f"{path}: no such report.json")
    try:
        with open_campaign(args.campaign) as camp:
            row = camp.record(args.report, key=args.key, trust_files=args.trust, sut=args.sut,
                              sut_version=args.sut_version)
            print(record_line(row, camp.store.shown()))
        return 0
    except RecordRefused as exc:
        print(f"REFUSED: {exc}")
        return 1
    except (CampaignError, SigningKeyError) as exc:
        return _error(str(exc))


def record_line(row: dict, where: str) -> str:
    scope = f" --only {', '.join(row['scope_only'])}" if row["scope_only"] else ""
    scope += f" --stage {', '.join(row['scope_stages'])}" if row["scope_stages"] else ""
    head = "already recorded" if row["already"] else "recorded"
    return (f"campaign: {head}: {row['spec']} {row['sut_name']} {row['sut_version']} ({row['role']}), "
            f"{row['verdict']}{scope}, report sha256 {row['digest'][:16]}… in {where}")


def _board(args) -> dict:
    spec = _spec_name(args.spec)
    rule = pilot_rule(spec, args.pilot_window, args.pilot_min_exchanges)
    with open_campaign(args.campaign, create=False) as camp:
        return camp.board(spec, args.sut, args.version, rule)


def cmd_status(args) -> int:
    try:
        board = _board(args)
    except CampaignError as exc:
        return _error(str(exc))
    if args.json:
        print(json.dumps(board, ensure_ascii=False, indent=2))
        return 0
    print(f"campaign {board['spec']} / {board['sut']}: version {board['version']} "
          f"(versions recorded: {', '.join(board['versions'])})")
    width = max(len(r["interface"]) for r in board["interfaces"]) if board["interfaces"] else 10
    print(f"  {'interface':<{width}}  {'last verdict':<12}  {'when':<25}  {'SUT version':<12}  {'tool':<8}  report")
    for r in board["interfaces"]:
        print(f"  {r['interface']:<{width}}  {r['verdict']:<12}  {r['at']:<25}  {r['sut_version']:<12}  "
              f"{r['tool_version']:<8}  {r['report']}")
    print("stages:")
    for g in board["stages"]:
        print(f"  {g['stage']:<10} {g['state'].upper():<8} {g['at']:<25} {g['reason']}")
    return 0


def cmd_gate(args) -> int:
    try:
        board = _board(args)
    except CampaignError as exc:
        return _error(str(exc))
    g = next(s for s in board["stages"] if s["stage"] == args.stage)
    if g["state"] == "passed":
        print(f"PASSED: {args.stage} for {board['sut']} {board['version']} ({g['at']}): {g['reason']}")
        return 0
    print(f"NOT PASSED: {args.stage} for {board['sut']} {board['version']} is {g['state']}: {g['reason']}")
    return 1


def cmd_certificate(args) -> int:
    from harness.report import SigningKeyError

    from . import certificate

    try:
        spec = _spec_name(args.spec)
        rule = pilot_rule(spec, args.pilot_window, args.pilot_min_exchanges)
        with open_campaign(args.campaign, create=False) as camp:
            model = certificate.build(camp, spec, args.sut, args.version, rule)
            paths = certificate.write(model, args.out, args.sign_key)
            digest = certificate._sha256(paths["json"])
            camp.note_certificate(spec, args.sut, args.version, model["issued"], digest, str(paths["json"].resolve()))
    except certificate.NotReady as exc:
        print(f"REFUSED: {exc}")
        return 1
    except (CampaignError, SigningKeyError) as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"--out {args.out}: cannot write the certificate: {exc.strerror or exc}")
    print(f"certificate: {paths['html']}  (json: {paths['json']}; check it with `vconform verify {paths['json']}`)")
    return 0


def check_url(url: str) -> None:
    """Open (and create) the campaign database before a run starts: CampaignError when it cannot be used."""
    open_campaign(url).close()


def record_run(config, paths: dict, stream) -> bool:
    """`vconform run --campaign URL`: record the report just written; False (and the reason printed) when it could
    not be recorded, which makes the run a harness error."""
    from harness.report import SigningKeyError

    try:
        with open_campaign(config.campaign) as camp:
            row = camp.record(paths["json"], key=config.sign_key)
            print(record_line(row, camp.store.shown()), file=stream)
        return True
    except (RecordRefused, CampaignError, SigningKeyError) as exc:
        print(f"  HARNESS ERROR campaign: the run was not recorded: {exc}", file=stream)
        return False

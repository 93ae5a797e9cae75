"""`vconform jt809 decode`: decode JT/T 809 frames given as hex and report findings as JSON."""
from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any, Iterable

from harness.jt809.cipher import CipherConfig
from harness.jt809.frame import PROFILES, Frame, FrameError, HeaderProfile, decode_stream
from harness.jt809.jsonview import event_to_json
from harness.jt809.messages import lint

# Reasons that say "this tool has no codec for it", not "the sender broke the protocol".
WARN_REASONS = {"unknown_msg_id", "unknown_data_type", "unverified_layout"}

_PREFIX = re.compile(r"(?:^|(?<=[\s,]))0[xX]")
_SEPARATORS = re.compile(r"[\s,]+")
_NOT_HEX = re.compile(r"[^0-9a-fA-F]")


class UsageError(Exception):
    """Bad command line (exit 2)."""


def parse_hex(text: str) -> tuple[bytes | None, str | None]:
    """Bytes from a hex string tolerating whitespace, commas and 0x prefixes; or (None, why not)."""
    digits = _SEPARATORS.sub("", _PREFIX.sub("", text))
    if not digits:
        return None, "empty input: no hex digits"
    bad = _NOT_HEX.search(digits)
    if bad:
        return None, f"not hex: character {bad.group()!r} at digit {bad.start()}"
    if len(digits) % 2:
        return None, f"odd number of hex digits ({len(digits)})"
    return bytes.fromhex(digits), None


def _int(value: str) -> int:
    try:
        return int(value, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from None


def _finding(code: str, level: str, message: str) -> dict[str, str]:
    return {"code": code, "level": level, "message": message}


def _event_findings(event: Frame | FrameError) -> list[dict[str, str]]:
    out = []
    if isinstance(event, FrameError):
        for reason, message in [(event.reason, event.message), *event.others]:
            out.append(_finding(reason, "warn" if reason in WARN_REASONS else "fail", message))
        frame = event.partial
    else:
        frame = event
    if frame is not None:
        out += [f.as_dict() for f in lint(frame)]
    return out


def decode_input(index: int, text: str, profile: HeaderProfile, cipher: CipherConfig | None,
                 line: int | None = None) -> list[dict[str, Any]]:
    """One output object per frame (or skipped run of bytes) found in one hex input."""
    where = {"input_index": index} if line is None else {"input_index": index, "line": line}
    data, error = parse_hex(text)
    if data is None:
        return [{**where, "hex": text.strip(), "ok": False, "header": None, "body": None, "body_hex": None,
                 "findings": [_finding("not_hex", "fail", error)]}]
    records = []
    for event in decode_stream(data, profile, cipher):
        findings = _event_findings(event)
        records.append({**where, "offset": event.offset, "hex": event.raw.hex().upper(),
                        "ok": not any(f["level"] == "fail" for f in findings), **event_to_json(event),
                        "findings": findings})
    return records


def _lines(text: str, start: int = 1) -> Iterable[tuple[str, int]]:
    for number, line in enumerate(text.splitlines(), start):
        content = line.split("#", 1)[0]
        if content.strip():
            yield content, number


def _gather(args: argparse.Namespace) -> list[tuple[str, int | None]]:
    inputs: list[tuple[str, int | None]] = []
    if args.file:
        try:
            with open(args.file, encoding="utf-8") as handle:
                inputs += list(_lines(handle.read()))
        except OSError as exc:
            raise UsageError(f"cannot read --file {args.file}: {exc.strerror}") from None
    hexes = list(args.hex)
    if not hexes and not args.file:
        hexes = ["-"]
    for item in hexes:
        if item == "-":
            inputs += list(_lines(sys.stdin.read()))
        else:
            inputs.append((item, None))
    if not inputs:
        raise UsageError("no input: give hex frames, --file F, or frames on stdin")
    return inputs


def _cipher(args: argparse.Namespace) -> CipherConfig | None:
    given = [v is not None for v in (args.m1, args.ia1, args.ic1)]
    if not any(given):
        return None
    if not all(given):
        raise UsageError("--m1, --ia1 and --ic1 go together: give all three cipher constants")
    try:
        return CipherConfig(args.m1, args.ia1, args.ic1)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _write(text: str) -> None:
    out = sys.stdout
    # The output is UTF-8 (plate numbers are Chinese) even where the console's locale says otherwise.
    if (getattr(out, "encoding", "") or "").lower().replace("-", "") != "utf8" and hasattr(out, "buffer"):
        out.flush()
        out.buffer.write(text.encode("utf-8"))
        out.buffer.flush()
    else:
        out.write(text)


def run_decode(args: argparse.Namespace) -> int:
    """Run the decode command on parsed arguments; returns the exit code."""
    try:
        cipher = _cipher(args)
        inputs = _gather(args)
    except UsageError as exc:
        print(f"vconform jt809 decode: {exc}", file=sys.stderr)
        return 2
    profile = PROFILES[args.header]
    records = []
    for index, (text, line) in enumerate(inputs):
        records += decode_input(index, text, profile, cipher, line)
    if args.jsonl:
        _write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    else:
        _write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
    return 0 if all(r["ok"] for r in records) else 1


def _add_decode_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("hex", nargs="*", help="whole frames as hex (spaces and 0x prefixes allowed); '-' or "
                        "nothing reads stdin, one frame per line")
    parser.add_argument("--file", "-f", help="file with one hex frame per line; '#' comments, blank lines ignored")
    parser.add_argument("--m1", type=_int, help="cipher constant M1 (decimal or 0x hex)")
    parser.add_argument("--ia1", type=_int, help="cipher constant IA1")
    parser.add_argument("--ic1", type=_int, help="cipher constant IC1")
    parser.add_argument("--header", choices=sorted(PROFILES), default="2011",
                        help="revision: 2011 (22-byte header, 2011 bodies) or 2019 (header adds TIME u64; "
                        "the 2019 bodies of harness/jt809/layouts.toml)")
    parser.add_argument("--jsonl", action="store_true", help="one JSON object per line instead of an array")
    parser.set_defaults(func=run_decode)


def _register(subparsers: Any) -> None:
    decode = subparsers.add_parser("decode", help="decode JT/T 809 frames from hex and report findings",
                                   description="Decode JT/T 809 frames. Exit 0: all conform; 1: some frame "
                                   "has a fail-level finding; 2: bad usage.")
    _add_decode_arguments(decode)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `jt809` (with sub-command `decode`) on the main CLI; handlers are in args.func(args) -> int."""
    parser = subparsers.add_parser("jt809", help="JT/T 809 inter-platform protocol tools")
    _register(parser.add_subparsers(dest="jt809_command", required=True, metavar="COMMAND"))
    return parser


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace | int:
    try:
        return parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage and 0 on --help; hand back the code instead
        return exc.code if isinstance(exc.code, int) else 2


def decode_main(argv: list[str]) -> int:
    """`vconform jt809 decode ARGV...` as a function returning the exit code."""
    parser = argparse.ArgumentParser(prog="vconform jt809 decode", description="Decode JT/T 809 frames.")
    _add_decode_arguments(parser)
    args = _parse(parser, argv)
    return args if isinstance(args, int) else run_decode(args)


def main(argv: list[str] | None = None) -> int:
    """`python -m harness.jt809.cli decode ...`."""
    parser = argparse.ArgumentParser(prog="python -m harness.jt809.cli")
    _register(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    args = _parse(parser, sys.argv[1:] if argv is None else argv)
    return args if isinstance(args, int) else args.func(args)


if __name__ == "__main__":
    sys.exit(main())

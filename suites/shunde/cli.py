"""`vconform shunde access-check`: Attachment 3 (and 5) result sheets from an application and a platform journal."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from harness.journal import Journal
from mocks.shunde.store import positions_from_journal
from suites.shunde.access import ResultSheet, build_sheet, parse_when
from suites.shunde.sheets import SheetError, read_application, write_html, write_xlsx

OUTPUTS = {"access": "attachment3-车辆接入情况反馈表", "change": "attachment5-车辆资料变更反馈表"}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `shunde` with its sub-command `access-check` on the main CLI."""
    parser = subparsers.add_parser("shunde", help="Shunde district platform tools (result sheets)")
    sub = parser.add_subparsers(dest="shunde_command", required=True, metavar="COMMAND")
    a = sub.add_parser("access-check", help="write the vehicle access result sheet (Attachment 3) from an "
                       "application (Attachment 1) and the platform's journal",
                       description="Per vehicle: 是否接入 (a valid position received in the window) and GPS是否正常 "
                       "(the rules of schemas/shunde/platform.toml [gps_normal], E-SD-05). Exit 0: every vehicle "
                       "connected with normal GPS (and every change done); 1: not; 2: bad input.")
    a.add_argument("--application", type=Path, help="Attachment 1 车辆接入申请表 (.xlsx or .csv)")
    a.add_argument("--change", type=Path, help="Attachment 4 车辆资料变更申请表 (.xlsx or .csv) -> Attachment 5")
    a.add_argument("--journal", type=Path, required=True, help="the district platform's SQLite journal "
                   "(vconform mock shunde --journal, vconform run shunde --journal)")
    a.add_argument("--out", type=Path, default=Path("."), help="folder for the XLSX and HTML sheets (default: .)")
    a.add_argument("--window-start", help="ISO time; positions received before it do not count (Beijing time "
                   "unless an offset is given)")
    a.add_argument("--window-end", help="ISO time; positions received after it do not count")
    a.add_argument("--now", help="the check time for the 'silent' rule (default: the journal's last entry)")
    a.set_defaults(func=run_access_check)
    return parser


def run_access_check(args: argparse.Namespace) -> int:
    if args.application is None and args.change is None:
        print("vconform shunde access-check: give --application and/or --change", file=sys.stderr)
        return 2
    try:
        window = (parse_when(args.window_start), parse_when(args.window_end))
        now = parse_when(args.now)
    except ValueError as exc:
        print(f"vconform shunde access-check: bad time: {exc}", file=sys.stderr)
        return 2
    if not args.journal.is_file():
        print(f"vconform shunde access-check: no journal at {args.journal}", file=sys.stderr)
        return 2
    try:
        rows = Journal.read(args.journal)
    except Exception as exc:  # sqlite3 raises DatabaseError for a file that is not a journal
        print(f"vconform shunde access-check: cannot read journal {args.journal}: {exc}", file=sys.stderr)
        return 2
    if now is None:
        now = min((t for t in (window[1], max((r["time"] for r in rows), default=None)) if t is not None),
                  default=None)
    positions = positions_from_journal(rows)
    done = True
    for kind, path in (("access", args.application), ("change", args.change)):
        if path is None:
            continue
        try:
            app = read_application(path)
        except SheetError as exc:
            print(f"vconform shunde access-check: {exc}", file=sys.stderr)
            return 2
        sheet = build_sheet(app, positions, kind=kind, window=window, now=now)
        done = done and sheet.complete
        _write(sheet, args.out, OUTPUTS[kind])
    return 0 if done else 1


def _write(sheet: ResultSheet, out: Path, stem: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    xlsx, page = write_xlsx(sheet, out / f"{stem}.xlsx"), write_html(sheet, out / f"{stem}.html")
    ok = sum(1 for r in sheet.rows if r.done)
    lines = [f"{sheet.title}: {ok}/{len(sheet.rows)} 辆完成; 汇总结果 {sheet.summary}"]
    lines += [f"  {r.plate} {r.color_zh}: {' '.join(r.results(sheet.kind))}" + (f" — {r.note}" if r.note else "")
              for r in sheet.rows if not r.done]
    lines.append(f"  {xlsx}\n  {page}")
    text = "\n".join(lines) + "\n"
    # Plates are Chinese: write UTF-8 whatever the console's locale says.
    if hasattr(sys.stdout, "buffer") and (sys.stdout.encoding or "").lower().replace("-", "") != "utf8":
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(text)

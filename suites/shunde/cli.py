"""`vconform shunde access-check`: Attachment 3 (and 5) result sheets from an application and a platform journal."""
from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

from harness.journal import Journal
from mocks.shunde.store import iter_positions
from suites.shunde.access import ResultSheet, build_sheet, parse_when
from suites.shunde.sheets import SheetError, read_application, write_html, write_xlsx

POSITION_ROWS = "method = 'recv' AND path = '0x1200'"  # the only rows that can carry positions
PROGRESS_EVERY_S = 2.0
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
        total, last = _journal_extent(args.journal)
    except sqlite3.DatabaseError as exc:  # a file that is not a journal
        print(f"vconform shunde access-check: cannot read journal {args.journal}: {exc}", file=sys.stderr)
        return 2
    if now is None:
        now = min((t for t in (window[1], last) if t is not None), default=None)
    done = True
    for kind, path in (("access", args.application), ("change", args.change)):
        if path is None:
            continue
        try:
            app = read_application(path)
        except SheetError as exc:
            print(f"vconform shunde access-check: {exc}", file=sys.stderr)
            return 2
        # Streamed: one pass over the journal's position rows per sheet, never all rows in memory (issue 13).
        rows = _progress(Journal.iter_read(args.journal, POSITION_ROWS), total, kind)
        sheet = build_sheet(app, iter_positions(rows), kind=kind, window=window, now=now)
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


def _journal_extent(path: Path) -> tuple[int, float | None]:
    """How many position rows the journal holds and the time of its last entry (without reading the rows)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        total = db.execute(f"SELECT COUNT(*) FROM exchanges WHERE {POSITION_ROWS}").fetchone()[0]
        last = db.execute("SELECT MAX(time) FROM exchanges").fetchone()[0]
    finally:
        db.close()
    return int(total), last


def _progress(rows: Iterable[dict[str, Any]], total: int, kind: str) -> Iterator[dict[str, Any]]:
    """Pass rows through, telling stderr how far the pass is every PROGRESS_EVERY_S seconds and at its end."""
    shown = time.monotonic()
    n = 0
    for n, row in enumerate(rows, 1):
        if time.monotonic() - shown >= PROGRESS_EVERY_S:
            shown = time.monotonic()
            print(f"access-check ({kind}): {n}/{total} frames ({100 * n / max(total, 1):.0f}%)", file=sys.stderr)
        yield row
    print(f"access-check ({kind}): {n}/{total} frames read", file=sys.stderr)

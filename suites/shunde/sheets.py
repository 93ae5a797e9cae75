"""Read Attachment 1/4 applications (XLSX or CSV) and write Attachment 3/5 result sheets (XLSX and HTML)."""
from __future__ import annotations

import csv
import datetime as dt
import html
from pathlib import Path
from typing import Any

from suites.shunde.access import DETAIL_COLUMNS, HEADER_KEYS, ResultSheet

REQUIRED = ("车牌号码", "车牌颜色")
ALL_COLUMNS = DETAIL_COLUMNS + ("备注",)


class SheetError(ValueError):
    """An application that cannot be read: wrong format, no 车牌号码 column."""


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    # Forms are typed by hand: full-width spaces and stray blanks around names are common.
    return str(v).replace("\u3000", " ").strip()


def _key(v: Any) -> str:
    return _cell(v).replace(" ", "")


def read_application(path: str | Path) -> dict[str, Any]:
    """{"header": {企业全称: ...}, "rows": [{序号, 车牌号码, ...}], "reason": 变更原因} from .xlsx or .csv."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        try:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                grid = [list(r) for r in csv.reader(fh)]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise SheetError(f"cannot read {path}: {exc}") from None
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            grid = [list(r) for r in wb.active.iter_rows(values_only=True)]
            wb.close()
        except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
            raise SheetError(f"cannot read {path} as a workbook: {exc}") from None
    else:
        raise SheetError(f"{path}: an .xlsx or .csv application is required")
    return parse_grid([[_cell(c) for c in row] for row in grid], str(path))


def parse_grid(grid: list[list[str]], name: str = "sheet") -> dict[str, Any]:
    """Find the detail table by its 车牌号码 header; read the form's key/value cells above and below it."""
    head_at = next((i for i, row in enumerate(grid) if "车牌号码" in [_key(c) for c in row]), None)
    if head_at is None:
        raise SheetError(f"{name}: no header row with 车牌号码 (shunde Attachment 1 columns: {', '.join(ALL_COLUMNS)})")
    cols = {_key(c): j for j, c in enumerate(grid[head_at]) if _key(c)}
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        raise SheetError(f"{name}: column(s) {', '.join(missing)} missing")
    rows = []
    for row in grid[head_at + 1:]:
        plate = row[cols["车牌号码"]] if cols["车牌号码"] < len(row) else ""
        if not plate or _key(plate) in ("公司盖章", "变更原因"):
            continue
        rows.append({c: (row[j] if j < len(row) else "") for c, j in cols.items() if c in ALL_COLUMNS})
    header, reason = {}, ""
    for row in grid:
        for j, c in enumerate(row):
            k = _key(c)
            if k in HEADER_KEYS or k == "变更原因":
                value = next((v for v in row[j + 1:] if v), "")
                if k == "变更原因":
                    reason = reason or value
                else:
                    header.setdefault(k, value)
    return {"header": header, "rows": rows, "reason": reason}


def write_application(app: dict[str, Any], path: str | Path) -> Path:
    """An Attachment 1 workbook (used by tests and by `vconform run` evidence); header block then the table."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "车辆接入申请表"
    ws.append(["车辆接入申请表"])
    for k in HEADER_KEYS[1:]:
        ws.append([k, app.get("header", {}).get(k, "")])
    ws.append(["需接入车辆明细清单"])
    ws.append(list(ALL_COLUMNS))
    for r in app.get("rows", []):
        ws.append([r.get(c, "") for c in ALL_COLUMNS])
    wb.save(path)
    return Path(path)


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "—"
    return dt.datetime.fromtimestamp(epoch, dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds")


def _remark(sheet: ResultSheet) -> str:
    start, end = sheet.window
    window = "日志全部记录" if start is None and end is None else f"{_when(start)} 至 {_when(end)}"
    return f"核查窗口：{window}；核查时间：{_when(sheet.now)}"


def write_xlsx(sheet: ResultSheet, path: str | Path) -> Path:
    """The result sheet laid out as the form: title, header block, results table, 区平台核查结果汇总."""
    import openpyxl
    from openpyxl.styles import Alignment, Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet.title
    ws.append([sheet.title])
    ws["A1"].font = Font(bold=True, size=14)
    for k in HEADER_KEYS:
        ws.append([k, sheet.header.get(k, "")])
    if sheet.kind == "change" and sheet.reason:
        ws.append(["变更原因", sheet.reason])
    ws.append([sheet.caption])
    ws.append(sheet.columns)
    head = ws.max_row
    for cell in ws[head]:
        cell.font = Font(bold=True)
    for row in sheet.table():
        ws.append(row)
    ws.append([])
    ws.append(["区平台核查结果汇总"])
    ws.append(["汇总结果", sheet.summary])
    ws.append(["反馈意见", _remark(sheet)])
    ws.append(["", dt.date.today().strftime("%Y 年 %m 月 %d 日")])
    for col, width in zip("ABCDEFGHIJ", (8, 14, 10, 18, 24, 24, 10, 12, 60)):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=head + 1):
        row[-1].alignment = Alignment(wrap_text=True, vertical="top")
    wb.save(path)
    return Path(path)


def write_html(sheet: ResultSheet, path: str | Path) -> Path:
    e = html.escape
    head = "".join(f"<tr><th>{e(k)}</th><td>{e(sheet.header.get(k, ''))}</td></tr>" for k in HEADER_KEYS)
    if sheet.kind == "change" and sheet.reason:
        head += f"<tr><th>变更原因</th><td>{e(sheet.reason)}</td></tr>"
    cols = "".join(f"<th>{e(c)}</th>" for c in sheet.columns)
    body = ""
    for r, cells in zip(sheet.rows, sheet.table()):
        cls = "ok" if r.done else "bad"
        body += f'<tr class="{cls}">' + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>\n"
    page = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(sheet.title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin:1em 0}}
th,td{{border:1px solid #999;padding:4px 8px;text-align:left;vertical-align:top}}
tr.bad td{{background:#fde8e8}}tr.ok td{{background:#eefbea}}</style></head><body>
<h1>{e(sheet.title)}</h1>
<table>{head}</table>
<h2>{e(sheet.caption)}</h2>
<table><tr>{cols}</tr>
{body}</table>
<h2>区平台核查结果汇总</h2>
<table><tr><th>汇总结果</th><td>{e(sheet.summary)}</td></tr>
<tr><th>反馈意见</th><td>{e(_remark(sheet))}</td></tr></table>
<p>GPS是否正常 按 vconform 的成文规则判定（E-SD-05，schemas/shunde/platform.toml [gps_normal]）。</p>
</body></html>
"""
    Path(path).write_text(page, "utf-8")
    return Path(path)

"""Attachment 3 (车辆接入情况反馈表) and Attachment 5 (车辆资料变更反馈表) from an application and the positions received."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from suites.shunde import gpsrules

COLOR_CODES = {"蓝": 1, "黄": 2, "黑": 3, "白": 4, "绿": 9, "其他": 9, "其它": 9}  # E-SD-15
COLOR_ZH = {1: "蓝色", 2: "黄色", 3: "黑色", 4: "白色", 9: "其他"}
HEADER_KEYS = ("任务受理号", "企业性质", "企业全称", "企业简称", "联系人", "电话方式", "QQ")
DETAIL_COLUMNS = ("序号", "车牌号码", "车牌颜色", "车辆用途", "运输企业", "GPS运营商")
KINDS = {
    # kind: title, list caption, result columns, summary (done, not done)
    "access": ("车辆接入情况反馈表", "需接入车辆明细清单（核查结果）", ("是否接入", "GPS是否正常"),
               ("全部接入完成", "未全部接入完成")),
    "change": ("车辆资料变更反馈表", "需变更车辆明细清单（核查结果）", ("变更结果",),  # E-SD-12
               ("全部完成变更", "未全部完成变更")),
}
NOTE_COLUMN = "核查说明"  # E-SD-11: the form has no column for the reason; the harness adds one


def color_code(text: Any) -> int | None:
    """JT/T 415 code for an Attachment 1 colour cell ("黄色", "黄", "2"); None when unrecognised."""
    s = str(text or "").strip()
    if s.isdigit():
        return int(s)
    for k, v in COLOR_CODES.items():
        if s.startswith(k):
            return v
    return None


def normalise_plate(text: Any) -> str:
    return re.sub(r"[\s·\-]", "", str(text or "")).upper()


@dataclass
class SheetRow:
    """One vehicle of the application and its result."""

    index: Any
    plate: str
    color_zh: str
    use: str = ""
    company: str = ""
    operator: str = ""
    remark: str = ""
    connected: bool = False
    gps_normal: bool = False
    note: str = ""
    positions: int = 0
    findings: list[dict[str, str]] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.connected and self.gps_normal

    def results(self, kind: str) -> list[str]:
        if kind == "change":
            return ["已完成变更" if self.done else "未完成变更"]
        return ["是" if self.connected else "否", ("是" if self.gps_normal else "否") if self.connected else "否"]


@dataclass
class ResultSheet:
    """A filled-in Attachment 3 (kind "access") or Attachment 5 (kind "change")."""

    kind: str
    header: dict[str, str]
    rows: list[SheetRow]
    window: tuple[float | None, float | None]
    now: float | None
    reason: str = ""   # 变更原因 (Attachment 4)

    @property
    def title(self) -> str:
        return KINDS[self.kind][0]

    @property
    def caption(self) -> str:
        return KINDS[self.kind][1]

    @property
    def columns(self) -> list[str]:
        return list(DETAIL_COLUMNS) + list(KINDS[self.kind][2]) + [NOTE_COLUMN]

    @property
    def complete(self) -> bool:
        return bool(self.rows) and all(r.done for r in self.rows)

    @property
    def summary(self) -> str:
        done, not_done = KINDS[self.kind][3]
        return f"（{'√' if self.complete else ' '}）{done} （{' ' if self.complete else '√'}）{not_done}"

    def table(self) -> list[list[str]]:
        return [[str(r.index), r.plate, r.color_zh, r.use, r.company, r.operator, *r.results(self.kind), r.note]
                for r in self.rows]

    def as_text(self) -> str:
        """The sheet as aligned text (report evidence)."""
        lines = [self.title, self.caption, " | ".join(self.columns)]
        lines += [" | ".join(row) for row in self.table()]
        lines.append(f"汇总结果: {self.summary}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "header": self.header, "columns": self.columns, "rows": self.table(),
                "summary": self.summary, "complete": self.complete, "window": list(self.window), "now": self.now}


def build_sheet(application: dict[str, Any], positions: Iterable[dict[str, Any]], *, kind: str = "access",
                window: tuple[float | None, float | None] = (None, None), now: float | None = None,
                rules: dict[str, Any] | None = None) -> ResultSheet:
    """Judge each applied vehicle: connected = a valid position received in the window; GPS normal by the rules.

    `positions` is read once (a generator over a day's journal does): only the applied plates' positions are
    kept, as gpsrules.Track arrays, so memory follows the applied vehicles' valid positions (24 bytes each)."""
    rules = rules or gpsrules.load_rules()
    start, end = window
    applied = [r for r in application.get("rows", []) if normalise_plate(r.get("车牌号码"))]
    wanted = {normalise_plate(r.get("车牌号码")) for r in applied}
    seen: dict[str, dict[int, list]] = {}  # plate -> colour code -> [positions, Track of the valid ones]
    latest = None
    for p in positions:
        received = p["received"]
        if (start is not None and received < start) or (end is not None and received > end):
            continue
        latest = received if latest is None or received > latest else latest
        plate = normalise_plate(p["vehicle_no"])
        if plate not in wanted:
            continue
        entry = seen.setdefault(plate, {}).setdefault(p["vehicle_color"], [0, gpsrules.Track(rules)])
        entry[0] += 1
        entry[1].add(p)
    if now is None:
        now = latest
    rows = []
    for r in applied:
        plate = normalise_plate(r.get("车牌号码"))
        code = color_code(r.get("车牌颜色"))
        colours = seen.get(plate, {})
        mine = [e for c, e in colours.items() if code is None or c == code]
        received, track = sum(e[0] for e in mine), _merged([e[1] for e in mine], rules)
        row = SheetRow(r.get("序号", len(rows) + 1), str(r.get("车牌号码", "")).strip(),
                       str(r.get("车牌颜色") or COLOR_ZH.get(code or 0, "")), str(r.get("车辆用途") or ""),
                       str(r.get("运输企业") or ""), str(r.get("GPS运营商") or ""), str(r.get("备注") or ""),
                       positions=track.valid)
        if not track.valid:
            row.note = "窗口内未收到有效位置"
            if received:
                row.note += f"（收到 {received} 条无效位置）"
            elif colours:
                names = sorted({COLOR_ZH.get(c, str(c)) for c in colours})
                row.note += f"（该车牌以{'/'.join(names)}上报，与申请的{row.color_zh}不符）"
        else:
            row.connected = True
            row.findings = track.findings(now)
            row.gps_normal = not row.findings
            row.note = "；".join(f["message"] for f in row.findings)
        rows.append(row)
    return ResultSheet(kind, {k: str(application.get("header", {}).get(k, "")) for k in HEADER_KEYS}, rows,
                       (start, end), now, str(application.get("reason", "")))


def _merged(tracks: list[gpsrules.Track], rules: dict[str, Any]) -> gpsrules.Track:
    """One Track of several (an application row without a colour matches every colour of its plate)."""
    if len(tracks) == 1:
        return tracks[0]
    out = gpsrules.Track(rules)
    for t in tracks:
        out.valid += t.valid
        out.times.extend(t.times)
        out.lons.extend(t.lons)
        out.lats.extend(t.lats)
        for rule, (when, f) in t.first.items():
            if rule not in out.first or when < out.first[rule][0]:
                out.first[rule] = (when, f)
    return out


def parse_when(text: str | None) -> float | None:
    """An ISO time for --window-start/--window-end/--now; naive times are Beijing time (E-SD-08)."""
    if not text:
        return None
    t = dt.datetime.fromisoformat(text)
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return t.timestamp()

"""The access result sheet (shunde Attachment 3/5): each GPS-normal rule, connection, windows, columns, 汇总结果."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from suites.shunde import gpsrules
from suites.shunde.access import build_sheet, color_code, parse_when
from suites.shunde.sheets import SheetError, parse_grid, read_application, write_application, write_html, write_xlsx

RULES = gpsrules.load_rules()
T0 = dt.datetime(2024, 5, 1, 8, 0, 0)  # Beijing time, naive as 0x1202 carries it
E0 = T0.replace(tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()


def pos(i: int, *, plate="粤X12345", color=2, lon=113.2, lat=22.8, speed=40, state=3, dt_s=30, delay=2.0,
        kind="real", valid=True, t=None):
    """One position record as the store builds it: i-th report, received `delay` s after its own time."""
    when = t or (T0 + dt.timedelta(seconds=i * dt_s))
    return {"vehicle_no": plate, "vehicle_color": color, "time": when.isoformat(), "lon_deg": lon + i * 1e-4,
            "lat_deg": lat + i * 1e-4, "vec1": speed, "vec2": speed, "vec3": 100 + i, "direction": 90,
            "altitude": 10, "state": state, "alarm": 0, "encrypt": 0, "kind": kind, "block": 0,
            "received": (when.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))).timestamp() + delay,
            "seq": i, "valid": valid, "user_id": "1"}


def track(n=5, **kw):
    return [pos(i, **kw) for i in range(n)]


def rules_of(findings):
    return [f["rule"] for f in findings]


def last_received(ps):
    return max(p["received"] for p in ps)


def test_a_normal_track_has_no_findings():
    ps = track()
    assert gpsrules.track_findings(ps, RULES, last_received(ps)) == []


@pytest.mark.parametrize("rule,positions", [
    ("fix", [pos(0), pos(1, state=1), pos(2)]),                                   # STATE bit 1 clear
    ("area", [pos(0), pos(1, lon=100.0), pos(2)]),                                 # outside Guangdong
    ("future", [pos(0), pos(1, delay=-3600)]),                                     # an hour ahead of arrival
    ("stale", [pos(0), pos(1, delay=3600)]),                                       # real-time, an hour late
    ("interval", [pos(0), pos(1, dt_s=600)]),                                      # 10 min gap
    ("speed", [pos(0), pos(1, speed=200)]),                                        # 200 km/h
    ("jump", [pos(0), pos(1, lon=113.9)]),                                         # 70 km in 30 s
])
def test_each_rule(rule, positions):
    found = gpsrules.track_findings(positions, RULES, last_received(positions))
    assert rule in rules_of(found), found
    assert all(f["message"] for f in found)


def test_silent_rule_and_history_exemption():
    ps = track(3)
    assert rules_of(gpsrules.track_findings(ps, RULES, last_received(ps) + 4000)) == ["silent"]
    late_history = [pos(0, delay=3600, kind="history"), pos(1, delay=3600, kind="history")]
    assert "stale" not in rules_of(gpsrules.track_findings(late_history, RULES, last_received(late_history)))


def test_invalid_positions_are_ignored_by_the_rules():
    ps = track(3) + [pos(3, speed=300, valid=False)]
    assert gpsrules.track_findings(ps, RULES, last_received(ps)) == []


APP = {"header": {"企业全称": "佛山示例运营商", "联系人": "李四", "QQ": "12345"},
       "rows": [{"序号": 1, "车牌号码": "粤X12345", "车牌颜色": "黄色", "车辆用途": "公交车", "运输企业": "甲", "GPS运营商": "乙"},
                {"序号": 2, "车牌号码": "粤X54321", "车牌颜色": "蓝色", "车辆用途": "出租车"},
                {"序号": 3, "车牌号码": "粤Y00001", "车牌颜色": "黄色"}]}


def fleet_positions():
    return (track(5) + track(5, plate="粤X54321", color=1, speed=180)
            + track(2, plate="粤Y00001", color=1))  # right plate, wrong colour


def test_sheet_rows_and_summary():
    ps = fleet_positions()
    sheet = build_sheet(APP, ps, now=last_received(ps), rules=RULES)
    a, b, c = sheet.rows
    assert (a.connected, a.gps_normal, a.note) == (True, True, "")
    assert (b.connected, b.gps_normal) == (True, False) and "速度异常" in b.note
    assert not c.connected and "与申请的黄色不符" in c.note
    assert sheet.summary == "（ ）全部接入完成 （√）未全部接入完成" and not sheet.complete
    assert [r[6:8] for r in sheet.table()] == [["是", "是"], ["是", "否"], ["否", "否"]]
    ok = build_sheet({"rows": APP["rows"][:1]}, ps, now=last_received(ps), rules=RULES)
    assert ok.complete and ok.summary == "（√）全部接入完成 （ ）未全部接入完成"


def test_window_filters_by_arrival():
    ps = track(5)
    after = last_received(ps) + 1
    sheet = build_sheet({"rows": APP["rows"][:1]}, ps, window=(after, None), rules=RULES)
    assert not sheet.rows[0].connected and sheet.rows[0].note == "窗口内未收到有效位置"


def test_change_sheet():
    ps = track(5)
    sheet = build_sheet({"rows": APP["rows"][:2], "reason": "换车牌"}, ps, kind="change", now=last_received(ps),
                        rules=RULES)
    assert sheet.title == "车辆资料变更反馈表" and sheet.columns[6] == "变更结果"  # E-SD-12
    assert [r.results("change") for r in sheet.rows] == [["已完成变更"], ["未完成变更"]]
    assert sheet.summary == "（ ）全部完成变更 （√）未全部完成变更"


def test_xlsx_and_html_layout(tmp_path):
    ps = fleet_positions()
    sheet = build_sheet(APP, ps, now=last_received(ps), rules=RULES)
    write_xlsx(sheet, tmp_path / "a3.xlsx")
    write_html(sheet, tmp_path / "a3.html")
    rows = [list(r) for r in openpyxl.load_workbook(tmp_path / "a3.xlsx").active.iter_rows(values_only=True)]
    assert rows[0][0] == "车辆接入情况反馈表"
    head = next(i for i, r in enumerate(rows) if r[0] == "序号")
    assert rows[head][:9] == ["序号", "车牌号码", "车牌颜色", "车辆用途", "运输企业", "GPS运营商", "是否接入", "GPS是否正常",
                              "核查说明"]
    assert rows[head + 1][1:3] == ["粤X12345", "黄色"] and rows[head + 1][6:8] == ["是", "是"]
    assert rows[head + 2][7] == "否" and "速度异常" in rows[head + 2][8]
    summary = next(r for r in rows if r[0] == "汇总结果")
    assert summary[1] == "（ ）全部接入完成 （√）未全部接入完成"
    assert {"企业全称": "佛山示例运营商"}.items() <= {r[0]: r[1] for r in rows[:9]}.items()
    page = (tmp_path / "a3.html").read_text("utf-8")
    assert "未全部接入完成" in page and "粤X54321" in page


def test_application_readers(tmp_path):
    write_application(APP, tmp_path / "app.xlsx")
    back = read_application(tmp_path / "app.xlsx")
    assert [r["车牌号码"] for r in back["rows"]] == ["粤X12345", "粤X54321", "粤Y00001"]
    assert back["header"]["企业全称"] == "佛山示例运营商" and back["rows"][0]["序号"] == "1"
    csv_path = tmp_path / "app.csv"
    csv_path.write_text("序号,车牌号码,车牌颜色,车辆用途,运输企业,GPS运营商,备注\n1,粤X 12345,黄,公交车,,,\n\n", "utf-8-sig")
    rows = read_application(csv_path)["rows"]
    assert len(rows) == 1 and color_code(rows[0]["车牌颜色"]) == 2
    ps = track(5)
    assert build_sheet({"rows": rows}, ps, now=last_received(ps), rules=RULES).rows[0].connected  # "粤X 12345"
    with pytest.raises(SheetError, match="车牌号码"):
        parse_grid([["a", "b"], ["1", "2"]])
    with pytest.raises(SheetError):
        read_application(tmp_path / "app.txt")


def test_colour_codes_and_times():
    assert [color_code(x) for x in ("蓝色", "黄", "2", "黑色", "其他", "紫")] == [1, 2, 2, 3, 9, None]
    assert parse_when("2024-05-01T08:00:00") == E0
    assert parse_when("2024-05-01T00:00:00+00:00") == E0

"""`vconform jt809 decode` over the whole layouts table: for each body revision, every MSG_ID and every family
DATA_TYPE row gets a frame built from sample values (tests, not our vectors: the vectors prove the layouts; this
proves the CLI path reaches every row), and the CLI must decode it with every field of the row named."""
from __future__ import annotations

import dataclasses
import json
from datetime import datetime

import pytest

from harness.jt809 import PROFILES, Header, encode
from harness.jt809 import layouts
from harness.jt809 import messages as m
from harness.jt809.cli import decode_main

WHEN = datetime(2024, 11, 1, 8, 30, 15)
# Issue 13's list of messages measured as undecodable, each by (revision, MSG_ID, DATA_TYPE or None).
ISSUE_13 = [(r, i, None) for r in ("2011", "2019") for i in (0x9008, 0x9101, 0x1400, 0x9400, 0x1700)] + \
    [(r, 0x9400, 0x9401) for r in ("2011", "2019")] + [("2019", 0x1102, None)]
# The rows the session of 2026-11-30 added or gave a 2019 layout (the 0x9700 family, 2019 0x9202/0x9203/0x920A).
ADDED = [(r, f, d) for r in ("2011", "2019") for f, d in ((0x9700, 0x9702), (0x1700, 0x1702))] + \
    [("2019", 0x9200, d) for d in (0x9202, 0x9203, 0x920A)]


def _location() -> m.Location:
    return m.Location(0, WHEN, 113.29, 22.81, 40, 41, 1234, 90, 12, 3, 0)


def _location_2019():
    return m.Location2019(0, WHEN, 113.29, 22.81, 40, 41, 1234, 90, 12, 3, 0, [], "4400000001", 0, "4400000002", 0,
                          "4400000003", 0)


# A position's TIME as its wire fields (the JSON view gives it as `time`), and a 2019 record's GNSS_DATA kept raw
# when it is no JT/T 808 body (shown as gnss_data_hex instead of the position's fields).
TIME_FORMS = {"time_fields", "time_bcd", "gnss_raw"}
BUILTINS = {  # sample objects of the rows whose layout lives in a class (messages.py, exg.py)
    m.UpConnectReq: m.UpConnectReq(1, "pw", "127.0.0.1", 7000), m.UpConnectRsp: m.UpConnectRsp(0, 7),
    m.UpDisconnectReq: m.UpDisconnectReq(1, "pw"), m.UpDisconnectInform: m.UpDisconnectInform(1),
    m.UpCloselinkInform: m.UpCloselinkInform(1), m.DownConnectReq: m.DownConnectReq(7),
    m.DownConnectRsp: m.DownConnectRsp(0), m.DownDisconnectReq: m.DownDisconnectReq(7),
    m.DownDisconnectInform: m.DownDisconnectInform(0), m.UpDisconnectRsp: m.UpDisconnectRsp(),
    m.UpLinktestReq: m.UpLinktestReq(), m.UpLinktestRsp: m.UpLinktestRsp(), m.DownDisconnectRsp: m.DownDisconnectRsp(),
    m.DownLinktestReq: m.DownLinktestReq(), m.DownLinktestRsp: m.DownLinktestRsp(),
    m.Register: m.Register("P1", "M1", "T20", "ID1", "13800000000"), m.Location: _location(),
    m.HistoryLocation: m.HistoryLocation([_location(), _location()]),
    m.Location2019: _location_2019(), m.HistoryLocation2019: m.HistoryLocation2019([_location_2019()]),
}


def _sample(cls: type) -> object:
    """A row's object: every field set to a value of its type (a length field holds the length of what it counts)."""
    if cls in BUILTINS:
        return BUILTINS[cls]
    values: dict[str, object] = {}
    for f in layouts.SPECS[cls]:
        if f.kind == "int":
            values[f.name] = None if f.counts_rest else min(7, 2 ** (8 * f.size) - 1)
        elif f.kind == "bcd":
            values[f.name] = "1" * (2 * f.size)
        elif f.kind == "records":
            values[f.name] = [{i.name: 3 for i in f.items}]
        elif f.kind == "text":
            values[f.name] = "粤X1"[: max(1, min(3, (f.size or 40) // 2))]
        elif f.kind == "bytes":
            values[f.name] = b"\x01" * (f.size or 2)
        elif f.kind == "gnss":
            values[f.name] = _location()
        elif f.kind == "gnss2019":
            values[f.name] = _location_2019()
        elif f.kind == "gnss2019_list":
            values[f.name] = [_location_2019(), _location_2019()]
        else:
            values[f.name] = [_location()]
    for f in layouts.SPECS[cls]:
        if f.ref:
            value = values[f.name]
            values[f.ref] = len(value.encode("gbk") if isinstance(value, str) else value)
    return cls(**values)


def _rows() -> list[tuple[str, int, int | None]]:
    out = []
    for rev in ("2011", "2019"):
        table = m.TABLES[rev]
        for msg_id in table.messages:
            if msg_id not in table.subs or not table.subs[msg_id]:  # families are reached through their rows...
                out.append((rev, msg_id, None))  # ...except 0x1700/0x9700, whose data is kept raw
        out += [(rev, fam, dt) for fam, subs in table.subs.items() for dt in subs]
    return out


ROWS = _rows()


def _message(rev: str, msg_id: int, data_type: int | None) -> object:
    table = m.TABLES[rev]
    if data_type is None and msg_id in table.subs:  # a family without rows: raw data under some DATA_TYPE
        outer = table.messages[msg_id].cls
        return outer("粤X1", 2, msg_id + 1, b"\x01\x02") if "vehicle_no" in outer.__dataclass_fields__ \
            else outer(msg_id + 1, b"\x01\x02")
    if data_type is None:
        return _sample(table.messages[msg_id].cls)
    outer, data = table.messages[msg_id].cls, _sample(table.subs[msg_id][data_type].cls)
    return outer("粤X1", 2, None, data) if "vehicle_no" in outer.__dataclass_fields__ else outer(None, data)


def test_the_table_holds_issue_13s_list():
    assert set(ISSUE_13) <= {(r, i, d) for r, i, d in ROWS} | {(r, i, None) for r, i, _ in ROWS}
    assert set(ADDED) <= set(ROWS)
    assert all(m.TABLES["2019"].subs[0x9200][d].cls is not m.TABLES["2011"].subs[0x9200][d].cls
               for d in (0x9202, 0x9203, 0x920A))  # their own 2019 layouts


@pytest.mark.parametrize("rev,msg_id,data_type", ROWS,
                         ids=lambda v: v if isinstance(v, str) else "-" if v is None else f"0x{v:04X}")
def test_cli_decodes_every_row_with_every_field_named(capsys, rev, msg_id, data_type):
    msg = _message(rev, msg_id, data_type)
    raw = encode(msg, Header(msg_sn=1, gnss_center_id=7), profile=PROFILES[rev])  # 7: the 2019 0x1001's center
    code = decode_main([raw.hex(), "--header", rev])
    record = json.loads(capsys.readouterr().out)[0]
    fails = [f for f in record["findings"] if f["level"] == "fail"]
    assert code == 0 and record["ok"] and not fails, record["findings"]
    body = record["body"]
    assert record["header"]["msg_id"] == msg_id and body and body.get("name")
    if data_type is None and msg_id in m.TABLES[rev].subs:  # 0x1700/0x9700: the head named, the data kept raw
        assert body["data_type"] == msg_id + 1 and body["data_hex"] == "0102" and "data_length" in body
        return
    cls = type(msg) if data_type is None else type(msg.data)
    shown = body if data_type is None else body["data"]
    assert isinstance(shown, dict), shown
    if data_type is not None:
        assert body["data_type"] == data_type and body["data_type_name"] == m.TABLES[rev].subs[msg_id][data_type].name
    names = [f.name for f in layouts.SPECS[cls]] if cls in layouts.SPECS else \
        [f.name for f in dataclasses.fields(cls) if f.name not in TIME_FORMS]
    missing = [n for n in names if n not in shown]
    assert not missing, f"fields not named in the decoded JSON: {missing} (got {sorted(shown)})"

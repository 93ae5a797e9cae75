"""Rows journaled raw (bytes + scalar columns, JSON views built when read) read back exactly as rows written whole:
the Shunde mock's position frames, through since(), of(), entries and Journal.read of the file."""
from __future__ import annotations

from datetime import datetime

import pytest

from harness.clock import FixedClock
from harness.journal import Exchange, Journal
from harness.jt809 import Header, encode
from harness.jt809.exg import HistoryLocation
from harness.jt809.messages import Location, UpConnectReq, UpExgMsg, UpLinktestReq
from mocks.shunde.accounts import Account, AccountSheet
from mocks.shunde.links import Link
from mocks.shunde.platform import DistrictPlatform
from tests.shunde_fakes import FakeTransport

ACCT = Account(user_id=20180920, password="20180920", access_code=20180920)
PROFILE = {"name": "t", "header": "2011", "encrypt": False, "main_link_only": True}


def _frames() -> list[bytes]:
    h = dict(gnss_center_id=ACCT.access_code)
    real = Location(0, datetime(2024, 5, 1, 8, 30, 0), 113.2, 22.8, 50, 50, 1000, 90, 12, 3, 0)
    odd = Location(0, datetime(2024, 5, 1, 8, 30, 1), 181.5, 95.0, 400, 50, 1000, 400, 12, 3, 0)  # findings
    out = [encode(UpConnectReq(ACCT.user_id, ACCT.password, "127.0.0.1", 809), Header(msg_sn=1, **h))]
    out += [encode(UpExgMsg("粤B12345", 2, 0x1202, real), Header(msg_sn=2, **h)),
            encode(UpExgMsg("粤B12345", 2, 0x1202, odd), Header(msg_sn=3, **h)),
            encode(UpExgMsg("粤B54321", 1, 0x1203, HistoryLocation([real, odd])), Header(msg_sn=4, **h)),
            encode(UpLinktestReq(), Header(msg_sn=5, **h)),
            encode(UpExgMsg("粤B12345", 2, 0x1202, real), Header(msg_sn=6, **h))]
    return out


def _run(journal: Journal, raw: bool) -> DistrictPlatform:
    mock = DistrictPlatform(journal=journal, accounts=AccountSheet([ACCT]), clock=FixedClock(), profile=dict(PROFILE),
                            seed=1)
    if not raw:
        mock.raw_view = None
    link = Link(mock, "main")
    link.connection_made(FakeTransport())
    link.data_received(b"".join(_frames()))
    journal.flush()
    return mock


def _comparable(ex: Exchange) -> dict:
    d = ex.evidence(limit=10 ** 6)
    d.pop("time")
    return d


@pytest.mark.parametrize("window", [1000, 0])
def test_raw_position_rows_read_back_as_whole_rows(tmp_path, window):
    whole = Journal(tmp_path / "whole.sqlite", batch=True, window=window)
    raw = Journal(tmp_path / "raw.sqlite", batch=True, window=window)
    m_whole, m_raw = _run(whole, raw=False), _run(raw, raw=True)
    a, b = [_comparable(e) for e in whole.entries], [_comparable(e) for e in raw.entries]
    assert [e["interface"] for e in b].count("UP_EXG_MSG_REAL_LOCATION") == 3
    assert a == b
    assert any(f["level"] == "fail" for e in b for f in e["notes"].get("findings", []))  # the findings are derived too
    assert [_comparable(e) for e in raw.of("UP_EXG_MSG_HISTORY_LOCATION")] == \
        [e for e in a if e["interface"] == "UP_EXG_MSG_HISTORY_LOCATION"]
    assert m_whole.positions == m_raw.positions and sum(map(len, m_raw.positions.values())) == 5
    whole.close()
    raw.close()
    rows_a, rows_b = Journal.read(tmp_path / "whole.sqlite"), Journal.read(tmp_path / "raw.sqlite")
    for r in rows_a + rows_b:
        r.pop("time"), r.pop("view")
    assert rows_a == rows_b


def test_raw_rows_are_bytes_on_disk_and_the_window_never_holds_them(tmp_path):
    import sqlite3

    j = Journal(tmp_path / "j.sqlite", batch=True)
    _run(j, raw=True)
    db = sqlite3.connect(j.path)
    kinds = db.execute("SELECT typeof(request_body), headers IS NULL, view FROM exchanges WHERE path = '0x1200'").fetchall()
    db.close()
    assert kinds and all(k == ("blob", 1, "jt809:2011") for k in kinds)
    assert all(e.path != "0x1200" for e in j._window)
    j.close()


def test_a_row_with_an_unknown_view_is_an_error_not_a_guess(tmp_path):
    j = Journal(tmp_path / "j.sqlite")
    j.add_raw("toy", 1.0, "recv", "/", "x", "main", "", "", b"\x01", "ok", "nosuch:1")
    with pytest.raises(ValueError, match="nosuch"):
        j.since(0)
    j.close()

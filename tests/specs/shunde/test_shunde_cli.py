"""`vconform shunde access-check`, `vconform mock shunde`, and the shunde entries of specs/actions/profiles."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from shunde_fakes import FakeTransport
from harness.clock import Clock
from harness.journal import Journal
from harness.jt809 import Header, encode
from harness.jt809.messages import HistoryLocation, Location, UpConnectReq, UpExgMsg
from mocks.shunde.accounts import Account, AccountSheet
from mocks.shunde.journal import BatchJournal
from mocks.shunde.links import Link
from mocks.shunde.platform import DistrictPlatform

ROOT = Path(__file__).resolve().parents[3]
VECTORS = ROOT / "tests" / "specs" / "shunde" / "vectors"
BEIJING = dt.timezone(dt.timedelta(hours=8))
ACCT = Account(user_id=20180920, password="20180920", access_code=20180920)


def vconform(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONIOENCODING": "utf-8"})


@pytest.fixture(scope="module")
def journal_file(tmp_path_factory) -> Path:
    """A platform journal in which 粤X12345 and 粤X54321 reported normally for ten minutes, up to now."""
    path = tmp_path_factory.mktemp("journal") / "journal.sqlite"
    journal = BatchJournal(path)
    mock = DistrictPlatform(journal=journal, profile={"name": "t", "header": "2011", "main_link_only": True},
                            accounts=AccountSheet([ACCT]), clock=Clock())
    link = Link(mock, "main")
    link.connection_made(FakeTransport())
    link.data_received(encode(UpConnectReq(ACCT.user_id, ACCT.password, "127.0.0.1", 809),
                              Header(msg_sn=1, gnss_center_id=ACCT.access_code)))
    end = dt.datetime.now(BEIJING).replace(tzinfo=None, microsecond=0)
    sn = 2
    for plate, color in (("粤X12345", 2), ("粤X54321", 1)):
        locs = [Location(0, end - dt.timedelta(seconds=30 * (20 - i)), 113.2 + i * 1e-3, 22.8, 40, 40, i, 90, 5, 3, 0)
                for i in range(21)]
        for k in range(0, 15, 5):
            link.data_received(encode(UpExgMsg(plate, color, 0x1203, HistoryLocation(locs[k:k + 5])),
                                      Header(msg_sn=sn, gnss_center_id=ACCT.access_code)))
            sn += 1
        for loc in locs[15:]:
            link.data_received(encode(UpExgMsg(plate, color, 0x1202, loc),
                                      Header(msg_sn=sn, gnss_center_id=ACCT.access_code)))
            sn += 1
    journal.close()
    return path


def sheet_rows(path: Path) -> list[list]:
    return [list(r) for r in openpyxl.load_workbook(path).active.iter_rows(values_only=True)]


def test_access_check_all_connected(journal_file, tmp_path):
    res = vconform("shunde", "access-check", "--application", str(VECTORS / "application_2.csv"),
                   "--journal", str(journal_file), "--out", str(tmp_path))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "（√）全部接入完成" in res.stdout
    rows = sheet_rows(tmp_path / "attachment3-车辆接入情况反馈表.xlsx")
    assert ["汇总结果", "（√）全部接入完成 （ ）未全部接入完成"] == rows[[r[0] for r in rows].index("汇总结果")][:2]
    assert (tmp_path / "attachment3-车辆接入情况反馈表.html").exists()


def test_access_check_missing_vehicle_and_window(journal_file, tmp_path):
    res = vconform("shunde", "access-check", "--application", str(VECTORS / "application_3.xlsx"),
                   "--journal", str(journal_file), "--out", str(tmp_path))
    assert res.returncode == 1 and "未全部接入完成" in res.stdout and "粤E88888" in res.stdout
    later = (dt.datetime.now(BEIJING) + dt.timedelta(hours=1)).isoformat(timespec="seconds")
    res = vconform("shunde", "access-check", "--application", str(VECTORS / "application_2.csv"),
                   "--journal", str(journal_file), "--out", str(tmp_path), "--window-start", later)
    assert res.returncode == 1 and "窗口内未收到有效位置" in res.stdout


def test_access_check_stale_now_and_change_sheet(journal_file, tmp_path):
    later = (dt.datetime.now(BEIJING) + dt.timedelta(hours=2)).replace(tzinfo=None).isoformat(timespec="seconds")
    res = vconform("shunde", "access-check", "--change", str(VECTORS / "application_2.csv"),
                   "--journal", str(journal_file), "--out", str(tmp_path), "--now", later)
    assert res.returncode == 1 and "长时间无上报" in res.stdout
    rows = sheet_rows(tmp_path / "attachment5-车辆资料变更反馈表.xlsx")
    assert rows[0][0] == "车辆资料变更反馈表" and "变更结果" in next(r for r in rows if r[0] == "序号")


def test_access_check_bad_input(journal_file, tmp_path):
    assert vconform("shunde", "access-check", "--journal", str(journal_file)).returncode == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", "utf-8")
    res = vconform("shunde", "access-check", "--application", str(bad), "--journal", str(journal_file))
    assert res.returncode == 2 and "车牌号码" in res.stderr
    res = vconform("shunde", "access-check", "--application", str(VECTORS / "application_2.csv"),
                   "--journal", str(tmp_path / "none.sqlite"))
    assert res.returncode == 2
    assert vconform("shunde").returncode == 2


def test_mock_command_serves_and_flushes_its_journal(tmp_path):
    journal = tmp_path / "mock.sqlite"
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "mock", "shunde", "--journal", str(journal)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on tcp://127.0.0.1:"), line + proc.stderr.read()
        port = int(line.strip().rsplit(":", 1)[1])
        import socket

        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(encode(UpConnectReq(ACCT.user_id, ACCT.password, "127.0.0.1", 1),
                             Header(msg_sn=1, gnss_center_id=ACCT.access_code)))
            s.settimeout(10)
            assert s.recv(4096)[:1] == b"\x5b"  # the 0x1002
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    rows = Journal.read(journal)
    assert any(r["interface"] == "UP_CONNECT_REQ" and r["outcome"] == "ok" for r in rows)


def test_specs_actions_profiles():
    res = vconform("specs")
    assert res.returncode == 0 and "shunde" in res.stdout and "client, server" in res.stdout
    res = vconform("actions", "shunde", "--schema")
    assert res.returncode == 0 and "send_positions" in res.stdout and "vehicle_color" in res.stdout
    res = vconform("profiles", "shunde")
    assert res.returncode == 0 and "E-SD-02" in res.stdout and "main-link-only" in res.stdout


def test_run_usage_errors(tmp_path):
    res = vconform("run", "shunde", "--role", "server", "--target", "http://x", "--out", str(tmp_path / "o"))
    assert res.returncode == 2 and "tcp://" in (res.stdout + res.stderr)
    res = vconform("run", "shunde", "--role", "server", "--target", "tcp://127.0.0.1:1", "--out", str(tmp_path / "p"))
    assert res.returncode == 2 and "cannot reach" in (res.stdout + res.stderr)

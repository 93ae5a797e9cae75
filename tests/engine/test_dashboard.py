"""The live dashboard's JSON and serving, without a browser (tests/engine/test_dashboard_browser.py drives the page):
what a poll answers as traffic arrives, that bodies reach it redacted, findings and the campaign board when present,
bounded polling, the journal's tail, the CLI options, and the Shunde mock's side port."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from dashboard_fakes import BOARD, FakeObserver, get_json, install_campaign, post
from harness.clock import FixedClock
from harness.dashboard import PATH
from harness.dashboard.live import MIN_INTERVAL, ROWS_MAX, Dashboard, WithDashboard
from harness.journal import Exchange, Journal, register_view
from harness.serve import BackgroundServer
from harness.tcpmock import BackgroundMock
from mocks.yunnan.app import YunnanMock

ROOT = Path(__file__).resolve().parents[2]
API = "/access/api/dataReceive/"
SECRET = "Zq7-very-secret-value-91"


def _mock(tmp_path, **kw) -> YunnanMock:
    mock = YunnanMock(key_bits=1024, journal=Journal(tmp_path / "j.sqlite"))
    mock.dashboard = Dashboard(mock, spec="yunnan", **kw)
    return mock


def _poll(url: str, until, timeout: float = 10.0):
    """The dashboard's JSON once `until(json)` holds (polled past the answer reuse interval)."""
    end = time.monotonic() + timeout
    while True:
        d = get_json(url)
        if until(d) or time.monotonic() > end:
            return d
        time.sleep(MIN_INTERVAL / 2)


def test_a_poll_shows_new_exchanges_redacted_and_counted(tmp_path):
    mock = _mock(tmp_path)
    with BackgroundServer(mock.app) as srv:
        data = srv.url + PATH + ".json"
        first = get_json(data)
        assert first["last_seq"] == 0 and first["exchanges"] == [] and first["interfaces"] == []
        assert first["findings"]["state"] == "off" and first["campaign"] == {"state": "none", "message": "no campaign"}
        # A secret under a secret key, a Bearer credential repeated in a body that is not JSON, a ;token= parameter.
        post(srv.url + API + "heartBeat", f'{{"apiSecret": "{SECRET}", "n": 1}}'.encode())
        post(srv.url + API + "enterprise", f"plain text quoting {SECRET}".encode(),
             {"Authorization": f"Bearer {SECRET}"})
        post(srv.url + API + f"heartBeat;token={SECRET}", b"{}")
        post(srv.url + API + "heartBeat", b'{"n": 2}')
        d = _poll(data, lambda d: d["last_seq"] >= 4)
        assert [e["seq"] for e in d["exchanges"]] == [4, 3, 2, 1], "newest first"
        assert all(e["peer"] == "127.0.0.1" and e["status"] and e["outcome"] and e["at"] for e in d["exchanges"])
        assert d["exchanges"][3]["interface"] == "heartBeat" and '"apiSecret": "***"' in d["exchanges"][3]["request"]
        assert "***" in d["exchanges"][2]["request"] and "***" in d["exchanges"][1]["path"]
        assert SECRET not in get_json(data + "?rows=10").__repr__()
        counts = {i["interface"]: i for i in d["interfaces"]}
        assert counts["heartBeat"]["total"] == 2 and counts["enterprise"]["total"] == 1
        assert counts[""]["total"] == 1, "a path no interface owns is counted under no interface"
        assert sum(i["ok"] + i["refused"] for i in d["interfaces"]) == 4


def test_the_totals_grow_by_what_arrived_since_the_last_poll(tmp_path):
    mock = _mock(tmp_path)
    with BackgroundServer(mock.app) as srv:
        data = srv.url + PATH + ".json"
        for _ in range(3):
            post(srv.url + API + "heartBeat", b"{}")
        assert sum(i["total"] for i in _poll(data, lambda d: d["last_seq"] == 3)["interfaces"]) == 3
        for _ in range(5):
            post(srv.url + API + "heartBeat", b"{}")
        d = _poll(data, lambda d: d["last_seq"] == 8 and d["interfaces"][0]["total"] == 8)
        assert d["interfaces"][0]["total"] == 8, d["interfaces"]


def test_rows_are_bounded_and_answers_are_shared(tmp_path):
    mock = _mock(tmp_path)
    for i in range(ROWS_MAX + 20):
        mock.journal.record(Exchange("yunnan", 1_700_000_000.0 + i, "POST", API + "heartBeat", "heartBeat",
                                     status=200, outcome="ok"))
    mock.journal.flush()
    dash = mock.dashboard

    async def go():
        a = await dash.answer(10_000)
        return a, await dash.answer(10_000)

    with BackgroundServer(mock.app) as srv:
        d = get_json(srv.url + PATH + f".json?rows=100000")
        assert len(d["exchanges"]) == ROWS_MAX and d["exchanges"][0]["seq"] == ROWS_MAX + 20
        assert len(get_json(srv.url + PATH + ".json?rows=nonsense")["exchanges"]) == 50
    a, b = asyncio.run(go())
    assert a is b, "a second poll within MIN_INTERVAL reuses the answer"


def test_findings_of_an_observer_and_a_campaign_board(tmp_path, monkeypatch):
    calls: list = []
    install_campaign(monkeypatch, calls=calls)
    mock = _mock(tmp_path, campaign="sqlite:///nowhere", sut="acme-gateway")
    mock.observer = FakeObserver(mock.journal)
    mock.observer.extra.append({"check_id": "fake.secret", "verdict": "warn", "message": f"token={SECRET} seen",
                                "exchange_id": None, "at": "2026-11-29T10:00:00Z"})
    with BackgroundServer(mock.app) as srv:
        data = srv.url + PATH + ".json"
        post(srv.url + API + "heartBeat", b"{}")
        d = _poll(data, lambda d: len(d["findings"].get("recent", [])) == 2)
    f = d["findings"]
    assert f["state"] == "on"
    assert f["recent"][1]["check_id"] == "fake.refused" and f["recent"][1]["exchange_id"] == 1
    assert f["recent"][0]["message"] == "token=*** seen"
    assert ["counts", "fail: 2"] in f["summary"] and ["exchanges", "1"] in f["summary"]
    assert d["campaign"]["state"] == "ok" and d["campaign"]["board"]["stages"] == BOARD["stages"]
    assert calls and calls[0] == ("sqlite:///nowhere", "yunnan", "acme-gateway")
    assert len(calls) <= 2, "the board is read at most every BOARD_TTL seconds, not on every poll"


def test_no_campaign_module_and_a_failing_observer_are_messages(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "harness.campaign", None)  # import fails: the module is absent

    class Broken:
        def recent_findings(self, n):
            raise RuntimeError("observer stopped")

        summary = recent_findings

    mock = _mock(tmp_path, campaign="sqlite:///x", sut="acme")
    mock.observer = Broken()
    d = asyncio.run(mock.dashboard.snapshot())
    assert d["campaign"]["state"] == "none" and "no campaign" in d["campaign"]["message"]
    assert d["findings"] == {"state": "error", "message": "RuntimeError: observer stopped"}


def test_the_page_is_one_self_contained_document(tmp_path):
    mock = _mock(tmp_path)
    with BackgroundServer(mock.app) as srv:
        with urllib.request.urlopen(srv.url + PATH, timeout=10) as r:
            html = r.read().decode()
            csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    assert "http://" not in html and "https://" not in html, "no CDN, nothing fetched from elsewhere"
    assert "innerHTML" not in html, "values from the mock go in as text"


def test_without_a_dashboard_the_path_is_an_unknown_admin_op(tmp_path):
    from harness.httpmock import ADMIN_PREFIX

    assert PATH.startswith(ADMIN_PREFIX), "the page lives under the admin prefix (the guard routes it so)"
    mock = YunnanMock(key_bits=1024)
    with BackgroundServer(mock.app) as srv:
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(srv.url + PATH + ".json", timeout=10)
    assert info.value.code == 404


def test_the_journal_tail_from_the_window_and_from_the_file(tmp_path):
    j = Journal(tmp_path / "j.sqlite", window=3)
    for i in range(10):
        j.record(Exchange("s", float(i), interface=f"i{i}"))
    assert [e.seq for e in j.tail(2)] == [9, 10]  # the window
    assert [e.seq for e in j.tail(5)] == [6, 7, 8, 9, 10]  # beyond it: the file's last rows
    assert j.tail(5)[0].interface == "i5" and j.tail(0) == []
    register_view("dashtest", lambda raw, _arg: {"notes": {"bytes": len(raw)}})
    j.add_raw("s", 10.5, "recv", "", "raw", "main", "", "", b"\x01\x02", "ok", "dashtest")  # empties the window
    assert [e.seq for e in j.tail(2)] == [10, 11] and j.tail(1)[0].notes == {"bytes": 2}
    j.close()
    again = Journal(tmp_path / "j.sqlite")
    assert [e.seq for e in again.tail(3)] == [9, 10, 11], "an existing journal's tail comes from the file"
    again.record(Exchange("s", 12.0))
    assert [e.seq for e in again.tail(2)] == [11, 12]
    again.close()


def test_cli_refuses_a_campaign_without_a_sut(capsys, tmp_path):
    from harness.cli import main

    assert main(["mock", "yunnan", "--campaign", "sqlite:///x"]) == 2
    assert "--campaign needs --sut-name" in capsys.readouterr().err
    assert main(["mock", "yunnan", "--dashboard-port", "70000"]) == 2
    capsys.readouterr()
    # tester12 D7: a campaign database that cannot be used stops the mock at start (exit 2), as `run` does
    for bad in ("mysql://u@127.0.0.1:1/x", str(tmp_path)):
        assert main(["mock", "yunnan", "--campaign", bad, "--sut-name", "S", "--port", "0"]) == 2
        out = capsys.readouterr()
        assert "--campaign" in out.err and "listening on" not in out.out
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["mock", "shunde", "--dashboard-port", str(port)]) == 2, "a harness error, the mock stopped"
    out = capsys.readouterr()
    assert f"cannot listen on 127.0.0.1:{port}" in out.err and "listening on" not in out.out


def test_cli_prints_the_dashboard_url(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "mock", "yunnan", "--dashboard"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "VCONFORM_HOME": str(tmp_path)})
    try:
        first, second = proc.stdout.readline().split(), proc.stdout.readline().split()
        assert first[:2] == ["dashboard", "on"] and second[:2] == ["listening", "on"], (first, second)
        assert first[2] == second[2] + PATH, "an HTTP mock serves its dashboard on its own port"
        assert get_json(first[2] + ".json")["spec"] == "yunnan"
    finally:
        proc.terminate()
        proc.wait(30)


def test_shunde_serves_its_dashboard_on_a_side_port(tmp_path):
    from mocks.shunde.accounts import Account, AccountSheet
    from mocks.shunde.journal import BatchJournal
    from mocks.shunde.platform import DistrictPlatform
    from harness.jt809.messages import UpConnectReq
    from suites.shunde.operator import FrameLog, OperatorLink, Wire

    acct = Account(user_id=7001, password="pw7001ab", access_code=9001, allowed_ips=["127.0.0.1"])
    profile = {"name": "t", "header": "2011", "encrypt": False, "main_link_only": True}
    journal = BatchJournal(tmp_path / "journal.sqlite")
    mock = DistrictPlatform(journal=journal, profile=dict(profile), clock=FixedClock(), accounts=AccountSheet([acct]),
                            overrides={"tick_s": 3600}, seed=1)
    served = WithDashboard(mock, Dashboard(mock, spec="shunde"), side_port=0)
    with BackgroundMock(served) as bg:
        assert served.side is not None and served.side.port != bg.port
        wire, log = Wire(profile, acct.access_code), FrameLog()
        link = OperatorLink("127.0.0.1", bg.port, wire, log, timeout=10)
        link.send(UpConnectReq(acct.user_id, "Xq9#kz7!", "127.0.0.1", 0))
        assert link.expect(0x1002).body.result != 0
        d = _poll(served.side.url + ".json", lambda d: d["exchanges"])
        link.close()
    assert d["spec"] == "shunde" and any(e["interface"] for e in d["exchanges"])
    assert "Xq9#kz7!" not in repr(d), d["exchanges"]
    login = next(e for e in d["exchanges"] if e["interface"] == "UP_CONNECT_REQ")
    assert login["outcome"] == "password_wrong" and '"password":"***"' in login["request"]
    journal.close()


def test_polls_pass_the_connection_guard_and_leave_no_connection_behind(tmp_path):
    """A viewer's keep-alive polls are requests for the guard like admin calls: when it closes, the mock does too,
    and the connection holds no slot of the cap (an unguarded handler left such connections live)."""
    import socket

    mock = _mock(tmp_path)
    mock.header_timeout = 300.0
    with BackgroundServer(mock.app) as srv:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        try:
            for _ in range(2):
                s.sendall(f"GET {PATH}.json HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                out = b""
                while b'"campaign"' not in out:
                    chunk = s.recv(65536)
                    assert chunk, out
                    out += chunk
                assert out.startswith(b"HTTP/1.1 200")
            s.shutdown(socket.SHUT_WR)
            assert s.recv(65536) == b""  # the mock closes its side too
        finally:
            s.close()
        assert _eventually(lambda: not mock._open) and mock.connections == 0


def _eventually(cond, timeout: float = 30.0) -> bool:
    """cond() once it holds, or its last value after `timeout` (a wait for the loop, not a timing assertion)."""
    end = time.monotonic() + timeout
    while not cond() and time.monotonic() < end:
        time.sleep(0.05)
    return cond()


def test_a_long_body_is_cut_after_its_secrets_are_masked(tmp_path):
    """A secret learnt from far into a long body (its key there) is masked where the shown part quotes it; the shown
    part is cut and says the body's length."""
    mock = _mock(tmp_path)
    filler = "x" * 50_000
    body = f'{{"note": "quoting {SECRET} early", "pad": "{filler}", "password": "{SECRET}"}}'
    mock.journal.record(Exchange("yunnan", 1_700_000_000.0, "POST", API + "heartBeat", "heartBeat",
                                 request_body=body, status=200, outcome="ok"))
    d = asyncio.run(mock.dashboard.snapshot())
    shown = d["exchanges"][0]["request"]
    assert shown.startswith('{"note": "quoting *** early"') and shown.endswith(f"…({len(body)} chars)")
    assert SECRET not in repr(d) and len(shown) < 700


def test_a_poll_never_reads_the_whole_journal(tmp_path, monkeypatch):
    """A journal of many rows beyond the memory window: a poll decodes the rows it shows, no more, and the totals
    of the next poll count only what arrived since (the aggregate's range starts after the last row counted)."""
    import harness.dashboard.live as live
    import harness.journal as journal_mod

    j = Journal(tmp_path / "big.sqlite", window=5)
    for i in range(3000):
        j.record(Exchange("yunnan", 1_700_000_000.0 + i, "POST", API + "heartBeat", "heartBeat", status=200,
                          outcome="ok"))
    j.flush()
    mock = YunnanMock(key_bits=1024, journal=j)
    dash = Dashboard(mock, spec="yunnan")
    decoded, ranges = [], []
    real_exchange, real_tally = journal_mod._exchange, live._tally
    monkeypatch.setattr(journal_mod, "_exchange", lambda row: decoded.append(row["seq"]) or real_exchange(row))
    monkeypatch.setattr(live, "_tally", lambda path, after: ranges.append(after) or real_tally(path, after))

    async def two_polls():
        first = await dash.snapshot(20)
        for i in range(7):
            j.record(Exchange("yunnan", 1_800_000_000.0 + i, "POST", API + "getToken", "getToken", status=200,
                              outcome="ok"))
        return first, await dash.snapshot(20)

    first, second = asyncio.run(two_polls())
    assert sorted(decoded) == sorted([*range(2981, 3001), *range(2988, 3008)]), "only the rows shown"
    assert [e["seq"] for e in second["exchanges"]][:2] == [3007, 3006]
    assert ranges == [0, 3000]
    assert {i["interface"]: i["total"] for i in second["interfaces"]} == {"heartBeat": 3000, "getToken": 7}
    j.close()


def test_a_secret_written_with_json_escapes_is_masked_whole(tmp_path):
    """tester12 D3: a password JSON-escaped inside a JSON string (Gansu's IPCType.value, accepted by the platform as
    the password "Gs-Pass-8842") and a Yunnan apiSecret with \\u escapes: the dashboard redacts the parsed values,
    as the report does, so no part of them shows."""
    mock = _mock(tmp_path)
    gansu = ('{"CompanyId":"620400001","Source":"620400","IPCType":"getAccessToken","IPCType.value":'
             '"{\\"username\\":\\"u2\\",\\"password\\":\\"Gs-\\\\u0050ass-8842\\"}"}')
    assert json.loads(json.loads(gansu)["IPCType.value"])["password"] == "Gs-Pass-8842"
    yunnan = '{"apiSecret": "Zq7-\\u0076ery-secret-value-91", "n": 1}'
    assert json.loads(yunnan)["apiSecret"] == SECRET
    for i, body in enumerate((gansu, yunnan)):
        mock.journal.record(Exchange("yunnan", 1_700_000_000.0 + i, "POST", API + "heartBeat", "heartBeat",
                                     request_body=body, status=200, outcome="ok"))
    d = asyncio.run(mock.dashboard.snapshot())
    shown = [e["request"] for e in d["exchanges"]]
    text = json.dumps(d, ensure_ascii=False)
    for leaked in ("ass-8842", "u0050", "ery-secret", "u0076", SECRET):
        assert leaked not in text, shown
    assert json.loads(json.loads(shown[1])["IPCType.value"]) == {"username": "u2", "password": "***"}
    assert json.loads(shown[0]) == {"apiSecret": "***", "n": 1}


def test_an_observers_summary_is_compact():
    """tester12 D10: the summary was flattened into a row per check and verdict (~150 rows) above the findings."""
    from harness.dashboard.live import _compact

    checks = {f"yunnan.c{i}": {"pass": 5, "fail": 0, "warn": 0} for i in range(50)}
    checks["yunnan.answer.accepted"] = {"pass": 3, "fail": 1, "warn": 0}
    rows = _compact({"counts": {"pass": 253, "fail": 1, "warn": 0}, "checks": checks, "exchanges": 9,
                     "window_start": "2026-11-29T10:00:00+00:00", "window_end": None})
    assert rows == [["counts", "pass: 253, fail: 1, warn: 0"], ["checks.yunnan.answer.accepted", "pass: 3, fail: 1, "
                    "warn: 0"], ["checks (pass only)", "50"], ["exchanges", "9"],
                    ["window_start", "2026-11-29T10:00:00+00:00"], ["window_end", "null"]]

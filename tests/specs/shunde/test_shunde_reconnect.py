"""The reference forwarder when the district platform's main link is cut mid-run (issue 13): it reports the loss on
the slave link (0x1007), logs in again with back-off and resends what the platform had not confirmed, so nothing
it acknowledged is lost; a forwarder that does not reconnect loses it. In-process: mock and forwarder share a
loop; every wait is for an outcome, bounded generously, never a timing assertion."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from broken_forwarders import NoBackoff, NoReconnect  # the catalog's broken forwarders: the same defects
from proving import assert_fails, assert_passes

from mocks.shunde.accounts import AccountSheet
from mocks.shunde.platform import DistrictPlatform
from schemas.shunde.datagen import ShundeData
from suites.shunde import checks as C
from suites.shunde.forwarder import Forwarder, ForwarderConfig, ForwarderError
from suites.shunde.reference_forwarder import ReferenceForwarder
from suites.shunde.session import free_port

N = 40  # positions per batch


async def _until(predicate, timeout: float = 60.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def _cut_mid_run(cls: type[Forwarder], refusals: int = 0) -> tuple[Forwarder, DistrictPlatform, dict]:
    """Send a batch, cut the main link, send a second batch at once (its first frames go to the dead socket
    before the forwarder has seen the cut); which positions arrived, and whether the second was acknowledged."""
    data = ShundeData(7)
    acct = data.account(down_link_port=free_port())
    mock = DistrictPlatform(accounts=AccountSheet([acct]), seed=7)
    port = await mock.start()
    ctx = {"base_url": f"tcp://127.0.0.1:{port}", "credentials": acct.credentials()}
    fw = cls(ForwarderConfig.from_context(ctx))
    assert await fw.connect() == 0
    assert await _until(lambda: (s := mock.session_of(acct.user_id)) is not None and s.slave_state == "up")
    v = data.fleet(1, acct.enterprise)[0]
    key = (v["vehicle_no"], int(v["vehicle_color"]))
    track = data.track(2 * N, dt.datetime.now() - dt.timedelta(seconds=5))

    def batch(part: slice) -> dict:
        return {"vehicles": [{"vehicle_no": key[0], "vehicle_color": key[1], "mode": "real", "positions": track[part]}]}

    await fw.send_positions(batch(slice(0, N)))
    seq_cut = mock.journal.last_seq
    assert await mock.drop_main(acct.user_id, refusals=refusals)
    acknowledged = True
    try:
        await fw.send_positions(batch(slice(N, None)))
    except ForwarderError:
        acknowledged = False

    def times() -> set:
        return {r["time"] for r in mock.positions.get(key, [])}

    await _until(lambda: len(times()) >= 2 * N or fw.main_closed.is_set(), 30.0)
    got = times()
    lost = [p["time"] for p in track if p["time"] not in got]
    acked = [batch(slice(0, N))] + ([batch(slice(N, None))] if acknowledged else [])
    after = mock.journal.since(seq_cut)
    judged = C.link_reconnect(after, acked, mock.positions, True)
    logins = [e for e in C.from_sut(after, "main") if e.interface == "UP_CONNECT_REQ"]
    backoff = C.link_backoff(logins, float(mock.settings["retry_wait_s"]))
    return fw, mock, {"acknowledged": acknowledged, "lost": lost, "judged": judged, "logins": logins,
                      "backoff": backoff}


def _judge_cut(cls: type[Forwarder], judge, refusals: int = 0) -> None:
    """Run `_cut_mid_run` and `judge(fw, mock, out)`; the forwarder (disconnected if still logged in) and the mock
    are closed whatever the judgement."""
    async def run():
        fw, mock, out = await _cut_mid_run(cls, refusals)
        try:
            judge(fw, mock, out)
        finally:
            await (fw.disconnect() if fw.link_up.is_set() else fw.close())
            await mock.close()

    asyncio.run(run())


def test_reference_forwarder_reconnects_and_loses_nothing():
    def judge(fw, mock, out):
        assert out["acknowledged"], "send_positions must finish once the main link is back"
        assert out["lost"] == [], f"{len(out['lost'])} acknowledged positions lost"
        assert fw.logins == 2
        informs = [e for e in mock.journal.since(0) if e.method == "recv" and e.link == "slave"
                   and e.interface == "UP_DISCONNECT_INFORM"]
        assert informs, "0x1007 on the slave link after the main link broke"
        # The new main link carries on: a further batch is confirmed over it.
        assert fw.link_up.is_set() and not fw.main_closed.is_set()
        assert_passes("shunde.link.reconnect", out["judged"])

    _judge_cut(ReferenceForwarder, judge)


@pytest.mark.proves("shunde.link.reconnect")
def test_forwarder_without_reconnect_loses_what_it_sent():
    def judge(fw, mock, out):
        assert fw.logins == 1 and fw.main_closed.is_set()
        assert not out["acknowledged"] and out["lost"], "a forwarder that stops cannot deliver the second batch"
        assert_fails("shunde.link.reconnect", out["judged"])

    _judge_cut(NoReconnect, judge)


def test_sigusr1_hook_of_a_standalone_mock_cuts_the_main_link_and_the_reference_logs_in_again():
    """README §Shunde: `kill -USR1` of `vconform mock shunde` cuts every main link as drop_main does (serve.py
    installs the mock's signal_hooks); here the hook is called directly, in process."""
    import signal

    async def run():
        data = ShundeData(7)
        acct = data.account(down_link_port=free_port())
        mock = DistrictPlatform(accounts=AccountSheet([acct]), seed=7)
        port = await mock.start()
        fw = ReferenceForwarder(ForwarderConfig.from_context({"base_url": f"tcp://127.0.0.1:{port}",
                                                             "credentials": acct.credentials()}))
        try:
            assert await fw.connect() == 0
            mock.signal_hooks()[signal.SIGUSR1]()
            assert await _until(lambda: fw.logins == 2), "the reference forwarder logs in again after the cut"
            logins = [e for e in C.from_sut(mock.journal.since(0), "main") if e.interface == "UP_CONNECT_REQ"]
            assert [(e.status, C.probe_refusal(e)) for e in logins] == [(0, False), (5, True), (0, False)], \
                "as the flow does, the first login after the cut is refused RESULT 5 (E-SD-24)"
        finally:
            await fw.disconnect()
            await mock.close()

    asyncio.run(run())


def test_a_missing_0x1007_after_the_cut_is_a_warning_citing_its_errata_entry():
    """tester13 D5: the notes do not say 0x1007 is due (E-SD-22): a warning with the entry's id, never a failure."""
    from harness.journal import Exchange
    from harness.specdata import load

    relogin = Exchange(spec="shunde", time=0.0, method="recv", link="main", interface="UP_CONNECT_REQ", status=0, outcome="ok")
    found = C.link_reconnect([relogin], [], {}, slave_was_up=True)
    assert [(p.level, p.errata) for p in found] == [("warn", "E-SD-22")]
    assert "E-SD-22" in load("shunde", "errata")
    assert C.link_reconnect([relogin], [], {}, slave_was_up=False) == []


def test_refused_twice_after_the_cut_the_reference_waits_and_gets_in():
    """E-SD-24: the mock answers the first two logins after the cut RESULT 5 (busy: connect again later), noted as
    probes; the reference waits (doubling) between attempts, logs in on the third and loses nothing."""
    def judge(fw, mock, out):
        assert [(e.status, bool(C.probe_refusal(e))) for e in out["logins"]] == [(5, True), (5, True), (0, False)]
        assert out["acknowledged"] and out["lost"] == []
        assert_passes("shunde.link.reconnect", out["judged"])
        assert_passes("shunde.link.backoff", out["backoff"])
        assert C.login_accepted(out["logins"]) == [], "a refusal on purpose is never the forwarder's finding"

    _judge_cut(ReferenceForwarder, judge, refusals=2)


@pytest.mark.proves("shunde.link.backoff")
def test_a_forwarder_that_retries_at_once_fails_backoff():
    def judge(fw, mock, out):
        assert [e.status for e in out["logins"]][-1] == 0, "it gets in on the third attempt"
        assert_passes("shunde.link.reconnect", out["judged"])
        assert_fails("shunde.link.backoff", out["backoff"])
        assert "RESULT 5" in out["backoff"][0].message and "E-SD-24" in out["backoff"][0].message

    _judge_cut(NoBackoff, judge, refusals=2)


def _login(seq: int, t: float, status: int):
    from harness.journal import Exchange
    return Exchange(spec="shunde", seq=seq, time=t, method="recv", link="main", interface="UP_CONNECT_REQ",
                    status=status, outcome="ok" if status == 0 else "busy", response_body="5B...5D")


def test_backoff_judges_the_wait_after_each_busy_refusal_only():
    """A fixed wait passes as well as a doubling one (E-SD-24 sets no growth); the wait after other refusals
    (password wrong...) is not this check's; under reconnect_wait "advised" a short wait is a warning."""
    fixed = [_login(1, 0.0, 5), _login(2, 0.6, 5), _login(3, 1.2, 0)]
    assert C.link_backoff(fixed, 0.5) == []
    assert C.link_backoff([_login(1, 0.0, 4), _login(2, 0.01, 0)], 0.5) == []
    tight = [_login(1, 0.0, 5), _login(2, 0.01, 5), _login(3, 0.9, 0)]
    found = C.link_backoff(tight, 0.5)
    assert [(p.level, "#2" in p.message) for p in found] == [("fail", True)]
    assert [(p.level, p.errata) for p in C.link_backoff(tight, 0.5, "advised")] == [("warn", "E-SD-24")]
    assert C.link_backoff([_login(1, 0.0, 5)], 0.5) == [], "a refusal with no later attempt is link.reconnect's"


def test_the_stream_judge_sees_the_same_refusals():
    """`vconform report --journal` (observe): a probe refusal is not a login.accepted failure; the next login from
    the same USERID is judged for its wait."""
    from harness.specdata import profile
    from suites.shunde.observe import ShundeJudge

    judge = ShundeJudge(profile("shunde"), {"accounts": [], "link": {"retry_wait_s": 0.5}})
    first, second = _login(1, 0.0, 5), _login(2, 0.01, 0)
    first.notes["probe"] = "E-SD-24"
    first.request_plaintext = second.request_plaintext = {"user_id": 7}
    seen = [(cid, probs) for e in (first, second) for cid, _iface, probs in judge.see(e)]
    assert not [p for cid, probs in seen if cid == "shunde.login.accepted" for p in probs]
    backoff = [probs for cid, probs in seen if cid == "shunde.link.backoff"]
    assert len(backoff) == 1 and [p.level for p in backoff[0]] == ["fail"]

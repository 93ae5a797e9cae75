"""The reference forwarder when the district platform's main link is cut mid-run (issue 13): it reports the loss on
the slave link (0x1007), logs in again with back-off and resends what the platform had not confirmed, so nothing
it acknowledged is lost; a forwarder that does not reconnect loses it. In-process: mock and forwarder share a
loop; every wait is for an outcome, bounded generously, never a timing assertion."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from proving import assert_fails, assert_passes

from mocks.shunde.accounts import AccountSheet
from mocks.shunde.platform import DistrictPlatform
from schemas.shunde.datagen import ShundeData
from suites.shunde import checks as C
from suites.shunde.forwarder import Forwarder, ForwarderConfig, ForwarderError
from suites.shunde.reference_forwarder import ReferenceForwarder
from suites.shunde.session import free_port

N = 40  # positions per batch


class NoReconnect(ReferenceForwarder):
    reconnect = False


async def _until(predicate, timeout: float = 60.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def _cut_mid_run(cls: type[Forwarder]) -> tuple[Forwarder, DistrictPlatform, dict]:
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
    assert await mock.drop_main(acct.user_id)
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
    judged = C.link_reconnect(mock.journal.since(seq_cut), acked, mock.positions, True)
    return fw, mock, {"acknowledged": acknowledged, "lost": lost, "judged": judged}


def test_reference_forwarder_reconnects_and_loses_nothing():
    async def run():
        fw, mock, out = await _cut_mid_run(ReferenceForwarder)
        try:
            assert out["acknowledged"], "send_positions must finish once the main link is back"
            assert out["lost"] == [], f"{len(out['lost'])} acknowledged positions lost"
            assert fw.logins == 2
            informs = [e for e in mock.journal.since(0) if e.method == "recv" and e.link == "slave"
                       and e.interface == "UP_DISCONNECT_INFORM"]
            assert informs, "0x1007 on the slave link after the main link broke"
            # The new main link carries on: a further batch is confirmed over it.
            assert fw.link_up.is_set() and not fw.main_closed.is_set()
            assert_passes("shunde.link.reconnect", out["judged"])
        finally:
            await fw.disconnect()
            await mock.close()

    asyncio.run(run())


@pytest.mark.proves("shunde.link.reconnect")
def test_forwarder_without_reconnect_loses_what_it_sent():
    async def run():
        fw, mock, out = await _cut_mid_run(NoReconnect)
        try:
            assert fw.logins == 1 and fw.main_closed.is_set()
            assert not out["acknowledged"] and out["lost"], "a forwarder that stops cannot deliver the second batch"
            assert_fails("shunde.link.reconnect", out["judged"])
        finally:
            await fw.close()
            await mock.close()

    asyncio.run(run())


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

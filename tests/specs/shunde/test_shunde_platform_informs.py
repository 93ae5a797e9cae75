"""The district platform's messages that need no answer from the operator (issue 13): under the 2019 header the mock
answers each 0x1201 registration with 0x9201 (E-SD-20's default layout), and it answers an operator's 0x1702 with
0x9702 (the two codes, E-SD-21's default). The reference forwarder records them and keeps both links: a later
batch of positions is still confirmed. In-process: mock and forwarder share a loop; every wait is for an outcome,
bounded generously, never a timing assertion."""
from __future__ import annotations

import asyncio
import datetime as dt

from harness.jt809.messages import TABLES
from mocks.shunde.accounts import AccountSheet
from mocks.shunde.platform import DistrictPlatform
from schemas.shunde.datagen import ShundeData
from suites.shunde.forwarder import ForwarderConfig
from suites.shunde.reference_forwarder import ReferenceForwarder
from suites.shunde.session import free_port
from test_shunde_reconnect import _until  # the same bounded wait for an outcome


def test_reference_forwarder_records_0x9201_and_0x9702_and_keeps_its_links():
    async def run():
        data = ShundeData(11)
        acct = data.account(down_link_port=free_port())
        mock = DistrictPlatform(profile="jt809-2019", accounts=AccountSheet([acct]), seed=11,
                                overrides={"manage_after_s": 0})
        port = await mock.start()
        creds = {**acct.credentials(), "header": "2019"}
        fw = ReferenceForwarder(ForwarderConfig.from_context({"base_url": f"tcp://127.0.0.1:{port}",
                                                              "credentials": creds}))
        try:
            assert await fw.connect() == 0
            assert await _until(lambda: (s := mock.session_of(acct.user_id)) is not None and s.slave_state == "up")
            v = data.fleet(1, acct.enterprise)[0]
            track = data.track(6, dt.datetime.now() - dt.timedelta(seconds=5))

            def batch(part: slice) -> dict:
                return {"vehicles": [{"vehicle_no": v["vehicle_no"], "vehicle_color": int(v["vehicle_color"]),
                                      "mode": "real", "positions": track[part]}]}

            await fw.send_positions(batch(slice(0, 3)))  # 0x1201 first: the mock answers 0x9201
            ask = TABLES["2019"].messages[0x1700].cls(v["vehicle_no"], int(v["vehicle_color"]), None,
                                                      TABLES["2019"].subs[0x1700][0x1702].cls())
            await fw.send_main(ask)  # the mock answers 0x9702
            assert await _until(lambda: {0x9200, 0x9700} <= set(fw.slave_frames)), fw.slave_frames
            sent = {e.interface: e for e in mock.journal.since(0) if e.method == "send"}
            assert {"DOWN_EXG_MSG_REGISTER_ACK", "DOWN_AUTHORIZE_MSG_STARTUP_REQ_ACK"} <= set(sent), sorted(sent)
            assert all(sent[k].link == "slave" for k in ("DOWN_EXG_MSG_REGISTER_ACK",
                                                         "DOWN_AUTHORIZE_MSG_STARTUP_REQ_ACK"))
            await fw.send_positions(batch(slice(3, 6)))  # confirmed: the main link carries on
            session = mock.session_of(acct.user_id)
            assert not fw.main_closed.is_set() and fw.logins == 1
            assert session.slave_state == "up" and not session.slave.closed and not session.main.closed
            assert await mock.slave_linktest(acct.user_id), "the slave link still answers 0x9005"
            # The forwarder answered neither (the standard asks for no answer): nothing but its own traffic came up.
            up = {e.interface for e in mock.journal.since(0) if e.method == "recv"}
            assert not any("AUTHORIZE" in i and i != "UP_AUTHORIZE_MSG_STARTUP_REQ" for i in up), up
        finally:
            await fw.disconnect()
            await mock.close()

    asyncio.run(run())

"""Stage `interface` (gansu rollout: test each interface as soon as it is built): connect, heartbeats,
real-time and history positions, disconnect — each judged frame by frame."""
from __future__ import annotations

import datetime as dt
import random

import pytest

from harness.pytest_plugin import require
from suites.shunde import checks as C
from schemas.shunde.datagen import with_escape_bytes

pytestmark = [pytest.mark.role("client"), pytest.mark.stage("interface")]
STAGE = "interface"


def _need_connection(sd):
    if not sd.ensure_connected(STAGE):
        pytest.fail("connect failed; see the connect interface")


@pytest.mark.interface("connect")
def test_connect(sd, vrun):
    if sd.connected:
        sd.disconnect(STAGE)
    require(vrun, sd.connect(STAGE))


@pytest.mark.interface("heartbeat")
def test_heartbeat(sd, vrun):
    """0x1005 at the agreed interval (handed over in the credentials), and 0x9005 answered on the slave link."""
    _need_connection(sd)
    seq0, required = sd.connect_seq, int(sd.suite["heartbeats_required"])

    def beats():
        return [e for e in sd.since(seq0 - 1) if e.method == "recv" and e.link == "main"
                and e.interface == "UP_LINKTEST_REQ"]

    sd.wait_for(lambda: len(beats()) >= required, float(sd.suite["heartbeat_wait_s"]))
    first = sd.since(seq0 - 1)
    waited = sd.mock.clock.now() - (first[0].time if first else sd.mock.clock.now())
    got = beats()
    results = [sd.record("shunde.heartbeat.main",
                         C.heartbeat_main(got, required, waited, float(sd.suite["heartbeat_interval_s"]),
                                          float(sd.suite["idle_timeout_s"])),
                         interface="heartbeat", stage=STAGE, evidence=[e.evidence() for e in got[:4]])]
    if sd.main_link_only:
        results.append(sd.skip("shunde.heartbeat.slave", "profile main-link-only (E-SD-06)", interface="heartbeat",
                               stage=STAGE))
    else:
        seq1 = sd.journal.last_seq
        answered = sd.bg.call(sd.mock.slave_linktest(sd.account.user_id))
        results.append(sd.record("shunde.heartbeat.slave", C.heartbeat_slave(answered), interface="heartbeat",
                                 stage=STAGE, evidence=[e.evidence() for e in sd.since(seq1)[:4]]))
    results += sd.judge_frames(got, "heartbeat", STAGE)
    require(vrun, results)


def real_time_params(sd, vehicles: int = 3, per_vehicle: int = 3) -> dict:
    end = sd.now_local() - dt.timedelta(seconds=5)
    fleet = sd.data.fleet(vehicles, sd.operator)
    out = []
    for i, v in enumerate(fleet):
        track = sd.data.track(per_vehicle, end)
        out.append({"vehicle_no": v["vehicle_no"], "vehicle_color": v["vehicle_color"], "mode": "real",
                    "positions": with_escape_bytes(track) if i == 0 else track})
    return {"vehicles": out}


def history_params(sd, n: int = 12) -> dict:
    """Twelve past positions given out of order: the forwarder must batch them 5 + 5 + 2 in time order."""
    v = sd.data.vehicle(sd.operator)
    track = sd.data.track(n, sd.now_local() - dt.timedelta(minutes=10))
    random.Random(sd.data.seed).shuffle(track)
    return {"vehicles": [{"vehicle_no": v["vehicle_no"], "vehicle_color": v["vehicle_color"], "mode": "history",
                          "positions": track}]}


@pytest.mark.interface("send_positions")
def test_real_time_positions(sd, vrun):
    _need_connection(sd)
    results, _ = sd.send_positions(real_time_params(sd), STAGE)
    require(vrun, results)


@pytest.mark.interface("send_positions")
def test_history_positions(sd, vrun):
    _need_connection(sd)
    results, _ = sd.send_positions(history_params(sd), STAGE)
    require(vrun, results)


@pytest.mark.interface("disconnect")
def test_disconnect(sd, vrun):
    _need_connection(sd)
    require(vrun, sd.disconnect(STAGE))

"""`vconform mock yunnan --workers N`: envelopes opened in worker processes, the state, journal and answers in the
mock's own process. The answers and journal must be those of a mock without workers."""
from __future__ import annotations

import json

from harness.clock import FixedClock
from harness.journal import Journal
from harness.serve import BackgroundServer
from mocks.yunnan.app import YunnanMock
from schemas.yunnan.datagen import YunnanData
from suites.yunnan.client import YunnanClient


def _session(tmp_path, workers: int):
    mock = YunnanMock(journal=Journal(None), clock=FixedClock(), key_bits=1024, workers=workers)
    opened_by_workers = []
    original = mock.prepare

    async def spy(ex, route, incoming):
        got = await original(ex, route, incoming)
        opened_by_workers.append(got is not None)
        return got

    mock.prepare = spy
    mock._prepares = True
    data = YunnanData(3)
    with BackgroundServer(mock.app) as srv:
        base = srv.url + mock.ep["prefix"]
        c = YunnanClient(base, tmp_path / f"client-{workers}", data.enterprise_id)
        c.init_auth(data.enterprise_id, data.enterprise()["enterpriseName"])
        answers = [c.call("vehicleInfo", data.vehicle(1)), c.call("heartBeat", data.heartbeat())]
        bad = dict(data.vehicle(2), vin="")
        answers.append(c.post("/vehicleInfo", c.seal(bad), c.headers()))
        wrong_token = c.post("/vehicleInfo", c.seal(data.vehicle(3)), {**c.headers(), "Authorization": "Bearer nope"})
        answers.append(wrong_token)
    journal = [(e.interface, e.outcome, e.status, json.dumps(e.notes.get("violations"), sort_keys=True),
                # the client's keys differ between the two sessions; what it sent otherwise does not
                json.dumps(e.request_plaintext if e.interface not in ("init-auth", "getToken") else None,
                           sort_keys=True)) for e in mock.journal.entries]
    if mock._pool is not None:
        mock._pool.shutdown()
    return [(a.get("code"), a.get("message")) for a in answers], journal, opened_by_workers


def test_workers_open_envelopes_and_change_no_answer(tmp_path):
    plain = _session(tmp_path, 1)
    pooled = _session(tmp_path, 2)
    assert pooled[0] == plain[0]
    assert [row[:2] for row in pooled[1]] == [row[:2] for row in plain[1]]
    assert [row[3:] for row in pooled[1]] == [row[3:] for row in plain[1]]
    assert plain[0][2][0] == 500 and "令牌" in plain[0][3][1]  # the refusals are in the comparison
    assert not any(plain[2]) and sum(pooled[2]) >= 3  # getToken and the uploads were opened by a worker


def test_without_workers_the_lean_path_needs_no_coroutine():
    """`prepare` opens envelopes in worker processes only: without them the pipeline runs without a coroutine
    (`pipeline_now`), and `--workers N` set after construction (as the CLI does) turns that off."""
    mock = YunnanMock(journal=Journal(None), clock=FixedClock(), key_bits=1024)
    assert not mock.waits()
    mock.workers = 2
    assert mock.waits()
    mock.workers = 1
    assert not mock.waits()
    mock.journal.close()

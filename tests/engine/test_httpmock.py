"""The engine's HTTP mock base, tried with a toy spec that has no envelope, no encryption and its own answer shape."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from harness.clock import FixedClock
from harness.httpmock import HttpMock, Incoming
from harness.journal import Exchange, Journal
from harness.serve import BackgroundServer


class ToyMock(HttpMock):
    """A toy spec: answers {"status": "1"|"0", ...}, HTTP 200 for success and 400 for refusals."""

    spec = "toy"
    max_body = 64
    fault_kinds = HttpMock.fault_kinds + ("expire_token",)  # the toy's own reading: forget the store

    def __init__(self, **kw):
        self.store: list[dict] = []
        self.forgotten = 0
        super().__init__(**kw)

    def _routes(self):
        return {"/toy/put": ("put", "plain"), "/toy/boom": ("boom", None)}

    def failure(self, reason, status, info):
        return {"status": "0", "reason": reason, **{k: v for k, v in info.items() if k != "error"}}

    def http_status(self, body):
        return 200 if body["status"] == "1" else 400

    def respond(self, ex: Exchange, route, incoming: Incoming):
        if route[0] == "boom":
            raise ZeroDivisionError("the handler fell over")
        record = json.loads(incoming.body)
        if "id" not in record:
            ex.outcome = "no_id"
            return {"status": "0", "reason": "no_id"}
        self.store.append(record)
        ex.request_plaintext = record
        return {"status": "1", "header": incoming.headers.get("x-toy", "")}  # headers case-insensitive

    def on_fault(self, fault, ex):
        if fault.kind == "expire_token":
            self.forgotten += len(self.store)
            self.store.clear()

    def admin_ops(self):
        return {"put": lambda args: self.store.append(args["record"])}

    def snapshot(self):
        return {"stored": len(self.store), "now": self.clock.now()}


@pytest.fixture()
def toy():
    mock = ToyMock(journal=Journal(None), clock=FixedClock(1000.0))
    with BackgroundServer(mock.app) as srv:
        yield mock, srv.url


def post(url, body: bytes = b"{}", method="POST", headers=None):
    req = urllib.request.Request(url, data=body if method == "POST" else None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_an_answer_is_journaled_as_sent(toy):
    mock, url = toy
    status, body = post(url + "/toy/put", b'{"id": 1}', headers={"X-Toy": "t"})
    assert (status, body) == (200, {"status": "1", "header": "t"})
    ex = mock.journal.entries[-1]
    assert (ex.spec, ex.interface, ex.method, ex.path, ex.outcome) == ("toy", "put", "POST", "/toy/put", "ok")
    assert (ex.status, ex.response_body, ex.request_plaintext, ex.time) == (200, body, {"id": 1}, 1000.0)
    assert ex.request_body == '{"id": 1}' and ex.duration_ms > 0
    status, body = post(url + "/toy/put/", b'{"no": 1}')  # a trailing slash routes the same
    assert (status, body) == (400, {"status": "0", "reason": "no_id"})
    assert mock.journal.entries[-1].outcome == "no_id"


class FailingJournal(Journal):
    def record(self, ex):
        raise OSError("disk full")


def test_no_answer_goes_out_unless_it_was_journaled_first():
    """The journal is written before the answer: when the write fails, the client never sees the spec's answer."""
    mock = ToyMock(journal=FailingJournal(None))
    with BackgroundServer(mock.app) as srv:
        req = urllib.request.Request(srv.url + "/toy/put", data=b'{"id": 1}', method="POST")
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=10)
    assert info.value.code == 500 and b'"status"' not in info.value.read()
    assert mock.store == [{"id": 1}]  # the handler ran; its answer was held back


def test_body_over_the_limit_gets_the_spec_failure_answer(toy):
    mock, url = toy
    status, body = post(url + "/toy/put", b'{"id": "' + b"x" * 100 + b'"}')
    assert (status, body) == (413, {"status": "0", "reason": "too_large", "limit": 64})
    assert mock.journal.entries[-1].outcome == "too_large" and mock.store == []


def test_handler_exception_gets_the_spec_failure_answer_and_is_journaled(toy):
    mock, url = toy
    status, body = post(url + "/toy/boom")
    assert (status, body) == (400, {"status": "0", "reason": "internal_error"})  # the spec's status rule
    ex = mock.journal.entries[-1]
    assert ex.outcome == "internal_error" and ex.status == 400
    assert ex.notes["internal_error"] == "ZeroDivisionError: the handler fell over"


def test_method_and_unknown_path(toy):
    mock, url = toy
    assert post(url + "/toy/put", method="GET") == (405, {"status": "0", "reason": "method", "allowed": ["POST"]})
    assert post(url + "/nowhere") == (404, {"status": "0", "reason": "not_found", "path": "/nowhere"})
    assert [e.outcome for e in mock.journal.entries] == ["method", "not_found"]
    assert mock.journal.entries[-1].interface == ""


def test_faults(toy):
    mock, url = toy
    mock.faults.arm("http_5xx", value=502, interface="put")
    assert post(url + "/toy/boom")[0] == 400  # armed for another interface: untouched
    assert post(url + "/toy/put", b'{"id": 1}') == (502, {"status": "0", "reason": "fault_5xx"})
    assert mock.store == [] and mock.journal.entries[-1].notes["faults"] == ["http_5xx"]
    mock.faults.arm("drop")
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        post(url + "/toy/put", b'{"id": 2}')
    assert mock.journal.entries[-1].outcome == "fault_drop" and mock.store == []
    mock.faults.arm("delay", value=0.3)
    t0 = time.perf_counter()
    assert post(url + "/toy/put", b'{"id": 3}')[0] == 200
    assert time.perf_counter() - t0 >= 0.3 and mock.journal.entries[-1].notes["faults"] == ["delay"]
    mock.faults.arm("expire_token")  # a kind of the spec's own reaches its hook
    assert post(url + "/toy/put", b'{"id": 4}')[0] == 200
    assert mock.forgotten == 1 and mock.store == [{"id": 4}]


def test_admin_hook(toy):
    mock, url = toy
    admin = url + "/__vconform/"
    assert post(admin + "state") == (200, {"ok": True, "state": {"stored": 0, "now": 1000.0}})
    assert post(admin + "clock", b'{"advance": 60}')[1]["state"]["now"] == 1060.0
    assert mock.clock.now() == 1060.0
    assert post(admin + "put", b'{"record": {"id": 9}}')[1]["state"]["stored"] == 1
    status, body = post(admin + "fault", b'{"kind": "http_5xx", "value": 503, "times": 2}')
    assert status == 200 and mock.faults.pending()[0]["remaining"] == 2
    mock.fault_kinds = HttpMock.fault_kinds
    assert post(admin + "fault", b'{"kind": "expire_token"}')[0] == 400  # not a fault this mock offers
    assert post(admin + "clock", b'{}')[0] == 400
    assert post(admin + "nothing")[0] == 404
    assert mock.journal.entries == []  # admin calls are not exchanges of the spec

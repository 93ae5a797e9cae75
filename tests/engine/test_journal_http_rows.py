"""The HTTP mocks' compact journal rows (harness/journal.py `_compact`: raw body bytes, the answer's bytes as sent,
no second copy of a plaintext that is the body parsed or of a response plaintext that is the answer's `data`) read
back with exactly the values of rows written whole, as journals were before them: every reader (report, replay,
observe, dashboard, campaign, access-check) sees the same exchanges.

Each exchange is recorded both ways at the same moment (a tee journal), then the two files are read back and compared.
The fast tests send every HTTP mock (yunnan, henan-city, henan-province, gansu) awkward and ordinary requests
in-process; the slow one compares the journals of a reference client's whole run of each spec (tests/engine/
journal_tee.py runs `vconform run` with the tee)."""
from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from harness.journal import Exchange, Journal
from harness.registry import discover
from harness.serve import BackgroundServer

ROOT = Path(__file__).resolve().parents[2]
HTTP_SPECS = ("yunnan", "henan-city", "henan-province", "gansu")


class TeeJournal(Journal):
    """Records every exchange twice, at the same moment: compact (this file) and whole (`<file>.whole`)."""

    def __init__(self, path: Path):
        super().__init__(path)
        self.whole = Journal(str(path) + ".whole")
        self.whole.compact = False

    def record(self, ex: Exchange) -> Exchange:
        super().record(ex)
        self.whole._seq = ex.seq - 1
        Journal.record(self.whole, ex)
        return ex

    def close(self) -> None:
        super().close()
        self.whole.close()


def assert_same_views(path: Path) -> list[dict]:
    """The compact journal at `path` and its whole twin read back alike, row by row (every reader goes through
    Journal.read / iter_read or _exchange: the same column views)."""
    compact, whole = Journal.read(path), Journal.read(str(path) + ".whole")
    assert len(compact) == len(whole) > 0
    for a, b in zip(compact, whole):
        a.pop("view"), b.pop("view")
        assert a == b, {k: (a[k], b[k]) for k in a if a[k] != b[k]}
        assert json.dumps(a, sort_keys=True, ensure_ascii=False) == json.dumps(b, sort_keys=True, ensure_ascii=False)
    again = Journal(path)  # entries read from the file (no window): the Exchange objects readers get
    twin = Journal(str(path) + ".whole")
    try:
        assert [e.evidence(10**7) for e in again.entries] == [e.evidence(10**7) for e in twin.entries]
    finally:
        again.close(), twin.close()
    return compact


def _post(port: int, path: str, body: bytes, *, method: str = "POST", extra: bytes = b"") -> bytes:
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n").encode() + extra + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head + body)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out


AWKWARD = [
    orjson.dumps({"a": 1, "名": "值", "n": [1, 2.5, None, True]}),         # compact: the plaintext is the body itself
    json.dumps({"a": 1, "名": "值"}).encode(),                              # \\u-escaped, spaced: stored again
    b'{"big": 123456789012345678901234567890, "f": 1e400}',                # beyond 64 bits; an infinite float
    b'{"nan": NaN}',                                                       # the stdlib reads what orjson refuses
    b'{"s": "\\ud800 lone"}',                                              # a lone surrogate, escaped
    b'{"bad": "\xff\xfe"}',                                                # not UTF-8
    b'{"dup": 1, "dup": 2}',
    b"[1, 2, 3]", b'"just a string"', b"", b"{", b"null",
]


@pytest.mark.parametrize("spec", HTTP_SPECS)
def test_compact_rows_read_back_as_whole_rows(tmp_path, spec):
    journal = TeeJournal(tmp_path / "j.sqlite")
    mock = discover()[spec].make_mock(journal=journal)
    paths = sorted({p for p in mock.routes})
    with BackgroundServer(mock.app) as srv:
        for path in paths:
            for body in AWKWARD:
                _post(srv.port, path, body)
        _post(srv.port, paths[0], AWKWARD[0], extra=b"X-Odd: \xff\xfeoctets\r\nX-Dup: 1\r\nX-Dup: 2\r\n")
        _post(srv.port, "/no/such/path?q=%41%ZZ", AWKWARD[0])
        _post(srv.port, paths[0], b"", method="GET")
        _post(srv.port, paths[0], AWKWARD[0], method="PUT")
    journal.close()
    rows = assert_same_views(tmp_path / "j.sqlite")
    assert len(rows) == len(paths) * len(AWKWARD) + 4
    db = sqlite3.connect(tmp_path / "j.sqlite")
    views = dict(db.execute("SELECT view, COUNT(*) FROM exchanges GROUP BY view").fetchall())
    db.close()
    assert sum(n for v, n in views.items() if v and v.startswith("http:r")) >= len(paths) * len(AWKWARD)


def test_yunnan_plain_and_encrypted_exchanges(tmp_path):
    """Registrations (the plain-JSON path: the plaintext is the body, the answer's data the response plaintext), a
    token and encrypted uploads (the plaintext decrypted, stored), refusals of each kind."""
    from harness import crypto
    from schemas.yunnan.datagen import YunnanData
    from suites.yunnan.client import YunnanClient

    journal = TeeJournal(tmp_path / "j.sqlite")
    mock = discover()["yunnan"].make_mock(journal=journal)
    with BackgroundServer(mock.app) as srv:
        base = srv.url + mock.ep["prefix"]
        data = YunnanData(3)
        pub = crypto.public_b64(crypto.generate_rsa())
        c = YunnanClient(base, str(tmp_path / "client"), data.enterprise_id)
        c.init_auth(data.enterprise_id, data.enterprise()["enterpriseName"])
        c.init_auth(data.enterprise_id, data.enterprise()["enterpriseName"])  # refused: registered once only
        c.get_token()
        for i in range(3):
            c.post("/vehicleInfo", c.seal(data.vehicle(i)), c.headers())
        c.post("/vehicleInfo", c.seal({"not": "a vehicle"}), c.headers())
        _post(srv.port, mock.ep["prefix"] + "/init-auth", orjson.dumps({"enterpriseId": "X1", "enterpriseName": "名",
                                                                        "publicKey": pub}))
    journal.close()
    rows = assert_same_views(tmp_path / "j.sqlite")
    db = sqlite3.connect(tmp_path / "j.sqlite")
    kinds = db.execute("SELECT interface, view, typeof(request_body), request_plaintext IS NULL, "
                       "response_plaintext IS NULL, peer IS NULL, typeof(headers) FROM exchanges ORDER BY seq").fetchall()
    db.close()
    # The compact registration: no second copy of either plaintext, the unqueried columns packed into one.
    assert ("init-auth", "http:rbdp", "blob", 1, 1, 1, "blob") in kinds
    # A decrypted plaintext is kept (in the pack: not derived from the body).
    assert any(k[0] == "vehicleInfo" and k[1].endswith("p") and "b" not in k[1] for k in kinds)
    assert any(r["interface"] == "vehicleInfo" and r["outcome"] == "ok" for r in rows)


@pytest.mark.slow
@pytest.mark.parametrize("spec, client, args", [
    ("yunnan", "tests/specs/yunnan/broken_clients.py", ["--only", "init-auth", "--only", "vehicleInfo"]),
    ("henan", "tests/specs/henan/broken_gate_clients.py", ["--level", "city", "--only", "shareDrivingRecord"]),
    ("henan", "tests/specs/henan/province_broken_city_clients.py", ["--level", "province", "--only",
                                                                   "GetCompanyInfo"]),
    ("gansu", "tests/specs/gansu/broken_clients.py", ["--only", "shareVehicleInfo"]),
])
def test_a_reference_run_journals_the_same_views(tmp_path, spec, client, args):
    journal = tmp_path / "run.sqlite"
    proc = subprocess.run([sys.executable, "tests/engine/journal_tee.py", "run", spec, "--seed", "4242", *args,
                           "--out", str(tmp_path / "report"), "--journal", str(journal),
                           "--sut-cmd", f"{sys.executable} {client} reference"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env={**__import__("os").environ,
                                                       "VCONFORM_HOME": str(tmp_path / "home")})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    rows = assert_same_views(journal)
    assert any(r["outcome"] == "ok" for r in rows)


def test_packed_and_unpacked_rows_read_alike(tmp_path):
    """A compact row packs the columns no reader filters on (view flag p); what orjson's fast options refuse (a
    non-string key, an integer beyond 64 bits, a lone surrogate, NaN) is written unpacked, as before the packing.
    Both kinds, batched and not, read back as whole rows."""
    import sqlite3 as sq

    def exchanges():
        body = b'{"a": 1}'
        resp = {"code": 0, "data": {"id": "x"}}
        odd = [{1: "int key"}, {"big": 2 ** 70}, {"s": "\udcff"}, {}]
        for i, notes in enumerate(odd):
            ex = Exchange("toy", float(i), method="POST", path="/p", interface="p", peer="127.0.0.1:1",
                          client_id="c", headers={"H": "v"}, request_body=body.decode(), status=200,
                          response_body=resp, response_plaintext=resp["data"], duration_ms=float(i) / 3,
                          outcome="ok", notes=notes)
            ex.request_plaintext = {"a": 1}
            ex.raw_body = (body, ex.request_body)
            ex.wire_answer = (resp, orjson.dumps(resp))
            yield ex
        yield Exchange("toy", 9.0, duration_ms=float("nan"), notes={"n": 1})
        yield Exchange("toy", 10.0, peer="\udcfe", notes={"n": 2})

    for batch in (False, True):
        path = tmp_path / f"j{batch}.sqlite"
        journal = TeeJournal(path)
        journal.batch = batch
        for ex in exchanges():
            journal.record(ex)
        journal.close()
        rows = assert_same_views(path)
        assert len(rows) == 6
        db = sq.connect(path)
        views = [v for (v,) in db.execute("SELECT view FROM exchanges ORDER BY seq")]
        db.close()
        assert views[3] == "http:rdp" and not any(v and v.endswith("p") for v in views[:3] + views[4:]), views

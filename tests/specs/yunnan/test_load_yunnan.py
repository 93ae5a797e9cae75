"""`vconform load yunnan`: the simulated enterprises' data and life cycle, and whole runs on Locust against the
project's mock (`vconform mock yunnan`) and against a platform that loses uploads under concurrency."""
from __future__ import annotations

import contextlib
import http.client
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from harness.identifiers import is_valid_uscc
from harness.load.http import Answer
from harness.load.tally import Tally
from harness.serve import BackgroundServer
from mocks.yunnan.app import YunnanMock
from proving import assert_fails, assert_passes
from schemas.yunnan.validate import validate
from suites.yunnan import load

ROOT = Path(__file__).resolve().parents[3]
# The key cache outlives a test run on purpose (it is a cache: 2000 RSA-2048 keys take minutes to make).
KEY_HOME = Path(tempfile.gettempdir()) / f"vconform-load-keys-{os.getuid()}"


def _platforms():
    spec = importlib.util.spec_from_file_location("yunnan_platforms", ROOT / "tests" / "specs" / "yunnan" /
                                                  "broken_platforms.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


PLATFORMS = _platforms()


# ---- data and ids ---------------------------------------------------------------------------------------

def test_enterprise_ids_are_valid_22_characters_and_distinct():
    county = "532322"
    ids = {load.enterprise_id(s, i, county) for s in (0, 1, 9999) for i in (0, 1, 2, 1999, 999_999)}
    assert len(ids) == 15
    for eid in ids:
        assert re.fullmatch(r"[0-9A-Z]{18}001P", eid) and is_valid_uscc(eid[:18]), eid
    with pytest.raises(ValueError):
        load.enterprise_id(10_000, 0, county)


def _worker(**kw) -> load.Worker:
    return load.Worker({"salt": 4321, "seed": 7, "time_scale": 1.0, **kw}, Tally(1))


def test_every_enterprise_sends_valid_records():
    w = _worker()
    e = w.enterprise(1234, None, post=None)
    sent = [("vehicleInfo", w.own(v, e.eid)) for v in w.vehicles]
    sent += [("vehicleAccess", e.access_record()) for _ in range(6)]
    sent += [(name, {**w.own(q, e.eid)}) for name, q in w.queries.items()]
    for interface, record in sent:
        fails = [v.message for v in validate(interface, "request", record, profile=w.profile) if v.level == "fail"]
        assert not fails, (interface, fails)
        assert e.eid in json.dumps(record) or interface == "exceedVehicle"
    ids = [e.access_record()["recordId"] for _ in range(50)]
    assert len(set(ids)) == 50
    ledger = {w.own(v, e.eid)["vehicleId"] for v in w.vehicles}
    assert {e.access_record()["vehicleId"] for _ in range(8)} <= ledger  # §6.13: only vehicles of the ledger


@pytest.mark.proves("yunnan.server.load.counted")
def test_uploads_counted_fails_on_loss_and_passes_when_others_add():
    assert_fails("yunnan.server.load.counted",
                 load.uploads_counted({"vehicleAccess": 5}, {"vehicleAccess": 8}, {"vehicleAccess": 4}))
    assert_passes("yunnan.server.load.counted",
                  load.uploads_counted({"vehicleAccess": 5}, {"vehicleAccess": 12}, {"vehicleAccess": 4}))
    assert_passes("yunnan.server.load.counted", load.uploads_counted({}, {}, {}))


# ---- one enterprise's life cycle, without Locust -----------------------------------------------------------

def _post_to(base: str):
    u = urlsplit(base)

    def post(path, body, headers, name, judge) -> Answer:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        try:
            conn.request("POST", u.path + path, body=body, headers=headers)
            resp = conn.getresponse()
            ans = Answer(resp.status, resp.read())
        finally:
            conn.close()
        judge(ans)
        return ans

    return post


def test_enterprise_registers_renews_its_token_keeps_the_cadence_and_is_counted():
    from harness.crypto import generate_rsa

    mock = YunnanMock()
    srv = BackgroundServer(mock.app).start()
    try:
        w = _worker(time_scale=1e7)  # every period is due at once and every token is old enough to renew
        e = w.enterprise(3, generate_rsa(2048), _post_to(srv.url + load.PREFIX))
        e.start()
        assert e.alive
        # all due at one past instant (not spread into the next microseconds): the first five steps send one each
        e.due = dict.fromkeys(e.due, time.monotonic() - 1.0)
        for _ in range(12):
            e.step()
        state = mock.state.snapshot()
    finally:
        srv.stop()
    snap = w.tally.snapshot()
    failed = {k: v["problems"] for k, v in snap["checks"].items() if v["fail"]}
    assert not failed
    c = snap["counters"]
    assert c["acked.vehicleInfo"] == load.LEDGER_VEHICLES and c["acked.vehicleAccess"] >= 1
    assert c["acked.heartBeat"] >= 1 and c["tokens"] >= 2  # renewed before expiry
    pulls = {k.split("|")[1] for k in snap["checks"] if k.startswith("yunnan.server.accept|")}
    assert {"exceedVehicle", "basStrategy", "alarmVehicle", "heartBeat", "vehicleAccess"} <= pulls
    assert state["uploads"] == {"vehicleInfo": c["acked.vehicleInfo"], "vehicleAccess": c["acked.vehicleAccess"]}
    assert state["enterprises"][e.eid]["heartbeat"] == "online"


def _admin_of(mock):
    """The admin hook's calls, straight on an in-process mock's state."""
    def admin(op, args=None):
        if op == "seed":
            mock.state.seed(args["feed"], args["records"], args.get("owner"))
        return mock.state.snapshot()
    return admin


@pytest.mark.parametrize("variant, fails", [("mock", set()), ("isnew-wrong-at-100", {"yunnan.server.pull.isnew"}),
                                            ("strictly-after", set())])
def test_pulls_page_through_the_records_seeded_for_the_run(variant, fails):
    from harness.crypto import generate_rsa

    mock = PLATFORMS.make(variant)
    srv = BackgroundServer(mock.app).start()
    try:
        options = {"salt": 4321, "seed": 7, "time_scale": 1.0}
        baseline = load.prepare(_admin_of(mock), options)
        assert baseline == {"uploads": {}} and len(options["exceed_seeded"]) == load.EXCEED_SEEDED
        w = load.Worker(options, Tally(1))
        e = w.enterprise(5, generate_rsa(2048), _post_to(srv.url + load.PREFIX))
        e.start()
        e.pull("exceedVehicle")
        e.pull("exceedVehicle")  # a second sequence serves them all again (nothing confirms an exceed record)
    finally:
        srv.stop()
    checks = w.tally.snapshot()["checks"]
    assert checks["yunnan.server.pull.complete|exceedVehicle"]["judged"] == 2
    assert {c["id"] for c in checks.values() if c["fail"]} == fails


def test_a_refused_token_is_judged_renewed_and_the_request_retried():
    from harness.crypto import generate_rsa

    mock = YunnanMock()
    srv = BackgroundServer(mock.app).start()
    try:
        w = _worker()
        e = w.enterprise(4, generate_rsa(2048), _post_to(srv.url + load.PREFIX))
        e.start()
        mock.state.expire_tokens()  # the platform drops every token long before its expireTime
        reply = e.send("heartBeat", {"enterpriseId": e.eid})
    finally:
        srv.stop()
    assert reply.accepted  # retried with a new token
    checks = w.tally.snapshot()["checks"]
    assert checks["yunnan.server.token.lifetime|heartBeat"]["fail"] == 1
    assert checks["yunnan.server.accept|heartBeat"]["fail"] == 0


def test_an_enterprise_that_falls_behind_keeps_the_cadence_proportions(monkeypatch):
    """Far behind its schedule (a slow platform, a busy generator), an enterprise catches up in the spec's
    proportions (an access record every 120 s, a pull every hour), not one of each action in turn."""
    from harness.crypto import generate_rsa

    sent: list[str] = []
    ok = json.dumps({"code": 200, "message": "成功", "data": None}).encode()

    def post(path, body, headers, name, judge) -> Answer:
        sent.append(name)
        return Answer(200, ok)

    w = _worker(time_scale=1000.0)
    e = w.enterprise(6, generate_rsa(2048), post)
    platform = generate_rsa(2048)
    e.platform_pub, e.api_key, e.token, e.alive = platform.public_key(), "k" * 32, "t" * 32, True
    t0 = 1000.0
    e.due = {action: t0 for action in load.CADENCE}
    # an hour of wall time behind (the load module's clock only): every action overdue
    monkeypatch.setattr(load, "time", types.SimpleNamespace(monotonic=lambda: t0 + 3600.0))
    e.token_at = t0 + 3600.0  # a fresh token: no renewal in between
    for _ in range(400):
        e.step()
    counts = {a: sent.count(a) for a in load.CADENCE}
    assert counts["vehicleAccess"] >= 20 * counts["exceedVehicle"] > 0, counts
    assert counts["vehicleAccess"] >= 5 * counts["heartBeat"] > 0, counts


# ---- whole runs on Locust ------------------------------------------------------------------------------

def vconform_load(tmp: Path, target: str, *args: str, timeout: float = 600) -> tuple[int, dict, str]:
    out = tmp / "report"
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "load", "yunnan", "--target", target,
                           "--out", str(out), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "VCONFORM_HOME": str(KEY_HOME)})
    path = out / "report.json"
    report = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    return proc.returncode, report, proc.stdout + proc.stderr


@contextlib.contextmanager
def mock_process(*extra: str):
    """`vconform mock yunnan` in its own process, as a tester starts it; stopped by its pid."""
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "mock", "yunnan", "--port", "0", *extra], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        m = re.search(r"listening on (http://\S+)", line)
        assert m, f"mock did not start: {line!r} {proc.stderr.read() if proc.poll() is not None else ''}"
        yield m.group(1)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def failing(report: dict) -> set[str]:
    return {c["id"] for i in report.get("interfaces", []) for c in i["checks"] if c["verdict"] == "fail"}


def _assert_clean_load_report(code: int, report: dict, output: str, tmp: Path, enterprises: int) -> None:
    assert code == 0, output
    assert report["verdict"] == "pass" and report["counts"]["fail"] == 0 and not report["harness_errors"]
    load_ = report["load"]
    rows = {r["name"]: r for r in load_["interfaces"]}
    assert {"init-auth", "getToken", "vehicleInfo", "vehicleAccess", "heartBeat"} <= set(rows)
    assert rows["init-auth"]["requests"] == enterprises and rows["getToken"]["requests"] >= enterprises
    for row in rows.values():
        assert {"rps", "p50_ms", "p99_ms"} <= set(row) and row["requests"] > 0
    assert load_["requests"] == sum(r["requests"] for r in rows.values()) and load_["rate_rps"] > 0
    counted = [c for i in report["interfaces"] for c in i["checks"] if c["id"] == "yunnan.server.load.counted"]
    assert counted and counted[0]["verdict"] == "pass"
    for name in ("locust_stats.csv", "locust.html", "report.html", "junit.xml"):
        assert (tmp / "report" / name).is_file(), name
    assert not list((tmp / "report").glob("*tally*"))  # judgements hold exchanges in clear: never beside the report
    assert "p99" in (tmp / "report" / "report.html").read_text("utf-8")
    verify = subprocess.run([sys.executable, "-m", "harness.cli", "verify", str(tmp / "report")], cwd=ROOT,
                            capture_output=True, text=True, env={**os.environ, "VCONFORM_HOME": str(KEY_HOME)})
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_load_on_two_processes_against_the_mock_has_no_correctness_failure(tmp_path):
    with mock_process() as url:
        code, report, output = vconform_load(tmp_path, url, "--enterprises", "20", "--processes", "2",
                                             "--duration", "8", "--time-scale", "100")
    _assert_clean_load_report(code, report, output, tmp_path, 20)


def against(variant: str, tmp: Path, *args: str) -> tuple[int, dict, str]:
    """A load run against one of the catalog's platforms (tests/specs/yunnan/broken_platforms.py), in process."""
    srv = BackgroundServer(PLATFORMS.make(variant).app).start()
    try:
        return vconform_load(tmp, srv.url, *args)
    finally:
        srv.stop()


def test_platform_losing_uploads_under_concurrency_is_caught(tmp_path):
    code, report, output = against("loses-uploads-under-concurrency", tmp_path, "--enterprises", "20",
                                   "--processes", "2", "--duration", "6", "--time-scale", "100")
    assert code == 1, output
    assert failing(report) == {"yunnan.server.load.counted"}
    assert "lost" in json.dumps(report["interfaces"], ensure_ascii=False)


@pytest.mark.slow
def test_province_scale_2000_enterprises_on_two_processes(tmp_path):
    # every enterprise keeps its connection open: the mock's cap (512 by default) must be above 2000
    with mock_process("--max-connections", "5000") as url:
        code, report, output = vconform_load(tmp_path, url, "--enterprises", "2000", "--processes", "2",
                                             "--duration", "45", "--time-scale", "5", "--spawn-rate", "100",
                                             timeout=1800)
    _assert_clean_load_report(code, report, output, tmp_path, 2000)


@pytest.mark.slow
def test_platform_without_admin_hook_skips_the_count_with_its_reason(tmp_path):
    code, report, output = against("no-admin-hook", tmp_path, "--enterprises", "5", "--processes", "1",
                                   "--duration", "5", "--time-scale", "100")
    assert code == 0, output
    counted = [c for i in report["interfaces"] for c in i["checks"] if c["id"] == "yunnan.server.load.counted"]
    assert counted[0]["verdict"] == "skip" and "admin hook" in counted[0]["message"]


@pytest.mark.slow
def test_a_worker_started_by_hand_joins_the_master(tmp_path):
    """The several-machines command of docs/load.md, on one machine: one local worker, one started with --worker."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "VCONFORM_HOME": str(KEY_HOME)}
    with mock_process() as url:
        master = subprocess.Popen([sys.executable, "-m", "harness.cli", "load", "yunnan", "--target", url,
                                   "--enterprises", "10", "--processes", "1", "--remote-workers", "1",
                                   "--master-port", str(port), "--duration", "6", "--time-scale", "100",
                                   "--out", str(tmp_path / "report")], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            said = "".join(master.stderr.readline() for _ in range(3))  # a warning, then the command to run
            assert f"--worker --master-host ADDRESS_OF_THIS_MACHINE --master-port {port}" in said
            worker = subprocess.Popen([sys.executable, "-m", "harness.cli", "load", "yunnan", "--worker",
                                       "--master-host", "127.0.0.1", "--master-port", str(port)], cwd=ROOT, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            out, err = master.communicate(timeout=600)
            worker.wait(timeout=60)
        finally:
            for p in (master, locals().get("worker")):
                if p is not None and p.poll() is None:
                    p.kill()
                    p.wait()
    report = json.loads((tmp_path / "report" / "report.json").read_text("utf-8"))
    assert master.returncode == 0, out + err
    assert report["load"]["remote_workers"] == 1 and report["load"]["counters"]["tokens"] >= 10
    rows = {r["name"]: r for r in report["load"]["interfaces"]}
    assert rows["init-auth"]["requests"] == 10


# ---- refusals before any load -------------------------------------------------------------------------------

def _cli(tmp_path, *args):
    return subprocess.run([sys.executable, "-m", "harness.cli", "load", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "VCONFORM_HOME": str(tmp_path / "home")})


@pytest.mark.parametrize("args, words", [
    (["yunnan"], "--target URL is required"),
    (["yunnan", "--target", "http://127.0.0.1:9", "--processes", "0"], "--processes 0 needs --remote-workers"),
    (["yunnan", "--target", "http://127.0.0.1:9", "--sample", "0"], "--sample"),
    (["yunnan", "--target", "http://127.0.0.1:9", "--enterprises", "0"], "--enterprises"),
    (["nosuchspec", "--target", "http://127.0.0.1:9"], "nosuchspec"),
    (["yunnan", "--worker"], "--master-host"),
    (["shunde", "--target", "http://127.0.0.1:9"], "shunde"),  # no load behaviour (nor an HTTP server role)
])
def test_bad_arguments_are_harness_errors(tmp_path, args, words):
    out = _cli(tmp_path, *args)
    assert out.returncode == 2, out.stderr
    assert words in out.stderr and "Traceback" not in out.stderr


def test_target_down_is_a_harness_error_before_any_load(tmp_path):
    with socket.socket() as s:  # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = _cli(tmp_path, "yunnan", "--target", f"http://127.0.0.1:{port}", "--out", str(tmp_path / "r"))
    assert out.returncode == 2
    assert "cannot reach the target" in out.stderr
    assert not (tmp_path / "r" / "locust_stats.csv").exists()

"""The rollout campaign (issue 12 items 4, 5, 8) on SQLite and on a real PostgreSQL started here: the board after
separate `--only` runs, the gates refused in order with their reasons, a new SUT version reopening them, tampered
and untrusted reports refused, and the signed go-live certificate checked by `vconform verify`."""
from __future__ import annotations

import base64
import datetime as dt
import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from harness import registry
from harness.adapter import ADAPTER_COMPLETED
from harness.campaign import CampaignError, RecordRefused, open_campaign
from harness.campaign.store import SCHEMA_VERSION
from harness.checks import Problem, evaluate
from harness.cli import main
from harness.report import write_report
from harness.run import RunConfig, RunContext

SPEC = "yunnan"
IFACES = list(registry.get(SPEC).interfaces)
T0 = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


@pytest.fixture
def home(tmp_path, monkeypatch):
    h = tmp_path / "home"
    monkeypatch.setenv("VCONFORM_HOME", str(h))
    return h


# --- a real PostgreSQL, started by the test run -------------------------------------------------------------------

def _pg_bindir() -> str | None:
    for d in [os.environ.get("PATH", "")] + sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if shutil.which("initdb", path=d) and shutil.which("pg_ctl", path=d):
            return str(Path(shutil.which("pg_ctl", path=d)).parent)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_server():
    """postgresql://postgres@127.0.0.1:PORT: a throw-away cluster; PostgreSQL refuses to run as root, so as root
    it runs as `nobody` (runuser). Skips with the reason when the binaries are absent (.ci/run installs them)."""
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found; .ci/run installs the `postgresql` package")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg not installed (the `test` extra installs it)")
    base = Path(tempfile.mkdtemp(prefix="vconform-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.skip("running as root without runuser: PostgreSQL cannot be started")
        os.chown(base, 65534, 65534)
        prefix = [runuser, "-u", "nobody", "--"]
    data, port = base / "data", _free_port()
    env = {**os.environ, "LC_ALL": "C"}
    subprocess.run(prefix + [f"{bindir}/initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                             "--no-sync"], check=True, capture_output=True, env=env, timeout=300)
    subprocess.run(prefix + [f"{bindir}/pg_ctl", "-D", str(data), "-l", str(base / "log"), "-w", "-t", "120", "-o",
                             f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                   check=True, capture_output=True, env=env, timeout=180)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(prefix + [f"{bindir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, env=env, timeout=120)
        shutil.rmtree(base, ignore_errors=True)


_DB_COUNT = [0]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    """A fresh, empty campaign database of each kind."""
    if request.param == "sqlite":
        return str(tmp_path / "campaign.sqlite")
    import psycopg

    server = request.getfixturevalue("postgres_server")
    _DB_COUNT[0] += 1
    name = f"campaign_{os.getpid()}_{_DB_COUNT[0]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{server}/{name}"


# --- signed reports of the shapes `vconform run` and observe mode write --------------------------------------------

_N = [0]


def report(tmp_path: Path, *, version="1.0", only=(), stages=(), verdicts=None, flow=None, pilot=None,
           sut="GateVendor", sign_key=None, minutes=None, setup=()) -> Path:
    """A signed yunnan report: interface-stage verdicts per interface (all of `only`, else every interface, `pass`
    unless `verdicts` says otherwise), a flow stage with verdict `flow` when given, and a `pilot` member."""
    _N[0] += 1
    spec = registry.get(SPEC)
    cfg = RunConfig(spec=SPEC, only=list(only), stages=list(stages), seed=1, out=tmp_path, sut_name=sut,
                    sut_version=version)
    ctx = RunContext(cfg, spec)
    ctx.sut_info = {"kind": "command", "cmd": "vendor-adapter", "name": sut, "version": version}
    verdicts = verdicts or {}
    if pilot is None:
        for name in setup:  # a setup call the run made before its interface (init-auth before heartBeat)
            ctx.record(_result(name, "interface", "pass"))
        for name in (only or IFACES):
            ctx.record(_result(name, "interface", verdicts.get(name, "pass")))
        if flow is not None:
            ctx.record(_result(IFACES[0], "flow", flow))
    else:
        ctx.record(_result(IFACES[4], "pilot", pilot.pop("verdict", "pass")))
    minutes = _N[0] if minutes is None else minutes
    ctx.started = (T0 + dt.timedelta(minutes=minutes)).isoformat()
    ctx.finished = (T0 + dt.timedelta(minutes=minutes, seconds=30)).isoformat()
    model = ctx.model()
    if pilot is not None:
        model["pilot"] = pilot
    out = tmp_path / f"r{_N[0]}"
    write_report(model, out, sign_key=sign_key)
    return out / "report.json"


def _result(interface: str, stage: str, verdict: str):
    problems = [Problem("received nothing, spec requires a call")] if verdict == "fail" else []
    return evaluate(ADAPTER_COMPLETED, problems, interface=interface, stage=stage)


def pilot_report(tmp_path, hours=72.0, exchanges=500, verdict="pass", time_scale=None, **kw) -> Path:
    start = T0 + dt.timedelta(days=2)
    pilot = {"window_start": start.isoformat(), "window_end": (start + dt.timedelta(hours=hours)).isoformat(),
             "exchanges": exchanges, "observed": True, "verdict": verdict}
    if time_scale is not None:
        pilot["time_scale"] = time_scale
    return report(tmp_path, stages=["pilot"], pilot=pilot, **kw)


def _cli(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def _states(board) -> dict[str, str]:
    return {g["stage"]: g["state"] for g in board["stages"]}


# --- the store ------------------------------------------------------------------------------------------------------

def test_schema_is_created_versioned_and_a_newer_schema_refused(home, url):
    with open_campaign(url) as camp:
        assert camp.store.schema_version() == SCHEMA_VERSION
        with camp.store.transaction() as db:
            db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(CampaignError, match="newer than this vconform"):
        open_campaign(url)


def test_board_after_separate_only_runs(home, url, tmp_path, capsys):
    first = report(tmp_path, only=["init-auth"])
    failing = report(tmp_path, only=["getToken"], verdicts={"getToken": "fail"})
    for r in (first, failing):
        assert _cli(capsys, "campaign", "record", str(r), "--campaign", url)[0] == 0
    with open_campaign(url) as camp:
        board = camp.board(SPEC, "GateVendor")
    rows = {r["interface"]: r for r in board["interfaces"]}
    assert rows["init-auth"]["verdict"] == "pass" and rows["init-auth"]["report"] == str(first.resolve())
    assert rows["getToken"]["verdict"] == "fail" and rows["getToken"]["sut_version"] == "1.0"
    assert rows["getToken"]["tool_version"] and rows["enterprise"]["verdict"] == "not run"
    # a later --only getToken run updates getToken alone
    fixed = report(tmp_path, only=["getToken"])
    code, out = _cli(capsys, "campaign", "record", str(fixed), "--campaign", url)
    assert code == 0 and "recorded: yunnan GateVendor 1.0" in out and "--only getToken" in out
    with open_campaign(url) as camp:
        rows = {r["interface"]: r for r in camp.board(SPEC, "GateVendor")["interfaces"]}
    assert rows["getToken"]["verdict"] == "pass" and rows["getToken"]["report"] == str(fixed.resolve())
    assert rows["init-auth"]["report"] == str(first.resolve())
    # recording the same report again changes nothing
    code, out = _cli(capsys, "campaign", "record", str(fixed), "--campaign", url)
    assert code == 0 and "already recorded" in out
    with open_campaign(url) as camp:
        assert len(camp.runs(SPEC, "GateVendor")) == 3
    code, out = _cli(capsys, "campaign", "status", SPEC, "--sut", "GateVendor", "--campaign", url)
    assert code == 0 and "getToken" in out and "not run" in out and "OPEN" in out


def test_setup_calls_of_an_only_run_do_not_count(home, url, tmp_path, capsys):
    """tester12 D1: `--only heartBeat` files init-auth's setup registration as an interface-stage entry; it must
    not turn a failed init-auth row to pass."""
    failed = report(tmp_path, only=["init-auth"], verdicts={"init-auth": "fail"})
    beat = report(tmp_path, only=["heartBeat"], setup=["init-auth"])
    for r in (failed, beat):
        assert _cli(capsys, "campaign", "record", str(r), "--campaign", url)[0] == 0
    with open_campaign(url) as camp:
        rows = {r["interface"]: r for r in camp.board(SPEC, "GateVendor")["interfaces"]}
    assert rows["init-auth"]["verdict"] == "fail" and rows["init-auth"]["report"] == str(failed.resolve())
    assert rows["heartBeat"]["verdict"] == "pass" and rows["heartBeat"]["report"] == str(beat.resolve())
    # a full run (no --only) counts every interface it judged
    full = report(tmp_path, setup=["init-auth"])
    assert _cli(capsys, "campaign", "record", str(full), "--campaign", url)[0] == 0
    with open_campaign(url) as camp:
        rows = {r["interface"]: r for r in camp.board(SPEC, "GateVendor")["interfaces"]}
    assert rows["init-auth"]["verdict"] == "pass" and rows["init-auth"]["report"] == str(full.resolve())


def test_gates_refused_in_order_with_reasons(home, url, tmp_path, capsys):
    def gate(stage, *extra):
        return _cli(capsys, "campaign", "gate", SPEC, "--sut", "GateVendor", "--stage", stage, "--campaign", url,
                    *extra)

    def record(path):
        assert _cli(capsys, "campaign", "record", str(path), "--campaign", url)[0] == 0

    # a full run whose flow passed, while an interface failed: interface open, flow refused though its run passed
    record(report(tmp_path, verdicts={"heartBeat": "fail"}, flow="pass"))
    code, out = gate("interface")
    assert code == 1 and "heartBeat (fail)" in out and "1 of 14" in out
    code, out = gate("flow")
    assert code == 1 and "refused" in out and "the interface stage is open" in out and "waits for it" in out
    code, out = gate("go-live")
    assert code == 1 and "the interface stage is open" in out

    # the interface fixed in a separate run: interface passes (two runs), flow passes from the earlier full run
    record(report(tmp_path, only=["heartBeat"]))
    assert gate("interface")[0] == 0
    code, out = gate("flow")
    assert code == 0 and "full run" in out
    code, out = gate("pilot")
    assert code == 1 and "no pilot report" in out and ">= 72h" in out
    assert "the pilot stage is open" in gate("go-live")[1]

    # a partial --stage flow run does not count as the full business flow; a later failing full run takes it back
    record(report(tmp_path, only=[], stages=["flow"], flow="pass"))
    record(report(tmp_path, flow="fail"))
    code, out = gate("flow")
    assert code == 1 and "flow fail" in out
    record(report(tmp_path, flow="pass"))
    assert gate("flow")[0] == 0

    # pilot: too short a window, then the window shortened by configuration; too few exchanges; a violation
    record(pilot_report(tmp_path, hours=1))
    code, out = gate("pilot")
    assert code == 1 and "less than the configured window 72h" in out
    assert gate("pilot", "--pilot-window", "10m")[0] == 0
    code, out = gate("pilot", "--pilot-window", "10m", "--pilot-min-exchanges", "1000")
    assert code == 1 and "fewer than the configured minimum 1000" in out
    assert gate("go-live", "--pilot-window", "10m")[0] == 0
    record(pilot_report(tmp_path, hours=80, verdict="fail"))
    code, out = gate("pilot")
    assert code == 1 and "verdict fail" in out
    record(pilot_report(tmp_path, hours=80))
    assert gate("pilot")[0] == 0 and gate("go-live")[0] == 0
    record(pilot_report(tmp_path, hours=80, time_scale=60))  # observe mode's member: the feed's timers sped up
    code, out = gate("pilot")
    assert code == 0 and "60 times faster (a shortened pilot)" in out
    with open_campaign(url) as camp:
        assert _states(camp.board(SPEC, "GateVendor")) == dict.fromkeys(("interface", "flow", "pilot", "go-live"),
                                                                         "passed")


def test_a_new_sut_version_reopens_every_stage(home, url, tmp_path, capsys):
    for path in (report(tmp_path, flow="pass"), pilot_report(tmp_path)):
        assert _cli(capsys, "campaign", "record", str(path), "--campaign", url)[0] == 0
    with open_campaign(url) as camp:
        assert _states(camp.board(SPEC, "GateVendor"))["go-live"] == "passed"
    newer = report(tmp_path, version="1.1", only=["init-auth"], minutes=10_000)
    assert _cli(capsys, "campaign", "record", str(newer), "--campaign", url)[0] == 0
    with open_campaign(url) as camp:
        board = camp.board(SPEC, "GateVendor")
        assert board["version"] == "1.1" and board["versions"] == ["1.0", "1.1"]
        assert _states(board) == {"interface": "open", "flow": "refused", "pilot": "refused", "go-live": "refused"}
        reason = board["stages"][0]["reason"]
        assert "13 of 14" in reason and "a new version reopens every stage" in reason and "1.0" in reason
        # the board still shows the older version's results, with their version
        rows = {r["interface"]: r for r in board["interfaces"]}
        assert rows["init-auth"]["sut_version"] == "1.1" and rows["getToken"]["sut_version"] == "1.0"
        # the older version keeps its own gates
        assert _states(camp.board(SPEC, "GateVendor", version="1.0"))["go-live"] == "passed"
    code, out = _cli(capsys, "campaign", "gate", SPEC, "--sut", "GateVendor", "--stage", "go-live", "--campaign", url)
    assert code == 1 and "1.1" in out


def test_tampered_unsigned_and_untrusted_reports_are_refused(home, url, tmp_path, capsys):
    tampered = report(tmp_path, verdicts={"getToken": "fail"})
    data = json.loads(tampered.read_text(encoding="utf-8"))
    for item in data["interfaces"]:
        item["verdict"] = "pass"
    tampered.write_text(json.dumps(data), encoding="utf-8")
    code, out = _cli(capsys, "campaign", "record", str(tampered), "--campaign", url)
    assert code == 1 and "REFUSED" in out and "changed since signing" in out

    unsigned = report(tmp_path)
    data = json.loads(unsigned.read_text(encoding="utf-8"))
    del data["signature"]
    unsigned.write_text(json.dumps(data), encoding="utf-8")
    code, out = _cli(capsys, "campaign", "record", str(unsigned), "--campaign", url)
    assert code == 1 and "not signed" in out

    foreign_pem = tmp_path / "vendor.pem"
    foreign = Ed25519PrivateKey.generate()
    foreign_pem.write_bytes(foreign.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    by_vendor = report(tmp_path, sign_key=str(foreign_pem))
    code, out = _cli(capsys, "campaign", "record", str(by_vendor), "--campaign", url)
    assert code == 1 and "UNTRUSTED" in out
    with open_campaign(url) as camp:
        assert camp.runs(SPEC, "GateVendor") == []
    # trusted explicitly, the same report is evidence
    pub = base64.b64encode(foreign.public_key().public_bytes(serialization.Encoding.Raw,
                                                             serialization.PublicFormat.Raw)).decode()
    assert _cli(capsys, "campaign", "record", str(by_vendor), "--campaign", url, "--key", pub)[0] == 0


def test_a_report_must_name_its_sut_and_cannot_be_renamed(home, url, tmp_path, capsys):
    anonymous = pilot_report(tmp_path, sut="", version="")
    code, out = _cli(capsys, "campaign", "record", str(anonymous), "--campaign", url)
    assert code == 1 and "names no SUT name" in out
    code, out = _cli(capsys, "campaign", "record", str(anonymous), "--campaign", url, "--sut", "GateVendor",
                     "--sut-version", "1.0")
    assert code == 0
    named = report(tmp_path)
    code, out = _cli(capsys, "campaign", "record", str(named), "--campaign", url, "--sut", "Other")
    assert code == 1 and "cannot rename" in out


def test_harness_errors_exit_2(home, tmp_path, capsys):
    not_db = tmp_path / "notes.txt"
    not_db.write_text("hello", encoding="utf-8")
    code, out = _cli(capsys, "campaign", "status", SPEC, "--sut", "X", "--campaign", str(not_db))
    assert code == 2 and "not an SQLite database" in out
    # tester12 D8: a read-only command on a database that does not exist says so and creates nothing
    typo = tmp_path / "typo" / "c.sqlite"
    for cmd in (("status",), ("gate", "--stage", "flow")):
        code, out = _cli(capsys, "campaign", *cmd, SPEC, "--sut", "X", "--campaign", str(typo))
        assert code == 2 and f"no campaign database at {typo}" in out
    assert not typo.parent.exists()
    code, out = _cli(capsys, "campaign", "record", str(tmp_path / "nothere.json"), "--campaign", str(typo))
    assert code == 2 and "no such report.json" in out and not typo.parent.exists()
    open_campaign(str(tmp_path / "c.sqlite")).close()
    code, out = _cli(capsys, "campaign", "status", SPEC, "--sut", "X", "--campaign", str(tmp_path / "c.sqlite"))
    assert code == 2 and "no run of SUT 'X'" in out
    code, out = _cli(capsys, "campaign", "gate", "nosuchspec", "--sut", "X", "--stage", "flow", "--campaign",
                     str(tmp_path / "c.sqlite"))
    assert code == 2
    code, out = _cli(capsys, "campaign", "status", SPEC, "--sut", "X", "--campaign",
                     f"postgresql://nobody@127.0.0.1:{_free_port()}/none")
    assert code == 2 and "cannot connect" in out
    code, out = _cli(capsys, "run", SPEC, "--only", "init-auth", "--out", str(tmp_path / "o"), "--campaign",
                     str(tmp_path / "c.sqlite"))
    assert code == 2 and "--sut-name and --sut-version" in out


# --- the go-live certificate ----------------------------------------------------------------------------------------

def test_certificate_refused_before_go_live_then_signed_and_verified(home, url, tmp_path, capsys):
    cert = ["campaign", "certificate", SPEC, "--sut", "GateVendor", "--version", "1.0", "--campaign", url,
            "--pilot-window", "10m"]
    assert _cli(capsys, "campaign", "record", str(report(tmp_path, flow="pass")), "--campaign", url)[0] == 0
    code, out = _cli(capsys, *cert, "--out", str(tmp_path / "early"))
    assert code == 1 and "go-live is not reached" in out and "pilot stage open" in out
    assert not (tmp_path / "early" / "certificate.json").exists()

    pilot = pilot_report(tmp_path, hours=1, exchanges=150)
    assert _cli(capsys, "campaign", "record", str(pilot), "--campaign", url)[0] == 0
    code, out = _cli(capsys, *cert, "--out", str(tmp_path / "cert"))
    assert code == 0, out
    cj, ch = tmp_path / "cert" / "certificate.json", tmp_path / "cert" / "certificate.html"
    model = json.loads(cj.read_text(encoding="utf-8"))
    assert model["kind"] == "certificate" and model["sut"] == {"name": "GateVendor", "version": "1.0"}
    assert [s["stage"] for s in model["stages"]] == ["interface", "flow", "pilot", "go-live"]
    assert all(s["state"] == "passed" and s["at"] for s in model["stages"])
    pilot_ev = model["stages"][2]["evidence"][0]
    assert pilot_ev["pilot"]["exchanges"] == 150 and len(pilot_ev["report_sha256"]) == 64
    assert model["pilot_rule"]["window"] == "10m" and model["signature"]["algorithm"] == "Ed25519"
    page = ch.read_text(encoding="utf-8")
    assert "GateVendor" in page and pilot_ev["report_sha256"] in page

    code, out = _cli(capsys, "verify", str(cj))
    assert code == 0 and out.startswith("valid: certificate of GateVendor 1.0")
    assert _cli(capsys, "verify", str(tmp_path / "cert"))[0] == 0  # the folder, as for reports

    # a certificate signed by a key this machine does not trust proves nothing
    other = tmp_path / "other.pem"
    other.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    assert _cli(capsys, *cert, "--out", str(tmp_path / "other"), "--sign-key", str(other))[0] == 0
    code, out = _cli(capsys, "verify", str(tmp_path / "other" / "certificate.json"))
    assert code == 3 and "UNTRUSTED" in out

    # tampering: the JSON (a stage date), then the HTML page
    saved = cj.read_text(encoding="utf-8")
    model["sut"]["version"] = "2.0"
    cj.write_text(json.dumps(model), encoding="utf-8")
    code, out = _cli(capsys, "verify", str(cj))
    assert code == 1 and "INVALID" in out and "changed since signing" in out
    cj.write_text(saved, encoding="utf-8")
    ch.write_text(page.replace("GateVendor", "OtherVendor"), encoding="utf-8")
    code, out = _cli(capsys, "verify", str(cj))
    assert code == 1 and "certificate.html changed since signing" in out


@pytest.mark.parametrize("name", sorted(registry.discover()))
def test_every_registered_spec_has_a_board(home, tmp_path, name):
    """The engine names no spec: a report of any registered spec is recorded and boarded by that spec's interfaces."""
    spec = registry.get(name)
    ctx = RunContext(RunConfig(spec=name, role=spec.roles[0], seed=1, out=tmp_path, sut_name="S", sut_version="1"),
                     spec)
    first = next(iter(spec.interfaces))
    ctx.record(_result(first, "interface", "pass"))
    write_report(ctx.model(), tmp_path / "r")
    with open_campaign(tmp_path / "c.sqlite") as camp:
        camp.record(tmp_path / "r")
        board = camp.board(name, "S")
    assert [r["interface"] for r in board["interfaces"]] == list(spec.interfaces)
    assert board["interfaces"][0]["verdict"] == "pass" and board["stages"][0]["state"] == "open"


def test_pilot_minimum_comes_from_spec_data(tmp_path, monkeypatch):
    from harness import specdata
    from harness.campaign import pilot_rule

    assert (pilot_rule(SPEC).window, pilot_rule(SPEC).min_exchanges) == (72 * 3600, 100)
    folder = registry.get(SPEC).folder
    (tmp_path / folder).mkdir()
    (tmp_path / folder / "campaign.toml").write_text("pilot_window_hours = 24\npilot_min_exchanges = 5000\n")
    monkeypatch.setattr(specdata, "SCHEMAS_DIR", tmp_path)
    specdata.load.cache_clear()
    try:
        rule = pilot_rule(SPEC)
        assert (rule.window, rule.min_exchanges) == (24 * 3600, 5000)
        assert pilot_rule(SPEC, window=600, min_exchanges=7) == type(rule)(600, 7)
    finally:
        specdata.load.cache_clear()

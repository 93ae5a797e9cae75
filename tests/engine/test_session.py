"""The engine's session bases over a toy spec: recording, the adapter check, client actions, the HTTP uploader."""
from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

import pytest
from aiohttp import web

from harness import checks
from harness.adapter import ADAPTER_COMPLETED
from harness.checks import fail, warn
from harness.explore import Outcome
from harness.journal import Exchange, Journal
from harness.registry import SpecInfo
from harness.run import HarnessError, RunConfig, RunContext
from harness.serve import BackgroundServer
from harness.session import ClientSession, Recorder
from harness.uploader import ADMIN, HttpReply, Uploader, normalise_target

TOY = SpecInfo(name="toy", version="1", title_zh="玩具", title_en="Toy", source="none", roles=("client", "server"),
               interfaces={"upload": "toy §1"}, suite_dir=Path("."))
checks.declare("toy.upload.ok", "toy §1", "major", "上传成功", "Upload accepted")


@pytest.fixture
def toy_run(monkeypatch, tmp_path):
    """A RunContext over the toy spec (its profile is just a name: the toy spec has no tables)."""
    monkeypatch.setattr("harness.specdata.profile", lambda spec, name=None: {"name": name or "default"})

    def make(**config) -> RunContext:
        return RunContext(RunConfig(spec="toy", seed=11, out=tmp_path / "out", **config), TOY)

    return make


class Item:
    def evidence(self) -> dict:
        return {"kind": "note", "text": "converted"}


# ---- Recorder ---------------------------------------------------------------------------------------

def test_record_and_skip_go_into_the_run(toy_run):
    vrun = toy_run()
    rec = Recorder(vrun)
    passed = rec.record("toy.upload.ok", [], interface="upload", stage="interface", evidence=[Item(), {"kind": "x"}],
                        pass_message="all 3 held")
    warned = rec.record("toy.upload.ok", [warn("odd", "E-1")], interface="upload", stage="interface")
    failed = rec.record("toy.upload.ok", [fail("refused"), warn("odd")], interface="upload", stage="flow")
    skipped = rec.skip("toy.upload.ok", "no hook", interface="upload", stage="flow")
    assert [r.verdict for r in vrun.results] == ["pass", "warn", "fail", "skip"]
    assert passed.message == "all 3 held" and passed.evidence == [{"kind": "note", "text": "converted"}, {"kind": "x"}]
    assert warned.errata == ["E-1"] and failed.message == "refused; odd" and failed.stage == "flow"
    assert skipped.message == "no hook" and skipped.interface == "upload"
    assert vrun.errata_hit == {"E-1"}


def test_the_adapter_check_is_the_engines_own():
    import suites

    for spec in pkgutil.iter_modules(suites.__path__):  # every spec's check modules, registered
        for mod in pkgutil.iter_modules([str(Path(suites.__path__[0]) / spec.name)]):
            if mod.name.endswith("checks"):
                importlib.import_module(f"suites.{spec.name}.{mod.name}")
    defn = checks.get(ADAPTER_COMPLETED)
    assert defn.id == "adapter.completed" and defn.fn is not None and defn.severity == "major"
    assert not any(c.id.endswith(".adapter.completed") for c in checks.all_checks())  # no spec keeps a copy


# ---- ClientSession -------------------------------------------------------------------------------------

ADAPTER = """
import json, sys, urllib.request
ctx = json.load(open(sys.argv[2], encoding="utf-8"))
p = ctx["params"]
if p.get("send"):
    req = urllib.request.Request(ctx["base_url"] + "/" + sys.argv[1], data=json.dumps(p).encode(),
                                 headers={"Authorization": "Bearer " + ctx["credentials"]["token"]})
    urllib.request.urlopen(req).read()
open(ctx["state_dir"] + "/seen", "a").write(sys.argv[1] + "\\n")
sys.stderr.write("last words\\n")
sys.exit(p.get("exit", 0))
"""


class ToyClient(ClientSession):
    """A toy platform that journals every POST; the session learns the bearer token as a secret."""

    def __init__(self, vrun: RunContext, cmd: list[str]):
        super().__init__(vrun, Journal(None))
        self.server = BackgroundServer(self.app).start()
        self.start_adapter(cmd, "toy", self.server.url, {"token": "secret-token-123"}, timeout=20)

    def app(self) -> web.Application:
        async def handle(request: web.Request) -> web.Response:
            body = await request.text()
            self.journal.record(Exchange("toy", time.time(), "POST", request.path, request.path.strip("/"),
                                         headers=dict(request.headers), request_body=body, status=200))
            return web.json_response({"ok": True})

        app = web.Application()
        app.router.add_post("/{name}", handle)
        return app

    def learn_secrets(self, exchange: Exchange) -> None:
        auth = exchange.headers.get("Authorization", "")
        self.vrun.add_secret(auth.removeprefix("Bearer "))

    def close(self) -> None:
        self.server.stop()
        self.journal.close()
        super().close()


@pytest.fixture
def toy_client(toy_run, tmp_path):
    script = tmp_path / "adapter.py"
    script.write_text(ADAPTER, "utf-8")
    session = ToyClient(toy_run(), [sys.executable, str(script)])
    yield session
    session.close()


def test_act_returns_the_exchanges_the_action_caused_and_learns_secrets(toy_client):
    res, exs = toy_client.act("upload", {"send": True, "n": 1})
    assert res.ok and [e.interface for e in exs] == ["upload"] and json.loads(exs[0].request_body)["n"] == 1
    assert "secret-token-123" in toy_client.vrun.secrets
    res, exs = toy_client.act("upload", {"send": False})
    assert res.ok and exs == []  # only what this action caused
    assert (toy_client.state_dir / "seen").read_text().split() == ["upload", "upload"]  # state kept between actions


def test_completed_judges_the_adapter_under_the_actions_interface(toy_client):
    res, _ = toy_client.act("upload", {"exit": 3})
    result = toy_client.completed(res, interface="upload", stage="interface")
    assert result.id == "adapter.completed" and result.verdict == "fail" and result.interface == "upload"
    assert "exited 3: last words" in result.message and result.evidence[0]["kind"] == "adapter"
    ok, _ = toy_client.act("upload", {})
    assert toy_client.completed(ok, interface="upload", stage="interface").verdict == "pass"
    extra = toy_client.completed(ok, interface="upload", stage="flow", also=[fail("registered nothing")])
    assert extra.verdict == "fail" and extra.message == "registered nothing"


def test_close_removes_the_state_folder(toy_run, tmp_path):
    script = tmp_path / "adapter.py"
    script.write_text(ADAPTER, "utf-8")
    session = ToyClient(toy_run(), [sys.executable, str(script)])
    session.act("upload", {})
    state = session.state_dir
    assert state.exists()
    session.close()
    assert not state.parent.exists()


# ---- Uploader ----------------------------------------------------------------------------------------------

class ToyPlatform:
    """A plain-JSON platform under /toy/api with the admin hook (state and clock), or without it."""

    def __init__(self, journal=None, profile=None, hook: bool = True):
        self.hook, self.clock, self.received = hook, 0.0, []

    def app(self) -> web.Application:
        async def upload(request: web.Request) -> web.Response:
            self.received.append(await request.json())
            if request.headers.get("Authorization") != "Bearer tok-123456":
                return web.json_response({"error": "token"}, status=401)
            return web.json_response({"ok": True, "n": len(self.received)})

        async def admin(request: web.Request) -> web.Response:
            args = await request.json()
            if request.match_info["op"] == "clock":
                self.clock += args["advance"]
            return web.json_response({"ok": True, "state": {"clock": self.clock, "received": len(self.received)}})

        app = web.Application()
        app.router.add_post("/toy/api/upload", upload)
        if self.hook:
            app.router.add_post(ADMIN + "/{op}", admin)
        return app


class ToyUploader(Uploader):
    setup_doc = "docs/toy.md"

    def __init__(self, vrun: RunContext):
        super().__init__(vrun, prefix="/toy/api", embedded=ToyPlatform)


def test_uploader_against_its_embedded_mock(toy_run):
    up = ToyUploader(toy_run())
    try:
        assert up.hook and not up.foreign and up.base.endswith("/toy/api") and up.root + "/toy/api" == up.base
        reply = up.post("/upload", json.dumps({"a": 1}).encode(), {"Authorization": "Bearer tok-123456"},
                        interface="upload", plaintext={"a": 1}, note="first")
        assert isinstance(reply, HttpReply) and reply.accepted and reply.body == {"ok": True, "n": 1}
        assert up.replies == [reply] and reply.seq == 1 and "tok-123456" in up.vrun.secrets
        ev = reply.evidence()
        assert ev["outcome"] == "ok" and ev["request_plaintext"] == {"a": 1} and ev["path"] == "/upload"
        refused = up.post("/upload", b"{}", {}, interface="upload")
        assert not refused.accepted and refused.evidence()["outcome"] == "HTTP 401" and refused.seq == 2
        assert refused.describe() == 'HTTP 401: {"error": "token"}'  # text, not a bytes repr (tester11 D7)
        closed = BackgroundServer(web.Application).start()
        closed.stop()
        lost = up.post("/upload", b"{}", {}, interface="upload", url=closed.url + "/toy/api/upload")
        assert lost.status is None and lost.error and lost.evidence()["outcome"] == "transport_error"
        assert lost.describe().startswith("no answer (") and lost.path == "/toy/api/upload"
        assert up.advance(90) and up.clock == 90 and up.state() == {"clock": 90, "received": 2}  # 3rd got no answer
        assert up.describe_target() == {"kind": "embedded mock", "url": up.base, "admin_hook": True}
    finally:
        up.close()


def test_uploader_against_a_foreign_target_without_the_hook(toy_run):
    platform = ToyPlatform(hook=False)
    srv = BackgroundServer(platform.app).start()
    try:
        up = ToyUploader(toy_run(target=srv.url))
        assert up.foreign and up.base == srv.url + "/toy/api" and not up.hook and up.journal is None
        assert up.admin("state") is None and up.advance(10) is False and up.clock == 0
        reason = up.no_hook_reason("seeding feeds")
        assert reason.startswith("seeding feeds needs the admin hook") and "docs/toy.md" in reason
        assert up.describe_target()["kind"] == "target"
        up.close()
    finally:
        srv.stop()


def test_an_unreachable_target_is_a_harness_error(toy_run):
    srv = BackgroundServer(web.Application).start()
    url = srv.url
    srv.stop()  # the port is free again: nobody answers there
    with pytest.raises(HarnessError, match="cannot reach the target"):
        ToyUploader(toy_run(target=url))


def test_target_urls_get_the_prefix_only_when_bare():
    assert normalise_target("http://10.0.0.5:8080", "/p/q") == "http://10.0.0.5:8080/p/q"
    assert normalise_target("https://h.example/", "/p") == "https://h.example/p"
    assert normalise_target("http://h/mounted/here/", "/p") == "http://h/mounted/here"
    with pytest.raises(HarnessError):
        normalise_target("h:8080", "/p")


def test_an_exploration_is_one_check_with_its_replay(toy_run):
    up = ToyUploader(toy_run())
    try:
        held = up.record_outcome("toy.upload.ok", Outcome(7), interface="upload", stage="interface")
        assert held.verdict == "pass" and held.message == "7 generated examples held"
        failure = AssertionError("refused a valid record")
        failure.replies = [up.post("/upload", b"{}", {}, interface="upload")]
        bad = up.record_outcome("toy.upload.ok", Outcome(3, failure, "Falsifying example: x=1"),
                                interface="upload", stage="interface")
        assert bad.verdict == "fail" and "seed 11" in bad.message and "--only upload" in bad.message
        assert bad.evidence[0]["outcome"] == "HTTP 401" and bad.evidence[-1]["falsifying"] == "Falsifying example: x=1"
        other = up.record_outcome("toy.upload.ok", Outcome(3, failure), interface="stateful", stage="flow")
        assert "--only" not in other.message  # not an interface of the spec: the replay runs everything
    finally:
        up.close()

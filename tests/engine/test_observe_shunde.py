"""Observe mode on the Shunde district platform mock (a JT/T 809 TCP mock): every frame a forwarder sends is judged
with the Shunde client-role checks, the reference forwarder passes clean, broken forwarders of the catalog
(tests/specs/shunde/broken_forwarders.py) fail with their check id, and `report --journal` re-derives the live check
rows exactly (JSON values). The mock's raw fast path stays on for a mock nobody observes."""
from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import socket
from pathlib import Path

import pytest

from harness import observe, specdata
from harness.journal import Journal
from harness.registry import discover
from harness.tcpmock import BackgroundMock
from mocks.shunde.accounts import AccountSheet
from mocks.shunde.platform import DistrictPlatform
from schemas.shunde.datagen import ShundeData, beijing_now
from suites.shunde import observe as sobs
from suites.shunde.forwarder import ForwarderConfig
from suites.shunde.reference_forwarder import ReferenceForwarder
from observe_replay import assert_replay_matches

ROOT = Path(__file__).resolve().parents[2]


def _broken(name: str) -> type:
    spec = importlib.util.spec_from_file_location("broken_forwarders",
                                                  ROOT / "tests" / "specs" / "shunde" / "broken_forwarders.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.VARIANTS[name]


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Site:
    """An observed Shunde mock on loopback (its own loop thread) and one operator's forwarder driven on it."""

    def __init__(self, tmp: Path, forwarder_cls=ReferenceForwarder, profile: str = "default", **overrides):
        self.data = ShundeData(11)
        self.account = self.data.account(down_link_port=free_port())
        self.journal = Journal(tmp / "journal.db")
        prof = specdata.profile("shunde", profile)
        self.mock = DistrictPlatform(journal=self.journal, profile=prof, accounts=AccountSheet([self.account]), seed=3,
                                     overrides=overrides)
        self.spec = discover()["shunde"]
        self.obs = observe.Observer(self.spec, sobs.judge_for_mock(self.mock, prof), journal=self.journal,
                                    profile=profile).attach(self.mock)
        self.bg = BackgroundMock(self.mock).start()
        creds = {**self.account.credentials(), "header": str(prof["header"]), "heartbeat_interval_s": 0.2}
        cfg = ForwarderConfig.from_context({"base_url": self.bg.url, "credentials": creds})
        self.fwd = forwarder_cls(cfg)

    def run(self, coro_fn):
        return self.bg.call(coro_fn(self.fwd), 60)

    def positions(self, n: int = 3, mode: str = "real") -> dict:
        v = self.data.vehicle(self.account.enterprise)
        end = beijing_now(self.mock.clock.now()) - dt.timedelta(seconds=30)
        return {"vehicles": [{**v, "mode": mode, "positions": self.data.track(n, end, 5)}]}

    def close(self, out: Path) -> dict:
        try:
            self.bg.call(self.fwd.close(), 30)
        finally:
            self.bg.stop()
        self.obs.finish()
        model = self.obs.write(out)
        self.journal.close()
        return model


def rows(model: dict) -> dict:
    return {(c["id"], c["interface"]): c for i in model["interfaces"] for c in i["checks"]}


def failed(model: dict) -> set:
    return {cid for (cid, _i), r in rows(model).items() if r["verdict"] == "fail"}


async def _session(fwd, params_list, *, disconnect: bool = True, beats: float = 0.6):
    assert await fwd.connect() == 0
    for params in params_list:
        await fwd.send_positions(params)
    await asyncio.sleep(beats)  # a few 0x1005 on the forwarder's own timer
    if disconnect:
        await fwd.disconnect()


def test_the_reference_forwarder_passes_and_the_journal_rederives_the_same_rows(tmp_path):
    site = Site(tmp_path)
    assert site.mock.raw_view is None  # observed: every frame goes through Journal.record
    site.run(lambda f: _session(f, [site.positions(3), site.positions(7, "history")]))
    live = site.close(tmp_path / "live")
    got = rows(live)
    assert live["verdict"] == "pass", [r["message"] for r in got.values() if r["verdict"] == "fail"]
    assert live["scope"]["stages"] == ["pilot"] and live["pilot"]["observed"] and live["pilot"]["exchanges"] > 10
    for key in [("shunde.login.fields", "connect"), ("shunde.login.accepted", "connect"),
                ("shunde.slave.answered", "connect"), ("shunde.heartbeat.main", "heartbeat"),
                ("shunde.register.sent", "send_positions"), ("shunde.location.valid", "send_positions"),
                ("shunde.location.timely", "send_positions"), ("shunde.history.batch", "send_positions"),
                ("shunde.frame.crc", "send_positions"), ("shunde.header.access_code", "send_positions"),
                ("shunde.disconnect.orderly", "disconnect")]:
        assert got[key]["verdict"] == "pass", key
    assert got[("shunde.location.complete", "send_positions")]["verdict"] == "skip"
    assert got[("shunde.location.complete", "send_positions")]["message"].startswith("needs a stimulus")

    assert_replay_matches(site.spec, tmp_path / "journal.db", tmp_path / "live")


def test_a_mock_not_observed_keeps_its_raw_fast_path(tmp_path):
    mock = DistrictPlatform(journal=Journal(tmp_path / "j.db"), profile="default")
    assert mock.raw_view is not None and not hasattr(mock, "observer")
    assert "record" not in vars(mock.journal)  # the plain method, no hook


def test_positions_before_0x1201_fail_register_sent(tmp_path):
    site = Site(tmp_path, _broken("no-register"))
    site.run(lambda f: _session(f, [site.positions(2)]))
    live = site.close(tmp_path / "live")
    assert failed(live) == {"shunde.register.sent"}, failed(live)
    assert "no 0x1201" in rows(live)[("shunde.register.sent", "send_positions")]["message"]


@pytest.mark.parametrize("variant, check_id", [
    ("wrong-crc", "shunde.frame.crc"),
    ("length-excluding-flags", "shunde.frame.length"),
    ("outside-china", "shunde.location.plausible"),
    ("future-timestamps", "shunde.location.timely"),
    ("history-unsorted", "shunde.history.batch"),
    ("slave-refused", "shunde.slave.answered"),
])
def test_a_broken_forwarder_fails_with_its_check_id(tmp_path, variant, check_id):
    site = Site(tmp_path, _broken(variant))
    mode = "history" if variant == "history-unsorted" else "real"

    async def session(f):
        try:
            await _session(f, [site.positions(12 if mode == "history" else 2, mode)], disconnect=False, beats=0.3)
        except Exception:  # noqa: BLE001 - a forwarder the platform cannot read gets no answers: judged all the same
            pass

    site.run(session)
    live = site.close(tmp_path / "live")
    assert check_id in failed(live), failed(live)
    assert live["verdict"] == "fail"
    again = observe.Observer.replay(site.spec, tmp_path / "journal.db")
    assert check_id in failed(again.model())
    again.journal.close()


def test_no_escaping_fails_escape_over_the_stream(tmp_path):
    site = Site(tmp_path, _broken("no-escaping"))
    pos = site.positions(4)
    for p in pos["vehicles"][0]["positions"]:
        p["direction"] = 0x5D  # a raw 0x5D inside the frame ends it early

    async def session(f):
        try:
            await _session(f, [pos], disconnect=False, beats=0.2)
        except Exception:  # noqa: BLE001
            pass

    site.run(session)
    live = site.close(tmp_path / "live")
    assert "shunde.frame.escape" in failed(live), failed(live)



def test_a_forwarder_without_heartbeats_fails_heartbeat_main_when_the_platform_closes_it_idle(tmp_path):
    site = Site(tmp_path, _broken("no-heartbeat"), idle_timeout_s=1.0, tick_s=0.1)

    async def session(f):
        assert await f.connect() == 0
        await asyncio.sleep(2.5)  # no frame at all: the platform closes the main link idle after 1 s

    site.run(session)
    live = site.close(tmp_path / "live")
    assert "shunde.heartbeat.main" in failed(live), failed(live)
    assert "idle timeout" in rows(live)[("shunde.heartbeat.main", "heartbeat")]["message"]

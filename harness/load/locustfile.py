"""The Locust side of `vconform load`: loaded only by `locust -f` in the master and worker processes it starts.

Nothing else imports this module (Locust monkey-patches the standard library with gevent when it is imported, which
must not happen inside vconform's own process). The master gets the run's options as `--vconform-config JSON`;
Locust hands them to every worker with its spawn message, so a worker on another machine needs nothing but
`vconform load SPEC --worker --master-host HOST`. One Locust user is one simulated enterprise of the spec's load
behaviour (`<suite package>.load.Worker`); each worker sends its judgements (a `Tally` snapshot) with every stats
report, and the master writes the newest snapshot of each worker to `$VCONFORM_LOAD_TALLY` (a private
temporary file: the snapshots hold exchanges in clear).
"""
from __future__ import annotations

import importlib
import itertools
import json
import os
import time

from locust import FastHttpUser, events, task
from locust.runners import MasterRunner, WorkerRunner

from harness.load import keys
from harness.load.http import Answer
from harness.load.tally import Tally

_state: dict = {"worker": None, "tally": None, "counter": itertools.count(), "snapshots": {}}


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    parser.add_argument("--vconform-config", default="", help="vconform load: the run's options (JSON)")


def _config(environment) -> dict:
    text = getattr(environment.parsed_options, "vconform_config", "") if environment.parsed_options else ""
    return json.loads(text) if text else {}


def _behaviour(environment):
    """The spec's per-process Worker, built on first use (after the master's options arrived)."""
    if _state["worker"] is None:
        cfg = _config(environment)
        runner = environment.runner
        index = getattr(runner, "worker_index", 0) if isinstance(runner, WorkerRunner) else 0
        _state["tally"] = Tally(int(cfg.get("sample", 10)))
        module = importlib.import_module(cfg["module"])
        _state["worker"] = module.Worker({**cfg, "worker_index": index}, _state["tally"])
        _state["cfg"], _state["index"] = cfg, index
    return _state["worker"]


@events.report_to_master.add_listener
def _report(client_id, data) -> None:
    if _state["tally"] is not None:
        data["vconform"] = _state["tally"].snapshot()


@events.worker_report.add_listener
def _collect(client_id, data) -> None:
    if "vconform" not in data:
        return
    _state["snapshots"][client_id] = data["vconform"]
    path = os.environ.get("VCONFORM_LOAD_TALLY")
    if path:  # rewritten whole on every report: the newest cumulative snapshot of every worker
        tmp = f"{path}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"workers": _state["snapshots"]}, fh)
        os.replace(tmp, path)


@events.test_start.add_listener
def _master_saw_options(environment, **_kw) -> None:
    if isinstance(environment.runner, MasterRunner) and not _config(environment):
        raise RuntimeError("vconform load: the master was started without --vconform-config")


class _Http:
    """`post(path, body, headers, name, judge) -> Answer` over Locust's client; `judge(answer)` names a refusal,
    which Locust counts as that request's failure (its statistics then show refusals per interface)."""

    def __init__(self, client, base_path: str):
        self.client, self.base_path = client, base_path

    def __call__(self, path: str, body: bytes, headers: dict, name: str, judge) -> Answer:
        t0 = time.perf_counter()
        with self.client.post(self.base_path + path, data=body, headers=headers, name=name,
                              catch_response=True) as resp:
            status = resp.status_code or None
            err = "" if status else f"{type(resp.error).__name__}: {resp.error}" if resp.error else "no answer"
            ans = Answer(status, resp.content or b"", err, (time.perf_counter() - t0) * 1000)
            why = judge(ans)
            if why:
                resp.failure(why)
            else:
                resp.success()
        return ans


class Enterprise(FastHttpUser):
    """One simulated enterprise; its index (and so its key and id) is unique across all workers of the run."""

    host = "http://127.0.0.1"  # replaced by --host, which `vconform load` always gives
    network_timeout = 60.0
    connection_timeout = 60.0
    max_retries = 0
    concurrency = 1  # one connection per enterprise, kept alive between its requests

    def on_start(self) -> None:
        worker = _behaviour(self.environment)
        cfg = _state["cfg"]
        index = _state["index"] + int(cfg.get("workers", 1)) * next(_state["counter"])
        key = keys.load(index, bits=int(cfg.get("key_bits", 2048)), folder=cfg.get("key_dir") or None)
        self.actor = worker.enterprise(index, key, _Http(self.client, cfg.get("base_path", "")))
        self.actor.start()

    def wait_time(self) -> float:
        return self.actor.wait()

    @task
    def step(self) -> None:
        self.actor.step()

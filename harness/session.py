"""Suite sessions: what every spec's session does the same way, whatever the spec and the role.

`Recorder` records check results (and skips) into the run; `ClientSession` adds the client role's half:
it owns the SUT adapter and its state folder, triggers one action at a time and collects the journal
exchanges the action caused, and judges the one engine-owned check `adapter.completed`; `MockClientSession` adds
the HTTP mock the harness serves on loopback. `client_fixture` and `server_fixture` are the bodies of a spec's
session-scoped pytest fixtures (one per role)."""
from __future__ import annotations

import shlex
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Protocol, TypeVar

from harness.adapter import ADAPTER_COMPLETED, DEFAULT_TIMEOUT, Adapter, AdapterResult, completion_problems
from harness.checks import CheckResult, Problem, evaluate, skipped
from harness.journal import Exchange, Journal
from harness.report.redact import is_secret_key
from harness.run import HarnessError, RunContext
from harness.serve import BackgroundServer

S = TypeVar("S")


def _leaves(obj: Any, key: str = "") -> Iterable[tuple[str, Any]]:
    """(key, value) of every scalar in a JSON-like structure, with the key it sits under."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, str(k))
    elif isinstance(obj, list):
        for v in obj:
            yield from _leaves(v, key)
    elif obj is not None and not isinstance(obj, bool):
        yield key, obj


class Recorder:
    """Records check results into the RunContext; the common half of every suite session (client or server role)."""

    def __init__(self, vrun: RunContext):
        self.vrun = vrun

    def record(self, check_id: str, problems: Iterable[Problem] | None, *, interface: str, stage: str,
               evidence: Iterable[Any] = (), pass_message: str = "") -> CheckResult:
        """Evaluate `problems` as `check_id` and keep the result; evidence items are dicts or have `.evidence()`."""
        return self.vrun.record(evaluate(check_id, problems, interface=interface, stage=stage,
                                         evidence=[evidence_of(e) for e in evidence], pass_message=pass_message))

    def skip(self, check_id: str, reason: str, *, interface: str, stage: str) -> CheckResult:
        return self.vrun.record(skipped(check_id, reason, interface=interface, stage=stage))


def evidence_of(item: Any) -> Any:
    """An exchange, reply or adapter result as report evidence (its `.evidence()`); a dict stays as it is."""
    to_evidence = getattr(item, "evidence", None)
    return to_evidence() if callable(to_evidence) else item


class ExchangeLog(Protocol):
    """What a client session needs of a spec's journal: where it stands, and what came after a point."""

    @property
    def last_seq(self) -> int: ...

    def since(self, seq: int) -> list[Exchange]: ...


class ClientSession(Recorder):
    """The client role: the harness plays the platform (a mock journaling into `journal`) and drives the SUT's
    adapter. A spec's session starts its mock, then calls `start_adapter`; `close` removes the state folder."""

    adapter: Adapter
    state_dir: Path

    def __init__(self, vrun: RunContext, journal: ExchangeLog):
        super().__init__(vrun)
        self.journal = journal
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.last_result: AdapterResult | None = None  # the adapter's last call (replay prints what it answered)

    def start_adapter(self, cmd: list[str] | str, spec: str, base_url: str, credentials: dict[str, Any], *,
                      timeout: float | None = None) -> Adapter:
        """The SUT adapter, with a fresh state folder the adapter may keep keys and tokens in for this run.
        Its per-call timeout: `--adapter-timeout`, else the spec's `timeout`, else the engine's default."""
        self._tmp = tempfile.TemporaryDirectory(prefix=f"vconform-{spec}-")
        self.state_dir = Path(self._tmp.name) / "state"
        timeout = self.vrun.config.adapter_timeout or timeout or DEFAULT_TIMEOUT
        self.adapter = Adapter(cmd, spec, base_url, credentials, self.state_dir, timeout=timeout,
                               deadline=self.vrun.deadline_at)
        # Each adapter call's evidence embeds its context; the credentials' secrets are the run's secrets, so the
        # report masks them wherever they are quoted (stderr, messages), not only under their own key.
        for leaf_key, value in _leaves(credentials):
            if is_secret_key(leaf_key):
                self.vrun.add_secret(str(value))
        self.adapter.secrets = self.vrun.secrets  # masked in evidence before its output is cut to a tail
        self.adapter.replay_hint = "vconform replay " + shlex.quote(str(Path(self.vrun.config.out) / "report.json"))
        return self.adapter

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def act(self, action: str, params: Any, *, expect_output: bool = False) -> tuple[AdapterResult, list[Exchange]]:
        """Trigger one action on the SUT; return its result and every exchange it caused (secrets learnt)."""
        seq0 = self.journal.last_seq
        res = self.adapter.run(action, params, expect_output=expect_output)
        self.last_result = res
        exchanges = self.journal.since(seq0)
        for e in exchanges:
            self.learn_secrets(e)
        return res, exchanges

    def learn_secrets(self, exchange: Exchange) -> None:
        """Add the tokens, keys and passwords an exchange carried to the run's redaction list (a spec's hook)."""

    def judging(self, interface: str, res: AdapterResult, exchanges: Iterable[Exchange], *, stage: str) -> Judgement:
        """Start judging one action: its results, `adapter.completed` first; `.add` records the spec's checks."""
        return Judgement(self, interface, res, exchanges, stage=stage)

    def completed(self, res: AdapterResult, *, interface: str, stage: str, also: Iterable[Problem] = (),
                  evidence: Iterable[Any] | None = None) -> CheckResult:
        """The engine's `adapter.completed`: the adapter exited 0 in time (and whatever else `also` adds)."""
        return self.record(ADAPTER_COMPLETED, completion_problems(res) + list(also), interface=interface,
                           stage=stage, evidence=[res] if evidence is None else evidence)


class Judgement(list):
    """The check results of one action, in the order recorded: `adapter.completed` first, then each `add`, which
    records a check with the action's interface and stage and, unless told otherwise, as evidence the adapter's
    result and every exchange of the action (made evidence once, shared by the checks)."""

    def __init__(self, session: ClientSession, interface: str, res: AdapterResult, exchanges: Iterable[Exchange], *,
                 stage: str):
        super().__init__()
        self.session, self.interface, self.stage = session, interface, stage
        self.evidence = [evidence_of(item) for item in (res, *exchanges)]
        self.append(session.completed(res, interface=interface, stage=stage))

    def add(self, check_id: str, problems: Iterable[Problem] | None,
            evidence: Iterable[Any] | None = None) -> CheckResult:
        result = self.session.record(check_id, problems, interface=self.interface, stage=self.stage,
                                     evidence=self.evidence if evidence is None else evidence)
        self.append(result)
        return result


class MockClientSession(ClientSession):
    """The client role against an HTTP mock: the run's journal, the spec's mock built on it (`make_mock(journal)`,
    an object with an aiohttp `.app`) served on loopback at `self.server.url`. The spec's session then seeds its
    data and calls `start_adapter`; `close` stops the server and closes the journal."""

    journal: Journal

    def __init__(self, vrun: RunContext, make_mock: Callable[[Journal], Any]):
        super().__init__(vrun, Journal(vrun.config.journal))
        self.mock = make_mock(self.journal)
        self.server = BackgroundServer(self.mock.app).start()

    def close(self) -> None:
        self.server.stop()
        self.journal.close()
        super().close()


def client_fixture(vrun: RunContext, make_session: Callable[[RunContext, list[str] | str], S],
                   reference_label: str, reference_name: str) -> Iterator[S]:
    """The body of a spec's client-role session fixture (`yield from client_fixture(...)`): the SUT command
    (--sut-cmd, else the spec's reference client, noted for the report), the session on it, closed at the end.
    A session that cannot open its sockets or files is a harness error (exit 2), not a SUT failure."""
    cmd = vrun.client_sut(reference_label, reference_name)
    try:
        session = make_session(vrun, cmd)
    except OSError as exc:
        raise HarnessError(str(exc)) from None
    yield session
    session.close()  # type: ignore[attr-defined]


def server_fixture(vrun: RunContext, make_session: Callable[[RunContext], S], mock_name: str, *,
                   start: bool = True) -> Iterator[S]:
    """The body of a spec's server-role session fixture (`yield from server_fixture(...)`): the session against
    --target (default: the spec's own mock, embedded), the target noted for the report as the SUT (named
    `mock_name` with the tool's version when it is the embedded mock), `start()`ed unless `start` is false,
    closed at the end."""
    cfg = vrun.config
    session = make_session(vrun)
    vrun.sut_info = {**session.describe_target(),  # type: ignore[attr-defined]
                     "name": cfg.sut_name or ("" if cfg.target else mock_name),
                     "version": cfg.sut_version or ("" if cfg.target else cfg.extra.get("tool_version", ""))}
    if start:
        session.start()  # type: ignore[attr-defined]
    yield session
    session.close()  # type: ignore[attr-defined]

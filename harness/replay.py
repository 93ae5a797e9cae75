"""`vconform replay REPORT --call N | --check ID [--sut-cmd CMD]`: re-send one recorded client-role stimulus.

A failing row of a report carries the adapter call that produced it, with the context the adapter received
embedded in its evidence (`kind: adapter`, `call`, `context`, `replay`). Replay takes that stimulus, starts a
fresh mock platform of the report's spec under the report's seed and profile, runs the adapter again (the
report's own SUT command, or `--sut-cmd`) and prints what it answered and the verdicts of the checks that judge
it. Exit 0: the replayed check (`--check`), or every check of the call (`--call`), passes; 1: it fails again;
2: replay could not run (the reason is one line).

Secrets are redacted in the report, so replay never reads them back: what the platform issues (apiKey,
apiSecret, token) comes from the fresh mock, the adapter makes its own keys in a fresh state folder, and the
data the harness gave (credentials, params) is regenerated from the run's seed, which the report records with
the versions that decide generated data (`reproducibility`); under other versions replay refuses. A spec opts
in with `SpecInfo.replay`; the spec decides which stimuli it can rebuild and says precisely why not otherwise."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.adapter import AdapterResult, stderr_lines
from harness.checks import CheckResult


class ReplayError(Exception):
    """Replay cannot run; a one-line reason (exit 2)."""


@dataclass
class Stimulus:
    """One recorded adapter call: its action and context, and the report row it was found in."""

    call: int
    action: str
    context: dict[str, Any]
    check_id: str          # the row's check ("" when found by --call alone)
    interface: str
    stage: str
    verdict: str           # the row's recorded verdict and message
    message: str
    evidence: list[Any] = field(default_factory=list)  # the row's whole evidence (exchanges: faults, outcomes)


@dataclass
class ReplayOutcome:
    """What a spec's replay hook returns: the replayed adapter call, the checks judging it, and notes."""

    adapter: AdapterResult | None
    results: list[CheckResult]
    setup: list[CheckResult] = field(default_factory=list)  # checks of the calls made first (registration)
    notes: list[str] = field(default_factory=list)


def load_report(path: Path) -> dict[str, Any]:
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    try:
        model = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ReplayError(f"{path}: no such file (give a report folder or its report.json)") from None
    except (OSError, ValueError) as exc:
        raise ReplayError(f"{path}: not a readable report.json: {exc}") from None
    if not isinstance(model, dict) or "interfaces" not in model or "spec" not in model:
        raise ReplayError(f"{path}: not a vconform report.json")
    return model


def _adapter_items(check: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in check.get("evidence") or [] if isinstance(e, dict) and e.get("kind") == "adapter"]


def find_stimulus(model: dict[str, Any], *, call: int | None = None, check: str | None = None) -> Stimulus:
    """The stimulus of adapter call `call`, or of the first failing (else warning) row of check `check`."""
    rows = [(i, c) for i in model.get("interfaces", []) for c in i.get("checks", [])]
    if call is not None:
        for want in ("fail", "warn", None):
            for iface, c in rows:
                if want is not None and c.get("verdict") != want:
                    continue
                for item in _adapter_items(c):
                    if item.get("call") == call and isinstance(item.get("context"), dict):
                        return _stimulus(item, c, iface, check_id=check or "")
        raise ReplayError(f"adapter call {call} is not in the report with its context (only failing and warning rows "
                          f"keep it; the report's failure rows name their call)")
    if not check:
        raise ReplayError("give --call N or --check ID")
    same = [(iface, c) for iface, c in rows if c.get("id") == check]
    if not same:
        raise ReplayError(f"check {check} is not in the report")
    for want in ("fail", "warn"):
        for iface, c in same:
            if c.get("verdict") == want:
                items = [x for x in _adapter_items(c) if isinstance(x.get("context"), dict)]
                if items:
                    return _stimulus(items[0], c, iface, check_id=check)
    verdicts = sorted({c.get("verdict", "") for _i, c in same})
    raise ReplayError(f"check {check} has no failing or warning row with an adapter call in the report "
                      f"(its rows: {', '.join(verdicts)}); nothing to replay")


def _stimulus(item: dict[str, Any], row: dict[str, Any], iface: dict[str, Any], *, check_id: str) -> Stimulus:
    ctx = item["context"]
    return Stimulus(call=int(item.get("call") or 0), action=str(item.get("action") or ctx.get("action", "")),
                    context=ctx, check_id=check_id, interface=str(row.get("interface") or iface.get("name", "")),
                    stage=str(row.get("stage") or iface.get("stage", "")), verdict=str(row.get("verdict", "")),
                    message=str(row.get("message", "")), evidence=list(row.get("evidence") or []))


def replay(report: Path, *, call: int | None = None, check: str | None = None, sut_cmd: str | None = None,
           adapter_timeout: float | None = None, out=print) -> int:
    """Run one replay and print it; the exit code (0 passes, 1 fails again). ReplayError: cannot run (exit 2)."""
    import tempfile

    from harness import registry
    from harness.adapter import AdapterNotFound, check_command
    from harness.run import RunConfig, RunContext, versions

    model = load_report(report)
    stim = find_stimulus(model, call=call, check=check)
    name = model["spec"].get("name", "")
    try:
        spec = registry.get(name)
    except KeyError:
        raise ReplayError(f"the report's spec {name!r} is not installed here") from None
    if model.get("role") != "client":
        raise ReplayError("replay re-sends a client-role stimulus; this is a server-role report (rerun its reproduce "
                          "line)")
    if spec.replay is None:
        raise ReplayError(f"{name} has no replay: its actions act on what earlier calls of the run left running; "
                          f"rerun the report's reproduce line: {model.get('reproduce', '')}")
    recorded = model.get("reproducibility") or {}
    here = versions()
    diffs = [f"{k} {here.get(k)} here, {v} in the report" for k, v in recorded.items() if here.get(k) != v]
    if diffs:
        raise ReplayError(f"the data replay regenerates from seed {model.get('seed')} depends on these versions: "
                          f"{'; '.join(diffs)}; install the report's versions to replay")
    cmd: str | list[str] | None = sut_cmd
    sut = model.get("sut") or {}
    if cmd is None and sut.get("kind") == "command":
        cmd = str(sut.get("cmd", ""))
        if "***" in cmd:
            raise ReplayError("the report's SUT command was redacted (it held a secret); give it with --sut-cmd")
    if cmd is not None:
        try:
            check_command(cmd)
        except AdapterNotFound as exc:
            raise ReplayError(f"--sut-cmd: {exc}") from None
    with tempfile.TemporaryDirectory(prefix="vconform-replay-") as tmp:
        cfg = RunConfig(spec=name, role="client", sut_cmd=cmd, seed=int(model["seed"]),
                        profile=str(model.get("profile") or "default"), out=Path(tmp),
                        only=[stim.interface], stages=[stim.stage] if stim.stage else [],
                        adapter_timeout=adapter_timeout)
        vrun = RunContext(cfg, spec)
        vrun.current_stage = stim.stage
        command = vrun.client_sut("the reference adapter", "")
        out(f"replaying adapter call {stim.call} ({stim.action}, stage {stim.stage or '-'}, row {stim.check_id or '-'}"
            f" recorded {stim.verdict.upper()}) against a fresh {name} mock, seed {cfg.seed}, profile {cfg.profile}")
        out(f"  adapter: {command if isinstance(command, str) else ' '.join(command)}")
        try:
            result: ReplayOutcome = spec.replay(vrun, stim, command)
        except AdapterNotFound as exc:
            raise ReplayError(str(exc)) from None
    return _print(stim, result, out)


def _print(stim: Stimulus, result: ReplayOutcome, out) -> int:
    for note in result.notes:
        out(f"  note: {note}")
    for r in result.setup:
        out(f"  setup {r.interface}: {r.id} {r.verdict.upper()}{': ' + r.message if r.message else ''}")
    res = result.adapter
    if res is not None:
        state = "timed out" if res.timed_out else f"exit {res.exit_code}"
        out(f"  {res.action}: {state} in {res.duration_ms / 1000:.1f} s")
        for line in stderr_lines(res.stderr):
            out(f"    stderr| {line}")
        if res.stdout.strip():
            text = res.stdout.strip()
            out(f"    stdout| {text[:300]}{'…' if len(text) > 300 else ''}")
    judged = [r for r in result.results if not stim.check_id or r.id == stim.check_id]
    if stim.check_id and not judged:
        out(f"  {stim.check_id}: not judged by this replay (the stimulus reached no point where it applies)")
        return 1
    for r in result.results:
        mark = "→" if stim.check_id and r.id == stim.check_id else " "
        out(f" {mark} {r.verdict.upper():<4} {r.id}{': ' + r.message if r.message and r.verdict != 'pass' else ''}")
    failed = any(r.verdict == "fail" for r in judged)
    target = stim.check_id or f"call {stim.call}"
    again = "fails again" if failed else "passes"
    out(f"{target}: recorded {stim.verdict.upper()}, replayed {'FAIL' if failed else 'PASS'} ({again})")
    return 1 if failed else 0

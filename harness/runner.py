"""`vconform run`: run a spec's pytest suites with the plugin, then write and sign the report."""
from __future__ import annotations

import contextlib
import io
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

import pytest

from harness import registry, stages
from harness import pytest_plugin
from harness.pytest_plugin import VconformPlugin
from harness.run import HarnessError, RunConfig, RunContext, version_mismatch
from harness.terminal import MAX_CAUSE_LINES, MAX_CAUSES, MAX_HARNESS_ERRORS, ProgressPlugin, fit, harness_reasons, root_causes

PYTEST_USAGE_CODES = {2: "interrupted", 3: "internal error", 4: "usage error", 5: "no tests selected"}


def run(config: RunConfig, *, stream=None) -> int:
    """Run; return 0 (SUT conforms), 1 (it does not) or 2 (the harness could not run). The summary goes to
    `stream`, by default the sys.stdout of the moment (not of import time: a capturing caller swaps it)."""
    stream = stream or sys.stdout
    try:
        spec = registry.get(config.spec)
    except KeyError as exc:
        raise HarnessError(str(exc.args[0])) from None
    if config.role not in spec.roles:
        raise HarnessError(f"{spec.name} has no {config.role!r} role; roles: {', '.join(spec.roles)}")
    unknown = [o for o in config.only if o not in spec.interfaces]
    if unknown:
        raise HarnessError(f"--only {', '.join(unknown)}: not an interface of {spec.name}; "
                           f"known: {', '.join(spec.interfaces)}")
    try:  # the command line checks this already; callers of run() get the same refusal
        stages.require_known(config.stages)
    except stages.UnknownStage as exc:
        raise HarnessError(f"--stage: {exc}") from None
    if config.sut_cmd is not None:  # an empty command must never fall back to the reference client
        from harness.adapter import AdapterNotFound, check_command

        try:
            check_command(config.sut_cmd)
        except AdapterNotFound as exc:
            raise HarnessError(f"--sut-cmd: {exc}") from None
    if config.expect_versions:
        mismatch = version_mismatch(config.expect_versions)
        if mismatch:
            raise HarnessError(mismatch)
    require_writable(config.out)
    ctx = RunContext(config, spec)
    suite_dir = Path(spec.suite_dir)
    args = [str(suite_dir), "-c", str(suite_dir / "pytest.ini"), "--rootdir", str(suite_dir),
            "-p", "no:cacheprovider", "-q", "--tb=short", "--no-header", "--capture=sys",
            f"--hypothesis-seed={config.seed}"]
    scope = partial_note({"scope": ctx.scope()})
    print(f"vconform {spec.name} ({config.role}), seed {config.seed}{scope}: running", file=stream, flush=True)
    signoff_warnings = ctx.signoff_warnings()
    if signoff_warnings:
        print(f"WARNING sign-off: {'; '.join(signoff_warnings)}", file=stream, flush=True)
    # pytest's own report ("28 failed, 35 deselected", tracebacks) is the harness's business, not the vendor's:
    # it is kept aside and shown only when the harness itself failed.
    pytest_out = io.StringIO()
    with contextlib.redirect_stdout(pytest_out), contextlib.redirect_stderr(pytest_out):
        code = pytest.main(args, plugins=[VconformPlugin(ctx), pytest_plugin, DeadlinePlugin(ctx),
                                          ProgressPlugin(ctx, stream)])
    if ctx.remaining() <= 0:
        try:
            ctx.check_deadline()  # notes the deadline as a harness error once
        except HarnessError:
            pass
    if int(code) == 5:
        chosen = ", ".join([f"--stage {x}" for x in config.stages] + [f"--only {x}" for x in config.only])
        ctx.harness_errors.append(f"{spec.name} has no {config.role}-role test for {chosen or 'this run'}: nothing was "
                                  f"judged (`vconform actions {spec.name}` lists the actions; stages differ per role)")
    elif int(code) in PYTEST_USAGE_CODES:
        ctx.harness_errors.append(f"pytest: {PYTEST_USAGE_CODES[int(code)]}")
    from harness.report import ReportContractError, SigningKeyError, write_report

    model = ctx.model(streamed=True)  # the checks and exchanges stay on disk: the writer reads them as it goes
    try:
        paths = write_report(model, config.out, secrets=sorted(ctx.secrets), sign_key=config.sign_key,
                             journal=config.journal)
    except SigningKeyError:
        raise
    except (OSError, sqlite3.Error) as exc:  # the spools are temporary SQLite/files: a full disk is ours, not the SUT's
        raise HarnessError(f"cannot write the report to {config.out}: {exc}") from None
    except ReportContractError as exc:
        raise HarnessError(str(exc)) from None
    print_summary(model, ctx.harness_errors, paths, pytest_out.getvalue(), stream)
    if config.campaign is not None:
        from harness.campaign.cli import record_run

        if not record_run(config, paths, stream):
            return 2
    if ctx.harness_errors:
        return 2
    return 0 if model["verdict"] == "pass" else 1


def print_summary(model: dict, harness_errors: list[str], paths: dict, pytest_output: str, stream) -> None:
    """The end of a run on the terminal: the headline, one line per distinct root cause, harness errors (with the
    tail of pytest's output, kept aside until now), and where the report is."""
    c = model["counts"]
    causes = root_causes(model)
    print(f"vconform {model['spec']['name']} ({model['role']}): {model['verdict'].upper()}{partial_note(model)} — "
          f"{c['pass']} pass, {c['fail']} fail, {c['warn']} warn, {c['skip']} skip"
          + (f"; {len(causes)} distinct cause(s):" if causes else ""), file=stream)
    shown = used = 0
    for cause in causes[:MAX_CAUSES]:
        text = cause.line()
        if shown and used + text.count("\n") + 1 > MAX_CAUSE_LINES:
            break  # a narrow terminal wraps causes onto several lines: the summary stays on one screen
        print(text, file=stream)
        shown, used = shown + 1, used + text.count("\n") + 1
    if len(causes) > shown:
        print(f"  ... and {len(causes) - shown} more distinct cause(s), often consequences of the first: "
              f"see the report", file=stream)
    errors, unexplained = harness_reasons(harness_errors, _harness_error_kinds())
    for err in errors[:MAX_HARNESS_ERRORS]:
        print(fit(f"  HARNESS ERROR {err}"), file=stream)
    if len(errors) > MAX_HARNESS_ERRORS:
        print(f"  ... and {len(errors) - MAX_HARNESS_ERRORS} more harness error(s) in the report", file=stream)
    # pytest's summary only helps with an exception the harness did not explain (a bug in it); a harness error
    # with its reason ("cannot reach the target ...") says all there is to say.
    if unexplained and pytest_output.strip():
        tail = [line for line in pytest_output.splitlines() if line.strip()][-12:]
        print("  pytest output (last lines):", file=stream)
        for line in tail:
            print(f"    {line[:200]}", file=stream)
    print(f"report: {paths['html']}  (json: {paths['json']}, junit: {paths['junit']})", file=stream)
    print(f"reproduce: {model['reproduce']}", file=stream)


def _harness_error_kinds() -> set[str]:
    """Names of the exceptions that carry their own one-line reason: HarnessError and its subclasses."""
    kinds, todo = set(), [HarnessError]
    while todo:
        cls = todo.pop()
        kinds.add(cls.__name__)
        todo += cls.__subclasses__()
    return kinds


def partial_note(model: dict) -> str:
    """The headline's mark of a run restricted with --only/--stage ("" for a full run)."""
    scope = model.get("scope") or {}
    if not scope.get("partial"):
        return ""
    parts = [f"--only {', '.join(scope['only'])}"] if scope.get("only") else []
    parts += [f"--stage {', '.join(scope['stages'])}"] if scope.get("stages") else []
    return f" (PARTIAL RUN: {'; '.join(parts)} — not a full certification)"


def require_writable(out: Path) -> None:
    """Refuse, before anything runs, a report folder that cannot be created or written."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise HarnessError(f"--out {out}: exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".vconform-write-test-", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise HarnessError(f"--out {out}: cannot write the report there: {exc.strerror or exc}") from None


class DeadlinePlugin:
    """Ends the run at its deadline: no further test starts, and the run's verdict is `error`."""

    def __init__(self, ctx: RunContext):
        self.ctx = ctx

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        if self.ctx.remaining() > 0:
            return None
        try:
            self.ctx.check_deadline()
        except HarnessError as exc:
            item.session.shouldstop = str(exc)
        return True  # the test is not run

"""`vconform run`: run a spec's pytest suites with the plugin, then write and sign the report."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from harness import registry, stages
from harness import pytest_plugin
from harness.pytest_plugin import VconformPlugin
from harness.run import HarnessError, RunConfig, RunContext

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
    ctx = RunContext(config, spec)
    suite_dir = Path(spec.suite_dir)
    args = [str(suite_dir), "-c", str(suite_dir / "pytest.ini"), "--rootdir", str(suite_dir),
            "-p", "no:cacheprovider", "-q", "--tb=line", "--no-header", f"--hypothesis-seed={config.seed}"]
    code = pytest.main(args, plugins=[VconformPlugin(ctx), pytest_plugin])
    if int(code) in PYTEST_USAGE_CODES:
        ctx.harness_errors.append(f"pytest: {PYTEST_USAGE_CODES[int(code)]}")
    from harness.report import SigningKeyError, write_report

    model = ctx.model()
    try:
        paths = write_report(model, config.out, secrets=sorted(ctx.secrets), sign_key=config.sign_key,
                             journal=config.journal)
    except SigningKeyError:
        raise
    except OSError as exc:
        raise HarnessError(f"cannot write the report to {config.out}: {exc}") from None
    c = model["counts"]
    print(f"\nvconform {spec.name} ({config.role}): {model['verdict'].upper()} — "
          f"{c['pass']} pass, {c['fail']} fail, {c['warn']} warn, {c['skip']} skip", file=stream)
    for r in ctx.failures():
        print(f"  FAIL {r.id} [{r.spec_ref}] {r.interface}: {r.message[:200]}", file=stream)
    for err in ctx.harness_errors:
        print(f"  HARNESS ERROR {err}", file=stream)
    print(f"report: {paths['html']}  (json: {paths['json']}, junit: {paths['junit']})", file=stream)
    print(f"reproduce: {model['reproduce']}", file=stream)
    if ctx.harness_errors:
        return 2
    return 0 if model["verdict"] == "pass" else 1

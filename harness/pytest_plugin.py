"""The pytest plugin that runs a spec's suites inside `vconform run` and feeds their checks to the report."""
from __future__ import annotations

import pytest

from harness import stages
from harness.checks import CheckResult
from harness.run import RunContext


class SutFailure(AssertionError):
    """A test ended because the SUT failed checks (as opposed to the harness failing)."""


CTX_KEY = pytest.StashKey[RunContext]()


@pytest.fixture(scope="session")
def vrun(request: pytest.FixtureRequest) -> RunContext:
    """The run's context: config, profile, and where the suites record their check results."""
    return request.config.stash[CTX_KEY]


class VconformPlugin:
    """Selects by role, stage and --only, and tells harness errors from SUT failures.

    The runner registers this module too, so its module-level `vrun` fixture reaches the suites
    (fixtures defined as methods of a plugin instance are deprecated in pytest 9.2)."""

    def __init__(self, ctx: RunContext):
        self.ctx = ctx

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[CTX_KEY] = self.ctx
        config.addinivalue_line("markers", "role(name): the role (client/server) a conformance test belongs to")
        config.addinivalue_line("markers", "interface(name): the spec interface a test exercises (for --only)")
        config.addinivalue_line("markers", f"stage(name): the stage a test belongs to: {', '.join(stages.names())}")
        # A conformance run is replayed by its --seed, not by an example database: leave no .hypothesis/ folder
        # in the directory the user ran `vconform run` from.
        from hypothesis import settings
        from hypothesis.configuration import set_hypothesis_home_dir

        from harness.report.sign import home_dir

        self._outer_profile = settings._current_profile  # restored at the end: a run may be called in-process
        settings.register_profile("vconform-run", database=None)
        settings.load_profile("vconform-run")
        set_hypothesis_home_dir(str(home_dir() / "hypothesis"))  # its caches go with vconform's per-user state

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        from hypothesis import settings
        from hypothesis.configuration import set_hypothesis_home_dir

        settings.load_profile(getattr(self, "_outer_profile", "default") or "default")
        set_hypothesis_home_dir(None)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """Refuse a test without a known stage; keep the selected role, stages and interfaces, in stage order."""
        bad = []
        for item in items:
            stage = _stage(item)
            if stage is None:
                bad.append(f"{item.nodeid}: no stage marker; known stages: {', '.join(stages.names())}")
            elif stage not in stages.names():
                bad.append(f"{item.nodeid}: unknown stage {stage!r}; known: {', '.join(stages.names())}")
        if bad:
            self.ctx.harness_errors.extend(bad)
            raise pytest.UsageError(f"{len(bad)} conformance test(s) without a known stage; first: {bad[0]}")
        cfg = self.ctx.config
        keep, drop = [], []
        for item in items:
            role = item.get_closest_marker("role")
            iface = item.get_closest_marker("interface")
            ok = role is None or role.args[0] == cfg.role
            if ok and cfg.stages:
                ok = _stage(item) in cfg.stages
            if ok and cfg.only:
                ok = iface is not None and iface.args[0] in cfg.only
            (keep if ok else drop).append(item)
        keep.sort(key=lambda item: stages.rank(_stage(item)))  # stable: file order within a stage
        if drop:
            config.hook.pytest_deselected(items=drop)
        items[:] = keep

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.ctx.current_stage = _stage(item) or ""

    def pytest_exception_interact(self, node, call, report) -> None:
        exc = call.excinfo.value if call.excinfo else None
        if isinstance(exc, AssertionError) or exc is None:
            return
        if isinstance(exc, (pytest.skip.Exception, pytest.fail.Exception)):
            return  # pytest.fail() marks a SUT failure already recorded as checks (e.g. registration failed)
        self.ctx.harness_errors.append(f"{node.nodeid}: {type(exc).__name__}: {exc}")


def _stage(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("stage")
    return marker.args[0] if marker and marker.args else None


def require(ctx: RunContext, results: list[CheckResult]) -> None:
    """End a conformance test as failed (AssertionError) when any of its checks failed."""
    fails = [r for r in results if r.verdict == "fail"]
    if fails:
        raise SutFailure("; ".join(f"{r.id} [{r.spec_ref}]: {r.message[:300]}" for r in fails))

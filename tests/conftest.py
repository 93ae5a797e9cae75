"""Project-test plumbing: the catalog runner's fixture and the `proves` mark's enforcement."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/catalog.py and tests/proving.py

import catalog  # noqa: E402
import proving  # noqa: E402


_HOME: list[str] = []


def pytest_configure(config):
    """Each test process (each xdist worker) keeps vconform's per-user state ($VCONFORM_HOME: the signing key,
    trust list, key caches) in a folder of its own, so two workers never race to create one key and a test run
    never writes into the tester's ~/.vconform. A test that needs its own home still sets the variable."""
    # An xdist worker gets COLUMNS=80 and LINES=24 from xdist; the commands tests start would lay out their terminal
    # output for 80 columns, not as they do under plain pytest: the worker takes back what the controller had.
    if "PYTEST_XDIST_WORKER" not in os.environ:
        os.environ["VCONFORM_TESTS_TERMINAL"] = f"{os.environ.get('COLUMNS', '')},{os.environ.get('LINES', '')}"
    elif "VCONFORM_TESTS_TERMINAL" in os.environ:
        for name, value in zip(("COLUMNS", "LINES"), os.environ["VCONFORM_TESTS_TERMINAL"].split(",")):
            if value:
                os.environ[name] = value
            else:
                os.environ.pop(name, None)
    if not _HOME:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        _HOME.append(tempfile.mkdtemp(prefix=f"vconform-tests-{worker}-"))
        os.environ["VCONFORM_HOME"] = _HOME[0]


def pytest_unconfigure(config):
    if _HOME:
        shutil.rmtree(_HOME.pop(), ignore_errors=True)


@pytest.fixture(scope="module")
def catalog_runs(request, tmp_path_factory):
    """The catalog entries of this module's tests. In-process (default) each test runs its own entry when it asks;
    in subprocess mode (VCONFORM_CATALOG_SUBPROCESS=1) outside xdist every entry selected in this module starts at
    once, two at a time. Module scope: an entry asked for by two tests of the module runs once."""
    entries = {}
    for item in request.session.items:
        if item.module is not request.module:
            continue
        entry = getattr(getattr(item, "callspec", None), "params", {}).get("entry")
        if isinstance(entry, catalog.Entry):
            entries[entry.key] = entry
    ahead = catalog.subprocess_mode() and not os.environ.get("PYTEST_XDIST_WORKER")
    runs = catalog.Runs(list(entries.values()), tmp_path_factory.mktemp("catalog"), ahead=ahead)
    yield runs
    runs.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A test marked `proves(ids...)` must have called `proving.assert_fails` for each id it names."""
    ids = {i for m in item.iter_markers("proves") for i in m.args}
    if not ids:
        return (yield)
    proving.start()
    try:
        res = yield
    finally:
        proven = proving.stop()
    missing = ids - proven
    if missing:
        raise AssertionError(f"marked proves({', '.join(sorted(missing))}) but never asserted that it fails "
                             f"(proving.assert_fails)")
    return res

"""The wheel is a working tool (issue 7 §7): built from the tree, installed into a fresh virtualenv outside it,
it runs Yunnan and Shunde from a directory outside the tree, with the embedded reference SUTs.

A clean install resolves the wheel's dependencies from the package index (about 30 s here); the two runs take
about 10 s each."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("harness", "mocks", "schemas", "suites")

pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    """The environment without anything that would let the source tree leak into the installed tool."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built from a copy of the tree: an in-tree build leaves build/ behind, whose stale files would ship."""
    src = tmp_path_factory.mktemp("src")
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, src / pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(src), "-w", str(out)],
                   check=True, env=_env(), cwd=out, timeout=600)
    (whl,) = out.glob("vconform-*.whl")
    return whl


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh virtualenv (no system site-packages) with the wheel and its dependencies; returns its bin dir."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run([str(bindir / "python"), "-m", "pip", "install", "-q", str(wheel)], check=True, env=_env(),
                   cwd=env_dir, timeout=900)
    return bindir


def test_every_data_file_of_the_tree_is_in_the_wheel(wheel):
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    in_tree = {p.relative_to(ROOT).as_posix() for pkg in PACKAGES for p in (ROOT / pkg).rglob("*")
               if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    assert {"suites/yunnan/pytest.ini", "suites/shunde/pytest.ini", "harness/report/templates/report.html.j2"} <= in_tree
    assert sorted(in_tree - in_wheel) == []


def test_installed_tool_runs_outside_the_tree(installed, tmp_path):
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run([str(installed / "python"), "-c", "import harness, suites; print(harness.__file__)"],
                           capture_output=True, text=True, env=_env(), cwd=work, check=True).stdout.strip()
    assert not Path(where).resolve().is_relative_to(ROOT), where
    for spec, extra in (("yunnan", ["--stage", "interface"]), ("shunde", [])):
        out = work / spec
        proc = subprocess.run([str(installed / "vconform"), "run", spec, *extra, "--out", str(out), "--seed", "7"],
                              capture_output=True, text=True, env=_env(), cwd=work, timeout=600)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        report = json.loads((out / "report.json").read_text("utf-8"))
        assert report["verdict"] == "pass" and report["counts"]["pass"] > 0
        # the embedded default SUT (`python -m suites.<spec>.reference_...`) ran from the installed package
        assert report["sut"]["kind"] == "reference"
        assert (out / "report.html").is_file() and (out / "junit.xml").is_file()
    yunnan_stages = json.loads((work / "yunnan" / "report.json").read_text("utf-8"))["stages"]
    assert [s["name"] for s in yunnan_stages] == ["interface"]

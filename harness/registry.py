"""Spec registry: specs register themselves (a `SPEC` in suites/<spec>/spec.py, or a `vconform.specs` entry point)."""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Callable


@dataclass
class SpecInfo:
    """What the engine needs to know about one spec; everything else lives in the spec's own folders."""

    name: str
    version: str
    title_zh: str
    title_en: str
    source: str
    roles: tuple[str, ...]
    interfaces: dict[str, str]                 # interface/action name -> section
    suite_dir: Path
    reference_cmd: Callable[[], list[str]] | None = None   # embedded default SUT, client role
    make_mock: Callable[..., Any] | None = None           # (journal, profile, clock) -> mock with .app()
    mock_scheme: str = "http"
    action_schema: Callable[[str], dict] | None = None
    requirements: dict[str, list[str]] = field(default_factory=dict)  # clause -> check ids
    add_cli: Callable[[Any], None] | None = None          # adds spec-specific sub-commands (`vconform shunde ...`)

    def section_of(self, interface: str) -> str:
        return self.interfaces.get(interface, "")

    def coverage(self, check_ids: list[str]) -> list[dict[str, Any]]:
        ran = set(check_ids)
        return [{"clause": clause, "checks": ids, "covered": bool(ran.intersection(ids))}
                for clause, ids in self.requirements.items()]


_SPECS: dict[str, SpecInfo] = {}


def register(info: SpecInfo) -> SpecInfo:
    _SPECS[info.name] = info
    return info


def discover() -> dict[str, SpecInfo]:
    """Find every spec: the suites package's own spec modules, then installed entry points."""
    if _SPECS:
        return _SPECS
    import suites

    for mod in pkgutil.iter_modules(suites.__path__):
        if mod.ispkg:
            try:
                m = importlib.import_module(f"suites.{mod.name}.spec")
            except ModuleNotFoundError:
                continue
            if isinstance(getattr(m, "SPEC", None), SpecInfo):
                register(m.SPEC)
    for ep in entry_points(group="vconform.specs"):
        if ep.name not in _SPECS:
            obj = ep.load()
            if isinstance(obj, SpecInfo):
                register(obj)
    return _SPECS


def get(name: str) -> SpecInfo:
    specs = discover()
    if name not in specs:
        raise KeyError(f"unknown spec {name!r}; known: {', '.join(sorted(specs)) or 'none'}")
    return specs[name]

"""Spec registry: specs register themselves (a `SPEC` in suites/<spec>/spec.py, or a `vconform.specs` entry point).

A spec *document* may define several platforms, its *levels* (e.g. a city platform for enterprise gates and a
provincial platform for city platforms). Each level registers its own SpecInfo, named `<document>-<level>`;
all levels of a document share its data folder (schemas/<folder>/: errata register, code tables, profiles,
generated schemas). A single-platform document registers one SpecInfo without a level, named after the
document. The command line takes either form: `DOC-city`, or `DOC --level city`.
"""
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
    add_cli: Callable[[Any], None] | None = None          # adds spec-specific sub-commands (`vconform SPEC ...`)
    replay: Callable[..., Any] | None = None   # client role: re-sends one recorded stimulus (harness/replay.py)
    document: str = ""   # the spec document this platform belongs to; default: the name
    level: str = ""      # the platform within the document ("city", "province"); "" for a single-platform spec
    folder: str = ""     # the document's data folder under schemas/; default: the document

    def __post_init__(self) -> None:
        self.document = self.document or self.name
        self.folder = self.folder or self.document
        expected = f"{self.document}-{self.level}" if self.level else self.document
        if self.name != expected:
            raise ValueError(f"spec {self.name!r}: a spec of document {self.document!r}"
                             f"{' at level ' + repr(self.level) if self.level else ''} is named {expected!r}")

    def section_of(self, interface: str) -> str:
        return self.interfaces.get(interface, "")

    def coverage(self, check_ids: list[str]) -> list[dict[str, Any]]:
        ran = set(check_ids)
        return [{"clause": clause, "checks": ids, "covered": bool(ran.intersection(ids))}
                for clause, ids in self.requirements.items()]


def for_role(rows: list[dict[str, Any]], role: str) -> list[dict[str, Any]]:
    """The coverage rows of one role: a server-role check id carries `.server.` (every spec names them so), the
    others are the client role's; a clause left without checks of the role is not listed."""
    out = []
    for row in rows:
        ids = [i for i in row["checks"] if (".server." in i) == (role == "server")]
        if ids:
            out.append({**row, "checks": ids})
    return out


_SPECS: dict[str, SpecInfo] = {}
_DISCOVERED = False


def register(info: SpecInfo) -> SpecInfo:
    other = next((s for s in _SPECS.values() if s.document == info.document and s.name != info.name), None)
    if other is not None and (not other.level or not info.level):
        raise ValueError(f"spec {info.name!r}: document {info.document!r} cannot have both a plain spec and levels")
    _SPECS[info.name] = info
    return info


def discover() -> dict[str, SpecInfo]:
    """Find every spec: the suites package's own spec modules (`SPEC`, or `SPECS` for a document with several
    levels), then installed entry points."""
    global _DISCOVERED
    if _DISCOVERED:
        return _SPECS
    _DISCOVERED = True
    import suites

    for mod in pkgutil.iter_modules(suites.__path__):
        if mod.ispkg:
            try:
                m = importlib.import_module(f"suites.{mod.name}.spec")
            except ModuleNotFoundError:
                continue
            for info in [getattr(m, "SPEC", None), *getattr(m, "SPECS", ())]:
                if isinstance(info, SpecInfo):
                    register(info)
    for ep in entry_points(group="vconform.specs"):
        if ep.name not in _SPECS:
            obj = ep.load()
            if isinstance(obj, SpecInfo):
                register(obj)
    return _SPECS


def documents() -> dict[str, list[SpecInfo]]:
    """Each spec document with its registered platforms (one, without a level, for a single-platform spec)."""
    out: dict[str, list[SpecInfo]] = {}
    for spec in sorted(discover().values(), key=lambda s: (s.document, s.level)):
        out.setdefault(spec.document, []).append(spec)
    return out


def get(name: str, level: str | None = None) -> SpecInfo:
    """A registered spec by name (`DOC-city`), or by document and level (`DOC`, level `city`).

    Raises KeyError with a one-line reason: unknown name, unknown level, or a document with levels named
    without one."""
    specs = discover()
    docs = documents()
    if level:
        levels = {s.level: s for s in docs.get(name, [])}
        if name in specs and not specs[name].level:
            raise KeyError(f"spec {name!r} has no levels")
        if name not in docs:
            raise KeyError(f"unknown spec {name!r}; known: {', '.join(sorted(docs)) or 'none'}")
        if level not in levels:
            raise KeyError(f"{name} has no level {level!r}; levels: {', '.join(sorted(levels))}")
        return levels[level]
    if name in specs:
        return specs[name]
    if name in docs:
        names = ", ".join(s.name for s in docs[name])
        raise KeyError(f"{name} has several platforms: name one ({names}) or add --level "
                       f"{'|'.join(s.level for s in docs[name])}")
    raise KeyError(f"unknown spec {name!r}; known: {', '.join(sorted(specs)) or 'none'}")


def folder_of(name: str) -> str:
    """The data folder of a document, or of a registered spec's document (profiles, errata and schemas are per
    document)."""
    docs = documents()
    if name in docs:
        return docs[name][0].folder
    return get(name).folder

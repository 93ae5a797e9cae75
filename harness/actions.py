"""What each client-role action asks of the software under test: a spec's `actions.toml`, checked and rendered.

The file holds, per interface, a one-line summary (Chinese and English), what the software is expected to do,
what the adapter prints, and the check ids that judge it; `[all]` holds what applies to every action. A document
with several platform levels may split `[all]` per level (`[all.LEVEL]`, each with `expects` and `judged_by`):
`vconform actions SPEC` then shows only that level's paragraph and checks.
`vconform actions SPEC` prints it (`--schema` adds each action's params JSON Schema and, where the spec has a
generated one, the JSON Schema of the platform's answer). The complete adapter contract (context file, exit codes,
timeout, stdout rules, state_dir) is docs/adapter.md, which is not in the wheel: the header line says where it is.
"""
from __future__ import annotations

import json
import textwrap
from typing import Any, Iterable

from harness import schemagen, specdata

FILE = "actions"
ENTRY_KEYS = {"summary_zh": str, "summary_en": str, "expects": str, "output": str, "judged_by": list}
WIDTH = 100
CONTRACT = "full adapter contract: see docs/adapter.md in the source or the project page"


def load(spec: str) -> dict[str, Any]:
    """The spec's action documentation: {"all": {...}, "actions": {name: entry}}."""
    return specdata.load(spec, FILE)


def _per_level(common: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`[all]` split per level ({level: {expects, judged_by}}), or {"": common} when it is one table."""
    levels = {k: v for k, v in common.items() if isinstance(v, dict)}
    return levels or {"": common}


def common_of(doc: dict[str, Any], level: str = "") -> dict[str, Any]:
    """What applies to every action of one level: `[all.LEVEL]` when `[all]` is split per level, else `[all]`."""
    per = _per_level(doc.get("all", {}))
    return per.get(level, per.get("", {}))


def problems(spec: str, interfaces: Iterable[str], known_checks: set[str] | None = None) -> list[str]:
    """What is wrong with a spec's action documentation: entries missing or unknown, keys missing or mistyped,
    check ids not registered (when `known_checks` is given). Each problem names the file and key."""
    where = f"schemas/{spec}/{FILE}.toml"
    doc = load(spec)
    entries = doc.get("actions", {})
    names = list(interfaces)
    out = [f"{where}: no [actions.{n}] for interface {n}" for n in names if n not in entries]
    out += [f"{where}: [actions.{n}] names no interface of the spec" for n in entries if n not in names]
    per_level = _per_level(doc.get("all", {}))
    for level, common in per_level.items():
        label = f"[all.{level}]" if level else "[all]"
        for key, typ in (("expects", str), ("judged_by", list)):
            if not isinstance(common.get(key), typ):
                out.append(f"{where}: {label}.{key} missing or not a {typ.__name__}")
        if level:
            out += [f"{where}: {label}.{key} is not a known key (expects, judged_by)"
                    for key in common.keys() - {"expects", "judged_by"}]
    for name, entry in entries.items():
        for key, typ in ENTRY_KEYS.items():
            if not isinstance(entry.get(key), typ) or (typ is str and not entry[key].strip()):
                out.append(f"{where}: [actions.{name}].{key} missing, empty or not a {typ.__name__}")
        for key in entry.keys() - ENTRY_KEYS.keys():
            out.append(f"{where}: [actions.{name}].{key} is not a known key ({', '.join(ENTRY_KEYS)})")
    if known_checks is not None:
        for label, ids in [(f"[all.{lv}]" if lv else "[all]", c.get("judged_by", [])) for lv, c in per_level.items()] + [
                (f"[actions.{n}]", e.get("judged_by", [])) for n, e in entries.items()]:
            out += [f"{where}: {label}.judged_by names {cid}, not a registered check" for cid in ids
                    if cid not in known_checks]
    return out


def render(spec, schema: bool = False) -> str:
    """The documentation of every interface of `spec` (a registry SpecInfo), in the spec's interface order."""
    doc = load(spec.folder)
    entries = doc.get("actions", {})
    common = common_of(doc, spec.level)
    lines = [f"{spec.name}: what your software is expected to do for each action", CONTRACT, ""]
    lines += _wrap(common.get("expects", ""), "  ")
    if common.get("judged_by"):
        lines += _wrap("Every action is judged by (where they apply): " + ", ".join(common["judged_by"]), "  ")
    for name, section in spec.interfaces.items():
        e = entries.get(name)
        lines += ["", f"{name}  ({section})"]
        if e is None:
            lines.append("  (not documented)")
            continue
        lines += [f"  {e['summary_zh']}", f"  {e['summary_en']}"]
        lines += _wrap(e["expects"], "    ")
        lines.append(f"    output: {e['output']}")
        if e["judged_by"]:
            lines += _wrap("judged by: " + ", ".join(e["judged_by"]), "    ")
        if schema and spec.action_schema:
            body = json.dumps(spec.action_schema(name), ensure_ascii=False, indent=2)
            lines += ["    params schema:"] + ["      " + ln for ln in body.splitlines()]
        answer = response_schema(spec.folder, name) if schema else None
        if answer is not None:
            body = json.dumps(answer, ensure_ascii=False, indent=2)
            lines += ["    response schema (the platform's answer):"] + ["      " + ln for ln in body.splitlines()]
    return "\n".join(lines)


def response_schema(folder: str, action: str) -> dict[str, Any] | None:
    """The generated JSON Schema of the platform's answer to `action` (schemas/<folder>/generated/), if any."""
    path = schemagen.spec_dir(folder) / "generated" / schemagen.file_name(action, "response")
    return json.loads(path.read_text("utf-8")) if path.is_file() else None


def show(spec, schema: bool = False) -> int:
    """`vconform actions SPEC`: print the documentation; exit 0."""
    print(render(spec, schema))
    return 0


def _wrap(text: str, indent: str) -> list[str]:
    text = " ".join(text.split())
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent,
                         break_on_hyphens=False, break_long_words=False) if text else []

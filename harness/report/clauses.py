"""Clause texts: the spec's own words quoted beside a clause number (schemas/<spec>/clauses.toml).

A check cites its clauses in `spec_ref`, e.g. `DOC §5.1 step 6; §5.3` or `NOTES §Messages (0x1002); E-XX-09`.
`clause_keys` turns such a citation into the keys of clauses.toml (`DOC §5.1 step 6`, `DOC §5.3`,
`NOTES §Messages (0x1002)`), for the documents the file lists; errata ids and references to documents the file
does not cover (the adapter contract, DESIGN) are not clauses of the spec and give no key.
"""
from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness import metaschema

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"
FILE_NAME = "clauses.toml"

_ERRATUM = re.compile(r"^E-[A-Z]+-\d+$")
# A section ("§6.13", "§Messages", a range "§6.3–§6.14"), optional steps ("step 3", "steps 5, 8") and an optional
# parenthesis ("(0x1202/0x1203)", "(body cipher)"); words after it (a field name, a column title) only narrow the
# reader's attention within the clause and are not part of its key.
_SECTION = re.compile(r"^(§[\w.]+(?:[–-]§[\w.]+)?)(?:\s+steps?\s+(\d+(?:\s*,\s*\d+)*))?(?:\s*\(([^)]*)\))?")
_ATTACHMENT = re.compile(r"^(Attachment\s+\d+)")
_MESSAGE_ID = re.compile(r"0x[0-9A-Fa-f]{4}")


def clause_keys(spec_ref: str, documents: tuple[str, ...] | list[str]) -> tuple[list[str], list[str]]:
    """(keys, unparsed): the clause keys a citation names in the given documents, and the parts that name one
    of those documents but could not be read as a clause (a citation the quote test cannot check)."""
    keys: list[str] = []
    unparsed: list[str] = []
    docs = sorted(documents, key=len, reverse=True)
    current = ""
    for raw in str(spec_ref).split(";"):
        part = raw.strip()
        if not part or _ERRATUM.match(part):
            continue
        doc = next((d for d in docs if part == d or part.startswith(d + " ")), "")
        if doc:
            current, rest = doc, part[len(doc):].strip()
        elif part.startswith("§") and current:
            rest = part
        else:
            current = ""  # another document (the adapter contract, DESIGN): not this spec's clause
            continue
        m = _SECTION.match(rest)
        if m:
            section, steps, paren = m.groups()
            ids = _MESSAGE_ID.findall(paren or "")
            if steps:
                keys += [f"{current} {section} step {n.strip()}" for n in steps.split(",")]
            elif ids:
                keys += [f"{current} {section} ({i[:2].lower()}{i[2:].upper()})" for i in ids]
            else:
                keys.append(f"{current} {section}")
            continue
        m = _ATTACHMENT.match(rest)
        if m:
            keys.append(f"{current} {' '.join(m.group(1).split())}")
            continue
        unparsed.append(part)
    return list(dict.fromkeys(keys)), unparsed


def problems(data: Any, file: str) -> list[str]:
    return metaschema.schema_problems("clauses", data, file)


@lru_cache(maxsize=None)
def load(folder: str) -> dict[str, Any]:
    """The clauses file of a spec folder as {"documents": [...], "clauses": {key: {"quote", "source"}}};
    empty when the spec ships none. A file that breaks its meta-schema raises SpecDataError."""
    path = SCHEMAS_DIR / folder / FILE_NAME
    if not path.is_file():
        return {"documents": [], "clauses": {}}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    found = problems(data, metaschema.shown(path))
    if found:
        raise metaschema.SpecDataError(found)
    return {"documents": list(data.get("documents") or []), "clauses": dict(data.get("clauses") or {})}


def for_spec(name: str) -> dict[str, Any]:
    """The clauses file of a spec by its name (its document's folder when the spec has levels)."""
    if not name:
        return load("")
    if (SCHEMAS_DIR / name / FILE_NAME).is_file():
        return load(name)
    try:
        from harness.registry import folder_of

        return load(folder_of(name))
    except (KeyError, ImportError):
        return {"documents": [], "clauses": {}}


def quotes(spec_ref: str, data: dict[str, Any]) -> list[dict[str, str]]:
    """The quoted texts of the clauses a citation names, in citation order: [{"clause", "quote", "source"}]."""
    keys, _ = clause_keys(spec_ref, data.get("documents") or [])
    out = []
    for key in keys:
        entry = (data.get("clauses") or {}).get(key)
        if entry:
            out.append({"clause": key, "quote": str(entry.get("quote", "")), "source": str(entry.get("source", ""))})
    return out

"""Clause texts: every clause a registered check cites has its quote in the spec's clauses.toml, and the report
shows it beside the clause number.

Registry-wide: a spec that ships schemas/<folder>/clauses.toml must quote every clause its checks cite; a spec
added later with a clauses.toml (or a new check citing a new clause) fails here until its quotes are written.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from harness.registry import discover
from harness.report import clauses

ROOT = Path(__file__).resolve().parents[2]

_DUMP = """
import importlib, json, sys
from pathlib import Path
from harness import checks
from harness.registry import discover
root = Path.cwd()
for info in discover().values():
    pkg = ".".join(info.suite_dir.resolve().relative_to(root).parts)
    for path in sorted(info.suite_dir.glob("*.py")):
        if not path.stem.startswith("test_") and path.stem != "conftest":
            importlib.import_module(f"{pkg}.{path.stem}" if path.stem != "__init__" else pkg)
print(json.dumps({c.id: c.spec_ref for c in checks.all_checks()}))
"""


@pytest.fixture(scope="module")
def registered() -> dict[str, str]:
    """check id -> spec_ref of every check the suites register, read in a fresh interpreter (tests register toy
    checks in this one)."""
    proc = subprocess.run([sys.executable, "-c", _DUMP], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _specs_with_clauses():
    out = {}
    for info in discover().values():
        if (clauses.SCHEMAS_DIR / info.folder / clauses.FILE_NAME).is_file():
            out.setdefault(info.folder, info.document)
    return out


def test_yunnan_and_shunde_ship_clause_texts():
    assert {"yunnan", "shunde"} <= set(_specs_with_clauses())


@pytest.mark.parametrize("folder", sorted(_specs_with_clauses()))
def test_every_cited_clause_has_a_quote(folder, registered):
    document = _specs_with_clauses()[folder]
    data = clauses.load(folder)  # raises on a file that breaks its meta-schema
    missing, unreadable, cited = [], [], set()
    for cid, ref in sorted(registered.items()):
        if not cid.startswith(document + "."):
            continue
        keys, unparsed = clauses.clause_keys(ref, data["documents"])
        cited |= set(keys)
        missing += [f"{cid}: {k}" for k in keys if k not in data["clauses"]]
        unreadable += [f"{cid}: {p!r}" for p in unparsed]
    assert cited, f"no check of {document} cites a clause of {data['documents']}"
    assert not missing, f"schemas/{folder}/clauses.toml has no quote for:\n  " + "\n  ".join(missing)
    assert not unreadable, "spec_ref parts naming the spec that are not a clause:\n  " + "\n  ".join(unreadable)
    unused = sorted(set(data["clauses"]) - cited)
    assert not unused, f"schemas/{folder}/clauses.toml quotes clauses no check cites: {unused}"


def test_clause_keys_reads_citations():
    k = clauses.clause_keys
    assert k("yunnan §5.1 steps 5, 8", ["yunnan"]) == (["yunnan §5.1 step 5", "yunnan §5.1 step 8"], [])
    assert k("yunnan §4.3; §6", ["yunnan"]) == (["yunnan §4.3", "yunnan §6"], [])
    assert k("yunnan §6.3–§6.14 是否必传", ["yunnan"]) == (["yunnan §6.3–§6.14"], [])
    assert k("DESIGN adapter protocol; yunnan §6.13 vehicleId", ["yunnan"]) == (["yunnan §6.13"], [])
    assert k("vconform adapter contract (docs/adapter.md)", ["yunnan"]) == ([], [])
    docs = ["jt809 notes", "shunde"]
    assert k("E-SD-05; jt809 notes §Messages (0x1202 LON/LAT)", docs) == (["jt809 notes §Messages (0x1202)"], [])
    assert k("jt809 notes §Messages (0x1003/0x1004)", docs)[0] == ["jt809 notes §Messages (0x1003)",
                                                                   "jt809 notes §Messages (0x1004)"]
    assert k("jt809 notes §Frame (body cipher); E-SD-13", docs) == (["jt809 notes §Frame"], [])
    assert k("shunde Attachment 1; shunde Attachment 3", docs) == (["shunde Attachment 1", "shunde Attachment 3"], [])
    assert k("yunnan chapter six", ["yunnan"]) == ([], ["yunnan chapter six"]), "a citation it cannot read is listed"


def test_meta_schema_names_the_broken_key(tmp_path):
    bad = tomllib.loads('documents = ["yunnan"]\n[clauses."yunnan §6.2"]\nqoute = "x"\nsource = "l. 1"\n')
    found = clauses.problems(bad, "clauses.toml")
    assert any("qoute: unknown key" in p for p in found) and any("quote: missing" in p for p in found), found


def test_quotes_for_a_check():
    got = clauses.quotes("yunnan §6.10", clauses.for_spec("yunnan"))
    assert got and got[0]["clause"] == "yunnan §6.10" and "最多不超过 100 个 ID" in got[0]["quote"]

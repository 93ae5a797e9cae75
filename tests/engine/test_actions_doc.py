"""Every client-role action of every registered spec is documented (what the software must do, what judges it),
and every check id the documentation names is registered; `vconform actions SPEC` prints it."""
from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import sys
import tomllib
from pathlib import Path

import pytest

import suites
from harness import actions, checks, registry, specdata

SPECS = sorted(registry.discover())


def _registered_check_ids(spec: registry.SpecInfo) -> set[str]:
    """Import every checks module of the spec's suite package, then read the registry."""
    package = ".".join(spec.suite_dir.resolve().relative_to(Path(suites.__file__).resolve().parents[1]).parts)
    importlib.import_module(package)  # a level's suite package (suites.henan.city) imports its document's checks
    for mod in pkgutil.iter_modules([str(spec.suite_dir)]):
        if mod.name.endswith("checks"):
            importlib.import_module(f"{package}.{mod.name}")
    import harness.adapter  # noqa: F401  the engine's own checks (adapter.completed)
    return {c.id for c in checks.all_checks()}


@pytest.mark.parametrize("name", SPECS)
def test_every_action_documented_with_registered_checks(name):
    """The document's actions.toml covers every level's interfaces (henan: city and province), so it is judged
    against all of them and against the checks of every level of the document."""
    spec = registry.get(name)
    levels = [s for s in map(registry.get, SPECS) if s.folder == spec.folder]
    known = set().union(*map(_registered_check_ids, levels))
    assert actions.problems(spec.folder, specdata.sections(spec.folder), known) == []


@pytest.mark.parametrize("name", SPECS)
def test_rendering_names_every_action(name):
    spec = registry.get(name)
    text = actions.render(spec)
    doc = actions.load(spec.folder)
    for action in spec.interfaces:
        assert f"\n{action}  (" in text
        assert doc["actions"][action]["summary_en"] in text


def test_problems_name_file_and_key(monkeypatch):
    """A missing entry, a missing key and an unknown check id are each reported with the file and the key."""
    doc = {"all": {"expects": "x", "judged_by": []},
           "actions": {"a": {"summary_zh": "甲", "summary_en": "A", "expects": "do", "output": "nothing",
                             "judged_by": ["nope.check"]},
                       "b": {"summary_zh": "乙", "summary_en": "B", "output": "nothing", "judged_by": []}}}
    monkeypatch.setattr(actions, "load", lambda spec: doc)
    found = actions.problems("demo", ["a", "b", "c"], {"demo.check"})
    assert "schemas/demo/actions.toml: no [actions.c] for interface c" in found
    assert "schemas/demo/actions.toml: [actions.b].expects missing, empty or not a str" in found
    assert "schemas/demo/actions.toml: [actions.a].judged_by names nope.check, not a registered check" in found
    assert len(found) == 3


def test_yunnan_documents_the_register_and_confirm_contract():
    """What the independent client missed (issue: init-auth re-trigger, confirm policy) is written down."""
    text = actions.render(registry.get("yunnan"))
    init_auth = text.split("\ninit-auth  (")[1].split("\ngetToken  (")[0]
    assert "make NO call" in init_auth and "yunnan.register.once" in init_auth
    for pull, confirm in (("basStrategy", "strategyConfirm"), ("alarmVehicle", "alarmConfirm")):
        part = text.split(f"\n{pull}  (")[1].split("\n\n")[0]
        assert confirm in part and "at most 100 ids a call" in part
        assert "yunnan.confirm.batch_size" in part and "yunnan.confirm.all_received" in part


# ---- the adapter page (docs/adapter.md) and the answer schemas ---------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
ADAPTER_DOC = ROOT / "docs" / "adapter.md"


def test_header_points_at_the_adapter_page():
    """`vconform actions` names the full contract; the page it names exists in the source."""
    text = actions.render(registry.get("yunnan"))
    assert text.splitlines()[1] == actions.CONTRACT and "docs/adapter.md" in actions.CONTRACT
    assert ADAPTER_DOC.is_file()


@pytest.mark.parametrize("name", SPECS)
def test_schema_prints_each_generated_answer_schema(name):
    """--schema adds the platform's answer schema exactly for the actions that have a generated one."""
    spec = registry.get(name)
    text = actions.render(spec, schema=True)
    blocks = {a: text.split(f"\n{a}  (")[1].split("\n\n")[0] for a in spec.interfaces}
    generated = ROOT / "schemas" / spec.folder / "generated"
    for action, block in blocks.items():
        path = generated / f"{action}.response.schema.json"
        if path.is_file():
            assert "response schema (the platform's answer):" in block, action
            assert json.loads(path.read_text("utf-8"))["$id"] in block, action
        else:
            assert "response schema" not in block, action
    assert "response schema" not in actions.render(spec)


def test_yunnan_pull_answer_schema_shows_paging_fields():
    text = actions.render(registry.get("yunnan"), schema=True)
    block = text.split("\nexceedVehicle  (")[1].split("\n\n")[0]
    answer = block.split("response schema (the platform's answer):")[1]
    assert '"isNew"' in answer and '"records"' in answer


def _documented_actions() -> list[tuple[str, str]]:
    out = []
    for toml_path in sorted((ROOT / "schemas").glob("*/actions.toml")):
        with toml_path.open("rb") as fh:
            out += [(toml_path.parent.name, a) for a in tomllib.load(fh).get("actions", {})]
    return out


@pytest.mark.parametrize("folder,action", _documented_actions())
def test_every_action_is_on_the_adapter_page(folder, action):
    assert f"`{action}`" in ADAPTER_DOC.read_text("utf-8"), f"docs/adapter.md does not name {folder}'s {action}"


def test_every_context_member_is_on_the_adapter_page(tmp_path):
    """Run an adapter that prints the context file it received: each member the harness writes has a row in the
    page's context table."""
    from harness.adapter import Adapter

    dump = "import json, sys; print(json.dumps(sorted(json.load(open(sys.argv[2], encoding='utf-8')))))"
    adapter = Adapter([sys.executable, "-c", dump], "yunnan", "http://127.0.0.1:1/", {}, tmp_path / "state")
    res = adapter.run("getToken", {})
    assert res.ok, res.stderr
    members = json.loads(res.stdout)
    assert {"spec", "action", "base_url", "credentials", "params", "state_dir"} <= set(members)
    doc = ADAPTER_DOC.read_text("utf-8")
    for member in members:
        assert f"\n| `{member}` |" in doc, f"context member {member} is not in docs/adapter.md's table"


def _credential_keys(session_file: Path) -> set[str]:
    """The string keys of the dict a client session assigns to `self.credentials` (nested dicts included)."""
    keys: set[str] = set()
    for node in ast.walk(ast.parse(session_file.read_text("utf-8"))):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and t.attr == "credentials" for t in targets):
                for sub in ast.walk(node.value):
                    if isinstance(sub, ast.Dict):
                        keys |= {k.value for k in sub.keys if isinstance(k, ast.Constant)}
    return keys


def test_every_credential_member_is_on_the_adapter_page():
    """The credentials each spec's client session hands the adapter are named in the page's context table."""
    from schemas.shunde.datagen import ShundeData  # its Account gives the account half of shunde's credentials

    row = next(ln for ln in ADAPTER_DOC.read_text("utf-8").splitlines() if ln.startswith("| `credentials` |"))
    wanted = {"yunnan": _credential_keys(ROOT / "suites" / "yunnan" / "session.py"),
              "shunde": _credential_keys(ROOT / "suites" / "shunde" / "session.py")
              | set(ShundeData(1).account(down_link_port=1).credentials())}
    assert wanted["yunnan"] and wanted["shunde"]
    for spec, keys in wanted.items():
        for key in keys:
            assert f"`{key}`" in row, f"{spec} credential {key} is not in docs/adapter.md's context table"

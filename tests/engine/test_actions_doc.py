"""Every client-role action of every registered spec is documented (what the software must do, what judges it),
and every check id the documentation names is registered; `vconform actions SPEC` prints it."""
from __future__ import annotations

import importlib
import pkgutil

import pytest

from harness import actions, checks, registry

SPECS = sorted(registry.discover())


def _registered_check_ids(spec: registry.SpecInfo) -> set[str]:
    """Import every checks module of the spec's suite package, then read the registry."""
    package = f"suites.{spec.suite_dir.name}"
    for mod in pkgutil.iter_modules([str(spec.suite_dir)]):
        if mod.name.endswith("checks"):
            importlib.import_module(f"{package}.{mod.name}")
    import harness.adapter  # noqa: F401  the engine's own checks (adapter.completed)
    return {c.id for c in checks.all_checks()}


@pytest.mark.parametrize("name", SPECS)
def test_every_action_documented_with_registered_checks(name):
    spec = registry.get(name)
    assert actions.problems(spec.folder, spec.interfaces, _registered_check_ids(spec)) == []


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

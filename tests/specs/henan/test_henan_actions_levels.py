"""`vconform actions henan-city` and `henan-province` each show only their own level (issue 11): the level's
actions, the level's [all.LEVEL] paragraph and checks, nothing of the other level."""
from __future__ import annotations

import pytest

from harness import actions, registry, specdata


@pytest.mark.parametrize("level,other", [("city", "province"), ("province", "city")])
def test_each_level_lists_only_its_own_actions_and_checks(level, other):
    spec = registry.get("henan", level)
    text = actions.render(spec)
    head = text.split("\n\n")[1]
    assert head.strip().startswith(f"{level.capitalize()} level")
    assert f"{other.capitalize()} level" not in text
    assert ("henan.province." in head) == (level == "province")
    for action in specdata.sections("henan", other):
        assert f"\n{action}  (" not in text
    for action in specdata.sections("henan", level):
        assert f"\n{action}  (" in text


def test_split_all_is_checked_per_level(monkeypatch):
    """A level's [all.LEVEL] with a key missing or unknown, or an unregistered check id, is reported by name."""
    doc = {"all": {"city": {"expects": "x", "judged_by": ["nope.check"]}, "province": {"judged_by": [], "extra": 1}},
           "actions": {}}
    monkeypatch.setattr(actions, "load", lambda spec: doc)
    found = actions.problems("demo", [], {"demo.check"})
    assert sorted(found) == sorted([
        "schemas/demo/actions.toml: [all.province].expects missing or not a str",
        "schemas/demo/actions.toml: [all.province].extra is not a known key (expects, judged_by)",
        "schemas/demo/actions.toml: [all.city].judged_by names nope.check, not a registered check"])
    assert actions.common_of(doc, "city")["expects"] == "x" and actions.common_of({"all": {"expects": "y"}})["expects"] == "y"

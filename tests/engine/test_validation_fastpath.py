"""The validator's valid-object path (harness/validation.py `_Shape`, one RuleContext per object, nested objects
tested inline, the profile read through) and Henan's §6.4 shortcut (`identifiers.lsh_clean`) answer as the general
path does. bench/henan_verdicts.py and bench/validation_corpus.py compare every finding of larger corpora with a
base tree; these are the cases a change must keep."""
from __future__ import annotations

import copy
import itertools

import pytest

from harness.validation import COMMON_RULES, RuleContext, Rules, Validator
from schemas.henan import identifiers as ids
from schemas.henan.datagen import CityData
from schemas.henan.validate import VALIDATOR as HENAN
from tests.engine.test_validation import GOOD, toy  # noqa: F401  (toy: the fixture)


def _with(toy_validator: Validator, rules: Rules) -> Validator:  # noqa: F811
    return Validator(toy_validator._tables_src, toy_validator.generated, rules)


def test_a_profile_is_read_at_each_call_not_kept(toy):  # noqa: F811
    loose = GOOD | {"amount": "12.5"}
    profile: dict = {}
    assert [v.level for v in toy.validate("ping", "request", loose, profile=profile)] == ["warn"]
    profile["loose_numbers"] = "accept"  # the same dict, changed: the next call follows it
    assert toy.validate("ping", "request", loose, profile=profile) == []
    profile["strict"] = True
    profile["loose_numbers"] = "warn"
    assert [v.level for v in toy.validate("ping", "request", loose, profile=profile)] == ["fail"]
    assert [v.level for v in toy.validate("ping", "request", loose, profile=None)] == ["warn"]


def test_the_senders_object_is_not_changed(toy):  # noqa: F811
    sent = {k: v for k, v in GOOD.items() if k != "port"} | {"prt": "8080", "records": [{"start": "x"}, 3]}
    kept = copy.deepcopy(sent)
    assert toy.validate("ping", "request", sent, profile={"port_field": "prt"})
    assert sent == kept
    assert HENAN.validate("shareDrivingRecord", "request", sent) and sent == kept


def test_each_rule_sees_the_fields_the_rules_before_it_failed(toy):  # noqa: F811
    seen: list = []
    rules = Rules(COMMON_RULES)

    @rules.rule("same_prefix")  # runs after real_dates and id_list on the same object
    def record(ctx: RuleContext):
        seen.append((sorted(ctx.bad), ctx.params["section"]))
        return [ctx.violation("child", "rule", "received a child, spec requires none")]  # a list, not a generator

    v = _with(toy, rules)
    found = v.validate("ping", "request", GOOD | {"ids": "a,b,a", "when": "20230229120000"})
    assert seen == [(["ids", "when"], "toy §3.3")]
    assert [f.path for f in found] == ["$.when", "$.ids", "$.child"]
    seen.clear()
    assert [f.path for f in v.validate("ping", "request", GOOD)] == ["$.child"]
    assert seen == [([], "toy §3.3")]  # a new object, a new context: nothing failed


def test_a_rule_with_nothing_to_say_may_return_an_empty_tuple(toy):  # noqa: F811
    rules = Rules(COMMON_RULES)
    rules.rule("same_prefix")(lambda ctx: ())
    assert _with(toy, rules).validate("ping", "request", GOOD) == []


def test_a_rule_the_registry_lacks_is_an_error_when_it_would_run(toy):  # noqa: F811
    v = _with(toy, Rules(COMMON_RULES))
    assert [f.kind for f in v.validate("ping", "request", [])] == ["not_object"]  # no rule runs on a list
    with pytest.raises(KeyError, match="unknown rule 'same_prefix'"):
        v.validate("ping", "request", GOOD)


def _envelope(value) -> dict:
    return {"organ": "4101000000", "ipctype": "shareDrivingRecord", "access_token": "x" * 32, "value": value}


def test_nested_objects_tested_inline_find_what_nested_checks_finds():
    """`value` (Henan's envelope) has nothing to check but its names: validate tests them itself, and a validator
    made to walk nested_checks for it lists the same findings, in the same order."""
    assert HENAN.shape("shareDrivingRecord", "request").flat is not None
    general = Validator(HENAN.tables, HENAN.generated, HENAN.rules)
    general.shape("shareDrivingRecord", "request").flat = None
    rec = CityData(3).passage(CityData(3).free_vehicle(1), 1)
    values = [rec, rec | {"extra": 1}, rec | {"z": 1, "a": 2}, {"extra": 1}, [rec, rec | {"x": 1}], [1, "a"], "v",
              None, {}, rec | {"lsh": rec["lsh"][:-1] + "X", "y": 1}]
    bodies = [_envelope(v) for v in values] + [_envelope(rec) | {"other": 1}]
    for body in bodies:
        ours = [v.__dict__ for v in HENAN.validate("shareDrivingRecord", "request", body)]
        assert ours == [v.__dict__ for v in general.validate("shareDrivingRecord", "request", body)], body
    warned = HENAN.validate("shareDrivingRecord", "request", _envelope(rec | {"extra": 1}))
    assert [(v.path, v.kind, v.level) for v in warned] == [("$.value.extra", "unknown_field", "warn")]


def test_the_usual_passage_record_takes_the_lsh_shortcut():
    d = CityData(11)
    for n in range(200):
        rec = d.passage(d.free_vehicle(n), n, entering=n % 2 == 0)
        assert ids.lsh_clean(rec["lsh"], rec["qybh"], rec["dzbh"], rec["tgzt"], alternatives=True), rec


def test_lsh_clean_is_never_true_where_the_full_check_finds_a_problem():
    """Every combination of good and bad parts (codes, letters, days, times, the record's own qybh / dzbh / tgzt):
    lsh_clean says yes only where lsh_problems and enterprise_code_problems find nothing, and on ASCII-digit serials
    it says no only where they find something."""
    qybhs = ["4101020001", "4190010001", "4101020000", "4100000001", "410102000", "41010200011", "４101020001"]
    dzbhs = ["01", "03", "00", "0", "1a", "０1"]
    days = ["240229", "250229", "241301", "240100", "991231", "000101", "2401０1", "24 1 1"]
    times = ["000000", "235959", "240000", "236000", "235960", "12 000", "１20000", "1200"]
    checked = clean = 0
    for qybh, dzbh, letter, day, time in itertools.product(qybhs, dzbhs, "ABC", days, times):
        lsh = qybh + dzbh + letter + day + time
        for rq, rd, tgzt, alternatives in itertools.product((qybh, "4101020002"), (dzbh, "02"), (None, "1", "2"),
                                                            (False, True)):
            full = (ids.lsh_problems(lsh, rq, rd, tgzt, alternatives=alternatives)
                    + ids.enterprise_code_problems(rq, alternatives=alternatives))
            checked += 1
            if ids.lsh_clean(lsh, rq, rd, tgzt, alternatives=alternatives):
                clean += 1
                assert full == [], (lsh, rq, rd, tgzt, alternatives)
            elif lsh.isascii() and len(lsh) == ids.LSH_LEN and lsh[13:].isdigit():
                assert full != [], (lsh, rq, rd, tgzt, alternatives)
    assert clean > 100 and checked > 50000

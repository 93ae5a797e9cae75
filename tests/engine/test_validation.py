"""harness.validation on a toy spec: a spec brings tables, generated schemas and a few rules, nothing else."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness import schemagen
from harness.validation import COMMON_RULES, KINDS, RuleContext, Rules, Validator, Violation, to_problems

ROOT = Path(__file__).resolve().parents[2]

INTERFACES = r'''
spec = "toy"

[formats]
"yyyyMMddHHmmss" = { regex = '^[0-9]{4}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]$', strptime = "%Y%m%d%H%M%S", text = "a time yyyyMMddHHmmss" }

[patterns]
code8 = { regex = '^[A-Z]{2}[0-9]{6}$', text = "2 letters + 6 digits" }

[checksums]
vin = { errata = "E-T-1", text = "the GB 16735 check digit at position 9" }

[interfaces.ping]
section = "toy §3"
path = "/ping"
kind = "upload"
rules = [
  { fn = "real_dates", section = "toy §3" },
  { fn = "id_list", field = "ids", max = 3, section = "toy §3.2" },
  { fn = "same_prefix", section = "toy §3.3" },
  { fn = "real_dates", scope = "records", section = "toy §3.4" },
  { fn = "ordered", scope = "records", first = "start", then = "end", section = "toy §3.4" },
]

[[interfaces.ping.request]]
name = "id"
zh = "编号"
type = "string"
required = true
pattern = "code8"
length = 8
section = "toy §3.1"

[[interfaces.ping.request]]
name = "when"
type = "string"
required = true
format = "yyyyMMddHHmmss"
section = "toy §3.1"

[[interfaces.ping.request]]
name = "colour"
type = "string"
code = "colour"
section = "toy §3.1"

[[interfaces.ping.request]]
name = "vin"
type = "string"
length = 17
checksum = "vin"
section = "toy §3.1"

[[interfaces.ping.request]]
name = "amount"
type = "number"
precision = 2
errata = "E-T-2"
alt = { type = "string" }
section = "toy §3.1"

[[interfaces.ping.request]]
name = "port"
type = "string"
alias = "prt"
errata = "E-T-3"
section = "toy §3.1"

[[interfaces.ping.request]]
name = "ids"
type = "string"
section = "toy §3.2"

[[interfaces.ping.request]]
name = "child"
type = "string"
section = "toy §3.3"

[[interfaces.ping.request]]
name = "records"
type = "array"
max_items = 3
section = "toy §3.4"

[[interfaces.ping.records]]
name = "start"
type = "string"
required = true
format = "yyyyMMddHHmmss"
section = "toy §3.4"

[[interfaces.ping.records]]
name = "end"
type = "string"
format = "yyyyMMddHHmmss"
section = "toy §3.4"
'''

CODES = '''
[colour]
section = "toy §9"
title = "颜色"
[colour.codes]
"1" = "蓝"
"2" = "黄"
'''

RULES = Rules(COMMON_RULES)


@RULES.rule("same_prefix")
def same_prefix(ctx: RuleContext):
    """child starts with id: the kind of composition rule a spec adds in a few lines."""
    if ctx.ok("id", "child") and not ctx.obj["child"].startswith(ctx.obj["id"]):
        yield ctx.violation("child", "composition", f"received child {ctx.obj['child']!r}, spec requires id + more")


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Validator:
    base = tmp_path_factory.mktemp("toy")
    tables, generated = base / "tables", base / "generated"
    tables.mkdir()
    (tables / "interfaces.toml").write_text(textwrap.dedent(INTERFACES), encoding="utf-8")
    (tables / "codes.toml").write_text(CODES, encoding="utf-8")
    (base / "errata.toml").write_text(ERRATA, encoding="utf-8")
    schemagen.write("toy", tables, generated)
    return Validator(lambda: schemagen.load("toy", tables), generated, RULES)


ERRATA = """\
[E-T-1]
title = "VIN check digit"
sections = ["toy §1"]
default = "the check digit is required"
alternative = ""
switch = ""

[E-T-2]
title = "Numbers given as text"
sections = ["toy §2"]
default = "warn"
alternative = "accept"
switch = "loose_numbers"
switch_default = "warn"
switch_values = ["warn", "accept"]
switch_accept = "accept"

[E-T-3]
title = "Port field name"
sections = ["toy §3"]
default = "port"
alternative = "portNo"
switch = "port_field"
switch_default = "port"
switch_values = ["port", "portNo"]
"""


GOOD = {"id": "AB123456", "when": "20240229235959", "colour": "1", "vin": "1M8GDM9AXKP042788", "amount": 12.5,
        "port": "8080", "ids": "a,b,c", "child": "AB123456-1",
        "records": [{"start": "20240101000000", "end": "20240102000000"}, {"start": "20240101000000"}]}


def only(found: list[Violation], **want) -> Violation:
    assert len(found) == 1, [v.message for v in found]
    for k, v in want.items():
        assert getattr(found[0], k) == v, (k, found[0])
    return found[0]


def test_a_valid_object_has_no_finding(toy):
    assert toy.validate("ping", "request", GOOD) == []


def test_schema_violations_name_value_path_requirement_and_clause(toy):
    v = only(toy.validate("ping", "request", {k: x for k, x in GOOD.items() if k != "id"}), kind="required",
             path="$.id", level="fail")
    assert "编号 (id), a required field" in v.message and "(toy §3.1)" in v.message
    v = only(toy.validate("ping", "request", GOOD | {"colour": "7"}), kind="code", path="$.colour")
    assert "1 蓝, 2 黄" in v.message and "toy §3.1, §9" in v.message
    only(toy.validate("ping", "request", GOOD | {"id": "AB12"}), kind="length")
    only(toy.validate("ping", "request", GOOD | {"id": "ABC12345"}), kind="format")
    only(toy.validate("ping", "request", GOOD | {"when": 20240229}), kind="type")
    only(toy.validate("ping", "request", []), kind="not_object", path="$")
    only(toy.validate("ping", "request", GOOD | {"records": [GOOD["records"][0], 3]}), kind="not_object",
         path="$.records[1]")


def test_checks_json_schema_cannot_state(toy):
    only(toy.validate("ping", "request", GOOD | {"amount": 1.255}), kind="format", level="fail", path="$.amount")
    only(toy.validate("ping", "request", GOOD | {"vin": "1M8GDM9A1KP042788"}), kind="format", level="warn",
         errata="E-T-1")
    only(toy.validate("ping", "request", GOOD | {"extra": 1}), kind="unknown_field", level="warn")
    only(toy.validate("ping", "request", GOOD | {"when": "20230229120000"}), kind="format", path="$.when")


def test_errata_readings_follow_the_profile(toy):
    loose = GOOD | {"amount": "12.5"}
    only(toy.validate("ping", "request", loose), kind="type", level="warn", errata="E-T-2")
    assert toy.validate("ping", "request", loose, profile={"loose_numbers": "accept"}) == []
    only(toy.validate("ping", "request", loose, profile={"strict": True}), level="fail", errata="E-T-2")
    only(toy.validate("ping", "request", GOOD | {"amount": "twelve"}), kind="type", level="fail", errata=None)
    renamed = {k: v for k, v in GOOD.items() if k != "port"} | {"prt": "8080"}
    assert toy.validate("ping", "request", renamed, profile={"port_field": "prt"}) == []
    only(toy.validate("ping", "request", GOOD, profile={"port_field": "prt"}), kind="unknown_field",
         path="$.port", errata="E-T-3")
    assert toy.default_profile() == {"loose_numbers": "warn", "port_field": "port", "strict": False}


def test_rules_common_and_the_spec_own(toy):
    only(toy.validate("ping", "request", GOOD | {"ids": "a,b,a"}), kind="rule", path="$.ids")
    v = only(toy.validate("ping", "request", GOOD | {"ids": "a,b,c,d"}), kind="rule")
    assert "at most 3" in v.message and v.spec_ref == "toy §3.2"
    only(toy.validate("ping", "request", GOOD | {"child": "XY1"}), kind="composition", spec_ref="toy §3.3")
    recs = [{"start": "20240102000000", "end": "20240101000000"}]
    only(toy.validate("ping", "request", GOOD | {"records": recs}), kind="rule", path="$.records[0].end",
         spec_ref="toy §3.4")


def test_a_field_that_failed_is_not_judged_again_by_a_rule(toy):
    # id breaks its pattern: same_prefix, which needs id, stays silent
    only(toy.validate("ping", "request", GOOD | {"id": "ab", "child": "XY"}), path="$.id")


def test_the_detailed_pass_alone_gives_the_same_findings(toy, monkeypatch):
    cases = [GOOD, GOOD | {"colour": "7", "amount": "1.5"}, GOOD | {"records": [{"end": "x"}]}, {"id": 5}]
    with_fast = [[v.message for v in toy.validate("ping", "request", c)] for c in cases]
    monkeypatch.setattr(toy, "fast_validator", lambda *_: None)
    assert [[v.message for v in toy.validate("ping", "request", c)] for c in cases] == with_fast


def test_unknown_names_are_errors():
    with pytest.raises(ValueError):
        Violation("$", "", "no-such-kind", "")
    with pytest.raises(KeyError, match="unknown rule 'nope'"):
        RULES.run(RuleContext({}, "$", {"fn": "nope", "section": "toy §1"}, {}, None))
    with pytest.raises(ValueError, match="registered twice"):
        RULES.rule("same_prefix")(lambda ctx: iter(()))
    assert set(KINDS) >= {"required", "code", "composition", "rule"}
    assert to_problems([Violation("$.a", "a", "rule", "m", "warn", "E-1")])[0].level == "warn"


def test_engine_modules_name_no_spec():
    specs = [p.name for p in (ROOT / "schemas").iterdir() if (p / "tables").is_dir()]
    assert specs
    for path in [ROOT / "harness" / "validation.py", *(ROOT / "harness" / "identifiers").glob("*.*")]:
        text = path.read_text(encoding="utf-8").lower()
        assert not [s for s in specs if s in text], path


@pytest.mark.parametrize("fmt", ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y%m%d%H%M%S"])
def test_date_readers_answer_as_the_positional_reader(fmt, monkeypatch):
    """The C parser reads the ISO shapes now; whatever it refuses goes to the positional reader, so every value
    (impossible dates, other separators, non-ASCII digits, signs, blanks) gets the same datetime or ValueError."""
    import random
    from datetime import datetime as _dt

    from harness import validation

    ours = validation._strptime(fmt)
    monkeypatch.setattr(validation, "_ISO", ())  # no shape for the C parser: the positional reader alone
    before = validation._strptime(fmt)
    rnd = random.Random(7)
    bases = [_dt(2024, 2, 29, 13, 5, 7).strftime(fmt), _dt(2023, 12, 31, 23, 59, 59).strftime(fmt)]
    values = ["2023-02-30", "2023-02-29 00:00:00", "2023-01-01 24:00:00", "２０２３-01-01", "2023-01-01T12:00:00Z"]
    for _ in range(20000):
        v = list(rnd.choice(bases))
        for _k in range(rnd.randint(0, 3)):
            v[rnd.randrange(len(v))] = rnd.choice("0123456789-: T+_a１")
        values.append("".join(v))

    def outcome(read, v):
        try:
            return read(v)
        except ValueError:
            return "ValueError"

    assert [outcome(ours, v) for v in values] == [outcome(before, v) for v in values]

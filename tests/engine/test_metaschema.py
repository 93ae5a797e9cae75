"""The meta-schemas over every spec's data: broken copies of the TOML files each give a message naming file and key."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from harness import metaschema, schemagen, specdata
from harness.metaschema import SpecDataError

SCHEMAS = specdata.SCHEMAS_DIR


@pytest.fixture
def yn(tmp_path) -> Path:
    """A copy of Yunnan's data folder (errata, profiles, tables) to break."""
    folder = tmp_path / "henan"
    folder.mkdir()
    for name in ("errata.toml", "profiles.toml"):
        shutil.copy(SCHEMAS / "yunnan" / name, folder / name)
    shutil.copytree(SCHEMAS / "yunnan" / "tables", folder / "tables")
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def problems_of(folder: Path, file: str) -> list[str]:
    """The problems, with the tmp path shortened to the file's name under the folder."""
    out = specdata.validate_spec_data(folder)
    prefix = metaschema.shown(folder / file) + ": "
    return [p.replace(prefix, f"{file}: ") for p in out]


@pytest.mark.parametrize("spec", ["yunnan", "shunde"])
def test_real_spec_data_passes(spec):
    assert specdata.validate_spec_data(SCHEMAS / spec) == []


@pytest.mark.parametrize("kind", ["interfaces", "codes", "errata", "profiles"])
def test_meta_schemas_are_valid_draft_2020_12(kind):
    assert metaschema.validator(kind).schema["$schema"].endswith("2020-12/schema")


def test_unchanged_copy_passes(yn):
    assert specdata.validate_spec_data(yn) == []


def test_typo_in_an_errata_key_names_file_entry_and_key(yn):
    edit(yn / "errata.toml", 'default = "served under the same prefix', 'defualt = "served under the same prefix')
    probs = problems_of(yn, "errata.toml")
    assert "errata.toml: E-YN-03.defualt: unknown key" in probs
    assert "errata.toml: E-YN-03.default: missing" in probs


def test_errata_entry_without_sections(yn):
    edit(yn / "errata.toml", 'sections = ["yunnan §5.1 step 6", "yunnan §5.3"]\ndefault = "raw bytes',
         'default = "raw bytes')
    assert problems_of(yn, "errata.toml") == ["errata.toml: E-YN-05.sections: missing"]


def test_errata_switch_default_outside_its_values(yn):
    edit(yn / "errata.toml", 'switch_default = "nvrPost"', 'switch_default = "nvrPots"')
    assert problems_of(yn, "errata.toml") == [
        "errata.toml: E-YN-07.switch_default: 'nvrPots' is not one of switch_values ['nvrPost', 'nvrPort']"]


def test_errata_switch_without_default(yn):
    edit(yn / "errata.toml", 'switch_default = "nvrPost"\n', "")
    assert "errata.toml: E-YN-07.switch_default: missing" in problems_of(yn, "errata.toml")


def test_unknown_switch_in_a_profile(yn):
    edit(yn / "profiles.toml", 'token_error_code = 500', 'token_eror_code = 500')
    probs = problems_of(yn, "profiles.toml")
    assert len(probs) == 1
    assert probs[0].startswith("profiles.toml: token-500.token_eror_code: unknown switch")


def test_profile_value_outside_the_switch_values(yn):
    edit(yn / "profiles.toml", 'signature_range = "content"', 'signature_range = "contents"')
    probs = problems_of(yn, "profiles.toml")
    assert len(probs) == 1 and probs[0].startswith("profiles.toml: sign-content.signature_range: 'contents' is not one of")


def test_default_profile_may_not_repeat_a_switch_default(yn):
    edit(yn / "profiles.toml", 'strict = false\n', 'strict = false\nhttp_status = "200"\n')
    probs = problems_of(yn, "profiles.toml")
    assert len(probs) == 1 and probs[0].startswith("profiles.toml: default.http_status: a switch's default is written once")


def test_profile_inheriting_from_nowhere(yn):
    edit(yn / "profiles.toml", '[strict]\ndescription = "Only the default readings pass; alternative readings fail"\n'
         'inherits = "default"', '[strict]\ndescription = "Only the default readings pass; alternative readings fail"\n'
         'inherits = "defualt"')
    assert problems_of(yn, "profiles.toml") == ["profiles.toml: strict.inherits: unknown profile 'defualt'"]


def test_typo_in_a_field_key(yn):
    edit(yn / "tables" / "interfaces.toml", '[[interfaces.init-auth.request]]\nname = "enterpriseId"\nzh = "企业编号"\n'
         'zh_type = "字符"\ntype = "string"\nrequired = true',
         '[[interfaces.init-auth.request]]\nname = "enterpriseId"\nzh = "企业编号"\nzh_type = "字符"\ntype = "string"\n'
         'requried = true')
    assert problems_of(yn, "tables/interfaces.toml") == [
        "tables/interfaces.toml: interfaces.init-auth.request[0].requried: unknown key"]


def test_interface_without_section(yn):
    edit(yn / "tables" / "interfaces.toml", 'section = "yunnan §6.2"\npath = "/getToken"', 'path = "/getToken"')
    assert problems_of(yn, "tables/interfaces.toml") == ["tables/interfaces.toml: interfaces.getToken.section: missing"]


def test_pull_without_its_record_id(yn):
    edit(yn / "tables" / "interfaces.toml", 'record_id = "alarmId"\n', "")
    assert problems_of(yn, "tables/interfaces.toml") == [
        "tables/interfaces.toml: interfaces.alarmVehicle.record_id: missing"]


def test_field_naming_an_unknown_code_table_or_errata(yn):
    edit(yn / "tables" / "interfaces.toml", 'code = "alarmType"', 'code = "alarmTypes"')
    edit(yn / "tables" / "interfaces.toml", 'errata = "E-YN-07"', 'errata = "E-YN-77"')
    probs = problems_of(yn, "tables/interfaces.toml")
    assert any(p.startswith("tables/interfaces.toml: interfaces.") and p.endswith(".code: unknown code 'alarmTypes'")
               for p in probs), probs
    assert any(p.endswith(".errata: unknown errata 'E-YN-77'") for p in probs), probs


def test_bad_code_tables(yn):
    codes = yn / "tables" / "codes.toml"
    edit(codes, '[vehicleType]\nsection = "yunnan §7.1"\ntitle = "车辆类型"', '[vehicleType]\nsection = "yunnan §7.1"')
    edit(codes, 'parent_table = "industryType"', 'parent_table = "industryTypes"')
    edit(codes, '"H11" = "重型普通货车"', '"H11" = 11')
    probs = problems_of(yn, "tables/codes.toml")
    assert "tables/codes.toml: vehicleType.title: missing" in probs
    assert any(p.startswith("tables/codes.toml: vehicleType.codes.H11: ") for p in probs), probs
    assert "tables/codes.toml: industryBranch.parent_table: unknown code table 'industryTypes'" in probs


def test_code_whose_parent_is_no_code(yn):
    codes = yn / "tables" / "codes.toml"
    codes.write_text(re.sub(r'parent = "[^"]*"', 'parent = "nowhere"', codes.read_text(encoding="utf-8"), count=1),
                     encoding="utf-8")
    probs = problems_of(yn, "tables/codes.toml")
    assert len(probs) == 1 and probs[0].endswith(".parent: 'nowhere' is no code of region"), probs


def test_a_broken_table_is_an_error_at_load(yn):
    edit(yn / "tables" / "interfaces.toml", 'kind = "heartbeat"', 'kind = "heartbeat"\nfed = "x"')
    with pytest.raises(SpecDataError) as exc:
        schemagen.load("henan", yn / "tables")
    assert exc.value.problems == [f"{metaschema.shown(yn / 'tables' / 'interfaces.toml')}: interfaces.heartBeat.fed: unknown key"]


def test_a_broken_errata_register_or_profile_is_an_error_at_load(yn, monkeypatch):
    edit(yn / "errata.toml", 'title = "/init-auth is not listed in §4.1"', 'titel = "/init-auth is not listed in §4.1"')
    monkeypatch.setattr(specdata, "SCHEMAS_DIR", yn.parent)
    specdata.load.cache_clear()
    try:
        with pytest.raises(SpecDataError, match=r"errata\.toml: E-YN-03\.titel: unknown key"):
            specdata.errata("henan")
        with pytest.raises(SpecDataError, match=r"errata\.toml: E-YN-03\.title: missing"):
            specdata.profile("henan", "default")  # the profiles rest on the errata register's switches
    finally:
        specdata.load.cache_clear()


def test_profiles_start_from_the_errata_switch_defaults():
    defaults = specdata.switch_defaults("yunnan")
    assert defaults["nvr_port_field"] == "nvrPost" and defaults["token_error_code"] == 401
    assert specdata.profile("yunnan", "token-500") == defaults | {
        "description": specdata.load("yunnan", "profiles")["token-500"]["description"], "strict": False,
        "token_error_code": 500, "name": "token-500"}
    assert specdata.profile("shunde", "jt809-2019")["header"] == "2019"
    assert specdata.profile("shunde")["header"] == specdata.errata("shunde")["E-SD-04"]["switch_default"]

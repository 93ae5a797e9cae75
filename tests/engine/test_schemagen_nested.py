"""schemagen: object fields and several record arrays per interface, from named [objects] of a toy table.

The toy is shaped like Gansu's inspection upload (zongjian §6.8 shareDetectInfo): a detectRecord object whose
brake results hold one item per axle, several arrays of their own items (image[], suspension[]) and an array of
plain strings.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from harness import schemagen
from harness.metaschema import SpecDataError

INTERFACES = '''
spec = "toy"

[interfaces.shareDetectInfo]
section = "toy §6.8"
path = "/shareDetectInfo"
kind = "upload"

[[interfaces.shareDetectInfo.request]]
name = "detectRecord"
type = "object"
fields = "detectRecord"
required = true
section = "toy §6.8"

[[interfaces.shareDetectInfo.request]]
name = "image"
type = "array"
items = "image"
max_items = 3
section = "toy §6.8"

[[interfaces.shareDetectInfo.request]]
name = "video"
type = "array"
items = "string"
section = "toy §6.8"

[[objects.detectRecord]]
name = "detectSn"
type = "string"
required = true
max_length = 20
section = "toy §6.8"

[[objects.detectRecord]]
name = "brake"
type = "object"
fields = "brake"
required = true
section = "toy §6.8 brake"

[[objects.detectRecord]]
name = "suspension"
type = "array"
items = "suspension"
section = "toy §6.8 suspension"

[[objects.brake]]
name = "initData"
type = "array"
items = "axle"
required = true
min_items = 1
section = "toy §6.8 brake.initData"

[[objects.brake]]
name = "wholeVehicle"
type = "object"
fields = "result"
required = true
section = "toy §6.8 brake.wholeVehicle"

[[objects.axle]]
name = "axleNo"
type = "number"
integer = true
minimum = 1
required = true
section = "toy §6.8 brake.initData"

[[objects.axle]]
name = "evaluate"
type = "string"
code = "evaluate"
required = true
section = "toy §6.8 brake.initData"

[[objects.result]]
name = "evaluate"
type = "string"
code = "evaluate"
required = true
section = "toy §6.8"

[[objects.suspension]]
name = "evaluate"
type = "string"
code = "evaluate"
required = true
section = "toy §6.8 suspension"

[[objects.image]]
name = "imageType"
type = "string"
required = true
section = "toy §6.8 image"
'''

CODES = '''
[evaluate]
section = "toy §6.8"
title = "评价"
codes = { "0" = "合格", "-1" = "不合格", "1" = "一级", "2" = "二级" }
'''


def tables_dir(tmp_path: Path, interfaces: str = INTERFACES) -> Path:
    folder = tmp_path / "toy" / "tables"
    folder.mkdir(parents=True)
    (folder / "interfaces.toml").write_text(interfaces, encoding="utf-8")
    (folder / "codes.toml").write_text(CODES, encoding="utf-8")
    return folder


def good() -> dict:
    return {
        "detectRecord": {
            "detectSn": "GS2026112900001",
            "brake": {"initData": [{"axleNo": 1, "evaluate": "0"}, {"axleNo": 2, "evaluate": "-1"}],
                      "wholeVehicle": {"evaluate": "0"}},
            "suspension": [{"evaluate": "1"}],
        },
        "image": [{"imageType": "1"}],
        "video": ["clip-1"],
    }


@pytest.fixture
def validator(tmp_path) -> Draft202012Validator:
    schema = schemagen.build("toy", tables_dir(tmp_path))["shareDetectInfo.request.schema.json"]
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def errors(validator, obj) -> list[tuple[str, str]]:
    return sorted((e.json_path, e.validator) for e in validator.iter_errors(obj))


def test_a_good_nested_object_passes(validator):
    assert errors(validator, good()) == []


def test_a_bad_code_deep_in_an_axle_is_refused_at_its_path(validator):
    obj = good()
    obj["detectRecord"]["brake"]["initData"][1]["evaluate"] = "3"
    assert errors(validator, obj) == [("$.detectRecord.brake.initData[1].evaluate", "enum")]


def test_a_missing_field_of_a_nested_object_is_refused_at_the_object(validator):
    obj = good()
    del obj["detectRecord"]["brake"]["wholeVehicle"]["evaluate"]
    assert errors(validator, obj) == [("$.detectRecord.brake.wholeVehicle", "required")]


def test_each_record_array_has_its_own_items(validator):
    obj = good()
    obj["image"] = [{"imageType": "1"}, {"evaluate": "0"}]  # an item of another array is no image
    obj["detectRecord"]["suspension"] = [{"imageType": "1"}]
    obj["video"] = ["clip-1", 5]
    assert errors(validator, obj) == [("$.detectRecord.suspension[0]", "required"), ("$.image[1]", "required"),
                                      ("$.video[1]", "type")]


def test_array_bounds_and_integer_types_nest(validator):
    obj = good()
    obj["image"] = [{"imageType": str(i)} for i in range(4)]
    obj["detectRecord"]["brake"]["initData"] = []
    assert errors(validator, obj) == [("$.detectRecord.brake.initData", "minItems"), ("$.image", "maxItems")]
    obj = good()
    obj["detectRecord"]["brake"]["initData"][0]["axleNo"] = 1.5
    assert errors(validator, obj) == [("$.detectRecord.brake.initData[0].axleNo", "type")]


def test_the_nested_schema_keeps_each_fields_clause(tmp_path):
    schema = schemagen.build("toy", tables_dir(tmp_path))["shareDetectInfo.request.schema.json"]
    brake = schema["properties"]["detectRecord"]["properties"]["brake"]
    assert brake["type"] == "object" and brake["x-section"] == "toy §6.8 brake"
    axle = brake["properties"]["initData"]["items"]["properties"]["evaluate"]
    assert axle["x-code-table"] == "evaluate" and axle["x-section"] == "toy §6.8 brake.initData"


def test_a_field_naming_an_unknown_object_is_an_error_at_load(tmp_path):
    folder = tables_dir(tmp_path, INTERFACES.replace('items = "axle"', 'items = "axel"'))
    with pytest.raises(SpecDataError, match=r"interfaces\.toml: objects\.brake\[0\]\.items: unknown object 'axel'"):
        schemagen.load("toy", folder)


def test_an_object_field_needs_its_fields(tmp_path):
    folder = tables_dir(tmp_path, INTERFACES.replace('fields = "result"\n', ""))
    with pytest.raises(SpecDataError, match=r"interfaces\.toml: objects\.brake\[1\]\.fields: missing"):
        schemagen.load("toy", folder)

"""The `henan` document registers its platforms with the engine: CITY (henan §2, §3.1, §4.1); the provincial level
is added beside it (SPECS)."""
from __future__ import annotations

import json
from pathlib import Path

from harness import specdata
from harness.adapter import python_cmd
from harness.registry import SpecInfo

HERE = Path(__file__).resolve().parent
DOCUMENT = dict(document="henan", folder="henan", version="V1.9.4", source="003_feb7b066c8a02de1.txt",
                title_zh="河南省大宗物料运输企业管控门禁系统联网规范")


def _make_city_mock(journal=None, profile=None, clock=None):
    from mocks.henan.city_app import HenanCityMock

    return HenanCityMock(journal=journal, profile=profile, clock=clock)


def _action_schema(action: str) -> dict:
    path = HERE.parents[1] / "schemas" / "henan" / "generated" / f"{action}.request.schema.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


CITY_REQUIREMENTS = {
    "henan §2.1/§3.1 paths": ["henan.transport.reached", "henan.envelope.shape"],
    "henan §2.2 transport, photos": ["henan.http.post_json", "henan.payload.rule"],
    "henan §2.4 envelope": ["henan.envelope.shape", "henan.envelope.organ"],
    "henan §2.5/§2.6 answers": ["henan.answer.accepted"],
    "henan §4.1.1 token": ["henan.token.valid", "henan.token.renewal"],
    "henan §4.1.2-§4.1.8 fields": ["henan.payload.required", "henan.payload.type", "henan.payload.length",
                                   "henan.payload.code", "henan.payload.format", "henan.payload.unknown_field",
                                   "henan.payload.params_intact"],
    "henan §4.1.3 controlled vehicles": ["henan.gate.decision"],
    "henan §6.2-§6.4 numbering": ["henan.payload.format", "henan.payload.composition", "henan.flow.lsh_link"],
    "henan §7 code tables": ["henan.payload.code"],
}

CITY = SpecInfo(
    name="henan-city",
    level="city",
    title_en="Henan bulk-material transport gate control: the city platform (gate systems upload)",
    roles=("client", "server"),
    interfaces=specdata.sections("henan", "city"),
    suite_dir=HERE / "city",
    reference_cmd=lambda: python_cmd("suites.henan.reference_gate_client"),
    make_mock=_make_city_mock,
    action_schema=_action_schema,
    requirements=CITY_REQUIREMENTS,
    **DOCUMENT,
)

SPECS = (CITY,)

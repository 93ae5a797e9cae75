"""The `henan` document registers one spec per platform level (docs/ARCHITECTURE.md "Adding a spec"): CITY (henan
§2, §3.1, §4.1; SUT = an enterprise gate system or a city platform) and PROVINCE (henan §3.2, §4.2; SUT = a city
platform or a provincial platform)."""
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
    "henan §4.1 (server role)": ["henan.server.token", "henan.server.accept", "henan.server.check_vehicle",
                                 "henan.server.reject.token_missing", "henan.server.reject.token_expired",
                                 "henan.server.reject.format", "henan.server.reject.rule",
                                 "henan.server.reject.wrong_ipctype", "henan.server.reject.malformed",
                                 "henan.server.stateful"],
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


# ---- PROVINCE: the provincial platform (henan §3.2, §4.2), called by city platforms ---------------------------
def _make_province_mock(journal=None, profile=None, clock=None):
    from mocks.henan.province_app import HenanProvinceMock

    return HenanProvinceMock(journal=journal, profile=profile, clock=clock)


PROVINCE_REQUIREMENTS = {
    "henan §2.2": ["henan.province.http.post_json"],
    "henan §3.2": ["henan.province.transport.reached"],
    "henan §4.2 answers": ["henan.province.answer.accepted"],
    "henan §4.2.1": ["henan.province.token.valid", "henan.province.token.renewal"],
    "henan §4.2 fields": ["henan.province.payload.required", "henan.province.payload.type",
                          "henan.province.payload.length", "henan.province.payload.code",
                          "henan.province.payload.format", "henan.province.payload.unknown_field"],
    "henan 附录 A (§6.2-§6.4)": ["henan.province.payload.composition"],
    "henan §4.2.5/§4.2.9 data as given": ["henan.province.payload.params_intact"],
    "henan §4.2 table notes": ["henan.province.payload.rule"],
    "henan §4.2.2": ["henan.province.verify.relayed", "henan.province.flow.secrets_used"],
    "henan §4.2.5/§4.2.6": ["henan.province.flow.secrets_used"],
    "henan §4.2.11/§4.2.15": ["henan.province.flow.ledger_link"],
    "henan §2.7 → §4.2.11 relay": ["henan.province.flow.relayed"],
    "henan §4.2.12/§4.2.13": ["henan.province.flow.day_totals"],
    "henan §4.2.22-§4.2.24": ["henan.province.flow.project_lifecycle"],
    "henan §4.2.28/§4.2.29": ["henan.province.flow.fence", "henan.province.server.reject.fence_two_points"],
    "henan §4.2 (server role)": ["henan.province.server.accept", "henan.province.server.answer.schema",
                                 "henan.province.server.token.lifetime", "henan.province.server.need_complete.max20",
                                 "henan.province.server.reject.bad_password", "henan.province.server.reject.token_missing",
                                 "henan.province.server.reject.token_forged", "henan.province.server.reject.token_expired",
                                 "henan.province.server.reject.missing_required",
                                 "henan.province.server.reject.code_outside", "henan.province.server.reject.secret_wrong",
                                 "henan.province.server.reject.ledger_unknown",
                                 "henan.province.server.reject.project_closed",
                                 "henan.province.server.stateful.projects"],
}

PROVINCE = SpecInfo(
    name="henan-province",
    level="province",
    title_en="Henan bulk-material transport gate control: the provincial platform (city platforms upload)",
    roles=("client", "server"),
    interfaces=specdata.sections("henan", "province"),
    suite_dir=HERE / "province",
    reference_cmd=lambda: python_cmd("suites.henan.reference_city_platform"),
    make_mock=_make_province_mock,
    action_schema=_action_schema,
    requirements=PROVINCE_REQUIREMENTS,
    **DOCUMENT,
)

SPECS = (CITY, PROVINCE)

"""The `henan` document registers one spec per platform level (docs/ARCHITECTURE.md "Adding a spec").

(Province branch: only PROVINCE is defined here; the city level adds CITY and `SPECS = (CITY, PROVINCE)`.)
"""
from __future__ import annotations

from pathlib import Path

from harness import specdata
from harness.adapter import python_cmd
from harness.registry import SpecInfo

HERE = Path(__file__).resolve().parent
VERSION = "V1.9.4 (2021-01-18)"
TITLE_ZH = "河南省重污染天气重点行业移动源应急管控（门禁）数据接口规范"
SOURCE = "003_feb7b066c8a02de1.txt"


# ---- PROVINCE: the provincial platform (henan §3.2, §4.2), called by city platforms ---------------------------
def _make_province_mock(journal=None, profile=None, clock=None):
    from mocks.henan.province_app import HenanProvinceMock

    return HenanProvinceMock(journal=journal, profile=profile, clock=clock)


def _province_action_schema(action: str) -> dict:
    import json

    path = HERE.parents[1] / "schemas" / "henan" / "generated" / f"{action}.request.schema.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


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
    document="henan",
    level="province",
    folder="henan",
    version=VERSION,
    title_zh=TITLE_ZH + "（省级平台）",
    title_en="Henan heavy-pollution emergency control of mobile sources: provincial platform (city platform -> province)",
    source=SOURCE,
    roles=("client", "server"),
    interfaces=specdata.sections("henan", "province"),
    suite_dir=HERE / "province",
    reference_cmd=lambda: python_cmd("suites.henan.reference_city_platform"),
    make_mock=_make_province_mock,
    action_schema=_province_action_schema,
    requirements=PROVINCE_REQUIREMENTS,
)

SPECS = (PROVINCE,)

"""The `gansu` spec registers itself with the engine: the inspection-station interface (综检联网), both roles.

The interface is RECONSTRUCTED FROM PUBLIC IMPLEMENTATIONS, NOT FROM THE OFFICIAL TEXT (zongjian.md); the Gansu
document itself (002_c107fb07fe171571.txt) is the rollout guide that points to it.
"""
from __future__ import annotations

import json
from pathlib import Path

from harness import specdata
from harness.adapter import python_cmd
from harness.registry import SpecInfo

HERE = Path(__file__).resolve().parent


def _make_mock(journal=None, profile=None, clock=None):
    from mocks.gansu.app import GansuMock

    return GansuMock(journal=journal, profile=profile, clock=clock)


def _action_schema(action: str) -> dict:
    path = HERE.parents[1] / "schemas" / "gansu" / "generated" / f"{action}.request.schema.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


REQUIREMENTS = {
    "zongjian §transport envelope and paths": ["gansu.transport.reached", "gansu.http.post_json",
                                               "gansu.envelope.shape", "gansu.envelope.value_string",
                                               "gansu.envelope.station"],
    "zongjian §token ;token= parameter": ["gansu.token.valid"],
    "zongjian §payload fields": ["gansu.payload.required", "gansu.payload.type", "gansu.payload.code",
                                 "gansu.payload.format"],
    "zongjian §payload conclusion vs verdicts": ["gansu.payload.rule"],
    "zongjian §6.7 serial issued per vehicle": ["gansu.serial.issued"],
    "zongjian §transport answers": ["gansu.answer.accepted", "gansu.server.accept"],
    "zongjian §token (platform)": ["gansu.server.token", "gansu.server.reject.token"],
    "zongjian §6.7 serials (platform)": ["gansu.server.serial", "gansu.server.reject.serial"],
    "zongjian §payload refusals (platform)": ["gansu.server.reject.value_object", "gansu.server.reject.format",
                                              "gansu.server.reject.contradiction"],
}

SPEC = SpecInfo(
    name="gansu",
    version="reconstruction 2026-11 (not the official text)",
    title_zh="甘肃省道路运输车辆综检联网（检验检测机构接口，依公开实现重构，非官方文本）",
    title_en="Gansu inspection-station networking, reconstructed from public implementations, not the official text",
    source="zongjian.md (reconstructed from public implementations, not the official text); "
           "rollout: 002_c107fb07fe171571.txt",
    roles=("client", "server"),
    interfaces=specdata.sections("gansu"),
    suite_dir=HERE / "station",
    reference_cmd=lambda: python_cmd("suites.gansu.reference_client"),
    make_mock=_make_mock,
    action_schema=_action_schema,
    requirements=REQUIREMENTS,
)

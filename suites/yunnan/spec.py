"""The `yunnan` spec registers itself with the engine: metadata, roles, default SUT, mock, requirements."""
from __future__ import annotations

from pathlib import Path

from harness import specdata
from harness.adapter import python_cmd
from harness.registry import SpecInfo


def _interfaces() -> dict[str, str]:
    return {name: spec["section"] for name, spec in specdata.endpoints("yunnan")["interfaces"].items()}


def _make_mock(journal=None, profile=None, clock=None):
    from mocks.yunnan.app import YunnanMock

    return YunnanMock(journal=journal, profile=profile, clock=clock)


def _action_schema(action: str) -> dict:
    import json

    path = Path(__file__).resolve().parents[2] / "schemas" / "yunnan" / "generated" / f"{action}.request.schema.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


# Clause -> the checks that cover it; the report shows which clauses a run covered.
REQUIREMENTS = {
    "yunnan §4.1": ["yunnan.transport.reached"],
    "yunnan §4.2": ["yunnan.http.post_json", "yunnan.headers.client_id", "yunnan.headers.bearer"],
    "yunnan §4.3": ["yunnan.envelope.shape", "yunnan.answer.accepted"],
    "yunnan §5.1": ["yunnan.envelope.rsa", "yunnan.envelope.aes256", "yunnan.envelope.content", "yunnan.envelope.signature"],
    "yunnan §5.2": ["yunnan.envelope.aes256", "yunnan.payload.json"],
    "yunnan §5.3": ["yunnan.envelope.signature"],
    "yunnan §6.1": ["yunnan.register.once", "yunnan.register.public_key"],
    "yunnan §6.2": ["yunnan.token.valid", "yunnan.token.renewal"],
    "yunnan §6.3–§6.14 fields": ["yunnan.payload.required", "yunnan.payload.type", "yunnan.payload.length",
                                 "yunnan.payload.code", "yunnan.payload.format"],
    "yunnan §6 notes (compositions, rules)": ["yunnan.payload.composition", "yunnan.payload.rule"],
    "yunnan §6.5": ["yunnan.heartbeat.state"],
    "yunnan §6.6/§6.7/§6.9 paging": ["yunnan.pull.complete", "yunnan.pull.paging"],
    "yunnan §6.8/§6.10": ["yunnan.confirm.applied"],
    "yunnan §6.13 vehicleId": ["yunnan.flow.ledger_link"],
    "platform faults (5xx, dropped connection)": ["yunnan.flow.fault_honest"],
    "yunnan §7": ["yunnan.payload.code"],
}

SPEC = SpecInfo(
    name="yunnan",
    version="V1.1 (2025-10)",
    title_zh="云南省重点行业移动源门禁监管系统信息采集传输技术规范",
    title_en="Yunnan key-industry mobile-source gate supervision: collection and transmission spec",
    source="004_f455dced6a3afa56.txt",
    roles=("client",),
    interfaces=_interfaces(),
    suite_dir=Path(__file__).resolve().parent,
    reference_cmd=lambda: python_cmd("suites.yunnan.reference_client"),
    make_mock=_make_mock,
    action_schema=_action_schema,
    requirements=REQUIREMENTS,
)

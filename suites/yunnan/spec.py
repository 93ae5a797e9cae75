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


def _replay(vrun, stimulus, cmd):
    from suites.yunnan.replay import replay

    return replay(vrun, stimulus, cmd)


# Clause -> the checks that cover it; the report shows which clauses a run covered.
REQUIREMENTS = {
    "yunnan §4.1": ["yunnan.transport.reached", "yunnan.server.accept"],
    "yunnan §4.2": ["yunnan.http.post_json", "yunnan.headers.client_id", "yunnan.headers.bearer",
                    "yunnan.server.reject.client_id_missing", "yunnan.server.reject.client_id_wrong",
                    "yunnan.server.reject.token_missing", "yunnan.server.reject.token_forged"],
    "yunnan §4.3": ["yunnan.envelope.shape", "yunnan.answer.accepted", "yunnan.server.answer.shape",
                    "yunnan.server.reject.envelope_incomplete", "yunnan.server.reject.malformed_json",
                    "yunnan.server.reject.oversize", "yunnan.server.stateful.accept"],
    "yunnan §5.1": ["yunnan.envelope.rsa", "yunnan.envelope.aes256", "yunnan.envelope.content", "yunnan.envelope.signature",
                    "yunnan.server.reject.content_tampered", "yunnan.server.reject.signature_other_key",
                    "yunnan.server.reject.aes_key_wrong_public_key", "yunnan.server.answer.envelope"],
    "yunnan §5.2": ["yunnan.envelope.aes256", "yunnan.payload.json", "yunnan.server.reject.aes_key_size",
                    "yunnan.server.answer.envelope"],
    "yunnan §5.3": ["yunnan.envelope.signature", "yunnan.server.reject.signature_other_key"],
    "yunnan §6.1": ["yunnan.register.once", "yunnan.register.public_key", "yunnan.server.register",
                    "yunnan.server.reject.init_auth_twice"],
    "yunnan §6.2": ["yunnan.token.valid", "yunnan.token.renewal", "yunnan.server.token", "yunnan.server.token.lifetime",
                    "yunnan.server.reject.token_expired", "yunnan.server.stateful.token"],
    "yunnan §6.3–§6.14 fields": ["yunnan.payload.required", "yunnan.payload.type", "yunnan.payload.length",
                                 "yunnan.payload.code", "yunnan.payload.format", "yunnan.server.accept",
                                 "yunnan.server.reject.missing_required", "yunnan.server.reject.over_length",
                                 "yunnan.server.reject.code_outside", "yunnan.server.reject.date_format",
                                 "yunnan.server.stateful.lost"],
    "yunnan §6 notes (compositions, rules)": ["yunnan.payload.composition", "yunnan.payload.rule",
                                              "yunnan.server.reject.id_composition"],
    "yunnan §6.5": ["yunnan.heartbeat.state", "yunnan.heartbeat.cadence", "yunnan.server.heartbeat.state"],
    "yunnan §6.6/§6.7/§6.9 paging": ["yunnan.pull.complete", "yunnan.pull.paging", "yunnan.server.pull.complete",
                                     "yunnan.server.pull.isnew", "yunnan.server.answer.schema"],
    "yunnan §6.8/§6.10": ["yunnan.confirm.applied", "yunnan.confirm.all_received", "yunnan.confirm.once",
                          "yunnan.confirm.batch_size", "yunnan.confirm.after_receipt", "yunnan.server.confirm.applied", "yunnan.server.reject.confirm_unknown",
                          "yunnan.server.reject.confirm_too_many", "yunnan.server.stateful.confirmed"],
    "yunnan §6.13 vehicleId": ["yunnan.flow.ledger_link"],
    "platform faults (5xx, dropped connection)": ["yunnan.flow.fault_honest"],
    "yunnan §7": ["yunnan.payload.code", "yunnan.server.reject.code_outside"],
}

SPEC = SpecInfo(
    name="yunnan",
    version="V1.1 (2025-10)",
    title_zh="云南省重点行业移动源门禁监管系统信息采集传输技术规范",
    title_en="Yunnan key-industry mobile-source gate supervision: collection and transmission spec",
    source="004_f455dced6a3afa56.txt",
    roles=("client", "server"),
    interfaces=_interfaces(),
    suite_dir=Path(__file__).resolve().parent,
    reference_cmd=lambda: python_cmd("suites.yunnan.reference_client"),
    make_mock=_make_mock,
    action_schema=_action_schema,
    requirements=REQUIREMENTS,
    replay=_replay,
)

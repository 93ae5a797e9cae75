"""The `shunde` spec registers itself with the engine: metadata, roles, default SUT, mock, requirements, CLI."""
from __future__ import annotations

from pathlib import Path

from harness import specdata
from harness.adapter import python_cmd
from harness.registry import SpecInfo


def _interfaces() -> dict[str, str]:
    return {name: spec["section"] for name, spec in specdata.endpoints("shunde")["interfaces"].items()}


def _make_mock(journal=None, profile=None, clock=None):
    from mocks.shunde.platform import make_mock

    return make_mock(journal=journal, profile=profile, clock=clock)


def _action_schema(action: str) -> dict:
    from suites.shunde.actions import action_schema

    return action_schema(action)


def _add_cli(subparsers) -> None:
    from suites.shunde.cli import add_parser

    add_parser(subparsers)


# Clause -> the checks that cover it; the report shows which clauses a run covered.
REQUIREMENTS = {
    "jt809 notes §Frame (flags, escaping)": ["shunde.frame.escape", "shunde.frame.boundary",
                                            "shunde.platform.malformed", "shunde.platform.frames"],
    "jt809 notes §Frame (CRC)": ["shunde.frame.crc", "shunde.platform.malformed"],
    "jt809 notes §Frame (MSG_LENGTH)": ["shunde.frame.length", "shunde.platform.malformed"],
    "jt809 notes §Frame (header, MSG_GNSSCENTERID)": ["shunde.header.access_code",
                                                      "shunde.platform.login_access_code"],
    "jt809 notes §Frame (body cipher)": ["shunde.cipher.body"],
    "jt809 notes §Messages (0x1001/0x1002)": ["shunde.login.fields", "shunde.login.accepted",
                                             "shunde.platform.login_ok", "shunde.platform.login_password", "shunde.platform.login_user",
                                             "shunde.platform.login_access_code", "shunde.platform.login_ip",
                                             "shunde.platform.login_busy", "shunde.platform.login_other"],
    "jt809 notes §Messages (0x9001/0x9002)": ["shunde.slave.answered", "shunde.platform.slave_link"],
    "jt809 notes §Messages (0x1005/0x1006, 0x9005/0x9006)": ["shunde.heartbeat.main", "shunde.heartbeat.slave",
                                                            "shunde.platform.heartbeat"],
    "jt809 notes §Messages (0x1003/0x1004)": ["shunde.disconnect.orderly", "shunde.platform.disconnect"],
    "jt809 notes §Messages (0x1001/0x1002, 0x1007)": ["shunde.link.reconnect", "shunde.link.backoff"],
    "jt809 notes §Messages (0x1201, E-SD-02)": ["shunde.frame.values"],
    "jt809 notes §Messages (0x1200/0x1202)": ["shunde.location.valid", "shunde.location.intact",
                                             "shunde.location.complete", "shunde.frame.body",
                                             "shunde.platform.positions"],
    "jt809 notes §Messages (0x1203)": ["shunde.history.batch"],
    "shunde Attachment 2": ["shunde.login.fields", "shunde.platform.login_ok"],
    "shunde Attachment 1; Attachment 3": ["shunde.flow.access_sheet"],
    "E-SD-05 (GPS normal rules)": ["shunde.location.plausible", "shunde.location.timely", "shunde.flow.access_sheet"],
}

SPEC = SpecInfo(
    name="shunde",
    version="2012 operator workflow + JT/T 809-2011",
    title_zh="顺德区重点车辆监控与管理平台 GPS监控数据接入（JT/T 809）",
    title_en="Shunde district key-vehicle platform: GPS operator forwarding (JT/T 809)",
    source="000_1a0acc7d7c40cef0.txt; jt809.md",
    roles=("client", "server"),
    interfaces=_interfaces(),
    suite_dir=Path(__file__).resolve().parent,
    reference_cmd=lambda: python_cmd("suites.shunde.reference_forwarder"),
    make_mock=_make_mock,
    mock_scheme="tcp",
    action_schema=_action_schema,
    requirements=REQUIREMENTS,
    add_cli=_add_cli,
)

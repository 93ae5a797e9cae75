"""Gansu's cross-field rules: what the reconstruction (zongjian.md) states beside the fields.

Registered by the names interfaces.toml uses; the clause each cites comes from its entry there. Requests carry
their payload in `IPCType.value` (decoded from its JSON string before validation, E-GS-01).
"""
from __future__ import annotations

from typing import Any, Iterator

from harness.validation import COMMON_RULES, RuleContext, Rules

RULES = Rules(COMMON_RULES)
VALUE = "IPCType.value"
FAIL = "-1"  # evaluate: 不合格 (zongjian §payload)
FAILED_CONCLUSION = "不合格"


def verdicts(node: Any, at: str = "") -> Iterator[tuple[str, str]]:
    """Every (path, evaluate) of a detectRecord's result groups, however deep they nest."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "evaluate" and isinstance(v, str):
                yield at.lstrip(".") or "evaluate", v
            else:
                yield from verdicts(v, f"{at}.{k}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from verdicts(item, f"{at}[{i}]")


def contradiction(value: Any) -> str | None:
    """Why the report's conclusion contradicts its item verdicts, or None."""
    if not isinstance(value, dict):
        return None
    record, report = value.get("detectRecord"), value.get("detectReport")
    if not isinstance(record, dict) or not isinstance(report, dict):
        return None
    result = report.get("detectResult")
    failed = [p for p, e in verdicts(record) if e == FAIL]
    if failed and isinstance(result, str) and result != FAILED_CONCLUSION:
        return (f"detectReport.detectResult {result!r} while detectRecord.{failed[0]} is -1 (不合格)"
                + (f" and {len(failed) - 1} more item(s) failed" if len(failed) > 1 else ""))
    return None


@RULES.rule("conclusion_consistent")
def conclusion_consistent(ctx: RuleContext):
    """The report's detectResult is 不合格 when any item of detectRecord evaluates -1 (不合格)."""
    if VALUE in ctx.bad:
        return
    why = contradiction(ctx.obj.get(VALUE))
    if why:
        yield ctx.violation(f"{VALUE}.detectReport.detectResult", "rule",
                            f"received {why}, spec requires a conclusion that agrees with the item verdicts")

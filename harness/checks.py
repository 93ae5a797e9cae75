"""Check registry: every conformance check is a small named function with a spec clause and a severity."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

SEVERITIES = ("critical", "major", "minor", "info")


@dataclass(frozen=True)
class CheckDef:
    """What a check is: its id, the clause it enforces, how bad a failure is, and its titles."""

    id: str
    spec_ref: str
    severity: str
    title_zh: str
    title_en: str
    fn: Callable[..., Iterable["Problem"] | None] | None = None


@dataclass
class Problem:
    """One thing wrong: a data-first message ("received X, spec requires Y"), at fail or warn level."""

    message: str
    level: str = "fail"  # "fail" | "warn"
    errata: str | None = None  # errata id when the finding comes from an ambiguous clause


def fail(message: str) -> Problem:
    return Problem(message, "fail")


def warn(message: str, errata: str | None = None) -> Problem:
    return Problem(message, "warn", errata)


@dataclass
class CheckResult:
    """One evaluation of a check, with the evidence (request/answer exchanges) that supports it."""

    id: str
    verdict: str
    severity: str
    message: str
    spec_ref: str
    title_zh: str = ""
    title_en: str = ""
    interface: str = ""
    stage: str = ""
    evidence: list[dict[str, Any]] = field(default_factory=list)
    errata: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_REGISTRY: dict[str, CheckDef] = {}


def header(exchange: Any, name: str) -> str:
    """A request header of a journaled exchange, whatever the letter case of its name ("" when absent)."""
    want = name.lower()
    return next((v for k, v in exchange.headers.items() if k.lower() == want), "")


def post_json_problems(exchange: Any, where: str, clause: str, *, json_name: str = "application/json",
                       type_judged: bool = True) -> list[Problem]:
    """The HTTP transport every JSON spec asks for: POST, a JSON Content-Type and, when a charset is named, UTF-8
    (RFC 9110 allows the value quoted: charset="UTF-8"). `where` names the request in the message, `clause` the
    spec text that asks for it; `type_judged=False` leaves the Content-Type to another check."""
    out, e = [], exchange
    if e.method != "POST":
        out.append(fail(f"#{e.seq} {where}: method {e.method}, {clause} requires POST"))
    if not type_judged:
        return out
    ctype = header(e, "Content-Type").lower()
    if not ctype.startswith("application/json"):
        out.append(fail(f"#{e.seq} {where}: Content-Type {ctype or 'missing'}, {clause} requires {json_name}"))
    elif "charset=" in ctype and "charset=utf-8" not in ctype.replace(" ", "").replace('"', ""):
        out.append(fail(f"#{e.seq} {where}: Content-Type {ctype}, {clause} requires UTF-8"))
    return out


def token_problems(exchanges: Iterable[Any], refused: tuple[str, ...], say: Callable[[Any, str], str],
                   expired_advice: str = "") -> list[Problem]:
    """The token judgement of the mocks that note each request's token (`notes["token"]`: ok, missing, unknown,
    expired, ...): a failure per request whose token status is in `refused` (`say(exchange, status)` words it), and
    one when more than one request carried an expired token (the first refusal is how a client learns that its
    token expired; sending it again is the defect)."""
    out, expired = [], 0
    for e in exchanges:
        status = e.notes.get("token")
        if status in refused:
            out.append(fail(say(e, status)))
        expired += status == "expired"
    if expired > 1:
        out.append(fail(f"{expired} requests sent with an expired token{expired_advice}"))
    return out


def check(id: str, spec_ref: str, severity: str, title_zh: str, title_en: str):
    """Register a check function under `id`; the function returns the problems it found (or none)."""
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")

    def deco(fn):
        register(CheckDef(id, spec_ref, severity, title_zh, title_en, fn))
        return fn

    return deco


def declare(id: str, spec_ref: str, severity: str, title_zh: str, title_en: str) -> CheckDef:
    """Register a check whose problems are computed elsewhere and judged with `evaluate()`.

    It has no function on purpose: `run_check` refuses it instead of calling a stand-in that always passes."""
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")
    return register(CheckDef(id, spec_ref, severity, title_zh, title_en, None))


def register(defn: CheckDef) -> CheckDef:
    old = _REGISTRY.get(defn.id)
    if old is not None and (old.spec_ref, old.severity) != (defn.spec_ref, defn.severity):
        raise ValueError(f"check {defn.id} registered twice with different definitions")
    _REGISTRY[defn.id] = defn
    return defn


def get(check_id: str) -> CheckDef:
    try:
        return _REGISTRY[check_id]
    except KeyError:
        raise KeyError(f"unknown check id {check_id!r}; registered: {sorted(_REGISTRY)}") from None


def all_checks(prefix: str = "") -> list[CheckDef]:
    return [c for k, c in sorted(_REGISTRY.items()) if k.startswith(prefix)]


def evaluate(
    check_id: str,
    problems: Iterable[Problem] | None,
    *,
    interface: str = "",
    stage: str = "",
    evidence: list[dict[str, Any]] | None = None,
    pass_message: str = "",
) -> CheckResult:
    """Turn a list of problems into a result: any fail-level problem fails, else any warn warns, else pass."""
    defn = get(check_id)
    problems = list(problems or [])
    fails = [p for p in problems if p.level == "fail"]
    warns = [p for p in problems if p.level == "warn"]
    if fails:
        verdict, shown = "fail", fails + warns
    elif warns:
        verdict, shown = "warn", warns
    else:
        verdict, shown = "pass", []
    message = "; ".join(p.message for p in shown) if shown else (pass_message or "ok")
    return CheckResult(
        id=defn.id,
        verdict=verdict,
        severity=defn.severity,
        message=message,
        spec_ref=defn.spec_ref,
        title_zh=defn.title_zh,
        title_en=defn.title_en,
        interface=interface,
        stage=stage,
        evidence=list(evidence or []),
        errata=sorted({p.errata for p in shown if p.errata}),
    )


def run_check(check_id: str, *args, interface: str = "", stage: str = "", evidence=None, **kwargs) -> CheckResult:
    """Call a registered check function and evaluate what it returns."""
    defn = get(check_id)
    if defn.fn is None:
        raise TypeError(f"check {check_id} has no function; use evaluate() with problems")
    return evaluate(check_id, defn.fn(*args, **kwargs), interface=interface, stage=stage, evidence=evidence)


def skipped(check_id: str, reason: str, *, interface: str = "", stage: str = "") -> CheckResult:
    defn = get(check_id)
    return CheckResult(defn.id, "skip", defn.severity, reason, defn.spec_ref, defn.title_zh, defn.title_en, interface, stage)

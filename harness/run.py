"""A conformance run: its configuration, the results the suites record, and the report model built from them."""
from __future__ import annotations

import datetime as dt
import platform
import random
import time
from importlib import metadata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import __version__, specdata, stages
from harness.checks import CheckResult
from harness.registry import SpecInfo, for_role


DEFAULT_DEADLINE = 3600.0  # seconds a whole run may take (`vconform run --deadline`); then it ends as `error`


# What decides the data a run generates from its seed: `--seed N` repeats a run only under the same versions.
REPRODUCIBILITY_KEYS = ("python", "hypothesis", "faker", "vconform")


def versions() -> dict[str, str]:
    """The versions of this install that decide generated data (report.json `reproducibility`)."""
    return {"python": platform.python_version(), "hypothesis": metadata.version("hypothesis"),
            "faker": metadata.version("faker"), "vconform": __version__}


def parse_versions(text: str) -> dict[str, str]:
    """`python=3.11.7,hypothesis=6.155.2,...` (every key of REPRODUCIBILITY_KEYS, once); ValueError says why not."""
    pairs = [p.strip() for p in text.split(",") if p.strip()]
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not value:
            raise ValueError(f"{pair!r} is not NAME=VERSION")
        if key not in REPRODUCIBILITY_KEYS:
            raise ValueError(f"unknown name {key!r}; known: {', '.join(REPRODUCIBILITY_KEYS)}")
        out[key] = value
    missing = [k for k in REPRODUCIBILITY_KEYS if k not in out]
    if missing:
        raise ValueError(f"missing {', '.join(missing)} (give all of {', '.join(REPRODUCIBILITY_KEYS)}, "
                         f"as the report's reproduce line does)")
    return out


def format_versions(found: dict[str, str]) -> str:
    return ",".join(f"{k}={found[k]}" for k in REPRODUCIBILITY_KEYS)


def version_mismatch(expected: dict[str, str]) -> str:
    """'' when this install has the expected versions; else one line naming each difference."""
    here = versions()
    diffs = [f"{k} {here[k]} here, {expected[k]} expected" for k in REPRODUCIBILITY_KEYS
             if k in expected and expected[k] != here[k]]
    if not diffs:
        return ""
    return (f"--expect-versions: {'; '.join(diffs)} — the same --seed would not generate the same data; install "
            f"the expected versions to replay, or drop --expect-versions for a new run")


class HarnessError(RuntimeError):
    """The harness itself could not run (bad arguments, adapter not found, port in use): exit 2."""


class DeadlineReached(HarnessError):
    """The whole-run deadline passed: the run ends with verdict `error`."""


@dataclass
class RunConfig:
    spec: str
    role: str = "client"
    sut_cmd: str | None = None
    target: str | None = None
    only: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    out: Path = Path("reports")
    seed: int | None = None
    profile: str = "default"
    sign_key: str | None = None
    signoff: dict[str, str] = field(default_factory=dict)
    journal: Path | None = None
    sut_name: str = ""
    sut_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    adapter_timeout: float | None = None  # seconds per adapter call; None: the spec's own, else 60
    deadline: float = DEFAULT_DEADLINE    # seconds for the whole run
    expect_versions: dict[str, str] = field(default_factory=dict)  # a replay: refuse to run under other versions
    campaign: str | None = None  # a campaign database URL: the signed report is recorded there (harness/campaign)

    @property
    def partial(self) -> bool:
        """A run restricted to some interfaces or stages: never a full certification."""
        return bool(self.only or self.stages)

    def __post_init__(self) -> None:
        if self.seed is None:
            self.seed = random.SystemRandom().randrange(1, 2**31)


class RunContext:
    """Collects check results from the suites; one per `vconform run`."""

    def __init__(self, config: RunConfig, spec: SpecInfo):
        self.config, self.spec = config, spec
        self.profile = specdata.profile(spec.folder, config.profile)
        self.results: list[CheckResult] = []
        self.secrets: set[str] = set()
        self.harness_errors: list[str] = []
        self.errata_hit: set[str] = set()
        self.started = _now()
        self.finished = ""
        self.sut_info: dict[str, Any] = {}
        self.current_stage = ""  # the running test's `stage` marker, set by the plugin
        self.deadline_at = time.monotonic() + float(config.deadline)  # the whole run ends by then (monotonic)

    def remaining(self) -> float:
        """Seconds left before the run's deadline (negative once it passed)."""
        return self.deadline_at - time.monotonic()

    def check_deadline(self) -> None:
        """Raise DeadlineReached once the run's deadline passed, noting it once as a harness error."""
        if self.remaining() > 0:
            return
        msg = f"run deadline reached: the run took more than {self.config.deadline:g} s (--deadline); not finished"
        if msg not in self.harness_errors:
            self.harness_errors.append(msg)
        raise DeadlineReached(msg)

    def client_sut(self, reference_label: str, reference_name: str) -> str | list[str]:
        """The client-role SUT command (--sut-cmd, else the spec's reference), noting it for the report."""
        cfg = self.config
        self.sut_info = {"kind": "command" if cfg.sut_cmd else "reference",
                         "cmd": cfg.sut_cmd or reference_label,
                         "name": cfg.sut_name or ("" if cfg.sut_cmd else reference_name),
                         "version": cfg.sut_version or ("" if cfg.sut_cmd else __version__)}
        return cfg.sut_cmd or self.spec.reference_cmd()

    def record(self, result: CheckResult) -> CheckResult:
        """Keep a check result; one that names no stage belongs to the running test's stage."""
        result.stage = result.stage or self.current_stage or stages.DEFAULT
        try:
            stages.get(result.stage)
        except stages.UnknownStage as exc:
            self.harness_errors.append(f"{result.id}: {exc}")
        self.results.append(result)
        self.errata_hit.update(result.errata)
        return result

    def add_secret(self, value: Any) -> None:
        if isinstance(value, str) and len(value) >= 6:
            self.secrets.add(value)

    def failures(self, interface: str | None = None, stage: str | None = None) -> list[CheckResult]:
        return [r for r in self.results if r.verdict == "fail"
                and (interface is None or r.interface == interface) and (stage is None or r.stage == stage)]

    @property
    def verdict(self) -> str:
        """The run's verdict: `error` when the harness could not complete the run (nothing else can be said of
        the SUT); else a run that recorded nothing fails; one whose checks were all skipped passes."""
        if self.harness_errors:
            return "error"
        return "fail" if not self.results or stages.roll_up(r.verdict for r in self.results) == "fail" else "pass"

    def scope(self) -> dict[str, Any]:
        """What the run covered: `partial` when --only or --stage restricted it."""
        cfg = self.config
        return {"partial": cfg.partial, "only": list(cfg.only), "stages": list(cfg.stages)}

    def model(self) -> dict[str, Any]:
        """The report model (DESIGN.md report.json) the writers consume."""
        self.finished = self.finished or _now()
        counts = {v: sum(1 for r in self.results if r.verdict == v) for v in ("pass", "fail", "warn", "skip")}
        groups: dict[tuple[str, str], list[CheckResult]] = {}
        for r in self.results:
            groups.setdefault((r.stage, r.interface), []).append(r)
        exchanges: dict[int, dict[str, Any]] = {}
        interfaces = []
        for (stage, name), rs in groups.items():
            interfaces.append({"name": name, "stage": stage, "section": self.spec.section_of(name),
                               "verdict": stages.roll_up(r.verdict for r in rs), "checks": [_compact(r.as_dict(), exchanges) for r in rs]})
        stage_list = [{"name": st, "verdict": stages.roll_up(r.verdict for r in self.results if r.stage == st)}
                      for st in stages.ordered(r.stage for r in self.results)]
        errata = specdata.errata(self.spec.folder)
        cfg = self.config
        return {
            "tool": {"name": "vconform", "version": __version__},
            "spec": {"name": self.spec.name, "version": self.spec.version, "title_zh": self.spec.title_zh,
                     "title_en": self.spec.title_en},
            "role": cfg.role,
            "profile": self.profile["name"],
            "sut": self.sut_info,
            "started": self.started,
            "finished": self.finished,
            "seed": cfg.seed,
            "verdict": self.verdict,
            "scope": self.scope(),
            "counts": counts,
            "harness_errors": self.harness_errors,
            "stages": stage_list,
            "interfaces": interfaces,
            "errata": [{"id": k, **v, "hit": k in self.errata_hit} for k, v in errata.items()],
            "known_gaps": specdata.known_gaps(self.spec.folder),
            "coverage": for_role(self.spec.coverage([r.id for r in self.results if r.verdict != "skip"]), cfg.role),
            "exchanges": [exchanges[k] for k in sorted(exchanges)],
            "reproduce": self.reproduce_line(),
            "reproducibility": versions(),
            "signoff": {"tester": cfg.signoff.get("tester", ""), "organisation": cfg.signoff.get("organisation", ""),
                        "sut_name": cfg.sut_name or self.sut_info.get("name", ""),
                        "sut_version": cfg.sut_version or self.sut_info.get("version", ""),
                        "date": self.finished[:10], "warnings": self.signoff_warnings()},
        }

    def signoff_warnings(self) -> list[str]:
        """What makes the sign-off less than a person's word: a blank tester or organisation."""
        return [f"{label} is blank (--{flag}): nobody is named as {what} this report"
                for key, flag, label, what in (("tester", "tester", "tester", "having run"),
                                               ("organisation", "organisation", "organisation", "answering for"))
                if not str(self.config.signoff.get(key, "")).strip()]

    def reproduce_line(self) -> str:
        cfg = self.config
        parts = ["vconform", "run", cfg.spec, "--role", cfg.role, "--seed", str(cfg.seed)]
        if cfg.profile != "default":
            parts += ["--profile", cfg.profile]
        if cfg.sut_cmd:
            parts += ["--sut-cmd", repr(cfg.sut_cmd)]
        if cfg.target:
            parts += ["--target", cfg.target]
        for o in cfg.only:
            parts += ["--only", o]
        for st in cfg.stages:
            parts += ["--stage", st]
        if cfg.adapter_timeout:
            parts += ["--adapter-timeout", f"{cfg.adapter_timeout:g}"]
        if cfg.deadline != DEFAULT_DEADLINE:
            parts += ["--deadline", f"{cfg.deadline:g}"]
        parts += ["--expect-versions", format_versions(versions())]  # the seed replays only under these
        return " ".join(parts)


def _compact(check: dict[str, Any], exchanges: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Failures and warnings keep their evidence inline; a pass points at the journal's exchanges by seq.

    Every exchange is kept once in the report's `exchanges` list, so a run of a thousand passing checks
    stays a few MB instead of repeating the same request under each check."""
    keep_inline = check["verdict"] in ("fail", "warn")
    evidence = []
    for item in check.get("evidence") or []:
        if isinstance(item, dict) and item.get("kind") == "exchange" and item.get("seq"):
            exchanges.setdefault(item["seq"], item)
            evidence.append(item if keep_inline else {"kind": "ref", "exchange": item["seq"],
                                                      "path": item.get("path", ""), "outcome": item.get("outcome", "")})
        elif isinstance(item, dict) and item.get("kind") == "adapter" and not keep_inline:
            evidence.append({k: item.get(k) for k in ("kind", "call", "action", "exit_code", "timed_out",
                                                     "duration_ms")})
        else:
            evidence.append(item)
    check["evidence"] = evidence
    return check


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")

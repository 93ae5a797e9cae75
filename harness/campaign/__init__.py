"""The rollout campaign (issue 12 items 4, 5, 8): every signed run of a SUT, per spec, in a real database, and the
stage gates interface -> flow -> pilot -> go-live computed from it. Names no spec: the interfaces come from the
registry, the stage names from harness/stages.py.

    camp = open_campaign(url)            # a file, sqlite:///PATH or postgresql://... (default: $VCONFORM_HOME)
    camp.record("reports/report.json")   # only a report whose signature verifies and whose signer is trusted
    camp.board(SPEC, SUT_NAME)           # the per-interface board and the gates (docs/campaign.md)
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from . import gates
from .gates import PilotRule
from .store import CampaignError, Store, default_url, dumps

__all__ = ["open_campaign", "Campaign", "CampaignError", "RecordRefused", "PilotRule", "default_url"]


class RecordRefused(ValueError):
    """A report the campaign does not take as evidence (unsigned, changed, untrusted, names no SUT): exit 1."""


def open_campaign(url: str | os.PathLike | None = None, *, create: bool = True) -> "Campaign":
    """The campaign database at `url` (None: $VCONFORM_HOME/campaigns.sqlite), its schema created on first use;
    `create` False: an SQLite file that does not exist is a CampaignError (status, gate, certificate only read)."""
    return Campaign(Store(str(url) if url is not None else default_url(), create=create))


def spec_interfaces(spec: str) -> list[str]:
    from harness import registry

    try:
        return list(registry.get(spec).interfaces)
    except KeyError as exc:
        raise CampaignError(exc.args[0]) from None


def pilot_rule(spec: str, window: float | None = None, min_exchanges: int | None = None) -> PilotRule:
    """The pilot rule: the given values, else the spec's data (schemas/<spec>/campaign.toml `pilot_window_hours`,
    `pilot_min_exchanges`, when it has one), else 72 h and 100 exchanges."""
    from harness import registry, specdata

    data: dict[str, Any] = {}
    try:
        folder = registry.get(spec).folder
        if (specdata.SCHEMAS_DIR / folder / "campaign.toml").is_file():
            data = specdata.load(folder, "campaign")
    except KeyError:
        pass
    return PilotRule(window=window if window is not None else float(data.get("pilot_window_hours", 72)) * 3600,
                     min_exchanges=min_exchanges if min_exchanges is not None
                     else int(data.get("pilot_min_exchanges", gates.DEFAULT_PILOT_EXCHANGES)))


class Campaign:
    def __init__(self, store: Store):
        self.store = store

    def close(self) -> None:
        self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- recording -------------------------------------------------------------------------------------------

    def record(self, report: str | os.PathLike, *, key: str | None = None, trust_files: list[str] = (),
               sut: str = "", sut_version: str = "") -> dict[str, Any]:
        """Record one signed report; returns the run row (with `already` True when its digest was recorded before).

        Raises RecordRefused when the report does not verify, its signer is not trusted (`vconform verify`'s
        rules: `key`, `trust_files`, else $VCONFORM_HOME/trusted/ and this machine's key), or it names no SUT name
        or version; `sut`/`sut_version` name them only for a report that names none (a pilot report of a mock in
        observe mode knows no SUT), never to rename."""
        from harness.report import _report_json_path
        from harness.report.trust import verify_trusted

        path = _report_json_path(report)
        if not path.is_file():
            raise RecordRefused(f"{path}: no such report.json")
        raw = path.read_bytes()
        try:
            model = json.loads(raw)
        except ValueError as exc:
            raise RecordRefused(f"{path}: not JSON: {exc}") from None
        if isinstance(model, dict) and model.get("kind") == "certificate":
            raise RecordRefused(f"{path} is a certificate, not a run report")
        verdict = verify_trusted(path, key=key, trust_files=list(trust_files))
        if verdict.status != "valid":
            raise RecordRefused(f"{path}: not recorded, its signature does not make it evidence: {verdict.line()}")
        row = _run_row(model, path, hashlib.sha256(raw).hexdigest(), verdict.key_id, sut, sut_version)
        with self.store.transaction() as db:
            found = db.execute("SELECT id FROM runs WHERE digest = ?", (row["digest"],))
            if found:
                return {**self.run(found[0][0]), "already": True}
            cols = [c for c in store_columns() if c != "id"]
            values = [row[c] for c in cols]
            run_id = db.execute(f"INSERT INTO runs ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
                                f"RETURNING id", values)[0][0]
            for stage, ifaces in row["interfaces"].items():
                for name, v in ifaces.items():
                    db.execute("INSERT INTO run_interfaces (run_id, stage, interface, verdict) VALUES (?, ?, ?, ?)",
                               (run_id, stage, name, v))
            for stage, v in row["stages"].items():
                db.execute("INSERT INTO run_stages (run_id, stage, verdict) VALUES (?, ?, ?)", (run_id, stage, v))
        return {**self.run(run_id), "already": False}

    def note_certificate(self, spec: str, sut: str, version: str, issued: str, digest: str, path: str) -> None:
        with self.store.transaction() as db:
            db.execute("INSERT INTO certificates (spec, sut_name, sut_version, issued, digest, path) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (spec, sut, version, issued, digest, path))

    # --- reading ---------------------------------------------------------------------------------------------

    def run(self, run_id: int) -> dict[str, Any]:
        return self._runs("id = ?", (run_id,))[0]

    def runs(self, spec: str, sut: str) -> list[dict[str, Any]]:
        """Every recorded run of `sut` against `spec`, in recording order."""
        return self._runs("spec = ? AND sut_name = ?", (spec, sut))

    def _runs(self, where: str, params: tuple) -> list[dict[str, Any]]:
        cols = store_columns()
        runs = [dict(zip(cols, r)) for r in self.store.rows(f"SELECT {', '.join(cols)} FROM runs WHERE {where} "
                                                            f"ORDER BY id", params)]
        if not runs:
            return []
        ids = [r["id"] for r in runs]
        marks = ", ".join("?" * len(ids))
        by_id = {r["id"]: r for r in runs}
        for r in runs:
            r.update(partial=bool(r["partial"]), scope_only=json.loads(r["scope_only"]),
                     scope_stages=json.loads(r["scope_stages"]), counts=json.loads(r["counts"]),
                     pilot=json.loads(r["pilot"]) if r["pilot"] else None, interfaces={}, stages={})
        for run_id, stage, name, v in self.store.rows(
                f"SELECT run_id, stage, interface, verdict FROM run_interfaces WHERE run_id IN ({marks})", ids):
            by_id[run_id]["interfaces"].setdefault(stage, {})[name] = v
        for run_id, stage, v in self.store.rows(f"SELECT run_id, stage, verdict FROM run_stages WHERE run_id IN "
                                                f"({marks})", ids):
            by_id[run_id]["stages"][stage] = v
        return runs

    def versions(self, spec: str, sut: str) -> list[str]:
        """The SUT's versions, oldest first (by the finish of their latest run)."""
        latest: dict[str, tuple] = {}
        for r in self.runs(spec, sut):
            key = (gates.when(r["finished"]), r["id"])
            latest[r["sut_version"]] = max(latest.get(r["sut_version"], key), key)
        return sorted(latest, key=latest.get)

    def gates(self, spec: str, sut: str, version: str | None = None,
              rule: PilotRule | None = None) -> tuple[str, list[dict[str, Any]]]:
        """(version, the four gates for it); `version` None: the version of the SUT's latest run."""
        runs = self.runs(spec, sut)
        versions = self.versions(spec, sut)
        if not runs:
            raise CampaignError(f"the campaign has no run of SUT {sut!r} for {spec}; record one first "
                                f"(`vconform campaign record REPORT.json` or `vconform run ... --campaign URL`)")
        version = version if version is not None else versions[-1]
        if version not in versions:
            raise CampaignError(f"the campaign has no run of SUT {sut!r} version {version!r} for {spec}; "
                                f"versions recorded: {', '.join(versions)}")
        older = [v for v in versions if v != version]
        newer_than = older[-1] if older and versions[-1] == version else ""
        return version, gates.evaluate(runs, version, spec_interfaces(spec), rule or pilot_rule(spec), newer_than)

    def board(self, spec: str, sut: str, version: str | None = None, rule: PilotRule | None = None) -> dict[str, Any]:
        """The per-interface board and the gates, JSON-able (docs/campaign.md gives the shape)."""
        rule = rule or pilot_rule(spec)
        version, stage_rows = self.gates(spec, sut, version, rule)
        rows = gates.interface_board(self.runs(spec, sut), spec_interfaces(spec))
        return {"spec": spec, "sut": sut, "version": version,
                "versions": self.versions(spec, sut),
                "pilot_rule": {"window_seconds": rule.window, "min_exchanges": rule.min_exchanges},
                "stages": [{"stage": g["stage"], "state": g["state"], "reason": g["reason"], "at": g["at"],
                            "evidence": [e["digest"] for e in g["evidence"]]} for g in stage_rows],
                "interfaces": [{k: row[k] for k in ("interface", "verdict", "at", "sut_version", "tool_version",
                                                    "report")} for row in rows]}


def store_columns() -> tuple[str, ...]:
    from .store import RUN_COLUMNS

    return RUN_COLUMNS


def _run_row(model: dict[str, Any], path: Path, digest: str, key_id: str, sut: str, sut_version: str) -> dict:
    """The `runs` row of a verified report model."""
    def text(value: Any) -> str:
        return value if isinstance(value, str) else ""

    sut_info = model.get("sut") if isinstance(model.get("sut"), dict) else {}
    signoff = model.get("signoff") if isinstance(model.get("signoff"), dict) else {}
    named_name = text(sut_info.get("name")) or text(signoff.get("sut_name"))
    named_version = text(sut_info.get("version")) or text(signoff.get("sut_version"))
    for what, named, given, flag in (("name", named_name, sut, "--sut"), ("version", named_version, sut_version,
                                                                           "--sut-version")):
        if named and given and named != given:
            raise RecordRefused(f"{path}: the signed report names SUT {what} {named!r}; {flag} {given!r} cannot "
                                f"rename it")
        if not named and not given:
            raise RecordRefused(f"{path}: the report names no SUT {what}: run with --sut-{what} (or give {flag} when "
                                f"recording a report that names none, such as an observe-mode pilot report)")
    spec = model.get("spec") if isinstance(model.get("spec"), dict) else {}
    scope = model.get("scope") if isinstance(model.get("scope"), dict) else {}
    pilot = model.get("pilot")
    if pilot is not None:
        if not (isinstance(pilot, dict) and pilot.get("observed") is True and scope.get("stages") == ["pilot"]
                and all(k in pilot for k in ("window_start", "window_end", "exchanges"))):
            raise RecordRefused(f"{path}: its `pilot` member is not an observe-mode pilot record (needs window_start, "
                                f"window_end, exchanges, observed: true and scope.stages [\"pilot\"])")
        try:
            gates.when(pilot["window_start"]), gates.when(pilot["window_end"]), int(pilot["exchanges"])
        except (TypeError, ValueError):
            raise RecordRefused(f"{path}: its pilot window or exchange count is not readable") from None
    # A run of `--only X` judges X alone: an interface-stage entry of another interface is a setup call the run
    # made (init-auth's registration before heartBeat) and does not count for that interface (docs/campaign.md).
    only = {o for o in scope.get("only") or [] if isinstance(o, str)}
    interfaces: dict[str, dict[str, str]] = {}
    for item in model.get("interfaces") or []:
        if isinstance(item, dict):
            stage, name = text(item.get("stage")) or "interface", text(item.get("name"))
            if stage == "interface" and only and name not in only:
                continue
            interfaces.setdefault(stage, {})[name] = text(item.get("verdict"))
    stage_verdicts = {text(s.get("name")): text(s.get("verdict")) for s in model.get("stages") or []
                      if isinstance(s, dict)}
    tool = model.get("tool") if isinstance(model.get("tool"), dict) else {}
    if not text(spec.get("name")) or not text(model.get("finished")):
        raise RecordRefused(f"{path}: names no spec or finish time: not a vconform run report")
    try:
        gates.when(model["finished"]), gates.when(text(model.get("started")) or model["finished"])
    except ValueError:
        raise RecordRefused(f"{path}: its start or finish time is not an ISO time") from None
    return {"digest": digest, "spec": spec["name"], "role": text(model.get("role")),
            "sut_name": named_name or sut, "sut_version": named_version or sut_version,
            "sut_named_by": "report" if named_name and named_version else "recorder",
            "tool_version": text(tool.get("version")), "started": text(model.get("started")) or model["finished"],
            "finished": model["finished"], "recorded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "verdict": text(model.get("verdict")), "partial": int(bool(scope.get("partial"))),
            "scope_only": dumps(list(scope.get("only") or [])), "scope_stages": dumps(list(scope.get("stages") or [])),
            "counts": dumps(model.get("counts") or {}), "pilot": dumps(pilot) if pilot is not None else None,
            "signer_key_id": key_id, "report_path": str(path.resolve()),
            "interfaces": interfaces, "stages": stage_verdicts}

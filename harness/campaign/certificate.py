"""The go-live certificate (issue 12 item 8): certificate.json + certificate.html, signed like a report.

certificate.json carries `kind: "certificate"`, every stage with its date and evidence (report digests, counts),
the SUT version and the pilot rule applied; `files` holds the sha256 of certificate.html and `signature` the same
Ed25519 / RFC 8785 signature as report.json (harness/report/sign.py). `vconform verify CERT.json` checks it with
the same trust rules as a report (harness/report/trust.py).
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import json
import os
from pathlib import Path
from typing import Any

from harness import __version__
from harness.report import sign as _sign
from harness.report.trust import Verdict, trusted_keys

from . import Campaign, gates
from .gates import PilotRule

KIND = "certificate"
JSON_NAME, HTML_NAME = "certificate.json", "certificate.html"
CERTIFICATE_MAX_BYTES = 4 * 1024 * 1024  # a certificate lists stages and report digests: far below this


class NotReady(ValueError):
    """Go-live is not reached for that SUT version: no certificate (exit 1, with the reason)."""


def build(camp: Campaign, spec: str, sut: str, version: str, rule: PilotRule) -> dict[str, Any]:
    """The unsigned certificate model; NotReady naming the first open stage when go-live is not reached."""
    from harness import registry

    _, rows = camp.gates(spec, sut, version, rule)
    blocking = [g for g in rows if g["state"] != "passed"]
    if blocking:
        g = blocking[0]
        raise NotReady(f"no certificate: go-live is not reached for {sut} {version} on {spec}: "
                       f"{g['stage']} stage {g['state']}: {g['reason']}")
    info = registry.get(spec)
    stage_list = []
    for g in rows:
        stage_list.append({"stage": g["stage"], "state": g["state"], "at": g["at"], "reason": g["reason"],
                           "evidence": [_evidence(r) for r in g["evidence"]]})
    return {"kind": KIND, "format": 1,
            "spec": {"name": spec, "version": info.version, "title_zh": info.title_zh, "title_en": info.title_en},
            "sut": {"name": sut, "version": version},
            "issued": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "tool": {"name": "vconform", "version": __version__},
            "pilot_rule": {"window_seconds": rule.window, "window": gates.format_duration(rule.window),
                           "min_exchanges": rule.min_exchanges},
            "stages": stage_list,
            "interfaces": [{"interface": name, "verdict": "pass"} for name in info.interfaces]}


def _evidence(run: dict[str, Any]) -> dict[str, Any]:
    out = {"report_sha256": run["digest"], "report": run["report_path"], "started": run["started"],
           "finished": run["finished"], "verdict": run["verdict"], "role": run["role"],
           "tool_version": run["tool_version"], "signer_key_id": run["signer_key_id"], "counts": run["counts"],
           "scope": {"partial": run["partial"], "only": run["scope_only"], "stages": run["scope_stages"]},
           "interfaces_passed": sorted(n for n, v in run["interfaces"].get("interface", {}).items() if v == "pass")}
    if run["pilot"] is not None:
        out["pilot"] = run["pilot"]
    return out


def write(model: dict[str, Any], out_dir: str | os.PathLike, sign_key: str | None = None) -> dict[str, Path]:
    """Write certificate.html, then the signed certificate.json covering it by hash."""
    key, _ = _sign.load_or_create_key(sign_key)
    raw = _sign.public_raw(key)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    body = {k: v for k, v in model.items() if k not in ("signature", "files")}
    paths = {"html": out / HTML_NAME, "json": out / JSON_NAME}
    paths["html"].write_text(render_html(body, _sign.key_id(raw), _sign.fingerprint(raw)), encoding="utf-8")
    body["files"] = {HTML_NAME: _sha256(paths["html"])}
    body["signature"] = _sign.sign_model(body, key)
    paths["json"].write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return paths


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def render_html(model: dict[str, Any], key_id: str, fingerprint: str) -> str:
    e = html.escape
    spec, sut = model["spec"], model["sut"]
    rows = []
    for g in model["stages"]:
        ev = "<br>".join(
            f"report sha256 <code>{e(x['report_sha256'])}</code> — {e(x['finished'])}, verdict {e(x['verdict'])}, "
            f"{sum(int(c) for c in x['counts'].values() if isinstance(c, int))} checks"
            + (f", {e(str(x['pilot']['exchanges']))} exchanges observed {e(x['pilot']['window_start'])} – "
               f"{e(x['pilot']['window_end'])}" if "pilot" in x else "")
            for x in g["evidence"]) or "—"
        rows.append(f"<tr><td>{e(g['stage'])}</td><td>{e(g['state'])}</td><td>{e(g['at'])}</td>"
                    f"<td>{e(g['reason'])}</td><td>{ev}</td></tr>")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Go-live certificate — {e(sut['name'])} {e(sut['version'])}</title>
<style>body{{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:.3em .6em;vertical-align:top}}code{{font-size:.85em}}</style></head>
<body>
<h1>上线验收证书 · Go-live certificate</h1>
<p><b>{e(spec['title_zh'])}</b><br>{e(spec['title_en'])} ({e(spec['name'])}, {e(spec['version'])})</p>
<p>SUT <b id="sut">{e(sut['name'])}</b> version <b id="sut-version">{e(sut['version'])}</b>
passed every rollout stage; issued {e(model['issued'])} by {e(model['tool']['name'])} {e(model['tool']['version'])}.
Pilot rule: observation window ≥ {e(model['pilot_rule']['window'])}, ≥ {model['pilot_rule']['min_exchanges']} exchanges.</p>
<table id="stages"><tr><th>stage</th><th>state</th><th>date</th><th>reason</th><th>evidence</th></tr>
{''.join(rows)}
</table>
<p>Signed (Ed25519) by key_id <code>{e(key_id)}</code>, {e(fingerprint)}. This page is covered by its sha256 in
{JSON_NAME}; check both with <code>vconform verify {JSON_NAME}</code>.</p>
</body></html>
"""


def certificate_path(path: str | os.PathLike) -> Path | None:
    """certificate.json for a certificate folder, its JSON or its HTML; None when `path` is not a certificate."""
    p = Path(path)
    if p.is_dir():
        if (p / "report.json").is_file():
            return None  # a report folder
        cand = p / JSON_NAME
    else:
        cand = p.with_name(JSON_NAME) if p.name == HTML_NAME else p
    if not cand.is_file() or cand.suffix.lower() != ".json":
        return None
    if cand.name != JSON_NAME and cand.stat().st_size > CERTIFICATE_MAX_BYTES:
        return None  # a large report.json is not parsed twice by `vconform verify` to learn it is no certificate
    try:
        model = json.loads(cand.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return cand if isinstance(model, dict) and model.get("kind") == KIND else None


def verify(path: str | os.PathLike, *, key: str | None = None, trust_files: list[str] = (),
           home: Path | None = None) -> Verdict:
    """Intact (signature, certificate.html hash) and signed by a trusted key: `vconform verify`'s three answers."""
    from harness.report import _no_duplicates

    json_path = certificate_path(path)
    if json_path is None:
        return Verdict("invalid", f"{path} is not a certificate")
    try:
        model = json.loads(json_path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicates)
    except ValueError as exc:
        return Verdict("invalid", f"{JSON_NAME} is not valid JSON: {exc}")
    ok, reason = _sign.check_signature(model)
    if not ok:
        return Verdict("invalid", reason.replace("report.json", JSON_NAME))
    files = model.get("files")
    if not isinstance(files, dict) or HTML_NAME not in files:
        return Verdict("invalid", f"signed certificate does not record the hash of {HTML_NAME}")
    page = json_path.parent / HTML_NAME
    if not page.is_file():
        return Verdict("invalid", f"{HTML_NAME} is missing")
    if _sha256(page) != files[HTML_NAME]:
        return Verdict("invalid", f"{HTML_NAME} changed since signing")
    trusted = trusted_keys(key, list(trust_files), home)
    raw = base64.b64decode(model["signature"]["public_key"])
    kid, fp = _sign.key_id(raw), _sign.fingerprint(raw)
    what = (f"certificate of {model.get('sut', {}).get('name')} {model.get('sut', {}).get('version')} for "
            f"{model.get('spec', {}).get('name')}, issued {model.get('issued')}")
    for t in trusted:
        if t.raw == raw:
            return Verdict("valid", f"{what}; signed by key_id {kid}, {fp}, trusted by {t.source}; {JSON_NAME}, "
                                    f"{HTML_NAME} unchanged", kid, fp, t.source)
    return Verdict("untrusted", f"{what}; intact, but signed by key_id {kid} ({fp}), a key not trusted here: pass "
                                f"--key or add it with `vconform key trust`", kid, fp)

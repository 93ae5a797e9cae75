"""report.html: a self-contained bilingual page rendered from the report model through a Jinja2 template."""
from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from harness import stages as engine_stages

from .sign import fingerprint
from .writers import count_verdicts, evidence_line, iter_checks, stage_names, stage_verdicts

LONG = 512  # strings longer than this are shortened in the page (never in report.json)
HEAD = 120
TEXT_LIMIT = 20_000  # free text (logs) is kept readable up to this size, then cut

VERDICT_ZH = {"pass": "通过", "fail": "不通过", "warn": "警告", "skip": "跳过", "error": "测试未完成（工具错误）"}
SEVERITY_ZH = {"critical": "严重", "major": "重要", "minor": "次要", "info": "提示"}
ROLE_ZH = {"client": "客户端（上传方）", "server": "服务端（平台方）"}
KIND_ZH = {"exchange": "报文交互", "adapter": "适配器调用", "note": "说明", "ref": "见交换记录"}
# Exchange fields in the order a tester reads them; anything else follows.
FIELD_ORDER = ("seq", "time", "interface", "method", "path", "status", "outcome", "duration_ms", "link", "peer",
               "client_id", "headers", "request_body", "request_plaintext", "response_headers", "response_body",
               "response_plaintext", "cmd", "action", "exit_code", "timed_out", "params", "stdout", "stderr",
               "note", "notes", "text")
FIELD_ZH = {"seq": "序号", "time": "时间", "interface": "接口", "method": "方法", "path": "路径", "status": "状态码",
            "outcome": "判定", "duration_ms": "耗时 ms", "link": "链路", "peer": "对端", "client_id": "客户端标识",
            "headers": "请求头", "request_body": "请求体", "request_plaintext": "请求明文",
            "response_headers": "响应头", "response_body": "响应体", "response_plaintext": "响应明文",
            "cmd": "命令", "action": "动作", "exit_code": "退出码", "timed_out": "超时", "params": "参数",
            "stdout": "标准输出", "stderr": "标准错误", "note": "备注", "notes": "备注", "text": "说明"}

_TEMPLATES = Path(__file__).parent / "templates"
# C0 controls other than tab/newline are invalid in HTML; a SUT's stderr or a binary answer may contain them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _finalize(value: Any) -> Any:
    if isinstance(value, markupsafe.Markup):  # already escaped (e.g. the output of |join): keep it Markup
        return markupsafe.Markup(_CONTROL.sub("\ufffd", value))
    return _CONTROL.sub("\ufffd", value) if isinstance(value, str) else value


_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
    autoescape=True,  # evidence is attacker-controlled text (a SUT's answers): never trust it as markup
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=_finalize,
)


def _blob(s: str) -> str:
    digest = hashlib.sha256(s.encode("utf-8")).hexdigest()
    return f"{s[:HEAD]}…({len(s)} chars, sha256 {digest})"


def shorten(s: str) -> str:
    """Shorten base64/ciphertext-like runs over LONG chars; keep ordinary text (a stack trace) readable."""
    if len(s) <= LONG:
        return s
    if not re.search(r"\s", s):
        return _blob(s)
    s = re.sub(r"\S{%d,}" % (LONG + 1), lambda m: _blob(m.group(0)), s)
    if len(s) > TEXT_LIMIT:
        s = s[:TEXT_LIMIT] + f"\n…(cut at {TEXT_LIMIT} of {len(s)} chars; full text in report.json)"
    return s


def _shorten_deep(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _shorten_deep(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_shorten_deep(v) for v in obj]
    if isinstance(obj, str):
        return shorten(obj)
    return obj


def _pretty(obj: Any) -> str:
    return json.dumps(_shorten_deep(obj), ensure_ascii=False, indent=2)


def _field_text(key: str, value: Any) -> tuple[str, bool]:
    """The text shown for one evidence field, and whether it is a block (pre) rather than inline."""
    if isinstance(value, dict) and key.endswith("headers"):
        return "\n".join(f"{k}: {shorten(str(v))}" for k, v in value.items()), True
    if isinstance(value, (dict, list)):
        return _pretty(value), True
    if isinstance(value, str):
        t = value.strip()
        if t[:1] in "{[" and t[-1:] in "}]":
            try:
                return _pretty(json.loads(t)), True
            except ValueError:
                pass
        text = shorten(value)
        return text, "\n" in text or len(text) > 100
    return json.dumps(value, ensure_ascii=False), False


def evidence_view(item: Any) -> dict[str, Any]:
    """An evidence item laid out for the page: a one-line title and its fields in reading order."""
    if not isinstance(item, dict):
        text, block = _field_text("value", item)
        return {"kind": "", "kind_zh": "", "title": evidence_line(item), "ref": "", "fields": [
            {"key": "value", "zh": "值", "text": text, "block": block}]}
    kind = str(item.get("kind", ""))
    keys = [k for k in FIELD_ORDER if k in item] + [k for k in item if k not in FIELD_ORDER and k != "kind"]
    fields = []
    for k in keys:
        if item[k] is None or item[k] == {} or item[k] == []:
            continue
        text, block = _field_text(k, item[k])
        if k == "time" and isinstance(item[k], (int, float)) and not isinstance(item[k], bool):
            # The journal records epoch seconds; show the wall-clock time beside the raw value.
            stamp = _dt.datetime.fromtimestamp(item[k], _dt.timezone.utc).isoformat(timespec="milliseconds")
            text = f"{stamp} ({text})"
        fields.append({"key": k, "zh": FIELD_ZH.get(k, ""), "text": text, "block": block})
    # A "ref" item points into the report's exchange journal.
    ref = item.get("exchange", "") if kind == "ref" else ""
    return {"kind": kind, "kind_zh": KIND_ZH.get(kind, ""), "title": evidence_line(item), "fields": fields, "ref": ref}


def _check_view(chk: dict[str, Any]) -> dict[str, Any]:
    verdict = chk.get("verdict", "")
    severity = chk.get("severity", "")
    return {
        "id": chk.get("id", ""), "verdict": verdict, "verdict_zh": VERDICT_ZH.get(verdict, verdict),
        "severity": severity, "severity_zh": SEVERITY_ZH.get(severity, severity),
        "spec_ref": chk.get("spec_ref", ""), "title_zh": chk.get("title_zh", ""),
        "title_en": chk.get("title_en", ""), "message": shorten(str(chk.get("message", ""))),
        "errata": list(chk.get("errata") or []),
        "evidence": [evidence_view(e) for e in chk.get("evidence") or []],
    }


def build_view(model: dict[str, Any], *, key_id: str = "", public_key: str = "") -> dict[str, Any]:
    """Everything the template shows, with every key present so the template needs no guards."""
    verdicts = stage_verdicts(model)
    stages = []
    for name in stage_names(model):
        interfaces, stage_checks = [], []
        for iface in model.get("interfaces") or []:
            checks = [c for st, i, c in iter_checks({"interfaces": [iface]}) if st == name]
            if not checks:
                continue
            stage_checks += checks
            v = iface.get("verdict") or engine_stages.roll_up(c.get("verdict", "") for c in checks)
            interfaces.append({"name": iface.get("name", ""), "section": iface.get("section", ""),
                               "verdict": v, "verdict_zh": VERDICT_ZH.get(v, v),
                               "checks": [_check_view(c) for c in checks]})
        counts = count_verdicts(stage_checks)
        v = verdicts[name]
        stages.append({"name": name, "zh": engine_stages.title_zh(name), "verdict": v, "verdict_zh": VERDICT_ZH.get(v, v),
                       "counts": counts, "interfaces": interfaces})

    cited: dict[str, list[str]] = {}
    for _, _, chk in iter_checks(model):
        for eid in chk.get("errata") or []:
            cited.setdefault(eid, []).append(chk.get("id", ""))
    errata_all = model.get("errata") or []
    errata_hit = [dict(e, checks=sorted(set(cited.get(e.get("id"), [])))) for e in errata_all
                  if e.get("hit") or e.get("id") in cited]

    coverage = [{"clause": c.get("clause", ""), "checks": list(c.get("checks") or []),
                 "covered": bool(c.get("covered"))} for c in model.get("coverage") or []]
    spec = model.get("spec") or {}
    sut = model.get("sut") or {}
    verdict = model.get("verdict", "")
    counts = model.get("counts") or count_verdicts([c for _, _, c in iter_checks(model)])
    return {
        "tool": model.get("tool") or {}, "spec": spec, "spec_name": spec.get("name", ""),
        "spec_version": spec.get("version", ""), "spec_title_zh": spec.get("title_zh", ""),
        "spec_title_en": spec.get("title_en", ""), "role": model.get("role", ""),
        "role_zh": ROLE_ZH.get(model.get("role", ""), ""), "profile": model.get("profile", ""),
        "sut_name": sut.get("name", ""), "sut_version": sut.get("version", ""), "sut_kind": sut.get("kind", ""),
        "sut_target": sut.get("cmd") or sut.get("target") or "", "started": model.get("started", ""),
        "finished": model.get("finished", ""), "seed": model.get("seed", ""), "verdict": verdict,
        "verdict_zh": VERDICT_ZH.get(verdict, verdict),
        "counts": {k: counts.get(k, 0) for k in ("pass", "fail", "warn", "skip")},
        "verdict_zh_map": VERDICT_ZH, "stages": stages, "errata_hit": errata_hit,
        "errata_total": len(errata_all), "coverage": coverage, "known_gaps": model.get("known_gaps") or [],
        "coverage_covered": sum(1 for c in coverage if c["covered"]), "reproduce": model.get("reproduce", ""),
        "signoff": [(zh, en, (model.get("signoff") or {}).get(key, "")) for key, zh, en in (
            ("tester", "测试人员", "Tester"), ("organisation", "测试单位", "Organisation"),
            ("sut_name", "被测系统名称", "SUT name"), ("sut_version", "被测系统版本", "SUT version"),
            ("date", "日期", "Date"))] + ([("签名密钥指纹", "Signing key fingerprint", _fingerprint(public_key))]
                                          if public_key else []),
        "signoff_warnings": [str(w) for w in (model.get("signoff") or {}).get("warnings") or []],
        "harness_errors": [str(e) for e in model.get("harness_errors") or []],
        "scope": _scope(model),
        "key_id": key_id, "public_key": public_key,
        "exchanges": [dict(evidence_view(e), seq=e.get("seq", "")) for e in model.get("exchanges") or []
                      if isinstance(e, dict)],
    }


def _fingerprint(public_key: str) -> str:
    """The signer's full key fingerprint (as in the signature member) from the base64 raw public key."""
    try:
        return fingerprint(base64.b64decode(public_key, validate=True))
    except (ValueError, TypeError):
        return ""


def _scope(model: dict[str, Any]) -> dict[str, Any]:
    scope = model.get("scope") or {}
    return {"partial": bool(scope.get("partial")), "only": [str(x) for x in scope.get("only") or []],
            "stages": [str(x) for x in scope.get("stages") or []]}


def render_html(model: dict[str, Any], *, key_id: str = "", public_key: str = "") -> str:
    return _ENV.get_template("report.html.j2").render(r=build_view(model, key_id=key_id, public_key=public_key))


def write_html(model: dict[str, Any], path: Path, *, key_id: str = "", public_key: str = "") -> Path:
    Path(path).write_text(render_html(model, key_id=key_id, public_key=public_key), encoding="utf-8")
    return Path(path)

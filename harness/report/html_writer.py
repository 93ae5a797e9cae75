"""report.html: a self-contained bilingual page rendered from the report model through a Jinja2 template.

Failures first: the page opens with the verdict and the failing checks grouped by root cause (the terminal's
grouping, harness.terminal.root_causes), each with its clause quoted from schemas/<spec>/clauses.toml. It scales
with the run: evidence and the exchange journal are not laid out per row but stored once, as one JSON block
(<script type="application/json" id="vc-data">), and drawn by a few lines of inline script when a row is opened
(the journal a page at a time); passing rows are collapsed. The page is written as a stream, never held whole.
"""
from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any, Iterator

import jinja2
import markupsafe

from harness import stages as engine_stages

from . import clauses as _clauses
from .sign import fingerprint
from .writers import CheckIndex, count_verdicts, evidence_line, format_duration, stage_of

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
            "outcome": "判定", "duration_ms": "耗时", "link": "链路", "peer": "对端", "client_id": "客户端标识",
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


INLINE, BLOCK, JSON_BLOCK = 0, 1, 2  # how a field is shown: <code>, <pre>, <pre> indented by the page's script


def _compact_json(obj: Any) -> str:
    # Compact in the page (indentation is a third of a pull's text); the script indents it for reading without
    # parsing numbers, so a 19-digit id is shown exactly as sent.
    return json.dumps(_shorten_deep(obj), ensure_ascii=False, separators=(",", ":"))


def _field_text(key: str, value: Any) -> tuple[str, int]:
    """The text shown for one evidence field, and how: INLINE, BLOCK or JSON_BLOCK."""
    if isinstance(value, dict) and key.endswith("headers"):
        return "\n".join(f"{k}: {shorten(str(v))}" for k, v in value.items()), BLOCK
    if isinstance(value, (dict, list)):
        return _compact_json(value), JSON_BLOCK
    if isinstance(value, str):
        t = value.strip()
        if t[:1] in "{[" and t[-1:] in "}]":
            try:
                return _compact_json(json.loads(t)), JSON_BLOCK
            except ValueError:
                pass
        text = shorten(value)
        return text, BLOCK if "\n" in text or len(text) > 100 else INLINE
    return json.dumps(value, ensure_ascii=False), INLINE


def evidence_view(item: Any) -> dict[str, Any]:
    """An evidence item laid out for the page: a one-line title and its fields in reading order."""
    if not isinstance(item, dict):
        text, block = _field_text("value", item)
        return {"kind": "", "kind_zh": "", "title": _CONTROL.sub("\ufffd", evidence_line(item)), "ref": "",
                "fields": [{"key": "value", "zh": "值", "text": _CONTROL.sub("\ufffd", text), "block": block}]}
    kind = str(item.get("kind", ""))
    keys = [k for k in FIELD_ORDER if k in item] + [k for k in item if k not in FIELD_ORDER and k != "kind"]
    fields = []
    for k in keys:
        if item[k] is None or item[k] == {} or item[k] == []:
            continue
        text, block = _field_text(k, item[k])
        if k == "time" and isinstance(item[k], (int, float)) and not isinstance(item[k], bool):
            # The journal records epoch seconds; show the wall-clock time (Beijing and UTC) beside the raw value.
            text = f"{both_times(item[k])} ({text})"
        elif k == "duration_ms":
            text = format_duration(item[k])
        fields.append({"key": k, "zh": FIELD_ZH.get(k, ""), "text": _CONTROL.sub("\ufffd", text), "block": block})
    # A "ref" item points into the report's exchange journal.
    ref = item.get("exchange", "") if kind == "ref" else ""
    return {"kind": kind, "kind_zh": KIND_ZH.get(kind, ""), "title": _CONTROL.sub("\ufffd", evidence_line(item)),
            "fields": fields, "ref": ref}


BEIJING = _dt.timezone(_dt.timedelta(hours=8), "UTC+8")
PAGE = 100  # journal entries drawn per page by the page's script


def both_times(value: Any) -> str:
    """A moment in Beijing time (the specs' clock) beside UTC: `2025-10-01 08:00:00 北京时间 UTC+8 / 2025-10-01
    00:00:00 UTC`. Epoch seconds or an ISO 8601 text with an offset; anything else (no offset: its zone is
    unknown) is shown as given."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = _dt.datetime.fromtimestamp(value, _dt.timezone.utc)
    elif isinstance(value, str) and value:
        try:
            moment = _dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is None:
            return value
    else:
        return "" if value is None else str(value)
    spec = "milliseconds" if moment.microsecond else "seconds"
    bj = moment.astimezone(BEIJING).replace(tzinfo=None).isoformat(sep=" ", timespec=spec)
    utc = moment.astimezone(_dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec=spec)
    return f"{bj} 北京时间 UTC+8 / {utc} UTC"


def _anchor(i: int, j: int) -> str:
    return f"c-{i}-{j}"


def _passing_key(i: int, stage: str) -> str:
    """The data block's key of one interface's passing rows in one stage."""
    return f"p-{i}-{stage}"


def _passing_row(chk: dict[str, Any], anchor: str) -> list[Any]:
    """A passing check as the page's script draws it when its interface's passing rows are opened."""
    severity = str(chk.get("severity", ""))
    message = _CONTROL.sub("\ufffd", shorten(str(chk.get("message", ""))))
    return [anchor, chk.get("id", ""), severity, SEVERITY_ZH.get(severity, severity), chk.get("spec_ref", ""),
            chk.get("title_zh", ""), chk.get("title_en", ""), message, len(chk.get("evidence") or [])]


def _quote_title(quotes: list[dict[str, str]]) -> str:
    return "\n".join(f"{q['clause']}: “{q['quote']}”" for q in quotes)


def _check_view(chk: dict[str, Any], anchor: str, clause_data: dict[str, Any]) -> dict[str, Any]:
    verdict = chk.get("verdict", "")
    severity = chk.get("severity", "")
    quotes = _clauses.quotes(str(chk.get("spec_ref", "")), clause_data) if verdict != "pass" else []
    return {
        "id": chk.get("id", ""), "anchor": anchor, "verdict": verdict, "verdict_zh": VERDICT_ZH.get(verdict, verdict),
        "severity": severity, "severity_zh": SEVERITY_ZH.get(severity, severity),
        "spec_ref": chk.get("spec_ref", ""), "quote_title": _quote_title(quotes), "title_zh": chk.get("title_zh", ""),
        "title_en": chk.get("title_en", ""), "message": shorten(str(chk.get("message", ""))),
        "errata": list(chk.get("errata") or []), "n_ev": len(chk.get("evidence") or []),
    }


def failure_groups(model: dict[str, Any], clause_data: dict[str, Any],
                   index: CheckIndex | None = None) -> list[dict[str, Any]]:
    """The failing checks grouped by root cause (the terminal's grouping: check id + normalised message), each
    with its clause quoted, the interfaces it hit and the anchor of its first failing check. With the run's
    `index`, only the failing checks are read."""
    from harness.terminal import root_causes

    interfaces = model.get("interfaces") or []
    if index is not None:  # the grouping sees the failing checks where they stand, and nothing else of the run
        interfaces = [dict(iface, checks=_FailingOnly(iface.get("checks"), index.failing[i]))
                      if i in index.failing else dict(iface, checks=[]) for i, iface in enumerate(interfaces)]
        model = dict(model, interfaces=interfaces)
    groups = []
    for cause in root_causes(model):
        i, j = _locate(cause.pointer, cause.check_id, interfaces)
        chk = interfaces[i]["checks"][j]
        severity = str(chk.get("severity", ""))
        groups.append({
            "count": cause.count, "check_id": cause.check_id, "clause": cause.clause,
            "quotes": _clauses.quotes(cause.clause, clause_data), "interfaces": cause.interfaces,
            "message": shorten(cause.message), "anchor": _anchor(i, j), "severity": severity,
            "severity_zh": SEVERITY_ZH.get(severity, severity), "title_zh": chk.get("title_zh", ""),
            "title_en": chk.get("title_en", ""),
        })
    return groups


_NOT_FAILING = {"verdict": ""}  # what `_FailingOnly` shows in place of a check that did not fail


class _FailingOnly:
    """An interface's checks as the root-cause grouping reads them: each failing check where it stands (read from
    the interface's own sequence, a spool on disk), a stand-in for every other."""

    def __init__(self, checks: Any, failing: list[int]) -> None:
        self._checks, self._failing = checks, failing

    def __len__(self) -> int:
        return len(self._checks)

    def __getitem__(self, j: int) -> Any:
        return self._checks[j]

    def __iter__(self) -> Iterator[Any]:
        last = 0
        for j in self._failing:
            for _ in range(last, j):
                yield _NOT_FAILING
            yield self._checks[j]
            last = j + 1
        for _ in range(last, len(self._checks)):
            yield _NOT_FAILING


def _locate(pointer: str, check_id: str, interfaces: list[dict[str, Any]]) -> tuple[int, int]:
    """(interface index, check index) of a root cause's first failing check: from its JSON pointer, else the first
    failing check with its id."""
    m = re.fullmatch(r"/interfaces/(\d+)/checks/(\d+)", pointer)
    if m and int(m[1]) < len(interfaces) and int(m[2]) < len(interfaces[int(m[1])].get("checks") or []):
        return int(m[1]), int(m[2])
    return next((i, j) for i, iface in enumerate(interfaces) for j, c in enumerate(iface.get("checks") or [])
                if c.get("verdict") == "fail" and str(c.get("id", "")) == check_id)


def _clause_data(model: dict[str, Any]) -> dict[str, Any]:
    """The clause texts of the model's spec (none for a spec this installation does not know)."""
    return _clauses.for_spec(str((model.get("spec") or {}).get("name", "")))


def build_view(model: dict[str, Any], *, key_id: str = "", public_key: str = "",
               index: CheckIndex | None = None) -> dict[str, Any]:
    """Everything the template shows, with every key present so the template needs no guards. Evidence and the
    journal are not in it: `data_chunks` streams them into the page's data block. What it says of the checks as a
    whole comes from the run's `index` (else one pass); the checks themselves are read only for the rows shown
    (those that did not pass)."""
    index = index if index is not None else CheckIndex.of(model)
    clause_data = _clause_data(model)
    verdicts = index.stage_verdicts(model)
    ifaces = list(enumerate(model.get("interfaces") or []))
    stages = []
    for name in index.stage_names(model):
        interfaces, counts = [], count_verdicts(())
        for i, iface in ifaces:
            part = index.parts.get((i, name))
            if part is None:
                continue
            for verdict, n in part.counts.items():
                counts[verdict] = counts.get(verdict, 0) + n
            checks = iface.get("checks") or []
            rows = [_check_view(checks[j], _anchor(i, j), clause_data) for j in part.not_passing]
            v = iface.get("verdict") or engine_stages.roll_up(part.counts)
            interfaces.append({"name": iface.get("name", ""), "section": iface.get("section", ""),
                               "verdict": v, "verdict_zh": VERDICT_ZH.get(v, v), "rows": rows,
                               "passing": part.passing, "passing_key": _passing_key(i, name)})
        v = verdicts[name]
        stages.append({"name": name, "zh": engine_stages.title_zh(name), "verdict": v, "verdict_zh": VERDICT_ZH.get(v, v),
                       "counts": counts, "interfaces": interfaces})

    errata_all = model.get("errata") or []
    errata_hit = [dict(e, checks=sorted(index.errata.get(e.get("id"), ()))) for e in errata_all
                  if e.get("hit") or e.get("id") in index.errata]

    coverage = [{"clause": c.get("clause", ""), "checks": list(c.get("checks") or []),
                 "covered": bool(c.get("covered"))} for c in model.get("coverage") or []]
    spec = model.get("spec") or {}
    sut = model.get("sut") or {}
    verdict = model.get("verdict", "")
    counts = model.get("counts") or index.counts()
    failures = failure_groups(model, clause_data, index)
    return {
        "tool": model.get("tool") or {}, "spec": spec, "spec_name": spec.get("name", ""),
        "spec_version": spec.get("version", ""), "spec_title_zh": spec.get("title_zh", ""),
        "spec_title_en": spec.get("title_en", ""), "role": model.get("role", ""),
        "role_zh": ROLE_ZH.get(model.get("role", ""), ""), "profile": model.get("profile", ""),
        "sut_name": sut.get("name", ""), "sut_version": sut.get("version", ""), "sut_kind": sut.get("kind", ""),
        "sut_target": sut.get("cmd") or sut.get("target") or "", "started": both_times(model.get("started", "")),
        "finished": both_times(model.get("finished", "")), "seed": model.get("seed", ""), "verdict": verdict,
        "verdict_zh": VERDICT_ZH.get(verdict, verdict),
        "counts": {k: counts.get(k, 0) for k in ("pass", "fail", "warn", "skip")},
        "filter_counts": {k: counts.get(k, 0) for k in ("fail", "error", "warn", "skip", "pass")},
        "failures": failures, "failing_checks": sum(g["count"] for g in failures),
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
        "n_exchanges": index.n_exchanges,
        "page_size": PAGE,
    }


# -- the data block ------------------------------------------------------------------------------------------

_SCRIPT_SAFE = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))

try:  # the page's data block is parsed by the browser: any correct JSON encoder will do, orjson is the fastest
    import orjson as _orjson
except ImportError:  # pragma: no cover - a dependency; the stdlib writes the same values
    _orjson = None


def _json_text(obj: Any) -> str:
    if _orjson is not None:
        try:
            return _orjson.dumps(obj).decode("utf-8")
        except TypeError:  # an integer beyond 64 bits, a non-string key: the stdlib writes it
            pass
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _js(obj: Any) -> str:
    """JSON text that cannot end its <script> element or open markup (every <, >, &, U+2028/9 is escaped).
    `str.replace` only where the character occurs: `str.translate` with a table was a third of the page's time."""
    text = _json_text(obj)
    for ch, esc in _SCRIPT_SAFE:
        if ch in text:
            text = text.replace(ch, esc)
    return text


def _compact(view: dict[str, Any]) -> list[Any]:
    return [view["kind"], view["title"], str(view["ref"]),
            [[f["key"], f["text"], int(f["block"])] for f in view["fields"]]]


def data_chunks(model: dict[str, Any]) -> Iterator[markupsafe.Markup]:
    """The page's data block as a stream of JSON records, one per evidence item (each distinct item once), per
    check that has evidence, and per journal exchange:
    ["h", labels] | ["p", key, [passing rows]] | ["i", item] (numbered 0, 1, ... in order) |
    ["e", anchor, [item numbers]] | ["x", seq, title, item].
    Only the digests of the items written are kept, in memory up to a bound and on disk past it (`_Numbers`), so
    memory does not grow with the run."""
    numbers = _Numbers()
    # The same evidence item (an adapter run, a reference to an exchange) is cited by every check that judged it:
    # its view is built once, keyed by the digest of the item itself (b"c" + ...), before any view text is made; a
    # view is keyed by the digest of its text (b"v" + ...).

    def item(view: dict[str, Any]) -> tuple[int, str]:
        text = _js(_compact(view))
        digest = b"v" + hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
        n = numbers.get(digest)
        if n is not None:
            return n, ""
        return numbers.new(digest), '["i",' + text + "],\n"

    def cited(e: Any) -> tuple[int, str]:
        try:  # identical JSON text (keys in the same order) gives an identical view
            key = b"c" + hashlib.blake2b(_orjson.dumps(e), digest_size=16).digest() if _orjson is not None else b""
        except TypeError:
            key = b""
        if key:
            n = numbers.get(key)
            if n is not None:
                return n, ""
        n, text = item(evidence_view(e))
        if key:
            numbers.add(key, n)
        return n, text

    try:
        yield from _data_records(model, item, cited)
    finally:
        numbers.close()


def _data_records(model: dict[str, Any], item: Any, cited: Any) -> Iterator[markupsafe.Markup]:
    yield markupsafe.Markup('[["h",' + _js({"field_zh": FIELD_ZH, "kind_zh": KIND_ZH, "page": PAGE,
                                            "pass": VERDICT_ZH["pass"]}) + "],\n")
    for i, iface in enumerate(model.get("interfaces") or []):
        # One pass over the interface's checks: its passing rows are gathered (the page lists them before the
        # evidence records), the evidence records set aside meanwhile, in a temporary file past a megabyte.
        passing: dict[str, _Held] = {}  # per stage, its passing rows' JSON texts, comma-separated
        held = _Held()
        for j, chk in enumerate(iface.get("checks") or []):
            if chk.get("verdict") == "pass":
                key = _passing_key(i, stage_of(chk, iface))
                rows = passing.get(key)
                if rows is None:
                    rows = passing[key] = _Held()
                rows.write(("," if rows else "") + _js(_passing_row(chk, _anchor(i, j))))
            evidence = chk.get("evidence") or []
            if not evidence:
                continue
            cites, out = [], []  # the numbers of the check's evidence items, the records of those new here
            for e in evidence:
                n, text = cited(e)
                cites.append(n)
                if text:
                    out.append(text)
            out.append('["e",' + _js(_anchor(i, j)) + "," + _js(cites) + "],\n")
            held.write("".join(out))
        for key, rows in passing.items():
            yield markupsafe.Markup('["p",' + _js(key) + ",[")
            for text in rows.read():
                yield markupsafe.Markup(text)
            yield markupsafe.Markup("]],\n")
        for text in held.read():
            yield markupsafe.Markup(text)
    for e in model.get("exchanges") or []:
        if not isinstance(e, dict):
            continue
        view = evidence_view(e)
        n, text = item(view)
        yield markupsafe.Markup(text + '["x",' + _js(str(e.get("seq", ""))) + "," + _js(view["title"]) + f",{n}],\n")
    yield markupsafe.Markup('["end"]]')


class _Numbers:
    """The item number of each digest met (a view's, an evidence item's): the newest LIMIT in a dict, the others in
    an unnamed temporary SQLite database (on disk, its page cache bounded) once there are more. A run of 100,000
    exchanges meets ~400,000 digests: held as a dict they took ~0.5 KB per exchange."""

    LIMIT = 1 << 14

    def __init__(self) -> None:
        self._recent: dict[bytes, int] = {}
        self._db: Any = None
        self._count = 0  # numbers given so far: the next one

    def get(self, key: bytes) -> int | None:
        n = self._recent.get(key)
        if n is None and self._db is not None:
            row = self._db.execute("SELECT n FROM numbers WHERE k = ?", (key,)).fetchone()
            n = row[0] if row is not None else None
        return n

    def new(self, key: bytes) -> int:
        """The next number, now `key`'s (a key not met before)."""
        n = self._count
        self._count += 1
        self.add(key, n)
        return n

    def add(self, key: bytes, n: int) -> None:
        """`key` (not met before) stands for number `n` too."""
        self._recent[key] = n
        if len(self._recent) >= self.LIMIT:
            self._spill()

    def _spill(self) -> None:
        import sqlite3

        if self._db is None:  # "": private, on disk, deleted when closed; one transaction, never committed (as
            # the run's `ResultStore`): the database lives as long as the page is written
            self._db = sqlite3.connect("", isolation_level=None)
            self._db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                                   "CREATE TABLE numbers (k BLOB PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;"
                                   "BEGIN;")
        self._db.executemany("INSERT INTO numbers VALUES (?, ?)", self._recent.items())
        self._recent.clear()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self._recent.clear()


class _Held:
    """Text set aside and read back in order: in memory up to a megabyte, then in an unnamed temporary file."""

    LIMIT = 1 << 20

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._size = 0
        self._file: Any = None

    def __bool__(self) -> bool:
        """True once anything was written."""
        return bool(self._parts) or self._file is not None

    def write(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size > self.LIMIT:
            if self._file is None:
                import tempfile

                self._file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")
            self._file.write("".join(self._parts))
            self._parts, self._size = [], 0

    def read(self) -> Iterator[str]:
        if self._file is not None:
            fh, self._file = self._file, None
            with fh:
                fh.seek(0)
                for block in iter(lambda: fh.read(self.LIMIT), ""):
                    yield block
        if self._parts:
            yield "".join(self._parts)
        self._parts, self._size = [], 0


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


def _chunks(model: dict[str, Any], key_id: str, public_key: str, index: CheckIndex | None) -> Iterator[str]:
    template = _ENV.get_template("report.html.j2")
    view = build_view(model, key_id=key_id, public_key=public_key, index=index)
    return template.generate(r=view, data=data_chunks(model))


def render_html(model: dict[str, Any], *, key_id: str = "", public_key: str = "",
                index: CheckIndex | None = None) -> str:
    return "".join(_chunks(model, key_id, public_key, index))


def write_html(model: dict[str, Any], path: Path, *, key_id: str = "", public_key: str = "",
               index: CheckIndex | None = None) -> Path:
    """Write the page as a stream: its size in memory is one chunk, not the page. `index`: the run's
    `CheckIndex` when the caller gathered it (the report writer, as it spooled the checks)."""
    with Path(path).open("w", encoding="utf-8") as fh:
        buf: list[str] = []
        size = 0
        for chunk in _chunks(model, key_id, public_key, index):
            buf.append(chunk)
            size += len(chunk)
            if size > 1 << 16:
                fh.write("".join(buf))
                buf, size = [], 0
        fh.write("".join(buf))
    return Path(path)

"""Report package: redact the report model once, write report.html, junit.xml and report.json, sign, verify."""
from __future__ import annotations

import base64
import functools
import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

from . import sign as _sign
from .html_writer import write_html
from .redact import Redactor
from .sign import SigningKeyError
from .writers import CheckIndex, Spool, lazy, normalise, sequence, sha256_file, write_junit

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - a dependency; the stdlib writes the same values
    _orjson = None

JSON_NAME, HTML_NAME, JUNIT_NAME = "report.json", "report.html", "junit.xml"
COVERED_FILES = (HTML_NAME, JUNIT_NAME)

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")
# Members every report.json carries; a model built by hand (a test, an older caller) gets these empty defaults.
DEFAULTS: dict[str, Any] = {"profile": "default", "sut": {}, "scope": {"partial": False, "only": [], "stages": []},
                            "harness_errors": [], "stages": [], "interfaces": [], "errata": [], "known_gaps": [],
                            "coverage": [], "exchanges": []}


class ReportContractError(ValueError):
    """The report would break its published schema (harness/report/report.schema.json): a harness bug, exit 2."""


@functools.lru_cache(maxsize=1)
def _contract_validators():
    """(fast, detailed): jsonschema-rs decides, pure jsonschema lists the errors only when there are some."""
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    try:
        import jsonschema_rs

        fast = jsonschema_rs.validator_for(schema, validate_formats=False)
    except ImportError:  # the detailed validator alone is correct, only slower
        fast = None
    return fast, jsonschema.Draft202012Validator(schema)


def check_contract(model: dict[str, Any]) -> None:
    """Validate a finished report model against report.schema.json; raise ReportContractError naming the paths.
    Spooled parts (the writer's exchanges, each interface's checks) are checked one item at a time against the
    schema's `exchanges` items and `$defs/check`, the rest of the model as a whole."""
    interfaces = model.get("interfaces")
    spooled_checks = isinstance(interfaces, (list, tuple)) and any(
        isinstance(i, dict) and lazy(i.get("checks")) for i in interfaces)
    if not (lazy(model.get("exchanges")) or spooled_checks):
        _check(model, _contract_validators())
        return
    head = dict(model)
    if lazy(model.get("exchanges")):
        head["exchanges"] = []
    if spooled_checks:
        head["interfaces"] = [dict(i, checks=[]) if isinstance(i, dict) and lazy(i.get("checks")) else i
                              for i in interfaces]
    _check(head, _contract_validators())
    if spooled_checks:
        checks = _item_validators("check")
        for n, iface in enumerate(interfaces):
            if isinstance(iface, dict) and lazy(iface.get("checks")):
                for m, chk in enumerate(iface["checks"]):
                    _check(chk, checks, f"interfaces/{n}/checks/{m}")
    if lazy(model.get("exchanges")):
        items = _item_validators("exchange")
        for n, item in enumerate(model["exchanges"]):
            _check(item, items, f"exchanges/{n}")


def _check(value: Any, validators: tuple[Any, Any], prefix: str = "") -> None:
    fast, detailed = validators
    if fast is not None and fast.is_valid(value):
        return
    errors = sorted(detailed.iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        where = "; ".join(f"{'/'.join([prefix] * bool(prefix) + list(map(str, e.absolute_path))) or '(top)'}: "
                          f"{e.message[:160]}" for e in errors[:3])
        raise ReportContractError(f"report.json would break its schema ({len(errors)} problem(s)): {where}")


@functools.lru_cache(maxsize=2)
def _item_validators(which: str):
    """(fast, detailed) for one exchange (the schema's `exchanges` items) or one check (`$defs/check`), with the
    schema's definitions."""
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    part = schema["properties"]["exchanges"]["items"] if which == "exchange" else schema["$defs"]["check"]
    sub = dict(part, **{k: schema[k] for k in ("$schema", "$defs") if k in schema})
    try:
        import jsonschema_rs

        fast = jsonschema_rs.validator_for(sub, validate_formats=False)
    except ImportError:
        fast = None
    return fast, jsonschema.Draft202012Validator(sub)


__all__ = ["write_report", "check_contract", "ReportContractError", "verify", "Redactor", "SigningKeyError", "JSON_NAME", "HTML_NAME", "JUNIT_NAME"]


def write_report(
    model: dict[str, Any],
    out_dir: str | os.PathLike,
    *,
    secrets: Iterable[str] = (),
    sign_key: str | None = None,
    journal: str | os.PathLike | None = None,
) -> dict[str, Path]:
    """Redact `model`, write report.html and junit.xml, sign the model (with their hashes) into report.json.

    `journal`, the run's SQLite exchange journal when one was kept, is covered by its hash (`journal` member):
    the evidence can be re-derived from it and `verify` checks it when it is at hand. The journal itself is
    never copied into the report folder: it holds the run's secrets in clear.

    Returns {"json": ..., "html": ..., "junit": ...}; raises SigningKeyError when the key cannot be used.
    """
    # Resolve the key before writing anything: a bad --sign-key must not leave a half-written report behind.
    key, _ = _sign.load_or_create_key(sign_key)
    raw_pub = _sign.public_raw(key)
    kid = _sign.key_id(raw_pub)

    # The writer's own plain-JSON copy of the model, redacted in place. The parts that grow with a run (the checks,
    # the exchanges) are never held whole: the caller may hand them as lists or as re-iterable sequences on disk
    # (the runner's result store), and they are read twice, one value at a time: once to harvest the secrets they
    # reveal, once, when every secret is known, to be masked and set aside in the writer's spool on disk, which
    # every file is then written from. A check that is plain JSON already and in which redaction changes nothing is
    # spooled as it is (no copy); another gets its own normalised, redacted copy.
    exchanges = model.get("exchanges")
    spooled = sequence(exchanges)
    interfaces = model.get("interfaces")
    by_check = isinstance(interfaces, (list, tuple))
    plain = {k: (None if (k == "exchanges" and spooled) or (k == "interfaces" and by_check) else normalise(v))
             for k, v in model.items()}
    for member, default in DEFAULTS.items():
        plain.setdefault(member, json.loads(json.dumps(default)))
    plain.pop("signature", None)
    plain.pop("files", None)  # reserved for the signer; a stale value from an earlier run must not survive
    redactor = Redactor(secrets)
    found: set[str] = set()
    redactor.harvest(plain, found)
    heads = [_interface_head(iface) for iface in interfaces] if by_check else []
    plain_checks = bytearray()  # per check in order: 1 when it is plain JSON already (`plain_json`), noted once
    for iface, head in zip(interfaces if by_check else (), heads):
        redactor.harvest(head, found)
        for chk in _checks_of(iface):
            plain_checks.append(plain_json(chk))
            redactor.harvest(chk if plain_checks[-1] else normalise(chk), found)
    for item in exchanges if spooled else ():
        redactor.harvest(normalise(item), found)
    masker = redactor.masker(found)
    clean = _sign.jcs_safe(masker.redact_in_place(plain), in_place=True)
    spool = Spool()  # one unnamed temporary file for everything spooled below
    # What the files say of the checks as a whole (stages, counts, JUnit names, failing rows, errata cited), noted
    # as each is spooled: each file then reads the spooled checks once.
    index = CheckIndex()
    n_check = -1
    if by_check:
        for i, (iface, head) in enumerate(zip(interfaces, heads)):
            _sign.jcs_safe(masker.redact_in_place(head), in_place=True)
            if not (isinstance(head, dict) and _checks_of(iface)):
                for j, chk in enumerate(head.get("checks") or [] if isinstance(head, dict) else ()):
                    index.add(i, head, j, chk)
                continue
            checks = Spool(share=spool)
            for j, chk in enumerate(_checks_of(iface)):
                n_check += 1
                as_is = plain_checks[n_check] if n_check < len(plain_checks) else plain_json(chk)
                chk = (masker.redacted_or_same(chk) if as_is
                       else _sign.jcs_safe(masker.redact_in_place(normalise(chk)), in_place=True))
                checks.append(chk)
                index.add(i, head, j, chk)
            head["checks"] = checks
        clean["interfaces"] = heads
    else:
        index = CheckIndex.of(dict(clean, exchanges=()))
    if spooled:
        items = Spool(share=spool)
        for item in exchanges:
            item = _sign.jcs_safe(masker.redact_in_place(normalise(item)), in_place=True)
            items.append(item)
            index.add_exchange(item)
        clean["exchanges"] = items
    else:
        for item in clean.get("exchanges") or []:
            index.add_exchange(item)
    masker.release()  # its automaton holds every encoding of every secret: not kept while the files are written
    del masker
    try:
        if journal is not None and Path(journal).is_file():
            jp = Path(journal)
            clean["journal"] = {"name": jp.name, "sha256": sha256_file(jp), "bytes": jp.stat().st_size}

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"html": out / HTML_NAME, "junit": out / JUNIT_NAME, "json": out / JSON_NAME}
        write_html(clean, paths["html"], key_id=kid, public_key=base64.b64encode(raw_pub).decode("ascii"),
                   index=index)
        write_junit(clean, paths["junit"], index=index)
        # The other two files are covered by hash inside the signed model, so one signature protects all three.
        clean["files"] = {name: sha256_file(out / name) for name in COVERED_FILES}
        clean["signature"] = _sign.sign_model(clean, key)
        check_contract(clean)  # what CI reads must match the published schema, or the run is the harness's error
        _write_json(clean, paths["json"])
    finally:
        spool.close()
    return paths


def _checks_of(iface: Any) -> list[Any] | tuple[Any, ...]:
    """An interface's checks when it holds them as a list (else none: the interface is copied whole)."""
    checks = iface.get("checks") if isinstance(iface, dict) else None
    return checks if sequence(checks) else ()


def _interface_head(iface: Any) -> Any:
    """The writer's copy of an interface without its checks (their place kept, empty), or of all of it when it does
    not hold its checks as a list."""
    return normalise(dict(iface, checks=[]) if _checks_of(iface) else iface)


def plain_json(obj: Any) -> bool:
    """True when `obj` is already what a JSON round trip (`writers.normalise`) and the signer's `jcs_safe` would
    make of it: dicts with str keys, lists, str, bool, None, floats and safe-range ints, of exactly these types
    (no subclass, tuple, dataclass or bytes). Such a value equals its plain-JSON copy, so the copy can be skipped."""
    t = type(obj)
    if t is dict:
        return all(type(k) is str for k in obj) and _plain_values(obj.values())
    return _plain_values(obj if t is list else (obj,))


def _plain_values(values: Iterable[Any]) -> bool:
    for v in values:
        t = type(v)
        if t is str or v is None or t is bool or t is float:
            continue
        if t is int:
            if -_sign.SAFE_INTEGER <= v <= _sign.SAFE_INTEGER:
                continue
            return False
        if (t is not dict and t is not list) or not plain_json(v):
            return False
    return True


def _dumps_indented(value: Any) -> bytes:
    """`value` as `writers.render_json` indents it, by orjson when it can (the stdlib's indented encoder is pure
    Python: 40 µs per exchange); the values are the same either way."""
    if _orjson is not None:
        try:
            return _orjson.dumps(value, option=_orjson.OPT_INDENT_2)
        except TypeError:  # orjson refuses what json writes (a non-string key, an integer beyond 64 bits)
            pass
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")


def _write_json(model: dict[str, Any], path: Path) -> None:
    """report.json, indented by two spaces, written a member at a time and an array (the spooled exchanges, the
    interfaces and their spooled checks) an element at a time: never held whole. A newline inside JSON text is
    always structure (string newlines are escaped), so a nested value is indented by adding spaces after each
    newline."""
    with Path(path).open("wb") as fh:
        for chunk in _json_chunks(model, b"\n", top=True):
            fh.write(chunk)
        fh.write(b"\n")


def _json_chunks(value: Any, nl: bytes, *, top: bool = False) -> Iterator[bytes]:
    """`value` as `_dumps_indented` writes it at the indentation `nl` (a newline and the spaces before the value's
    own members' parent), in pieces: an object holding a spooled array, and an array, member by member."""
    if isinstance(value, dict) and (top or any(lazy(v) for v in value.values())):
        if not value:
            yield b"{}"
            return
        inner = nl + b"  "
        for i, (key, member) in enumerate(value.items()):
            yield (b"," if i else b"{") + inner + json.dumps(key, ensure_ascii=False).encode("utf-8") + b": "
            yield from _json_chunks(member, inner, top=top and key == "interfaces")
        yield nl + b"}"
    elif sequence(value) and (top or lazy(value)) and len(value):
        inner = nl + b"  "
        for j, item in enumerate(value):
            yield (b"," if j else b"[") + inner
            yield from _json_chunks(item, inner)
        yield nl + b"]"
    else:
        yield _dumps_indented([] if lazy(value) else value).replace(b"\n", nl)


def _report_json_path(path: str | os.PathLike) -> Path:
    p = Path(path)
    if p.is_dir():
        return p / JSON_NAME
    if p.suffix.lower() == ".json":
        return p
    return p.with_name(JSON_NAME)  # report.html or junit.xml: use the report.json beside it


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two "verdict" members would let a first-wins reader see a different report than the one verified.
    seen: dict[str, Any] = {}
    for k, v in pairs:
        if k in seen:
            raise ValueError(f"duplicate key {k!r}")
        seen[k] = v
    return seen


def verify(path: str | os.PathLike, *, public_key: str | None = None,
           journal: str | os.PathLike | None = None) -> tuple[bool, str]:
    """Check a report's INTEGRITY (directory, report.json or report.html): the signature over the model, the
    files it covers and, when at hand, the journal it names. Who signed is a separate question: see
    `harness.report.trust.verify_trusted`, which the CLI uses.

    Returns (ok, reason); raises SigningKeyError when `public_key` itself cannot be read.
    """
    expected = _sign.parse_public_key(public_key) if public_key is not None else None
    json_path = _report_json_path(path)
    if not json_path.is_file():
        return False, f"{json_path} not found"
    try:
        model = json.loads(json_path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError) as exc:
        return False, f"{JSON_NAME} is not valid JSON: {exc}"
    if not isinstance(model, dict):
        return False, f"{JSON_NAME} is not a JSON object"

    ok, reason = _sign.check_signature(model, expected)
    if not ok:
        return False, reason

    files = model.get("files")
    if not isinstance(files, dict) or any(name not in files for name in COVERED_FILES):
        return False, f"signed model does not record hashes of {', '.join(COVERED_FILES)}"
    problems = []
    for name, digest in sorted(files.items()):
        target = json_path.parent / Path(str(name)).name  # only files beside report.json, never elsewhere
        if not target.is_file():
            problems.append(f"{name} is missing")
        elif sha256_file(target) != digest:
            problems.append(f"{name} changed since signing")
    journal_note = ""
    if isinstance(model.get("journal"), dict):
        rec = model["journal"]
        jpath = Path(journal) if journal is not None else json_path.parent / Path(str(rec.get("name", ""))).name
        if jpath.is_file():
            if sha256_file(jpath) != rec.get("sha256"):
                problems.append(f"journal {jpath.name} changed since signing")
            else:
                journal_note = f"; journal {jpath.name} unchanged"
        elif journal is not None:
            problems.append(f"journal {jpath} not found")
        else:
            journal_note = f"; journal {rec.get('name')} not at hand, not checked (give --journal FILE)"
    elif journal is not None:
        problems.append("the report names no journal, but one was given to check")
    if problems:
        return False, "; ".join(problems)

    trust = "the expected key" if expected is not None else "the key embedded in the report; pass a public key to pin the signer"
    return True, f"{reason} ({trust}); {JSON_NAME}, {', '.join(sorted(files))} unchanged{journal_note}"

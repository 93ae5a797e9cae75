"""The findings of harness/validation.py over a fixed corpus, to show that a change to the validator leaves every
violation byte-identical (message, path, kind, level, errata, order):

    python bench/validation_corpus.py --against DIR   # DIR: another source tree, e.g. `git archive BASE | tar -x -C DIR`
    python bench/validation_corpus.py --emit FILE     # the findings as JSON lines (what --against compares)

The corpus, for every validator (yunnan, henan city, henan province, gansu), every interface and both directions:
a base object synthesized from the table's field definitions (Yunnan: also its data generator's valid samples),
mutated 12 ways at every field of the top level and of the first record (missing, null, a number, a decimal, a
boolean, empty, 300 characters, off any pattern, a list, an object, an impossible date, "-1") plus an unknown field;
the invalid-bodies bench's 200 `init-auth` bodies; each validated under the default profile, a strict one and each
errata switch at its accepted reading. Not a test (it takes a minute): run it for a change to the validator and
quote its summary line.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile

TREE = os.environ.get("VCONFORM_TREE") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TREE)

MUTATIONS = [("missing", None), ("null", None), ("number", 7), ("decimal", 1.23456), ("boolean", True), ("empty", ""),
             ("long", "x" * 300), ("off pattern", "bad value !"), ("list", [1, "a"]), ("object", {"a": 1}),
             ("impossible date", "2023-02-30 25:61:61"), ("minus one", "-1")]


def validators() -> list[tuple[str, object]]:
    from schemas.gansu.validate import VALIDATOR as gansu
    from schemas.henan import province_validate
    from schemas.henan.validate import VALIDATOR as henan
    from schemas.yunnan.validate import VALIDATOR as yunnan

    return [("yunnan", yunnan), ("henan city", henan), ("henan province", province_validate.VALIDATOR),
            ("gansu", gansu)]


def synth(v, interface: str, scope: str, depth: int = 0) -> dict:
    """An object with a plausible value for every field of a table (valid or not: both trees see the same)."""
    t = v.tables
    out = {}
    for name, f in v.field_defs(interface, scope).items():
        kind = f["type"]
        if f.get("enum"):
            out[name] = f["enum"][0]
        elif f.get("code"):
            values = t.code_values(f)
            out[name] = values[0] if values else "1"
        elif kind == "number":
            out[name] = f.get("minimum", 1)
        elif kind == "file":
            out[name] = "data:image/jpeg;base64,/9j/4AAQ"
        elif kind == "array":
            named = f.get("items")
            if depth > 2:
                out[name] = []
            elif named in t.objects:
                out[name] = [synth(v, interface, f"obj:{named}", depth + 1)]
            elif named is None:
                out[name] = [synth(v, interface, "records", depth + 1)]
            else:
                out[name] = ["1"]
        elif kind == "object":
            named = f.get("fields")
            out[name] = synth(v, interface, f"obj:{named}", depth + 1) if named in t.objects and depth <= 2 else {}
        elif t.format_names(f):
            out[name] = "2024-01-02 03:04:05"
        else:
            out[name] = "1" * int(f.get("length", f.get("min_length", 1)))
    return out


def mutated(base: dict, records: list[str]):
    yield "base", base
    yield "unknown field", {**base, "zzUnknown": "1"}
    for name in base:
        for label, value in MUTATIONS:
            obj = dict(base)
            if label == "missing":
                del obj[name]
            else:
                obj[name] = value
            yield f"{name}: {label}", obj
    for a in records:
        items = base.get(a)
        if not (isinstance(items, list) and items and isinstance(items[0], dict)):
            continue
        for name in items[0]:
            for label, value in MUTATIONS:
                item = dict(items[0])
                if label == "missing":
                    del item[name]
                else:
                    item[name] = value
                yield f"{a}[0].{name}: {label}", {**base, a: [item] + items[1:]}


def profiles(v) -> list[dict | None]:
    out: list[dict | None] = [None, {"strict": True}]
    for e in v.tables.meta.get("errata_switches", {}).values():
        if "accept" in e:
            out.append({e["switch"]: e["accept"]})
    return out


def emit(path: str) -> None:
    import orjson

    lines = []
    for label, v in validators():
        t = v.tables
        bases = []
        for interface in t.interfaces:
            for direction in ("request", "response"):
                if v.field_defs(interface, direction):
                    bases.append((interface, direction, "synth", synth(v, interface, direction)))
        if label == "yunnan":
            from schemas.yunnan.datagen import YunnanData

            for seed in (1, 2, 3):
                d = YunnanData(seed)
                for interface in t.interfaces:
                    for direction in ("request", "response"):
                        try:
                            obj = d.sample(interface, direction)
                        except Exception:  # noqa: BLE001 - no sample for it: the synthesized base covers it
                            continue
                        if isinstance(obj, dict):
                            bases.append((interface, direction, f"sample {seed}", obj))
            import orjson as _o

            from bench.invalid_bodies import invalid_bodies

            for i, b in enumerate(invalid_bodies()):
                bases.append(("init-auth", "request", f"bench body {i}", _o.loads(b)))
        profs = profiles(v)
        for interface, direction, origin, base in bases:
            records = [a for a in v.array_fields(interface, direction)]
            objs = mutated(base, records) if not origin.startswith("bench") else [("as is", base)]
            for what, obj in objs:
                for k, prof in enumerate(profs):
                    try:
                        found = [x.__dict__ for x in v.validate(interface, direction, obj, profile=prof)]
                    except Exception as exc:  # noqa: BLE001 - recorded: both trees must raise alike
                        found = f"raised {type(exc).__name__}"
                    lines.append(orjson.dumps([label, interface, direction, origin, what, k, found]))
    with open(path, "wb") as f:
        f.write(b"\n".join(lines) + b"\n")


def summary(path: str) -> tuple[int, int, str]:
    import orjson

    data = open(path, "rb").read()
    rows = data.splitlines()
    found = sum(len(r[-1]) for r in map(orjson.loads, rows) if isinstance(r[-1], list))
    return len(rows), found, hashlib.sha256(data).hexdigest()[:16]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--emit", metavar="FILE")
    ap.add_argument("--against", metavar="DIR", help="another source tree: its findings on the same corpus")
    args = ap.parse_args()
    if args.against and not os.path.isfile(os.path.join(args.against, "harness", "validation.py")):
        # (else the subprocess imports this tree's installed package and compares it with itself: "identical")
        ap.error(f"--against {args.against}: no source tree there (no harness/validation.py)")
    if args.emit:
        emit(args.emit)
        return 0
    with tempfile.TemporaryDirectory(prefix="vconform-corpus-") as tmp:
        mine = os.path.join(tmp, "this.jsonl")
        emit(mine)
        rows, found, digest = summary(mine)
        print(f"this tree: {rows} validations, {found} violations, sha256 {digest}")
        if not args.against:
            return 0
        other = os.path.join(tmp, "other.jsonl")
        subprocess.run([sys.executable, os.path.abspath(__file__), "--emit", other], check=True,
                       env={**os.environ, "VCONFORM_TREE": os.path.abspath(args.against)})
        orows, ofound, odigest = summary(other)
        print(f"{args.against}: {orows} validations, {ofound} violations, sha256 {odigest}")
        a, b = open(mine, "rb").read().splitlines(), open(other, "rb").read().splitlines()
        diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
        if len(a) != len(b) or diff:
            for i in diff[:5]:
                print(f"differs:\n  this:  {a[i][:600]!r}\n  other: {b[i][:600]!r}")
            print(f"DIFFERENT: {len(diff)} validations differ ({len(a)} vs {len(b)} lines)")
            return 1
        print("identical: every violation byte-equal, in the same order")
    return 0


if __name__ == "__main__":
    sys.exit(main())

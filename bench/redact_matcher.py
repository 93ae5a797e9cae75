"""Benchmark: the redaction automaton of the secrets' encodings, memory per distinct secret and masking CPU per text,
for each matcher it could be built with.

Candidates: `pyahocorasick` (the matcher before this bench: pyahocorasick's C automaton, every match listed and the
leftmost-longest chosen in Python; `PyLiterals` below, kept as the reference the property tests compare with) and
ahocorasick-rs, the Rust `aho-corasick` crate, in each of its implementations (`NoncontiguousNFA`,
`ContiguousNFA`, `DFA`), leftmost-longest (`harness.report.redact._Literals`). Every candidate holds the same
literals: every encoding of every secret, the hex forms left out and found by decoding hex runs.

Each (candidate, size) runs in its own process: RSS (VmRSS) before and after the automaton is built, and the peak
(VmHWM) while building it, both per secret; then the CPU to mask a sample of the texts a report holds (the bench
exchanges' strings, see bench/report_write.py), per text. RSS does not depend on the machine's load; CPU does:
compare the candidates' CPU within one run (rounds interleaved), not across runs.

    python bench/redact_matcher.py [--sizes 20000,100000] [--secrets per-enterprise] [--rounds 3]
    python bench/redact_matcher.py --sizes 20000 --candidates pyahocorasick,ContiguousNFA,DFA
    python bench/redact_matcher.py --sizes 100000 --candidates ContiguousNFA --chunks 32768,65536,131072,0

`--chunks` builds each ahocorasick-rs candidate with at most that many words per automaton (`redact.CHUNK`; 0: one
automaton of them all), to choose CHUNK: the peak falls with smaller chunks, the searches per text grow with their
number.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from typing import Iterable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.report import redact as R  # noqa: E402

CANDIDATES = ("pyahocorasick", "NoncontiguousNFA", "ContiguousNFA", "DFA")
# A DFA takes ~19 KB per secret (~1.9 GB at 100k): asked for by name only, at small sizes.
DEFAULT_CANDIDATES = ("pyahocorasick", "NoncontiguousNFA", "ContiguousNFA")


class PyLiterals:
    """The matcher redaction used before ahocorasick-rs (pyahocorasick): same literals, same hex split, every match
    (overlapping ones too) listed, then the regular expression's choice: the leftmost, the longest there, then on
    after it. Kept as the baseline of this bench and the reference of tests/engine/test_redact_matcher.py."""

    def __init__(self, values: Iterable[str], raw: Iterable[bytes] = ()) -> None:
        import ahocorasick

        self._auto = ahocorasick.Automaton(ahocorasick.STORE_LENGTH)
        for v in values:
            if v:
                self._auto.add_word(v)
        self._auto.make_automaton()
        self._raw = ahocorasick.Automaton(ahocorasick.STORE_LENGTH)
        shortest = 0
        for r in raw:
            if r and len(r) * 2 >= R.MIN_REGISTERED_LEN:
                self._raw.add_word(r.decode("latin-1"))
                shortest = min(shortest or len(r), len(r))
        self._raw.make_automaton()
        self._hex_run = re.compile("[0-9A-Fa-f]{%d,}" % (2 * shortest)) if shortest else None

    @classmethod
    def of_secrets(cls, secrets: Iterable[str]) -> "PyLiterals":
        words, raws = R.split_literals(secrets)
        return cls(words, raws)

    def sub(self, repl: str, s: str) -> str:
        found = [(end - length + 1, -length) for end, length in self._auto.iter(s)] if len(self._auto) else []
        if self._hex_run is not None:
            for at, raw in R.decoded_hex_runs(self._hex_run, s):
                decoded = raw.decode("latin-1")
                for end, length in self._raw.iter(decoded):
                    start = at + 2 * (end - length + 1)
                    word = decoded[end - length + 1:end + 1].encode("latin-1").hex()
                    text = s[start:start + 2 * length]
                    if text == word or text == word.upper():
                        found.append((start, -2 * length))
        if not found:
            return s
        found.sort()
        out: list[str] = []
        last = 0
        for start, neg in found:
            if start < last:
                continue
            out.append(s[last:start])
            out.append(repl)
            last = start - neg
        out.append(s[last:])
        return "".join(out)


def bench_secrets(n: int, model: str) -> list[str]:
    """The distinct secrets bench/report_write.py's run of `n` exchanges teaches the redactor, in that secret model."""
    from report_write import secret_names

    return secret_names(n, model)


def _texts(count: int) -> list[str]:
    """The strings of `count` bench exchanges, as the masker meets them (JSON bodies as text, header values, ...)."""
    from report_write import _exchange

    rng = random.Random(7)
    out: list[str] = []

    def strings(v):
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict):
            for x in v.values():
                strings(x)

    for seq in range(1, count + 1):
        strings(_exchange(seq, rng))
    return out


def _status() -> tuple[int, int]:
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def _measure(candidate: str, n: int, model: str, texts: int, chunk: int | None = None) -> None:
    if chunk is not None:
        R.CHUNK = chunk or 10 ** 12
    secrets = bench_secrets(n, model)
    sample = _texts(texts)
    gc.collect()
    rss0, _ = _status()
    cpu0 = time.process_time()
    if candidate == "pyahocorasick":
        lit = PyLiterals.of_secrets(secrets)
    else:
        words, raws = R.split_literals(secrets)
        lit = R._Literals(words, raws, implementation=candidate)
    build = time.process_time() - cpu0
    gc.collect()
    rss1, peak = _status()
    cpu0 = time.process_time()
    masked = sum(lit.sub(R.MASK, s) != s for s in sample)
    mask = time.process_time() - cpu0
    print(json.dumps({"candidate": candidate + (f"/{chunk}" if chunk is not None else ""), "n": n,
                      "automata": len(getattr(lit, "_autos", ())) + len(getattr(lit, "_raws", ())), "secrets": len(secrets), "build_s": build,
                      "rss_b_per_secret": (rss1 - rss0) * 1024 / len(secrets),
                      "peak_b_per_secret": (peak - rss0) * 1024 / len(secrets),
                      "mask_us_per_text": mask * 1e6 / len(sample), "masked": masked, "texts": len(sample)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="20000,100000", help="exchanges of the bench run whose secrets are learnt")
    ap.add_argument("--secrets", default="per-exchange", choices=("per-exchange", "per-enterprise"))
    ap.add_argument("--candidates", default=",".join(DEFAULT_CANDIDATES), help=f"of {', '.join(CANDIDATES)}")
    ap.add_argument("--texts", type=int, default=3000, help="bench exchanges whose strings are masked")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--chunks", default="", help="words per automaton to try (0: one automaton); default CHUNK")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.child:
        name, _, chunk = args.child.partition("/")
        _measure(name, sizes[0], args.secrets, args.texts, int(chunk) if chunk else None)
        return
    candidates = args.candidates.split(",")
    for c in candidates:
        if c not in CANDIDATES:
            ap.error(f"unknown candidate {c!r}: one of {', '.join(CANDIDATES)}")
    if args.chunks:
        candidates = [c if c == "pyahocorasick" else f"{c}/{k}" for c in candidates for k in args.chunks.split(",")]
    results: dict[tuple[str, int], list[dict]] = {}
    for _ in range(args.rounds):
        for n in sizes:
            for c in candidates:  # interleaved: every candidate sees the same load in each round
                run = subprocess.run([sys.executable, __file__, "--child", c, "--sizes", str(n), "--secrets",
                                      args.secrets, "--texts", str(args.texts)], capture_output=True, text=True)
                if run.returncode:
                    print(f"{c} at {n}: failed ({run.stderr.strip().splitlines()[-1:]})", file=sys.stderr)
                    continue
                results.setdefault((c, n), []).append(json.loads(run.stdout.strip().splitlines()[-1]))
    print(f"redaction automaton, secrets {args.secrets}; RSS is load-independent, CPU only comparable within this run")
    print(f"{'candidate':>24} {'exchanges':>9} {'secrets':>8} {'automata':>8} {'B/secret':>9} {'peak B/secret':>13} "
          f"{'build s':>8} {'mask us/text':>12} {'vs first':>8}")
    first: dict[int, float] = {}
    for n in sizes:
        for c in candidates:
            rs = results.get((c, n))
            if not rs:
                continue
            med = {k: statistics.median(r[k] for r in rs) for k in
                   ("rss_b_per_secret", "peak_b_per_secret", "build_s", "mask_us_per_text")}
            first.setdefault(n, med["mask_us_per_text"])
            print(f"{c:>24} {n:>9} {rs[0]['secrets']:>8} {rs[0].get('automata', 1):>8} {med['rss_b_per_secret']:>9.0f} "
                  f"{med['peak_b_per_secret']:>13.0f} {med['build_s']:>8.2f} {med['mask_us_per_text']:>12.2f} "
                  f"{med['mask_us_per_text'] / first[n]:>8.2f}")
    masked = {r["masked"] for rs in results.values() for r in rs}
    print("texts masked: " + ("the same for every candidate" if len(masked) == 1 else f"DIFFER: {sorted(masked)}"))


if __name__ == "__main__":
    main()

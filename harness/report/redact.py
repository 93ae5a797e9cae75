"""Secret redaction applied once to the report model, before any writer (JSON, HTML, JUnit) sees it."""
from __future__ import annotations

import copy
import ctypes
import json
import re
from typing import Any, Iterable, Iterator

try:  # linear multi-literal search; without it a trie-shaped regular expression does the same, slower to build
    import ahocorasick_rs as _ahocorasick
except ImportError:  # pragma: no cover - a dependency; the fallback is exact, only slower
    _ahocorasick = None

# The kind of automaton the secrets' encodings are held in (ahocorasick-rs `Implementation`): the contiguous NFA holds
# them in the least memory at its peak (1.8 KB per bench secret; pyahocorasick 2.6, the noncontiguous NFA 1.9, a DFA
# 19) and searches as fast as any (bench/redact_matcher.py; bench/RESULTS.md, "Report writing").
AUTOMATON = "ContiguousNFA"
# Words per automaton: the crate builds a noncontiguous NFA and then converts it, so a build peaks at about twice what
# the automaton keeps (1.8 vs 0.8 KB per bench secret); chunked, the transient is one chunk's (a bench secret gives 3
# words and 2 raw byte strings: 100,000 secrets are 5 word automata and 4 raw ones). Chosen by measurement
# (bench/redact_matcher.py --chunks; bench/RESULTS.md, "Report writing"): larger chunks raise the peak, smaller ones
# add searches per text (each word automaton scans every text).
CHUNK = 65536
# How far past a point (characters, beyond its longest word) a word automaton is searched again first, when another
# automaton's match hid its next one: the search widens if nothing is found.
WINDOW = 256

MASK = "***"
KEY_MASK = "***PRIVATE KEY***"

# Normalised key names (lower case, "_" and "-" removed) whose values are secrets wherever they appear.
SECRET_KEYS = frozenset({
    "token", "accesstoken", "refreshtoken", "apisecret", "secret", "clientsecret", "appsecret",
    "password", "passwd", "pwd", "privatekey", "clientprivatekey", "serverprivatekey", "prikey",
    "secretkey", "sessionkey", "cookie", "setcookie", "authorization", "proxyauthorization",
    # Camera and NVR log-ins are credentials as a pair: the user name goes too.
    "camerausername", "nvrusername",
    # JT/T 809 0x1700/0x1701 (harness/jt809/layouts.toml): the time-limited authorisation codes are passwords.
    "authorizecode1", "authorizecode2",
})
# Any key ending in one of these is a secret too: cameraPassword, nvrPassword, companySecretCode (a provincial
# spec's authorisation codes are credentials), X-Auth-Token, CLIENT_PRIVATE_KEY.
SECRET_SUFFIXES = ("password", "passwd", "pwd", "secret", "secretcode", "token", "privatekey", "prikey",
                   "secretkey")
# Values shorter than these are masked where their key names them, but not hunted as substrings elsewhere:
# replacing "1234" in every timestamp and id would make the report unreadable without protecting much.
MIN_REGISTERED_LEN = 4
MIN_HARVESTED_LEN = 8
# A masker remembers the redacted form of strings up to MEMO_LEN characters, at most MEMO_SIZE of them at a time.
MEMO_LEN, MEMO_SIZE = 128, 4096

_PEM = re.compile(
    r"-----BEGIN [A-Z0-9 ]*(?:PRIVATE) KEY-----.*?(?:-----END [A-Z0-9 ]*(?:PRIVATE) KEY-----|$)", re.DOTALL
)
# Bare base64 (or base64url) DER private keys, as Java samples exchange them (getPrivateKeyString): RSA PKCS#8,
# RSA PKCS#1, EC/SM2 PKCS#8, SEC1 EC, Ed25519 PKCS#8. The fixed prefixes come from the DER structure; public
# keys (SubjectPublicKeyInfo, "MIIBIjANBgkq...") do not match.
_DER_KEY = re.compile(
    r"(?:MII[A-Za-z0-9+/_-]{3}IBA(?:DANBgkqhkiG9w0BAQEFAAS|AK)|MI[A-Za-z0-9+/_-]{2}AgEAMBMGByqGSM49AgEG"
    r"|MC4CAQAwBQYDK2Vw|MHcCAQEEI|MIGkAgEBBD|MIHcAgEBBE)(?:[A-Za-z0-9+/=_\r\n-]|\\[rn])*"
)
# The same DER private keys written in hex: SEQUENCE, then INTEGER version 0 (PKCS#1, PKCS#8) or 1 (SEC1).
_HEX_KEY = re.compile(r"(?<![0-9A-Fa-f])30(?:82[0-9A-Fa-f]{4}|81[0-9A-Fa-f]{2}|[0-7][0-9A-Fa-f])02010[01]"
                      r"[0-9A-Fa-f]{40,}")
# The private members of a JSON Web Key (RFC 7518 §6.2.2, §6.3.2, §6.4.1, RFC 8037 §2) in text that did not
# parse as JSON; a parsed JWK is masked member by member.
JWK_PRIVATE = frozenset({"d", "p", "q", "dp", "dq", "qi", "k", "oth"})
_JWK_FRAG = re.compile(r'(\\?"(?:d|p|q|dp|dq|qi|k)\\?"\s*:\s*\\?")([A-Za-z0-9_-]{8,})')
_BEARER = re.compile(r"(\bBearer\s+)(?!\*\*\*)([A-Za-z0-9\-._~+/]+=*)", re.IGNORECASE)
# name=value in URLs (?access_token=, a platform's ";token=" path parameter), form bodies and command lines.
# The lookbehind anchors a name at the start of its word: without it a long hex ciphertext is scanned from every
# offset, quadratic in its length.
_KV = re.compile(r"(?<![\w.\-])(-*[A-Za-z][\w.\-]*)=([^\s&;,?#\"'<>]+)")
# --password VALUE on a command line (the reproduce line, an adapter command).
_CLI = re.compile(r"(--([A-Za-z][\w\-]*)\s+)([^\s\-][^\s]*)")
# "name": "value" / "name": 123 in JSON text that did not parse (truncated bodies, logs), also escaped once.
_JSON_FRAG = re.compile(r"(\\?\"([A-Za-z][\w.\-]*)\\?\"\s*:\s*)(\\?\"[^\"\\]+|-?\d+(?:\.\d+)?)")


def is_secret_key(name: Any) -> bool:
    """True when a field of this name carries a secret (case-insensitive, "_"/"-" ignored)."""
    known = _SECRET_NAMES.get(name) if type(name) is str else None  # a report repeats a few hundred key names
    if known is not None:
        return known
    return isinstance(name, str) and _secret_name(name)


_SECRET_NAMES: dict[str, bool] = {}  # name -> is_secret_key, for the first 8192 names met


def _secret_name(name: str) -> bool:
    norm = name.lower().replace("_", "").replace("-", "")
    secret = norm in SECRET_KEYS or norm.endswith(SECRET_SUFFIXES)
    if len(_SECRET_NAMES) < 8192:
        _SECRET_NAMES[name] = secret
    return secret


_PLAIN_SCALARS = (bool, int, float)  # exact types (a subclass goes the long way): nothing in them to mask


class Redactor:
    """Masks secrets in a JSON-like structure: by key name, by registered value, PEM/DER keys, Bearer tokens."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        # (pattern, {short text: its redacted form}) while a Masker is in use: a report repeats the same short
        # strings (ids, verdicts, titles, paths, header values) hundreds of thousands of times.
        self._memo: tuple[Any, dict[str, Any]] | None = None
        self._inert: set[str] = set()  # short texts that hold nothing to harvest (a report repeats them)
        for s in secrets:
            self.add(s)

    def add(self, secret: str | None) -> None:
        """Register a secret value; every occurrence of it in any string is masked."""
        if secret is not None and len(str(secret)) >= MIN_REGISTERED_LEN:
            self._secrets.add(str(secret))

    def redact(self, obj: Any, *, in_place: bool = False) -> Any:
        """Return a redacted deep copy of `obj`; the input is left untouched. With `in_place`, `obj`'s own dicts
        and lists are redacted and returned instead (the report writer's own copy of the model: no second copy)."""
        # First harvest the values found under secret keys, so the same apiSecret or token quoted later in a
        # check message or an adapter's stderr is masked as well.
        found: set[str] = set()
        self._harvest(obj, found)
        pattern = self._pattern(found)
        if in_place and isinstance(obj, (dict, list)):
            self._walk_in_place(obj, pattern)
            return obj
        return self._walk(obj, pattern)  # _walk builds new containers: the input is never changed

    # -- in parts: what `redact` does, for a model whose parts are seen one at a time (the report writer's
    # -- exchanges): harvest every part, then mask every part with what all of them revealed.

    def harvest(self, obj: Any, found: set[str]) -> None:
        """Add to `found` the secrets `obj` reveals (values under secret keys, Bearer tokens)."""
        self._harvest(obj, found)

    def masker(self, found: set[str]) -> "Masker":
        """What masks every known secret (registered and `found`) in every encoding; drop it when done (its
        automaton is the largest thing redaction holds)."""
        return Masker(self, self._pattern(found))

    # -- harvesting ---------------------------------------------------------------------------------------

    def _harvest(self, obj: Any, found: set[str]) -> None:
        inert = self._inert
        if isinstance(obj, dict):
            jwk = _is_jwk(obj)
            for k, v in obj.items():
                if is_secret_key(k) or (jwk and k in JWK_PRIVATE):
                    self._harvest_value(k, v, found)
                elif v is not None and type(v) not in _PLAIN_SCALARS and not (type(v) is str and v in inert):
                    self._harvest(v, found)  # numbers, and the short texts met before, hold nothing to harvest
        elif isinstance(obj, list):
            for v in obj:
                if v is not None and type(v) not in _PLAIN_SCALARS and not (type(v) is str and v in inert):
                    self._harvest(v, found)
        elif isinstance(obj, str):
            parsed = _parse_json_text(obj)
            if parsed is not None:
                self._harvest(parsed, found)
            if "bearer" in obj.lower():  # the regex is 5-20 times slower than this test it cannot match without
                for m in _BEARER.finditer(obj):
                    if len(m.group(2)) >= MIN_HARVESTED_LEN:
                        found.add(m.group(2))
            elif parsed is None and type(obj) is str and len(obj) <= MEMO_LEN:
                if len(inert) >= MEMO_SIZE:
                    inert.clear()  # bounded, as the masks' memo
                inert.add(obj)  # a plain short text: nothing in it to harvest, now or when met again

    def _harvest_value(self, key: str, value: Any, found: set[str]) -> None:
        if isinstance(value, (dict, list)):
            # A secret given as a structure (a JWK, say): every scalar inside it is secret.
            for leaf in _leaves(value):
                self._harvest_value(key, leaf, found)
            return
        if value is None or isinstance(value, bool):
            return
        text = str(value)
        if key.lower().replace("-", "") in ("authorization", "proxyauthorization") and " " in text:
            text = text.split(None, 1)[1]  # "Bearer abc" -> the credential, not the scheme
        if len(text) >= MIN_HARVESTED_LEN and text != MASK:
            found.add(text)

    def _pattern(self, found: set[str]) -> Any:
        """What masks every form of every known secret: `.sub(MASK, text)` replaces the leftmost-longest matches."""
        values = self._secrets | found
        if _ahocorasick is not None:
            # Fed from a generator: the set of every encoding of every secret (400,000 strings at 100,000 exchanges)
            # is never held beside the automaton; a form given twice is one word.
            literals = _Literals.of_secrets(values)
            return literals if literals else None
        variants = {e for v in values for e in encodings(v)}
        return re.compile(literal_alternation(variants)) if variants else None

    # -- masking ------------------------------------------------------------------------------------------

    def _walk(self, obj: Any, pattern: re.Pattern[str] | None) -> Any:
        if isinstance(obj, dict):
            out = {}
            jwk = _is_jwk(obj)
            for k, v in obj.items():
                # Key names stay as they are: a reader must see that a password field was sent.
                secret = is_secret_key(k) or (jwk and k in JWK_PRIVATE)
                out[k] = _mask_value(k, v) if secret else self._walk(v, pattern)
            return out
        if isinstance(obj, list):
            return [self._walk(v, pattern) for v in obj]
        if isinstance(obj, tuple):
            return [self._walk(v, pattern) for v in obj]
        if isinstance(obj, str):
            memo = self._memo
            if memo is not None and memo[0] is pattern and len(obj) <= MEMO_LEN:
                known = memo[1].get(obj)
                if known is None:
                    if len(memo[1]) >= MEMO_SIZE:
                        memo[1].clear()  # bounded: a run of ever new short strings does not grow it
                    known = memo[1][obj] = self._walk_text(obj, pattern)
                return known
            return self._walk_text(obj, pattern)
        if obj is None or isinstance(obj, (bool, int, float)):
            return obj
        return copy.deepcopy(obj)  # anything else is copied, so the redacted copy shares nothing with the input

    def _walk_text(self, obj: str, pattern: Any) -> str:
        """`_walk` of a string: JSON text masked as its parsed value is (its own text kept where it can be), any
        other text by `_text`."""
        parsed = _parse_json_text(obj)
        if parsed is not None:
            cleaned = self._walk(parsed, pattern)
            if cleaned == parsed:
                return obj  # keep the original text (formatting, key order) when nothing was secret
            kept = self._masked_in_place(obj, pattern, cleaned)
            if kept is not None:
                return kept  # the text as sent, only the tokens holding a secret changed
            compact = not re.search(r"[:,]\s", obj)
            return json.dumps(cleaned, ensure_ascii=False, separators=(",", ":") if compact else None)
        return self._text(obj, pattern)

    def _masked_in_place(self, text: str, pattern: Any, cleaned: Any) -> str | None:
        """JSON `text` with its secrets masked where they stand: a value under a secret key becomes "***" (as
        `_mask_value` has it), a string holding a secret is masked inside its own token (its escapes kept where the
        secret's encoded form is found in them, else that token alone re-encoded); whitespace, member order,
        escapes and number forms of everything else are the bytes sent. None when the result does not read back as
        `cleaned` (what the parsed text masked is): the caller re-serialises then, never showing less masked."""
        parts: list[str] = []
        last = 0
        try:
            for start, end, key, token in _json_tokens(text):
                if key is not None and is_secret_key(key):
                    value = json.loads(token)
                    if value is None or value == "" or isinstance(value, bool):
                        continue
                    new = json.dumps(_mask_value(key, value), ensure_ascii=False)
                elif token[0] == '"':
                    value = json.loads(token)
                    masked = self._walk(value, pattern)
                    if masked == value:
                        continue
                    new = self._text(token, pattern)  # the secret in one of its JSON-escaped forms, escapes kept
                    try:
                        same = json.loads(new) == masked
                    except ValueError:
                        same = False
                    if not same:
                        new = json.dumps(masked, ensure_ascii="\\u" in token)
                else:
                    continue
                parts.append(text[last:start])
                parts.append(new)
                last = end
            parts.append(text[last:])
            out = "".join(parts)
            return out if json.loads(out) == cleaned else None
        except (ValueError, RecursionError):
            return None

    def _walk_in_place(self, obj: dict | list, pattern: Any, seen: set[int] | None = None) -> None:
        """_walk's result written into `obj` itself (same masks, same JSON-text handling). With `seen`, a container
        held in several places (the report writer shares equal evidence items) is redacted once."""
        if seen is not None:
            if id(obj) in seen:
                return
            seen.add(id(obj))
        if isinstance(obj, dict):
            jwk = _is_jwk(obj)
            for k, v in obj.items():
                if is_secret_key(k) or (jwk and k in JWK_PRIVATE):
                    obj[k] = _mask_value(k, v)
                else:
                    t = type(v)
                    if t is dict or t is list:
                        self._walk_in_place(v, pattern, seen)
                    elif v is not None and t not in _PLAIN_SCALARS:
                        obj[k] = self._walk(v, pattern)
        else:
            for i, v in enumerate(obj):
                t = type(v)
                if t is dict or t is list:
                    self._walk_in_place(v, pattern, seen)
                elif v is not None and t not in _PLAIN_SCALARS:
                    obj[i] = self._walk(v, pattern)

    def _text(self, s: str, pattern: re.Pattern[str] | None) -> str:
        # Each pattern runs only where the literal text it cannot match without is present (a substring test is
        # a fraction of a regex scan; most strings of a large report are ids, times and plain messages).
        if "-----BEGIN" in s:
            s = _PEM.sub(KEY_MASK, s)
        if "MI" in s or "MC4C" in s or "MHcC" in s:
            s = _DER_KEY.sub(KEY_MASK, s)
        if "02010" in s:
            s = _HEX_KEY.sub(KEY_MASK, s)
        if '"kty' in s or '\\"kty' in s:
            s = _JWK_FRAG.sub(lambda m: m.group(1) + MASK, s)
        if pattern is not None:
            s = pattern.sub(MASK, s)
        if "bearer" in s.lower():
            s = _BEARER.sub(lambda m: m.group(1) + MASK, s)
        if "=" in s:
            s = _KV.sub(lambda m: f"{m.group(1)}={MASK}" if is_secret_key(m.group(1)) else m.group(0), s)
        if "--" in s:
            s = _CLI.sub(lambda m: m.group(1) + MASK if is_secret_key(m.group(2)) else m.group(0), s)
        if '"' in s:
            s = _JSON_FRAG.sub(_mask_fragment, s)
        return s


def _give_back_freed_memory() -> None:
    """Hand the heap the C allocator holds free back to the OS (glibc's `malloc_trim`; elsewhere nothing). The
    automaton's memory, once freed, stays in the process (30 MB of 43 at 30,000 secrets) and what is allocated after
    it (the files' own memory, mostly in Python's arenas) adds on top: the report's peak was the two summed."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc
        return
    trim(0)


class Masker:
    """A redactor with its set of secrets fixed: masks parts of a model in place, each as `Redactor.redact` would."""

    def __init__(self, redactor: Redactor, pattern: Any) -> None:
        self._redactor, self._pattern = redactor, pattern
        redactor._memo = (pattern, {})  # the masks of short strings, remembered while this masker is in use

    def release(self) -> None:
        """Let go of the automaton (and the memo of masks): the redactor no longer refers to them."""
        memo = self._redactor._memo
        if memo is not None and memo[0] is self._pattern:
            self._redactor._memo = None
        self._pattern = None
        _give_back_freed_memory()

    def redact_in_place(self, obj: Any) -> Any:
        """`obj` redacted in place (a container held in several places of it, once), or a redacted copy of a
        scalar."""
        if isinstance(obj, (dict, list)):
            self._redactor._walk_in_place(obj, self._pattern, set())
            return obj
        return self._redactor._walk(obj, self._pattern)


    def redacted_or_same(self, obj: Any) -> Any:
        """`obj` itself when redaction changes nothing in it, else a redacted copy; `obj` is never changed. For a
        value `plain_json` accepts (the report writer's checks): keeping the caller's own object instead of a
        copy is what keeps the writer's memory from growing with the checks of a long run."""
        if self._unchanged(obj):  # the common case, decided without building the copy
            return obj
        out = self._redactor._walk(obj, self._pattern)
        return obj if out == obj else out

    def _unchanged(self, obj: Any) -> bool:
        """True when `_walk` would give a value equal to `obj` (a False may still turn out equal: the caller
        compares the copy then)."""
        t = type(obj)
        if t is str:
            return self._redactor._walk(obj, self._pattern) == obj
        if t is dict:
            jwk = _is_jwk(obj)
            for k, v in obj.items():
                if is_secret_key(k) or (jwk and k in JWK_PRIVATE):
                    if _mask_value(k, v) != v:
                        return False
                elif not self._unchanged(v):
                    return False
            return True
        if t is list:
            return all(self._unchanged(v) for v in obj)
        return obj is None or t is bool or t is int or t is float


class _Literals:
    """Every literal of a set found in one pass over a text (Aho-Corasick: the Rust `aho-corasick` crate through
    ahocorasick-rs): the cost is the text's length plus the matches, whatever the number of secrets, and building it
    is linear in their total length. It replaces what a regular expression of `literal_alternation` would: the
    leftmost match, the longest there, then on after it (the crate's leftmost-longest kind).

    The literals and the texts are searched as bytes: UTF-8, a lone surrogate (JSON's "\\ud800") as its three bytes
    ("surrogatepass"), so every Python string has one byte form, a code point's bytes never start inside another's,
    and the byte matches are exactly the code point matches (offsets mapped back for a text that is not ASCII).

    `of_secrets` leaves the hex forms of the secrets' bytes (two thirds of the characters of all their encodings)
    out of the automaton: each run of hex digits of a text is decoded (at both alignments) and searched for the
    bytes instead, and a match counts where the text is the all-lower or all-upper hex of them, exactly the
    literals left out. Same matches, about half the memory.

    The literals are held in automata of at most CHUNK words each (`_merged` picks among their matches what one
    automaton of them all would), so the build's transient is one chunk's, not every secret's."""

    def __init__(self, values: Iterable[str], raw: Iterable[bytes] = (), *, implementation: str | None = None) -> None:
        impl = getattr(_ahocorasick.Implementation, implementation or AUTOMATON)
        leftmost = _ahocorasick.MATCHKIND_LEFTMOST_LONGEST
        self._autos: list[tuple[Any, int]] = []  # (automaton, its longest word in bytes)
        words = iter(values)
        while True:
            taken = count = longest = 0

            def patterns() -> Iterator[bytes]:
                nonlocal taken, count, longest
                for v in words:
                    taken += 1
                    if v:
                        b = v.encode("utf-8", "surrogatepass")
                        count += 1
                        longest = max(longest, len(b))
                        yield b
                    if taken >= CHUNK:
                        return

            auto = _ahocorasick.BytesAhoCorasick(patterns(), matchkind=leftmost, implementation=impl)
            if count:
                self._autos.append((auto, longest))
            del auto
            if taken < CHUNK:  # the words ran out
                break
            _give_back_freed_memory()  # the chunk's transient (the crate's noncontiguous NFA) before the next one
        self._words = [auto for auto, _ in self._autos]
        self._one = self._words[0] if len(self._words) == 1 else None
        raws = [r for r in raw if r and len(r) * 2 >= MIN_REGISTERED_LEN]
        # Every match of the bytes, overlapping ones too: a match counts only where the text's case fits, so a
        # longer one that does not fit must not hide a shorter one that does. All of every chunk's matches together
        # are all the matches of one automaton of them all.
        self._raws: list[Any] = []
        for i in range(0, len(raws), CHUNK):
            self._raws.append(_ahocorasick.BytesAhoCorasick(raws[i:i + CHUNK], implementation=impl))
            if len(raws) > CHUNK:
                _give_back_freed_memory()
        self._hex_run = re.compile("[0-9A-Fa-f]{%d,}" % (2 * min(map(len, raws)))) if raws else None

    @classmethod
    def of_secrets(cls, secrets: Iterable[str]) -> "_Literals":
        """The literals of every encoding of every secret (`encodings`), the hex ones searched as bytes. Fed from
        generators: the set of every encoding of every secret is never held beside the automata."""
        return cls(*split_literals(secrets))  # the words are all read (filling the list of bytes) before the bytes

    def __bool__(self) -> bool:
        return bool(self._autos or self._raws)

    def _matches(self, s: str) -> list[tuple[int, int]]:
        """(start, end) of the leftmost-longest matches of the word automata in `s`, one after the other (the hex
        forms aside), as one automaton of all the words would find them."""
        return self._words_only(s, self._chains(s))

    def _words_only(self, s: str, chains: list[list[tuple[int, int]]]) -> list[tuple[int, int]]:
        """The merged matches of `chains` (each word automaton's own in `s`): one automaton's as they are when the
        others have none."""
        found = [c for c in chains if c]
        return found[0] if len(found) == 1 else (self._merged(s, chains, []) if found else [])

    def _chains(self, s: str) -> list[list[tuple[int, int]]]:
        """Each word automaton's own leftmost-longest matches in the whole of `s`, in the automata's order."""
        ascii_ = s.isascii()
        data = s.encode("ascii") if ascii_ else s.encode("utf-8", "surrogatepass")
        found = [auto.find_matches_as_indexes(data) for auto in self._words]
        if not any(found):  # most texts: no list of spans made
            return found
        if ascii_:
            return [[(a, b) for _, a, b in m] if m else m for m in found]
        return [_char_spans(data, m, 0) if m else m for m in found]

    def _search(self, auto: Any, s: str, start: int, end: int) -> list[tuple[int, int]]:
        """An automaton's leftmost-longest matches in `s[start:end]`, as offsets in `s`."""
        part = s[start:end]
        if part.isascii():
            return [(a + start, b + start) for _, a, b in auto.find_matches_as_indexes(part.encode("ascii"))]
        data = part.encode("utf-8", "surrogatepass")
        return _char_spans(data, auto.find_matches_as_indexes(data), start)

    def _hex_matches(self, s: str) -> list[tuple[int, int]]:
        """(start, -length) of every all-lower or all-upper hex form of a raw literal in `s`."""
        out = []
        for at, decoded in decoded_hex_runs(self._hex_run, s):
            for raw in self._raws:
                for _, a, b in raw.find_matches_as_indexes(decoded, overlapping=True):
                    start = at + 2 * a
                    word = decoded[a:b].hex()
                    text = s[start:start + 2 * (b - a)]
                    if text == word or text == word.upper():
                        out.append((start, -2 * (b - a)))
        return out

    def sub(self, repl: str, s: str) -> str:
        # One word automaton (up to CHUNK words) is searched directly, without the list of chains made for several.
        chains = [self._search(self._one, s, 0, len(s))] if self._one is not None else self._chains(s)
        if self._hex_run is not None and (hexes := self._hex_matches(s)):
            spans = self._merged(s, chains, sorted(hexes))
        else:
            spans = self._words_only(s, chains)
        if not spans:
            return s
        out: list[str] = []
        last = 0
        for start, end in spans:
            out.append(s[last:start])
            out.append(repl)
            last = end
        out.append(s[last:])
        return "".join(out)

    def _merged(self, s: str, chains: list[list[tuple[int, int]]], hexes: list[tuple[int, int]]
                ) -> list[tuple[int, int]]:
        """The regular expression's choice among the matches of every word automaton (`chains`: each one's own
        leftmost-longest matches from the start of `s`, or nothing for one without any) and the hex ones (`hexes`,
        every match, as (start, -length)): from each point on, the leftmost match of any, the longest there.

        From a point `last` a chain's next match is its first one starting there or after, unless one of its matches
        ran past `last` (another chain's match was chosen over it): then that automaton is searched again from
        `last`, in a window (`_resumed`), not to the end of `s`: a long text where chains keep hiding each other
        costs its matches times a window, not its length times its matches."""
        n = len(s)
        # Per automaton with any match in `s` (one without has none from any point): its matches from some point at
        # or before `last`, the next one's index, up to where the list is complete (every match of the automaton
        # from that point that starts at or before this one is in it), and the automaton's index.
        state = [[chain, 0, n, i] for i, chain in enumerate(chains) if chain]
        out: list[tuple[int, int]] = []
        last = hi = 0
        while True:
            best: tuple[int, int] | None = None
            for st in state:
                chain, ci, done = st[0], st[1], st[2]
                while ci < len(chain) and chain[ci][0] < last:
                    ci += 1
                skipped = ci and chain[ci - 1][1] > last  # its match ran past `last`: not its next one from here
                if skipped or (ci == len(chain) and done < n):  # (else: none up to `done`, looked for after it)
                    chain, done = self._resumed(st[3], s, last if skipped else max(last, done + 1))
                    st[0], st[2], ci = chain, done, 0
                st[1] = ci
                if ci < len(chain):
                    m = chain[ci]
                    if best is None or m[0] < best[0] or (m[0] == best[0] and m[1] > best[1]):
                        best = m
            while hi < len(hexes) and hexes[hi][0] < last:
                hi += 1
            if hi < len(hexes):
                m = (hexes[hi][0], hexes[hi][0] - hexes[hi][1])
                if best is None or m[0] < best[0] or (m[0] == best[0] and m[1] > best[1]):
                    best = m
            if best is None:
                return out
            out.append(best)
            last = best[1]

    def _resumed(self, i: int, s: str, start: int) -> tuple[list[tuple[int, int]], int]:
        """The leftmost-longest matches of automaton `i` from `start` on, as far as a window of `s` shows them, and
        up to where that list is complete: a match starting at most the automaton's longest word before the
        window's end lies in it whole (a word has no more characters than bytes), and so does every match it could
        be chosen over. A window showing no such match moves on, twice as wide: a search costs the distance to the
        automaton's next match plus its longest word, not the rest of `s`."""
        auto, longest = self._autos[i]
        n, room = len(s), WINDOW
        while True:
            end = min(n, start + longest + room)
            found = self._search(auto, s, start, end)
            if end >= n:
                return found, n
            limit = end - longest
            k = 0
            while k < len(found) and found[k][0] <= limit:
                k += 1
            if k:
                return found[:k], limit
            start, room = limit + 1, 2 * room  # none starts up to `limit`: its next one from `start` is after it


def _char_spans(data: bytes, matches: Iterable[tuple[int, int, int]], offset: int) -> list[tuple[int, int]]:
    """The (start, end) in code points, plus `offset`, of byte matches (pattern, start, end) in the UTF-8 `data`."""
    out, at, chars = [], 0, offset  # byte offset `at` is code point `chars`
    for _, a, b in matches:
        chars += len(data[at:a].decode("utf-8", "surrogatepass"))
        end = chars + len(data[a:b].decode("utf-8", "surrogatepass"))
        out.append((chars, end))
        at, chars = b, end
    return out


def decoded_hex_runs(hex_run: re.Pattern[str], s: str) -> Iterator[tuple[int, bytes]]:
    """(offset in `s`, bytes) of every run of hex digits `hex_run` finds in `s`, decoded at both alignments."""
    for m in hex_run.finditer(s):
        run, base = m.group(), m.start()
        for r in (0, 1):
            part = run[r:r + (len(run) - r) // 2 * 2]
            if part:
                yield base + r, bytes.fromhex(part)


def split_literals(secrets: Iterable[str]) -> tuple[Iterator[str], list[bytes]]:
    """(words, raw) of `_Literals.of_secrets`: every encoding of every secret but the hex forms of its bytes, as a
    generator that fills the list `raw` with those bytes as it goes."""
    raws: list[bytes] = []

    def words() -> Iterator[str]:
        for v in secrets:
            forms, raw = _forms(v)
            hexes = {h for r in raw for h in (r.hex(), r.hex().upper())}
            raws.extend(raw)
            yield from (f for f in forms if f not in hexes)

    return words(), raws


def redact_text(text: str, secrets: Iterable[str] = (), context: Any = None) -> str:
    """`text` with every known secret (those given, and those held under secret keys in `context`) masked in every
    encoding, and key-shaped material (PEM, DER in base64 or hex, JWK members) masked. Used on an adapter's whole
    output before it is cut to the report's tail, so a cut can never split a key into a tail nobody recognises."""
    red = Redactor(secrets)
    found: set[str] = set()
    if context is not None:
        red._harvest(context, found)
    try:
        red._harvest(text, found)  # values under secret keys of JSON output, Bearer tokens
    except RecursionError:  # JSON nested deeper than Python recurses (a hostile adapter): its Bearer tokens only
        found |= {m.group(2) for m in _BEARER.finditer(text) if len(m.group(2)) >= MIN_HARVESTED_LEN}
    return red._text(text, red._pattern(found))


# Runs of key-alphabet characters (base64, base64url, hex; JSON-escaped line breaks inside) a cut can leave at the
# start of a tail; shorter runs are ordinary words and ids. PEM body lines and the END line count as one run.
CUT_RUN_MIN = 32
_CUT_RUN = re.compile(r"(?:[A-Za-z0-9+/=_-]|\\[rn]|\r?\n(?=[A-Za-z0-9+/=_-]{16}|-----END))+"
                      r"(?:\r?\n?-----END [A-Z0-9 ]*KEY-----)?")


def safe_tail(text: str, limit: int) -> str:
    """The last `limit` characters of an already redacted `text`, cut safely: at a line boundary when the tail holds
    one, and with any leading run of key-alphabet characters the cut left (the end of a key, a token or ciphertext
    nobody can recognise any more) masked. A text that fits is returned as it is."""
    if len(text) <= limit:
        return text
    tail = text[-limit:]
    nl = tail.find("\n")
    if 0 <= nl < len(tail) - 1:
        tail = tail[nl + 1:]
    m = _CUT_RUN.match(tail)
    if m and len(m.group(0)) >= CUT_RUN_MIN:
        tail = MASK + tail[m.end():]
    return "[...] " + tail


def literal_alternation(values: Iterable[str]) -> str:
    """One regular expression matching any of `values`, built as a trie: at each position the engine follows only
    the secrets that share the text read so far, so matching costs the length of the text, not the text times the
    number of secrets (a flat `a|b|c|...` alternation grows with every token a run issues). Where one value is a
    prefix of another the longer one wins (`abc(?:def)?`), as in a longest-first alternation."""
    trie: dict[Any, dict] = {}
    for value in values:
        node = trie
        for ch in value:
            node = node.setdefault(ch, {})
        node[None] = {}  # a value ends here

    def emit(node: dict[Any, dict]) -> str:
        alternatives = []
        for ch in sorted(k for k in node if k is not None):
            chain, child = [re.escape(ch)], node[ch]
            while len(child) == 1 and None not in child:  # a run without branches: plain literal text
                ((nxt, child),) = child.items()
                chain.append(re.escape(nxt))
            rest = {k: v for k, v in child.items() if k is not None}
            tail = ""
            if rest:
                inner = emit(rest)
                tail = f"(?:{inner})?" if None in child else (f"(?:{inner})" if "|" in inner else inner)
            alternatives.append("".join(chain) + tail)
        return "|".join(alternatives)

    return emit(trie)


def _is_jwk(obj: dict) -> bool:
    return isinstance(obj.get("kty"), str)


def encodings(secret: str) -> set[str]:
    """The forms one secret can take in text the harness quotes: as is, JSON-escaped, percent-encoded, base64
    (standard and URL alphabets, with and without padding) and hex of its UTF-8 bytes; when the secret is itself
    base64 or hex of binary (a DER key, an AES key), also the other encodings of those bytes and base64 wrapped
    at 64 and 76 columns. Forms shorter than MIN_REGISTERED_LEN are left out (they would mask ordinary text)."""
    return _forms(secret)[0]


def _forms(secret: str) -> tuple[set[str], list[bytes]]:
    """`encodings(secret)` and the byte strings whose lower- and upper-case hex are among them."""
    import base64
    import binascii
    from urllib.parse import quote

    # A lone surrogate (JSON's "\ud800", parsed) has no UTF-8: its three "surrogatepass" bytes stand for it.
    utf8 = secret.encode("utf-8", "surrogatepass")
    out = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1], quote(utf8, safe="")}
    raw_forms = [utf8]
    compact = re.sub(r"\s+|\\[rn]", "", secret)
    if len(compact) >= 16 and re.fullmatch(r"[A-Za-z0-9+/_-]+={0,2}", compact):
        try:
            raw_forms.append(base64.b64decode(compact.replace("-", "+").replace("_", "/") + "=" * (-len(compact) % 4)))
        except (binascii.Error, ValueError):
            pass
    if len(compact) >= 16 and len(compact) % 2 == 0 and re.fullmatch(r"[0-9A-Fa-f]+", compact):
        raw_forms.append(bytes.fromhex(compact))
    for raw in raw_forms:
        std = base64.b64encode(raw).decode("ascii")
        url = base64.urlsafe_b64encode(raw).decode("ascii")
        out |= {std, std.rstrip("="), url, url.rstrip("="), raw.hex(), raw.hex().upper()}
        if len(std) > 64:
            out |= {sep.join(std[i:i + width] for i in range(0, len(std), width))
                    for width in (64, 76) for sep in ("\n", "\r\n", "\\n", "\\r\\n")}
    return {v for v in out if len(v) >= MIN_REGISTERED_LEN}, raw_forms


def _mask_value(key: str, value: Any) -> Any:
    """The masked form of a value held under a secret key; empty values stay visible (they were not sent)."""
    if value is None or value == "" or isinstance(value, bool):
        return value
    if key.lower().replace("-", "") in ("authorization", "proxyauthorization") and isinstance(value, str):
        scheme = value.split(None, 1)[0] if " " in value.strip() else ""
        return f"{scheme} {MASK}" if scheme else MASK
    return MASK


def _mask_fragment(m: re.Match[str]) -> str:
    if not is_secret_key(m.group(2)):
        return m.group(0)
    value = m.group(3)
    quote = value[: value.index('"') + 1] if '"' in value else ""
    return f"{m.group(1)}{quote}{MASK}"


def _parse_json_text(s: str) -> Any:
    """The object or array a string holds as JSON text, else None."""
    if len(s) < 2 or (s[0] not in "{[" and not s[0].isspace()) or (s[-1] not in "}]" and not s[-1].isspace()):
        return None  # most strings: decided without copying them
    t = s.strip()
    if len(t) < 2 or t[0] not in "{[" or t[-1] not in "}]":
        return None
    try:
        parsed = json.loads(t)
    except ValueError:
        return None
    return parsed if isinstance(parsed, (dict, list)) else None


_JSON_SCALAR = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")
_JSON_SPACE = re.compile(r"[ \t\r\n]*")


def _json_tokens(text: str) -> Iterator[tuple[int, int, str | None, str]]:
    """(start, end, key, token) of every value of valid JSON `text` that is a string or a number, true, false or
    null, and of every object or array held under a secret key (`is_secret_key`; the whole container is the token
    and its inside is not walked): `key` is the member name it is the value of, None inside an array. Member names
    themselves are not yielded."""
    from json.decoder import scanstring

    decoder = json.JSONDecoder()
    stack: list[list[Any]] = []  # per open container: [is_object, expecting_key, current_key]
    i, n = 0, len(text)
    while i < n:
        i = _JSON_SPACE.match(text, i).end()
        if i >= n:
            break
        c = text[i]
        top = stack[-1] if stack else None
        key = top[2] if top is not None and top[0] else None
        if c in "{[":
            if key is not None and is_secret_key(key):
                _, end = decoder.raw_decode(text, i)  # the whole container is the secret: skip its inside
                yield i, end, key, text[i:end]
                i = end
                continue
            stack.append([c == "{", c == "{", None])
            i += 1
        elif c in "}]":
            stack.pop()
            i += 1
        elif c == ",":
            if top is not None and top[0]:
                top[1] = True
            i += 1
        elif c == ":":
            top[1] = False
            i += 1
        elif c == '"':
            value, end = scanstring(text, i + 1)
            if top is not None and top[0] and top[1]:
                top[2] = value
            else:
                yield i, end, key, text[i:end]
            i = end
        else:
            m = _JSON_SCALAR.match(text, i)
            if m is None:
                raise ValueError(f"unexpected {c!r} at {i}")
            yield i, m.end(), key, m.group()
            i = m.end()


def _leaves(obj: Any) -> Iterable[Any]:
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _leaves(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _leaves(v)
    else:
        yield obj

"""Load a spec's data files (endpoint map, profiles, errata register) from schemas/<spec>/."""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"


class ProfileError(ValueError):
    """An unknown profile name or a profile that inherits from nowhere."""


@lru_cache(maxsize=None)
def load(spec: str, name: str) -> dict[str, Any]:
    """Read schemas/<spec>/<name>.toml."""
    path = SCHEMAS_DIR / spec / f"{name}.toml"
    with path.open("rb") as fh:
        return tomllib.load(fh)


def endpoints(spec: str) -> dict[str, Any]:
    return load(spec, "endpoints")


def errata(spec: str) -> dict[str, dict[str, Any]]:
    return load(spec, "errata")


def profile_names(spec: str) -> list[str]:
    return list(load(spec, "profiles"))


def profile(spec: str, name: str | None = None) -> dict[str, Any]:
    """A profile with its `inherits` chain resolved; its own name under the key `name`."""
    profiles = load(spec, "profiles")
    name = name or "default"
    if name not in profiles:
        raise ProfileError(f"unknown profile {name!r} for {spec}; known: {', '.join(profiles)}")
    chain, cur, seen = [], name, set()
    while cur:
        if cur in seen or cur not in profiles:
            raise ProfileError(f"profile {name!r}: bad inherits chain at {cur!r}")
        seen.add(cur)
        chain.append(profiles[cur])
        cur = profiles[cur].get("inherits")
    out: dict[str, Any] = {}
    for layer in reversed(chain):
        out.update({k: v for k, v in layer.items() if k != "inherits"})
    out["name"] = name
    return out

"""The one answer type of load runs, and the plain HTTP the parent process needs (target probe, admin hook).

Inside Locust workers requests go through Locust's own client (harness/load/locustfile.py), which fills the same
`Answer`; a spec's load behaviour sees only `Answer` and a `post(path, body, headers, name, judge)` callable.
"""
from __future__ import annotations

import http.client
import json
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from harness.uploader import ADMIN


@dataclass
class Answer:
    status: int | None  # None: no answer came
    raw: bytes = b""
    error: str = ""     # the transport error when no (complete) answer came
    elapsed_ms: float = 0.0

    def json(self) -> Any:
        try:
            return json.loads(self.raw) if self.raw else None
        except (ValueError, RecursionError):
            return None


class Unreachable(Exception):
    """Nothing answers at the target: a harness error (exit 2), never a verdict on the platform."""


def reachable(url: str, timeout: float = 10.0) -> None:
    u = urlsplit(url)
    try:
        socket.create_connection((u.hostname, u.port or (443 if u.scheme == "https" else 80)), timeout=timeout).close()
    except OSError as exc:
        raise Unreachable(f"cannot reach the target {url}: {exc}") from None


def post_json(url: str, obj: Any, timeout: float = 60.0) -> tuple[int | None, Any, str]:
    """(status, parsed JSON answer or None, transport error or "")."""
    u = urlsplit(url)
    cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
    conn = cls(u.hostname, u.port, timeout=timeout)
    try:
        conn.request("POST", u.path or "/", body=json.dumps(obj).encode(), headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        raw = resp.read()
        try:
            return resp.status, json.loads(raw), ""
        except ValueError:
            return resp.status, None, ""
    except (OSError, http.client.HTTPException) as exc:
        return None, None, f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()


class AdminHook:
    """The target's `/__vconform/{op}` hook (docs of each spec's server role); `present` after the probe."""

    def __init__(self, root: str):
        self.root = root.rstrip("/")
        status, body, err = post_json(self.root + ADMIN + "/state", {})
        self.present = not err and status == 200 and isinstance(body, dict) and body.get("ok") is True

    def __call__(self, op: str, args: dict | None = None) -> dict | None:
        """The state after the call; None without a hook. A refused call raises AdminRefused (a harness error)."""
        if not self.present:
            return None
        status, body, err = post_json(self.root + f"{ADMIN}/{op}", args or {})
        if err or not isinstance(body, dict) or not body.get("ok"):
            raise AdminRefused(f"admin hook {op} failed: {err or status} {str(body)[:200]}")
        return body.get("state") or {}


class AdminRefused(Exception):
    """The admin hook, once found, refused a call: a harness error."""

"""What the deliberately broken implementations of every spec's catalog share (tests/specs/<doc>/broken_*.py,
run as scripts: `python FILE VARIANT ...`): picking the variant from the command line, and posting a JSON body
under a Content-Type that is not JSON's (the transport defect several catalogs break the same way)."""
from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path
from typing import Any, Iterable


def pick(variants: Iterable[str], usage: str = "VARIANT ACTION CONTEXT", *, argc: int | None = None) -> str:
    """The variant named by sys.argv[1]; a usage line listing them and exit 2 when it names none (or, with `argc`,
    when the command line does not have exactly that many words)."""
    argv, names = sys.argv, list(variants)
    if len(argv) < 2 or argv[1] not in names or (argc is not None and len(argv) != argc):
        print(f"usage: {Path(argv[0]).name} {usage}; variants: {', '.join(names)}", file=sys.stderr)
        sys.exit(2)
    return argv[1]


def post_labelled(url: str, body: Any, content_type: str, timeout: float = 30.0) -> Any:
    """POST `body` as UTF-8 JSON text labelled `content_type`; the answer read as JSON."""
    req = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode(), method="POST",
                                 headers={"Content-Type": content_type})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read().decode())

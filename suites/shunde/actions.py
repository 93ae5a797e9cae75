"""The client-role adapter actions of `shunde` and their params JSON Schemas (`vconform actions shunde --schema`).

The params are a table (schemas/shunde/tables/interfaces.toml, interfaces of kind "action"); harness/schemagen.py
generates schemas/shunde/generated/<action>.request.schema.json from it, and a drift test keeps the two in step.
"""
from __future__ import annotations

import json
from typing import Any

from harness import schemagen

SPEC = "shunde"


def action_schema(action: str) -> dict[str, Any]:
    path = schemagen.spec_dir(SPEC) / "generated" / schemagen.file_name(action, "request")
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    return {"description": f"{action} is not an adapter action: the harness judges it from the links "
                           "(heartbeats, framing) or from the result sheets"}

"""The reference Yunnan uploader as a DESIGN.md adapter: `python -m suites.yunnan.reference_client ACTION CONTEXT_FILE`."""
from __future__ import annotations

import json
import sys

from harness import specdata
from suites.yunnan.client import ClientError, YunnanClient

UPLOADS = tuple(specdata.interfaces_of_kind("yunnan", "upload", "heartbeat", "confirm"))
PULLS = tuple(specdata.interfaces_of_kind("yunnan", "pull"))


def perform(client: YunnanClient, action: str, ctx: dict) -> object:
    """Carry out one action; returns what to print (pull records) or None.

    init-auth keeps a registration found in state_dir (no second call, §6.1); a pull also confirms what it
    received (§6.8, §6.10); the explicit confirm actions send exactly the ids given."""
    params = ctx.get("params") or {}
    creds = ctx.get("credentials") or {}
    if action == "init-auth":
        client.init_auth(params.get("enterpriseId") or creds["enterpriseId"],
                         params.get("enterpriseName") or creds.get("enterpriseName", ""))
    elif action == "getToken":
        client.get_token()
    elif action in UPLOADS:
        client.call(action, params)
    elif action in PULLS:
        return client.pull(action, params)
    else:
        raise ClientError(f"unknown action {action!r}")
    return None


def run_adapter(client_cls: type[YunnanClient], argv: list[str]) -> int:
    """Adapter main: exit 0 when the action succeeded, 1 when the platform refused it, 2 on bad usage."""
    if len(argv) != 2:
        print("usage: ADAPTER ACTION CONTEXT_FILE", file=sys.stderr)
        return 2
    action, ctx_path = argv
    with open(ctx_path, encoding="utf-8") as fh:
        ctx = json.load(fh)
    creds = ctx.get("credentials") or {}
    client = client_cls(ctx["base_url"], ctx["state_dir"], creds.get("enterpriseId", ""))
    try:
        out = perform(client, action, ctx)
    except ClientError as err:
        print(f"{action}: {err}", file=sys.stderr)
        return 1
    finally:
        if client.state:
            client.save()
    if out is not None:
        json.dump(out, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    return 0


def main() -> int:
    return run_adapter(YunnanClient, sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())

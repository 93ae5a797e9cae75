"""The reference a plain-JSON endpoint is measured against (issue 10): a bare aiohttp + uvloop + orjson +
jsonschema-rs server answering one interface of a spec's generated schemas, nothing else (no journal, no rules).

    python bench/reference_server.py yunnan init-auth PATH [--port 0]

It prints `listening on http://127.0.0.1:PORT` once it accepts connections. A valid body gets the spec's success
shape; an invalid one its errors listed by jsonschema-rs (`iter_errors`), as a mock lists them.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import jsonschema_rs
import orjson
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent


def app(spec: str, interface: str, path: str) -> web.Application:
    schema = orjson.loads((ROOT / "schemas" / spec / "generated" / f"{interface}.request.schema.json").read_bytes())
    validator = jsonschema_rs.validator_for(schema, validate_formats=False)
    ok = {"code": 200, "message": "ok", "aesKey": None, "data": {"apiKey": "k", "apiSecret": "s"}}

    async def handle(request: web.Request) -> web.Response:
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return web.Response(body=orjson.dumps({"code": 500, "message": "malformed"}), content_type="application/json")
        errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(body)]
        answer = {"code": 500, "message": "invalid", "errors": errors} if errors else ok
        return web.Response(body=orjson.dumps(answer), content_type="application/json")

    a = web.Application()
    a.router.add_post(path, handle)
    return a


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("spec")
    ap.add_argument("interface")
    ap.add_argument("path")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    try:
        import uvloop
    except ImportError:  # the reference is defined with uvloop: say so rather than measure something else
        print("reference server needs uvloop", file=sys.stderr)
        return 2

    async def serve() -> None:
        runner = web.AppRunner(app(args.spec, args.interface, args.path), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", args.port, backlog=4096)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        print(f"listening on http://127.0.0.1:{port}", flush=True)
        await asyncio.Event().wait()

    uvloop.run(serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())

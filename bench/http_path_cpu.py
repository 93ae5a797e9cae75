"""CPU per request of an HTTP mock's request path in-process, without sockets: what the journal and the lean path
cost, repeatable on a loaded machine (no load generator, no scheduling of two processes; process CPU time).

    python bench/http_path_cpu.py [--spec yunnan|henan-city] [--requests 3008] [--rounds 3] [--base DIR]

16 connections (harness/leanhttp.py's protocol on fake transports) each get one distinct valid request per
event-loop turn (yunnan: an `init-auth` registration; henan-city: a `shareDrivingRecord` envelope of the mock's own
account under one live token, as bench/henan_plain_json.py sends); the journal commits at the end of each turn and the answers are written then, as
`vconform mock yunnan` serves them. Variants, interleaved: the journal on a file, and off (bench/mock_server.py's
NoJournal). Printed: microseconds of process CPU per request, the minimum of the rounds, and the journal's share.
Context only; the targets of issue 10 are judged by bench/plain_json.py against a bare server.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import orjson  # noqa: E402

from bench.mock_server import NoJournal  # noqa: E402
from harness import crypto, specdata  # noqa: E402
from harness.journal import Journal  # noqa: E402
from harness.leanhttp import LeanConnection  # noqa: E402
from mocks.henan.city_app import HenanCityMock  # noqa: E402
from mocks.yunnan.app import YunnanMock  # noqa: E402

CONNECTIONS = 16


class _Transport:
    """Enough of an asyncio transport for LeanConnection: answers are counted, not sent."""

    def __init__(self) -> None:
        self.answers, self.closing = 0, False

    def get_extra_info(self, name: str, default=None):
        return ("127.0.0.1", 5555) if name == "peername" else default

    def write(self, data: bytes) -> None:
        self.answers += 1
        self.last = data

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _http(path: str, b: bytes) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\nContent-Type: "
            f"application/json\r\nContent-Length: {len(b)}\r\n\r\n").encode() + b


class Yunnan:
    make = YunnanMock

    @staticmethod
    def requests(mock, n: int, tag: str) -> list[bytes]:
        return requests(n, tag)


class HenanCity:
    """shareDrivingRecord envelopes under a token the mock issued (the login is not in the measured loop)."""

    make = HenanCityMock
    _n = 0

    @classmethod
    def requests(cls, mock, n: int, tag: str) -> list[bytes]:
        acc = mock.data.account()
        token = mock.state.login(acc["organ"], acc["username"], acc["password"]).value
        ep = specdata.endpoints("henan")
        path = ep["base_path"] + ep["interfaces"]["shareDrivingRecord"]["path"]
        data = mock.data  # the mock's own enterprise data (its default seed), as bench/henan_plain_json.py sends
        out = []
        for _ in range(n):
            cls._n += 1
            k = 10**6 + cls._n  # fresh records every round
            out.append(_http(path, orjson.dumps({"organ": acc["organ"], "ipctype": "shareDrivingRecord",
                                                 "access_token": token,
                                                 "value": data.passage(data.free_vehicle(k), k)})))
        return out


SPECS = {"yunnan": Yunnan, "henan-city": HenanCity}


def requests(n: int, tag: str) -> list[bytes]:
    path = specdata.endpoints("yunnan")["prefix"] + "/init-auth"
    pub = crypto.public_b64(crypto.generate_rsa())
    out = []
    for i in range(n):
        b = orjson.dumps({"enterpriseId": f"{tag}{i:07d}", "enterpriseName": f"企业{i}", "publicKey": pub})
        out.append((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\nContent-Type: "
                    f"application/json\r\nContent-Length: {len(b)}\r\n\r\n").encode() + b)
    return out


async def one_round(journal, n: int, tag: str, kind=Yunnan) -> float:
    """Process CPU microseconds per request for `n` requests of `kind` served by a fresh mock on `journal`."""
    mock = kind.make(journal=journal)
    reqs = kind.requests(mock, n, tag)
    conns = []
    for _ in range(CONNECTIONS):
        c = LeanConnection(mock, lambda: None, b"/__vconform/")
        c.connection_made(_Transport())
        conns.append(c)
    c0 = time.process_time()
    for k in range(0, len(reqs) - CONNECTIONS + 1, CONNECTIONS):
        for j, c in enumerate(conns):
            c.data_received(reqs[k + j])
        await asyncio.sleep(0)  # the turn ends: the commit, then the answers
        await asyncio.sleep(0)
    cpu = time.process_time() - c0
    answered = sum(c.transport.answers for c in conns)
    if answered != len(reqs) // CONNECTIONS * CONNECTIONS:
        raise SystemExit(f"only {answered} of {len(reqs)} requests answered")
    last = conns[-1].transport.last
    if not last.startswith(b"HTTP/1.1 200 ") or b'"code":"500"' in last or b'"code":"952"' in last \
            or b'"code":"40' in last or b'"result":"fail"' in last:
        raise SystemExit(f"the mock refused what it was loaded with: {last[-300:]!r}")
    return cpu / answered * 1e6


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", choices=sorted(SPECS), default="yunnan")
    ap.add_argument("--requests", type=int, default=3008)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--base", metavar="DIR", help="also the journal of the source tree in DIR (e.g. `git archive BASE "
                    "| tar -x -C DIR`), in the same rounds: before/after in one process")
    args = ap.parse_args()
    if args.base and not os.path.isfile(os.path.join(args.base, "harness", "journal.py")):
        ap.error(f"--base {args.base}: no source tree there (no harness/journal.py)")
    if args.requests < 1 or args.rounds < 1:
        ap.error("--requests and --rounds must be at least 1")
    import gc

    import uvloop

    kind = SPECS[args.spec]

    gc.freeze()  # as `vconform mock` does before serving
    res: dict[str, list[float]] = {"journal on a file": [], "journal off": []}
    journals = {"journal on a file": Journal}
    if args.base:
        import importlib.util

        spec = importlib.util.spec_from_file_location("base_journal", os.path.join(args.base, "harness", "journal.py"))
        base = importlib.util.module_from_spec(spec)
        sys.modules["base_journal"] = base
        spec.loader.exec_module(base)
        journals["journal on a file, --base's journal"] = base.Journal
        res["journal on a file, --base's journal"] = []

    async def run() -> None:
        with tempfile.TemporaryDirectory(prefix="vconform-bench-") as tmp:
            for r in range(args.rounds):
                names = list(res) if r % 2 == 0 else list(reversed(res))  # neither variant always first
                for i, name in enumerate(names):
                    if name == "journal off":
                        res[name].append(await one_round(NoJournal(), args.requests, f"R{r}X{i}", kind))
                    else:
                        j = journals[name](os.path.join(tmp, f"j{r}-{i}.sqlite"))
                        res[name].append(await one_round(j, args.requests, f"R{r}X{i}", kind))
                        j.close()

    uvloop.run(run())
    best = {k: min(v) for k, v in res.items()}
    for k, v in res.items():
        print(f"  {k}: {best[k]:.1f} us of process CPU per request (rounds: {', '.join(f'{x:.1f}' for x in v)})")
    print(f"the journal's share: {best['journal on a file'] - best['journal off']:.1f} us per request, "
          f"{100 * (1 - best['journal off'] / best['journal on a file']):.0f} % (in-process, no sockets; context only)")
    if args.base:
        med = {k: sorted(v)[len(v) // 2] for k, v in res.items()}
        b = "journal on a file, --base's journal"
        print(f"this tree's journal - --base's: {best['journal on a file'] - best[b]:+.1f} us per request (min), "
              f"{med['journal on a file'] - med[b]:+.1f} us (median of {args.rounds} interleaved rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

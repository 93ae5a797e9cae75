"""Resident memory of the mocks after many exchanges: Yunnan and Henan city over HTTP, Shunde over TCP, each in its
own process.

    python -m tests.reliability.rss_million --exchanges 1000000          # the full size (bench/RESULTS.md)
    python -m tests.reliability.rss_million --exchanges 20000 --only shunde

Yunnan: `--clients` keep-alive connections send pre-built requests to `vconform mock yunnan --journal FILE`: every
`--upload-every`-th an encrypted vehicleInfo upload the mock accepts (decrypted, validated, stored in its state),
the others 1 KiB bodies on the same path that are no envelope (refused with the spec's answer). Every one of
them is journaled with its body. Shunde: one logged-in main link streams 0x1202 position frames (pre-built,
replayed), with a 0x1005 every `--batch` frames whose 0x1006 proves the mock got that far.

Printed per mock: exchanges sent and answered, rows in the journal file, RSS sampled along the way and the peak
(VmHWM). Target: peak < 150 MB at 1,000,000 exchanges. tests/reliability/test_rss_flat.py runs a small size and
asserts that RSS does not grow with the number of exchanges.
"""
from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from contextlib import contextmanager
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harness import specdata  # noqa: E402
from harness.jt809 import FrameDecoder, Header, encode  # noqa: E402
from harness.jt809.messages import Location, UpConnectReq, UpExgMsg, UpLinktestReq  # noqa: E402
from tests.reliability.fuzz_mocks import LIMITS, MockProcess  # noqa: E402

TARGET_MB = 150.0


@dataclass
class Run:
    mock: str
    sent: int = 0
    answered: int = 0
    accepted: int = 0
    journaled: int = 0
    samples: list[tuple[int, float]] = field(default_factory=list)  # (exchanges so far, RSS MB)
    peak_mb: float = 0.0
    seconds: float = 0.0

    def rss_at(self, n: int) -> float:
        """RSS sampled at the first point at or after n exchanges."""
        return next(mb for k, mb in self.samples if k >= n)

    def line(self) -> str:
        shown = ", ".join(f"{k:,}: {mb:.0f}" for k, mb in self.samples[:: max(1, len(self.samples) // 8)])
        verdict = "MET" if self.peak_mb < TARGET_MB else "MISSED"
        return (f"{self.mock}: exchanges sent {self.sent:,}, answered {self.answered:,} (accepted uploads "
                f"{self.accepted:,}), journal rows {self.journaled:,}, {self.seconds:.0f} s; RSS MB by exchanges "
                f"[{shown}]; peak {self.peak_mb:.0f} MB / target < {TARGET_MB:.0f} MB [{verdict}]")


def _rows(journal: Path) -> int:
    db = sqlite3.connect(str(journal))
    try:
        return db.execute("SELECT COUNT(*) FROM exchanges").fetchone()[0]
    finally:
        db.close()


# ---- Yunnan over HTTP --------------------------------------------------------------------------------------------
def _yunnan_requests(base: str, workdir: Path, upload_every: int) -> tuple[bytes, list[bytes], str]:
    """(one refused request, the accepted uploads to cycle through, host:port) as raw HTTP/1.1 bytes."""
    import json
    from urllib.parse import urlsplit

    from schemas.yunnan.datagen import YunnanData
    from suites.yunnan.client import YunnanClient

    data = YunnanData(5)
    client = YunnanClient(base, str(workdir), data.enterprise_id)
    client.init_auth(data.enterprise_id, data.enterprise()["enterpriseName"])
    client.get_token()
    url = urlsplit(base + "/vehicleInfo")
    head = {k: v for k, v in client.headers().items() if k.lower() not in ("content-length", "host")}

    def request(body: bytes) -> bytes:
        lines = [f"POST {url.path} HTTP/1.1", f"Host: {url.netloc}", "Content-Type: application/json",
                 f"Content-Length: {len(body)}"] + [f"{k}: {v}" for k, v in head.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    refused = request(b'{"not": "an envelope", "pad": "' + b"x" * 1000 + b'"}')
    uploads = [request(json.dumps(client.seal(data.vehicle(i)), ensure_ascii=False).encode())
               for i in range(50 if upload_every else 0)]
    return refused, uploads, url.netloc


async def _http_client(host: str, port: int, next_request, on_answer) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while (req := next_request()) is not None:
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length)
            on_answer(body)
            if b"connection: close" in head.lower():
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


def _drive_http(run: Run, mock: MockProcess, n: int, clients: int, samples: int, make: Callable[[int], bytes],
                accepted: bytes) -> None:
    """Send `n` requests (`make(i)`: the raw HTTP bytes of the i-th, from 1) over `clients` keep-alive connections,
    sampling the mock's RSS `samples` times; an answer whose body holds `accepted` (spaces removed) counts."""
    step = max(1, n // samples)
    run.samples.append((0, mock.rss_kb() / 1024))

    def next_request() -> bytes | None:
        if run.sent >= n:
            return None
        run.sent += 1
        if run.sent % step == 0:
            run.samples.append((run.sent, mock.rss_kb() / 1024))
        return make(run.sent)

    def on_answer(body: bytes) -> None:
        run.answered += 1
        run.accepted += accepted in body.replace(b" ", b"")

    async def main() -> None:
        await asyncio.gather(*(_http_client("127.0.0.1", mock.port, next_request, on_answer) for _ in range(clients)))

    asyncio.run(main())
    run.samples.append((run.sent, mock.rss_kb() / 1024))
    run.peak_mb = mock.peak_kb() / 1024


@contextmanager
def _http_mock(run: Run, spec: str, journal: Path) -> Iterator[MockProcess]:
    """`vconform mock SPEC` for an HTTP run, stopped after it; the run's duration and journal rows noted."""
    mock = MockProcess(spec, journal, *LIMITS)
    t0 = time.perf_counter()
    try:
        yield mock
    finally:
        mock.stop()
    run.seconds = time.perf_counter() - t0
    run.journaled = _rows(journal)


def run_yunnan(n: int, workdir: Path, clients: int = 16, upload_every: int = 100, samples: int = 20) -> Run:
    run = Run("yunnan")
    with _http_mock(run, "yunnan", workdir / "yunnan-rss.sqlite") as mock:
        base = f"http://127.0.0.1:{mock.port}{specdata.endpoints('yunnan')['prefix']}"
        refused, uploads, _ = _yunnan_requests(base, workdir, upload_every)

        def make(i: int) -> bytes:
            return uploads[(i // upload_every) % len(uploads)] if upload_every and i % upload_every == 0 else refused

        _drive_http(run, mock, n, clients, samples, make, b'"code":200')
    return run


# ---- Henan city over HTTP ----------------------------------------------------------------------------------------
def run_henan(n: int, workdir: Path, clients: int = 16, photo_every: int = 100, samples: int = 20) -> Run:
    """`vconform mock henan-city`: every request a distinct §4.1.4 passage under one token (each kept in the state,
    which keeps the newest CityState.max_passages), every `photo_every`-th a §4.1.5 photo (~40 KB of base64) of the
    passage before it (linked, counted, not kept)."""
    import json
    import urllib.request

    from schemas.henan.datagen import CityData

    run = Run("henan-city")
    with _http_mock(run, "henan-city", workdir / "henan-rss.sqlite") as mock:
        ep = specdata.endpoints("henan")
        base = f"http://127.0.0.1:{mock.port}{ep['base_path']}"
        data = CityData(0)  # the mock's own account at its default seed
        acc = data.account()
        login = {"organ": acc["organ"], "ipctype": "getAccessToken", "username": acc["username"],
                 "password": acc["password"]}
        req = urllib.request.Request(base + ep["interfaces"]["getAccessToken"]["path"],
                                     json.dumps(login).encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            token = json.loads(resp.read())["access_token"]

        def request(iface: str, value: dict) -> bytes:
            body = json.dumps({"organ": acc["organ"], "ipctype": iface, "access_token": token, "value": value},
                              ensure_ascii=False).encode()
            return (f"POST {ep['base_path']}{ep['interfaces'][iface]['path']} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body

        import base64

        photo = data.photo(data.passage(data.free_vehicle(1), 1))  # a JPEG padded after its end to ~40 KB of base64
        jpeg = base64.b64decode(photo["base64Image"])
        photo["base64Image"] = base64.b64encode(jpeg + b"\0" * max(0, 30_000 - len(jpeg))).decode()
        last: list[dict] = []

        def make(i: int) -> bytes:
            if photo_every and i % photo_every == 0 and last:
                return request("sharePhotoInfo", photo | {"lsh": last[0]["lsh"]})
            record = data.passage(data.free_vehicle(i), 10**6 + i)
            last[:] = [record]
            return request("shareDrivingRecord", record)

        _drive_http(run, mock, n, clients, samples, make, b'"code":"200"')
    return run


# ---- Shunde over TCP ---------------------------------------------------------------------------------------------
ACCOUNT = (20180920, "20180920", 20180920)  # the default account sheet's first operator


def _hdr(sn: int) -> Header:
    return Header(msg_sn=sn, gnss_center_id=ACCOUNT[2])


async def _answer(reader: asyncio.StreamReader, dec: FrameDecoder, msg_id: int, timeout: float = 60) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for ev in dec.events():
            if getattr(getattr(ev, "header", None), "msg_id", None) == msg_id:
                return True
        try:
            data = await asyncio.wait_for(reader.read(65536), end - time.monotonic())
        except asyncio.TimeoutError:
            return False
        if not data:
            return False
        dec.feed(data)
    return False


def run_shunde(n: int, workdir: Path, batch: int = 2000, samples: int = 20) -> Run:
    run = Run("shunde")
    journal = workdir / "shunde-rss.sqlite"
    mock = MockProcess("shunde", journal, "--profile", "main-link-only")
    frames = [encode(UpExgMsg(f"粤X{i:05d}", 2, 0x1202,
                              Location(0, datetime(2024, 5, 1, 8, i // 60 % 60, i % 60), 113.2 + i * 1e-5,
                                       22.8 + i * 1e-5, 50, 50, 1000 + i, 90, 12, 3, 0)), _hdr(i + 10))
              for i in range(batch)]
    block = b"".join(frames)
    t0 = time.perf_counter()

    async def main() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", mock.port)
        dec = FrameDecoder()
        writer.write(encode(UpConnectReq(ACCOUNT[0], ACCOUNT[1], "127.0.0.1", 1), _hdr(1)))
        if not await _answer(reader, dec, 0x1002):
            raise RuntimeError("shunde mock: no answer to the login")
        run.answered += 1
        step = max(batch, n // samples)
        run.samples.append((0, mock.rss_kb() / 1024))
        sn = 10_000_000
        while run.sent < n:
            k = min(batch, n - run.sent)
            writer.write(block if k == batch else b"".join(frames[:k]))
            sn += 1
            writer.write(encode(UpLinktestReq(), _hdr(sn)))
            await writer.drain()
            if not await _answer(reader, dec, 0x1006):
                raise RuntimeError(f"shunde mock: no 0x1006 after {run.sent + k} frames")
            before, run.sent = run.sent, run.sent + k
            run.answered += 1
            if run.sent // step != before // step or run.sent >= n:
                run.samples.append((run.sent, mock.rss_kb() / 1024))
        writer.close()

    try:
        asyncio.run(main())
        run.peak_mb = mock.peak_kb() / 1024
    finally:
        mock.stop()
    run.seconds = time.perf_counter() - t0
    run.journaled = _rows(journal)
    return run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--exchanges", type=int, default=1_000_000)
    ap.add_argument("--only", choices=("yunnan", "shunde", "henan"), action="append")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--upload-every", type=int, default=100, help="every N-th Yunnan request an accepted upload")
    ap.add_argument("--workdir", type=Path, help="keep the journals here (default: a temporary directory)")
    args = ap.parse_args(argv)
    only = args.only or ["yunnan", "shunde", "henan"]
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        runs = []
        if "shunde" in only:
            runs.append(run_shunde(args.exchanges, work))
            print(runs[-1].line(), flush=True)
        if "yunnan" in only:
            runs.append(run_yunnan(args.exchanges, work, args.clients, args.upload_every))
            print(runs[-1].line(), flush=True)
        if "henan" in only:
            runs.append(run_henan(args.exchanges, work, args.clients))
            print(runs[-1].line(), flush=True)
    return 0 if all(r.peak_mb < TARGET_MB for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())

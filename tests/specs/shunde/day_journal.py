"""A district platform journal holding a day's traffic of a fleet, written through the mock's own receive path (so
the rows are what `vconform mock shunde --journal` writes: raw position rows, batched commits). Used by the
access-check memory test and bench/access_rss.py; not a test module."""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from shunde_fakes import FakeTransport
from harness.clock import Clock
from harness.jt809 import Header, encode
from harness.jt809.messages import Location, UpConnectReq, UpExgMsg
from mocks.shunde.accounts import Account, AccountSheet
from mocks.shunde.journal import BatchJournal
from mocks.shunde.links import Link
from mocks.shunde.platform import DistrictPlatform

ACCT = Account(user_id=20180920, password="20180920", access_code=20180920)
BEIJING = dt.timezone(dt.timedelta(hours=8))
CHUNK = 500  # frames per data_received call, as a busy socket delivers them


def plate(i: int) -> str:
    return f"粤X{i:05d}"


def write_day(path: Path, frames: int, vehicles: int, step_s: int = 30) -> Path:
    """`frames` 0x1202 positions, round-robin over `vehicles` vehicles, `step_s` apart per vehicle, ending now."""
    journal = BatchJournal(path)
    mock = DistrictPlatform(journal=journal, profile={"name": "t", "header": "2011", "main_link_only": True},
                            accounts=AccountSheet([ACCT]), clock=Clock())
    link = Link(mock, "main")
    link.connection_made(FakeTransport())
    link.data_received(encode(UpConnectReq(ACCT.user_id, ACCT.password, "127.0.0.1", 809),
                              Header(msg_sn=1, gnss_center_id=ACCT.access_code)))
    per_vehicle = -(-frames // vehicles)
    end = dt.datetime.now(BEIJING).replace(tzinfo=None, microsecond=0)
    start = end - dt.timedelta(seconds=step_s * per_vehicle)
    chunk: list[bytes] = []
    for n in range(frames):
        k, i = divmod(n, vehicles)
        loc = Location(0, start + dt.timedelta(seconds=step_s * (k + 1)), 113.2 + (k % 100) * 1e-4,
                       22.8 + i * 1e-5, 40, 40, k, 90, 5, 3, 0)
        chunk.append(encode(UpExgMsg(plate(i), 2, 0x1202, loc), Header(msg_sn=n + 2, gnss_center_id=ACCT.access_code)))
        if len(chunk) == CHUNK:
            link.data_received(b"".join(chunk))
            chunk.clear()
    if chunk:
        link.data_received(b"".join(chunk))
    journal.close()
    return path


def write_application(path: Path, vehicles: int) -> Path:
    """An Attachment 1 (CSV) applying for every vehicle of write_day."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["序号", "车牌号码", "车牌颜色", "车辆用途", "运输企业", "GPS运营商", "备注"])
        for i in range(vehicles):
            w.writerow([i + 1, plate(i), "黄色", "货车", "顺德示例物流有限公司", "顺德示例卫星定位运营有限公司", ""])
    return path

"""Test doubles shared by the Shunde tests (tests/specs/shunde, tests/reliability): an asyncio transport that swallows writes, and a district mock fed
bytes on its main link without sockets."""
from __future__ import annotations

from mocks.shunde.accounts import AccountSheet
from mocks.shunde.links import Link
from mocks.shunde.platform import DistrictPlatform


class FakeTransport:
    """Just enough of asyncio.Transport for a Link: a peer address; what is written is kept in `out`."""

    def __init__(self, peer: tuple[str, int] = ("127.0.0.1", 5555)):
        self.peer, self.out, self.closing = peer, bytearray(), False

    def get_extra_info(self, name, default=None):
        return self.peer if name == "peername" else default

    def write(self, data):
        self.out += data

    def is_closing(self):
        return self.closing

    def close(self):
        self.closing = True


def feed_main_link(profile: dict, accounts: list, clock, *chunks: bytes, peer=("127.0.0.1", 1)):
    """The journal entries of a district mock after a forwarder sent these bytes on its main link."""
    mock = DistrictPlatform(profile=dict(profile), accounts=AccountSheet(accounts), clock=clock, seed=1)
    link = Link(mock, "main")
    link.connection_made(FakeTransport(peer))
    for c in chunks:
        link.data_received(c)
    return mock.journal.entries

"""One TCP link of the district platform (main: accepted; slave: opened to the operator) as an asyncio Protocol."""
from __future__ import annotations

import asyncio
from typing import Any

DROPPED = "dropped_by_test"  # close reason of DistrictPlatform.drop_main: the slave link outlives the main link


class Link(asyncio.Protocol):
    """Feeds bytes to a FrameDecoder and hands each event to the platform; keeps timing and answer waiters."""

    def __init__(self, platform: Any, kind: str):
        """`platform` is the DistrictPlatform that owns this link (not imported here: it imports this module)."""
        self.platform, self.kind = platform, kind
        self.decoder = platform.new_decoder()
        self.transport: asyncio.Transport | None = None
        self.peer = ""
        self.account: Any = None
        self.session: Any = None
        self.sn = 0
        self.closed = False
        self.close_reason = ""
        self.opened = self.last_rx = self.last_tx = platform.clock.now()
        self.closed_at: float | None = None
        self._waiters: dict[int, list[asyncio.Future]] = {}
        self.hole: dict[str, Any] | None = None  # black hole (drop_main(black_hole=...)): what it swallowed

    # ---- asyncio.Protocol ----------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        self.opened = self.last_rx = self.last_tx = self.platform.clock.now()
        self.platform.links.append(self)
        self.platform.link_event(self, "opened")

    def data_received(self, data: bytes) -> None:
        if self.hole is not None:
            self._swallow(data)
            return
        try:
            self.decoder.feed(data)
            for event in self.decoder.events():
                try:
                    self.platform.on_event(self, event)
                except Exception as exc:  # a peer must never crash the mock: journal it, go on with the stream
                    self.platform.internal_error(f"{self.kind} link {self.peer}", exc, event.raw)
        finally:
            self.platform.settle_journal()  # frames nobody answers: committed in batches (answers flush first)

    def connection_lost(self, exc: Exception | None) -> None:
        try:
            self.decoder.close()
            for event in self.decoder.events() if self.hole is None else ():  # a frame cut off: journaled as truncated
                self.platform.on_event(self, event)
        except Exception as err:
            self.platform.internal_error(f"{self.kind} link {self.peer} close", err)
        if not self.closed:
            self.closed, self.close_reason = True, "peer_closed" if exc is None else f"error: {exc}"
        self.closed_at = self.platform.clock.now()
        for futures in self._waiters.values():
            for f in futures:
                if not f.done():
                    f.set_exception(asyncio.TimeoutError("link closed"))
        self._waiters.clear()
        self.platform.link_event(self, "closed", reason=self.close_reason,
                                 **({"black_hole": self.hole} if self.hole is not None else {}))
        session = self.session
        if session is not None and self.kind == "main":
            if self.platform.sessions.get(session.account.user_id) is session:
                del self.platform.sessions[session.account.user_id]
            if session.slave is not None and not session.slave.closed and self.close_reason != DROPPED:
                session.slave.close("main_link_closed")
        elif session is not None and self.kind == "slave" and session.slave is self:
            session.slave_state = "closed"

    # ---- used by the platform ------------------------------------------------------------------------
    def black_hole(self, linger_s: float, cap_s: float) -> None:
        """A link that died silently: from now on read and discard everything (nothing journaled, nothing answered,
        nothing sent), and close `linger_s` after the first 0x1200 frame (a registration or position) fell into it,
        or after `cap_s` if none does. What the forwarder wrote meanwhile is lost unless it resends it."""
        self.hole = {"frames": 0, "exg_frames": 0, "bytes": 0, "linger_s": linger_s}
        self._hole_timer = asyncio.get_running_loop().call_later(cap_s, self.close, DROPPED)

    def _swallow(self, data: bytes) -> None:
        hole = self.hole
        hole["bytes"] += len(data)
        self.decoder.feed(data)
        for event in self.decoder.events():
            hole["frames"] += 1
            header = getattr(event, "header", None)
            if header is not None and header.msg_id == 0x1200:
                if not hole["exg_frames"]:
                    self._hole_timer.cancel()
                    self._hole_timer = asyncio.get_running_loop().call_later(hole["linger_s"], self.close, DROPPED)
                hole["exg_frames"] += 1

    def write(self, raw: bytes) -> None:
        if self.hole is not None:
            return
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(raw)
            self.last_tx = self.platform.clock.now()

    def close(self, reason: str) -> None:
        if self.hole is not None:
            self._hole_timer.cancel()
        if not self.closed:
            self.closed, self.close_reason = True, reason
            if self.transport is not None:
                self.transport.close()

    async def expect(self, msg_id: int, timeout: float) -> Any:
        """Wait for the next frame with this MSG_ID on this link; its decoded body."""
        fut = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(msg_id, []).append(fut)
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            waiters = self._waiters.get(msg_id, [])
            if fut in waiters:
                waiters.remove(fut)

    def answer(self, msg_id: int, body: Any) -> None:
        for fut in self._waiters.pop(msg_id, []):
            if not fut.done():
                fut.set_result(body)

    def state(self) -> dict[str, Any]:
        return {"kind": self.kind, "peer": self.peer, "user_id": self.account.user_id if self.account else None,
                "logged_in": self.account is not None, "open": not self.closed, "opened": self.opened,
                "closed": self.closed_at, "close_reason": self.close_reason, "last_rx": self.last_rx}

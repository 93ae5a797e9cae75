"""Two server-role runs against one target (two CI jobs against one test platform) disturb each other: each moves
the target's clock through the admin hook (/__vconform/clock) to expire its own tokens (2 h, henan §4.1.1,
§4.2.1), which expires the other run's tokens too. A run notices through the clock time its login answers carry
(§4.1.1 `datetime`, §4.2.1 `serverTime`): when the target's clock moved further than this run moved it, the run
stops with a harness error saying so, instead of charging the refusals to the platform."""
from __future__ import annotations

import time
from typing import Any

from harness.run import HarnessError

TOLERANCE = 600.0  # seconds: latency, whole-second stamps and a slow machine stay far below it; a token expiry is 2 h
ONE_RUN = ("run one server-role run per target at a time, or give each CI job its own target "
           "(`vconform mock henan-city|henan-province` on its own port)")


class TargetClock:
    """The target's clock offset as its login answers show it, against the seconds this run moved it."""

    def __init__(self, uploader: Any, what_collides: str):
        self.uploader, self.what = uploader, what_collides
        self.base: float | None = None
        self.collision = ""

    def seen(self, stamp: Any, fmt: str) -> None:
        """A login answer's server time `stamp` (local time in `fmt`); raises HarnessError once the target's clock
        moved more than TOLERANCE seconds beyond what this run moved it. Unreadable stamps are ignored."""
        try:
            shown = time.mktime(time.strptime(str(stamp).strip(), fmt))
        except (TypeError, ValueError, OverflowError):
            return
        offset = shown - time.time() - self.uploader.clock
        if self.base is None:
            self.base = offset
            return
        moved = offset - self.base
        if moved > TOLERANCE and not self.collision:
            self.collision = (
                f"another run shares the target {self.uploader.base}: its clock moved {moved / 3600:.1f} h that this "
                f"run did not move (each server-role run moves the target's clock to expire its own tokens, so the "
                f"other run's tokens expire as well; {self.what}). Not a finding against the platform: {ONE_RUN}")
        if self.collision:
            raise HarnessError(self.collision)

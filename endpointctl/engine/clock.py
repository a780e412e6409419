"""The real clock: monotonic for deadlines, the epoch for timestamps, and sleeps an interrupt ends."""

from __future__ import annotations

import time

from endpointctl.core.clock import Cancel


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    def sleep(self, seconds: float, cancel: Cancel | None = None) -> bool:
        if cancel is None:
            if seconds > 0:
                time.sleep(seconds)
            return True
        # The event wakes the wait itself: an interrupt ends a sleep at once, not at its end.
        return not cancel.wait(max(0.0, seconds))

"""The time every wait, deadline and timestamp goes through, as protocols: nothing here reads a clock.

``engine.clock.SystemClock`` is the real one; tests inject a clock that advances instantly when slept on,
so no test ever sleeps. ``sleep`` takes the command's cancel event: an interrupt (SIGINT/SIGTERM) ends a
sleep at once instead of after it, whatever the clock.
"""

from __future__ import annotations

from typing import Protocol


class Cancel(Protocol):
    """Set on SIGINT/SIGTERM; ``threading.Event`` is one."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a clock that never goes backwards: for deadlines and elapsed times."""
        ...

    def wall(self) -> float:
        """Seconds since the epoch: for timestamps people read and dates servers send."""
        ...

    def sleep(self, seconds: float, cancel: Cancel | None = None) -> bool:
        """Wait ``seconds``; False as soon as ``cancel`` is set (then the rest of the time is not waited)."""
        ...

"""Injectable time: every timestamp and every wait in the sandbox goes through a SandboxClock.

The lifecycle is evaluated from stored timestamps, so a ManualClock lets tests move an endpoint
through its states by advancing time instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol


class SandboxClock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    def sleep(self, seconds: float) -> object: ...


class WallClock:
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class ManualClock:
    """A clock that only moves when told to; ``sleep`` advances it instantly.

    Shared by the server's handler threads, hence the lock. It also serves as endpointctl's own clock in
    tests (``now``, ``wall``, ``sleep(seconds, cancel)``), so a test and its sandbox share one time.
    """

    def __init__(self, start: float = 1_760_000_000.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._now += seconds
            return self._now

    def wall(self) -> float:
        return self.now()

    def sleep(self, seconds: float, cancel: Any = None) -> bool:
        """Advance by ``seconds``, unless ``cancel`` (anything with ``is_set()``) is set: then False."""
        if cancel is not None and cancel.is_set():
            return False
        if seconds > 0:
            self.advance(seconds)
        return True

    def __repr__(self) -> str:
        return f"ManualClock(now={self.now()!r})"

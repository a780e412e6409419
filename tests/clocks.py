"""Clocks for tests that need time to do more than pass."""

from __future__ import annotations

import threading
from typing import Any

from endpointctl.sandbox import ManualClock


class InterruptedAt(ManualClock):
    """A ManualClock whose sleeps set ``cancel`` once it reaches ``at``: Ctrl-C at a given moment."""

    def __init__(self, start: float, at: float, cancel: threading.Event) -> None:
        super().__init__(start)
        self.at = at
        self.cancel = cancel

    def sleep(self, seconds: float, cancel: Any = None) -> bool:
        """Up to ``at`` only, when the sleep can be interrupted: there the interrupt arrives and ends it."""
        if cancel is not None and cancel.is_set():
            return False
        if cancel is not None and self.now() + seconds >= self.at:
            self.advance(max(0.0, self.at - self.now()))
            self.cancel.set()
            return False
        super().sleep(seconds)
        if self.now() >= self.at:
            self.cancel.set()
        return True

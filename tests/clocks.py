"""Clocks for tests that need time to do more than pass."""

from __future__ import annotations

import threading

from endpointctl.sandbox import ManualClock


class InterruptedAt(ManualClock):
    """A ManualClock whose sleeps set ``cancel`` once it reaches ``at``: Ctrl-C at a given moment."""

    def __init__(self, start: float, at: float, cancel: threading.Event) -> None:
        super().__init__(start)
        self.at = at
        self.cancel = cancel

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        if self.now() >= self.at:
            self.cancel.set()

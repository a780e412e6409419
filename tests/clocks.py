"""Clocks for tests that need time to do more than pass."""

from __future__ import annotations

import threading
from typing import Any

from endpointctl.sandbox import ManualClock


class InterruptedAt(ManualClock):
    """A ManualClock on which Ctrl-C arrives at ``at``: a cancellable sleep that reaches it ends there,
    with the cancel event it was given (and ``cancel``, if set) set."""

    def __init__(self, start: float, at: float, cancel: threading.Event | None = None) -> None:
        super().__init__(start)
        self.at = at
        self.cancel = cancel

    def sleep(self, seconds: float, cancel: Any = None) -> bool:
        if cancel is not None and cancel.is_set():
            return False
        if cancel is not None and self.now() + seconds >= self.at:
            self.advance(max(0.0, self.at - self.now()))
            self._interrupt(cancel)
            return False
        super().sleep(seconds)
        if self.now() >= self.at:
            self._interrupt(cancel)
        return True

    def _interrupt(self, cancel: Any) -> None:
        for event in (cancel, self.cancel):
            if event is not None:
                event.set()

"""The command's cancel event: set on SIGINT/SIGTERM; nothing new starts, waits end, retries stop."""

from __future__ import annotations

import threading


class CancelEvent(threading.Event):
    """The command's cancel event, which a signal handler may mark without taking a lock."""

    def __init__(self) -> None:
        super().__init__()
        self._requested = False

    def request(self) -> None:
        """Seen by ``is_set`` at once; sleepers wake when the watcher thread calls ``set``."""
        self._requested = True

    def is_set(self) -> bool:
        return self._requested or super().is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._requested or super().wait(timeout)

    def set_once(self) -> bool:
        """Set it (waking every sleep on it); True only the first time."""
        first = not super().is_set()
        self.set()
        return first

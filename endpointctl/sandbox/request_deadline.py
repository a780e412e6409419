"""Reading a request against a deadline, so a silent or trickling client cannot keep its connection.

A socket timeout alone bounds each read: a client that sends one byte just inside it (slowloris) holds
a thread and a file descriptor for as long as it likes, and a thousand of them stop the server. Here a
connection may wait ``seconds`` for a request to begin; once its first bytes arrive, the whole request
(head and body) must arrive within ``seconds`` more. Writes keep the plain per-operation timeout: the
answer is ours to send, and a client too slow to take it is dropped by that.
"""

from __future__ import annotations

import io
import socket
import time
from typing import Any


class RequestDeadline(io.RawIOBase):
    """The socket's reading side; the handler wraps it in a BufferedReader as its ``rfile``."""

    def __init__(self, connection: socket.socket, seconds: float) -> None:
        super().__init__()
        self._connection = connection
        self._seconds = seconds
        self._deadline: float | None = None  # None: between requests, waiting for one to begin

    def await_request(self) -> None:
        """Between requests: the next read may wait the idle allowance, and starts the request's clock."""
        self._deadline = None

    def allow(self, seconds: float) -> None:
        """Reads from now on must be done within ``seconds`` (draining a refused body, say)."""
        self._deadline = time.monotonic() + seconds

    def readable(self) -> bool:
        return True

    # Any: typeshed's WriteableBuffer lives in _typeshed, which the standard library does not ship.
    def readinto(self, buffer: Any) -> int:
        if self._deadline is None:
            wait = self._seconds
        else:
            wait = self._deadline - time.monotonic()
            if wait <= 0:
                raise TimeoutError(f"the request did not arrive within {self._seconds:g} s")
        self._connection.settimeout(wait)
        try:
            received = self._connection.recv_into(buffer)
        finally:
            self._connection.settimeout(self._seconds)  # what writes get
        if self._deadline is None:
            self._deadline = time.monotonic() + self._seconds
        return received

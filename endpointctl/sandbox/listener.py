"""The sandbox's listening server: threaded, answering loopback clients, and stopped at once."""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import sys
import threading
from http.server import ThreadingHTTPServer
from typing import Any

from .limits import LISTEN_BACKLOG

log = logging.getLogger("endpointctl.sandbox")


class SandboxHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server whose ``shutdown`` returns at once.

    socketserver's loop looks for a shutdown only between two polls, so each stop waited half a poll on
    average (tests start and stop hundreds of sandboxes). Here the loop also watches one end of a socket
    pair, and ``shutdown`` writes to the other: the loop wakes, ends, and says so.
    """

    daemon_threads = True
    block_on_close = False
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before binding: a bind that fails calls server_close, which closes these.
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_writer.setblocking(False)  # a full buffer of wake-ups must not block a shutdown
        super().__init__(*args, **kwargs)
        self._state = threading.Lock()
        self._stopping = False
        self._stopped = threading.Event()
        self._stopped.set()  # not serving: a shutdown has nothing to wait for

    def arm(self) -> None:
        """Count as serving from now, before the thread that will serve has started: a shutdown from
        then on waits for the loop to start and stop, instead of returning and leaving it to serve."""
        with self._state:
            self._stopped.clear()

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        with self._state:
            self._stopped.clear()
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self, selectors.EVENT_READ)
                selector.register(self._wake_reader, selectors.EVENT_READ)
                while True:
                    ready = {key.fileobj for key, _ in selector.select(poll_interval)}
                    if self._wake_reader in ready:
                        self._wake_reader.recv(64)  # drained, or the next loop would never sleep
                    with self._state:
                        if self._stopping:
                            break
                    if self in ready:
                        self._accept()
                    self.service_actions()
        finally:
            with self._state:
                self._stopping = False
                self._stopped.set()

    def _accept(self) -> None:
        """One waiting connection, handed to a thread of its own (socketserver's own steps)."""
        try:
            request, client_address = self.get_request()
        except OSError:  # gone before it was accepted
            return
        if not self.verify_request(request, client_address):
            self.shutdown_request(request)
            return
        try:
            self.process_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
            self.shutdown_request(request)
        except BaseException:
            self.shutdown_request(request)
            raise

    def shutdown(self) -> None:
        """Stop the loop and wait until it has stopped (from another thread than the loop's); when
        nothing is serving, nothing is left pending for the next serve_forever."""
        with self._state:
            if self._stopped.is_set():
                return
            self._stopping = True
        # Closed, or its buffer full of earlier wake-ups: the loop is awake either way.
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"\0")
        self._stopped.wait()

    def server_close(self) -> None:
        super().server_close()
        self._wake_reader.close()
        self._wake_writer.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection that failed outside any route; the default prints a traceback to stderr.

        A client that hangs up mid-request is routine for a server; anything else is a sandbox bug,
        which goes to the log with its traceback (handlers' own errors are answered 500 in _handle_errors).
        """
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            log.debug("connection from %s ended: %s", client_address, error)
            return
        log.error("sandbox connection from %s failed", client_address, exc_info=error)

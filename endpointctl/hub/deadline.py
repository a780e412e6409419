"""A total deadline for each API request, not only a timeout for each read.

httpx's timeouts bound each connect, read and write; a server that trickles one byte just inside the
read timeout can hold a request, and the command, for as long as it likes. Every socket operation of a
request here gets only what is left of the request's total time: connecting, sending, the headers and
the whole body (read before the request returns). The total is ENDPOINTCTL_REQUEST_TIMEOUT, or less when
the operation the request belongs to has less left (``wait --timeout``).

A body read here is read as it arrives, decoded, within ``API_ANSWER_BYTES`` (``core.bounded_lines``): a
listing without end, or a small gzip body that inflates to gigabytes, raises ``TooMuch`` once past it,
which the hub words as an error naming its call. A body streamed to its caller is bounded by the caller.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore2
import httpx2

from endpointctl.core.bounded_lines import read_within
from endpointctl.core.defaults import API_ANSWER_BYTES
from endpointctl.hub import tls
from endpointctl.hub.error_bodies import readable_error_body

# Seconds the current operation has left (set by the hub around each attempt); None: no limit of its own.
_LEFT: ContextVar[float | None] = ContextVar("endpointctl_operation_left", default=None)
# The monotonic time the current request must be done by.
_DEADLINE: ContextVar[float | None] = ContextVar("endpointctl_request_deadline", default=None)
_AT_LEAST = 0.001  # a socket timeout of 0 would mean "non-blocking", not "no time left"


@contextmanager
def operation_left(seconds: float | None) -> Iterator[None]:
    """Within this block, no request may outlast ``seconds``."""
    token = _LEFT.set(seconds)
    try:
        yield
    finally:
        _LEFT.reset(token)


def _bounded(timeout: float | None) -> float | None:
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = max(deadline - time.monotonic(), _AT_LEAST)
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore2.NetworkStream):
    def __init__(self, inner: httpcore2.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore2.NetworkStream:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore2.NetworkBackend):
    def __init__(self, inner: httpcore2.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        return _Stream(self._inner.connect_tcp(host, port, _bounded(timeout), local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore2.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(path, _bounded(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _own_total(request: httpx2.Request) -> float | None:
    """The request's own timeout (httpx's read timeout), read as its total: a call to a deployed URL
    asks for its own time (a cold start held for minutes), and gets it in all, not per read."""
    timeouts = request.extensions.get("timeout")
    read = timeouts.get("read") if isinstance(timeouts, dict) else None
    return float(read) if isinstance(read, int | float) else None


# A request extension: the body is not read before the response returns, but as the caller reads it.
# Its value says within which deadline: BOUNDED (the request's own) or OPEN (none: a stream that goes on).
STREAMED = "endpointctl.streamed"
BOUNDED = "bounded"
OPEN = "open"


class _TimedBody(httpx2.SyncByteStream):
    """A response body whose every read is done within ``deadline`` (monotonic; None: no deadline)."""

    def __init__(self, inner: httpx2.SyncByteStream, deadline: float | None) -> None:
        self._inner = inner
        self._deadline = deadline

    def __iter__(self) -> Iterator[bytes]:
        chunks = iter(self._inner)
        while True:
            token = _DEADLINE.set(self._deadline)
            try:
                chunk = next(chunks, None)
            finally:
                _DEADLINE.reset(token)
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        self._inner.close()


class DeadlineTransport(httpx2.BaseTransport):
    """httpx's own transport, each request done within its own timeout (``total`` when it sets none),
    and within the operation's time left.

    Used for the management API (``process``) and for deployed URLs (given to the data plane's client
    by whoever builds it, since the data plane does not import this package). ``streamed``: how every
    request's body is read when the request does not say (``STREAMED``); the data plane's is BOUNDED,
    left to the client, which reads it within its own cap (``ENDPOINT_ANSWER_BYTES``)."""

    def __init__(self, total: float, *, streamed: str | None = None) -> None:
        self._total = total
        self._streamed = streamed
        # One inner transport for https and one for plain http, each made at its first request: a
        # transport costs a TLS context, which the sandbox's plain loopback http never needs (tls.py).
        self._inner: dict[bool, httpx2.HTTPTransport] = {}
        self._lock = threading.Lock()

    def _transport(self, url: httpx2.URL) -> httpx2.HTTPTransport:
        secure = url.scheme != "http"
        with self._lock:
            inner = self._inner.get(secure)
            if inner is None:
                inner = httpx2.HTTPTransport(verify=tls.verifying() if secure else tls.trusting_nothing())
                pool: Any = inner._pool  # httpx builds the pool; only its sockets' timeouts change
                pool._network_backend = _Backend(pool._network_backend)
                self._inner[secure] = inner
            return inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        own, left = _own_total(request), _LEFT.get()
        total = self._total if own is None else own
        total = max(total if left is None else min(total, left), _AT_LEAST)
        deadline = time.monotonic() + total
        token = _DEADLINE.set(deadline)
        try:
            response = self._transport(request.url).handle_request(request)
            streamed = request.extensions.get(STREAMED, self._streamed)
            if streamed is not None and isinstance(response.stream, httpx2.SyncByteStream):
                # Read as the caller consumes it, which bounds it (the logs): within the same deadline,
                # or ("open", --follow) with no deadline of its own, each read as long as it takes.
                response.stream = _TimedBody(response.stream, None if streamed == OPEN else deadline)
                return response
            try:
                # The body too, within the same deadline, and within API_ANSWER_BYTES decoded: what
                # ``response.read()`` does, but stopping (TooMuch) once past the cap instead of holding
                # whatever arrives. The client's own read then returns this content.
                response._content = read_within(response.iter_bytes(), API_ANSWER_BYTES)
            except BaseException:
                response.close()
                raise
            if response.status_code >= 400:
                readable = readable_error_body(response.status_code, response._content)
                if readable is not None:
                    response._content = readable
            return response
        finally:
            _DEADLINE.reset(token)

    def close(self) -> None:
        with self._lock:
            # Closed, it opens again at its next request (DeployedClient makes a new client on it after a
            # close); each close closes whatever pool that made.
            inner, self._inner = list(self._inner.values()), {}
        for transport in inner:
            transport.close()

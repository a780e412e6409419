"""HTTP wiring: route matching, request counting, the middleware hook, and the threaded server.

Every non-admin request flows through ``Router.dispatch``: match a template, count it, then run
the handler wrapped by the middleware chain. A fault-injection layer is a middleware: it sees the
Request (with its route key) and the next handler, and may answer instead, delay, or call through
and then set ``Response.drop_connection``.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import re
import socket
import threading
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

from .limits import (
    MAX_BODY_BYTES,
    MAX_CHUNK_LINE_BYTES,
    MAX_TRAILER_LINES,
    REQUEST_TIMEOUT_SECONDS,
)
from .listener import SandboxHTTPServer
from .loopback import foreign_host_message, names_loopback
from .loopback import is_loopback as is_loopback  # where the CLI has always found it
from .request_deadline import RequestDeadline
from .transport import ErrorAnswer, Handler, Request, Response, Route, json_response

log = logging.getLogger("endpointctl.sandbox")

Middleware = Callable[[Request, Handler], Response]
MUTATING_METHODS = frozenset({"POST", "PUT", "DELETE"})
MANAGEMENT_PREFIX = "/v2/endpoint/"
# After refusing a body: how long and how much of the rest to read before closing (see _linger).
LINGER_SECONDS = 2.0
MAX_LINGER_BYTES = 16 * MAX_BODY_BYTES


# Once per template, not per Router: every sandbox builds a Router of the same few dozen routes, and the
# tests start a sandbox for most of their ~4,000 cases (splitting and escaping ~0.3 ms each time).
@functools.cache
def _compile(template: str) -> re.Pattern[str]:
    pattern = ""
    for part in re.split(r"(\{[a-z_]+\})", template):
        if part == "{path}":
            pattern += r"(?P<path>.+)"
        elif part.startswith("{"):
            pattern += f"(?P<{part[1:-1]}>[^/]+)"
        else:
            pattern += re.escape(part)
    return re.compile(f"^{pattern}$")


def _handle_errors(handler: Handler) -> Handler:
    def run(request: Request) -> Response:
        try:
            return handler(request)
        except ErrorAnswer as exc:
            return exc.response()
        except Exception as exc:  # a sandbox bug must still answer in the API's error shape
            log.exception("sandbox handler failed: %s", request.route)
            return json_response({"error": f"Internal sandbox error: {exc}"}, status=500)

    return run


class Router:
    def __init__(self, routes: list[Route]) -> None:
        self._routes = [(route, _compile(route.template)) for route in routes]
        self._counts: Counter[str] = Counter()
        self._middleware: list[Middleware] = []
        self._lock = threading.Lock()

    # -- counting --------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def mutating_count(self) -> int:
        with self._lock:
            return sum(
                n
                for key, n in self._counts.items()
                if key.split(" ", 1)[0] in MUTATING_METHODS
                and key.split(" ", 1)[1].startswith(MANAGEMENT_PREFIX)
            )

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()

    # -- middleware ------------------------------------------------------------------------------

    def add_middleware(self, middleware: Middleware) -> None:
        """Wrap every (non-admin) route; the last one added runs outermost."""
        with self._lock:
            self._middleware.append(middleware)

    def clear_middleware(self) -> None:
        with self._lock:
            self._middleware.clear()

    def _wrapped(self, handler: Handler) -> Handler:
        with self._lock:
            chain = list(self._middleware)
        wrapped = _handle_errors(handler)
        for middleware in chain:
            wrapped = _bind(middleware, wrapped)
        return wrapped

    # -- dispatch --------------------------------------------------------------------------------

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, params, path_known); path_known tells a 405 from a 404 when route is None."""
        path_known = False
        for route, pattern in self._routes:
            m = pattern.match(path)
            if m is None:
                continue
            path_known = True
            if route.method == method:
                params = {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}
                return route, params, True
        return None, {}, path_known

    def dispatch(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        route, params, path_known = self.match(request.method, path)
        if route is None:
            status, message = (405, "Method not allowed") if path_known else (404, "Not found")
            error = ErrorAnswer(status, f"{message}: {request.method} {request.path}")

            def unmatched(_: Request) -> Response:
                raise error

            return self._wrapped(unmatched)(request)
        bound = Request(
            method=request.method,
            path=request.path,
            query=request.query,
            headers=request.headers,
            body=request.body,
            route=route.key,
            params=params,
        )
        if route.admin:
            return _handle_errors(route.handler)(bound)
        with self._lock:
            self._counts[route.key] += 1
        return self._wrapped(route.handler)(bound)


def _bind(middleware: Middleware, handler: Handler) -> Handler:
    return lambda request: middleware(request, handler)


class _RequestHandler(BaseHTTPRequestHandler):
    # Keep-alive matters: huggingface_hub reuses connections, and so do the tests.
    protocol_version = "HTTP/1.1"
    server_version = "endpointctl-sandbox"
    # Headers and body go out in two writes; with Nagle on, keep-alive clients stall 40 ms on each.
    disable_nagle_algorithm = True
    # The seconds a client has to send each request (see request_deadline.py); StreamRequestHandler
    # also sets it as the socket's timeout, which bounds each write. make_server sets it per server.
    timeout: ClassVar[float] = REQUEST_TIMEOUT_SECONDS
    allow_remote: ClassVar[bool] = False  # whether requests addressed by any Host name are answered
    router: Router  # set on the per-server subclass
    _reading: RequestDeadline

    def setup(self) -> None:
        super().setup()
        # The standard rfile waits on each read afresh; this one holds the whole request to a deadline.
        self.rfile.close()
        self._reading = RequestDeadline(self.connection, self.timeout)
        self.rfile = io.BufferedReader(self._reading)

    def handle_one_request(self) -> None:
        # A read that runs out of time raises TimeoutError, which the base class answers by closing.
        self._reading.await_request()
        super().handle_one_request()

    def _refuse_host(self) -> ErrorAnswer | None:
        """Why this request's Host header is refused, if it is (see loopback.py: DNS rebinding)."""
        if self.allow_remote:
            return None
        hosts = self.headers.get_all("Host") or []
        if len(hosts) > 1:
            return ErrorAnswer(400, "More than one Host header")
        # None at all is an HTTP/1.0 client's right; a browser, which DNS rebinding needs, always sends one.
        if hosts and not names_loopback(hosts[0]):
            return ErrorAnswer(403, foreign_host_message(hosts[0]))
        return None

    def _read_body(self) -> bytes:
        """The body, bounded by MAX_BODY_BYTES; an ErrorAnswer (413, 400) when it is refused."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        declared = (self.headers.get("Content-Length") or "0").strip()
        if not (declared.isascii() and declared.isdigit()):  # isdigit alone takes "²", which int() does not
            raise ErrorAnswer(400, f"Invalid Content-Length: {declared[:40]!r}")
        length = int(declared)
        if length > MAX_BODY_BYTES:
            raise _too_large()
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(MAX_CHUNK_LINE_BYTES + 1)
            try:
                size = int(line.split(b";")[0].strip() or b"0", 16)
            except ValueError:
                size = -1
            if size < 0 or len(line) > MAX_CHUNK_LINE_BYTES:
                raise ErrorAnswer(400, "Malformed chunked request body")
            if size == 0:
                self._skip_trailer()
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise _too_large()
            chunks.append(self.rfile.read(size))
            self.rfile.readline(MAX_CHUNK_LINE_BYTES + 1)

    def _skip_trailer(self) -> None:
        for _ in range(MAX_TRAILER_LINES + 1):
            if self.rfile.readline(MAX_CHUNK_LINE_BYTES + 1) in (b"\r\n", b"\n", b""):
                return
        raise ErrorAnswer(400, f"Malformed chunked request body: more than {MAX_TRAILER_LINES} trailer lines")

    def _handle(self) -> None:
        try:
            foreign = self._refuse_host()
            if foreign is not None:
                raise foreign
            body = self._read_body()
        except ErrorAnswer as refused:
            # The rest of the body is still on the wire: answer, then stop reading this connection.
            self._send(refused.response(), close=True)
            self._linger()
            return
        split = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(split.query, keep_blank_values=True).items()}
        request = Request(
            method=self.command,
            path=split.path,
            query=query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        response = self.router.dispatch(request)
        if response.drop_connection:
            self.close_connection = True
            return
        self._send(response)

    def _send(self, response: Response, close: bool = False) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        if response.stream is None:
            self.send_header("Content-Length", str(len(response.body)))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        for name, value in response.headers.items():
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")  # send_header also sets close_connection
        self.end_headers()
        if response.stream is not None:
            self._stream(response.stream, finished=not response.unfinished)
        elif self.command != "HEAD":
            self.wfile.write(response.body)

    def _stream(self, chunks: Iterator[bytes], *, finished: bool = True) -> None:
        """Each chunk as it is produced; a client that went away ends the stream (and its producer).
        Not ``finished``: the connection is closed without the last chunk, a body broken off."""
        try:
            for chunk in chunks:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            if not finished:
                self.close_connection = True
                return
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True
        finally:
            close = getattr(chunks, "close", None)
            if callable(close):
                close()

    def _linger(self) -> None:
        """Read and discard what the client is still sending before closing, for a bounded time.

        Closing a socket with unread data makes the kernel send a reset, which can reach the client
        before our answer does: it would see "connection reset" instead of the 413.
        """
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self._reading.allow(LINGER_SECONDS)
            discarded = 0
            while discarded < MAX_LINGER_BYTES:
                chunk = self.rfile.read1(64 * 1024)
                if not chunk:
                    break
                discarded += len(chunk)
        except OSError:  # the client went away or stopped sending: either way, done
            pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What http.server refuses itself (a bad request line, oversized headers) in the API's shape.

        The standard library answers those with an HTML page; every other answer here is JSON.
        """
        self.log_error("code %d, message %s", code, message)
        doc = {"error": message or self.responses.get(code, ("Error",))[0]}
        body = json.dumps(doc).encode() if code >= 200 and code not in (204, 304) else b""
        self._send(Response(status=code, body=body), close=True)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


def _too_large() -> ErrorAnswer:
    return ErrorAnswer(413, f"Request body is larger than the sandbox accepts ({MAX_BODY_BYTES} bytes)")


class RemoteNotAllowed(ValueError):
    pass


def make_server(
    router: Router,
    host: str,
    port: int,
    allow_remote: bool = False,
    request_timeout: float = REQUEST_TIMEOUT_SECONDS,
) -> SandboxHTTPServer:
    """A server for ``router``; without ``allow_remote`` it binds and answers only loopback names."""
    if not is_loopback(host) and not allow_remote:
        # Anyone who reaches the address can read and change every endpoint the sandbox holds.
        raise RemoteNotAllowed(f"{host!r} is not a loopback address; pass allow_remote=True to serve there")
    handler = type(
        "SandboxRequestHandler",
        (_RequestHandler,),
        {"router": router, "timeout": request_timeout, "allow_remote": allow_remote},
    )
    server_class: type[SandboxHTTPServer] = SandboxHTTPServer
    if ":" in host:
        server_class = type("SandboxHTTPServer6", (SandboxHTTPServer,), {"address_family": socket.AF_INET6})
    return server_class((host.strip("[]"), port), handler)

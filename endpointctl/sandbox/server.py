"""HTTP wiring: route matching, request counting, the middleware hook, and the threaded server.

Every non-admin request flows through ``Router.dispatch``: match a template, count it, then run
the handler wrapped by the middleware chain. A fault-injection layer is a middleware: it sees the
Request (with its route key) and the next handler, and may answer instead, delay, or call through
and then set ``Response.drop_connection``.
"""

from __future__ import annotations

import logging
import re
import threading
import urllib.parse
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .transport import ErrorAnswer, Handler, Request, Response, Route, json_response

log = logging.getLogger("endpointctl.sandbox")

Middleware = Callable[[Request, Handler], Response]
MUTATING_METHODS = frozenset({"POST", "PUT", "DELETE"})
MANAGEMENT_PREFIX = "/v2/endpoint/"


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
    router: Router  # set on the per-server subclass

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        split = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(split.query, keep_blank_values=True).items()}
        request = Request(
            method=self.command,
            path=split.path,
            query=query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self._read_body(),
        )
        response = self.router.dispatch(request)
        if response.drop_connection:
            self.close_connection = True
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


def make_server(router: Router, host: str, port: int) -> SandboxHTTPServer:
    handler = type("SandboxRequestHandler", (_RequestHandler,), {"router": router})
    return SandboxHTTPServer((host, port), handler)

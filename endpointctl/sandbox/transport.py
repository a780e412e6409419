"""The request and response values that flow between the HTTP server and the route handlers.

Handlers never touch sockets: they take a Request and return a Response (or raise ErrorAnswer), which
is what lets a fault-injection layer wrap every route in one place (see ``server.Middleware``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import limits


class ErrorAnswer(Exception):
    """An error answered as ``{"error": message, **extra}``, the API's only error body shape."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra

    def response(self) -> Response:
        return json_response({"error": self.message, **self.extra}, status=self.status)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # keys lower-cased
    body: bytes
    route: str = ""  # "METHOD /template"; empty when no route matched
    params: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        if not self.body.strip():
            raise ErrorAnswer(400, "Request body must be a JSON document")
        try:
            return limits.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ErrorAnswer(400, f"Invalid JSON body: {exc}") from exc

    def json_object(self) -> dict[str, Any]:
        doc = self.json()
        if not isinstance(doc, dict):
            raise ErrorAnswer(400, "Request body must be a JSON object")
        return doc


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    # Set by a fault layer to simulate "the server committed the change but the client never heard".
    drop_connection: bool = False
    # A body written as it is produced (chunked), instead of ``body``: a log stream. Closed when the
    # client goes away.
    stream: Iterator[bytes] | None = None
    # Set by a fault layer: the stream's connection is closed without the body's end, as a connection
    # that breaks off mid-stream (a proxy's reset) is.
    unfinished: bool = False


def json_response(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(doc, ensure_ascii=False).encode()
    return Response(status=status, body=body, headers=dict(headers or {}))


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    """One route: ``template`` uses ``{param}`` segments; ``{path}`` swallows the rest of the path."""

    method: str
    template: str
    handler: Handler
    admin: bool = (
        False  # not counted, and never wrapped by middleware (a fault layer must not break inspection)
    )

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"

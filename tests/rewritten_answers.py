"""The sandbox's JSON answers rewritten on their way out: the API answering something odd, while what the
sandbox stores is left as it is."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from endpointctl.sandbox import Middleware, Request, Response, Sandbox
from endpointctl.sandbox.transport import Handler

Change = Callable[[dict[str, Any]], None]


def rewriting(routes: str | tuple[str, ...], change: Change) -> Middleware:
    """A middleware passing every successful answer on ``routes`` to ``change`` (the whole JSON document,
    to edit in place). Written back as ASCII JSON, as an API's is (a lone surrogate goes as ``\\ud83d``),
    with the answer's status and headers."""
    wanted = (routes,) if isinstance(routes, str) else routes

    def middleware(request: Request, handler: Handler) -> Response:
        answer = handler(request)
        if request.route not in wanted or not 200 <= answer.status < 300:
            return answer
        body = json.loads(answer.body)
        change(body)
        return replace(answer, body=json.dumps(body).encode())

    return middleware


def rewrite(sandbox: Sandbox, route: str, change: Change) -> None:
    """Every successful answer on ``route`` edited by ``change`` from now on (``rewriting``)."""
    sandbox.add_middleware(rewriting(route, change))


def each_endpoint(change: Change) -> Change:
    """``change`` applied to each endpoint of an answer: the one a route about one endpoint answers, or
    every item of a list page."""

    def apply(body: dict[str, Any]) -> None:
        for endpoint in body.get("items", [body]):
            change(endpoint)

    return apply

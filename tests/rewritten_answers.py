"""The sandbox's JSON answers rewritten on their way out: the API answering something odd, while what the
sandbox stores is left as it is."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from endpointctl.sandbox import Request, Response, Sandbox
from endpointctl.sandbox.transport import Handler, json_response

Change = Callable[[dict[str, Any]], None]


def rewrite(sandbox: Sandbox, route: str, change: Change) -> None:
    """Every successful answer on ``route`` edited by ``change`` (the whole JSON document, in place)."""

    def middleware(request: Request, handler: Handler) -> Response:
        answer = handler(request)
        if request.route != route or not 200 <= answer.status < 300:
            return answer
        body = json.loads(answer.body)
        change(body)
        return json_response(body, status=answer.status)

    sandbox.add_middleware(middleware)


def each_endpoint(change: Change) -> Change:
    """``change`` applied to each endpoint of an answer: the one a route about one endpoint answers, or
    every item of a list page."""

    def apply(body: dict[str, Any]) -> None:
        for endpoint in body.get("items", [body]):
            change(endpoint)

    return apply

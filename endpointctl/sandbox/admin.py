"""``/_sandbox/`` routes: inspect and steer an out-of-process sandbox. Never counted."""

from __future__ import annotations

from collections.abc import Callable

from .context import Context, DataplaneOverride
from .server import Router
from .transport import ErrorAnswer, Request, Response, Route, json_response


def routes(ctx: Context, router: Callable[[], Router], reset: Callable[[], None]) -> list[Route]:
    def counts(req: Request) -> Response:
        r = router()
        return json_response({"counts": r.counts(), "mutating": r.mutating_count()})

    def reset_counts(req: Request) -> Response:
        router().reset_counts()
        return json_response({})

    def reset_state(req: Request) -> Response:
        reset()
        return json_response({})

    def set_dataplane(req: Request) -> Response:
        body = req.json_object() if req.body.strip() else {}
        status = body.get("status")
        latency = body.get("latency_ms", 0)
        if status is not None and not isinstance(status, int):
            raise ErrorAnswer(400, "'status' must be an integer")
        if not isinstance(latency, int) or latency < 0:
            raise ErrorAnswer(400, "'latency_ms' must be a non-negative integer")
        override = DataplaneOverride(status=status, body=body.get("body"), latency_ms=latency)
        ctx.set_override(req.params["namespace"], req.params["name"], override)
        return json_response({})

    def clear_dataplane(req: Request) -> Response:
        ctx.clear_override(req.params["namespace"], req.params["name"])
        return json_response({})

    dp = "/_sandbox/dataplane/{namespace}/{name}"
    return [
        Route("GET", "/_sandbox/counts", counts, admin=True),
        Route("POST", "/_sandbox/counts/reset", reset_counts, admin=True),
        Route("POST", "/_sandbox/reset", reset_state, admin=True),
        Route("PUT", dp, set_dataplane, admin=True),
        Route("DELETE", dp, clear_dataplane, admin=True),
    ]

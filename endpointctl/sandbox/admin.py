"""``/_sandbox/`` routes: inspect and steer an out-of-process sandbox. Never counted.

They take the sandbox user's token like the API does (an outsider's token is refused): resetting
state or rigging a deployed URL's answers must not be open to whatever can reach the port, such as a
web page in the user's browser posting to loopback.
"""

from __future__ import annotations

from collections.abc import Callable

from . import revisions
from .auth import require_caller
from .context import Context, DataplaneOverride
from .server import Router
from .transport import ErrorAnswer, Handler, Request, Response, Route, json_response

NOT_THE_SANDBOX_USER = "The sandbox's control routes need the sandbox user's token"


def _guarded(ctx: Context, handler: Handler) -> Handler:
    def run(req: Request) -> Response:
        caller = require_caller(req.headers, ctx.config.user, ctx.config.orgs)
        if caller.name != ctx.config.user:
            raise ErrorAnswer(403, NOT_THE_SANDBOX_USER)
        return handler(req)

    return run


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

    def move_ref(req: Request) -> Response:
        # A push to the emulated Hub: the branch or tag now points at "sha", or at a new commit.
        body = req.json_object() if req.body.strip() else {}
        sha = body.get("sha")
        if sha is not None and not (isinstance(sha, str) and revisions.is_commit(sha)):
            raise ErrorAnswer(400, "'sha' must be a commit: 40 hexadecimal digits")
        repository = f"{req.params['owner']}/{req.params['model']}"
        previous, commit = revisions.move_ref(ctx, repository, req.params["ref"], sha)
        return json_response(
            {"repository": repository, "ref": req.params["ref"], "sha": commit, "previous": previous}
        )

    dp = "/_sandbox/dataplane/{namespace}/{name}"
    return [
        Route("GET", "/_sandbox/counts", _guarded(ctx, counts), admin=True),
        Route("POST", "/_sandbox/counts/reset", _guarded(ctx, reset_counts), admin=True),
        Route("POST", "/_sandbox/reset", _guarded(ctx, reset_state), admin=True),
        Route("PUT", dp, _guarded(ctx, set_dataplane), admin=True),
        Route("DELETE", dp, _guarded(ctx, clear_dataplane), admin=True),
        Route("PUT", "/_sandbox/models/{owner}/{model}/refs/{ref}", _guarded(ctx, move_ref), admin=True),
    ]

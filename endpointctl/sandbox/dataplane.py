"""The deployed endpoints' URLs: ``{base}/endpoints/{namespace}/{name}[/...]``.

Emulates the proxy in front of a replica: security level, state-dependent errors, cold starts from
zero (503, or a held request with ``X-Scale-Up-Timeout``), then a task-shaped answer.

``{base}/privatelink/{namespace}/{name}[/...]`` stands for the endpoint's AWS PrivateLink interface,
as reached from inside the linked VPC: the public URL refuses a PrivateLink endpoint, this one serves it
(to members of the namespace, like any private endpoint).

Behind the proxy, the server the image runs (``engines``) answers: every endpoint takes task inputs at
``/`` and OpenAI chat and completions under ``/v1``; TGI and vLLM images add ``/info``, ``/generate`` and
``/generate_stream``, and OpenAI-speaking images ``/v1/models``. ``"stream": true`` on a text-generating
route answers server-sent events (``streaming``). Every route goes through the same proxy first.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from . import answers, container_log, engines, generation, lifecycle, limits, streaming
from .auth import identify
from .context import Context
from .lifecycle import Observed
from .store import Record
from .transport import ErrorAnswer, Request, Response, Route, json_response
from .views import health_route

SERVING = frozenset({"running", "updating", "updateFailed"})
# Waiting with a real clock re-reads the state this often, so a pause or delete is noticed.
HOLD_POLL_SECONDS = 0.25


def _authorize(ctx: Context, req: Request, record: Record) -> None:
    if record.spec.get("privateService"):
        raise ErrorAnswer(403, "This endpoint is only reachable through AWS PrivateLink")
    _authorize_caller(ctx, req, record)


def _authorize_privatelink(ctx: Context, req: Request, record: Record) -> None:
    if not record.spec.get("privateService"):
        raise ErrorAnswer(404, "This endpoint has no PrivateLink interface")
    _authorize_caller(ctx, req, record)


def _authorize_caller(ctx: Context, req: Request, record: Record) -> None:
    if record.spec["type"] == "public":
        return
    caller = identify(req.headers, ctx.config.user, ctx.config.orgs)
    if caller is None:
        raise ErrorAnswer(401, "Authorization header is correct, but the token seems invalid")
    if record.spec["type"] == "private" and not caller.member_of(record.namespace):
        raise ErrorAnswer(403, f"This endpoint is private to members of '{record.namespace}'")


def _wake_if_zero(ctx: Context, record: Record) -> Record:
    with ctx.store.transaction():
        current = ctx.require(record.namespace, record.name)
        observed = ctx.observe(current)
        if observed.state == "scaledToZero":
            prior = copy.deepcopy(current)
            lifecycle.wake(current, ctx.now())
            current.last_used_at = ctx.now()
            if ctx.config.wake_moves_updated_at:
                current.updated_at = ctx.now()
            ctx.store.save(current)
            container_log.changed(ctx, prior, observed, current)
        return current


def _not_ready(observed: Observed, now: float) -> ErrorAnswer:
    eta = observed.eta(now)
    if eta is None:
        return ErrorAnswer(503, f"Endpoint is not running (state: {observed.state})")
    message = "Endpoint is scaling up" if observed.has_url else "Endpoint is not ready yet"
    return ErrorAnswer(503, message, estimated_time=round(eta, 3))


def _scale_up_timeout(ctx: Context, req: Request, record: Record) -> float | None:
    override = ctx.override(record.namespace, record.name)
    if override is not None and not override.honor_scale_up_timeout:
        return None
    value = req.header("x-scale-up-timeout")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError as exc:
        raise ErrorAnswer(400, f"Invalid X-Scale-Up-Timeout {value!r}: expected seconds") from exc
    return max(0.0, seconds)


def _wait_until_serving(ctx: Context, req: Request, record: Record) -> Record:
    """The record once it serves, holding the request if the caller allowed it; else ErrorAnswer."""
    observed = ctx.observe(record)
    if observed.state == "paused":
        # What the real proxy was observed to answer for a paused endpoint.
        raise ErrorAnswer(400, "Bad Request: Invalid state")
    if observed.state == "scaledToZero":
        record = _wake_if_zero(ctx, record)
        observed = ctx.observe(record)
    timeout = _scale_up_timeout(ctx, req, record)
    clock = ctx.config.clock
    deadline = clock.now() + (timeout or 0.0)
    while observed.state not in SERVING:
        now = clock.now()
        eta = observed.eta(now)
        if timeout is None or eta is None or now >= deadline:
            raise _not_ready(observed, now)
        clock.sleep(max(0.001, min(eta, deadline - now, HOLD_POLL_SECONDS)))
        record = ctx.require(record.namespace, record.name)
        observed = ctx.observe(record)
        if observed.state == "paused":
            raise ErrorAnswer(400, "Bad Request: Invalid state")
    return record


def _touch(ctx: Context, record: Record) -> None:
    with ctx.store.transaction():
        current = ctx.store.get(record.namespace, record.name)
        if current is not None:
            current.last_used_at = ctx.now()
            ctx.store.save(current)


def _payload(req: Request, task: str | None) -> Any:
    content_type = (req.header("content-type") or "").split(";")[0].strip()
    if task in answers.BINARY_TASKS and content_type != "application/json":
        return req.body
    try:
        return limits.loads(req.body) if req.body else None
    except (ValueError, UnicodeDecodeError) as exc:
        if task in answers.BINARY_TASKS:
            return req.body
        raise ErrorAnswer(400, f"Invalid JSON body: {exc}") from exc


Authorize = Callable[[Context, Request, Record], None]
Handler = Callable[[Context, Request, Authorize], Response]


def _respond(body: Any, status: int = 200) -> Response:
    """An answer is a JSON document, or a whole Response (a stream of events)."""
    if isinstance(body, Response):
        body.status = status
        return body
    return json_response(body, status=status)


def _serve(
    ctx: Context,
    req: Request,
    answer: Callable[[Record, Any], Any],
    overridable: bool = True,
    authorize: Authorize = _authorize,
) -> Response:
    record = ctx.require(req.params["namespace"], req.params["name"])
    authorize(ctx, req, record)
    record = _wait_until_serving(ctx, req, record)
    _touch(ctx, record)
    override = ctx.take_override(record.namespace, record.name) if overridable else None
    if override is not None:
        if override.latency_ms:
            ctx.config.clock.sleep(override.latency_ms / 1000)
        if override.status is not None or override.body is not None:
            status = override.status if override.status is not None else 200
            if override.body is not None:
                body = override.body
            elif status >= 400:
                body = {"error": f"Sandbox override: HTTP {status}"}
            else:
                body = answer(record, _payload(req, record.spec["model"].get("task")))
            return _logged(ctx, req, record, answer, _respond(body, status=status))
    payload = _payload(req, record.spec["model"].get("task"))
    return _logged(ctx, req, record, answer, _respond(answer(record, payload)))


def _logged(ctx: Context, req: Request, record: Record, answer: Any, response: Response) -> Response:
    """A request served, in the replica's log; health checks are not written there."""
    return response if answer is _healthy else container_log.served(ctx, record, req, response)


def _generate(payload: Any, full_text_default: bool, wrap: bool, stream: bool) -> Any:
    """TGI's generation: ``[{...}]`` at ``/``, ``{...}`` at ``/generate``, events when streaming."""
    params = generation.parameters_of(payload)
    gen = generation.generate(generation.prompt_of(payload), params, full_text_default)
    if stream:
        return streaming.event_stream(streaming.tgi_events(gen, params))
    out = generation.tgi_output(gen, params)
    return [out] if wrap else out


def _infer(record: Record, payload: Any) -> Any:
    spec = record.spec
    stream = streaming.wants_stream(payload)
    if engines.generates_text(spec) and (stream or engines.engine(spec) != engines.PIPELINE):
        return _generate(payload, engines.full_text_at_root(spec), wrap=True, stream=stream)
    model = spec["model"]
    return answers.answer(model.get("task"), model["repository"], payload)


def _healthy(record: Record, payload: Any) -> Any:
    return {"status": "ok"}


def inference(ctx: Context, req: Request, authorize: Authorize = _authorize) -> Response:
    return _serve(ctx, req, _infer, authorize=authorize)


def generate(ctx: Context, req: Request, authorize: Authorize = _authorize, stream: bool = False) -> Response:
    """``/generate`` (``/generate_stream``: ``stream``) on TGI and vLLM; elsewhere a path like any other."""
    if not engines.has_generation_routes(ctx.require(req.params["namespace"], req.params["name"]).spec):
        return inference(ctx, req, authorize)

    def answer(record: Record, payload: Any) -> Any:
        return _generate(payload, False, wrap=False, stream=stream or streaming.wants_stream(payload))

    return _serve(ctx, req, answer, authorize=authorize)


def generate_stream(ctx: Context, req: Request, authorize: Authorize = _authorize) -> Response:
    return generate(ctx, req, authorize, stream=True)


def _openai_style(
    ctx: Context,
    req: Request,
    authorize: Authorize,
    events: Callable[[Any, str, float], list[dict[str, Any]]],
    whole: Callable[[Any, str, float], Any],
) -> Response:
    """An OpenAI-style route: the whole answer, or with ``stream: true`` its chunks, ending in [DONE]."""
    now = ctx.now()

    def answer(record: Record, payload: Any) -> Any:
        repository = record.spec["model"]["repository"]
        if streaming.wants_stream(payload):
            return streaming.event_stream(events(payload, repository, now), done=True)
        return whole(payload, repository, now)

    return _serve(ctx, req, answer, authorize=authorize)


def chat(ctx: Context, req: Request, authorize: Authorize = _authorize) -> Response:
    return _openai_style(ctx, req, authorize, streaming.chat_events, generation.chat_completion)


def completions(ctx: Context, req: Request, authorize: Authorize = _authorize) -> Response:
    return _openai_style(ctx, req, authorize, streaming.completion_events, generation.text_completion)


def health(ctx: Context, req: Request, authorize: Authorize = _authorize) -> Response:
    # Health checks are not subject to overrides: `wait()` must still see a forced-500 endpoint as up.
    return _serve(ctx, req, _healthy, overridable=False, authorize=authorize)


def info(ctx: Context, req: Request, authorize: Authorize = _authorize) -> Response:
    """TGI's ``/info`` on TGI and vLLM images; elsewhere a path like any other."""
    if not engines.has_generation_routes(ctx.require(req.params["namespace"], req.params["name"]).spec):
        return get_path(ctx, req, authorize, path="info")
    return _serve(ctx, req, lambda r, p: engines.info(r.spec), overridable=False, authorize=authorize)


def models(ctx: Context, req: Request, authorize: Authorize = _authorize) -> Response:
    """OpenAI's ``/v1/models`` on the images that speak OpenAI; elsewhere a path like any other."""
    if not engines.has_openai_models(ctx.require(req.params["namespace"], req.params["name"]).spec):
        return get_path(ctx, req, authorize, path="v1/models")
    now = ctx.now()
    return _serve(ctx, req, lambda r, p: engines.models(r.spec, now), overridable=False, authorize=authorize)


def get_path(
    ctx: Context, req: Request, authorize: Authorize = _authorize, path: str | None = None
) -> Response:
    """GET on another sub-path: only a custom image's health route answers."""
    record = ctx.require(req.params["namespace"], req.params["name"])
    path = path if path is not None else req.params["path"]
    if "/" + path.strip("/") != health_route(record.spec).rstrip("/"):
        raise ErrorAnswer(404, f"No route GET /{path}")
    return health(ctx, req, authorize)


# Under each prefix, in matching order: the named routes before the catch-all ``{path}``.
_ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/health", health),
    ("GET", "/info", info),
    ("GET", "/v1/models", models),
    ("GET", "/{path}", get_path),
    ("POST", "", inference),
    ("POST", "/generate", generate),
    ("POST", "/generate_stream", generate_stream),
    ("POST", "/v1/chat/completions", chat),
    ("POST", "/v1/completions", completions),
    ("POST", "/{path}", inference),
)


def routes(ctx: Context) -> list[Route]:
    def bind(fn: Handler, authorize: Authorize) -> Callable[[Request], Response]:
        return lambda req: fn(ctx, req, authorize)

    prefixes = (
        ("/endpoints/{namespace}/{name}", _authorize),
        ("/privatelink/{namespace}/{name}", _authorize_privatelink),
    )
    return [
        Route(method, prefix + suffix, bind(fn, authorize))
        for prefix, authorize in prefixes
        for method, suffix, fn in _ROUTES
    ]

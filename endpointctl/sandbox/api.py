"""Management routes under ``/v2`` and the Hub's ``/api/whoami-v2``."""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
from collections.abc import Callable
from typing import Any

from . import catalog, container_log, lifecycle, logs, revisions, specs
from .auth import Caller, identify, require_caller, require_namespace
from .context import Context
from .lifecycle import Observed
from .store import NameTaken, Record
from .transport import ErrorAnswer, Request, Response, Route, json_response
from .views import endpoint_doc

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# States whose replicas hold no accelerators against the namespace quota.
NOT_ALLOCATED = frozenset({"paused", "failed"})


def _caller(ctx: Context, req: Request) -> Caller:
    caller = require_caller(req.headers, ctx.config.user, ctx.config.orgs)
    require_namespace(caller, req.params["namespace"])
    return caller


def _doc(ctx: Context, req: Request, record: Record) -> dict[str, Any]:
    zero = ctx.config.zero_replicas_unless_running
    return endpoint_doc(record, ctx.observe(record), ctx.url_base(req), zero_replicas_unless_running=zero)


# -- quota ---------------------------------------------------------------------------------------


def _usage(ctx: Context, namespace: str, exclude: str | None = None) -> dict[str, int]:
    allocations = []
    for record in ctx.store.list(namespace):
        if record.name == exclude or ctx.observe(record).state in NOT_ALLOCATED:
            continue
        spec = record.spec
        cid = catalog.compute_id(
            spec["provider"]["vendor"],
            spec["provider"]["region"],
            spec["compute"]["instanceType"],
            spec["compute"]["instanceSize"],
        )
        allocations.append((cid, int(spec["compute"]["scaling"]["maxReplica"])))
    return catalog.usage(allocations)


def _check_quota(ctx: Context, namespace: str, spec: dict[str, Any], exclude: str | None = None) -> None:
    provider, compute = spec["provider"], spec["compute"]
    hw = catalog.find(
        provider["vendor"], provider["region"], compute["instanceType"], compute["instanceSize"]
    )
    if hw is None:  # validated before; kept for the type checker
        raise ErrorAnswer(400, f"Unknown compute {compute['instanceType']}-{compute['instanceSize']}")
    itype = hw.instance_type
    used = _usage(ctx, namespace, exclude).get(itype.name, 0)
    wanted = int(compute["scaling"]["maxReplica"]) * hw.num_accelerators
    if used + wanted > itype.max_accelerators:
        # 409 like a name clash (reportedly what the real API does); the body tells them apart.
        raise ErrorAnswer(
            409,
            f"Quota exceeded for {itype.name}: {used} of {itype.max_accelerators} accelerators in use,"
            f" {wanted} more requested",
        )


# -- endpoints -----------------------------------------------------------------------------------


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"after:{seq}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, seq = raw.partition(":")
        if prefix != "after":
            raise ValueError(raw)
        return int(seq)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ErrorAnswer(400, f"Invalid cursor {cursor!r}") from exc


def list_endpoints(ctx: Context, req: Request) -> Response:
    _caller(ctx, req)
    try:
        limit = int(req.query.get("limit", DEFAULT_LIMIT))
    except ValueError as exc:
        raise ErrorAnswer(400, f"Invalid limit {req.query.get('limit')!r}") from exc
    if not 1 <= limit <= MAX_LIMIT:
        raise ErrorAnswer(400, f"limit must be between 1 and {MAX_LIMIT}")
    after = _decode_cursor(req.query["cursor"]) if req.query.get("cursor") else 0
    tags = frozenset(t for t in req.query.get("tags", "").split(",") if t)
    search = req.query.get("search", "")
    # Only this page is read from the store (and one more row, to know whether another page follows).
    page, more = ctx.store.page(req.params["namespace"], after=after, limit=limit, search=search, tags=tags)
    next_cursor = _encode_cursor(page[-1].seq) if more else None
    return json_response({"items": [_doc(ctx, req, r) for r in page], "nextCursor": next_cursor})


def create_endpoint(ctx: Context, req: Request) -> Response:
    caller = _caller(ctx, req)
    namespace = req.params["namespace"]
    spec = specs.validate_create(req.json_object())
    # Like the service: the answer carries the commit the revision (default main) names now.
    spec["model"]["revision"] = revisions.pin(ctx, spec["model"]["repository"], spec["model"]["revision"])
    now = ctx.now()
    with ctx.store.transaction():
        if ctx.store.get(namespace, spec["name"]) is not None:
            raise ErrorAnswer(409, f"Endpoint '{spec['name']}' already exists in namespace '{namespace}'")
        _check_quota(ctx, namespace, spec)
        record = Record(
            namespace=namespace,
            name=spec["name"],
            spec=spec,
            created_at=now,
            updated_at=now,
            created_by=caller.name,
            updated_by=caller.name,
            phase=lifecycle.DEPLOY,
            phase_at=now,
        )
        try:
            ctx.store.insert(record)
        except NameTaken as exc:
            raise ErrorAnswer(
                409, f"Endpoint '{spec['name']}' already exists in namespace '{namespace}'"
            ) from exc
        container_log.created(ctx, record)
    return json_response(_doc(ctx, req, record))


def get_endpoint(ctx: Context, req: Request) -> Response:
    _caller(ctx, req)
    return json_response(_doc(ctx, req, ctx.require(req.params["namespace"], req.params["name"])))


def update_endpoint(ctx: Context, req: Request) -> Response:
    caller = _caller(ctx, req)
    namespace, name = req.params["namespace"], req.params["name"]
    body = req.json_object()
    with ctx.store.transaction():
        record = ctx.require(namespace, name)
        observed = ctx.observe(record)
        if observed.state == "failed":
            # The reference: a failed endpoint cannot be recovered; a new one must be created.
            raise ErrorAnswer(
                400, "Endpoint failed to deploy and cannot be updated; delete it and create it again"
            )
        new_spec = specs.apply_update(record.spec, _empty_tags(ctx, body))
        prior = copy.deepcopy(record)
        model_in = body.get("model")
        if isinstance(model_in, dict) and ("revision" in model_in or "repository" in model_in):
            model = new_spec["model"]
            model["revision"] = revisions.pin(ctx, model["repository"], model["revision"])
        compute_changed = new_spec["compute"] != record.spec["compute"]
        if compute_changed and observed.state not in NOT_ALLOCATED:
            _check_quota(ctx, namespace, new_spec, exclude=name)
        redeploy = compute_changed or new_spec["model"] != record.spec["model"]
        record.spec = new_spec
        lifecycle.after_update(record, observed, ctx.now(), caller.name, redeploy)
        ctx.store.save(record)
        container_log.changed(ctx, prior, observed, record)
    return json_response(_doc(ctx, req, record))


def _empty_tags(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """An update's body as the configured reading of ``tags: []`` has it (SandboxConfig.empty_tags)."""
    if body.get("tags") != [] or ctx.config.empty_tags == "clear":
        return body
    if ctx.config.empty_tags == "refuse":
        raise ErrorAnswer(422, "tags: ensure this value has at least 1 item")
    return {key: value for key, value in body.items() if key != "tags"}


def delete_endpoint(ctx: Context, req: Request) -> Response:
    _caller(ctx, req)
    if not ctx.store.delete(req.params["namespace"], req.params["name"]):
        raise ErrorAnswer(404, "Endpoint not found")
    return json_response({})


Transition = Callable[[Record, Observed, float, str], None]


def _transition(action: Transition, quota_checked: bool = False) -> Callable[[Context, Request], Response]:
    def handler(ctx: Context, req: Request) -> Response:
        caller = _caller(ctx, req)
        with ctx.store.transaction():
            record = ctx.require(req.params["namespace"], req.params["name"])
            observed = ctx.observe(record)
            before = (record.phase, record.phase_at)
            prior = copy.deepcopy(record)
            action(record, observed, ctx.now(), caller.name)
            if quota_checked and observed.state in NOT_ALLOCATED and record.phase != before[0]:
                # Coming back from pause claims accelerators again.
                _check_quota(ctx, record.namespace, record.spec, exclude=record.name)
            ctx.store.save(record)
            container_log.changed(ctx, prior, observed, record)
        return json_response(_doc(ctx, req, record))

    return handler


# -- hardware and identity -----------------------------------------------------------------------


def providers_public(ctx: Context, req: Request) -> Response:
    return json_response(catalog.vendors_wire(None))


def providers_namespace(ctx: Context, req: Request) -> Response:
    _caller(ctx, req)
    return json_response(catalog.vendors_wire(_usage(ctx, req.params["namespace"])))


def quotas_namespace(ctx: Context, req: Request) -> Response:
    _caller(ctx, req)
    return json_response(catalog.quotas_wire(_usage(ctx, req.params["namespace"])))


def whoami(ctx: Context, req: Request) -> Response:
    caller = identify(req.headers, ctx.config.user, ctx.config.orgs)
    if caller is None:
        raise ErrorAnswer(401, "Invalid user token.")
    return json_response(
        {
            "type": "user",
            "id": hashlib.sha1(caller.name.encode()).hexdigest()[:24],
            "name": caller.name,
            "fullname": caller.name.replace("-", " ").title(),
            "isPro": False,
            "canPay": True,
            "orgs": [
                {"type": "org", "name": org, "fullname": org.title(), "roleInOrg": "write", "canPay": True}
                for org in caller.orgs
            ],
            "auth": {"type": "access_token", "accessToken": {"role": "write", "displayName": "sandbox"}},
        }
    )


def routes(ctx: Context) -> list[Route]:
    def bind(fn: Callable[[Context, Request], Response]) -> Callable[[Request], Response]:
        return lambda req: fn(ctx, req)

    ep = "/v2/endpoint/{namespace}/{name}"
    return [
        Route("GET", "/v2/endpoint/{namespace}", bind(list_endpoints)),
        Route("POST", "/v2/endpoint/{namespace}", bind(create_endpoint)),
        Route("GET", ep, bind(get_endpoint)),
        Route("PUT", ep, bind(update_endpoint)),
        Route("DELETE", ep, bind(delete_endpoint)),
        Route("POST", f"{ep}/pause", bind(_transition(lifecycle.pause))),
        Route("POST", f"{ep}/resume", bind(_transition(lifecycle.resume, quota_checked=True))),
        Route("POST", f"{ep}/scale-to-zero", bind(_transition(lifecycle.scale_to_zero))),
        Route("GET", "/v2/provider", bind(providers_public)),
        Route("GET", "/v2/provider/quotas/{namespace}", bind(quotas_namespace)),
        Route("GET", "/v2/provider/{namespace}", bind(providers_namespace)),
        Route("GET", "/api/whoami-v2", bind(whoami)),
        *logs.routes(ctx),
    ]

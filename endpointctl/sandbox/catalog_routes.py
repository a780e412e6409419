"""The Inference Catalog's routes, where huggingface_hub 2.4 sends them (``/api/v1/catalog/...``).

- ``GET /api/v1/catalog/list?accelerator&engine&license&task&search&limit`` → ``{items: [...]}``
  (``model_catalog.listing``); no token needed.
- ``POST /api/v1/catalog/model/{owner}/{model}/deploy`` (the model's first recipe, narrowed by
  ``accelerator`` and ``ggufFile``) and ``POST /api/v1/catalog/recipe/{id}/deploy``, body
  ``{namespace, config?: {name}, accelerator?, ggufFile?}`` → ``{endpoint: EndpointWithStatus}``
  (note the wrapper). The endpoint is created as ``POST /v2/endpoint/{namespace}`` would create it,
  quota and all, and from then on is an endpoint like any other.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from . import api, model_catalog
from .auth import require_caller, require_namespace
from .context import Context
from .transport import ErrorAnswer, Request, Response, Route, json_response
from .views import rfc3339

PREFIX = "/api/v1/catalog"
NAME_MAX = 32


def list_catalog(ctx: Context, req: Request) -> Response:
    items = model_catalog.listing(dict(req.query), rfc3339(model_catalog.CATALOG_CREATED_AT))
    return json_response({"items": items})


def _default_name(repository: str, namespace: str, ctx: Context) -> str:
    """``<model>-<5 hex>``, lowercase, within the API's 32 characters, not taken in the namespace: the
    service generates one too."""
    stem = "".join(c if c.isalnum() else "-" for c in repository.split("/")[-1].lower())
    stem = "-".join(part for part in stem.split("-") if part)[: NAME_MAX - 6].strip("-") or "endpoint"
    attempt = 0
    while True:
        seed = f"{namespace}/{repository}/{ctx.now()}/{attempt}"
        name = f"{stem}-{hashlib.sha1(seed.encode()).hexdigest()[:5]}"
        if ctx.store.get(namespace, name) is None:
            return name
        attempt += 1


def _deploy(
    ctx: Context, req: Request, entry: model_catalog.CatalogEntry, recipe: model_catalog.Recipe
) -> Response:
    body = req.json_object()
    namespace = body.get("namespace")
    if not isinstance(namespace, str) or not namespace:
        raise ErrorAnswer(400, "Missing required field 'namespace'")
    require_namespace(require_caller(req.headers, ctx.config.user, ctx.config.orgs), namespace)
    given = body.get("config")
    config: dict[str, Any] = given if isinstance(given, dict) else {}
    name = config.get("name") or _default_name(entry.repository, namespace, ctx)
    model: dict[str, Any] = {
        "repository": entry.repository,
        "framework": "pytorch",
        "task": model_catalog.MODELS[entry.repository].pipeline_tag,
        "image": recipe.image,
        "revision": recipe.revision,
    }
    create = {
        "name": name,
        "type": "private",
        "provider": {"vendor": model_catalog.VENDOR, "region": model_catalog.REGION},
        "compute": {
            "accelerator": recipe.accelerator,
            "instanceType": recipe.instance_type,
            "instanceSize": recipe.instance_size,
            "scaling": {"minReplica": 0, "maxReplica": 1, "scaleToZeroTimeout": 15},
        },
        "model": model,
    }
    inner = Request(
        method="POST",
        path=f"/v2/endpoint/{namespace}",
        query={},
        headers=req.headers,
        body=json.dumps(create).encode(),
        route=req.route,
        params={"namespace": namespace},
    )
    created = api.create_endpoint(ctx, inner)
    return json_response({"endpoint": json.loads(created.body)})


def deploy_model(ctx: Context, req: Request) -> Response:
    repository = f"{req.params['owner']}/{req.params['model']}"
    entry = model_catalog.CATALOG.get(repository)
    if entry is None:
        raise ErrorAnswer(404, f"Model {repository} is not in the catalog")
    body = req.json_object()
    accelerator, gguf = body.get("accelerator"), body.get("ggufFile")
    for recipe in entry.recipes:
        if accelerator in (None, recipe.accelerator) and gguf in (None, recipe.gguf_file):
            return _deploy(ctx, req, entry, recipe)
    raise ErrorAnswer(400, f"No recipe of {repository} matches accelerator={accelerator} ggufFile={gguf}")


def deploy_recipe(ctx: Context, req: Request) -> Response:
    found = model_catalog.recipe(req.params["recipe"])
    if found is None:
        raise ErrorAnswer(404, f"Recipe {req.params['recipe']!r} not found")
    return _deploy(ctx, req, *found)


def routes(ctx: Context) -> list[Route]:
    return [
        Route("GET", f"{PREFIX}/list", lambda req: list_catalog(ctx, req)),
        Route("POST", f"{PREFIX}/model/{{owner}}/{{model}}/deploy", lambda req: deploy_model(ctx, req)),
        Route("POST", f"{PREFIX}/recipe/{{recipe}}/deploy", lambda req: deploy_recipe(ctx, req)),
    ]

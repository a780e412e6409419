"""The Inference Catalog: models the service has tested, each with its recipes (hardware and engine).

``GET {catalog}/list?search=...`` as huggingface_hub 2.4's ``list_inference_catalog`` sends it, where
``{catalog}`` is ``https://endpoints.huggingface.co/api/v1/catalog``, or ``/api/v1/catalog`` on the
server ``ENDPOINTCTL_API_URL`` or ``--sandbox`` names. Read through huggingface_hub's session with its
headers, retried like every call. Fields huggingface_hub reads of a recipe are required; the hardware
and the image a recipe deploys are read when present (the sandbox sends them; the service's are
unconfirmed), so a recipe without them still says which accelerator and engine it was tested on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from huggingface_hub import constants

from endpointctl.core.model_facts import CatalogModel, CatalogRecipe
from endpointctl.hub.calls import ApiCalls
from endpointctl.hub.failures import malformed
from endpointctl.hub.process import DEFAULT_ENDPOINTS_URL
from endpointctl.hub.responses import Malformed

CATALOG_PATH = "/api/v1/catalog"


def catalog_url(endpoints_base: str) -> str:
    """The catalog's base URL beside an Inference Endpoints base URL (``.../v2``)."""
    if endpoints_base == DEFAULT_ENDPOINTS_URL:
        return constants.INFERENCE_CATALOG_ENDPOINT
    return endpoints_base.removesuffix("/v2") + CATALOG_PATH


def _text(raw: Mapping[str, Any], key: str, path: str, *, required: bool) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        if required:
            raise Malformed(f"'{path}' is missing")
        return None
    if not isinstance(value, str):
        raise Malformed(f"'{path}' is {type(value).__name__}, not a string")
    return value


def _image(raw: Mapping[str, Any]) -> dict[str, dict[str, Any]] | None:
    image = raw.get("image")
    if not isinstance(image, dict) or len(image) != 1:
        return None  # absent, or not one variant: unknown
    ((variant, settings),) = image.items()
    return {str(variant): dict(settings)} if isinstance(settings, dict) else None


def _recipe(raw: Any, where: str) -> CatalogRecipe:
    if not isinstance(raw, Mapping):
        raise Malformed(f"'{where}' is {type(raw).__name__}, not an object")
    found = raw.get("compute")
    compute: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    return CatalogRecipe(
        id=str(_text(raw, "publicId", f"{where}.publicId", required=True)),
        accelerator=str(_text(raw, "accelerator", f"{where}.accelerator", required=True)),
        engine=str(_text(raw, "engineType", f"{where}.engineType", required=True)),
        gguf_file=_text(raw, "ggufFile", f"{where}.ggufFile", required=False),
        revision=_text(raw, "revision", f"{where}.revision", required=False),
        instance_type=_text(compute, "instanceType", f"{where}.compute.instanceType", required=False),
        instance_size=_text(compute, "instanceSize", f"{where}.compute.instanceSize", required=False),
        image=_image(raw),
    )


def to_catalog(answer: Mapping[str, Any]) -> list[CatalogModel]:
    items = answer.get("items")
    if not isinstance(items, list):
        raise Malformed("'items' is missing or not a list")
    models: list[CatalogModel] = []
    for index, item in enumerate(items):
        where = f"items[{index}]"
        if not isinstance(item, Mapping):
            raise Malformed(f"'{where}' is {type(item).__name__}, not an object")
        recipes = item.get("recipes")
        if not isinstance(recipes, list):
            raise Malformed(f"'{where}.recipes' is missing or not a list")
        models.append(
            CatalogModel(
                repository=str(_text(item, "repoId", f"{where}.repoId", required=True)),
                task=_text(item, "task", f"{where}.task", required=False),
                license=_text(item, "license", f"{where}.license", required=False),
                recipes=tuple(_recipe(r, f"{where}.recipes[{i}]") for i, r in enumerate(recipes)),
            )
        )
    return models


class CatalogCalls(ApiCalls):
    def catalog_models(self, *, search: str | None = None) -> list[CatalogModel]:
        """The catalog's models (those matching ``search``, a repository id or part of one)."""
        doing = "listing the Inference Catalog" + (f" for '{search}'" if search else "")
        url = f"{catalog_url(self._base)}/list"
        # Through the one GET of a JSON object: an answer with an error beside it is refused there too.
        answer = self._get_json_at(doing, url, params={"search": search} if search else None)
        try:
            return to_catalog(answer)
        except Malformed as error:
            raise malformed(doing, error, self._redactor) from None

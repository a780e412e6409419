"""PURE: a first manifest for a model (``endpointctl init``), from what the Hub and the catalogs say.

The instance is ``core.sizing``'s choice; the rest are the project's defaults for a new endpoint:
``security: private`` (only the namespace's organization may call it), one replica at most, and scale to
zero after 15 idle minutes, so a forgotten endpoint costs nothing. No revision unless the catalog's
recipe pins one: the API then deploys the latest main, and an omitted revision is never drift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from endpointctl.core.export import REGISTRY_PASSWORD, literal
from endpointctl.core.model_facts import CatalogRecipe
from endpointctl.core.sizing import Choice
from endpointctl.core.spec import (
    API_VERSION,
    CONTROL_RE,
    CREDENTIALS_KEY,
    DEFAULT_SECURITY,
    IMAGE_FIELDS,
    KIND,
    NAME_MAX,
    PASSWORD_KEY,
    REVISION_RE,
)

DEFAULT_SCALING = {"minReplica": 0, "maxReplica": 1, "scaleToZeroTimeout": 15}


@dataclass(frozen=True)
class Scaffold:
    document: dict[str, Any]
    comments: tuple[str, ...]


def endpoint_name(repository: str) -> str:
    """A valid endpoint name from a repository id: its model part, lowercase, ``-`` for the rest."""
    stem = re.sub(r"[^a-z0-9]+", "-", repository.rsplit("/", 1)[-1].lower()).strip("-")
    return stem[:NAME_MAX].strip("-") or "endpoint"


def _image(choice: Choice) -> dict[str, Any] | None:
    image = choice.recipe.image if choice.recipe is not None else None
    if not image:
        return None
    ((variant, settings),) = image.items()
    if variant not in IMAGE_FIELDS:
        return None
    allowed = IMAGE_FIELDS[variant]
    written = {k: literal(v) for k, v in settings.items() if k in allowed and v is not None}
    # A registry login is written as export writes it: the username, and a placeholder for the password
    # (a manifest never holds one); credentials without a username are left out.
    credentials = settings.get(CREDENTIALS_KEY)
    written.pop(CREDENTIALS_KEY, None)
    if isinstance(credentials, dict) and isinstance(credentials.get("username"), str):
        login = {"username": literal(credentials["username"])}
        if credentials.get(PASSWORD_KEY) is not None:
            login[PASSWORD_KEY] = f"${{{REGISTRY_PASSWORD}}}"
        written[CREDENTIALS_KEY] = login
    return {variant: written}


def _revision(recipe: CatalogRecipe | None) -> str | None:
    """The recipe's revision, when a manifest can hold it; otherwise none (the latest main)."""
    revision = recipe.revision if recipe is not None else None
    if revision and not CONTROL_RE.search(revision) and REVISION_RE.fullmatch(revision):
        return revision
    return None


def scaffold(
    repository: str,
    *,
    name: str,
    namespace: str | None,
    task: str | None,
    task_source: str,
    choice: Choice,
) -> Scaffold:
    model: dict[str, Any] = {"repository": repository}
    revision = _revision(choice.recipe)
    if revision is not None:
        model["revision"] = literal(revision)
    if task:
        model["task"] = literal(task)
    image = _image(choice)
    if image is not None:
        model["image"] = image
    hw = choice.hardware
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    document = {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": metadata,
        "spec": {
            "model": model,
            "provider": {"vendor": hw.vendor, "region": literal(hw.region)},
            "compute": {
                "accelerator": hw.accelerator,
                "instanceType": literal(hw.instance_type),
                "instanceSize": literal(hw.instance_size),
            },
            "scaling": dict(DEFAULT_SCALING),
            "security": DEFAULT_SECURITY.value,
        },
    }
    price = f"${hw.price_per_hour}/h a replica" if hw.price_per_hour is not None else "price not listed"
    comments = (
        f"{repository}, written by `endpointctl init`: review it, then `endpointctl plan` and `apply`.",
        f"Task: {task or 'not known (set spec.model.task if the container needs it)'} ({task_source}).",
        f"Instance: {hw.instance_type} {hw.instance_size} ({price}), chosen as",
        f"{choice.reason}.",
        "Scales to zero after 15 idle minutes, so it costs nothing while unused; the next request wakes it.",
        "security: private: only members of the namespace's organization may call it, with their token.",
    )
    return Scaffold(document, comments)

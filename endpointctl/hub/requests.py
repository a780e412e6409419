"""What the hub sends: a desired spec as huggingface_hub's create and update arguments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from endpointctl.core.errors import EndpointctlError
from endpointctl.core.revisions import sent_revision
from endpointctl.core.spec import DEFAULT_FRAMEWORK, DEFAULT_IMAGE, DEFAULT_SECURITY, Desired


def create_arguments(desired: Desired, tags: tuple[str, ...]) -> dict[str, Any]:
    """``HfApi.create_inference_endpoint``'s keyword arguments (besides name, namespace and token).

    What the manifest leaves out takes the documented defaults: framework pytorch, the Hugging Face image,
    protected, one replica.
    """
    _refuse_unset(desired, ("spec", "model"))
    spec = desired.spec
    scaling = spec.scaling
    link = spec.private_link
    security = spec.security or DEFAULT_SECURITY
    return {
        "repository": spec.model.repository,
        "revision": sent_revision(desired),  # a branch's or tag's commit: what the plan compared
        "task": spec.model.task,
        "framework": (spec.model.framework or DEFAULT_FRAMEWORK).value,
        "custom_image": spec.model.image or DEFAULT_IMAGE,
        "env": spec.model.env,
        "secrets": spec.model.secrets,
        "vendor": spec.provider.vendor.value,
        "region": spec.provider.region,
        "accelerator": spec.compute.accelerator.value,
        "instance_type": spec.compute.instance_type,
        "instance_size": spec.compute.instance_size,
        "min_replica": 1 if scaling is None or scaling.min_replica is None else scaling.min_replica,
        "max_replica": 1 if scaling is None or scaling.max_replica is None else scaling.max_replica,
        "scale_to_zero_timeout": None if scaling is None else scaling.scale_to_zero_timeout,
        "type": security.wire,
        "private_link_account_id": link.account_id if link else None,
        "private_link_region": link.region if link else None,
        "tags": list(tags),
    }


_UPDATE_ARGUMENTS: dict[str, tuple[str, Callable[[Desired], Any]]] = {
    "model.repository": ("repository", lambda d: d.spec.model.repository),
    "model.revision": ("revision", sent_revision),
    "model.task": ("task", lambda d: d.spec.model.task),
    "model.framework": ("framework", lambda d: d.spec.model.framework and d.spec.model.framework.value),
    "model.image": ("custom_image", lambda d: d.spec.model.image),
    # {} when the manifest sets none: the update then removes variables endpointctl sent before.
    "model.env": ("env", lambda d: d.spec.model.env or {}),
    # {} when the manifest sets none: the update then removes the secrets endpointctl sent before.
    "model.secrets": ("secrets", lambda d: d.spec.model.secrets or {}),
    "compute.accelerator": ("accelerator", lambda d: d.spec.compute.accelerator.value),
    "compute.instanceType": ("instance_type", lambda d: d.spec.compute.instance_type),
    "compute.instanceSize": ("instance_size", lambda d: d.spec.compute.instance_size),
    "scaling.minReplica": ("min_replica", lambda d: d.spec.scaling and d.spec.scaling.min_replica),
    "scaling.maxReplica": ("max_replica", lambda d: d.spec.scaling and d.spec.scaling.max_replica),
    "scaling.scaleToZeroTimeout": (
        "scale_to_zero_timeout",
        lambda d: d.spec.scaling and d.spec.scaling.scale_to_zero_timeout,
    ),
}


def _refuse_unset(desired: Desired, *under: tuple[str, ...]) -> None:
    """Never send a secret nobody gave: ``core.secret_values`` stops such a plan first; this is the last
    line, so a step that slipped past it fails instead of sending an empty value."""
    unset = [var for path, var in desired.unset_secrets.items() for p in under if path[: len(p)] == p]
    if unset:
        raise EndpointctlError(
            f"endpointctl would have sent {desired.name}'s secrets while {', '.join(sorted(unset))} "
            "is not set; nothing was sent (a bug: the plan should have refused this)"
        )


def update_arguments(desired: Desired, paths: tuple[str, ...]) -> dict[str, Any]:
    if "model.secrets" in paths:
        _refuse_unset(desired, ("spec", "model", "secrets"))
    if "model.image" in paths:
        _refuse_unset(desired, ("spec", "model", "image"))
    # Exactly the plan's paths: the planner adds the compute fields sent beside a change
    # (core/update_paths.py), where the plan can show them.
    kwargs: dict[str, Any] = {}
    for path in sorted(set(paths)):
        argument, value = _UPDATE_ARGUMENTS[path]
        kwargs[argument] = value(desired)
    return kwargs

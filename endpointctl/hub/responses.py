"""PURE: the API's raw dicts to endpointctl's types, and desired specs to huggingface_hub arguments.

The only place that knows wire names; ``hub`` calls these once per response, and nothing past ``hub``
sees a raw dict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from endpointctl.core.models import (
    Desired,
    Endpoint,
    Hardware,
    PrivateLink,
    Security,
    Status,
    labels_from_tags,
)

_UPDATE_ARGUMENTS: dict[str, tuple[str, Callable[[Desired], Any]]] = {
    "model.repository": ("repository", lambda d: d.spec.model.repository),
    "model.revision": ("revision", lambda d: d.spec.model.revision),
    "model.task": ("task", lambda d: d.spec.model.task),
    "model.framework": ("framework", lambda d: d.spec.model.framework and d.spec.model.framework.value),
    "model.image": ("custom_image", lambda d: d.spec.model.image),
    "model.env": ("env", lambda d: d.spec.model.env),
    "model.secrets": ("secrets", lambda d: d.spec.model.secrets),
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
# The API wants instance type and size together with the accelerator when any of them changes.
_COMPUTE = ("compute.accelerator", "compute.instanceType", "compute.instanceSize")


def update_arguments(desired: Desired, paths: tuple[str, ...]) -> dict[str, Any]:
    wanted = set(paths)
    if wanted & set(_COMPUTE):
        wanted |= set(_COMPUTE)
    kwargs: dict[str, Any] = {}
    for path in sorted(wanted):
        argument, value = _UPDATE_ARGUMENTS[path]
        kwargs[argument] = value(desired)
    return kwargs


def security_from_wire(value: str) -> Security | None:
    """The API's ``type`` as a security level; None for a type endpointctl does not know.

    A third-party client has seen "verified". An unknown type is neither an error (one endpoint would
    fail the whole listing) nor mapped to a known level: mapped, plan would compare that guess with the
    manifest and could propose a replace (delete, then create) over a value it cannot interpret. None
    says "unknown": it is shown as such, and not compared, so it is never drift.
    """
    try:
        return Security.from_wire(value)
    except ValueError:
        return None


def secret_names_from_wire(model: Mapping[str, Any]) -> frozenset[str] | None:
    """The names of the secrets an endpoint has; None when the response does not say.

    Secret values are write-only; only names are kept. The API may leave ``model.secrets`` out of its
    answers altogether: absent is unknown, not "no secrets", so it is never drift.
    """
    secrets = model.get("secrets")
    if not isinstance(secrets, dict):  # absent, or null: the answer does not say
        return None
    return frozenset(str(k) for k in secrets)


def to_endpoint(raw: Mapping[str, Any], namespace: str) -> Endpoint:
    status = raw.get("status") or {}
    model = raw.get("model") or {}
    compute = raw.get("compute") or {}
    scaling = compute.get("scaling") or {}
    provider = raw.get("provider") or {}
    private = raw.get("privateService")
    tags = tuple(str(tag) for tag in raw.get("tags") or ())
    state = status.get("state", "pending")
    return Endpoint(
        name=str(raw["name"]),
        namespace=namespace,
        status=Status(state) if state in Status._value2member_map_ else Status.PENDING,
        message=str(status.get("message") or ""),
        url=status.get("url") or None,
        repository=str(model.get("repository", "")),
        revision=model.get("revision"),
        task=model.get("task"),
        framework=str(model.get("framework", "")),
        image=dict(model.get("image") or {}),
        env={str(k): str(v) for k, v in (model.get("env") or {}).items()},
        secret_names=secret_names_from_wire(model),
        vendor=str(provider.get("vendor", "")),
        region=str(provider.get("region", "")),
        accelerator=str(compute.get("accelerator", "")),
        instance_type=str(compute.get("instanceType", "")),
        instance_size=str(compute.get("instanceSize", "")),
        min_replica=int(scaling.get("minReplica") or 0),
        max_replica=int(scaling.get("maxReplica") or 0),
        scale_to_zero_timeout=scaling.get("scaleToZeroTimeout"),
        security=security_from_wire(str(raw.get("type", "authenticated"))),
        private_link=PrivateLink(str(private["accountId"]), private.get("region"))
        if isinstance(private, dict) and private.get("accountId")
        else None,
        tags=tags,
        created_at=str(status.get("createdAt", "")),
        updated_at=str(status.get("updatedAt", "")),
        ready_replica=int(status.get("readyReplica") or 0),
        target_replica=int(status.get("targetReplica") or 0),
        health_route=str(raw.get("healthRoute") or "/health"),
        labels=labels_from_tags(tags),
    )


def to_hardware(raw: Mapping[str, Any]) -> list[Hardware]:
    rows: list[Hardware] = []
    for vendor in raw.get("vendors") or ():
        for region in vendor.get("regions") or ():
            for compute in region.get("computes") or ():
                quota = compute.get("quota") or {}
                rows.append(
                    Hardware(
                        vendor=str(vendor.get("name", "")),
                        region=str(region.get("name", "")),
                        accelerator=str(compute.get("accelerator", "")),
                        instance_type=str(compute.get("instanceType", "")),
                        instance_size=str(compute.get("instanceSize", "")),
                        architecture=str(compute.get("architecture", "")),
                        num_accelerators=int(compute.get("numAccelerators") or 0),
                        memory_gb=float(compute.get("memoryGb") or 0),
                        gpu_memory_gb=compute.get("gpuMemoryGb"),
                        price_per_hour=float(compute.get("pricePerHour") or 0),
                        status=str(compute.get("status", "available")),
                        quota_max=quota.get("maxAccelerators"),
                        quota_used=quota.get("usedAccelerators"),
                    )
                )
    return rows

"""Rendering stored records as the API's ``EndpointWithStatus`` documents."""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime
from typing import Any

from . import catalog
from .lifecycle import Observed
from .specs import SECRET_MASK, mask_secrets
from .store import Record


def rfc3339(ts: float) -> str:
    # huggingface_hub's parser only accepts the trailing-Z form.
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def endpoint_url(base_url: str, namespace: str, name: str) -> str:
    return f"{base_url.rstrip('/')}/endpoints/{namespace}/{name}"


def health_route(spec: dict[str, Any]) -> str:
    image = spec["model"].get("image") or {}
    for variant in image.values():
        if isinstance(variant, dict) and isinstance(variant.get("healthRoute"), str):
            return str(variant["healthRoute"])
    return "/health"


def mask_image(image: dict[str, Any]) -> dict[str, Any]:
    """The image as the API shows it: a registry password is never echoed back."""
    masked: dict[str, Any] = {}
    for variant, settings in image.items():
        credentials = settings.get("credentials") if isinstance(settings, dict) else None
        if isinstance(credentials, dict) and credentials.get("password"):
            settings = {**settings, "credentials": {**credentials, "password": SECRET_MASK}}
        masked[variant] = settings
    return masked


def _person(name: str) -> dict[str, str]:
    return {"id": hashlib.sha1(name.encode()).hexdigest()[:24], "name": name}


def _private_status(record: Record) -> dict[str, str] | None:
    service = record.spec.get("privateService")
    if not service:
        return None
    digest = hashlib.sha1(f"{record.namespace}/{record.name}".encode()).hexdigest()[:17]
    region = service.get("region") or record.spec["provider"]["region"]
    return {"serviceName": f"com.amazonaws.vpce.{region}.vpce-svc-{digest}"}


def endpoint_doc(
    record: Record, observed: Observed, base_url: str, *, zero_replicas_unless_running: bool = False
) -> dict[str, Any]:
    """``zero_replicas_unless_running``: see ``SandboxConfig``; the stored configuration is kept."""
    spec = record.spec
    compute = copy.deepcopy(spec["compute"])
    if zero_replicas_unless_running and observed.state != "running":
        compute["scaling"].update(minReplica=0, maxReplica=0)
    provider = spec["provider"]
    compute["id"] = catalog.compute_id(
        provider["vendor"], provider["region"], compute["instanceType"], compute["instanceSize"]
    )
    stored = copy.deepcopy(spec["model"])
    first = ("repository", "revision", "task", "framework", "image", "env")
    model = {k: stored.get(k) for k in first} | {k: v for k, v in stored.items() if k not in first}
    model["env"] = model["env"] or {}
    if isinstance(model.get("image"), dict):
        model["image"] = mask_image(model["image"])
    model["secrets"] = mask_secrets(stored.get("secrets") or {})
    status: dict[str, Any] = {
        "state": observed.state,
        "message": observed.message,
        "createdAt": rfc3339(record.created_at),
        "updatedAt": rfc3339(record.updated_at),
        "createdBy": _person(record.created_by),
        "updatedBy": _person(record.updated_by),
        "readyReplica": observed.ready_replica,
        "targetReplica": observed.target_replica,
        "private": _private_status(record),
    }
    if observed.has_url:
        status["url"] = endpoint_url(base_url, record.namespace, record.name)
    if observed.error_message:
        status["errorMessage"] = observed.error_message
    if record.last_used_at is not None:
        status["lastUsedAt"] = rfc3339(record.last_used_at)
    doc: dict[str, Any] = {
        "accountId": None,
        "name": record.name,
        "type": spec["type"],
        "provider": dict(provider),
        "compute": compute,
        "model": model,
        "tags": list(spec.get("tags") or []),
        "healthRoute": health_route(spec),
        "experimentalFeatures": dict(spec.get("experimentalFeatures") or {"cacheHttpResponses": False}),
        "notifications": {},
        "status": status,
    }
    if spec.get("privateService"):
        doc["privateService"] = dict(spec["privateService"])
    if spec.get("route"):
        doc["route"] = dict(spec["route"])
    return doc

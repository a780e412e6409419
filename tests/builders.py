"""Builders for desired specs and observed endpoints, for the pure-core tests."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from endpointctl.core.endpoint import Endpoint, Status
from endpointctl.core.spec import Desired, Manifest, Security
from endpointctl.core.tags import MANAGED_TAG

BASE_DOC: dict[str, Any] = {
    "apiVersion": "endpointctl/v1",
    "kind": "InferenceEndpoint",
    "metadata": {"name": "gpt2-demo", "labels": {"team": "nlp"}},
    "spec": {
        "model": {"repository": "openai-community/gpt2", "task": "text-generation"},
        "provider": {"vendor": "aws", "region": "us-east-1"},
        "compute": {"accelerator": "cpu", "instanceType": "intel-spr", "instanceSize": "x2"},
        "scaling": {"minReplica": 1, "maxReplica": 2},
        "security": "protected",
    },
}


def desired(**spec_overrides: Any) -> Desired:
    doc = copy.deepcopy(BASE_DOC)
    for key, value in spec_overrides.items():
        if key == "labels":
            doc["metadata"]["labels"] = value
        elif value is None:
            doc["spec"].pop(key, None)
        else:
            doc["spec"][key] = value
    return Desired(Manifest.model_validate(doc), source="test.yaml:1")


def live(**overrides: Any) -> Endpoint:
    endpoint = Endpoint(
        name="gpt2-demo",
        namespace="acme",
        status=Status.RUNNING,
        message="Endpoint is ready",
        url="http://127.0.0.1/endpoints/acme/gpt2-demo",
        repository="openai-community/gpt2",
        revision=None,
        task="text-generation",
        framework="pytorch",
        image={"huggingface": {}},
        env={},
        secret_names=frozenset(),
        vendor="aws",
        region="us-east-1",
        accelerator="cpu",
        instance_type="intel-spr",
        instance_size="x2",
        min_replica=1,
        max_replica=2,
        scale_to_zero_timeout=None,
        security=Security.PROTECTED,
        private_link=None,
        tags=("team=nlp", MANAGED_TAG, "endpointctl-labels=team"),
        created_at="2026-11-25T00:00:00Z",
        updated_at="2026-11-25T00:00:00Z",
        labels={"team": "nlp"},
    )
    return replace(endpoint, **overrides)


def raw_endpoint(
    name: str = "gpt2-demo",
    *,
    state: str = "running",
    url: str | None = None,
    tags: tuple[str, ...] | list[str] = ("team=nlp", MANAGED_TAG),
    model: dict[str, Any] | None = None,
    scaling: dict[str, Any] | None = None,
    **top_level: Any,
) -> dict[str, Any]:
    """An endpoint as the API answers it (the raw JSON dict), the one place tests build these.

    ``model`` and ``scaling`` update those parts; other keyword arguments set top-level keys
    (``type``, ``privateService``, ...); ``url`` goes into ``status``.
    """
    status: dict[str, Any] = {
        "state": state,
        "createdAt": "2025-10-09T00:00:00Z",
        "updatedAt": "2025-10-09T00:00:00Z",
    }
    if url is not None:
        status["url"] = url
    doc: dict[str, Any] = {
        "name": name,
        "type": "authenticated",
        "healthRoute": "/health",
        "tags": list(tags),
        "provider": {"vendor": "aws", "region": "us-east-1"},
        "compute": {
            "accelerator": "cpu",
            "instanceType": "intel-spr",
            "instanceSize": "x2",
            "scaling": {"minReplica": 1, "maxReplica": 2, "scaleToZeroTimeout": None, **(scaling or {})},
        },
        "model": {
            "repository": "openai-community/gpt2",
            "revision": None,
            "task": "text-generation",
            "framework": "pytorch",
            "image": {"huggingface": {}},
            **(model or {}),
        },
        "status": status,
    }
    doc.update(top_level)
    return doc

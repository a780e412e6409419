"""PURE: an endpoint as the API reports it (observed state), and a deployable hardware option.

Converted once from the API's raw dicts in ``hub``; nothing past ``hub`` sees a raw dict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from endpointctl.core.spec import Security
from endpointctl.core.tags import MANAGED_TAG, STACK_KEY, tag_value


class Status(StrEnum):
    """The API's ``status.state``."""

    PENDING = "pending"
    INITIALIZING = "initializing"
    UPDATING = "updating"
    UPDATE_FAILED = "updateFailed"
    RUNNING = "running"
    PAUSED = "paused"
    FAILED = "failed"
    SCALED_TO_ZERO = "scaledToZero"


@dataclass(frozen=True)
class PrivateLink:
    account_id: str
    region: str | None


@dataclass(frozen=True)
class Endpoint:
    """An endpoint as the API reports it, converted once from the raw dict in ``hub``."""

    name: str
    namespace: str
    status: Status
    message: str
    url: str | None
    repository: str
    revision: str | None
    task: str | None
    framework: str
    image: dict[str, Any]
    env: dict[str, str]
    secret_names: frozenset[str] | None  # None: the answer had no model.secrets: unknown, never drift
    vendor: str
    region: str
    accelerator: str
    instance_type: str
    instance_size: str
    min_replica: int
    max_replica: int
    scale_to_zero_timeout: int | None
    security: Security | None  # None: an API type endpointctl does not know (e.g. "verified")
    private_link: PrivateLink | None
    tags: tuple[str, ...]
    created_at: str
    updated_at: str
    ready_replica: int = 0
    target_replica: int = 0
    health_route: str = "/health"
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def managed(self) -> bool:
        return MANAGED_TAG in self.tags

    @property
    def stack(self) -> str | None:
        return tag_value(self.tags, STACK_KEY)


@dataclass(frozen=True)
class Hardware:
    """One deployable compute option of a vendor region, with price and the namespace's quota."""

    vendor: str
    region: str
    accelerator: str
    instance_type: str
    instance_size: str
    architecture: str
    num_accelerators: int
    memory_gb: float
    gpu_memory_gb: float | None
    price_per_hour: float
    status: str
    quota_max: int | None
    quota_used: int | None

    @property
    def deployable(self) -> bool:
        if self.status in ("deprecated", "not_available"):
            return False
        if self.quota_max is None or self.quota_used is None:
            return True
        return self.quota_max - self.quota_used >= self.num_accelerators

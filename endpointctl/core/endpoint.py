"""PURE: an endpoint as the API reports it (observed state), and a deployable hardware option.

Converted once from the API's raw dicts in ``hub``; nothing past ``hub`` sees a raw dict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from endpointctl.core.hub_tasks import task_key
from endpointctl.core.spec import Security
from endpointctl.core.tags import MANAGED_TAG, STACK_KEY


def server_instant(text: str | None) -> datetime | None:
    """A timestamp of the API's (``updatedAt``: RFC 3339, ``Z``, maybe nanoseconds) as an aware instant;
    None when there is none, it cannot be read, or it names no zone. A time without a zone places nothing:
    compared with an aware one it would raise, and read as UTC it would be a guess."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def same_name(want: Any, have: Any) -> bool:
    """Whether two region or instance names (or vendors') are the same but for case.

    They are identifiers, lowercase wherever documented; whether the API keeps the case a manifest wrote or
    folds it is not. Compared as text, a manifest's "US-East-1" against an answer's "us-east-1" would plan
    a replace on every run, and find no catalog row for the endpoint's hardware.
    """
    return isinstance(want, str) and isinstance(have, str) and want.casefold() == have.casefold()


def same_task(want: Any, have: Any) -> bool:
    """Whether two pipeline tasks are one but for case and "_" for "-" ("Text_Classification").

    The Hub's tasks are lowercase words joined by "-" (a translation's languages by "_",
    translation_en_to_fr), and no two differ only in case or in "_" for "-": this spelling cannot make two
    tasks one. Compared as text, an API that spells a task otherwise would plan an update, a redeploy, on
    every run. An alias ("sentiment-analysis" for text-classification) is another task here: a guess.
    """
    return isinstance(want, str) and isinstance(have, str) and task_key(want) == task_key(have)


def name_key(*names: str | None) -> tuple[str | None, ...]:
    """Hardware names as ``same_name`` compares them, for matching several at once."""
    return tuple(name.casefold() if isinstance(name, str) else name for name in names)


class Status(StrEnum):
    """The API's ``status.state``, as far as endpointctl knows it.

    ``UNKNOWN`` stands for any other state (the 2022 ``building``, ``deleting``, a future one, or none
    at all): never mapped to a known one, never ready, and never a reason to change the endpoint. The
    API's own word is kept in ``Endpoint.state`` and shown verbatim.
    """

    PENDING = "pending"
    INITIALIZING = "initializing"
    UPDATING = "updating"
    UPDATE_FAILED = "updateFailed"
    RUNNING = "running"
    PAUSED = "paused"
    FAILED = "failed"
    SCALED_TO_ZERO = "scaledToZero"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PrivateLink:
    account_id: str
    region: str | None


@dataclass(frozen=True)
class Endpoint:
    """An endpoint as the API reports it, converted once from the raw dict in ``hub``.

    Every field of the configuration that an answer may leave out (or send as null) is None here, which
    means *unknown*: shown as such, and never compared with a manifest, so it never causes an update, a
    replace or a delete (README, "Unknown is never drift").
    """

    name: str
    namespace: str
    status: Status
    message: str
    url: str | None
    repository: str | None
    revision: str | None
    task: str | None
    framework: str | None
    image: dict[str, Any] | None
    env: dict[str, str] | None
    secret_names: frozenset[str] | None  # None: the answer had no model.secrets: unknown, never drift
    vendor: str | None
    region: str | None
    accelerator: str | None
    instance_type: str | None
    instance_size: str | None
    min_replica: int | None
    max_replica: int | None
    scale_to_zero_timeout: int | None
    # None: absent, a type endpointctl does not know (e.g. "verified"), or a legacy one (``reported_type``)
    security: Security | None
    private_link: PrivateLink | None
    tags: tuple[str, ...]
    created_at: str
    updated_at: str
    # None: reported, but not as a number (text such as "2"): unknown (hub/responses.py).
    ready_replica: int | None = 0
    target_replica: int | None = 0
    health_route: str = "/health"
    labels: dict[str, str] = field(default_factory=dict)
    state: str = ""  # the API's status.state verbatim; "" when it is the status's own value
    # The API's ``type`` verbatim when it names no level (``security`` is None): a legacy "protected", an
    # unknown "verified". "" when it names one, or the answer has none.
    reported_type: str = ""
    # False when the answer did not say whether PrivateLink is set (no ``privateService``, or null).
    private_link_reported: bool = True
    # False when the answer had no ``tags`` (or null): ``tags`` is then empty for want of a list, and
    # whether a tag change was taken cannot be read from it.
    tags_reported: bool = True

    @property
    def shown_state(self) -> str:
        """The state as the API named it: a state endpointctl does not know is shown as it came."""
        return self.state or self.status.value

    @property
    def managed(self) -> bool:
        return MANAGED_TAG in self.tags

    @property
    def stacks(self) -> tuple[str, ...]:
        """Every stack it is tagged with, each once: more than one (tags copied or edited by hand) says
        nothing about which it belongs to."""
        found: list[str] = []
        for tag in self.tags:
            key, sep, value = tag.partition("=")
            if sep and key == STACK_KEY and value not in found:
                found.append(value)
        return tuple(found)

    @property
    def stack(self) -> str | None:
        """The one stack it is tagged with; None with none, or with several (``stacks``)."""
        stacks = self.stacks
        return stacks[0] if len(stacks) == 1 else None


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
    price_per_hour: Decimal | None  # per replica, exact (core/money.py); None: the catalog gives none
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


def row_of(live: Endpoint, rows: Sequence[Hardware] | None) -> Hardware | None:
    """The catalog row of the hardware an endpoint is on (names compared as ``same_name`` does), or None."""
    where = name_key(live.vendor, live.region, live.instance_type, live.instance_size)
    return next(
        (r for r in rows or () if name_key(r.vendor, r.region, r.instance_type, r.instance_size) == where),
        None,
    )

"""How a sandbox is set up: where its state lives, how fast endpoints deploy, who the caller is."""

from __future__ import annotations

import pathlib
from dataclasses import dataclass, field

from .clock import SandboxClock, WallClock
from .faults import FaultConfig
from .limits import REQUEST_TIMEOUT_SECONDS

PHASES = ("pending", "initializing", "updating")
# What an update that sends ``tags: []`` does (SandboxConfig.empty_tags).
EMPTY_TAGS = ("clear", "ignore", "refuse")


def _default_phases() -> dict[str, float]:
    # Short enough that a demo shows the progression without making anyone wait.
    return {"pending": 1.0, "initializing": 2.0, "updating": 2.0}


@dataclass
class SandboxConfig:
    """``phases`` gives seconds per transitional state; a phase left out takes no time at all."""

    db_path: str | pathlib.Path
    phases: dict[str, float] = field(default_factory=_default_phases)
    clock: SandboxClock = field(default_factory=WallClock)
    user: str = "sandbox-user"
    orgs: tuple[str, ...] = ("acme",)
    faults: FaultConfig | None = None  # injected errors, latency, hangs and drops (see faults.py)
    # Seconds a connection may stay silent, and a begun request may take to arrive (see limits.py).
    request_timeout: float = REQUEST_TIMEOUT_SECONDS
    # Seconds of real time a log event stream stays quiet before a keep-alive comment (``: keepalive``):
    # what tells a client the server sent all it had. A test shortens it.
    keepalive_seconds: float = 5.0
    # Answer minReplica and maxReplica as 0 in every state but running. The real API does so when it pauses
    # an endpoint; whether it also does while one is scaled to zero, deploying or updating is unconfirmed,
    # so a client must plan the same against either answer. Off: the configured values (paused: 0/0).
    # `endpointctl sandbox serve --zero-replicas-unless-running` turns it on.
    zero_replicas_unless_running: bool = False
    # Move ``status.updatedAt`` when a request wakes an endpoint scaled to zero. Whether the real API does is
    # unconfirmed; a scheduled night reads it to tell a woken endpoint from one awake since the window
    # closed, so it must hold either way. Off: only a change (create, update, pause, resume, scale) moves it.
    # `endpointctl sandbox serve --wake-moves-updated-at` turns it on.
    wake_moves_updated_at: bool = False
    # What an update sending ``tags: []`` does: "clear" the tags, "ignore" the key (keep them, as a server
    # reading an empty list as "not set" would) or "refuse" it with a 422. Unconfirmed on the real API;
    # `endpointctl schedule release` sends one to remove a hold that was the only tag.
    # `endpointctl sandbox serve --empty-tags ignore|refuse` chooses the others.
    empty_tags: str = "clear"

    def __post_init__(self) -> None:
        if self.empty_tags not in EMPTY_TAGS:
            raise ValueError(f"empty_tags must be one of {list(EMPTY_TAGS)}, not {self.empty_tags!r}")
        unknown = set(self.phases) - set(PHASES)
        if unknown:
            raise ValueError(f"unknown phases {sorted(unknown)}; known: {list(PHASES)}")
        if any(v < 0 for v in self.phases.values()):
            raise ValueError("phase durations cannot be negative")
        if not self.request_timeout > 0:  # "not >" also refuses NaN
            raise ValueError("request_timeout must be positive")

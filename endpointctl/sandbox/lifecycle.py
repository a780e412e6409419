"""The endpoint state machine, evaluated lazily from the last lifecycle action and the clock.

A record stores only which action happened last (its *phase*) and when. The current state is a pure
function of that, the phase durations and the current time, so there is no background thread to
drive transitions and a ManualClock can fast-forward an endpoint through them deterministically.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .store import Record
from .transport import ErrorAnswer

# Phases: the last action taken on a record.
DEPLOY = "deploy"  # create or resume: pending -> initializing -> running | failed
WAKE = "wake"  # cold start from zero: initializing -> running
UPDATE = "update"  # redeploy with a new config: updating -> running | updateFailed
PAUSED = "paused"
SCALED_TO_ZERO = "scaledToZero"

FAIL_DEPLOY_REPO = "sandbox/fail-deploy"
FAIL_UPDATE_REPO = "sandbox/fail-update"
DEFAULT_SCALE_TO_ZERO_MINUTES = 15

MESSAGES = {
    "pending": "Endpoint waiting to be scheduled",
    "initializing": "Endpoint is initializing",
    "running": "Endpoint is ready",
    "updating": "Endpoint waiting for the update",
    "updateFailed": "Endpoint failed to update",
    "failed": "Endpoint failed to deploy",
    "paused": "Endpoint is paused",
    "scaledToZero": "Endpoint is scaled to zero",
}

# States in which the deployment has a URL: an update rolls over the running replica, and a replica
# scaled to zero keeps its address so the next request can wake it.
URL_STATES = frozenset({"running", "updating", "updateFailed", "scaledToZero"})


@dataclass(frozen=True)
class Observed:
    state: str
    since: float  # when this state began
    ready_replica: int
    target_replica: int
    has_url: bool
    error_message: str | None = None
    running_at: float | None = None  # when the endpoint will be running, if it is on its way

    @property
    def message(self) -> str:
        return MESSAGES[self.state]

    def eta(self, now: float) -> float | None:
        return None if self.running_at is None else max(0.0, self.running_at - now)


def scaling(record: Record) -> dict[str, Any]:
    result: dict[str, Any] = record.spec["compute"]["scaling"]
    return result


def _replicas(record: Record) -> int:
    s = scaling(record)
    return max(1, min(int(s["minReplica"]) or 1, int(s["maxReplica"]) or 1))


def evaluate(record: Record, now: float, phases: dict[str, float]) -> Observed:
    pending = phases.get("pending", 0.0)
    initializing = phases.get("initializing", 0.0)
    updating = phases.get("updating", 0.0)
    replicas = _replicas(record)
    repository = record.spec["model"]["repository"]
    t0 = record.phase_at

    if record.phase == PAUSED:
        return Observed("paused", t0, 0, 0, False)
    if record.phase == SCALED_TO_ZERO:
        return Observed("scaledToZero", t0, 0, 0, True)
    if record.phase == DEPLOY:
        ready_at = t0 + pending + initializing
        if now < t0 + pending:
            return Observed("pending", t0, 0, replicas, False, running_at=ready_at)
        if now < ready_at:
            return Observed("initializing", t0 + pending, 0, replicas, False, running_at=ready_at)
        if repository == FAIL_DEPLOY_REPO:
            return Observed(
                "failed",
                ready_at,
                0,
                replicas,
                False,
                error_message=f"Model {repository} failed to load: simulated deployment failure",
            )
        return _running(record, ready_at, now, replicas)
    if record.phase == WAKE:
        ready_at = t0 + initializing
        if now < ready_at:
            return Observed("initializing", t0, 0, replicas, True, running_at=ready_at)
        return _running(record, ready_at, now, replicas)
    if record.phase == UPDATE:
        ready_at = t0 + updating
        if now < ready_at:
            return Observed("updating", t0, replicas, replicas, True, running_at=ready_at)
        if repository in (FAIL_UPDATE_REPO, FAIL_DEPLOY_REPO):
            return Observed(
                "updateFailed",
                ready_at,
                replicas,
                replicas,
                True,
                error_message=f"Model {repository} failed to load: simulated update failure",
            )
        return _running(record, ready_at, now, replicas)
    raise ValueError(f"unknown phase {record.phase!r}")


def _running(record: Record, since: float, now: float, replicas: int) -> Observed:
    s = scaling(record)
    if int(s["minReplica"]) == 0:
        minutes = s.get("scaleToZeroTimeout") or DEFAULT_SCALE_TO_ZERO_MINUTES
        idle_since = max(since, record.last_used_at or since)
        zero_at = idle_since + float(minutes) * 60
        if now >= zero_at:
            return Observed("scaledToZero", zero_at, 0, 0, True)
    return Observed("running", since, replicas, replicas, True, running_at=since)


def _set_phase(record: Record, phase: str, now: float, by: str) -> None:
    record.phase = phase
    record.phase_at = now
    record.updated_at = now
    record.updated_by = by


def pause(record: Record, observed: Observed, now: float, by: str) -> None:
    if observed.state == "paused":
        return  # idempotent, and updatedAt stays: nothing changed
    scaling(record).update(minReplica=0, maxReplica=0)
    _set_phase(record, PAUSED, now, by)


def resume(record: Record, observed: Observed, now: float, by: str) -> None:
    if observed.state == "paused":
        # The real service forgets the configured replicas on resume; a declarative tool must re-apply them.
        scaling(record).update(minReplica=1, maxReplica=1)
        _set_phase(record, DEPLOY, now, by)
    elif observed.state == "scaledToZero":
        _set_phase(record, WAKE, now, by)
    elif observed.state in ("failed", "updateFailed"):
        raise ErrorAnswer(400, f"Endpoint is in state {observed.state} and cannot be resumed")
    else:
        # huggingface_hub's resume(running_ok=True) looks for this exact phrase.
        raise ErrorAnswer(400, "Endpoint is already running")


def scale_to_zero(record: Record, observed: Observed, now: float, by: str) -> None:
    if observed.state == "scaledToZero":
        return
    if observed.state != "running":
        raise ErrorAnswer(400, f"Endpoint is {observed.state}; only a running endpoint can be scaled to zero")
    _set_phase(record, SCALED_TO_ZERO, now, by)


def after_update(record: Record, observed: Observed, now: float, by: str, redeploy: bool) -> None:
    """Move a record into the state an accepted update leads to."""
    if redeploy and observed.state in ("running", "updating", "updateFailed"):
        _set_phase(record, UPDATE, now, by)
    else:
        # Paused and scaled-to-zero endpoints keep their state with the new config; deployments in
        # progress pick it up when they come up.
        record.updated_at = now
        record.updated_by = by


def wake(record: Record, now: float) -> None:
    """A data-plane request reached an endpoint scaled to zero: start a cold start."""
    record.phase = WAKE
    record.phase_at = now

"""PURE: the lifecycle state a manifest asks for at an instant: its schedule's, or its fixed ``state``.

Shared by ``apply`` (``core.plan``) and ``schedule run`` (``core.schedule_plan``), so both move a
scheduled endpoint to the same state at the same instant.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from endpointctl.core.desired_state import DesiredState
from endpointctl.core.endpoint import Endpoint, Status, server_instant
from endpointctl.core.schedule import last_change, next_change, state_at
from endpointctl.core.spec import Desired

Instant = datetime  # timezone-aware, always


def wanted_state(desired: Desired, at: datetime | None, live: Status | None = None) -> DesiredState | None:
    """The state to move to at ``at``: None leaves the state alone (no ``state``, or no instant given).

    Outside a window whose ``otherwise`` is scaledToZero, a paused endpoint stays paused: it bills nothing
    either, and reaching scaled-to-zero from paused takes a resume first, which starts replicas (and
    bills) only to stop them again.
    """
    schedule = desired.spec.schedule
    if schedule is None:
        return desired.spec.state
    if at is None:
        return None
    want = state_at(schedule.compiled(), at)
    if want is DesiredState.SCALED_TO_ZERO and live is Status.PAUSED:
        return DesiredState.PAUSED
    return want


def effective_min_replica(desired: Desired, live: Endpoint) -> int:
    """The floor the endpoint has once a plan is applied: the manifest's, else the live one (0 when not
    reported: nothing is planned on a guess)."""
    scaling = desired.spec.scaling
    if scaling is not None and scaling.min_replica is not None:
        return scaling.min_replica
    return live.min_replica or 0


# Awake as a request wakes a scaled-to-zero endpoint: a cold start, then running.
_WOKEN = frozenset({Status.INITIALIZING, Status.RUNNING})
# How far back a schedule's last change is looked for: a week of windows, and a day. Found none, the state
# has held longer (a run of except days), and so has an endpoint awake since before that.
_LOOKBACK = timedelta(days=8)
# How far ahead of this clock the API's may run: an updatedAt later than that is no reading of a wake-up
# (a server that set it in the future would keep the endpoint awake for good).
_SKEW = timedelta(minutes=5)


def held_state(
    desired: Desired, live: Endpoint, at: datetime | None
) -> tuple[DesiredState | None, str | None]:
    """``wanted_state`` for a live endpoint, and a note when a schedule's scaled-to-zero already holds.

    Scaled to zero outside a window means asleep until a request comes: a request wakes it, and with
    ``minReplica`` 0 the service puts it back to sleep after ``scaleToZeroTimeout`` without traffic. Scaling
    it to zero on every cron run fought that traffic: the next request met another cold start (503s), every
    few minutes. So an awake endpoint whose ``minReplica`` is 0, and stays 0 after this plan, is left
    alone where it was woken since the window closed: the API's ``updatedAt`` at or after the schedule's
    last change (and not in the future). One awake from before that (the window just closed), one that would
    never sleep, or one whose ``updatedAt`` cannot be read, is scaled to zero now. A fixed ``state:
    scaledToZero`` is always enforced: nothing says when it began, so an endpoint up for days would read as
    just woken (leave ``state`` out, with ``minReplica: 0``, to let the service alone decide).
    """
    want = wanted_state(desired, at, live.status)
    schedule = desired.spec.schedule
    if want is not DesiredState.SCALED_TO_ZERO or schedule is None or at is None:
        return want, None
    # The floor this plan leaves counts too: an update to the manifest's minReplica 1 keeps it awake for good.
    if live.status not in _WOKEN or live.min_replica != 0 or effective_min_replica(desired, live) != 0:
        return want, None
    compiled = schedule.compiled()
    began = last_change(compiled, at, _LOOKBACK) or at - _LOOKBACK
    woken = server_instant(live.updated_at)
    if woken is None or not began <= woken <= at + _SKEW:
        return want, None
    timeout = live.scale_to_zero_timeout
    sleeps = f"after {timeout} min without traffic" if timeout is not None else "once it has no traffic"
    return None, (
        f"woken since the schedule turned {want.value} at {until_text(began, at)} {compiled.zone_name}: "
        f"with minReplica 0 the service scales it to zero {sleeps}"
    )


def until_text(when: datetime, at: datetime) -> str:
    """``Mon 08:00``, with the date when it is six days or more away (the weekday alone would be unclear)."""
    return f"{when:%a %H:%M}" if when - at < timedelta(days=6) else f"{when:%a %Y-%m-%d %H:%M}"


def schedule_note(desired: Desired, at: datetime | None) -> str | None:
    """``scheduled: paused until Mon 08:00 Europe/Berlin``: why a plan moves a scheduled endpoint."""
    spec = desired.spec.schedule
    if spec is None or at is None:
        return None
    schedule = spec.compiled()
    state = state_at(schedule, at).value
    coming = next_change(schedule, at)
    if coming is None:
        return f"scheduled: {state}, with no change ahead ({schedule.zone_name})"
    return f"scheduled: {state} until {until_text(coming[0], at)} {schedule.zone_name}"

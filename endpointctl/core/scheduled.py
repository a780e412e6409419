"""PURE: the lifecycle state a manifest asks for at an instant: its schedule's, or its fixed ``state``.

Shared by ``apply`` (``core.plan``) and ``schedule run`` (``core.schedule_plan``), so both move a
scheduled endpoint to the same state at the same instant.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from endpointctl.core.desired_state import DesiredState
from endpointctl.core.endpoint import Status
from endpointctl.core.schedule import next_change, state_at
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

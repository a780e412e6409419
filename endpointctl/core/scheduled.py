"""PURE: the lifecycle state a manifest asks for at an instant: its schedule's, or its fixed ``state``.

Shared by ``apply`` (``core.plan``) and ``schedule run`` (``core.schedule_plan``), so both move a
scheduled endpoint to the same state at the same instant; ``endpointctl run`` puts a scheduled endpoint
back through ``awake_state`` too, so none of the three stops an endpoint a hold keeps awake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from endpointctl.core.defaults import CLOCK_SKEW
from endpointctl.core.desired_state import DesiredState
from endpointctl.core.endpoint import Endpoint, Status, server_instant
from endpointctl.core.hold_tag import UnreadableHold, is_hold_tag, minute_text, read_hold
from endpointctl.core.schedule import last_change, next_change, state_at
from endpointctl.core.spec import Desired
from endpointctl.core.suggest import command_for

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


@dataclass(frozen=True)
class Wanted:
    """The state to move a live endpoint to (None: leave it), what to say about it, and a stop not made."""

    state: DesiredState | None
    notes: tuple[str, ...] = ()
    # A stop the schedule asks for while a hold tag that cannot be read is on the endpoint: neither made nor
    # dropped in silence, but blocked (the command exits 1) for this reason, which names the fix.
    blocked: str | None = None
    held_until: datetime | None = None  # a hold keeps a stop the schedule asks for from being made


# The live state each stop reaches: wanting it there is no move.
_STOPPED = {DesiredState.PAUSED: Status.PAUSED, DesiredState.SCALED_TO_ZERO: Status.SCALED_TO_ZERO}
_STOP_WORDS = {DesiredState.PAUSED: "paused", DesiredState.SCALED_TO_ZERO: "scaled to zero"}


def awake_state(desired: Desired, live: Endpoint, at: datetime | None) -> Wanted:
    """``wanted_state`` for a live endpoint, with its hold tag (``endpointctl schedule hold``) honoured.

    While a hold lasts, a schedule that asks for a pause or a scale-to-zero is read as asking for
    ``running``, as inside a window: a held endpoint found asleep (paused by a run that read the endpoint
    before the hold was set, on another machine) is resumed by the next run, not left asleep for good. A
    fixed ``state: paused`` is not held: the manifest says that endpoint is to be paused at all times, and
    a hold set for a night must not outrank a decision made in review (change the manifest instead); the
    note says so. A hold that has ended is ignored, with a note. Hold tags that cannot be read (a value
    edited by hand, two of them, one too far ahead) are not guessed either way: a stop is blocked, with the
    fix, and an endpoint already stopped is left so (no resume on a guess either), with a note.
    """
    want = wanted_state(desired, at, live.status)
    if want is None or want not in _STOPPED:
        return Wanted(want)
    if desired.spec.schedule is None or at is None:
        if live.status is _STOPPED[want] or not any(is_hold_tag(tag) for tag in live.tags):
            return Wanted(want)
        return Wanted(
            want,
            (
                f"its hold (endpointctl schedule hold) is not honoured: a hold keeps only a schedule's "
                f"stops from being made, and `state: {want.value}` is the manifest's; "
                f"`{command_for('schedule', live.namespace, 'release', live.name)}` removes it",
            ),
        )
    return held_stop(live, want, at)


def held_stop(live: Endpoint, want: DesiredState, at: datetime) -> Wanted:
    """A schedule's stop ``want`` (paused, scaledToZero) for ``live`` at ``at``, its hold tag honoured:
    ``running`` while a hold lasts (``held_until`` set), blocked while it cannot be read, ``want`` else.
    ``endpointctl run`` asks it too, of the state it is to put an endpoint back in."""
    stopped = live.status is _STOPPED[want]
    hold = read_hold(live.tags, at)
    if hold is None:
        return Wanted(want)
    release = f"`{command_for('schedule', live.namespace, 'release', live.name)}`"
    hold_for = f"`{command_for('schedule', live.namespace, 'hold', live.name, '--for', 'DURATION')}`"
    if isinstance(hold, UnreadableHold):
        unread = f"its hold tag {', '.join(hold.tags)} cannot be read ({hold.why})"
        if stopped:
            return Wanted(want, (f"{unread}: left {_STOP_WORDS[want]}; {release} removes it",))
        return Wanted(
            want,
            blocked=f"{unread}, so whether it is to stay awake is unknown: not {_STOP_WORDS[want]}; "
            f"{release} removes it, or {hold_for} sets one "
            "that can be read",
        )
    if hold <= at:  # the hold's own minute is its end: the run then makes the stop
        return Wanted(want, () if stopped else (f"hold ended at {minute_text(hold)}",))
    # Running as inside a window: where that is no move (awake; scaled to zero with minReplica 0, which a
    # request wakes), nothing is sent.
    return Wanted(
        DesiredState.RUNNING,
        held_until=hold,
        notes=(
            f"held awake until {until_text(hold, at)} UTC (endpointctl schedule hold): running as in a "
            f"window, not {_STOP_WORDS[want]}; {release} ends it",
        ),
    )


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
# How far ahead of this clock the API's may run (CLOCK_SKEW): an updatedAt later than that is no reading
# of a wake-up (a server that set it in the future would keep the endpoint awake for good).


def held_state(desired: Desired, live: Endpoint, at: datetime | None) -> Wanted:
    """``awake_state`` for a live endpoint (its hold tag honoured), and a note when a schedule's
    scaled-to-zero already holds.

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
    awake = awake_state(desired, live, at)
    want = awake.state
    schedule = desired.spec.schedule
    if awake.blocked or want is not DesiredState.SCALED_TO_ZERO or schedule is None or at is None:
        return awake
    # The floor this plan leaves counts too: an update to the manifest's minReplica 1 keeps it awake for good.
    if live.status not in _WOKEN or live.min_replica != 0 or effective_min_replica(desired, live) != 0:
        return awake
    compiled = schedule.compiled()
    began = last_change(compiled, at, _LOOKBACK) or at - _LOOKBACK
    woken = server_instant(live.updated_at)
    if woken is None or not began <= woken <= at + CLOCK_SKEW:
        return awake
    timeout = live.scale_to_zero_timeout
    sleeps = f"after {timeout} min without traffic" if timeout is not None else "once it has no traffic"
    note = (
        f"woken since the schedule turned {want.value} at {until_text(began, at)} {compiled.zone_name}: "
        f"with minReplica 0 the service scales it to zero {sleeps}"
    )
    return Wanted(None, (*awake.notes, note))


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

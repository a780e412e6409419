"""PURE: what keeps ``schedule run`` from making a move its schedule asks for, endpoint by endpoint.

``core.schedule_plan`` says what each schedule asks for against the live state; the engine then finds
what stands in the way of some of those moves, and these turn them into what is reported instead:

- ``blocked``: another command holds the endpoint's lock. Blocked, as a refused move is: the run exits 1,
  and the next run, with the lock free, makes the move.
- ``unread``: the endpoint's namespace could not be listed (a token that may not read it, an API error).
  Unknown is never drift: nothing is done, and ``before`` says ``unknown``, never "not deployed".
- ``not_reached``: the run was interrupted (SIGINT/SIGTERM) before it read the endpoint, while it waited
  for a lock or read: nothing is done, ``before`` says ``unknown``, and the engine's result says
  ``interrupted``, so a pipeline still gets a record for every endpoint.

- ``in_use``: an ``endpointctl run`` holds a live lease on it (a batch is using it). A pause or a
  scale-to-zero would stop it under the batch, so it is not made, with a note; it is the intended state,
  not an error. A resume still happens: both want it awake. ``put_back`` is the state the run is then to
  put it back in when it ends: the schedule's (``core.scheduled.awake_state``), as this run would make it:
  ``running`` while a hold (``endpointctl schedule hold``) keeps it awake.
- ``noted``: a run's lease was taken as gone (its heartbeat stopped long ago on a host or in a container
  where its pid cannot be checked): the move stands, and its record says so.

One endpoint's hold never touches another's move: the rest of the run converges.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from endpointctl.core.desired_state import DesiredState
from endpointctl.core.endpoint import Status
from endpointctl.core.plan import Action, Change, StepKind
from endpointctl.core.schedule import next_change, state_at
from endpointctl.core.schedule_plan import ScheduledChange, blocked_change
from endpointctl.core.scheduled import awake_state
from endpointctl.core.spec import Desired

UNKNOWN = "unknown"  # ``before`` of an endpoint whose namespace could not be read
_STOPS = {StepKind.PAUSE: "paused", StepKind.SCALE_TO_ZERO: "scaled to zero"}


def blocked(move: ScheduledChange, reason: str) -> ScheduledChange:
    """``move`` not made, for ``reason``; what it planned is dropped, what it read is kept."""
    return replace(move, change=blocked_change(move.change, reason))


def unread(namespace: str, desired: Desired, at: datetime, why: str) -> ScheduledChange:
    """A scheduled endpoint in a namespace that could not be listed: blocked, its state unknown."""
    reason = f"namespace '{namespace}' could not be read, so it is left as it is: {why}"
    change = Change(desired.name, namespace, Action.BLOCKED, desired=desired, reason=reason)
    return _unknown_state(change, desired, at)


# Where an endpoint of a manifest without a namespace is, when whoami could not say: shown in its record.
TOKEN_USER = "(the token's user)"


def unplaced(desired: Desired, at: datetime, why: str) -> ScheduledChange:
    """A scheduled endpoint whose manifest names no namespace, when the token's user could not be read:
    blocked, its namespace and state unknown; the endpoints of manifests that name theirs still move."""
    reason = f"its manifest names no namespace and the token's user could not be read: {why}"
    change = Change(desired.name, TOKEN_USER, Action.BLOCKED, desired=desired, reason=reason)
    return _unknown_state(change, desired, at)


def not_reached(namespace: str, desired: Desired, at: datetime) -> ScheduledChange:
    """A scheduled endpoint the run was interrupted before reading: no move, its state unknown."""
    return _unknown_state(Change(desired.name, namespace, Action.NOOP, desired=desired), desired, at)


def _unknown_state(change: Change, desired: Desired, at: datetime) -> ScheduledChange:
    spec = desired.spec.schedule
    assert spec is not None, "only scheduled manifests are run"
    schedule = spec.compiled()
    return ScheduledChange(change, state_at(schedule, at), UNKNOWN, next_change(schedule, at))


def put_back(move: ScheduledChange, at: datetime) -> str | None:
    """The state a run using the endpoint is to put it back in: the schedule's at ``at``; None when that
    cannot be said (blocked, not deployed, a state endpointctl does not know)."""
    change = move.change
    live = change.live
    if change.action is Action.BLOCKED or change.desired is None or live is None:
        return None
    if live.status is Status.UNKNOWN:
        return None
    wanted = awake_state(change.desired, live, at)
    if wanted.blocked is not None:
        return None
    if wanted.held_until is not None:  # not to be stopped when the run ends either
        return DesiredState.RUNNING.value
    return wanted.state.value if wanted.state is not None else None


def noted(move: ScheduledChange, note: str) -> ScheduledChange:
    """``move`` with ``note`` added to its record, its action unchanged."""
    return replace(move, change=replace(move.change, notes=(*move.change.notes, note)))


def in_use(move: ScheduledChange, users: str, at: datetime) -> ScheduledChange:
    """``move`` as it stands while ``endpointctl run`` (``users``: ``pid 4242 on ci-3, since ...``) uses
    the endpoint: without its pause or scale-to-zero, which becomes a note."""
    change = move.change
    stops = [_STOPS[step.kind] for step in change.steps if step.kind in _STOPS]
    if change.action is Action.BLOCKED or not stops:
        return move
    back = put_back(move, at)
    note = f"in use by `endpointctl run` ({users}): not {stops[-1]} under it; put back to {back} when it ends"
    kept = Change(
        change.name,
        change.namespace,
        Action.NOOP,
        desired=change.desired,
        live=change.live,
        notes=(note,),
    )
    return replace(move, change=kept)

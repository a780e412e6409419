"""PURE: what keeps ``schedule run`` from making a move its schedule asks for, endpoint by endpoint.

``core.schedule_plan`` says what each schedule asks for against the live state; the engine then finds
what stands in the way of some of those moves, and these turn them into what is reported instead:

- ``blocked``: another command holds the endpoint's lock. Blocked, as a refused move is: the run exits 1,
  and the next run, with the lock free, makes the move.
- ``unread``: the endpoint's namespace could not be listed (a token that may not read it, an API error).
  Unknown is never drift: nothing is done, and ``before`` says ``unknown``, never "not deployed".

One endpoint's hold never touches another's move: the rest of the run converges.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from endpointctl.core.plan import Action, Change
from endpointctl.core.schedule import next_change, state_at
from endpointctl.core.schedule_plan import ScheduledChange
from endpointctl.core.spec import Desired

UNKNOWN = "unknown"  # ``before`` of an endpoint whose namespace could not be read


def blocked(move: ScheduledChange, reason: str) -> ScheduledChange:
    """``move`` not made, for ``reason``; what it planned is dropped, what it read is kept."""
    change = move.change
    held = Change(
        change.name,
        change.namespace,
        Action.BLOCKED,
        desired=change.desired,
        live=change.live,
        reason=reason,
    )
    return replace(move, change=held)


def unread(namespace: str, desired: Desired, at: datetime, why: str) -> ScheduledChange:
    """A scheduled endpoint in a namespace that could not be listed: blocked, its state unknown."""
    spec = desired.spec.schedule
    assert spec is not None, "only scheduled manifests are run"
    schedule = spec.compiled()
    reason = f"namespace '{namespace}' could not be read, so it is left as it is: {why}"
    change = Change(desired.name, namespace, Action.BLOCKED, desired=desired, reason=reason)
    return ScheduledChange(change, state_at(schedule, at), UNKNOWN, next_change(schedule, at))

"""schedule run: move scheduled endpoints to the state their schedule holds now.

``run`` takes each endpoint's lock on its own (``locks.hold_each``, the lock ``apply`` takes on it, in the
same order), then reads each namespace once and executes only the lifecycle moves
(``core.schedule_plan``) through the executor, so retries, interrupts and part-way results work as
everywhere else. One endpoint or namespace it cannot handle stops no other (``core.schedule_holds``): an
endpoint whose lock another command holds past ``--lock-timeout``, or whose namespace could not be listed,
is reported blocked and the rest converge; ``schedule run`` never deletes, so a complete listing of one
namespace is all a move there needs. (``schedule show`` needs no engine: it reads nothing live, see
``core.schedule_plan.coming``.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from endpointctl.core import schedule_holds as holds
from endpointctl.core.defaults import SCHEDULE_LOCK_TIMEOUT
from endpointctl.core.errors import EndpointctlError
from endpointctl.core.outcomes import ChangeResult
from endpointctl.core.schedule_plan import ScheduledChange, as_plan, plan_schedules, scheduled
from endpointctl.core.spec import Desired
from endpointctl.engine import locks
from endpointctl.engine.interaction import Hooks
from endpointctl.engine.session import Placed, Session

Key = tuple[str, str]  # (namespace, name)


@dataclass(frozen=True)
class ScheduleRun:
    at: datetime
    moves: list[ScheduledChange]
    results: list[ChangeResult] | None  # None: a dry run, nothing executed

    def result_of(self, move: ScheduledChange) -> ChangeResult | None:
        by_key = {(r.change.namespace, r.change.name): r for r in self.results or ()}
        return by_key.get(move.key)


def now(session: Session) -> datetime:
    return datetime.fromtimestamp(session.clock.wall(), UTC)


def run(
    session: Session,
    desired: Sequence[Desired],
    *,
    at: datetime | None,
    dry_run: bool,
    hooks: Hooks,
    lock_timeout: float = SCHEDULE_LOCK_TIMEOUT,
) -> ScheduleRun:
    when = at or now(session)
    if not dry_run:
        locks.check_usable(session.locks_dir)  # before any API call
    placed = session.place(scheduled(desired))
    if not placed:
        return ScheduleRun(when, [], [])
    if dry_run:  # changes nothing, so it neither takes nor waits for a lock
        return ScheduleRun(when, _moves(session, placed, when, {}), None)
    # Sorted as apply sorts its keys: whoever waits for whom, nobody waits in a circle.
    order = sorted(placed, key=lambda item: _endpoint_key(item))
    command = "endpointctl schedule run " + " ".join(sorted({d.name for _, d in placed}))
    with locks.hold_each(
        [[_endpoint_key(item)] for item in order],
        directory=session.locks_dir,
        command=command,
        timeout=lock_timeout,
        clock=session.clock,
        on_wait=session.report,
    ) as missed:
        not_held = {(ns, d.name): why for (ns, d), why in zip(order, missed, strict=True) if why}
        moves = _moves(session, placed, when, not_held)
        with hooks.interruptible():
            results = session.execute(as_plan(moves))
    return ScheduleRun(when, moves, results)


def _endpoint_key(item: Placed) -> str:
    namespace, desired = item
    (key,) = locks.apply_keys(None, [(namespace, desired.name)])
    return key


def _moves(
    session: Session, placed: Sequence[Placed], at: datetime, not_held: Mapping[Key, str]
) -> list[ScheduledChange]:
    """Each endpoint's move, read after its lock was taken; what stands in its way makes it blocked."""
    readings = session.observe_each([namespace for namespace, _ in placed])
    listed = {ns: found for ns, found in readings.items() if not isinstance(found, EndpointctlError)}
    planned = {move.key: move for move in plan_schedules([p for p in placed if p[0] in listed], listed, at)}
    moves: list[ScheduledChange] = []
    for namespace, desired in placed:
        reading = readings[namespace]
        if isinstance(reading, EndpointctlError):
            moves.append(holds.unread(namespace, desired, at, reading.message))
            continue
        move = planned[(namespace, desired.name)]
        why = not_held.get(move.key)
        moves.append(holds.blocked(move, f"{why}; left to it, the next run looks again") if why else move)
    return moves

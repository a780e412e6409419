"""schedule run: move scheduled endpoints to the state their schedule holds now.

``run`` takes the same locks ``apply`` takes on the endpoints it addresses, then reads each namespace
once and executes only the lifecycle moves (``core.schedule_plan``) through the executor, so retries,
interrupts and part-way results work as everywhere else. (``schedule show`` needs no engine: it reads
nothing live, see ``core.schedule_plan.coming``.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from endpointctl.core.outcomes import ChangeResult
from endpointctl.core.schedule_plan import ScheduledChange, as_plan, plan_schedules, scheduled
from endpointctl.core.spec import Desired
from endpointctl.engine import locks
from endpointctl.engine.interaction import Hooks
from endpointctl.engine.session import Session


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
    session: Session, desired: Sequence[Desired], *, at: datetime | None, dry_run: bool, hooks: Hooks
) -> ScheduleRun:
    when = at or now(session)
    if not dry_run:
        locks.check_usable(session.locks_dir)  # before any API call
    placed = session.place(scheduled(desired))
    if not placed:
        return ScheduleRun(when, [], [])
    namespaces = [namespace for namespace, _ in placed]
    if dry_run:  # changes nothing, so it neither takes nor waits for a lock
        return ScheduleRun(when, plan_schedules(placed, session.observe(namespaces), when), None)
    keys = locks.apply_keys(None, [(namespace, d.name) for namespace, d in placed])
    command = "endpointctl schedule run " + " ".join(sorted({d.name for _, d in placed}))
    with session.lock(keys, command=command, timeout=locks.DEFAULT_TIMEOUT):
        moves = plan_schedules(placed, session.observe(namespaces), when)
        with hooks.interruptible():
            results = session.execute(as_plan(moves))
    return ScheduleRun(when, moves, results)

"""``schedule hold`` and ``schedule release``: set or remove the hold tag on endpoints named or in manifests.

A tag change is a read-modify-write of the whole tag list (the API takes the full list), so the lock
``apply`` takes on each endpoint is held from before the listing is read until the last call: an apply
on this machine never changes labels in between, and its labels are never lost to a stale list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from endpointctl.core.endpoint import Endpoint
from endpointctl.core.errors import EndpointctlError
from endpointctl.core.hold_plan import hold_plan, not_taken, release_plan, unconfirmed
from endpointctl.core.outcomes import ChangeOutcome, ChangeResult
from endpointctl.core.plan import Plan
from endpointctl.core.spec import Desired
from endpointctl.core.suggest import command_for
from endpointctl.core.targets import Target, Targets
from endpointctl.engine import locks
from endpointctl.engine.interaction import Hooks
from endpointctl.engine.selection import select
from endpointctl.engine.session import Session

Planner = Callable[[Mapping[str, list[Endpoint]], Sequence[Target]], Plan]


def hold(
    session: Session,
    targets: Targets,
    desired: Sequence[Desired],
    until: datetime,
    at: datetime,
    *,
    hooks: Hooks,
) -> list[ChangeResult]:
    """Hold each endpoint awake until ``until`` (checked by the caller: after ``at``, at most 7 days on)."""
    return _retag(
        session,
        targets,
        desired,
        lambda observed, found: hold_plan(observed, found, until, at),
        "hold",
        hooks,
    )


def release(
    session: Session, targets: Targets, desired: Sequence[Desired], at: datetime, *, hooks: Hooks
) -> list[ChangeResult]:
    return _retag(
        session, targets, desired, lambda observed, found: release_plan(observed, found, at), "release", hooks
    )


def _retag(
    session: Session,
    targets: Targets,
    desired: Sequence[Desired],
    planner: Planner,
    verb: str,
    hooks: Hooks,
) -> list[ChangeResult]:
    locks.check_usable(session.locks_dir)  # before any API call
    targets.require(verb)
    placed = session.place(desired)
    named = [Target(session.namespace(), name) for name in targets.names]
    named += [Target(namespace, d.name) for namespace, d in placed]
    keys = locks.apply_keys(None, [(t.namespace, t.name) for t in named])
    command = f"endpointctl schedule {verb} " + " ".join(dict.fromkeys(t.key for t in named))
    with (
        session.lock(keys, command=command, timeout=locks.DEFAULT_TIMEOUT, settable=False),
        hooks.interruptible(),
    ):
        selection = select(session, targets, desired, changing=True)
        plan = planner(selection.observed, selection.targets)
        for change in plan.changes:
            for note in change.notes:
                session.report(f"{change.namespace}/{change.name}: {note}")
        results = session.execute(plan)
        for result in results:
            _judge(session, result, verb)
    hooks.changed(results)
    return results


def _judge(session: Session, result: ChangeResult, verb: str) -> None:
    """Fail a done hold or release whose answer shows it was not taken, or that nothing confirms: the
    update's answer, or a reading after it when that answer listed no tags. Said done, a release the API
    ignored would leave the endpoint awake (billing) until the hold ends, and a hold not set would let
    the next scheduled run stop an endpoint someone is using."""
    if result.outcome is not ChangeOutcome.OK:
        return
    where = f"{result.change.namespace}/{result.change.name}"
    problem = not_taken(result)
    if problem is None and unconfirmed(result):
        try:
            again = session.hub.get(result.change.namespace, result.change.name)
        except EndpointctlError:
            again = None
        if again is not None and again.tags_reported:
            result.endpoint = again
            problem = not_taken(result, again)
        else:
            problem = (
                f"the API's answers after the update list no tags, so whether the {verb} took is unknown; "
                f"`{command_for('status', result.change.namespace, result.change.name)}` shows heldUntil"
            )
    if problem is None:
        return
    result.outcome = ChangeOutcome.FAILED
    result.error = problem
    result.change = replace(result.change, notes=())  # what the plan said it would do did not happen
    session.report(f"{where}: {verb} failed: {problem}")

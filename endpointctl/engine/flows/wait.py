"""What to wait for: the endpoints a command names, or those an apply or a resume just changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from endpointctl.core.endpoint import Endpoint, Status
from endpointctl.core.outcomes import ChangeOutcome, ChangeResult, WaitReport
from endpointctl.core.readiness import WaitTarget
from endpointctl.core.scheduled import held_state
from endpointctl.core.spec import Desired, DesiredState
from endpointctl.core.targets import Targets
from endpointctl.engine.flows import logs as log_flow
from endpointctl.engine.interaction import Hooks
from endpointctl.engine.selection import select
from endpointctl.engine.session import Session
from endpointctl.engine.waiter import Display, wait_for


def wait(
    session: Session,
    targets: Targets,
    desired: Sequence[Desired],
    *,
    timeout: float,
    hooks: Hooks,
    logs: bool = True,
) -> WaitReport:
    """``endpointctl wait``: until every named endpoint is ready in the state its manifest asks for.

    ``logs``: an endpoint that ends failed, update-failed or timed out carries its last log lines."""
    targets.require("wait for")
    start = session.clock.now()
    # --timeout bounds the whole command: the first listing, its retries and requests included.
    selection = select(session, targets, desired, deadline=start + timeout)
    selection.require_match()
    now = datetime.fromtimestamp(session.clock.wall(), UTC)
    waiting = []
    for t in selection.targets:
        d, live = selection.desired(t), selection.live(t)
        state = None if d is None else _scheduled_state(d, live, now)
        waiting.append(WaitTarget(t.namespace, t.name, state=state or DesiredState.RUNNING, manifest=d))
    # The selection's listing is the first round: one list call fewer.
    with hooks.interruptible(), hooks.waiting() as display:
        left = max(0.0, start + timeout - session.clock.now())
        report = wait_on(session, waiting, timeout=left, display=display, first=selection.observed, logs=logs)
    hooks.waited(report)
    return report


def wait_on(
    session: Session,
    targets: Sequence[WaitTarget],
    *,
    timeout: float,
    display: Display,
    first: dict[str, list[Endpoint]] | None = None,
    logs: bool = False,
) -> WaitReport:
    """``logs``: then read the last log lines of each endpoint that failed or timed out (``flows.logs``)."""
    # The commands the outcomes' hints suggest name each endpoint's namespace unless a bare one lands there.
    implied = session.implied_namespace
    report = wait_for(
        session.hub,
        session.deployed,
        [replace(t, implied_namespace=implied) for t in targets],
        clock=session.clock,
        timeout=timeout,
        display=display,
        cancel=session.cancel,
        first=first,
    )
    return log_flow.with_tails(session, report) if logs else report


def _scheduled_state(desired: Desired, live: Endpoint | None, now: datetime) -> DesiredState | None:
    """The state ``wait -f`` waits for: the one apply and schedule run would leave now. For a schedule,
    its state now (a hold honoured); where they leave it be (woken by a request since its window closed,
    with minReplica 0; a stop blocked by a hold that cannot be read), where it is. Waiting for "running"
    fought the schedule (failed, with a hint to resume it); waiting for a stop they do not make, timed
    out. Else the manifest's fixed state (None: running)."""
    if desired.spec.schedule is None or live is None:
        return desired.spec.state
    wanted = held_state(desired, live, now)
    return wanted.state if wanted.state is not None and wanted.blocked is None else _rest_state(live)


def _rest_state(endpoint: Endpoint | None) -> DesiredState:
    """Where apply leaves an endpoint whose manifest sets no state: where it already was."""
    if endpoint is not None and endpoint.status is Status.PAUSED:
        return DesiredState.PAUSED
    if endpoint is not None and endpoint.status is Status.SCALED_TO_ZERO and (endpoint.min_replica or 0) > 0:
        return DesiredState.SCALED_TO_ZERO
    return DesiredState.RUNNING


def after_apply(results: Sequence[ChangeResult]) -> list[WaitTarget]:
    """What ``apply --wait`` waits for: every endpoint a manifest names that apply did not fail on.

    Deletes, blocked and failed changes are left out: the apply result already says what happened.
    """
    targets: list[WaitTarget] = []
    for result in results:
        change = result.change
        if change.desired is None or result.outcome not in (ChangeOutcome.OK, ChangeOutcome.UNCHANGED):
            continue
        endpoint = result.endpoint or change.live
        updated = "update" in result.done and result.endpoint is not None
        targets.append(
            WaitTarget(
                namespace=change.namespace,
                name=change.name,
                state=change.desired.spec.state or _rest_state(endpoint),
                desired=change.desired if updated else None,
                # The result's endpoint answers the last step: the update's, unless a pause or scale-to-zero
                # followed it, and an endpoint waited for at rest is not checked against the update.
                updated_since=result.endpoint.updated_at if updated and result.endpoint else None,
                reported=result.endpoint.status if result.endpoint is not None else None,
                resumed="resume" in result.done,
                manifest=change.desired,
            )
        )
    return targets


def after_resume(results: Sequence[ChangeResult]) -> list[WaitTarget]:
    """What ``resume --wait`` waits for: each endpoint resumed, or found already running or starting."""
    return [
        WaitTarget(
            namespace=r.change.namespace,
            name=r.change.name,
            reported=r.endpoint.status if r.endpoint is not None else None,
            resumed=r.outcome is ChangeOutcome.OK,
        )
        for r in results
        if r.outcome in (ChangeOutcome.OK, ChangeOutcome.UNCHANGED)
    ]

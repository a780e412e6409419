"""PURE: what ``schedule run`` does at an instant: each scheduled endpoint's lifecycle move, as a plan.

Level-triggered: the move depends only on the schedule at that instant and the live state, never on
what an earlier run did, so a dropped, delayed or doubled run is harmless. It only pauses, resumes or
scales to zero (and, after its own resume, restores the manifest's scaling, which the service resets):
never a create, a delete, or a change to the model, compute or security.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from endpointctl.core.defaults import CLOCK_SKEW, SETTLE_TIMEOUT
from endpointctl.core.desired_state import DesiredState
from endpointctl.core.diff import diff_endpoint
from endpointctl.core.endpoint import Endpoint, Status, server_instant
from endpointctl.core.plan import Action, Change, Plan, Step, StepKind, lifecycle_change
from endpointctl.core.schedule import next_change, state_at, transitions
from endpointctl.core.scheduled import held_state
from endpointctl.core.spec import Desired
from endpointctl.core.suggest import command_for, manifest_command
from endpointctl.core.tags import UNKNOWN_TAGS, not_managed

NOT_DEPLOYED = "not deployed: run `endpointctl apply` to create it"
_ACTIONS = {
    StepKind.PAUSE: Action.PAUSE,
    StepKind.RESUME: Action.RESUME,
    StepKind.SCALE_TO_ZERO: Action.SCALE_TO_ZERO,
}


@dataclass(frozen=True)
class ScheduledChange:
    """One scheduled endpoint at one instant: what its schedule wants, what it was, what to do."""

    change: Change
    wanted: DesiredState  # the schedule's state at the instant
    before: str | None  # the live state as the API reported it; None: not deployed
    next: tuple[datetime, DesiredState] | None  # the schedule's next change, in its zone

    @property
    def key(self) -> tuple[str, str]:
        return (self.change.namespace, self.change.name)


def blocked_change(base: Change, reason: str) -> Change:
    """``base`` not made, for ``reason``: what it planned is dropped, what it read is kept."""
    return Change(
        base.name, base.namespace, Action.BLOCKED, desired=base.desired, live=base.live, reason=reason
    )


def _move(desired: Desired, live: Endpoint, at: datetime) -> Change:
    base = Change(live.name, live.namespace, Action.NOOP, desired=desired, live=live)
    if not live.tags_reported:
        return blocked_change(base, UNKNOWN_TAGS)
    if not live.managed:
        return blocked_change(base, not_managed(desired.file, desired.run_namespace))
    if live.status is Status.FAILED:
        replace_it = manifest_command("apply", desired.file, desired.run_namespace, "--allow-replace")
        return blocked_change(base, f"it failed, so it is not resumed; `{replace_it}` re-creates it")
    if live.status is Status.UNKNOWN:
        note = f"its state {live.shown_state!r} is not one endpointctl knows: left alone until it is"
        return Change(live.name, live.namespace, Action.NOOP, desired=desired, live=live, notes=(note,))
    wanted = held_state(desired, live, at)
    if wanted.blocked is not None:
        return blocked_change(base, wanted.blocked)
    if live.status is Status.UPDATE_FAILED:
        # Still serving what it ran before the update; the schedule moves it as it is, but says so.
        failed = (
            f"its last update failed (it runs its former configuration): "
            f"`{command_for('logs', live.namespace, live.name)}` shows why",
        )
        wanted = replace(wanted, notes=(*failed, *wanted.notes))
    want = wanted.state
    state_change, kinds = lifecycle_change(desired, live, want)
    if not kinds and want is DesiredState.RUNNING:
        rescaled = _scaling_left_by_a_resume(desired, live)
        if rescaled is not None:
            return replace(rescaled, notes=(*wanted.notes, *rescaled.notes))
        return replace(base, notes=wanted.notes)  # held: said why its schedule's stop is not made
    if not kinds:
        return replace(base, notes=wanted.notes)
    if kinds == (StepKind.SCALE_TO_ZERO,) and live.status in _DEPLOYING:
        return _not_deployed_yet(base, live, at)
    steps = [Step(kind) for kind in kinds]
    notes = wanted.notes  # a hold that has ended
    if kinds[0] is StepKind.RESUME and live.status is Status.PAUSED:
        # The service resets replicas to 1 on resume: put the manifest's scaling back, and only that.
        after_resume = diff_endpoint(desired, live, compare_scaling=True, replicas_after_resume=True)
        paths = tuple(f.path for f in after_resume if f.path.startswith("scaling."))
        if paths:
            steps.insert(1, Step(StepKind.UPDATE, paths=paths))
            notes += ("the manifest's scaling is restored after the resume: " + ", ".join(paths),)
    fields = (state_change,) if state_change is not None else ()
    action = _ACTIONS[kinds[-1]]
    return Change(
        live.name,
        live.namespace,
        action,
        fields=fields,
        steps=tuple(steps),
        desired=desired,
        live=live,
        notes=notes,
    )


_DEPLOYING = frozenset({Status.PENDING, Status.INITIALIZING, Status.UPDATING})


def _not_deployed_yet(base: Change, live: Endpoint, at: datetime) -> Change:
    """A scale-to-zero the API would refuse: the endpoint is still deploying.

    Waiting for it here (up to ``SETTLE_TIMEOUT``, as apply does) held every lock past a cron job's
    deadline and its next run; level-triggered, a run after it has deployed does it. But not silently for
    good: one deploying for longer than apply would wait, or since a time that cannot be read, may be stuck
    (a crash loop bills all night), so it is blocked, and the run exits 1.
    """
    since = server_instant(live.updated_at)
    state = live.status.value
    # An updatedAt a little after ``at`` is this clock behind the API's, or a change made while this run
    # waited for its locks: deploying since just now, not stuck.
    if since is not None and -CLOCK_SKEW <= at - since <= timedelta(seconds=SETTLE_TIMEOUT):
        return replace(base, notes=(f"still {state}: scaled to zero by a run after it has deployed",))
    shown = f"since {live.updated_at}" if since is not None else "(since when, the API does not say)"
    return blocked_change(
        base,
        f"still {state} {shown}, longer than a deployment takes: not scaled to zero; "
        f"`{command_for('logs', live.namespace, live.name)}` shows why",
    )


# Awake: a resume's reset replicas are what it runs with.
_AWAKE = frozenset({Status.PENDING, Status.INITIALIZING, Status.RUNNING})
_AFTER_RESUME = (1, 1)  # minReplica, maxReplica: what the service sets on resume


def _scaling_left_by_a_resume(desired: Desired, live: Endpoint) -> Change | None:
    """The manifest's scaling put back on an awake endpoint still at the replicas a resume leaves (1/1),
    or None. The resume and the update after it are two calls: a run killed, timed out or refused between
    them left the endpoint at 1/1 for good, since every later run saw it running and did nothing (with
    ``minReplica: 0`` it never slept all day). Other replicas than a resume's are someone's choice, left to
    ``apply``; so is everything but scaling."""
    if live.status not in _AWAKE or (live.min_replica, live.max_replica) != _AFTER_RESUME:
        return None
    fields = tuple(
        f for f in diff_endpoint(desired, live, compare_scaling=True) if f.path.startswith("scaling.")
    )
    if not fields:
        return None
    paths = tuple(f.path for f in fields)
    return Change(
        live.name,
        live.namespace,
        Action.UPDATE,
        fields=fields,
        steps=(Step(StepKind.UPDATE, paths=paths),),
        desired=desired,
        live=live,
        notes=("the manifest's scaling is restored: the replicas are still the 1/1 a resume leaves",),
    )


def plan_schedules(
    placed: Sequence[tuple[str, Desired]], observed: Mapping[str, list[Endpoint]], at: datetime
) -> list[ScheduledChange]:
    """Each scheduled manifest (with its namespace) against the complete listings of its namespaces."""
    live = {(ep.namespace, ep.name): ep for endpoints in observed.values() for ep in endpoints}
    moves: list[ScheduledChange] = []
    for namespace, desired in placed:
        spec = desired.spec.schedule
        if spec is None:
            continue
        schedule = spec.compiled()
        found = live.get((namespace, desired.name))
        if found is None:
            change = blocked_change(
                Change(desired.name, namespace, Action.NOOP, desired=desired), NOT_DEPLOYED
            )
        else:
            change = _move(desired, found, at)
        before = found.shown_state if found is not None else None
        moves.append(ScheduledChange(change, state_at(schedule, at), before, next_change(schedule, at)))
    return moves


def as_plan(moves: Sequence[ScheduledChange]) -> Plan:
    return Plan(tuple(move.change for move in moves))


def scheduled(desired: Sequence[Desired]) -> list[Desired]:
    """Only manifests with a schedule are acted on."""
    return [d for d in desired if d.spec.schedule is not None]


@dataclass(frozen=True)
class Coming:
    """``schedule show``: one endpoint's transitions in a span."""

    name: str
    namespace: str | None  # the manifest's, else --namespace; None: the token's user, not looked up
    zone: str
    transitions: list[tuple[datetime, DesiredState]]


def coming(
    desired: Sequence[Desired], start: datetime, days: int, namespace: str | None = None
) -> list[Coming]:
    """Each scheduled endpoint's transitions in [start, start + days); read from the manifests alone."""
    found: list[Coming] = []
    for d in scheduled(desired):
        assert d.spec.schedule is not None
        schedule = d.spec.schedule.compiled()
        changes = transitions(schedule, start, start + timedelta(days=days))
        found.append(Coming(d.name, d.manifest.metadata.namespace or namespace, schedule.zone_name, changes))
    return found

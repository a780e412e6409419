"""PURE: compute what apply would do, from desired specs and observed endpoints.

``compute`` returns typed changes with field-level diffs and the ordered API steps that carry them
out; ``engine.executor`` runs those steps and nothing else decides what to send. No network, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from endpointctl.core.diff import (
    FieldChange,
    desired_fields,
    diff_endpoint,
    secrets_notes,
)
from endpointctl.core.endpoint import Endpoint, Status
from endpointctl.core.env_diff import env_notes
from endpointctl.core.errors import UsageError
from endpointctl.core.money import ChangeCost
from endpointctl.core.names import name_key, name_problem
from endpointctl.core.planned_tags import create_tags, update_tags
from endpointctl.core.scheduled import Instant, effective_min_replica, held_state, schedule_note, wanted_state
from endpointctl.core.security_notes import legacy_security_notes
from endpointctl.core.spec import Desired, DesiredState, Security
from endpointctl.core.stacks import prunable, several_stacks
from endpointctl.core.tags import UNKNOWN_TAGS, VALUE_RE, VALUE_RULE, not_managed
from endpointctl.core.update_failed import failed_note, same_configuration
from endpointctl.core.update_paths import update_paths as sent_paths


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    PAUSE = "pause"
    RESUME = "resume"
    SCALE_TO_ZERO = "scale-to-zero"
    NOOP = "noop"
    BLOCKED = "blocked"  # exists but may not be touched: not ours, or a replace without --allow-replace


class StepKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    PAUSE = "pause"
    RESUME = "resume"
    SCALE_TO_ZERO = "scale-to-zero"


# A change whose steps are lifecycle moves only is named after its last (each action is its step's word).
LIFECYCLE_ACTIONS = {
    kind: Action(kind.value) for kind in (StepKind.PAUSE, StepKind.RESUME, StepKind.SCALE_TO_ZERO)
}


@dataclass(frozen=True)
class Step:
    kind: StepKind
    # For UPDATE: the manifest-level paths to send (values come from the desired spec).
    paths: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # the full tag list to send with CREATE or a tag-changing UPDATE


@dataclass(frozen=True)
class Change:
    name: str
    namespace: str
    action: Action
    fields: tuple[FieldChange, ...] = ()
    steps: tuple[Step, ...] = ()
    desired: Desired | None = None
    live: Endpoint | None = None
    notes: tuple[str, ...] = ()
    reason: str | None = None  # why BLOCKED, or why a REPLACE is needed
    # What an operator should act on though nothing is blocked (e.g. it runs on deprecated hardware).
    warnings: tuple[str, ...] = ()
    # Per hour, before and after; attached from the hardware catalog (core/cost.py). None: not priced.
    cost: ChangeCost | None = None

    @property
    def destructive(self) -> bool:
        return any(step.kind is StepKind.DELETE for step in self.steps)

    @property
    def mutating(self) -> bool:
        return bool(self.steps)


@dataclass(frozen=True)
class Options:
    stack: str | None = None
    prune: bool = False
    adopt: bool = False
    allow_replace: bool = False
    rotate_secrets: bool = False
    at: Instant | None = None  # when a schedule is evaluated (the engine's clock); None: not evaluated
    accepted_tasks: frozenset[str] = frozenset()  # taken as known, never as typos (ENDPOINTCTL_TASKS)


@dataclass(frozen=True)
class PruneScope:
    """Where ``--prune --stack`` looked for the stack's endpoints: the namespaces whose listing the plan
    was computed from. An endpoint of the stack in any other namespace is not seen, so not deleted; a plan
    says which it searched rather than looking complete."""

    stack: str
    namespaces: tuple[str, ...]  # sorted


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...] = field(default_factory=tuple)
    prune: PruneScope | None = None  # with --prune: where it looked (a plan of changes keeps it as is)

    @property
    def has_changes(self) -> bool:
        return any(change.action is not Action.NOOP for change in self.changes)

    @property
    def destructive(self) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if change.destructive)

    @property
    def blocked(self) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if change.action is Action.BLOCKED)


def check_options(options: Options) -> None:
    """Flag combinations that are wrong whatever the live state: refused before any API call."""
    if options.prune and not options.stack:
        raise UsageError("--prune needs --stack NAME: only endpoints tagged with that stack are ever pruned")
    if options.stack is not None and not VALUE_RE.fullmatch(options.stack):
        raise UsageError(f"--stack {options.stack!r} is not a stack name: {VALUE_RULE}")


def lifecycle_change(
    desired: Desired, live: Endpoint, want: DesiredState | None
) -> tuple[FieldChange | None, tuple[StepKind, ...]]:
    """The state change ``want`` asks for (``state``, or the schedule's), as the lifecycle calls to it."""
    have = live.status
    steps: tuple[StepKind, ...] = ()
    if want is DesiredState.PAUSED and have is not Status.PAUSED:
        steps = (StepKind.PAUSE,)
    elif want is DesiredState.SCALED_TO_ZERO and have is not Status.SCALED_TO_ZERO:
        # A paused endpoint does not wake on a request; the API scales to zero only from running.
        steps = (
            (StepKind.RESUME, StepKind.SCALE_TO_ZERO) if have is Status.PAUSED else (StepKind.SCALE_TO_ZERO,)
        )
    elif want is DesiredState.RUNNING:
        if have is Status.PAUSED:
            steps = (StepKind.RESUME,)
        elif have is Status.SCALED_TO_ZERO and effective_min_replica(desired, live) > 0:
            # Autoscaling wakes it on the next request; only a floor above zero needs a resume.
            steps = (StepKind.RESUME,)
    if not steps or want is None:
        return None, ()
    return FieldChange(path="state", before=have.value, after=want.value), steps


def _plan_existing(desired: Desired, live: Endpoint, options: Options) -> Change:
    base = Change(name=live.name, namespace=live.namespace, action=Action.NOOP, desired=desired, live=live)
    if not live.tags_reported:
        return replace(base, action=Action.BLOCKED, reason=UNKNOWN_TAGS)
    if not live.managed and not options.adopt:
        return replace(
            base,
            action=Action.BLOCKED,
            reason=not_managed(desired.file, desired.run_namespace),
        )
    if options.stack and live.managed and len(live.stacks) > 1:
        return replace(base, action=Action.BLOCKED, reason=several_stacks(live))
    if options.stack and live.managed and live.stack not in (None, options.stack):
        return replace(
            base,
            action=Action.BLOCKED,
            reason=f"this endpoint belongs to stack '{live.stack}', not '{options.stack}'",
        )

    if live.status is Status.UNKNOWN:
        # A state we cannot read (deleting? building? a new one?) is no ground to change anything on.
        return replace(
            base,
            notes=(
                f"its state {live.shown_state!r} is not one endpointctl knows: nothing is changed until the "
                "API reports a known one",
            ),
        )
    if live.status is Status.FAILED:
        return _replace(
            desired, live, options, [], reason="the endpoint failed and cannot be recovered in place"
        )

    wanted = held_state(desired, live, options.at)
    if wanted.blocked is not None:
        return replace(base, action=Action.BLOCKED, reason=wanted.blocked)
    state_change, lifecycle = lifecycle_change(desired, live, wanted.state)
    # A paused endpoint reports zero replicas; that is the pause, not drift (read as unknown in any state:
    # hub/responses.py). After a resume the API resets replicas to 1, so compare scaling against that.
    resuming = StepKind.RESUME in lifecycle and live.status is Status.PAUSED
    fields = diff_endpoint(
        desired,
        live,
        compare_scaling=live.status is not Status.PAUSED or resuming,
        replicas_after_resume=resuming,
        rotate_secrets=options.rotate_secrets,
    )
    forcing = [change for change in fields if change.forces_replace]
    if forcing:
        return _replace(desired, live, options, list(fields), reason=None)
    tags = update_tags(desired, live.tags, options.stack, fields)
    tag_change = set(tags) != set(live.tags)
    # Labels or a pause are sent as any other change: the failed configuration is not sent again by them.
    if live.status is Status.UPDATE_FAILED and not fields and not tag_change and not lifecycle:
        verdict = same_configuration(desired, live)
        if verdict.blocked:
            return replace(base, action=Action.BLOCKED, reason=verdict.text)
        return replace(base, notes=(verdict.text,))

    notes: list[str] = [failed_note(live)] if live.status is Status.UPDATE_FAILED and not fields else []
    if tag_change and not live.managed:
        notes.append("adopting: endpointctl's ownership tags will be added")
    if tag_change:
        fields = (*fields, FieldChange(path="tags", before=sorted(live.tags), after=sorted(tags)))

    update_paths, sent_notes = sent_paths(fields, live)
    update = Step(StepKind.UPDATE, paths=update_paths, tags=tags if tag_change else ()) if fields else None
    steps = [Step(kind) for kind in lifecycle]
    if update and lifecycle[:1] == (StepKind.RESUME,):
        # Resume first: it resets replicas, and the update then restores the manifest's scaling.
        steps.insert(1, update)
    elif update:
        # Pause or scale down first, so an update does not roll out replicas only to stop them.
        steps.append(update)
    if resuming and desired.spec.scaling is None:
        notes.append("resume resets replicas to 1; the manifest sets no scaling to restore")
    if update and not lifecycle and live.status is Status.PAUSED:
        notes.append("the endpoint is paused and stays paused")
    notes += wanted.notes
    notes += env_notes(desired, live, update_paths)
    notes += legacy_security_notes(desired, live)
    notes += secrets_notes(fields) + sent_notes

    all_fields = (*fields, state_change) if state_change else fields
    if not steps:
        return replace(base, action=Action.NOOP, notes=tuple(notes))
    action = Action.UPDATE if fields else LIFECYCLE_ACTIONS[lifecycle[-1]]
    return replace(base, action=action, fields=tuple(all_fields), steps=tuple(steps), notes=tuple(notes))


def widened_access(change: Change) -> tuple[Security, Security] | None:
    """(before, after) when the change lets more callers in: private → protected → public."""
    for field_change in change.fields:
        if field_change.path == "security" and field_change.before and field_change.after:
            before, after = Security(field_change.before), Security(field_change.after)
            if after.reach > before.reach:
                return before, after
    return None


def _flag_widening(change: Change) -> Change:
    widened = widened_access(change)
    if widened is None:
        return change
    before, after = widened
    who = "anyone, without a token" if after is Security.PUBLIC else "any Hugging Face account"
    note = f"widens access: {before.value} -> {after.value} ({who} could call it)"
    return replace(change, notes=(note, *change.notes))


def _replace(
    desired: Desired, live: Endpoint, options: Options, fields: list[FieldChange], reason: str | None
) -> Change:
    why = (
        reason
        or "changing " + ", ".join(c.path for c in fields if c.forces_replace) + " cannot be done in place"
    )
    notes = (
        "replace = delete, then create under the same name: downtime until the new endpoint is running, "
        "and the URL may change",
    )
    base = Change(name=live.name, namespace=live.namespace, action=Action.NOOP, desired=desired, live=live)
    if not options.allow_replace:
        return replace(
            base,
            action=Action.BLOCKED,
            fields=tuple(fields),
            notes=notes,
            reason=f"{why}; re-run with --allow-replace to delete and re-create it",
        )
    steps = (Step(StepKind.DELETE), *_create_steps(desired, options))
    return replace(base, action=Action.REPLACE, fields=tuple(fields), steps=steps, notes=notes, reason=why)


def _create_steps(desired: Desired, options: Options) -> tuple[Step, ...]:
    create = Step(StepKind.CREATE, tags=create_tags(desired, options.stack))
    state = wanted_state(desired, options.at)
    if state is DesiredState.PAUSED:
        return (create, Step(StepKind.PAUSE))
    if state is DesiredState.SCALED_TO_ZERO:
        return (create, Step(StepKind.SCALE_TO_ZERO))
    return (create,)


def _noted(change: Change, at: Instant | None) -> Change:  # a schedule's change says what holds, until when
    note = schedule_note(change.desired, at) if change.desired and change.action is not Action.NOOP else None
    return change if note is None else replace(change, notes=(*change.notes, note))


def compute(
    desired: list[tuple[str, Desired]],
    observed: Mapping[str, list[Endpoint]],
    options: Options,
) -> Plan:
    """Diff desired against observed.

    ``desired`` pairs each spec with its resolved namespace; ``observed`` holds the complete listing of
    every namespace involved (a namespace missing here was not observed, which is never "empty").
    """
    live_by_key = {(ep.namespace, ep.name): ep for endpoints in observed.values() for ep in endpoints}
    # Listed under a name no endpoint can have (another case, blanks): perhaps a manifest's own endpoint.
    misspelt = {
        (ep.namespace, name_key(ep.name)): ep
        for endpoints in observed.values()
        for ep in endpoints
        if name_problem(ep.name)
    }
    changes: list[Change] = []
    wanted: set[tuple[str, str]] = set()
    for namespace, spec in desired:
        key = (namespace, spec.name)
        wanted.add(key)
        live = live_by_key.get(key)
        if live is None and (odd := misspelt.get((namespace, name_key(spec.name)))) is not None:
            # Neither created (the API may take it for the one listed) nor matched to it: said, not done.
            why = f"the API lists an endpoint as {odd.name!r}, not an endpoint name: it may be this one"
            changes.append(Change(spec.name, namespace, Action.BLOCKED, desired=spec, live=odd, reason=why))
            continue
        if live is None:
            new_tags = sorted(create_tags(spec, options.stack))
            fields = (*desired_fields(spec), FieldChange(path="tags", before=None, after=new_tags))
            changes.append(
                Change(
                    name=spec.name,
                    namespace=namespace,
                    action=Action.CREATE,
                    fields=fields,
                    steps=_create_steps(spec, options),
                    desired=spec,
                )
            )
        else:
            changes.append(_flag_widening(_plan_existing(spec, live, options)))
    changes = [_noted(change, options.at) for change in changes]
    if options.prune and options.stack:
        for live, kept in prunable(observed, wanted, options.stack):
            deleted = kept is None
            changes.append(
                Change(
                    name=live.name,
                    namespace=live.namespace,
                    action=Action.DELETE if deleted else Action.BLOCKED,
                    steps=(Step(StepKind.DELETE),) if deleted else (),
                    live=live,
                    reason=kept or f"tagged with stack '{options.stack}' and absent from the manifests",
                )
            )
    scope = PruneScope(options.stack, tuple(sorted(observed))) if options.prune and options.stack else None
    return Plan(changes=tuple(changes), prune=scope)

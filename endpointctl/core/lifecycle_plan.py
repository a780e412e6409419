"""PURE: pause, resume, scale-to-zero and delete of endpoints named (or selected) on the command line, as a
plan: idempotent (what is already there is a no-op, said so), and loud about names that match nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from endpointctl.core.endpoint import Endpoint, Status
from endpointctl.core.errors import NothingMatched
from endpointctl.core.plan import Action, Change, Plan, Step, StepKind
from endpointctl.core.suggest import command_for
from endpointctl.core.targets import Target

_LIFECYCLE: dict[StepKind, tuple[Action, tuple[Status, ...], str]] = {
    StepKind.PAUSE: (Action.PAUSE, (Status.PAUSED,), "already paused"),
    StepKind.RESUME: (
        Action.RESUME,
        (Status.RUNNING, Status.PENDING, Status.INITIALIZING, Status.UPDATING),
        "already running or starting",
    ),
    StepKind.SCALE_TO_ZERO: (Action.SCALE_TO_ZERO, (Status.SCALED_TO_ZERO,), "already scaled to zero"),
    StepKind.DELETE: (Action.DELETE, (), ""),
}
# States that already give what the command is for, though not the state it names: a paused endpoint
# bills nothing, as a scaled-to-zero one does, and the API refuses to scale it (only a running one can
# be). Sending it made a nightly `scale-to-zero -l env=dev` fail whenever someone had paused one;
# `schedule run` reads a paused endpoint as scaled to zero the same way.
_ALSO_DONE: dict[StepKind, dict[Status, str]] = {
    StepKind.SCALE_TO_ZERO: {
        Status.PAUSED: "paused, which bills nothing either: left paused (`endpointctl resume` it first to "
        "have it scale to zero instead)"
    },
}

_VERB = {StepKind.PAUSE: "paused", StepKind.RESUME: "resumed", StepKind.SCALE_TO_ZERO: "scaled to zero"}


def lifecycle_plan(
    kind: StepKind,
    observed: Mapping[str, list[Endpoint]],
    targets: Sequence[Target],
    *,
    allow_empty: bool,
) -> Plan:
    """PURE: pause/resume/scale-to-zero/delete as a plan; idempotent, and loud about typos."""
    action, done_states, done_note = _LIFECYCLE[kind]
    live = {(ep.namespace, ep.name): ep for eps in observed.values() for ep in eps}
    changes: list[Change] = []
    missing: list[Target] = []
    for target in targets:
        ep = live.get((target.namespace, target.name))
        if ep is None:
            if kind is StepKind.DELETE:
                changes.append(Change(target.name, target.namespace, Action.NOOP, notes=("already absent",)))
            else:
                missing.append(target)
            continue
        if ep.status is Status.UNKNOWN and kind is not StepKind.DELETE:
            # Deleting already? A state of the future? Whether it is paused, running or gone cannot be told,
            # so neither can whether the command is needed, nor what it would do: never acted on, named or
            # selected (a nightly `pause -l env=dev` included), and blocked, not skipped in silence, so the
            # run says it did not get there (exit 1). A delete, asked for by name or with confirmation, is
            # the way out of a state that stays: not blocked.
            reason = (
                f"its state {ep.shown_state!r} is not one endpointctl knows: not {_VERB[kind]} until the "
                f"API reports a known one; `{command_for('status', ep.namespace, ep.name)}` shows it"
            )
            changes.append(Change(ep.name, ep.namespace, Action.BLOCKED, live=ep, reason=reason))
            continue
        if ep.status in done_states or ep.status in _ALSO_DONE.get(kind, {}):
            note = done_note if ep.status in done_states else _ALSO_DONE[kind][ep.status]
            changes.append(Change(ep.name, ep.namespace, Action.NOOP, live=ep, notes=(note,)))
            continue
        notes = ("the API resets replicas to 1; `endpointctl apply` restores the manifest's scaling",)
        changes.append(
            Change(
                ep.name,
                ep.namespace,
                action,
                steps=(Step(kind),),
                live=ep,
                notes=notes if kind is StepKind.RESUME else (),
            )
        )
    if (missing or not targets) and not allow_empty:
        what = ", ".join(f"{t.namespace}/{t.name}" for t in missing) or "the selector"
        raise NothingMatched(
            f"no endpoint matches {what}",
            hint="check the names and the namespace; pass --allow-empty if matching nothing is fine",
        )
    return Plan(tuple(changes))

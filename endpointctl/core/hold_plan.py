"""PURE: ``schedule hold`` and ``schedule release`` as a plan: the hold tag set or removed (the full tag
list sent, every other tag as it was) and, for a hold, a resume of an endpoint that is asleep.

Idempotent: an endpoint already held until that minute, or released without a hold, is a no-op said so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from endpointctl.core.diff import FieldChange
from endpointctl.core.endpoint import Endpoint, Status
from endpointctl.core.errors import NothingMatched
from endpointctl.core.hold_tag import (
    UnreadableHold,
    is_hold_tag,
    minute_text,
    read_hold,
    with_hold,
    without_hold,
)
from endpointctl.core.outcomes import ChangeResult
from endpointctl.core.plan import Action, Change, Plan, Step, StepKind
from endpointctl.core.scheduled import until_text
from endpointctl.core.suggest import command_for
from endpointctl.core.tags import UNKNOWN_TAGS
from endpointctl.core.targets import Target

# Asleep: a hold is there to keep it awake, so it is woken too (scaled to zero, it would wake on a request,
# but the demo's first request should not meet a cold start).
_ASLEEP = frozenset({Status.PAUSED, Status.SCALED_TO_ZERO})


def _live(observed: Mapping[str, list[Endpoint]], targets: Sequence[Target]) -> list[Endpoint]:
    live = {(ep.namespace, ep.name): ep for eps in observed.values() for ep in eps}
    missing = [t for t in targets if (t.namespace, t.name) not in live]
    if missing or not targets:
        what = ", ".join(t.key for t in missing) or "nothing"
        raise NothingMatched(f"no endpoint matches {what}", hint="check the names and the namespace")
    return [live[(t.namespace, t.name)] for t in targets]


def _unknown_tags(ep: Endpoint) -> Change:
    """The API listed it without a readable tag list: the full list a hold or release sends would drop
    the tags it cannot see (its ownership and labels), and whether it is held is unknown."""
    return Change(ep.name, ep.namespace, Action.BLOCKED, live=ep, reason=UNKNOWN_TAGS)


def _retag(ep: Endpoint, tags: tuple[str, ...]) -> tuple[FieldChange, ...]:
    if sorted(tags) == sorted(ep.tags):
        return ()
    return (FieldChange(path="tags", before=sorted(ep.tags), after=sorted(tags)),)


def hold_plan(
    observed: Mapping[str, list[Endpoint]],
    targets: Sequence[Target],
    until: datetime,
    at: datetime,
) -> Plan:
    """Hold each target awake until ``until`` (UTC, to the minute): the tag first, so a resume that fails
    leaves a hold that a second ``schedule hold`` finishes, never an awake endpoint the next run pauses."""
    changes: list[Change] = []
    for ep in _live(observed, targets):
        if not ep.tags_reported:
            changes.append(_unknown_tags(ep))
            continue
        tags = with_hold(ep.tags, until)
        fields = _retag(ep, tags)
        steps = [Step(StepKind.UPDATE, tags=tags)] if fields else []
        notes = [
            f"held awake until {until_text(until, at)} UTC; "
            f"`{command_for('schedule', ep.namespace, 'release', ep.name)}` ends it"
        ]
        if ep.status in _ASLEEP:
            steps.append(Step(StepKind.RESUME))
            notes.append(
                "asleep, so it is resumed: the API resets replicas to 1; "
                "`endpointctl apply` restores the manifest's scaling"
            )
        elif ep.status is Status.FAILED:
            notes.append("it failed, so it is not resumed")
        elif ep.status is Status.UNKNOWN:
            notes.append(f"its state {ep.shown_state!r} is not one endpointctl knows: not resumed")
        if not steps:
            notes[0] = f"already held awake until {until_text(until, at)} UTC"
        action = Action.RESUME if ep.status in _ASLEEP else Action.UPDATE if steps else Action.NOOP
        changes.append(
            Change(ep.name, ep.namespace, action, fields, tuple(steps), live=ep, notes=tuple(notes))
        )
    return Plan(tuple(changes))


def release_plan(observed: Mapping[str, list[Endpoint]], targets: Sequence[Target], at: datetime) -> Plan:
    """Remove every hold tag (an unreadable one too); nothing else changes: the next ``schedule run`` or
    ``apply`` moves the endpoint to its schedule's state. A hold that was the endpoint's only tag leaves an
    empty list, which the hub sends as such (``hub.client.update``)."""
    changes: list[Change] = []
    for ep in _live(observed, targets):
        if not ep.tags_reported:
            changes.append(_unknown_tags(ep))
            continue
        hold = read_hold(ep.tags, at)
        if hold is None:
            changes.append(
                Change(ep.name, ep.namespace, Action.NOOP, live=ep, notes=("not held: nothing to release",))
            )
            continue
        tags = without_hold(ep.tags)
        shown = (
            ", ".join(hold.tags) if isinstance(hold, UnreadableHold) else f"held until {minute_text(hold)}"
        )
        note = f"released ({shown}): the next `endpointctl schedule run` or apply moves it to its schedule's"
        note += " state"
        changes.append(
            Change(
                ep.name,
                ep.namespace,
                Action.UPDATE,
                _retag(ep, tags),
                (Step(StepKind.UPDATE, tags=tags),),
                live=ep,
                notes=(note,),
            )
        )
    return Plan(tuple(changes))


def not_taken(result: ChangeResult, answer: Endpoint | None = None) -> str | None:
    """Why the answer to a done hold's or release's update shows hold tags other than those sent, or None.

    ``answer``: a later reading to judge by, instead of the update's own answer (``ChangeResult.updated``;
    never a later step's, which answers for itself). Whether the real API takes an empty tag list (a
    release of a hold that was the only tag) is unconfirmed: one that ignores it keeps the hold, and a
    release said done would leave the endpoint awake, billing, for up to 7 days. An answer without a tag
    list (``tags_reported``) tells nothing: not a failure, but ``unconfirmed``.
    """
    sent = _sent(result)
    answer = answer or result.updated
    if sent is None or answer is None or not answer.tags_reported:
        return None
    wanted = sorted({tag for tag in sent if is_hold_tag(tag)})
    kept = sorted({tag for tag in answer.tags if is_hold_tag(tag)})  # the same tag twice is one hold
    if kept == wanted:
        return None
    shown = ", ".join(kept) or "none"
    if wanted:
        return f"the API answered the hold with the hold tags {shown}, not {wanted[0]}: the hold was not set"
    empty = " (the list sent was empty: this API may not take an empty tag list)" if not sent else ""
    return (
        f"the API answered the release with the hold tag still on it ({shown}){empty}: the hold was not "
        "removed, and the endpoint stays awake until it ends; remove the tag in the Inference Endpoints UI"
    )


def unconfirmed(result: ChangeResult) -> bool:
    """A done hold or release whose update's answer had no tag list: it tells nothing of whether it took."""
    answer = result.updated
    return _sent(result) is not None and answer is not None and not answer.tags_reported


def _sent(result: ChangeResult) -> tuple[str, ...] | None:
    """The tag list a done update sent; None when no update was done."""
    if StepKind.UPDATE.value not in result.done:
        return None
    return next((s.tags for s in result.change.steps if s.kind is StepKind.UPDATE), None)

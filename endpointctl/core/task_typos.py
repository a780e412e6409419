"""PURE: a plan's changes that would send a task a typo away from a known one, held back.

The API takes any word as a task, so a typo deploys, and its smoke test then has no answer shape to check.
Refused where the task would be sent (``validate`` refuses it offline, with its line): a create or a
replace is blocked; an update sends everything else it carries (a pause or a schedule's resume, other
fields) without the task, and says so. An endpoint deployed with such a task before, whose task a change
does not send, is planned as any other: an upgrade of endpointctl must not stop its pause or its schedule
(``hub_tasks.task_typo``).
"""

from __future__ import annotations

from dataclasses import replace

from endpointctl.core.diff import TASK
from endpointctl.core.hub_tasks import task_typo
from endpointctl.core.plan import LIFECYCLE_ACTIONS, Action, Change, Plan, Step, StepKind


def block_task_typos(plan: Plan, accepted: frozenset[str] = frozenset()) -> Plan:
    """``plan`` with each create or replace whose task is a typo blocked, and such a task left out of
    each update; a task ``accepted`` names is none (``hub_tasks.accepted_tasks``)."""
    return replace(plan, changes=tuple(_held_back_if_typo(change, accepted) for change in plan.changes))


def _held_back_if_typo(change: Change, accepted: frozenset[str]) -> Change:
    d = change.desired
    creates = change.action in (Action.CREATE, Action.REPLACE)
    updates = change.action is Action.UPDATE and any(f.path == TASK for f in change.fields)
    why = task_typo(d.spec.model.task, accepted) if d is not None and (creates or updates) else None
    if d is None or why is None:
        return change
    where = f"spec.model.task at {d.file}:{d.line_of('spec', 'model', 'task')}: {why}"
    if creates:
        # Without the key the endpoint would be created with no task at all: the only fix is the word.
        return replace(change, action=Action.BLOCKED, steps=(), reason=f"{where}; not sent: fix the manifest")
    return _update_without_task(
        change, f"{where}; the task is not sent: fix it, or remove the key to keep the endpoint's own"
    )


def _update_without_task(change: Change, why: str) -> Change:
    """The update's other fields and steps, without the task; blocked when nothing else is left."""
    steps = tuple(step for step in map(_without_task, change.steps) if step is not None)
    if not steps:
        return replace(change, action=Action.BLOCKED, steps=(), reason=why)
    fields = tuple(f for f in change.fields if f.path != TASK)
    sends_update = any(step.kind is StepKind.UPDATE for step in steps)
    action = Action.UPDATE if sends_update else LIFECYCLE_ACTIONS[steps[-1].kind]
    return replace(change, action=action, fields=fields, steps=steps, warnings=(*change.warnings, why))


def _without_task(step: Step) -> Step | None:
    if step.kind is not StepKind.UPDATE or TASK not in step.paths:
        return step
    paths = tuple(path for path in step.paths if path != TASK)
    return replace(step, paths=paths) if paths or step.tags else None

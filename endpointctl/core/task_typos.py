"""PURE: a plan's changes that would send a task a typo away from a known one, blocked.

The API takes any word as a task, so a typo deploys, and its smoke test then has no answer shape to check.
Refused where the task would be sent (``validate`` refuses it offline, with its line); an endpoint
deployed with such a task before, whose task a change does not send, is planned as any other: an upgrade
of endpointctl must not stop its pause or its schedule (``hub_tasks.task_typo``).
"""

from __future__ import annotations

from dataclasses import replace

from endpointctl.core.hub_tasks import task_typo
from endpointctl.core.plan import Action, Change, Plan


def block_task_typos(plan: Plan) -> Plan:
    """``plan`` with each create, replace, or update of the task, whose task is a typo, blocked."""
    return replace(plan, changes=tuple(map(_blocked_if_typo, plan.changes)))


def _blocked_if_typo(change: Change) -> Change:
    d = change.desired
    sends = change.action in (Action.CREATE, Action.REPLACE) or (
        change.action is Action.UPDATE and any(f.path == "model.task" for f in change.fields)
    )
    why = task_typo(d.spec.model.task) if d is not None and sends else None
    if d is None or why is None:
        return change
    reason = f"spec.model.task in {d.file}: {why}; not sent: fix it, or remove the key to leave the task be"
    return Change(change.name, change.namespace, Action.BLOCKED, desired=d, live=change.live, reason=reason)

"""PURE: ``spec.budget`` — a create or update that could cost more than the budget is blocked.

What is checked is the most the endpoint could cost over the coming 30 days once the change is applied:
``maxReplica`` replicas (autoscaling's ceiling) for every hour its schedule runs in those days (every
hour without a schedule, none with ``state: paused``), at the catalog's price. Over the budget, the change
is blocked in the plan with those figures, as the hardware preflight blocks one (``core/preflight.py``):
apply sends nothing for it and exits 1, and the other changes still go ahead. An endpoint left as it is
is never blocked, nor one being paused, resumed or deleted. An unknown price never blocks: the plan says
the budget could not be checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from endpointctl.core import cost, money, projection
from endpointctl.core.endpoint import Hardware
from endpointctl.core.plan import Action, Change, Plan

CHECKED = frozenset({Action.CREATE, Action.UPDATE, Action.REPLACE})


def check(plan: Plan, catalogs: Mapping[str, Sequence[Hardware]], now: datetime) -> Plan:
    """``plan`` with every create or update over its budget blocked; ``now`` starts the 30 days."""
    return replace(
        plan, changes=tuple(_check(change, catalogs.get(change.namespace), now) for change in plan.changes)
    )


def _check(change: Change, rows: Sequence[Hardware] | None, now: datetime) -> Change:
    d = change.desired
    if d is None or d.spec.budget is None or change.action not in CHECKED:
        return change
    limit = d.spec.budget.monthly_usd
    price = cost.price_of(d.spec, rows)
    _, high = cost.replicas_after(change)
    if price is None or high is None:
        unknown = "its price per hour" if price is None else "its maxReplica"
        return replace(change, notes=(*change.notes, f"budget not checked: {unknown} is unknown"))
    seconds, most = projection.coming_max(d.spec, price, high, now)
    figures = (
        f"{money.text(most)} at most in the next {projection.COMING_DAYS} days "
        f"({high} x {money.hours(seconds).normalize():f} h x {money.text(price)}/h)"
    )
    if most <= limit:
        return replace(change, notes=(*change.notes, f"budget: {figures}, within {money.text(limit)}"))
    return replace(
        change,
        action=Action.BLOCKED,
        steps=(),
        reason=f"over budget: {figures} is more than spec.budget.monthlyUSD {money.text(limit)}; "
        "lower maxReplica, schedule it to run fewer hours, or raise spec.budget.monthlyUSD",
    )

"""PURE: what each change of a plan costs per hour, before and after it, from the hardware catalog.

The catalog's ``pricePerHour`` is per replica, so an endpoint costs between ``minReplica`` and
``maxReplica`` times it per hour, the range autoscaling moves in (``minReplica`` may be 0). Decisions:
- A paused endpoint costs 0/h: the service bills no replica while it is paused. A scaled-to-zero one
  costs its ``minReplica..maxReplica`` range, whose floor is 0, because any request wakes it.
- After the change, replicas are the manifest's; what it omits is what the service will have: the
  create defaults (1..1) for a create or replace, 1..1 after a resume (the service resets replicas, and
  the plan says so), else the live endpoint's.
- Unknown stays unknown: a price the catalog omits, hardware it does not list, replicas the API does not
  report, or a namespace whose catalog was not read. Never 0, and never a reason to block.
- A blocked change still shows what it would cost (the figures a budget blocks on); the plan's total
  counts it at its cost before, because apply leaves it as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from endpointctl.core.endpoint import Endpoint, Hardware, Status, name_key, row_of
from endpointctl.core.money import NOTHING, ChangeCost, Hourly
from endpointctl.core.plan import Action, Change, Plan, StepKind
from endpointctl.core.spec import DesiredState, EndpointSpec

CREATE_REPLICAS = 1  # what a create sends for an unset minReplica or maxReplica (hub/requests.py)


def attach(plan: Plan, catalogs: Mapping[str, Sequence[Hardware]]) -> Plan:
    """``plan`` with every change's hourly cost, priced from its namespace's catalog rows."""
    return replace(
        plan, changes=tuple(replace(c, cost=change_cost(c, catalogs.get(c.namespace))) for c in plan.changes)
    )


def change_cost(change: Change, rows: Sequence[Hardware] | None) -> ChangeCost:
    before = None if change.live is None else live_hourly(change.live, rows)
    if change.action is Action.NOOP:
        return ChangeCost(before, before)  # nothing changes, whatever the manifest omits
    if change.desired is None or change.action is Action.DELETE:
        return ChangeCost(before, None)
    low, high = replicas_after(change)
    after = NOTHING if paused_after(change) else Hourly.of(price_of(change.desired.spec, rows), low, high)
    return ChangeCost(before, after)


def live_hourly(live: Endpoint, rows: Sequence[Hardware] | None) -> Hourly:
    if live.status is Status.PAUSED:
        return NOTHING
    row = row_of(live, rows)
    return Hourly.of(None if row is None else row.price_per_hour, live.min_replica, live.max_replica)


def price_of(spec: EndpointSpec, rows: Sequence[Hardware] | None) -> Decimal | None:
    """The catalog's price per replica for the manifest's hardware; None: not listed, or no price."""
    p, c = spec.provider, spec.compute
    where = name_key(p.vendor.value, p.region, c.accelerator.value, c.instance_type, c.instance_size)
    for r in rows or ():
        if name_key(r.vendor, r.region, r.accelerator, r.instance_type, r.instance_size) == where:
            return r.price_per_hour
    return None


def _creates(change: Change) -> bool:
    return change.live is None or change.action is Action.REPLACE


_MOVES = frozenset({StepKind.CREATE, StepKind.RESUME, StepKind.PAUSE, StepKind.SCALE_TO_ZERO})


def paused_after(change: Change) -> bool:
    """Whether the endpoint is paused once the change is applied (it then costs nothing).

    The plan's own steps say it (a manifest's ``state`` and its schedule both become steps); without a
    step that moves it, it keeps its state. A blocked change has no steps: what its manifest asks for.
    """
    assert change.desired is not None
    moves = [step.kind for step in change.steps if step.kind in _MOVES]
    live = change.live
    stays_paused = not _creates(change) and live is not None and live.status is Status.PAUSED
    if moves:
        return moves[-1] is StepKind.PAUSE
    if change.steps:
        return stays_paused  # an update alone: a paused endpoint stays paused
    state = change.desired.spec.state
    return state is DesiredState.PAUSED if state is not None else stays_paused


def replicas_after(change: Change) -> tuple[int | None, int | None]:
    """(minReplica, maxReplica) once the change is applied; None where it is unknown."""
    assert change.desired is not None
    scaling = change.desired.spec.scaling
    low = scaling.min_replica if scaling is not None else None
    high = scaling.max_replica if scaling is not None else None
    live = change.live
    resumed = any(step.kind is StepKind.RESUME for step in change.steps) and (
        live is not None and live.status is Status.PAUSED
    )
    if _creates(change) or resumed or live is None:
        fallback: tuple[int | None, int | None] = (CREATE_REPLICAS, CREATE_REPLICAS)
    else:
        fallback = (live.min_replica, live.max_replica)
    return (fallback[0] if low is None else low, fallback[1] if high is None else high)


@dataclass(frozen=True)
class Total:
    """The plan's hourly cost before and after apply, over every endpoint whose cost is known."""

    before: Hourly
    after: Hourly
    counted: int
    unknown: tuple[str, ...]  # "namespace/name" of endpoints left out: a price or replicas unknown


def total(plan: Plan) -> Total:
    low_b = high_b = low_a = high_a = Decimal(0)
    counted = 0
    unknown: list[str] = []
    for change in plan.changes:
        if change.cost is None:
            continue
        before = change.cost.before or NOTHING
        # A blocked change is left as it is: it still costs what it costs now.
        after = before if change.action is Action.BLOCKED else (change.cost.after or NOTHING)
        if before.low is None or before.high is None or after.low is None or after.high is None:
            unknown.append(f"{change.namespace}/{change.name}")
            continue
        counted += 1
        low_b, high_b = low_b + before.low, high_b + before.high
        low_a, high_a = low_a + after.low, high_a + after.high
    return Total(Hourly(low_b, high_b), Hourly(low_a, high_a), counted, tuple(unknown))

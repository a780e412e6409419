"""Money for people: a change's hourly cost in the plan, the plan's total, and ``cost``'s month table.

JSON and YAML are ``records`` (``cost_record``, ``projection_record``); this is the text. A range is
``$0.067..$0.134/h`` (minReplica..maxReplica replicas running), one figure when both ends agree;
``(none)`` is nothing there (before a create, after a delete), ``unknown`` a price or replica count
nobody reported, never shown as 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from tabulate import tabulate

from endpointctl.core import money
from endpointctl.core.cost import total
from endpointctl.core.money import Hourly
from endpointctl.core.plan import Change, Plan
from endpointctl.core.projection import Projection
from endpointctl.ui.escapes import printable


def hourly_text(hourly: Hourly | None) -> str:
    if hourly is None:
        return "(none)"
    if hourly.low is None or hourly.high is None:
        return "unknown"
    if hourly.low == hourly.high:
        return f"{money.text(hourly.low)}/h"
    return f"{money.text(hourly.low)}..{money.text(hourly.high)}/h"


def change_line(change: Change) -> str | None:
    """The change's ``cost:`` line under its fields, or None when the plan was not priced."""
    if change.cost is None:
        return None
    return f"      cost: {hourly_text(change.cost.before)} -> {hourly_text(change.cost.after)}"


def total_line(plan: Plan) -> str | None:
    """``Cost per hour: before -> after``, over every endpoint of the plan (unchanged ones included)."""
    if all(change.cost is None for change in plan.changes):
        return None
    summed = total(plan)
    line = (
        f"Cost per hour: {hourly_text(summed.before)} -> {hourly_text(summed.after)} "
        f"({summed.counted} endpoint(s), {money.CURRENCY}"
    )
    if summed.unknown:
        line += f"; not counted, cost unknown: {', '.join(summed.unknown)}"
    return line + ")."


def _money(value: Decimal | None) -> str:
    return money.text(value)


def projections(items: Sequence[Projection]) -> str:
    """``cost`` as a table, one row per endpoint and a total row over those whose price is known."""
    if not items:
        return "No endpoints.\n"
    rows: list[list[str]] = [
        [
            f"{p.namespace}/{p.name}",
            f"{p.month} {p.zone}",
            _money(p.price),
            f"{p.replicas} (max {p.max_replicas})",
            f"{money.hours(p.always_on).normalize():f}",
            f"{money.hours(p.scheduled).normalize():f}",
            _money(p.monthly_always_on),
            _money(p.monthly_scheduled),
            _money(p.monthly_max),
            _money(p.saving),
        ]
        for p in items
    ]
    known = [p for p in items if p.price is not None]
    rows.append(
        [
            "TOTAL",
            "",
            "",
            "",
            "",
            "",
            _money(_sum(p.monthly_always_on for p in known)),
            _money(_sum(p.monthly_scheduled for p in known)),
            _money(_sum(p.monthly_max for p in known)),
            _money(_sum(p.saving for p in known)),
        ]
    )
    headers = ["ENDPOINT", "MONTH", "PRICE/H", "REPLICAS", "HOURS", "SCHEDULED", "ALWAYS ON", "SCHEDULED $",
               "MAX $", "SAVING"]  # fmt: skip
    text = tabulate([[printable(c) for c in row] for row in rows], headers=headers, tablefmt="plain") + "\n"
    unknown = [f"{p.namespace}/{p.name}" for p in items if p.price is None]
    if unknown:
        text += f"Price unknown (not in the total): {', '.join(unknown)}.\n"
    return text + f"Amounts in {money.CURRENCY}; SAVING is ALWAYS ON - SCHEDULED $.\n"


def _sum(values: Iterable[Decimal | None]) -> Decimal:
    return sum((v for v in values if v is not None), Decimal(0))

"""``schedule run`` and ``schedule show`` for people (a table) and pipelines (stable JSON/YAML records).

The record keys are only ever added (README, Output): ``schedule run`` gives one record per endpoint
``{name, namespace, desired, before, action, outcome, nextChange, error, notes}``; ``schedule show``
one ``{name, namespace, timezone, transitions: [{at, state}]}``. Instants are ISO-8601 with their offset.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tabulate import tabulate

from endpointctl.core.desired_state import DesiredState
from endpointctl.core.outcomes import ChangeResult
from endpointctl.core.plan import Action
from endpointctl.core.schedule_plan import Coming, ScheduledChange
from endpointctl.core.settings import OutputMode
from endpointctl.ui.render import dump, printable, step_marks

_MOVES = (Action.PAUSE, Action.RESUME, Action.SCALE_TO_ZERO, Action.UPDATE)  # update: scaling restored
Ran = tuple[ScheduledChange, ChangeResult | None]  # None: a dry run


def _instant(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def _change_record(change: tuple[datetime, DesiredState] | None) -> dict[str, str] | None:
    return None if change is None else {"at": _instant(change[0]), "state": change[1].value}


def _outcome(move: ScheduledChange, result: ChangeResult | None) -> str:
    if result is not None:
        return result.outcome.value
    if move.change.action is Action.BLOCKED:
        return "blocked"
    return "planned" if move.change.steps else "unchanged"  # a dry run


def run_record(move: ScheduledChange, result: ChangeResult | None) -> dict[str, Any]:
    change = move.change
    return {
        "name": change.name,
        "namespace": change.namespace,
        "desired": move.wanted.value,
        "before": move.before,  # null: not deployed
        "action": change.action.value if change.action in _MOVES else "none",
        "outcome": _outcome(move, result),
        "nextChange": _change_record(move.next),
        "error": (result.error if result is not None else None) or change.reason,
        "notes": list(change.notes),
    }


def show_record(item: Coming) -> dict[str, Any]:
    return {
        "name": item.name,
        "namespace": item.namespace,
        "timezone": item.zone,
        "transitions": [_change_record(change) for change in item.transitions],
    }


def _table(rows: list[list[str]], headers: list[str]) -> str:
    return (
        tabulate([[printable(cell) for cell in row] for row in rows], headers=headers, tablefmt="plain")
        + "\n"
    )


def _next_text(change: tuple[datetime, DesiredState] | None) -> str:
    return "-" if change is None else f"{change[1].value} at {change[0]:%a %Y-%m-%d %H:%M %Z}"


def run(ran: Sequence[Ran], mode: OutputMode) -> str:
    if mode.structured:
        return dump([run_record(move, result) for move, result in ran], mode)
    if not ran:
        return "No scheduled endpoints.\n"
    rows = []
    for move, result in ran:
        record = run_record(move, result)
        detail = " ".join(
            filter(None, ["; ".join(filter(None, [record["error"], *record["notes"]])), *step_marks(result)])
        )
        rows.append(
            [
                f"{move.change.namespace}/{move.change.name}",
                move.before or "(not deployed)",
                record["desired"],
                record["action"],
                record["outcome"],
                _next_text(move.next),
                detail,
            ]
        )
    headers = ["ENDPOINT", "BEFORE", "DESIRED", "ACTION", "OUTCOME", "NEXT CHANGE", "DETAIL"]
    return _table(rows, headers)


def show(items: Sequence[Coming], mode: OutputMode) -> str:
    if mode.structured:
        return dump([show_record(item) for item in items], mode)
    if not items:
        return "No scheduled endpoints.\n"
    rows: list[list[str]] = []
    for item in items:
        shown = item.name if item.namespace is None else f"{item.namespace}/{item.name}"
        rows.extend([shown, f"{at:%a %Y-%m-%d %H:%M %Z}", state.value] for at, state in item.transitions)
        if not item.transitions:
            rows.append([shown, "-", f"no change in the span ({item.zone})"])
    return _table(rows, ["ENDPOINT", "AT", "STATE"])

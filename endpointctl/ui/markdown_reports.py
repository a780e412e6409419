"""``-o markdown`` for ``cost``, ``schedule run``, ``schedule show``, ``wait``, ``smoke`` and ``hardware``:
a summary line and a table, from the same figures and records as their table mode (``costs``,
``schedules``, ``records``). Text from outside goes through ``markdown.Cells`` (scrubbed, then escaped).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from endpointctl.core import money
from endpointctl.core.desired_state import DesiredState
from endpointctl.core.endpoint import Hardware
from endpointctl.core.outcomes import SmokeResult, WaitReport
from endpointctl.core.projection import Projection
from endpointctl.core.schedule_plan import Coming
from endpointctl.ui import markdown_escape as esc
from endpointctl.ui.markdown import Cells, Scrub, counted, smoke_cell, smoke_summary, wait_summary
from endpointctl.ui.render import elapsed_text, step_marks
from endpointctl.ui.schedules import Ran, run_record

# -- cost -------------------------------------------------------------------------------------------


def _sum(values: Iterable[Decimal | None]) -> Decimal:
    return sum((v for v in values if v is not None), Decimal(0))


def projections(items: Sequence[Projection], *, scrub: Scrub) -> str:
    """``cost``: a month per endpoint, and a total over those whose price is known."""
    cells = Cells(scrub)
    if not items:
        return "**Cost:** no endpoints.\n"
    known = [p for p in items if p.price is not None]
    always, scheduled = _sum(p.monthly_always_on for p in known), _sum(p.monthly_scheduled for p in known)
    most, saving = _sum(p.monthly_max for p in known), _sum(p.saving for p in known)
    months = ", ".join(sorted({str(p.month) for p in items}))
    line = (
        f"**Cost for {cells.text(months)}:** {cells.text(money.text(scheduled))} on schedule "
        f"(always on: {cells.text(money.text(always))}, saving {cells.text(money.text(saving))}), "
        f"up to {cells.text(money.text(most))} at maxReplica; {len(known)} endpoint(s), {money.CURRENCY}."
    )
    unknown = [p for p in items if p.price is None]
    if unknown:
        named = ", ".join(cells.endpoint(p.namespace, p.name) for p in unknown)
        line += f" {len(unknown)} with a price unknown, not in the total: {named}."
    rows = [
        [
            cells.endpoint(p.namespace, p.name),
            cells.text(f"{p.month} {p.zone}"),
            cells.text(money.text(p.price)),
            cells.text(f"{p.replicas} (max {p.max_replicas})"),
            cells.text(f"{money.hours(p.always_on).normalize():f}"),
            cells.text(f"{money.hours(p.scheduled).normalize():f}"),
            cells.text(money.text(p.monthly_always_on)),
            cells.text(money.text(p.monthly_scheduled)),
            cells.text(money.text(p.monthly_max)),
            cells.text(money.text(p.saving)),
        ]
        for p in items
    ]
    figures = [always, scheduled, most, saving]
    rows.append(["**Total**", "", "", "", "", "", *(f"**{cells.text(money.text(v))}**" for v in figures)])
    headers = ["Endpoint", "Month", "Price/h", "Replicas", "Hours", "Scheduled h", "Always on", "Scheduled",
               "Max", "Saving"]  # fmt: skip
    return line + "\n\n" + esc.table(headers, rows)


# -- schedules --------------------------------------------------------------------------------------


def _at(change: tuple[datetime, DesiredState] | None) -> str:
    return "-" if change is None else f"{change[1].value} at {change[0]:%a %Y-%m-%d %H:%M %Z}"


def schedule_run(ran: Sequence[Ran], *, scrub: Scrub) -> str:
    """``schedule run``: per endpoint, the state it was in, the one its schedule holds, what was done."""
    cells = Cells(scrub)
    if not ran:
        return "**Schedule run:** no scheduled endpoints.\n"
    records = [run_record(move, result) for move, result in ran]
    actions = [
        (a, sum(1 for r in records if r["action"] == a))
        for a in ("pause", "resume", "scale-to-zero", "update")
    ]
    outcomes: dict[str, int] = {}
    for r in records:
        outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    moved = counted(actions) if any(n for _, n in actions) else "no move"
    line = (
        f"**Schedule run:** {len(records)} endpoint(s): {moved}; "
        + counted(sorted(outcomes.items()), bold=("failed", "blocked", "interrupted"))
        + "."
    )
    rows = []
    for (move, result), record in zip(ran, records, strict=True):
        detail = "; ".join(filter(None, [record["error"], *record["notes"]]))
        outcome = record["outcome"]
        shown = f"**{cells.text(outcome)}**" if outcome in ("failed", "blocked", "interrupted") else outcome
        rows.append(
            [
                cells.endpoint(move.change.namespace, move.change.name),
                cells.text(move.before or "(not deployed)"),
                cells.text(record["desired"]),
                cells.text(record["action"]),
                shown,
                cells.text(_at(move.next)),
                " ".join(filter(None, [cells.text(detail), *step_marks(result, cells.text)])),
            ]
        )
    headers = ["Endpoint", "Before", "Desired", "Action", "Outcome", "Next change", "Detail"]
    return line + "\n\n" + esc.table(headers, rows)


def schedule_show(items: Sequence[Coming], *, scrub: Scrub) -> str:
    cells = Cells(scrub)
    if not items:
        return "**Schedules:** no scheduled endpoints.\n"
    rows: list[list[str]] = []
    for item in items:
        shown = cells.code(item.name if item.namespace is None else f"{item.namespace}/{item.name}")
        rows += [[shown, cells.text(f"{at:%a %Y-%m-%d %H:%M %Z}"), s.value] for at, s in item.transitions]
        if not item.transitions:
            rows.append([shown, "-", cells.text(f"no change in the span ({item.zone})")])
    count = sum(len(item.transitions) for item in items)
    line = f"**Schedules:** {len(items)} endpoint(s), {count} transition(s)."
    return line + "\n\n" + esc.table(["Endpoint", "At", "State"], rows)


# -- wait, smoke, hardware --------------------------------------------------------------------------


def wait_report(report: WaitReport, *, scrub: Scrub) -> str:
    cells = Cells(scrub)
    rows = [
        [
            cells.endpoint(e.target.namespace, e.target.name),
            e.outcome.value if e.ready else f"**{e.outcome.value}**",
            cells.text(e.status),
            elapsed_text(e.elapsed),
            cells.text(e.message),
        ]
        for e in report.endpoints
    ]
    line = f"**Wait:** {wait_summary(report)}."
    if not rows:  # a selector that matched nothing: said as status and the lifecycle commands say it
        return line + "\n\nNo endpoints.\n"
    return line + "\n\n" + esc.table(["Endpoint", "Outcome", "Status", "Elapsed", "Message"], rows)


def smoke_results(items: Sequence[SmokeResult], *, scrub: Scrub) -> str:
    cells = Cells(scrub)
    if not items:
        return "**Smoke tests:** none.\n\nNo endpoints.\n"  # as status and the other commands say it
    rows = [[cells.endpoint(r.namespace, r.name), smoke_cell(r, cells)] for r in items]
    line = f"**Smoke tests:** {smoke_summary(items)}."
    return line + "\n\n" + esc.table(["Endpoint", "Smoke test"], rows)


def hardware(items: Sequence[Hardware], *, scrub: Scrub) -> str:
    cells = Cells(scrub)
    deployable = sum(1 for h in items if h.deployable)
    line = f"**Hardware:** {len(items)} option(s), {deployable} deployable."
    rows = [
        [
            cells.code(f"{h.vendor}/{h.region}"),
            cells.code(h.accelerator),
            cells.code(f"{h.instance_type} {h.instance_size}"),
            cells.text(h.architecture),
            cells.text("unknown" if h.price_per_hour is None else f"${h.price_per_hour:.3f}"),
            cells.text("-" if h.quota_max is None else f"{h.quota_used}/{h.quota_max}"),
            cells.text(h.status),
            "yes" if h.deployable else "no",
        ]
        for h in items
    ]
    headers = ["Vendor/region", "Accelerator", "Instance", "Architecture", "Price/h", "Quota", "Status"]
    return line + "\n\n" + esc.table([*headers, "Deployable"], rows)


def invoke(status: int, latency_ms: float, body: str, *, scrub: Scrub) -> str:
    """``invoke``: the answer's status and latency, and its body on one line, as inline code."""
    cells = Cells(scrub)
    line = f"**Invoke:** HTTP {status} in {latency_ms:.0f} ms."
    return (
        line
        + "\n\n"
        + esc.table(["HTTP", "Latency", "Body"], [[str(status), f"{latency_ms:.0f} ms", cells.code(body)]])
    )

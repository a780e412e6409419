"""``-o markdown``: a summary line and a table, for a pull request's comment or a CI job summary.

GitHub-flavoured markdown for people reading a review: ``plan`` (what changes, per endpoint, with its
cost, and each endpoint's fields in a ``<details>`` block), ``apply`` and the lifecycle commands (the
results, with what ``--wait`` and ``--smoke`` found), ``status`` (every column, as ``-o wide``). The
other commands' markdown is in ``markdown_reports``. The figures are the table mode's: the plan's own
costs (``costs``), the records' fields; nothing is computed again.

Every piece of text from outside goes through ``Cells``: scrubbed of secrets by the output sink's
redactor, then escaped (``markdown_escape``); the renderer's own markup is the only raw markup. Secret
values never reach ``ui``: secret fields carry names only, shown "(sensitive)". What is destructive or
widens access stands out (⚠️ and bold) in the table itself, never only inside a collapsed block.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from endpointctl.core.cost import total
from endpointctl.core.diff import SENSITIVE, FieldChange
from endpointctl.core.endpoint import Endpoint
from endpointctl.core.money import CURRENCY
from endpointctl.core.outcomes import (
    ChangeOutcome,
    ChangeResult,
    SmokeOutcome,
    SmokeResult,
    WaitOutcome,
    WaitReport,
)
from endpointctl.core.plan import Action, Change, Plan, widened_access
from endpointctl.ui import markdown_escape as esc
from endpointctl.ui.costs import hourly_text
from endpointctl.ui.records import security_text
from endpointctl.ui.render import (
    elapsed_text,
    prune_searched,
    secret_names_text,
    secrets_sent_text,
    step_marks,
)

Scrub = Callable[[str], str]
WARN = "⚠️"
SEP = " · "


@dataclass(frozen=True)
class Cells:
    """Cells of text from outside: scrubbed of secrets (the sink's redactor, ``Output.redactor.scrub``)
    before escaping, which could otherwise split a secret out of the redactor's sight."""

    scrub: Scrub

    def text(self, value: object) -> str:
        return esc.text(self.scrub(str(value)))

    def code(self, value: object) -> str:
        return esc.code(self.scrub(str(value)))

    def endpoint(self, namespace: str, name: str) -> str:
        return self.code(f"{namespace}/{name}")


def counted(counts: Iterable[tuple[str, int]], *, bold: Iterable[str] = ()) -> str:
    """``2 ok, **1 failed**``: each (label, count) that is not 0, in order; those in ``bold`` stand out."""
    loud = set(bold)
    shown = [f"**{n} {label}**" if label in loud else f"{n} {label}" for label, n in counts if n]
    return ", ".join(shown) if shown else "nothing"


# -- plans ------------------------------------------------------------------------------------------

_ACTION = {
    Action.CREATE: "create",
    Action.UPDATE: "update in place",
    Action.REPLACE: f"{WARN} **replace**",
    Action.DELETE: f"{WARN} **delete**",
    Action.PAUSE: "pause",
    Action.RESUME: "resume",
    Action.SCALE_TO_ZERO: "scale-to-zero",
    Action.NOOP: "unchanged",
    Action.BLOCKED: "⛔ **blocked**",
}
# Where a create says what it deploys: the model, on which hardware.
_CREATE_WHAT = ("model.repository",)
_CREATE_WHERE = ("provider.vendor", "provider.region", "compute.instanceType", "compute.instanceSize")


def _value(value: Any) -> str:
    if value is None:
        return "(unset)"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _listed(change: Change) -> bool:
    """In the table: every change, and an unchanged endpoint only with something to say about it."""
    return change.action is not Action.NOOP or bool(change.notes or change.warnings)


def _creating(change: Change) -> bool:
    # A create the preflight blocked is still shown as what it would create (as the table does).
    return change.action is Action.CREATE or (change.action is Action.BLOCKED and change.live is None)


def _plan_summary(p: Plan, cells: Cells) -> str:
    counts = {action: sum(1 for c in p.changes if c.action is action) for action in Action}
    widening = sum(1 for c in p.changes if widened_access(c) is not None)
    if p.has_changes:
        parts = [f"{counts[Action.CREATE]} to create", f"{counts[Action.UPDATE]} to update"]
        for action, label in ((Action.REPLACE, "to replace"), (Action.DELETE, "to delete")):
            n = counts[action]
            parts.append(f"**{n} {label}**" if n else f"0 {label}")
        moves = (
            (Action.PAUSE, "to pause"),
            (Action.RESUME, "to resume"),
            (Action.SCALE_TO_ZERO, "to scale to zero"),
        )
        parts += [f"{counts[a]} {label}" for a, label in moves if counts[a]]
        if counts[Action.BLOCKED]:
            parts.append(f"⛔ **{counts[Action.BLOCKED]} blocked**")
        if widening:
            parts.append(f"{WARN} **{widening} widen{'s' if widening == 1 else ''} access**")
        parts.append(f"{counts[Action.NOOP]} unchanged")
        line = "**Plan:** " + ", ".join(parts) + "."
    else:
        line = f"**No changes.** {counts[Action.NOOP]} endpoint(s) up to date."
    if any(c.cost is not None for c in p.changes):
        summed = total(p)
        money = f"{hourly_text(summed.before)} → {hourly_text(summed.after)}"
        line += f" **Cost per hour:** {cells.text(money)} ({summed.counted} endpoint(s), {CURRENCY}"
        if summed.unknown:
            line += "; not counted, cost unknown: " + ", ".join(cells.code(u) for u in summed.unknown)
        line += ")."
    return line


def _what_changes(change: Change, cells: Cells) -> str:
    if change.action is Action.DELETE:
        return "the whole endpoint"
    if _creating(change):
        after = {f.path: f.after for f in change.fields}
        what = " ".join(str(after[p]) for p in _CREATE_WHAT if after.get(p) is not None)
        vendor, region, itype, size = (after.get(p) for p in _CREATE_WHERE)
        place = f"{vendor}/{region}" if vendor is not None and region is not None else None
        where = " ".join(str(v) for v in (place, itype, size) if v is not None)
        shown = cells.code(what) + (f" on {cells.code(where)}" if where else "")
        return f"new: {shown}" if what or where else "new endpoint"
    paths = []
    for f in change.fields:
        path = cells.code(f.path)
        paths.append(f"{path} ({WARN} **forces replacement**)" if f.forces_replace else path)
    return ", ".join(paths) if paths else "—"


def _cost(change: Change, cells: Cells) -> str:
    if change.cost is None:
        return ""
    return cells.text(f"{hourly_text(change.cost.before)} → {hourly_text(change.cost.after)}")


def _notes(change: Change, cells: Cells) -> str:
    lines: list[str] = []
    if change.action is Action.BLOCKED and change.reason:
        lines.append(f"⛔ **blocked:** {cells.text(change.reason)}")
    elif change.action in (Action.REPLACE, Action.DELETE) and change.reason:
        lines.append(f"**why:** {cells.text(change.reason)}")
    widened = widened_access(change) is not None
    for note in change.notes:
        if widened and note.startswith("widens access"):
            lines.append(f"{WARN} **{cells.text(note)}**")
        else:
            lines.append(cells.text(note))
    lines += [f"{WARN} warning: {cells.text(w)}" for w in change.warnings]
    return "<br>".join(lines)


def _field_row(f: FieldChange, creating: bool, cells: Cells) -> list[str]:
    field = cells.code(f.path)
    if f.sensitive:
        if creating:
            return [field, cells.code(", ".join(f"{name}={SENSITIVE}" for name in f.after or []))]
        before, after = secret_names_text(f.before), secret_names_text(f.after)
        return [f"{field} ({secrets_sent_text(f)})", cells.code(before), cells.code(after)]
    if creating:
        return [field, cells.code(_value(f.after))]
    if f.forces_replace:
        field += f" {WARN} **forces replacement**"
    return [field, cells.code(_value(f.before)), cells.code(_value(f.after))]


def _details(change: Change, cells: Cells) -> str:
    creating = _creating(change)
    rows = [_field_row(f, creating, cells) for f in change.fields]
    n = len(rows)
    # Inside an HTML block, where markdown's ** would show as it is.
    action = _ACTION[change.action].replace("**", "")
    summary = f"{action} {cells.endpoint(change.namespace, change.name)}: {n} field(s)"
    return (
        f"<details><summary>{summary}</summary>\n\n"
        + esc.table(["Field", "Value"] if creating else ["Field", "From", "To"], rows)
        + "\n</details>\n"
    )


def plan(p: Plan, files: Sequence[str] = (), *, scrub: Scrub) -> str:
    """The plan: a summary line, a table of the changes, then each endpoint's fields (collapsed)."""
    cells = Cells(scrub)
    parts = [_plan_summary(p, cells) + "\n"]
    listed = [c for c in p.changes if _listed(c)]
    if listed:
        rows = [
            [
                _ACTION[c.action],
                cells.endpoint(c.namespace, c.name),
                _what_changes(c, cells),
                _cost(c, cells),
                _notes(c, cells),
            ]
            for c in listed
        ]
        parts.append(esc.table(["Action", "Endpoint", "Changes", "Cost per hour", "Notes"], rows))
    parts += [_details(c, cells) for c in listed if c.fields]
    if p.prune is not None:
        parts.append(prune_searched(p.prune, quote=cells.code) + "\n")
    if files:
        read = ", ".join(cells.code(f) for f in files)
        parts.append(f"Read {len(files)} manifest file(s), each in full (hidden entries skipped): {read}\n")
    return "\n".join(parts)


# -- results of apply, pause, resume, scale-to-zero, delete -----------------------------------------

_OUTCOME = {
    ChangeOutcome.OK: "✅ ok",
    ChangeOutcome.UNCHANGED: "unchanged",
    ChangeOutcome.FAILED: "❌ **failed**",
    ChangeOutcome.BLOCKED: "⛔ **blocked**",
    ChangeOutcome.INTERRUPTED: f"{WARN} **interrupted**",
}
_VERDICT = {SmokeOutcome.PASS: "✅ pass", SmokeOutcome.FAIL: "❌ **fail**", SmokeOutcome.SKIPPED: "skipped"}


def smoke_cell(r: SmokeResult, cells: Cells) -> str:
    parts = [_VERDICT[r.outcome]]
    if r.status is not None:
        parts.append(f"HTTP {r.status}")
    if r.latency_ms is not None:
        parts.append(f"{r.latency_ms:.0f} ms")
    reason = "; ".join(filter(None, [r.reason, *r.notes]))
    return SEP.join(parts) + (f": {cells.text(reason)}" if reason else "")


def smoke_summary(items: Sequence[SmokeResult]) -> str:
    n = {v: sum(1 for r in items if r.outcome is v) for v in SmokeOutcome}
    return (
        f"{n[SmokeOutcome.PASS]} passed, "
        + (f"**{n[SmokeOutcome.FAIL]} failed**" if n[SmokeOutcome.FAIL] else "0 failed")
        + f", {n[SmokeOutcome.SKIPPED]} skipped"
    )


def wait_summary(report: WaitReport) -> str:
    counts = [(o.value, sum(1 for e in report.endpoints if e.outcome is o)) for o in WaitOutcome]
    return counted(counts, bold=("failed", "timeout", "interrupted"))


def results(
    items: Sequence[ChangeResult],
    *,
    scrub: Scrub,
    waited: WaitReport | None = None,
    smoked: Sequence[SmokeResult] | None = None,
    held: Mapping[tuple[str, str], str | None] | None = None,
) -> str:
    """One row per endpoint: what was done, how it ended, and (``apply --wait/--smoke``) how the wait
    and the smoke test went; (``schedule hold/release``) until when it is held."""
    cells = Cells(scrub)
    counts = [(o.value, sum(1 for r in items if r.outcome is o)) for o in ChangeOutcome]
    line = "**Applied:** " + counted(counts, bold=("failed", "blocked", "interrupted"))
    headers = ["Endpoint", "Action", "Outcome", "State", "Detail"]
    waits = {(e.target.namespace, e.target.name): e for e in waited.endpoints} if waited else {}
    smokes = {(r.namespace, r.name): r for r in smoked or ()}
    if waited is not None:
        line += f"{SEP}**Wait:** {wait_summary(waited)}"
        headers.append("Wait")
    if smoked is not None:
        line += f"{SEP}**Smoke tests:** {smoke_summary(smoked)}"
        headers.append("Smoke test")
    if held is not None:
        headers.append("Held until")
    rows = []
    for r in items:
        key = (r.change.namespace, r.change.name)
        detail = r.error or "; ".join(r.change.notes) or ""
        shown = " ".join(filter(None, [cells.text(detail), *step_marks(r, cells.text)]))
        e = waits.get(key)
        # After a wait, the state it saw last; else the one the change's answer reported.
        state = e.status if e is not None else r.endpoint.shown_state if r.endpoint else ""
        row = [
            cells.endpoint(*key),
            cells.text(r.change.action.value),
            _OUTCOME[r.outcome],
            cells.code(state),
            shown.strip(),
        ]
        if waited is not None:
            if e is None:
                row.append("—")
            elif e.ready:
                row.append(f"✅ ready in {elapsed_text(e.elapsed)}")
            else:
                message = cells.text(f"{e.status}: {e.message}" if e.message else e.status)
                row.append(f"❌ **{e.outcome.value}** after {elapsed_text(e.elapsed)}: {message}")
        if smoked is not None:
            s = smokes.get(key)
            row.append("—" if s is None else smoke_cell(s, cells))
        if held is not None:
            until = held.get(key)
            row.append("—" if until is None else cells.code(until))
        rows.append(row)
    if not rows:
        return line + "\n\nNo endpoints.\n"
    return line + "\n\n" + esc.table(headers, rows)


# -- status -----------------------------------------------------------------------------------------


def _known(value: object) -> str:
    return "?" if value is None else str(value)


def endpoints(items: Sequence[Endpoint], *, scrub: Scrub) -> str:
    """``status``: every column of ``-o wide`` and the API's message, sorted by namespace and name."""
    cells = Cells(scrub)
    if not items:
        return "**0 endpoints.**\n\nNo endpoints.\n"
    states: dict[str, int] = {}
    for ep in items:
        states[ep.shown_state] = states.get(ep.shown_state, 0) + 1
    by_state = ", ".join(f"{n} {cells.text(state)}" for state, n in sorted(states.items()))
    line = f"**{len(items)} endpoint(s):** {by_state}."
    rows = [
        [
            cells.code(ep.name),
            cells.code(ep.namespace),
            cells.text(ep.shown_state),
            cells.code(ep.url or "-"),
            cells.code(_known(ep.repository)),
            cells.code(_known(ep.revision)),
            cells.code(
                f"{_known(ep.vendor)}/{_known(ep.region)} "
                + " ".join(map(_known, (ep.accelerator, ep.instance_type, ep.instance_size)))
            ),
            cells.text(f"{_known(ep.ready_replica)}/{_known(ep.min_replica)}-{_known(ep.max_replica)}"),
            cells.text(security_text(ep) + (" +privatelink" if ep.private_link else "")),
            cells.text(ep.message),
        ]
        for ep in sorted(items, key=lambda ep: (ep.namespace, ep.name))
    ]
    headers = ["Name", "Namespace", "State", "URL", "Model", "Revision", "Instance", "Ready/Min-Max"]
    return line + "\n\n" + esc.table([*headers, "Security", "Message"], rows)

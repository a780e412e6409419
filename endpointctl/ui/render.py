"""Plans, endpoints, results, waits, smoke tests and hardware as a table, JSON or YAML.

Tables are for people and may change; JSON and YAML are lists of ``records`` and are stable (README,
"Output"). Secret values never reach this module; secret fields carry names only, shown "(sensitive)".

Text for people shows control characters and lone surrogates as escapes (``escapes.printable``): names,
messages and values come from the API, and an ESC sequence in one would otherwise drive the reader's
terminal (retitle it, hide a line, rewrite what was printed). JSON and YAML escape them too, in their own
notation, so they still carry the value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from tabulate import tabulate

from endpointctl.core.diff import SENSITIVE, FieldChange
from endpointctl.core.endpoint import Endpoint, Hardware
from endpointctl.core.errors import ManifestIssue
from endpointctl.core.invisible import INVISIBLE, TAGS
from endpointctl.core.outcomes import ChangeOutcome, ChangeResult, SmokeOutcome, SmokeResult, WaitReport
from endpointctl.core.plan import Action, Plan, PruneScope
from endpointctl.core.settings import OutputMode
from endpointctl.ui import costs, yaml_output
from endpointctl.ui.escapes import printable as printable  # tables' cells, and callers' text
from endpointctl.ui.fit import TABLE_WIDTH, columns, fit
from endpointctl.ui.records import (
    change_record,
    endpoint_record,
    hardware_record,
    hold_marker,
    manifest_issue_record,
    result_record,
    security_text,
    smoke_record,
    wait_record,
)


def _table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    cells = [[printable(cell) if isinstance(cell, str) else cell for cell in row] for row in rows]
    return tabulate(cells, headers=list(headers), tablefmt="plain") + "\n"


# What json.dumps leaves raw with ensure_ascii=False (JSON requires escaping C0 only): DEL and C1, where
# 0x9b starts a sequence, and lone surrogates, which no UTF-8 stream can write (\ud83d reads back as one).
# json.dumps escapes C0 itself; DEL, C1, the invisible characters and lone surrogates are left to us.
_JSON_RAW_CONTROL = re.compile(f"[\x7f-\x9f{INVISIBLE}{TAGS}\ud800-\udfff]")


def _json_escape(match: re.Match[str]) -> str:
    """The matched character as JSON's escape: ``\\uXXXX``, a surrogate pair of them beyond the Basic
    Multilingual Plane (a tag character), which a JSON reader joins back into the character."""
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def dump(data: Any, mode: OutputMode) -> str:
    if mode is OutputMode.JSON:
        # Outside strings JSON is ASCII, so these can only be inside one: escaping keeps the value.
        text = json.dumps(data, indent=2, ensure_ascii=False)
        # "##[" only ever stands in a string here, where "\\u0023" is "#": GitHub's runner reads it as a
        # workflow command anywhere in a line.
        return _JSON_RAW_CONTROL.sub(_json_escape, text).replace("##[", "\\u0023#[") + "\n"
    return yaml_output.dump(data)


# -- endpoints --------------------------------------------------------------------------------------


def _known(value: object) -> str:
    """A value the API reported, or "?" where its answer left it out (unknown, not empty)."""
    return "?" if value is None else str(value)


_NARROW_HEADERS = ("NAME", "STATE", "HOST", "MODEL", "INSTANCE", "READY/MIN-MAX", "SECURITY")
_NARROW_URL, _NARROW_MODEL, _NARROW_INSTANCE = 2, 3, 4


def _replicas(ep: Endpoint) -> str:
    return f"{_known(ep.ready_replica)}/{_known(ep.min_replica)}-{_known(ep.max_replica)}"


def endpoints(items: Sequence[Endpoint], mode: OutputMode, *, at: datetime, width: int = TABLE_WIDTH) -> str:
    """``table``: what an operator scans, in at most ``width`` columns (the terminal's; ``TABLE_WIDTH`` at
    least, for names of up to 32 characters, the service's limit: the URL's host, the instance as type and
    size, the security type without PrivateLink; long values cut with "…" only to fit); ``wide``: every
    column in full. Both are sorted by namespace and name; JSON and YAML keep the API's order. ``at``:
    now, for whether a hold still lasts."""
    if mode.structured:
        return dump([endpoint_record(ep, at) for ep in items], mode)
    if not items:
        return "No endpoints.\n"
    ordered = sorted(items, key=lambda ep: (ep.namespace, ep.name))
    if mode is OutputMode.WIDE:
        wide = [
            [
                ep.name,
                ep.namespace,
                ep.shown_state + hold_marker(ep, at),
                ep.url or "-",
                _known(ep.repository),
                _known(ep.revision),
                f"{_known(ep.vendor)}/{_known(ep.region)} "
                + " ".join(map(_known, (ep.accelerator, ep.instance_type, ep.instance_size))),
                _replicas(ep),
                security_text(ep) + (" +privatelink" if ep.private_link else ""),
            ]
            for ep in ordered
        ]
        headers = ["NAME", "NAMESPACE", "STATE", "URL", "MODEL", "REVISION", "INSTANCE", "READY/MIN-MAX"]
        return _table(wide, [*headers, "SECURITY"])
    rows = [
        [
            printable(cell)
            for cell in (
                ep.name,
                ep.shown_state,
                (urlsplit(ep.url).netloc or ep.url) if ep.url else "-",
                _known(ep.repository),
                f"{_known(ep.instance_type)} {_known(ep.instance_size)}",
                _replicas(ep),
                security_text(ep),
            )
        ]
        for ep in ordered
    ]
    flexible = {_NARROW_URL: 6, _NARROW_MODEL: 8, _NARROW_INSTANCE: 8}
    # The model says what an endpoint is; the host, which endpoint it is, once a few characters are seen.
    fit(rows, _NARROW_HEADERS, flexible, width, keep_end=_NARROW_MODEL, yields={_NARROW_URL: 6})
    return columns(rows, _NARROW_HEADERS)


# -- plans ------------------------------------------------------------------------------------------

_SYMBOL = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.REPLACE: "-/+",
    Action.DELETE: "-",
    Action.PAUSE: "~",
    Action.RESUME: "~",
    Action.SCALE_TO_ZERO: "~",
    Action.NOOP: "=",
    Action.BLOCKED: "!",
}


def _show(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def secret_names_text(names: list[str] | None) -> str:
    """One side of a change to secrets: their names, each "(sensitive)" (values never reach ui); None is
    names the API did not report, never shown as none."""
    if names is None:
        return "(names not reported)"
    return "[" + ", ".join(f"{name}={SENSITIVE}" for name in names) + "]"


def secrets_sent_text(change: FieldChange) -> str:
    """What an update of secrets sends: the values again, or none at all (every secret removed)."""
    return "values are write-only; sent again" if change.after else "every secret removed"


def _field_line(change: FieldChange, creating: bool) -> str:
    if change.sensitive:
        if creating:
            return f"      {change.path}: " + ", ".join(f"{name}={SENSITIVE}" for name in change.after or [])
        before, after = secret_names_text(change.before), secret_names_text(change.after)
        return f"      {change.path}: {before} -> {after} ({secrets_sent_text(change)})"
    if creating:
        return f"      {change.path}: {_show(change.after)}"
    suffix = "  # forces replacement" if change.forces_replace else ""
    return f"      {change.path}: {_show(change.before)} -> {_show(change.after)}{suffix}"


PRUNE_SEARCHED = "--prune searched {namespaces} for stack {stack}"
PRUNE_ELSEWHERE = (
    "the manifests' namespaces and the default one; the stack's endpoints in any other namespace are not "
    "seen, so not pruned"
)


def prune_searched(scope: PruneScope, quote: Callable[[str], str] = repr) -> str:
    """Where a prune looked, for people: the table's line, markdown's (``quote`` as code) and, with
    ``-o json`` or ``yaml`` (whose stdout is a bare list of changes), stderr's."""
    where = ", ".join(quote(ns) for ns in scope.namespaces)
    noun = "namespace" if len(scope.namespaces) == 1 else "namespaces"
    searched = PRUNE_SEARCHED.format(namespaces=f"{noun} {where}", stack=quote(scope.stack))
    return f"{searched} ({PRUNE_ELSEWHERE})."


def plan(p: Plan, mode: OutputMode, files: Sequence[str] = ()) -> str:
    """The plan; ``files``, when given (with --prune), are the manifest files it was made from."""
    if mode.structured:
        # An unchanged endpoint is listed only when there is something to say about it (a state that
        # endpointctl does not know, deprecated hardware), so that a plan with nothing to do or say stays [].
        return dump(
            [change_record(c) for c in p.changes if c.action is not Action.NOOP or c.notes or c.warnings],
            mode,
        )
    lines: list[str] = []
    counts: dict[Action, int] = {}
    for change in p.changes:
        counts[change.action] = counts.get(change.action, 0) + 1
        if change.action is Action.NOOP:
            lines.extend(f"= {change.namespace}/{change.name}: {note}" for note in change.notes)
            continue
        header = f"{_SYMBOL[change.action]} {change.action.value} {change.namespace}/{change.name}"
        if change.action is Action.UPDATE:
            header += " (in place)"
        if change.action is Action.DELETE and change.reason:
            header += f" ({change.reason})"
        lines.append(header)
        # A create the preflight blocked is still shown as what it would create.
        creating = change.action is Action.CREATE or (change.action is Action.BLOCKED and change.live is None)
        lines.extend(_field_line(f, creating) for f in change.fields)
        if change.action is Action.BLOCKED and change.reason:
            lines.append(f"      blocked: {change.reason}")
        elif change.action is Action.REPLACE and change.reason:
            lines.append(f"      why: {change.reason}")
        lines.extend(f"      note: {note}" for note in change.notes)
        cost_line = costs.change_line(change)
        if cost_line is not None:
            lines.append(cost_line)
    if not p.has_changes:
        lines.append(f"No changes. {counts.get(Action.NOOP, 0)} endpoint(s) up to date.")
    else:
        summary = ", ".join(
            f"{n} {action.value}" for action, n in counts.items() if action is not Action.NOOP
        )
        lines.append(f"Plan: {summary}; {counts.get(Action.NOOP, 0)} unchanged.")
    total_line = costs.total_line(p)
    if total_line is not None:
        lines.append(total_line)
    if p.prune is not None:
        lines.append(prune_searched(p.prune))
    if files:
        # What a prune was measured against: an endpoint no file here names is one it deletes.
        read = ", ".join(files)
        lines.append(f"Read {len(files)} manifest file(s), each in full (hidden entries skipped): {read}")
    return "\n".join(printable(line) for line in lines) + "\n"


# -- apply results ----------------------------------------------------------------------------------


def results(
    items: Sequence[ChangeResult],
    mode: OutputMode,
    extra: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
) -> str:
    """One record per endpoint; ``extra`` adds keys per endpoint (``wait``, ``smoke`` from apply)."""
    if mode.structured:
        more = extra or {}
        return dump(
            [{**result_record(r), **more.get((r.change.namespace, r.change.name), {})} for r in items], mode
        )
    rows = []
    for r in items:
        waited = (extra or {}).get((r.change.namespace, r.change.name), {}).get("wait")
        # A change done whose wait then failed or timed out read "create ok" alone on stdout (the wait's
        # error on stderr): the row says it too.
        unready = ""
        if waited and not waited["ready"]:
            seen = "" if waited["status"] == waited["outcome"] else f": {waited['status']}"
            unready = f"(wait {waited['outcome']}{seen})"
        detail = " ".join(filter(None, [r.error or "; ".join(r.change.notes), *step_marks(r), unready]))
        rows.append([r.change.name, r.change.namespace, r.change.action.value, r.outcome.value, detail])
    return _table(rows, ["NAME", "NAMESPACE", "ACTION", "OUTCOME", "DETAIL"])


def step_marks(r: ChangeResult | None, show: Callable[[str], str] = str) -> list[str]:
    """The steps whose outcome is unknown and those surely not done, each as a mark after a change's
    detail (apply's and schedule run's tables and markdown; ``show`` escapes the steps for markdown);
    none for a change that went through, or a dry run's (None)."""
    if r is None:
        return []
    marks = [f"(unknown whether done: {show(', '.join(r.unknown))})"] if r.unknown else []
    if r.surely_not_done and r.outcome is not ChangeOutcome.OK:
        marks.append(f"(not done: {show(', '.join(r.surely_not_done))})")
    return marks


# -- hardware ---------------------------------------------------------------------------------------


def hardware(items: Sequence[Hardware], mode: OutputMode) -> str:
    if mode.structured:
        return dump([hardware_record(h) for h in items], mode)
    rows = [
        [
            h.vendor,
            h.region,
            h.accelerator,
            h.instance_type,
            h.instance_size,
            h.architecture,
            "unknown" if h.price_per_hour is None else f"${h.price_per_hour:.3f}",
            "-" if h.quota_max is None else f"{h.quota_used}/{h.quota_max}",
            h.status,
            "yes" if h.deployable else "no",
        ]
        for h in items
    ]
    headers = [
        "VENDOR",
        "REGION",
        "ACC",
        "TYPE",
        "SIZE",
        "ARCHITECTURE",
        "PRICE/H",
        "QUOTA",
        "STATUS",
        "DEPLOYABLE",
    ]
    return _table(rows, headers)


# -- smoke tests ------------------------------------------------------------------------------------


def smoke_results(items: Sequence[SmokeResult], mode: OutputMode) -> str:
    if mode.structured:
        return dump([smoke_record(r) for r in items], mode)
    if not items:
        return "No smoke tests.\n"
    rows = [
        [
            f"{r.namespace}/{r.name}",
            "-" if r.status is None else r.status,
            "-" if r.latency_ms is None else f"{r.latency_ms:.0f} ms",
            r.outcome.value.upper(),
            "; ".join([r.reason, *r.notes]),
        ]
        for r in items
    ]
    counts = {v: sum(1 for r in items if r.outcome is v) for v in SmokeOutcome}
    summary = (
        f"{counts[SmokeOutcome.PASS]} passed, {counts[SmokeOutcome.FAIL]} failed, "
        f"{counts[SmokeOutcome.SKIPPED]} skipped.\n"
    )
    headers = ["ENDPOINT", "HTTP", "LATENCY", "VERDICT", "REASON"]
    return _table(rows, headers) + summary


# -- waits ------------------------------------------------------------------------------------------


def elapsed_text(seconds: float) -> str:
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def wait_report(report: WaitReport, mode: OutputMode) -> str:
    """A wait's result for stdout: a table, or one JSON/YAML record per endpoint."""
    if mode.structured:
        return dump([wait_record(e) for e in report.endpoints], mode)
    rows = [
        [e.target.name, e.target.namespace, e.outcome.value, e.status, elapsed_text(e.elapsed), e.message]
        for e in report.endpoints
    ]
    headers = ["NAME", "NAMESPACE", "OUTCOME", "STATUS", "ELAPSED", "MESSAGE"]
    return _table(rows, headers)


# -- manifest problems ------------------------------------------------------------------------------


def manifest_issues(issues: Sequence[ManifestIssue], mode: OutputMode) -> str:
    """``-o json|yaml``: every manifest problem as ``{file, line, path, message}``, for CI to annotate."""
    return dump([manifest_issue_record(issue) for issue in issues], mode)


def plan_warnings(p: Plan) -> list[str]:
    """One line per warning of the plan's changes (stderr), each naming its endpoint."""
    return [f"{c.namespace}/{c.name}: {warning}" for c in p.changes for warning in c.warnings]

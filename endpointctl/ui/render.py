"""PURE: plans, endpoints, apply results and hardware as a table, JSON or YAML.

JSON and YAML are stable, documented interfaces (README, "Output"): keys are only ever added.
Secret values never reach this module; secret fields carry names only and show as "(sensitive)".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import yaml
from tabulate import tabulate

from endpointctl.core.diff import FieldChange
from endpointctl.core.models import Endpoint, Hardware
from endpointctl.core.outcomes import Result
from endpointctl.core.plan import Action, Change, Plan
from endpointctl.dataplane.checks import SmokeResult

SENSITIVE = "(sensitive)"


class Mode(StrEnum):
    TABLE = "table"
    JSON = "json"
    YAML = "yaml"


def dump(data: Any, mode: Mode) -> str:
    if mode is Mode.JSON:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


# -- endpoints --------------------------------------------------------------------------------------


def _security(ep: Endpoint) -> str:
    return ep.security.value if ep.security else "unknown"


def endpoint_record(ep: Endpoint) -> dict[str, Any]:
    return {
        "name": ep.name,
        "namespace": ep.namespace,
        "status": ep.status.value,
        "url": ep.url,
        "security": _security(ep),
        "privateLink": {"accountId": ep.private_link.account_id, "region": ep.private_link.region}
        if ep.private_link
        else None,
        "model": ep.repository,
        "revision": ep.revision,
        "task": ep.task,
        "vendor": ep.vendor,
        "region": ep.region,
        "accelerator": ep.accelerator,
        "instanceType": ep.instance_type,
        "instanceSize": ep.instance_size,
        "minReplica": ep.min_replica,
        "maxReplica": ep.max_replica,
        "readyReplica": ep.ready_replica,
        "targetReplica": ep.target_replica,
        "labels": ep.labels,
        "managed": ep.managed,
        "stack": ep.stack,
        "message": ep.message,
        "createdAt": ep.created_at,
        "updatedAt": ep.updated_at,
    }


def endpoints(items: Sequence[Endpoint], mode: Mode) -> str:
    if mode is not Mode.TABLE:
        return dump([endpoint_record(ep) for ep in items], mode)
    if not items:
        return "No endpoints.\n"
    rows = [
        [
            ep.name,
            ep.namespace,
            ep.status.value,
            ep.url or "-",
            ep.repository,
            f"{ep.vendor}/{ep.region} {ep.accelerator} {ep.instance_type} {ep.instance_size}",
            f"{ep.ready_replica}/{ep.min_replica}-{ep.max_replica}",
            _security(ep) + (" +privatelink" if ep.private_link else ""),
        ]
        for ep in items
    ]
    headers = ["NAME", "NAMESPACE", "STATE", "URL", "MODEL", "INSTANCE", "REPLICAS", "SECURITY"]
    return tabulate(rows, headers=headers, tablefmt="plain") + "\n"


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


def _field_record(change: FieldChange) -> dict[str, Any]:
    return {
        "path": change.path,
        "before": change.before,
        "after": change.after,
        "replace": change.forces_replace,
        "sensitive": change.sensitive,
    }


def change_record(change: Change) -> dict[str, Any]:
    return {
        "name": change.name,
        "namespace": change.namespace,
        "action": change.action.value,
        "fields": [_field_record(f) for f in change.fields],
        "steps": [step.kind.value for step in change.steps],
        "reason": change.reason,
        "notes": list(change.notes),
    }


def _show(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _field_line(change: FieldChange, creating: bool) -> str:
    if change.sensitive:
        after = ", ".join(f"{name}={SENSITIVE}" for name in change.after or [])
        before = ", ".join(f"{name}={SENSITIVE}" for name in change.before or [])
        if creating:
            return f"      {change.path}: {after}"
        return f"      {change.path}: [{before}] -> [{after}] (values are write-only; sent again)"
    if creating:
        return f"      {change.path}: {_show(change.after)}"
    suffix = "  # forces replacement" if change.forces_replace else ""
    return f"      {change.path}: {_show(change.before)} -> {_show(change.after)}{suffix}"


def plan(p: Plan, mode: Mode) -> str:
    if mode is not Mode.TABLE:
        return dump([change_record(c) for c in p.changes if c.action is not Action.NOOP], mode)
    lines: list[str] = []
    counts: dict[Action, int] = {}
    for change in p.changes:
        counts[change.action] = counts.get(change.action, 0) + 1
        if change.action is Action.NOOP:
            continue
        header = f"{_SYMBOL[change.action]} {change.action.value} {change.namespace}/{change.name}"
        if change.action is Action.UPDATE:
            header += " (in place)"
        if change.action is Action.DELETE and change.reason:
            header += f" ({change.reason})"
        lines.append(header)
        creating = change.action is Action.CREATE
        lines.extend(_field_line(f, creating) for f in change.fields)
        if change.action is Action.BLOCKED and change.reason:
            lines.append(f"      blocked: {change.reason}")
        elif change.action is Action.REPLACE and change.reason:
            lines.append(f"      why: {change.reason}")
        lines.extend(f"      note: {note}" for note in change.notes)
    if not p.has_changes:
        lines.append(f"No changes. {counts.get(Action.NOOP, 0)} endpoint(s) up to date.")
    else:
        summary = ", ".join(
            f"{n} {action.value}" for action, n in counts.items() if action is not Action.NOOP
        )
        lines.append(f"Plan: {summary}; {counts.get(Action.NOOP, 0)} unchanged.")
    return "\n".join(lines) + "\n"


# -- apply results ----------------------------------------------------------------------------------


def result_record(result: Result) -> dict[str, Any]:
    ep = result.endpoint
    return {
        "name": result.change.name,
        "namespace": result.change.namespace,
        "action": result.change.action.value,
        "outcome": result.outcome.value,
        "done": result.done,
        "notDone": result.not_done,
        "error": result.error,
        "status": ep.status.value if ep else None,
        "url": ep.url if ep else None,
        "notes": list(result.change.notes),
    }


def results(
    items: Sequence[Result], mode: Mode, extra: Mapping[tuple[str, str], Mapping[str, Any]] | None = None
) -> str:
    """One record per endpoint; ``extra`` adds keys per endpoint (``wait``, ``smoke`` from apply)."""
    if mode is not Mode.TABLE:
        more = extra or {}
        return dump(
            [{**result_record(r), **more.get((r.change.namespace, r.change.name), {})} for r in items], mode
        )
    rows = []
    for r in items:
        detail = r.error or "; ".join(r.change.notes) or ""
        if r.not_done and r.outcome.value != "ok":
            detail += f" (not done: {', '.join(r.not_done)})"
        rows.append(
            [r.change.name, r.change.namespace, r.change.action.value, r.outcome.value, detail.strip()]
        )
    return (
        tabulate(rows, headers=["NAME", "NAMESPACE", "ACTION", "OUTCOME", "DETAIL"], tablefmt="plain") + "\n"
    )


# -- hardware ---------------------------------------------------------------------------------------


def hardware_record(hw: Hardware) -> dict[str, Any]:
    return {
        "vendor": hw.vendor,
        "region": hw.region,
        "accelerator": hw.accelerator,
        "instanceType": hw.instance_type,
        "instanceSize": hw.instance_size,
        "architecture": hw.architecture,
        "numAccelerators": hw.num_accelerators,
        "memoryGb": hw.memory_gb,
        "gpuMemoryGb": hw.gpu_memory_gb,
        "pricePerHour": hw.price_per_hour,
        "status": hw.status,
        "quota": {"max": hw.quota_max, "used": hw.quota_used},
        "deployable": hw.deployable,
    }


def hardware(items: Sequence[Hardware], mode: Mode) -> str:
    if mode is not Mode.TABLE:
        return dump([hardware_record(h) for h in items], mode)
    rows = [
        [
            h.vendor,
            h.region,
            h.accelerator,
            h.instance_type,
            h.instance_size,
            h.architecture,
            f"${h.price_per_hour:.3f}",
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
    return tabulate(rows, headers=headers, tablefmt="plain") + "\n"


# -- smoke tests ------------------------------------------------------------------------------------


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def smoke_record(result: SmokeResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "namespace": result.namespace,
        "url": result.url,
        "verdict": result.verdict.value,
        "status": result.status,
        "latencyMs": _rounded(result.latency_ms, 1),
        "reason": result.reason,
        "attempts": result.attempts,
        "coldStartSeconds": _rounded(result.cold_start_seconds, 3),
        "notes": list(result.notes),
    }


def smoke_results(items: Sequence[SmokeResult], mode: Mode) -> str:
    if mode is not Mode.TABLE:
        return dump([smoke_record(r) for r in items], mode)
    if not items:
        return "No smoke tests.\n"
    rows = [
        [
            f"{r.namespace}/{r.name}",
            "-" if r.status is None else r.status,
            "-" if r.latency_ms is None else f"{r.latency_ms:.0f} ms",
            r.verdict.value.upper(),
            "; ".join([r.reason, *r.notes]),
        ]
        for r in items
    ]
    counts = {v: sum(1 for r in items if r.verdict.value == v) for v in ("pass", "fail", "skipped")}
    summary = f"{counts['pass']} passed, {counts['fail']} failed, {counts['skipped']} skipped.\n"
    headers = ["ENDPOINT", "HTTP", "LATENCY", "VERDICT", "REASON"]
    return tabulate(rows, headers=headers, tablefmt="plain") + "\n" + summary

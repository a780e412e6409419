"""The JSON and YAML record shapes the README promises are stable: keys are only ever added.

Every ``-o json`` / ``-o yaml`` output is a list of these records. Secret values never reach this
module; secret fields carry names only and are marked ``sensitive``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from endpointctl.core import money
from endpointctl.core.diff import FieldChange
from endpointctl.core.endpoint import Endpoint, Hardware
from endpointctl.core.errors import ManifestIssue
from endpointctl.core.hold_tag import UnreadableHold, minute_text, read_hold
from endpointctl.core.money import ChangeCost, Hourly
from endpointctl.core.outcomes import ChangeResult, EndpointWait, SmokeResult, WaitReport
from endpointctl.core.plan import Change, widened_access
from endpointctl.core.projection import Projection
from endpointctl.core.spec import LEGACY_TYPES, Desired


def security_text(ep: Endpoint) -> str:
    """The level, or a legacy type as it came (its level today is unconfirmed), else "unknown"."""
    if ep.security is not None:
        return ep.security.value
    # Only a legacy type is shown by name: it is one of a known few, never text the API made up.
    return f"{ep.reported_type} (legacy)" if ep.reported_type in LEGACY_TYPES else "unknown"


def held_until(ep: Endpoint, at: datetime) -> str | None:
    """Until when ``schedule hold`` keeps it awake, in ISO 8601 UTC, while that lasts at ``at``; None
    without a hold, after it ended, or with hold tags that cannot be read (``-o wide`` says which)."""
    hold = read_hold(ep.tags, at)
    if hold is None or isinstance(hold, UnreadableHold) or hold <= at:
        return None
    return hold.isoformat()


def hold_marker(ep: Endpoint, at: datetime) -> str:
    """``-o wide``'s mark beside the state: `` (held until 2026-03-24T08:00Z)`` while the hold lasts at
    ``at``, or an unreadable hold."""
    hold = read_hold(ep.tags, at)
    if hold is None:
        return ""
    if isinstance(hold, UnreadableHold):
        return f" (hold unreadable: {hold.why})"
    return f" (held until {minute_text(hold)})" if hold > at else ""


def endpoint_record(ep: Endpoint, at: datetime) -> dict[str, Any]:
    """``at``: the instant the listing is shown at, for whether a hold still lasts."""
    return {
        "name": ep.name,
        "namespace": ep.namespace,
        "status": ep.shown_state,
        "url": ep.url,
        "security": security_text(ep),
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
        "heldUntil": held_until(ep, at),
    }


def _field_record(change: FieldChange) -> dict[str, Any]:
    return {
        "path": change.path,
        "before": change.before,
        "after": change.after,
        "replace": change.forces_replace,
        "sensitive": change.sensitive,
    }


def _widening_record(change: Change) -> dict[str, str] | None:
    widened = widened_access(change)
    return None if widened is None else {"from": widened[0].value, "to": widened[1].value}


def change_record(change: Change) -> dict[str, Any]:
    return {
        "name": change.name,
        "namespace": change.namespace,
        "action": change.action.value,
        "fields": [_field_record(f) for f in change.fields],
        "steps": [step.kind.value for step in change.steps],
        "reason": change.reason,
        "notes": list(change.notes),
        # Set when the change lets more callers in (private -> protected -> public), for CI to gate on.
        "widensAccess": _widening_record(change),
        "source": change.desired.source if change.desired is not None else None,  # file:line of its manifest
        "warnings": list(change.warnings),  # e.g. it runs on deprecated hardware (the preflight)
        "cost": cost_record(change.cost),  # per hour; null where the plan was not priced
    }


def amount(value: Decimal | None) -> int | float | None:
    """Money as a JSON number with the digits it has (0.067 stays 0.067); null: unknown, never 0."""
    if value is None:
        return None
    # Up to 15 significant digits a float writes back exactly as it was given: prices and cents fit.
    return int(value) if value == value.to_integral_value() else float(value)


def _range_record(hourly: Hourly | None) -> dict[str, Any] | None:
    return None if hourly is None else {"min": amount(hourly.low), "max": amount(hourly.high)}


def cost_record(cost: ChangeCost | None) -> dict[str, Any] | None:
    """``{currency, before: {min, max}, after: {min, max}}`` per hour: ``before`` null for a create,
    ``after`` null for a delete, ``min``/``max`` null where the price or the replicas are unknown."""
    if cost is None:
        return None
    before, after = _range_record(cost.before), _range_record(cost.after)
    return {"currency": cost.currency, "before": before, "after": after}


def projection_record(p: Projection) -> dict[str, Any]:
    """``cost``: one endpoint's month; money null where its price is unknown."""
    return {
        "name": p.name,
        "namespace": p.namespace,
        "month": str(p.month),
        "timezone": p.zone,
        "pricePerHour": amount(p.price),
        "replicas": p.replicas,
        "maxReplicas": p.max_replicas,
        "hoursAlwaysOn": amount(money.hours(p.always_on)),
        "hoursScheduled": amount(money.hours(p.scheduled)),
        "monthlyAlwaysOn": amount(p.monthly_always_on),
        "monthlyScheduled": amount(p.monthly_scheduled),
        "monthlyMax": amount(p.monthly_max),
        "saving": amount(p.saving),
        "currency": money.CURRENCY,
    }


def result_record(result: ChangeResult) -> dict[str, Any]:
    ep = result.endpoint
    return {
        "name": result.change.name,
        "namespace": result.change.namespace,
        "action": result.change.action.value,
        "outcome": result.outcome.value,
        "done": result.done,
        "notDone": result.not_done,
        "error": result.error,
        "status": ep.shown_state if ep else None,
        "url": ep.url if ep else None,
        "notes": list(result.change.notes),
    }


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
        "pricePerHour": amount(hw.price_per_hour),
        "status": hw.status,
        "quota": {"max": hw.quota_max, "used": hw.quota_used},
        "deployable": hw.deployable,
    }


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def smoke_record(result: SmokeResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "namespace": result.namespace,
        "url": result.url,
        "verdict": result.outcome.value,
        "status": result.status,
        "latencyMs": _rounded(result.latency_ms, 1),
        "reason": result.reason,
        "attempts": result.attempts,
        "coldStartSeconds": _rounded(result.cold_start_seconds, 3),
        "notes": list(result.notes),
    }


def wait_record(e: EndpointWait) -> dict[str, Any]:
    return {
        "name": e.target.name,
        "namespace": e.target.namespace,
        "ready": e.ready,
        "status": e.status,
        "message": e.message,
        "healthChecked": e.health_checked,
        "elapsedSeconds": round(e.elapsed, 1),
        "outcome": e.outcome.value,
        "hint": e.hint,
        # Failed, update-failed or timed out: the endpoint's last log lines (scrubbed), or why there are none.
        "logs": list(e.logs.lines) if e.logs is not None and e.logs.unavailable is None else None,
        "logsUnavailable": e.logs.unavailable if e.logs is not None else None,
    }


def manifest_issue_record(issue: ManifestIssue) -> dict[str, Any]:
    """One manifest problem for CI to annotate: ``line`` is null where none applies, ``path`` "" for the
    file or document as a whole."""
    return {"file": issue.file, "line": issue.line, "path": issue.path, "message": issue.message}


def validated_record(d: Desired, namespace: str | None) -> dict[str, Any]:
    """``validate -o json``: a manifest that passed, and where it is."""
    return {"name": d.name, "namespace": d.manifest.metadata.namespace or namespace, "source": d.source}


def invoke_record(status: int, latency_ms: float, body: Any) -> dict[str, Any]:
    """``invoke -o json``: the answer of one request (``body`` is its JSON, or its text)."""
    return {"status": status, "latencyMs": round(latency_ms, 1), "body": body}


def follow_up_records(
    waited: WaitReport | None, smoked: list[SmokeResult] | None
) -> dict[tuple[str, str], dict[str, Any]]:
    """``apply --wait/--smoke``: the ``wait`` and ``smoke`` keys each apply record gains, by endpoint."""
    extra: dict[tuple[str, str], dict[str, Any]] = {}
    for e in waited.endpoints if waited is not None else ():
        extra[(e.target.namespace, e.target.name)] = {"wait": wait_record(e)}
    for result in smoked or ():
        extra.setdefault((result.namespace, result.name), {})["smoke"] = smoke_record(result)
    return extra

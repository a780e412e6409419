"""The JSON/YAML record shapes the README documents (Output): every key, for every kind of record.

Keys are only ever added: a key removed or renamed here breaks every pipeline that reads it.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

from builders import desired, live

from endpointctl.core.diff import FieldChange
from endpointctl.core.endpoint import Hardware
from endpointctl.core.money import ChangeCost, Hourly
from endpointctl.core.outcomes import (
    ChangeOutcome,
    ChangeResult,
    EndpointWait,
    SmokeOutcome,
    SmokeResult,
    WaitOutcome,
)
from endpointctl.core.plan import Action, Change
from endpointctl.core.projection import Month, Projection
from endpointctl.core.readiness import WaitTarget
from endpointctl.ui import records

AT = datetime(2026, 3, 23, 20, 0, tzinfo=UTC)  # the instant listings are shown at


def test_status_records() -> None:
    assert set(records.endpoint_record(live(), AT)) == {
        "name", "namespace", "status", "url", "security", "privateLink", "model", "revision", "task",
        "vendor", "region", "accelerator", "instanceType", "instanceSize", "minReplica", "maxReplica",
        "readyReplica", "targetReplica", "labels", "managed", "stack", "message", "createdAt", "updatedAt",
        "heldUntil",
    }  # fmt: skip


def test_plan_records() -> None:
    change = Change("a", "acme", Action.UPDATE, fields=(FieldChange("model.task", "x", "y"),))
    record = records.change_record(change)
    assert set(record) == {
        "name", "namespace", "action", "fields", "steps", "reason", "notes", "source", "warnings",
        "widensAccess", "cost",
    }  # fmt: skip
    assert set(record["fields"][0]) == {"path", "before", "after", "replace", "sensitive"}
    priced = dataclasses.replace(change, cost=ChangeCost(Hourly(Decimal("0.067"), Decimal("0.134")), None))
    assert records.change_record(priced)["cost"] == {
        "currency": "USD", "before": {"min": 0.067, "max": 0.134}, "after": None,
    }  # fmt: skip


def test_cost_records() -> None:
    month = Projection("a", "acme", Month(2026, 10), "UTC", Decimal("0.5"), 1, 2, 745 * 3600, 745 * 3600)
    assert set(records.projection_record(month)) == {
        "name", "namespace", "month", "timezone", "pricePerHour", "replicas", "maxReplicas", "hoursAlwaysOn",
        "hoursScheduled", "monthlyAlwaysOn", "monthlyScheduled", "monthlyMax", "saving", "currency",
    }  # fmt: skip


def test_apply_records() -> None:
    result = ChangeResult(Change("a", "acme", Action.CREATE, desired=desired()), ChangeOutcome.OK)
    assert set(records.result_record(result)) == {
        "name", "namespace", "action", "outcome", "done", "notDone", "error", "status", "url", "notes",
    }  # fmt: skip


def test_wait_records() -> None:
    waited = EndpointWait(WaitTarget("acme", "a"), WaitOutcome.READY, "running", "ok", None, True, 1.0, None)
    assert set(records.wait_record(waited)) == {
        "name", "namespace", "ready", "status", "message", "healthChecked", "elapsedSeconds", "outcome",
        "hint", "logs", "logsUnavailable",
    }  # fmt: skip


def test_smoke_records() -> None:
    smoked = SmokeResult("a", "acme", SmokeOutcome.PASS, "HTTP 200")
    assert set(records.smoke_record(smoked)) == {
        "name", "namespace", "url", "verdict", "status", "latencyMs", "reason", "attempts",
        "coldStartSeconds", "notes",
    }  # fmt: skip
    assert records.smoke_record(smoked)["verdict"] == "pass"


def test_hardware_records() -> None:
    usd = Decimal("0.03")
    row = Hardware("aws", "us-east-1", "cpu", "intel-spr", "x1", "x86", 1, 2.0, None, usd, "available", 4, 1)
    assert set(records.hardware_record(row)) == {
        "vendor", "region", "accelerator", "instanceType", "instanceSize", "architecture", "numAccelerators",
        "memoryGb", "gpuMemoryGb", "pricePerHour", "status", "quota", "deployable",
    }  # fmt: skip

"""Manifests, catalog edits and instants shared by the money tests (plans, `cost`, budgets)."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from endpointctl.sandbox import ManualClock, Request, Response
from endpointctl.sandbox.transport import Handler

HARDWARE = "GET /v2/provider/{namespace}"
LIST = "GET /v2/endpoint/{namespace}"
CREATE = "POST /v2/endpoint/{namespace}"
UPDATE = "PUT /v2/endpoint/{namespace}/{name}"
DELETE = "DELETE /v2/endpoint/{namespace}/{name}"
# Sandbox catalog prices per replica per hour (sandbox/catalog.py).
L4 = "0.8"  # aws us-east-1 nvidia-l4 x1
SPR_X2 = "0.067"  # aws us-east-1 intel-spr x2
SPR_X1 = "0.034"  # aws us-east-1 intel-spr x1


def manifest(
    name: str,
    *,
    instance: str = "nvidia-l4 x1",
    min_replica: int | None = 1,
    max_replica: int | None = 2,
    namespace: str | None = None,
    state: str | None = None,
    budget: str | None = None,
    schedule: list[str] | None = None,
    team: str | None = None,
) -> str:
    itype, size = instance.split()
    accelerator = "cpu" if itype.startswith("intel") else "gpu"
    scaling = {k: v for k, v in (("minReplica", min_replica), ("maxReplica", max_replica)) if v is not None}
    lines = [
        "apiVersion: endpointctl/v1",
        "kind: InferenceEndpoint",
        "metadata:",
        f"  name: {name}",
        *([f"  namespace: {namespace}"] if namespace else []),
        *([f"  labels: {{team: {team}}}"] if team else []),
        "spec:",
        "  model: {repository: openai-community/gpt2, task: text-generation}",
        "  provider: {vendor: aws, region: us-east-1}",
        f"  compute: {{accelerator: {accelerator}, instanceType: {itype}, instanceSize: {size}}}",
        *([f"  scaling: {json.dumps(scaling)}"] if scaling else []),
        *([f"  state: {state}"] if state else []),
        *(["  budget:", f"    monthlyUSD: {budget}"] if budget is not None else []),
        *(schedule or []),
    ]
    return "\n".join(lines) + "\n"


def berlin(*windows: str, extra: tuple[str, ...] = ()) -> list[str]:
    """A ``spec.schedule`` block in Europe/Berlin, for ``manifest(schedule=...)``."""
    return [
        "  schedule:",
        "    timezone: Europe/Berlin",
        f"    running: {json.dumps(list(windows))}",
        *(f"    {line}" for line in extra),
    ]


def write(directory: pathlib.Path, **docs: str) -> str:
    directory.mkdir(exist_ok=True)
    for stem, text in docs.items():
        (directory / f"{stem}.yaml").write_text(text)
    return str(directory)


def line_of(path: pathlib.Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def by_name(stdout: str) -> dict[str, dict[str, Any]]:
    return {record["name"]: record for record in json.loads(stdout)}


def set_clock(clock: ManualClock, instant: datetime) -> None:
    """Move the shared clock forward to ``instant`` (a clock never goes back)."""
    clock.advance(instant.astimezone(UTC).timestamp() - clock.now())


def edit_catalog(edit: Callable[[dict[str, Any]], None]) -> Callable[[Request, Handler], Response]:
    """Sandbox middleware: the catalog answer with ``edit`` applied to every compute row."""

    def middleware(request: Request, call_next: Handler) -> Response:
        response = call_next(request)
        if request.route == HARDWARE and response.status == 200:
            doc = json.loads(response.body)
            for vendor in doc["vendors"]:
                for region in vendor["regions"]:
                    for compute in region["computes"]:
                        edit(compute)
            response.body = json.dumps(doc).encode()
        return response

    return middleware


def no_price_for(instance_type: str, *, null: bool = False) -> Callable[[Request, Handler], Response]:
    """The catalog without a price (absent, or null) for every row of ``instance_type``."""

    def edit(compute: dict[str, Any]) -> None:
        if compute["instanceType"] == instance_type:
            if null:
                compute["pricePerHour"] = None
            else:
                compute.pop("pricePerHour", None)

    return edit_catalog(edit)

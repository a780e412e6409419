"""The benchmark's side of the sandbox: API latency, and what was asked of the API, when, how much at once.

A ``Meter`` is one sandbox middleware (``Sandbox.add_middleware``), added last so it runs outermost: every
counted request first waits ``latency`` seconds (the server's latency: what a round trip to the real API
costs), then runs the route. It logs each request (arrival, answer, route, namespace, status, and the
route's own time, i.e. the sandbox's CPU) and tracks how many requests of each namespace are in flight.
The latency is an attribute, so seeding can run without it.
"""

from __future__ import annotations

import copy
import json
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from endpointctl.sandbox import Request, Response, Sandbox, SandboxConfig
from endpointctl.sandbox.faults import FaultConfig
from endpointctl.sandbox.store import Record

LIST = "GET /v2/endpoint/{namespace}"
GET_ONE = "GET /v2/endpoint/{namespace}/{name}"
CREATE = "POST /v2/endpoint/{namespace}"
WHOAMI = "GET /api/whoami-v2"
CATALOG = "GET /v2/provider/{namespace}"
HEALTH = "GET /endpoints/{namespace}/{name}/health"

# Short names for the routes, as the table shows them.
ROUTE_NAMES = {
    LIST: "list",
    GET_ONE: "get",
    CREATE: "create",
    WHOAMI: "whoami",
    CATALOG: "catalog",
    HEALTH: "health",
}


@dataclass(frozen=True)
class Call:
    start: float  # time.time() when the request reached the sandbox
    end: float  # when its answer was ready
    route: str  # "METHOD /template" ("" when no route matched)
    path: str
    namespace: str | None
    name: str | None  # the endpoint's: from the path, or a create's body
    status: int
    handler_seconds: float  # the route's own time, latency excluded


class Meter:
    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._inflight: Counter[str] = Counter()
        self._peak: Counter[str] = Counter()

    def __call__(self, request: Request, call_next: Callable[[Request], Response]) -> Response:
        start = time.time()
        namespace = request.params.get("namespace")
        key = namespace or "-"
        with self._lock:
            self._inflight[key] += 1
            self._peak[key] = max(self._peak[key], self._inflight[key])
        try:
            if self.latency > 0:
                time.sleep(self.latency)  # the server's latency, not a wait in a test
            began = time.perf_counter()
            response = call_next(request)
            handled = time.perf_counter() - began
        finally:
            with self._lock:
                self._inflight[key] -= 1
        call = Call(
            start=start,
            end=time.time(),
            route=request.route,
            path=f"{request.method} {request.path}",
            namespace=namespace,
            name=request.params.get("name") or _created_name(request),
            status=response.status,
            handler_seconds=handled,
        )
        with self._lock:
            self._calls.append(call)
        return response

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._peak.clear()

    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def peak_inflight(self) -> dict[str, int]:
        """The most requests of each namespace in flight at once since the last reset."""
        with self._lock:
            return {ns: n for ns, n in self._peak.items() if ns != "-"}


def _created_name(request: Request) -> str | None:
    if request.route != CREATE:
        return None
    try:
        name = json.loads(request.body).get("name")
    except (ValueError, AttributeError):
        return None
    return name if isinstance(name, str) else None


def route_counts(calls: Iterable[Call]) -> dict[str, int]:
    """Requests by short route name (``list``, ``create``, ...); unnamed routes by their key."""
    counts: Counter[str] = Counter(ROUTE_NAMES.get(c.route, c.route or f"unmatched {c.path}") for c in calls)
    return dict(sorted(counts.items()))


def start_sandbox(
    directory: Path, phases: dict[str, float], faults: FaultConfig | None = None
) -> tuple[Sandbox, Meter]:
    """A sandbox on a free loopback port, metered; faults (if any) run inside the meter's latency."""
    directory.mkdir(parents=True, exist_ok=True)
    sandbox = Sandbox(SandboxConfig(db_path=directory / "sandbox.sqlite", phases=phases, faults=faults))
    meter = Meter()
    sandbox.add_middleware(meter)  # added last: outermost
    sandbox.start()
    return sandbox, meter


def create(sandbox: Sandbox, namespace: str, name: str, token: str, min_replica: int = 1) -> None:
    """One GPT-2 CPU endpoint, created through the API (POST /v2/endpoint/{namespace})."""
    body = {
        "name": name,
        "type": "private",
        "provider": {"vendor": "aws", "region": "us-east-1"},
        "compute": {
            "accelerator": "cpu",
            "instanceType": "intel-spr",
            "instanceSize": "x1",
            "scaling": {"minReplica": min_replica, "maxReplica": 1},
        },
        "model": {
            "repository": "openai-community/gpt2",
            "framework": "pytorch",
            "task": "text-generation",
            "image": {"huggingface": {}},
        },
    }
    request = urllib.request.Request(
        f"{sandbox.url}/v2/endpoint/{namespace}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()


def record(sandbox: Sandbox, namespace: str, name: str) -> Record:
    """One stored endpoint record.

    The sandbox has no public way to read or seed its store, so this reaches into ``Sandbox._store``.
    """
    found = sandbox._store.get(namespace, name)  # private: see the docstring
    if found is None:
        raise LookupError(f"{namespace}/{name} is not in the sandbox")
    return found


def clone(
    sandbox: Sandbox,
    template: Record,
    names: Iterable[tuple[str, str]],
    *,
    phase_at: Callable[[int], float] | None = None,
) -> int:
    """Store a copy of ``template`` under each (namespace, name), in one transaction; returns how many.

    Quicker than 1000 creates through the API, and not bound by the sandbox's quota (32 CPU
    accelerators per namespace), which 1000 live endpoints are far over. ``phase_at(i)`` sets when the
    i-th one was created (its lifecycle runs from then); default: now.
    """
    store = sandbox._store  # private: no public seeding API (see record())
    count = 0
    now = time.time()
    with store.transaction():
        for i, (namespace, name) in enumerate(names):
            spec: dict[str, Any] = copy.deepcopy(template.spec)
            spec["name"] = name
            at = phase_at(i) if phase_at is not None else now
            store.insert(
                Record(
                    namespace=namespace,
                    name=name,
                    spec=spec,
                    created_at=at,
                    updated_at=at,
                    created_by=template.created_by,
                    updated_by=template.updated_by,
                    phase=template.phase,
                    phase_at=at,
                )
            )
            count += 1
    return count

"""What an endpoint's containers print as its lifecycle moves, and the replicas it runs.

Lines are written when something happens: a create, an update, a pause, a resume, a scale-to-zero, a
cold start, a request served. A deployment's course is known when it starts (the lifecycle is a function
of the clock), so the lines it will print (image pulled, model loading, ready, or the failure's cause,
read from ``lifecycle.evaluate`` at the moment it fails) are written then, dated ahead; the logs routes
show only what is dated up to now, and an action that changes the course removes what was not printed
yet. The idle scale-to-zero happens lazily too: its lines are shown from the moment it happens, and
written for good by the next action.

Replica IDs are derived from the deployment (the endpoint and when its phase began), so the replica list
and the lines name the same replicas. Like a careless image, a container prints its environment when it
starts, secret values included: what a client must mask, not the emulator.
"""

from __future__ import annotations

import hashlib
from typing import Any

from . import lifecycle
from .context import Context
from .lifecycle import Observed
from .store import Record
from .transport import Request, Response
from .views import health_route, rfc3339

Line = tuple[float, str | None, str]  # (at, replica, text)

SERVING_PHASES = frozenset({lifecycle.DEPLOY, lifecycle.WAKE, lifecycle.UPDATE})
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # as Kubernetes names its pods
_REPLICA_STATUS = {
    "pending": "pending",
    "initializing": "initializing",
    "updating": "initializing",
    "running": "running",
    "failed": "failed",
    "updateFailed": "failed",
}


def _digest(text: str) -> bytes:
    return hashlib.sha1(text.encode()).digest()


def replica_ids(record: Record, count: int) -> list[str]:
    """The IDs of the deployment's replicas: ``{name}-{deployment}-{replica}``."""
    deployment = _digest(f"{record.namespace}/{record.name}/{record.phase_at!r}").hex()[:5]
    ids = []
    for index in range(count):
        suffix = "".join(_ALPHABET[b % len(_ALPHABET)] for b in _digest(f"{deployment}/{index}")[:5])
        ids.append(f"{record.name}-{deployment}-{suffix}")
    return ids


def _count(ctx: Context, record: Record) -> int:
    """How many replicas the record's deployment starts (0 for a paused or scaled-to-zero one)."""
    if record.phase not in SERVING_PHASES:
        return 0
    return lifecycle.evaluate(record, record.phase_at, ctx.config.phases).target_replica


def _replicas_now(ctx: Context, record: Record, observed: Observed) -> list[str]:
    if observed.state in ("paused", "scaledToZero"):
        return []
    return replica_ids(record, _count(ctx, record))


def _image(spec: dict[str, Any]) -> str:
    image = spec["model"].get("image") or {}
    for variant, settings in image.items():
        url = settings.get("url") if isinstance(settings, dict) else None
        return f"image {url} ({variant})" if url else f"the {variant} image"
    return "the huggingface image"


def _port(spec: dict[str, Any]) -> int:
    for settings in (spec["model"].get("image") or {}).values():
        if isinstance(settings, dict) and isinstance(settings.get("port"), int):
            return int(settings["port"])
    return 80


def _environment(spec: dict[str, Any]) -> str:
    model = spec["model"]
    env = {**(model.get("env") or {}), **(model.get("secrets") or {})}
    return " ".join(f"{key}={value}" for key, value in sorted(env.items())) or "(empty)"


def _course(ctx: Context, record: Record) -> list[Line]:
    """The lines the deployment that starts at ``record.phase_at`` prints, each dated when it will."""
    phases = ctx.config.phases
    t0 = record.phase_at
    if record.phase == lifecycle.DEPLOY:
        start = t0 + phases.get("pending", 0.0)
        ready_at = start + phases.get("initializing", 0.0)
    elif record.phase == lifecycle.WAKE:
        start, ready_at = t0, t0 + phases.get("initializing", 0.0)
    elif record.phase == lifecycle.UPDATE:
        start, ready_at = t0, t0 + phases.get("updating", 0.0)
    else:
        return []
    spec = record.spec
    provider, compute, model = spec["provider"], spec["compute"], spec["model"]
    outcome = lifecycle.evaluate(record, ready_at, phases)
    loading = start + (ready_at - start) / 2
    first = {
        lifecycle.DEPLOY: f"INFO Scheduling the replica on {provider['vendor']} {provider['region']} "
        f"{compute['instanceType']} {compute['instanceSize']}",
        lifecycle.WAKE: "INFO Scaling up from zero: a request arrived",
        lifecycle.UPDATE: "INFO Rolling out the updated configuration",
    }[record.phase]
    lines: list[Line] = []
    for replica in replica_ids(record, _count(ctx, record)):
        lines += [
            (t0, replica, first),
            (start, replica, f"INFO Pulling {_image(spec)}"),
            (start, replica, f"INFO Starting the container with environment: {_environment(spec)}"),
            (
                loading,
                replica,
                f"INFO Loading model {model['repository']} at revision {model.get('revision') or 'main'}"
                f" (task {model.get('task') or 'unknown'})",
            ),
        ]
        if outcome.error_message:
            lines += [
                (ready_at, replica, f"ERROR {outcome.error_message}"),
                (ready_at, replica, "ERROR The container exited with code 1"),
            ]
        else:
            lines += [
                (ready_at, replica, f"INFO Model loaded; serving on port {_port(spec)}"),
                (
                    ready_at,
                    replica,
                    f"INFO Health route {health_route(spec)} answered 200: the replica is ready",
                ),
            ]
    return lines


def _idle_stop(ctx: Context, record: Record, observed: Observed) -> list[Line]:
    """Scaled to zero by idleness (lazily, no action recorded it): its replicas stopping, when it happened."""
    if observed.state != "scaledToZero" or record.phase == lifecycle.SCALED_TO_ZERO:
        return []
    minutes = lifecycle.scaling(record).get("scaleToZeroTimeout") or lifecycle.DEFAULT_SCALE_TO_ZERO_MINUTES
    text = f"INFO Stopping: no request for {minutes} minutes, scaling to zero"
    return [(observed.since, replica, text) for replica in replica_ids(record, _count(ctx, record))]


def shown_ahead(ctx: Context, record: Record, observed: Observed) -> list[Line]:
    """Lines no action has written yet but that have happened: an idle scale-to-zero."""
    return _idle_stop(ctx, record, observed)


def _write(ctx: Context, record: Record, lines: list[Line]) -> None:
    if lines:
        ctx.store.add_logs(record.namespace, record.name, sorted(lines, key=lambda line: line[0]))


def created(ctx: Context, record: Record) -> None:
    _write(ctx, record, _course(ctx, record))


def changed(ctx: Context, before: Record, observed: Observed, after: Record) -> None:
    """An action moved ``before`` (as ``observed`` then) to ``after``, now."""
    now = ctx.now()
    ctx.store.drop_logs(after.namespace, after.name, after=now)  # a course that will not happen now
    lines = _idle_stop(ctx, before, observed)
    stopping = _replicas_now(ctx, before, observed)
    if (after.phase, after.phase_at) != (before.phase, before.phase_at):
        if after.phase in (lifecycle.PAUSED, lifecycle.SCALED_TO_ZERO):
            why = "the endpoint was paused" if after.phase == lifecycle.PAUSED else "scaled to zero"
            lines += [(now, replica, f"INFO Stopping: {why}") for replica in stopping]
            lines += [] if stopping else [(now, None, f"INFO No replica was running: {why}")]
        lines += _course(ctx, after)
    elif after.spec != before.spec:
        text = "INFO Configuration updated; no redeploy needed"
        lines += [(now, replica, text) for replica in stopping] or [(now, None, text)]
    _write(ctx, after, lines)


def served(ctx: Context, record: Record, request: Request, response: Response) -> Response:
    """A request a replica answered: one access-log line on one of the replicas serving."""
    observed = ctx.observe(record)
    replicas: list[str | None] = [*_replicas_now(ctx, record, observed)] or [None]
    pick = replicas[
        int.from_bytes(_digest(f"{ctx.now()!r}/{request.path}/{request.body!r}")[:4]) % len(replicas)
    ]
    path = request.path.split(f"/{record.namespace}/{record.name}", 1)[-1] or "/"
    line = f'INFO "{request.method} {path} HTTP/1.1" {response.status}'
    _write(ctx, record, [(ctx.now(), pick, line)])
    return response


def replica_docs(ctx: Context, record: Record, observed: Observed) -> list[dict[str, Any]]:
    """``GET .../replica``: one entry per replica of the current deployment."""
    status = _REPLICA_STATUS.get(observed.state)
    if status is None:
        return []
    spec = record.spec
    provider, compute = spec["provider"], spec["compute"]
    docs = []
    for replica in _replicas_now(ctx, record, observed):
        doc: dict[str, Any] = {
            "id": replica,
            "status": status,
            "createdAt": rfc3339(record.phase_at),
            "instance": f"{provider['vendor']} {provider['region']} {compute['instanceType']} "
            f"{compute['instanceSize']}",
            "restarts": 0,
        }
        if status == "running":
            doc["readyAt"] = rfc3339(observed.since)
        if observed.error_message:
            doc["message"] = observed.error_message
        docs.append(doc)
    return docs

"""PURE: given what the API reports about one endpoint, is it ready, on its way, or never going to be?

``decide`` is the whole definition of "ready" (issue #3). It takes one observation, the statuses
seen before it, and the health probe made for this observation, and answers ready / waiting / failed.
When everything but the health route says ready it answers waiting with ``probe=True``: the engine then
probes and asks again. No network, no clock, no terminal.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from enum import StrEnum

from endpointctl.core.diff import diff_endpoint
from endpointctl.core.endpoint import Endpoint, Status, server_instant
from endpointctl.core.spec import Desired, DesiredState
from endpointctl.core.suggest import command_for, manifest_command

DEFAULT_PORT = 80  # what the API assumes when a custom image sets none

NOT_FOUND = "notFound"  # the status shown for an endpoint the listing does not contain


class ReadinessKind(StrEnum):
    READY = "ready"
    WAITING = "waiting"
    FAILED = "failed"


@dataclass(frozen=True)
class Readiness:
    kind: ReadinessKind
    message: str
    hint: str | None = None
    probe: bool = False  # WAITING: only the health route is left to check; probe it and decide again
    health_checked: bool = False  # READY: the health route answered 200


def _ready(message: str, *, health_checked: bool = False) -> Readiness:
    return Readiness(ReadinessKind.READY, message, health_checked=health_checked)


def _waiting(message: str, *, probe: bool = False) -> Readiness:
    return Readiness(ReadinessKind.WAITING, message, probe=probe)


def _failed(message: str, hint: str | None = None) -> Readiness:
    return Readiness(ReadinessKind.FAILED, message, hint)


@dataclass(frozen=True)
class WaitTarget:
    """One endpoint to wait for, and what "ready" means for it."""

    namespace: str
    name: str
    state: DesiredState = DesiredState.RUNNING
    # The manifest an update applied: after the update, the live configuration must equal it.
    desired: Desired | None = None
    # ``updatedAt`` of the response to an update we just made; None when we made none. An observation
    # older than this, or one still `updating`, has not seen the update through.
    updated_since: str | None = None
    # The status the mutating call (update, resume) answered with, as if it were the first observation.
    reported: Status | None = None
    # We just resumed it: a `paused` read before any other status is the API lagging, not a stop.
    resumed: bool = False
    # Where a command given no --namespace lands (``Session.implied_namespace``): the commands its hints
    # suggest name any other namespace, and this one too when None (not known).
    implied_namespace: str | None = None
    # The manifest, when the wait is for one (apply, wait -f): a hint to apply it names its file and the
    # run's --namespace (``Desired.run_namespace``), so that the command runs as pasted.
    manifest: Desired | None = None

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def command(self, verb: str, *, named: bool = True) -> str:
        """``endpointctl VERB NAME`` for this endpoint (``named``; else for its namespace), its namespace
        given unless implied: a hint pasted must act on this endpoint, not on a namesake elsewhere."""
        args = (self.name,) if named else ()
        return command_for(verb, self.namespace, *args, implied=self.implied_namespace)


@dataclass(frozen=True)
class Health:
    """One probe of the health route: the HTTP status, or why there was none."""

    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200


def custom_port(endpoint: Endpoint) -> int | None:
    """The port of a container image the user chose, or None for the default Hugging Face image."""
    for variant, settings in (endpoint.image or {}).items():
        if variant != "huggingface" and isinstance(settings, dict) and settings.get("url"):
            port = settings.get("port")
            return int(port) if isinstance(port, int) else DEFAULT_PORT
    return None


def timeout_hint(endpoint: Endpoint | None) -> str | None:
    """What to check when the wait timed out with the endpoint in this state."""
    if endpoint is None or endpoint.status is not Status.INITIALIZING:
        return None
    port = custom_port(endpoint)
    if port is None:
        return None
    return (
        f"a custom container stuck in initializing usually listens on the wrong port: the endpoint "
        f"expects port {port} and health route {endpoint.health_route}; check the image's port setting"
    )


def _update_pending(target: WaitTarget, endpoint: Endpoint, seen: Set[Status]) -> str | None:
    """Why the update we made is not seen through yet, or None when it is; called only once it is running."""
    if target.updated_since is None:
        return None
    left_updating = Status.UPDATING in seen
    since, live = server_instant(target.updated_since), server_instant(endpoint.updated_at)
    # Both timestamps come from the server, so no clock skew; an unreadable one proves nothing.
    newer = since is not None and live is not None and live >= since
    if not (left_updating or newer):
        return "waiting for the API to report the update"
    if target.desired is not None:
        drift = diff_endpoint(target.desired, endpoint)
        if drift:
            paths = ", ".join(change.path for change in drift)
            return f"live configuration differs from what was applied ({paths})"
    return None


def _unknown_state(endpoint: Endpoint) -> str:
    """A state endpointctl does not know, named as the API named it: never ready, never a failure."""
    said = f" ({endpoint.message})" if endpoint.message else ""
    return f"state {endpoint.shown_state!r}{said} is not one endpointctl knows; not ready"


def _start_hint(target: WaitTarget) -> str:
    return f"start it with `{target.command('resume')}` (add --wait to wait for it)"


def _health_verdict(endpoint: Endpoint, health: Health) -> Readiness:
    if health.ok:
        return _ready(f"health route {endpoint.health_route} answered 200", health_checked=True)
    if health.status in (401, 403):
        # Waiting cannot fix a token the endpoint refuses.
        return _failed(
            f"health route {endpoint.health_route} answered {health.status}: the endpoint refuses this token",
            "a private endpoint accepts only tokens of members of its namespace's organization; "
            "check HF_TOKEN",
        )
    if health.status is None:
        return _waiting(f"health route not reachable: {health.error}")
    return _waiting(f"health route {endpoint.health_route} answered {health.status}")


def _running(target: WaitTarget, endpoint: Endpoint, seen: Set[Status], health: Health | None) -> Readiness:
    if endpoint.status is Status.SCALED_TO_ZERO:
        if not endpoint.min_replica:  # 0, or not reported: a scaled-to-zero endpoint normally wakes
            # Autoscaling wakes it on the next request; a probe would wake it, and bill.
            return _ready("scaled to zero; the next request wakes it (minReplica 0)")
        return _failed(
            f"endpoint '{target.key}' is scaled to zero and nothing wakes it (minReplica "
            f"{endpoint.min_replica})",
            f"wake it with `{target.command('resume')}`, or send it a request",
        )
    if endpoint.status is Status.PAUSED:
        if target.resumed and seen <= {Status.PAUSED}:
            return _waiting("waiting for the resume to take effect")
        return _failed(f"endpoint '{target.key}' is paused", _start_hint(target))
    if endpoint.status is Status.UNKNOWN:
        return _waiting(_unknown_state(endpoint))
    if endpoint.status is not Status.RUNNING:
        return _waiting(endpoint.message or endpoint.status.value)
    pending = _update_pending(target, endpoint, seen)
    if pending is not None:
        return _waiting(pending)
    if not endpoint.url:
        return _waiting("running, waiting for a URL")
    if endpoint.private_link is not None:
        return _ready(
            "running; health route not checked: PrivateLink endpoints are reachable only from their network"
        )
    if health is None:
        return _waiting(endpoint.message or "running", probe=True)
    return _health_verdict(endpoint, health)


def _at_rest(target: WaitTarget, endpoint: Endpoint) -> Readiness:
    """Desired paused or scaledToZero: ready in that state, and never probed (a probe would wake it)."""
    want = Status(target.state.value)
    if endpoint.status is want:
        return _ready(endpoint.message or want.value)
    if target.state is DesiredState.SCALED_TO_ZERO and endpoint.status is Status.PAUSED:
        return _failed(
            f"endpoint '{target.key}' is paused, not scaled to zero",
            f"resume it with `{target.command('resume')}`, then `{target.command('scale-to-zero')}`",
        )
    if endpoint.status is Status.UNKNOWN:
        return _waiting(f"{_unknown_state(endpoint)}; waiting for {want.value}")
    return _waiting(f"{endpoint.message or endpoint.status.value}; waiting for {want.value}")


def decide(
    target: WaitTarget,
    endpoint: Endpoint | None,
    seen: Set[Status] = frozenset(),
    health: Health | None = None,
    *,
    listing_may_lag: bool = False,
) -> Readiness:
    """Ready, waiting or failed, from one observation.

    ``seen``: the statuses observed for this target before this one (and ``target.reported``).
    ``health``: the probe made for this very observation, or None when none was made.
    ``listing_may_lag``: still within the grace after a change, when a listing may not show yet an
    endpoint the API has just answered for (``target.reported``): absent is then not yet an answer.
    """
    if endpoint is None and listing_may_lag and target.reported is not None and not seen - {target.reported}:
        return _waiting("the API answered for it, but does not list it yet")
    if endpoint is None:
        return _failed(
            f"endpoint '{target.key}' not found",
            f"check the name and --namespace; `{target.command('status', named=False)}` lists the "
            "endpoints there",
        )
    if endpoint.status is Status.FAILED:
        if target.manifest is None:
            again = "`endpointctl apply PATH --allow-replace` with its manifest"
        else:
            words = ("apply", target.manifest.file, target.manifest.run_namespace, "--allow-replace")
            again = f"`{manifest_command(*words, implied=target.implied_namespace)}`"
        hint = f"a failed endpoint cannot be recovered: fix the cause, then {again}"
        if custom_port(endpoint) is not None:
            hint += "; a custom container must listen on the image's port and answer its health route"
        return _failed(f"endpoint '{target.key}' failed: {endpoint.message or 'deployment failed'}", hint)
    if endpoint.status is Status.UPDATE_FAILED:
        return _failed(
            f"endpoint '{target.key}' failed to update: {endpoint.message or 'update failed'}",
            "fix the manifest and apply again; the endpoint's logs in the Hugging Face UI say why",
        )
    if target.state is DesiredState.RUNNING:
        return _running(target, endpoint, seen, health)
    return _at_rest(target, endpoint)

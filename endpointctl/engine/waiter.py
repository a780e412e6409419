"""The polling engine: wait for many endpoints at once until each is ready, failed, or out of time.

Each poll is one list call per namespace involved (never one GET per endpoint), then a health probe of
the endpoints that look ready, in parallel. Between polls it backs off with jitter, on the injected
clock, checking the cancel event so Ctrl-C stops it within a moment. What "ready" means is decided in
``readiness``; this module only gathers observations and reports them to a ``Display``.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from endpointctl.core.errors import ApiError, ExitCode, Interrupted, worst
from endpointctl.core.models import DesiredState, Endpoint, Status
from endpointctl.core.outcomes import Outcome as ApplyOutcome
from endpointctl.core.outcomes import Result
from endpointctl.core.readiness import NOT_FOUND, Health, Kind, Verdict, WaitTarget, decide, timeout_hint
from endpointctl.dataplane.client import DataPlaneError, Reply
from endpointctl.engine.clock import Clock

DEFAULT_TIMEOUT = 20 * 60.0
PROBE_TIMEOUT = 10.0
PROBE_WORKERS = 8
# How often a sleep between polls looks at the cancel event.
CANCEL_CHECK_SECONDS = 0.5
# The listing cannot be fixed by waiting when the API refuses the token or knows no such namespace.
_FATAL_LIST_STATUSES = (401, 403, 404)


class Lister(Protocol):
    def list_endpoints(self, namespace: str, *, deadline: float | None = None) -> list[Endpoint]:
        """``deadline``, on the clock the wait runs on: the listing's retries end no later than it."""
        ...


class Prober(Protocol):
    def health(self, endpoint: Endpoint, timeout: float | None = None) -> Reply: ...


class Display(Protocol):
    """Where the engine reports progress; see ``progress`` for the terminal, CI and quiet ones."""

    def update(self, key: str, state: str, message: str, elapsed: float, *, final: bool = False) -> None: ...

    def done(self, report: WaitReport) -> None: ...


class NullDisplay:
    def update(self, key: str, state: str, message: str, elapsed: float, *, final: bool = False) -> None:
        pass

    def done(self, report: WaitReport) -> None:
        pass


@dataclass
class Backoff:
    """Poll delays: start near ``initial``, grow by ``factor`` up to ``cap``, each jittered by ±``jitter``.

    Jitter keeps many waiting processes (a CI matrix) from polling the API in lockstep.
    """

    initial: float = 1.0
    factor: float = 1.5
    cap: float = 20.0
    jitter: float = 0.2
    rng: random.Random = field(default_factory=random.Random)

    def delays(self) -> Iterator[float]:
        base = self.initial
        while True:
            yield base * self.rng.uniform(1.0 - self.jitter, 1.0 + self.jitter)
            base = min(self.cap, base * self.factor)


class Outcome(StrEnum):
    READY = "ready"
    FAILED = "failed"
    TIMEOUT = "timeout"
    INTERRUPTED = "interrupted"


_EXIT = {
    Outcome.READY: ExitCode.OK,
    Outcome.FAILED: ExitCode.FAILURE,
    Outcome.TIMEOUT: ExitCode.TIMEOUT,
    Outcome.INTERRUPTED: ExitCode.INTERRUPTED,
}


@dataclass(frozen=True)
class EndpointReport:
    target: WaitTarget
    outcome: Outcome
    status: str  # the API's state, or "notFound"
    message: str
    hint: str | None
    health_checked: bool
    elapsed: float
    endpoint: Endpoint | None  # the last observation

    @property
    def ready(self) -> bool:
        return self.outcome is Outcome.READY

    @property
    def exit_code(self) -> ExitCode:
        return _EXIT[self.outcome]

    def record(self) -> dict[str, Any]:
        """The stable JSON/YAML shape (README, Output): keys are only ever added."""
        return {
            "name": self.target.name,
            "namespace": self.target.namespace,
            "ready": self.ready,
            "status": self.status,
            "message": self.message,
            "healthChecked": self.health_checked,
            "elapsedSeconds": round(self.elapsed, 1),
            "outcome": self.outcome.value,
            "hint": self.hint,
        }


@dataclass(frozen=True)
class WaitReport:
    endpoints: tuple[EndpointReport, ...]
    polls: int
    elapsed: float
    timeout: float

    @property
    def exit_code(self) -> ExitCode:
        # Failure beats timeout: a failed endpoint will not get better by waiting longer.
        return worst([e.exit_code for e in self.endpoints])

    @property
    def not_ready(self) -> tuple[EndpointReport, ...]:
        return tuple(e for e in self.endpoints if not e.ready)


@dataclass
class _Tracked:
    target: WaitTarget
    label: str
    seen: set[Status]
    endpoint: Endpoint | None = None
    verdict: Verdict | None = None
    ended: tuple[Outcome, float] | None = None  # outcome and elapsed, once decided

    def state(self) -> str:
        if self.verdict is not None and self.verdict.kind is Kind.READY:
            return "ready"
        return self.endpoint.status.value if self.endpoint is not None else NOT_FOUND


def _labels(targets: Sequence[WaitTarget]) -> list[str]:
    """Bare names when one namespace is involved: shorter lines, and what the user typed."""
    if len({t.namespace for t in targets}) <= 1:
        return [t.name for t in targets]
    return [t.key for t in targets]


def _sleep(clock: Clock, seconds: float, cancel: threading.Event) -> None:
    end = clock.now() + seconds
    while not cancel.is_set():
        left = end - clock.now()
        if left <= 0:
            return
        clock.sleep(min(left, CANCEL_CHECK_SECONDS))


@dataclass
class _Engine:
    hub: Lister
    deployed: Prober | None
    clock: Clock
    display: Display
    probe_timeout: float
    pool: ThreadPoolExecutor
    deadline: float  # the wait's own: no listing retries past it

    def observe(self, namespaces: set[str]) -> tuple[dict[str, dict[str, Endpoint]], dict[str, ApiError]]:
        listings: dict[str, dict[str, Endpoint]] = {}
        errors: dict[str, ApiError] = {}
        for ns in sorted(namespaces):
            try:
                endpoints = self.hub.list_endpoints(ns, deadline=self.deadline)
                listings[ns] = {ep.name: ep for ep in endpoints}
            except ApiError as error:
                errors[ns] = error
        return listings, errors

    def probe(self, endpoint: Endpoint) -> Health:
        assert self.deployed is not None
        try:
            reply = self.deployed.health(endpoint, timeout=self.probe_timeout)
        except DataPlaneError as error:
            return Health(None, error.message)
        return Health(reply.status)

    def poll(
        self, active: list[_Tracked], first: Mapping[str, Sequence[Endpoint]] | None, start: float
    ) -> None:
        """One round: observe, decide, report; ``first`` is a listing to use instead of reading one."""
        namespaces = {t.target.namespace for t in active}
        if first is not None and namespaces <= set(first):
            listings = {ns: {ep.name: ep for ep in first[ns]} for ns in namespaces}
            errors: dict[str, ApiError] = {}
        else:
            listings, errors = self.observe(namespaces)
        self.judge(active, listings, errors)
        elapsed = self.clock.now() - start
        for t in active:
            assert t.verdict is not None
            if t.verdict.kind is Kind.READY:
                t.ended = (Outcome.READY, elapsed)
            elif t.verdict.kind is Kind.FAILED:
                t.ended = (Outcome.FAILED, elapsed)
            self.display.update(t.label, t.state(), t.verdict.message, elapsed, final=t.ended is not None)

    def judge(
        self,
        tracked: list[_Tracked],
        listings: Mapping[str, Mapping[str, Endpoint]],
        errors: Mapping[str, ApiError],
    ) -> None:
        probing: list[tuple[_Tracked, Endpoint]] = []
        for t in tracked:
            ns = t.target.namespace
            if ns in errors:
                error = errors[ns]
                fatal = error.status in _FATAL_LIST_STATUSES
                kind = Kind.FAILED if fatal else Kind.WAITING
                # A transient listing error keeps the last observation; the next poll may succeed.
                t.verdict = Verdict(kind, error.message, error.hint)
                continue
            endpoint = t.endpoint = listings[ns].get(t.target.name)
            t.verdict = decide(t.target, endpoint, t.seen)
            if t.verdict.probe and endpoint is not None:
                if self.deployed is None:
                    t.verdict = Verdict(Kind.READY, "running; health route not checked")
                else:
                    probing.append((t, endpoint))
        healths = self.pool.map(self.probe, [endpoint for _, endpoint in probing])
        for (t, endpoint), health in zip(probing, healths, strict=True):
            t.verdict = decide(t.target, endpoint, t.seen, health)
        for t in tracked:
            if t.endpoint is not None:
                t.seen.add(t.endpoint.status)


def _track(targets: Sequence[WaitTarget]) -> list[_Tracked]:
    by_key: dict[str, WaitTarget] = {}
    for target in targets:
        by_key.setdefault(target.key, target)  # the first of each name wins
    unique = list(by_key.values())
    return [
        _Tracked(target, label, {target.reported} if target.reported else set())
        for target, label in zip(unique, _labels(unique), strict=True)
    ]


def wait_for(
    hub: Lister,
    deployed: Prober | None,
    targets: Sequence[WaitTarget],
    *,
    clock: Clock,
    timeout: float = DEFAULT_TIMEOUT,
    display: Display | None = None,
    cancel: threading.Event | None = None,
    backoff: Backoff | None = None,
    first: Mapping[str, Sequence[Endpoint]] | None = None,
    probe_timeout: float = PROBE_TIMEOUT,
) -> WaitReport:
    """Poll until every target is ready or failed, the timeout passes, or ``cancel`` is set.

    ``deployed`` None skips health probes (ready at running with a URL). ``first``: a listing per
    namespace just read by the caller, used as the first poll instead of reading it again.
    """
    display = display or NullDisplay()
    cancel = cancel or threading.Event()
    tracked = _track(targets)
    delays = (backoff or Backoff()).delays()
    start = clock.now()
    deadline = start + timeout
    polls = 0
    with ThreadPoolExecutor(max_workers=PROBE_WORKERS, thread_name_prefix="endpointctl-probe") as pool:
        engine = _Engine(hub, deployed, clock, display, probe_timeout, pool, deadline)
        while not cancel.is_set():
            active = [t for t in tracked if t.ended is None]
            try:
                engine.poll(active, first if polls == 0 else None, start)
            except Interrupted:
                break  # the hub stopped retrying a listing on Ctrl-C: report what was seen so far
            polls += 1
            now = clock.now()
            if all(t.ended is not None for t in tracked) or now >= deadline:
                break
            _sleep(clock, min(next(delays), deadline - now), cancel)
    report = _report(tracked, polls, clock.now() - start, timeout, cancel.is_set())
    display.done(report)
    return report


def _report(
    tracked: list[_Tracked], polls: int, elapsed: float, timeout: float, cancelled: bool
) -> WaitReport:
    rows: list[EndpointReport] = []
    for t in tracked:
        verdict = t.verdict
        outcome, took = t.ended or (Outcome.INTERRUPTED if cancelled else Outcome.TIMEOUT, elapsed)
        hint = verdict.hint if verdict else None
        if outcome is Outcome.TIMEOUT:
            hint = timeout_hint(t.endpoint) or hint
        status = t.endpoint.status.value if t.endpoint is not None else NOT_FOUND
        rows.append(
            EndpointReport(
                target=t.target,
                outcome=outcome,
                status=status,
                message=verdict.message if verdict else "not observed",
                hint=hint,
                health_checked=bool(verdict and verdict.health_checked),
                elapsed=took,
                endpoint=t.endpoint,
            )
        )
    return WaitReport(tuple(rows), polls, elapsed, timeout)


# -- from apply results -------------------------------------------------------------------------------


def _rest_state(endpoint: Endpoint | None) -> DesiredState:
    """Where apply leaves an endpoint whose manifest sets no state: where it already was."""
    if endpoint is not None and endpoint.status is Status.PAUSED:
        return DesiredState.PAUSED
    if endpoint is not None and endpoint.status is Status.SCALED_TO_ZERO and endpoint.min_replica > 0:
        return DesiredState.SCALED_TO_ZERO
    return DesiredState.RUNNING


def targets_from_results(results: Sequence[Result]) -> list[WaitTarget]:
    """What ``apply --wait`` waits for: every endpoint a manifest names that apply did not fail on.

    Deletes, blocked and failed changes are left out: the apply result already says what happened.
    """
    targets: list[WaitTarget] = []
    for result in results:
        change = result.change
        if change.desired is None or result.outcome not in (ApplyOutcome.OK, ApplyOutcome.UNCHANGED):
            continue
        endpoint = result.endpoint or change.live
        updated = "update" in result.done and result.endpoint is not None
        targets.append(
            WaitTarget(
                namespace=change.namespace,
                name=change.name,
                state=change.desired.spec.state or _rest_state(endpoint),
                desired=change.desired if updated else None,
                # The result's endpoint answers the last step: the update's, unless a pause or scale-to-zero
                # followed it, and an endpoint waited for at rest is not checked against the update.
                updated_since=result.endpoint.updated_at if updated and result.endpoint else None,
                reported=result.endpoint.status if result.endpoint is not None else None,
                resumed="resume" in result.done,
            )
        )
    return targets


def targets_after_resume(results: Sequence[Result]) -> list[WaitTarget]:
    """What ``resume --wait`` waits for: each endpoint resumed, or found already running or starting."""
    return [
        WaitTarget(
            namespace=r.change.namespace,
            name=r.change.name,
            reported=r.endpoint.status if r.endpoint is not None else None,
            resumed=r.outcome is ApplyOutcome.OK,
        )
        for r in results
        if r.outcome in (ApplyOutcome.OK, ApplyOutcome.UNCHANGED)
    ]

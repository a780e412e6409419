"""Wait for many endpoints at once until each is ready, failed, or out of time.

Each round is one list call per namespace involved (never one GET per endpoint), then a health probe of
the endpoints that look ready, in parallel. The rounds are ``polling.poll``: backoff with jitter on the
injected clock, an interrupt ending the wait at once. What "ready" means is decided in
``core.readiness``; this module only gathers observations and reports them to a ``Display``.
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from endpointctl.core.backoff import POLL, Backoff, shared_poll_cap
from endpointctl.core.clock import Cancel, Clock
from endpointctl.core.defaults import WAIT_TIMEOUT
from endpointctl.core.endpoint import Endpoint, Status
from endpointctl.core.errors import ApiError, Interrupted
from endpointctl.core.outcomes import EndpointWait, WaitOutcome, WaitReport
from endpointctl.core.readiness import (
    NOT_FOUND,
    Health,
    Readiness,
    ReadinessKind,
    WaitTarget,
    decide,
    timeout_hint,
)
from endpointctl.dataplane.client import DataPlaneError, Reply
from endpointctl.engine.polling import poll

DEFAULT_TIMEOUT = WAIT_TIMEOUT
PROBE_TIMEOUT = 10.0
PROBE_WORKERS = 8
# How long after a change a listing may not show yet an endpoint the API just answered for (a create):
# until then, absent is waited for, not reported as not found.
LISTING_GRACE = 30.0
# The listing cannot be fixed by waiting when the API refuses the token or knows no such namespace.
_FATAL_LIST_STATUSES = (401, 403, 404)


class Lister(Protocol):
    def list_endpoints(self, namespace: str, *, deadline: float | None = None) -> list[Endpoint]:
        """``deadline``, on the clock the wait runs on: the listing's retries end no later than it."""
        ...


class Prober(Protocol):
    def health(self, endpoint: Endpoint, timeout: float | None = None) -> Reply: ...


class SilentDisplay:
    def update(self, key: str, state: str, message: str, elapsed: float, *, final: bool = False) -> None:
        pass

    def done(self, report: WaitReport) -> None:
        pass


SILENT = SilentDisplay()


class Display(Protocol):
    """Where a wait reports progress; ``ui.progress`` has the terminal, CI and quiet ones."""

    def update(self, key: str, state: str, message: str, elapsed: float, *, final: bool = False) -> None: ...

    def done(self, report: WaitReport) -> None: ...


@dataclass
class _Tracked:
    target: WaitTarget
    label: str
    seen: set[Status]
    endpoint: Endpoint | None = None
    readiness: Readiness | None = None
    ended: tuple[WaitOutcome, float] | None = None  # outcome and elapsed, once decided

    def state(self) -> str:
        if self.readiness is not None and self.readiness.kind is ReadinessKind.READY:
            return "ready"
        return self.endpoint.shown_state if self.endpoint is not None else NOT_FOUND


def _labels(targets: Sequence[WaitTarget]) -> list[str]:
    """Bare names when one namespace is involved: shorter lines, and what the user typed."""
    if len({t.namespace for t in targets}) <= 1:
        return [t.name for t in targets]
    return [t.key for t in targets]


@dataclass
class _Observer:
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
        self.judge(active, listings, errors, fresh=self.clock.now() - start < LISTING_GRACE)
        elapsed = self.clock.now() - start
        for t in active:
            assert t.readiness is not None
            if t.readiness.kind is ReadinessKind.READY:
                t.ended = (WaitOutcome.READY, elapsed)
            elif t.readiness.kind is ReadinessKind.FAILED:
                t.ended = (WaitOutcome.FAILED, elapsed)
            self.display.update(t.label, t.state(), t.readiness.message, elapsed, final=t.ended is not None)

    def judge(
        self,
        tracked: list[_Tracked],
        listings: Mapping[str, Mapping[str, Endpoint]],
        errors: Mapping[str, ApiError],
        *,
        fresh: bool,
    ) -> None:
        probing: list[tuple[_Tracked, Endpoint]] = []
        for t in tracked:
            ns = t.target.namespace
            if ns in errors:
                error = errors[ns]
                fatal = error.status in _FATAL_LIST_STATUSES
                kind = ReadinessKind.FAILED if fatal else ReadinessKind.WAITING
                # A transient listing error keeps the last observation; the next poll may succeed.
                t.readiness = Readiness(kind, error.message, error.hint)
                continue
            endpoint = t.endpoint = listings[ns].get(t.target.name)
            t.readiness = decide(t.target, endpoint, t.seen, listing_may_lag=fresh)
            if t.readiness.probe and endpoint is not None:
                if self.deployed is None:
                    t.readiness = Readiness(ReadinessKind.READY, "running; health route not checked")
                else:
                    probing.append((t, endpoint))
        healths = self.pool.map(self.probe, [endpoint for _, endpoint in probing])
        for (t, endpoint), health in zip(probing, healths, strict=True):
            t.readiness = decide(t.target, endpoint, t.seen, health)
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
    cancel: Cancel | None = None,
    backoff: Backoff = POLL,
    rng: random.Random | None = None,
    first: Mapping[str, Sequence[Endpoint]] | None = None,
    probe_timeout: float = PROBE_TIMEOUT,
) -> WaitReport:
    """Poll until every target is ready or failed, the timeout passes, or ``cancel`` is set.

    ``deployed`` None skips health probes (ready at running with a URL). ``first``: a listing per
    namespace just read by the caller, used as the first round instead of reading it again.
    """
    shown: Display = display or SILENT
    stop: Cancel = cancel or threading.Event()
    tracked = _track(targets)
    start = clock.now()
    rounds = 0
    with ThreadPoolExecutor(max_workers=PROBE_WORKERS, thread_name_prefix="endpointctl-probe") as pool:
        observer = _Observer(hub, deployed, clock, shown, probe_timeout, pool, start + timeout)

        def attempt() -> float | None:
            nonlocal rounds
            active = [t for t in tracked if t.ended is None]
            observer.poll(active, first if rounds == 0 else None, start)
            rounds += 1
            return None if all(t.ended is not None for t in tracked) else 0.0

        def cap() -> float:
            # Of the whole wait, not of the endpoints still waited for: the budget is reads per
            # endpoint-minute over the wait, and the last of twenty must be noticed as soon as the first.
            active = {t.target.namespace for t in tracked if t.ended is None}
            return shared_poll_cap(len(active), len(tracked))

        # The hub stops retrying a listing on Ctrl-C: then report what was seen so far.
        with contextlib.suppress(Interrupted):
            poll(attempt, clock=clock, timeout=timeout, cancel=stop, backoff=backoff, rng=rng, cap=cap)
    report = _report(tracked, rounds, clock.now() - start, timeout, stop.is_set())
    shown.done(report)
    return report


def _report(
    tracked: list[_Tracked], polls: int, elapsed: float, timeout: float, cancelled: bool
) -> WaitReport:
    rows: list[EndpointWait] = []
    for t in tracked:
        readiness = t.readiness
        outcome, took = t.ended or (WaitOutcome.INTERRUPTED if cancelled else WaitOutcome.TIMEOUT, elapsed)
        hint = readiness.hint if readiness else None
        if outcome is WaitOutcome.TIMEOUT:
            hint = timeout_hint(t.endpoint) or hint
        status = t.endpoint.shown_state if t.endpoint is not None else NOT_FOUND
        rows.append(
            EndpointWait(
                target=t.target,
                outcome=outcome,
                status=status,
                message=readiness.message if readiness else "not observed",
                hint=hint,
                health_checked=bool(readiness and readiness.health_checked),
                elapsed=took,
                endpoint=t.endpoint,
            )
        )
    return WaitReport(tuple(rows), polls, elapsed, timeout)

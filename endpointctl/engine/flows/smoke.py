"""Smoke tests and single requests against deployed URLs: which endpoints, which URL, and the waiting.

The data plane (``dataplane.runner``) makes the calls and judges the answers; this module picks the
endpoints, resolves ``--url`` overrides, and lends the runner the one polling loop for cold starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from endpointctl.core.endpoint import Endpoint, Status
from endpointctl.core.errors import EndpointctlError, EndpointFailed, NothingMatched
from endpointctl.core.outcomes import (
    ChangeOutcome,
    ChangeResult,
    EndpointWait,
    SmokeOutcome,
    SmokeResult,
    WaitOutcome,
    WaitReport,
)
from endpointctl.core.scheduled import awake_state
from endpointctl.core.spec import Desired, DesiredState
from endpointctl.core.suggest import command_for
from endpointctl.core.targets import Target, Targets, UrlOverride, url_overrides
from endpointctl.dataplane import runner
from endpointctl.dataplane.checks import SmokeRequest, default_request
from endpointctl.engine.polling import pacer
from endpointctl.engine.selection import select
from endpointctl.engine.session import Placed, Session


def _pace(session: Session) -> runner.Pace:
    # An interrupt ends a cold-start wait at once, like every other wait.
    return pacer(session.clock, cancel=session.cancel)


def _run(
    session: Session, endpoints: Sequence[tuple[Endpoint, Desired | None]], overrides: dict[str, str]
) -> list[SmokeResult]:
    """Each endpoint's smoke test in turn; after an interrupt, the rest are skipped, not called."""
    results: list[SmokeResult] = []
    for endpoint, spec in endpoints:
        if session.cancel.is_set():
            reason = "interrupted before it was called"
            results.append(SmokeResult(endpoint.name, endpoint.namespace, SmokeOutcome.SKIPPED, reason))
            continue
        results += runner.run_smoke(
            session.deployed,
            [(endpoint, spec)],
            pace=_pace(session),
            url_override=overrides,
            implied_namespace=session.implied_namespace,
            accepted_tasks=session.accepted_tasks,
        )
    return results


def smoke(
    session: Session, targets: Targets, desired: Sequence[Desired], urls: Sequence[UrlOverride]
) -> list[SmokeResult]:
    """``endpointctl smoke``: each named endpoint's smoke test, with its manifest's ``smokeTest`` if any."""
    targets.require("smoke-test")
    selection = select(session, targets, desired)
    selection.require_match()
    overrides = url_overrides(urls, selection.targets)
    now = datetime.fromtimestamp(session.clock.wall(), UTC)
    results: list[SmokeResult] = []
    for target in selection.targets:
        endpoint, spec = selection.live(target), selection.desired(target)
        if endpoint is None:
            results.append(runner.not_found(target.namespace, target.name))
        elif spec is not None and endpoint.status is Status.PAUSED and kept_paused(spec, endpoint, now):
            # Its manifest (state, or schedule now) keeps it paused: failing it with a hint to resume it
            # would fight the manifest. Skipped, said why; a scaled-to-zero one is still woken and called.
            reason = _asleep(DesiredState.PAUSED, spec)
            results.append(SmokeResult(target.name, target.namespace, SmokeOutcome.SKIPPED, reason))
        else:
            results += _run(session, [(endpoint, spec)], overrides)
    return results


def kept_paused(desired: Desired, live: Endpoint, at: datetime) -> bool:
    """Whether the manifest asks for ``live`` to be paused at ``at``: its state, or its schedule then (a hold
    honoured, as apply and schedule run read it)."""
    return awake_state(desired, live, at).state is DesiredState.PAUSED


def after_wait(
    session: Session, report: WaitReport, placed: Sequence[Placed], changes: Sequence[ChangeResult] = ()
) -> list[SmokeResult]:
    """``apply --smoke``: smoke-test what became ready, skipping what its manifest keeps asleep. A change
    that was blocked or failed (never waited for) is a failed test too, never called: left out, the JUnit
    report CI keeps read green over the failed apply."""
    specs = {(namespace, d.name): d for namespace, d in placed}
    skipped: list[SmokeResult] = [
        SmokeResult(
            r.change.name,
            r.change.namespace,
            SmokeOutcome.FAIL,
            f"not called: its change {r.outcome.value} ({r.error or r.change.reason or 'no reason given'})",
            unreached=True,
        )
        for r in changes
        if r.change.desired is not None and r.outcome in (ChangeOutcome.BLOCKED, ChangeOutcome.FAILED)
    ]
    ready: list[tuple[Endpoint, Desired | None]] = []
    for e in report.endpoints:
        if not e.ready or e.endpoint is None:
            # Left out, a deploy that failed read as "1 passed, 0 failed" in the JUnit report CI keeps.
            skipped.append(_unreached(e))
            continue
        desired = specs.get((e.target.namespace, e.target.name))
        if e.target.state is not DesiredState.RUNNING:
            # Calling it would fail on a paused endpoint and wake a scaled-to-zero one: the state it was left
            # in is the test.
            reason = _asleep(e.target.state, desired)
            skipped.append(SmokeResult(e.target.name, e.target.namespace, SmokeOutcome.SKIPPED, reason))
            continue
        ready.append((e.endpoint, desired))
    return skipped + _run(session, ready, {})


def _unreached(e: EndpointWait) -> SmokeResult:
    """The smoke test of an endpoint whose wait did not end ready: not run; failed, unless interrupted."""
    name, namespace = e.target.name, e.target.namespace
    if e.outcome is WaitOutcome.INTERRUPTED:
        return SmokeResult(name, namespace, SmokeOutcome.SKIPPED, "interrupted before it was ready")
    reason = f"not called: its wait ended {e.outcome.value} ({e.status}: {e.message})"
    return SmokeResult(name, namespace, SmokeOutcome.FAIL, reason, unreached=True)


def _asleep(state: DesiredState, desired: Desired | None) -> str:
    """Why ``apply --smoke`` did not call an endpoint it left asleep, saying who chose that it sleeps.

    A manifest that sets no state leaves a live one alone: one someone else paused stays paused, and
    saying the manifest keeps it so would send its reader to a manifest that says nothing of the kind.
    """
    if desired is not None and desired.spec.state is not None:
        return f"the manifest keeps it {state.value}"
    if desired is not None and desired.spec.schedule is not None:
        return f"the manifest's schedule keeps it {state.value}"
    return f"{state.value}, and the manifest leaves its state alone: not woken to test it"


@dataclass(frozen=True)
class Invoked:
    endpoint: Endpoint
    request: SmokeRequest
    exchange: runner.Exchange
    implied_namespace: str | None = None  # where a command given no --namespace lands (for the hint)

    @property
    def paused(self) -> bool:
        return runner.is_paused_reply(self.exchange.reply)

    @property
    def paused_hint(self) -> str:
        """What to run when the answer says it is paused (the listing may predate the pause)."""
        return runner.paused_hint(self.endpoint, self.implied_namespace)


def invoke(
    session: Session, name: str, request: SmokeRequest | None, *, url: str | None, cold_start_timeout: float
) -> Invoked:
    """``endpointctl invoke``: one request to one endpoint, waking it within the cold-start budget."""
    target = Target(session.namespace(), name)
    endpoint = select(session, Targets(names=(name,)), ()).live(target)
    implied = session.implied_namespace
    if endpoint is None:
        status = command_for("status", target.namespace, implied=implied)
        raise NothingMatched(f"no endpoint '{target.key}'", hint=f"`{status}` lists the endpoints there")
    address = _invoke_url(endpoint, url, implied)
    chosen = request or default_request(endpoint.task)
    if request is None:
        session.report(
            f"sending the default request for task {endpoint.task or '(none)'}: {chosen.describe()}"
        )
    exchange = runner.send(
        session.deployed, endpoint, address, chosen, budget=cold_start_timeout, pace=_pace(session)
    )
    return Invoked(endpoint, chosen, exchange, implied)


def _invoke_url(endpoint: Endpoint, url: str | None, implied: str | None) -> str:
    """``implied``: where a command given no --namespace lands, for the commands a hint suggests."""
    if url:
        return url
    if endpoint.private_link is not None:
        invoke = command_for(
            "invoke", endpoint.namespace, endpoint.name, "--url", "URL-of-its-interface", implied=implied
        )
        raise EndpointctlError(
            f"'{endpoint.name}' is private with PrivateLink: reachable only from AWS account "
            f"{endpoint.private_link.account_id}'s network",
            hint=f"from inside that network: {invoke}",
        )
    if endpoint.status is Status.PAUSED:
        raise EndpointFailed(f"'{endpoint.name}' is {runner.paused_hint(endpoint, implied)}")
    if not endpoint.url:
        status = command_for("status", endpoint.namespace, endpoint.name, implied=implied)
        raise EndpointFailed(
            f"'{endpoint.name}' has no URL yet (state: {endpoint.shown_state})",
            hint=f"try again once it is running: {status}",
        )
    return endpoint.url

"""Run smoke tests against deployed URLs: reach, wake, retry within the budget, then let ``checks`` judge.

Every call goes through ``client.DeployedClient``, which sends the token only to endpoints that need it
and measures latency on the injected clock; its redactor scrubs what a reason quotes of an answer.
Waiting for a cold endpoint between calls is the engine's one polling loop, lent here as a ``Pace``
function (the data plane may not import the engine), so tests drive cold starts without real sleeps.
Endpoints are tested one after another: latency is the point of the test, and concurrent calls would
make each other's numbers noisy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from endpointctl.core.endpoint import Endpoint, Status
from endpointctl.core.outcomes import SmokeOutcome, SmokeResult
from endpointctl.core.spec import Desired, Security
from endpointctl.core.suggest import command_for
from endpointctl.dataplane.checks import SmokeCase, SmokeRequest, case_for, judge, snippet
from endpointctl.dataplane.client import SCALE_UP_HEADER, DataPlaneError, DeployedClient, Reply, shown_url

# A 503 without estimated_time during a cold start: how long to give the replica before asking again.
PLAIN_503_RETRY_SECONDS = 5.0
MIN_RETRY_SECONDS = 0.5
MIN_CALL_SECONDS = 1.0  # never give a call less, even at the very end of the budget
_COLD = frozenset({Status.SCALED_TO_ZERO, Status.PENDING, Status.INITIALIZING})


@dataclass(frozen=True)
class Exchange:
    """The last reply of a call that may have been retried while the endpoint woke."""

    reply: Reply
    attempts: int
    cold_seconds: float | None  # time from the first attempt to the answer, if the endpoint was cold
    exhausted: bool  # still not ready when the cold-start budget ran out


def paused_hint(endpoint: Endpoint, implied_namespace: str | None) -> str:
    """``implied_namespace``: where a command given no --namespace lands (``core.suggest.command_for``)."""
    resume = command_for("resume", endpoint.namespace, endpoint.name, implied=implied_namespace)
    return f"paused — run {resume}"


def is_paused_reply(reply: Reply) -> bool:
    # What the proxy answers for a paused endpoint; the listing may predate the pause.
    return reply.status == 400 and "Invalid state" in reply.text


def retry_delay(reply: Reply, cold: bool) -> float | None:
    """Seconds to wait before asking again, or None when the reply is final."""
    if reply.status != 503:
        return None
    doc = reply.json()
    estimated = doc.get("estimated_time") if isinstance(doc, dict) else None
    if isinstance(estimated, int | float) and not isinstance(estimated, bool):
        return max(float(estimated), MIN_RETRY_SECONDS)
    return PLAIN_503_RETRY_SECONDS if cold else None


# Call ``attempt`` until it returns None, waiting between calls the seconds it returns, within ``budget``
# seconds; True when it finished in time. The engine's ``polling.pacer`` is one.
Pace = Callable[[Callable[[], float | None], float], bool]


@dataclass
class _Call:
    cold: bool
    attempts: int = 0
    reply: Reply | None = None


def send(
    client: DeployedClient,
    endpoint: Endpoint,
    url: str,
    request: SmokeRequest,
    *,
    budget: float,
    pace: Pace,
) -> Exchange:
    """POST ``request``, waking the endpoint within ``budget`` seconds; raises DataPlaneError.

    Every attempt carries ``X-Scale-Up-Timeout`` with what is left of the budget, so a proxy that
    honours it holds the request through a cold start; one that answers 503 (with ``estimated_time``,
    as "model is loading" does) is asked again after that time. The call's own timeout never outlasts
    the budget, except for a floor of one second.
    """
    clock = client.clock
    started = clock.now()
    deadline = started + budget
    call = _Call(cold=endpoint.status in _COLD)

    def attempt() -> float | None:
        remaining = max(deadline - clock.now(), MIN_CALL_SECONDS)
        call.reply = client.request(
            "POST",
            url,
            security=endpoint.security,
            body=request.body,
            content=request.content,
            content_type=request.content_type,
            headers={SCALE_UP_HEADER: str(max(1, math.floor(remaining)))},
            # A held request takes as long as the wake-up; a warm one gets the client's usual timeout.
            timeout=remaining if call.cold else min(client.timeout, remaining),
        )
        call.attempts += 1
        delay = retry_delay(call.reply, call.cold)
        if delay is not None:
            call.cold = True
        return delay

    finished = pace(attempt, budget)
    assert call.reply is not None  # the first attempt is always made
    cold_seconds = clock.now() - started if call.cold else None
    return Exchange(call.reply, call.attempts, cold_seconds, exhausted=not finished)


def run_one(
    client: DeployedClient,
    endpoint: Endpoint,
    desired: Desired | None,
    *,
    pace: Pace,
    url: str | None = None,
    implied_namespace: str | None = None,
    accepted_tasks: frozenset[str] = frozenset(),
) -> SmokeResult:
    """One endpoint's smoke test; never raises for anything the endpoint does.

    ``implied_namespace``: where a command given no --namespace lands, for the commands a reason suggests.
    ``accepted_tasks``: tasks taken as known (ENDPOINTCTL_TASKS), never said to be a typo.
    """
    spec = desired.spec.smoke_test if desired is not None else None
    task = endpoint.task or (desired.spec.model.task if desired is not None else None)
    case = case_for(task, spec, accepted_tasks)
    target = url or endpoint.url
    # As reports show it: a --url's password or signed query is never written anywhere.
    shown = shown_url(target) if target else None
    result = SmokeResult(
        endpoint.name, endpoint.namespace, SmokeOutcome.FAIL, "", url=shown, notes=case.notes
    )
    refusal = _cannot_call(endpoint, url, target, implied_namespace)
    if refusal is not None or target is None:
        outcome, reason = refusal or (SmokeOutcome.FAIL, "no URL")
        return replace(result, outcome=outcome, reason=reason)
    notes = list(case.notes)
    if endpoint.security is Security.PRIVATE and endpoint.private_link is None:
        notes.append(
            f"private without PrivateLink: reachable over the internet by members of "
            f"'{endpoint.namespace}', called with the token"
        )
    try:
        exchange = send(client, endpoint, target, case.request, budget=case.cold_start_seconds, pace=pace)
        reply = exchange.reply
        if exchange.cold_seconds is not None and not exchange.exhausted:
            notes.append(f"woken from cold in {exchange.cold_seconds:.1f} s")
            if case.max_latency_ms is not None and reply.status == case.status:
                # maxLatencyMs is about serving, not waking: measure it on a warm call.
                reply = _warm_call(client, endpoint, target, case)
                notes.append("latency measured on a second, warm call")
    except DataPlaneError as error:
        return replace(result, reason=error.message)
    result = replace(
        result,
        status=reply.status,
        latency_ms=reply.latency_ms,
        attempts=exchange.attempts,
        cold_start_seconds=exchange.cold_seconds,
        notes=tuple(notes),
    )
    if is_paused_reply(reply):
        return replace(result, reason=paused_hint(endpoint, implied_namespace))
    if exchange.exhausted:
        reason = (
            f"not ready within the cold-start budget of {case.cold_start_seconds:g} s "
            f"({exchange.attempts} attempts; last answer HTTP {reply.status}: "
            f"{snippet(reply.body, client.redactor)})"
        )
        return replace(result, reason=reason)
    outcome, reason = judge(case, reply.status, reply.body, reply.latency_ms, client.redactor)
    return replace(result, outcome=outcome, reason=reason)


def _warm_call(client: DeployedClient, endpoint: Endpoint, url: str, case: SmokeCase) -> Reply:
    return client.request(
        "POST",
        url,
        security=endpoint.security,
        body=case.request.body,
        content=case.request.content,
        content_type=case.request.content_type,
        timeout=min(client.timeout, case.cold_start_seconds),
    )


def _cannot_call(
    endpoint: Endpoint, url: str | None, target: str | None, implied_namespace: str | None
) -> tuple[SmokeOutcome, str] | None:
    """Why this endpoint is not called at all (skipped, or failed at once), or None to call it."""
    if endpoint.private_link is not None and url is None:
        return (
            SmokeOutcome.SKIPPED,
            f"private with PrivateLink: not reachable over the internet, only from AWS account "
            f"{endpoint.private_link.account_id}'s network; from there, pass --url {endpoint.name}=URL "
            "of its PrivateLink interface",
        )
    if endpoint.status is Status.PAUSED:
        return SmokeOutcome.FAIL, paused_hint(endpoint, implied_namespace)
    if endpoint.status is Status.FAILED:
        return SmokeOutcome.FAIL, f"the endpoint failed: {endpoint.message or 'no message'}"
    if target is None:
        return SmokeOutcome.FAIL, f"no URL yet (state: {endpoint.status.value}); try again once it is running"
    return None


def run_smoke(
    client: DeployedClient,
    endpoints_with_specs: Sequence[tuple[Endpoint, Desired | None]],
    *,
    pace: Pace,
    url_override: Mapping[str, str] | None = None,
    implied_namespace: str | None = None,
    accepted_tasks: frozenset[str] = frozenset(),
) -> list[SmokeResult]:
    """Smoke-test each observed endpoint, with its manifest's ``smokeTest`` when a Desired is given.

    ``url_override`` maps "name" or "namespace/name" to the URL to call instead of the endpoint's own,
    e.g. a PrivateLink interface inside the private network.
    """
    overrides = url_override or {}
    results = []
    for endpoint, desired in endpoints_with_specs:
        url = overrides.get(f"{endpoint.namespace}/{endpoint.name}") or overrides.get(endpoint.name)
        results.append(
            run_one(
                client,
                endpoint,
                desired,
                pace=pace,
                url=url,
                implied_namespace=implied_namespace,
                accepted_tasks=accepted_tasks,
            )
        )
    return results


def not_found(namespace: str, name: str) -> SmokeResult:
    return SmokeResult(name, namespace, SmokeOutcome.FAIL, f"no endpoint '{namespace}/{name}'")

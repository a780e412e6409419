"""The polling engine against the sandbox over loopback, on a ManualClock: no real sleeps."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from builders import desired

from endpointctl.cli.exits import for_wait
from endpointctl.core.backoff import POLL, Backoff
from endpointctl.core.endpoint import Status
from endpointctl.core.errors import ExitCode
from endpointctl.core.outcomes import ChangeOutcome as ApplyOutcome
from endpointctl.core.outcomes import ChangeResult as Result
from endpointctl.core.outcomes import WaitOutcome as Outcome
from endpointctl.core.outcomes import WaitReport
from endpointctl.core.plan import Action, Change, Step, StepKind
from endpointctl.core.readiness import WaitTarget
from endpointctl.core.settings import TokenInfo
from endpointctl.core.spec import DesiredState
from endpointctl.dataplane.client import DeployedClient
from endpointctl.engine.flows.wait import after_apply as targets_from_results
from endpointctl.engine.flows.wait import after_resume as targets_after_resume
from endpointctl.engine.waiter import wait_for
from endpointctl.hub import Hub
from endpointctl.sandbox import ManualClock, Request, Response, Sandbox
from endpointctl.sandbox.transport import Handler, json_response

USER = "sandbox-user"
LIST = "GET /v2/endpoint/{namespace}"
GET_ONE = "GET /v2/endpoint/{namespace}/{name}"
HEALTH = "GET /endpoints/{namespace}/{name}/health"
STEADY = Backoff(initial=1.0, factor=1.5, cap=20.0, low=1.0, high=1.0)  # deterministic poll times


@dataclass
class Recorder:
    """A display that remembers what the engine told it."""

    updates: list[tuple[str, str, str, bool]] = field(default_factory=list)
    reports: list[WaitReport] = field(default_factory=list)
    on_update: Callable[[], None] | None = None

    def update(self, key: str, state: str, message: str, elapsed: float, *, final: bool = False) -> None:
        self.updates.append((key, state, message, final))
        if self.on_update:
            self.on_update()

    def done(self, report: WaitReport) -> None:
        self.reports.append(report)

    def states(self, key: str) -> list[str]:
        seen: list[str] = []
        for k, state, _, _ in self.updates:
            if k == key and (not seen or seen[-1] != state):
                seen.append(state)
        return seen


@pytest.fixture
def hub(sandbox: Sandbox, token: str, clock: ManualClock) -> Hub:
    return Hub(token=TokenInfo(token, "test"), api_url=sandbox.url, clock=clock)


@pytest.fixture
def deployed(token: str, clock: ManualClock) -> Iterator[DeployedClient]:
    client = DeployedClient(token, clock)
    yield client
    client.close()


def create(client: httpx2.Client, endpoint_body: Any, name: str, **overrides: Any) -> None:
    response = client.post(f"/v2/endpoint/{USER}", json=endpoint_body(name, **overrides))
    assert response.status_code == 200, response.text


def run(
    hub: Hub, deployed: DeployedClient | None, clock: ManualClock, *targets: WaitTarget, **kw: Any
) -> WaitReport:
    kw.setdefault("backoff", STEADY)
    return wait_for(hub, deployed, list(targets), clock=clock, **kw)


def target(name: str, **kw: Any) -> WaitTarget:
    return WaitTarget(USER, name, **kw)


def failing_health(names: set[str]) -> Callable[[Request, Handler], Response]:
    def middleware(request: Request, call: Handler) -> Response:
        if request.route == HEALTH and request.params.get("name") in names:
            return json_response({"error": "model still loading"}, status=503)
        return call(request)

    return middleware


# -- backoff ----------------------------------------------------------------------------------------


def test_backoff_starts_near_one_second_grows_and_is_capped() -> None:
    exact = STEADY.delays(random.Random(0).uniform)
    assert [round(next(exact), 3) for _ in range(10)] == [
        1.0,
        1.5,
        2.25,
        3.375,
        5.062,
        7.594,
        11.391,
        17.086,
        20.0,
        20.0,
    ]
    jittered = POLL.delays(random.Random(7).uniform)
    delays = [next(jittered) for _ in range(40)]
    assert 0.8 <= delays[0] <= 1.2
    assert all(d <= 20.0 * 1.2 for d in delays)
    assert all(16.0 <= d <= 24.0 for d in delays[10:])  # capped, still jittered
    assert len({round(d, 6) for d in delays[10:]}) > 20  # no lockstep between waiting processes
    again = POLL.delays(random.Random(7).uniform)
    assert [next(again) for _ in range(40)] == delays  # injectable randomness: reproducible


# -- one list call per namespace per poll -------------------------------------------------------


def test_ten_endpoints_cost_one_list_call_per_poll_and_no_per_endpoint_reads(
    hub: Hub, deployed: DeployedClient, clock: ManualClock, sandbox: Sandbox, client: Any, endpoint_body: Any
) -> None:
    names = [f"ep-{i}" for i in range(10)]
    for name in names:
        create(client, endpoint_body, name)
    sandbox.reset_counts()

    report = run(hub, deployed, clock, *(target(n) for n in names))

    assert for_wait(report) is ExitCode.OK
    assert all(e.ready and e.health_checked for e in report.endpoints)
    counts = sandbox.counts()
    assert counts[LIST] == report.polls
    assert 2 <= report.polls <= 4  # pending 1 s + initializing 1 s, polled at 0, 1, 2.5 s
    assert GET_ONE not in counts
    assert counts[HEALTH] == 10  # each probed once, when it looked ready
    assert sandbox.mutating_count() == 0


def test_a_listing_the_caller_already_has_is_the_first_poll(
    hub: Hub, deployed: DeployedClient, clock: ManualClock, sandbox: Sandbox, client: Any, endpoint_body: Any
) -> None:
    create(client, endpoint_body, "a")
    first = {USER: hub.list_endpoints(USER)}
    sandbox.reset_counts()
    report = run(hub, deployed, clock, target("a"), first=first)
    assert for_wait(report) is ExitCode.OK
    assert sandbox.counts()[LIST] == report.polls - 1


def test_a_transient_listing_error_does_not_end_the_wait(
    hub: Hub, deployed: DeployedClient, clock: ManualClock, sandbox: Sandbox, client: Any, endpoint_body: Any
) -> None:
    create(client, endpoint_body, "a")
    clock.advance(5)
    failures = iter(range(3))

    def flaky(request: Request, call: Handler) -> Response:
        if request.route == LIST and next(failures, None) is not None:
            return json_response({"error": "upstream hiccup"}, status=502)
        return call(request)

    sandbox.add_middleware(flaky)
    recorder = Recorder()
    report = run(hub, deployed, clock, target("a"), display=recorder)
    assert for_wait(report) is ExitCode.OK


def test_the_listings_retries_never_run_past_the_waits_timeout(
    hub: Hub, deployed: DeployedClient, clock: ManualClock, sandbox: Sandbox, client: Any, endpoint_body: Any
) -> None:
    create(client, endpoint_body, "a")

    def down(request: Request, call: Handler) -> Response:
        if request.route == LIST:
            return json_response({"error": "Service Unavailable"}, status=503)
        return call(request)

    sandbox.add_middleware(down)
    start = clock.now()
    report = run(hub, deployed, clock, target("a"), timeout=30)  # the hub's own budget is 300 s
    assert for_wait(report) is ExitCode.TIMEOUT
    assert clock.now() - start <= 30
    assert "503" in report.endpoints[0].message


# -- what ready means -------------------------------------------------------------------------------


def test_ready_only_once_the_health_route_answers_200(
    hub: Hub, deployed: DeployedClient, clock: ManualClock, sandbox: Sandbox, client: Any, endpoint_body: Any
) -> None:
    create(client, endpoint_body, "slow-model")
    sandbox.add_middleware(failing_health({"slow-model"}))

    stuck = run(hub, deployed, clock, target("slow-model"), timeout=30)
    (e,) = stuck.endpoints
    assert (e.outcome, e.status, e.ready) == (Outcome.TIMEOUT, "running", False)
    assert "answered 503" in e.message
    assert for_wait(stuck) is ExitCode.TIMEOUT

    sandbox.clear_middleware()
    ready = run(hub, deployed, clock, target("slow-model"))
    assert ready.endpoints[0].ready and ready.endpoints[0].health_checked


def test_no_ready_during_an_update(
    hub: Hub, deployed: DeployedClient, clock: ManualClock, sandbox: Sandbox
) -> None:
    spec = desired()
    hub.create(USER, spec, ())
    clock.advance(5)
    changed = desired(model={"repository": "openai-community/gpt2", "env": {"MAX_INPUT_LENGTH": "512"}})
    response = hub.update(USER, "gpt2-demo", changed, ("model.env",), ())
    assert response.status is Status.UPDATING
    sandbox.reset_counts()
    recorder = Recorder()
    updated = target(
        "gpt2-demo", desired=changed, updated_since=response.updated_at, reported=response.status
    )

    report = run(hub, deployed, clock, updated, display=recorder)

    assert for_wait(report) is ExitCode.OK
    assert recorder.states("gpt2-demo") == ["updating", "ready"]
    assert sandbox.counts()[HEALTH] == 1  # never probed while updating


def test_a_config_change_that_does_not_redeploy_is_seen_through_by_updated_at(
    hub: Hub, deployed: DeployedClient, clock: ManualClock
) -> None:
    hub.create(USER, desired(), ())
    clock.advance(5)
    clock.advance(1)
    response = hub.update(USER, "gpt2-demo", desired(), (), ("team=ml",))  # tags only: stays running
    assert response.status is Status.RUNNING
    updated = target(
        "gpt2-demo", desired=desired(), updated_since=response.updated_at, reported=response.status
    )
    assert for_wait(run(hub, deployed, clock, updated)) is ExitCode.OK


def test_paused_and_scaled_to_zero_wanted_are_ready_without_a_probe(
    hub: Hub, deployed: DeployedClient, clock: ManualClock, sandbox: Sandbox, client: Any, endpoint_body: Any
) -> None:
    create(client, endpoint_body, "sleeper")
    create(client, endpoint_body, "zero", minReplica=0)
    clock.advance(5)
    assert client.post(f"/v2/endpoint/{USER}/sleeper/pause").status_code == 200
    assert client.post(f"/v2/endpoint/{USER}/zero/scale-to-zero").status_code == 200
    sandbox.reset_counts()

    report = run(
        hub,
        deployed,
        clock,
        target("sleeper", state=DesiredState.PAUSED),
        target("zero"),  # running wanted, minReplica 0: autoscaling wakes it
    )

    assert for_wait(report) is ExitCode.OK
    assert [e.health_checked for e in report.endpoints] == [False, False]
    assert HEALTH not in sandbox.counts()
    assert client.get(f"/v2/endpoint/{USER}/zero").json()["status"]["state"] == "scaledToZero"


def test_private_link_endpoint_is_ready_at_running_and_says_health_was_not_checked(
    hub: Hub, deployed: DeployedClient, clock: ManualClock, sandbox: Sandbox, client: Any, endpoint_body: Any
) -> None:
    create(client, endpoint_body, "vpc", type="private", privateService={"accountId": "123456789012"})
    report = run(hub, deployed, clock, target("vpc"))
    (e,) = report.endpoints
    assert e.ready and not e.health_checked
    assert "health route not checked" in e.message
    assert HEALTH not in sandbox.counts()


# -- ends at once -----------------------------------------------------------------------------------


def test_failed_deploy_ends_the_wait_at_once(
    hub: Hub, deployed: DeployedClient, clock: ManualClock, client: Any, endpoint_body: Any
) -> None:
    create(client, endpoint_body, "broken", repository="sandbox/fail-deploy")
    start = clock.now()
    report = run(hub, deployed, clock, target("broken"))
    (e,) = report.endpoints
    assert (e.outcome, e.status, for_wait(report)) == (Outcome.FAILED, "failed", ExitCode.FAILURE)
    assert e.hint and "--allow-replace" in e.hint
    assert clock.now() - start < 10  # not the 20-minute default


def test_update_failed_ends_the_wait_at_once(hub: Hub, deployed: DeployedClient, clock: ManualClock) -> None:
    hub.create(USER, desired(), ())
    clock.advance(5)
    bad = desired(model={"repository": "sandbox/fail-update"})
    response = hub.update(USER, "gpt2-demo", bad, ("model.repository",), ())
    report = run(hub, deployed, clock, target("gpt2-demo", desired=bad, updated_since=response.updated_at))
    (e,) = report.endpoints
    assert (e.outcome, e.status, for_wait(report)) == (Outcome.FAILED, "updateFailed", ExitCode.FAILURE)
    assert "failed to update" in e.message


def test_paused_ends_the_wait_at_once_with_how_to_start_it(
    hub: Hub, deployed: DeployedClient, clock: ManualClock, sandbox: Sandbox, client: Any, endpoint_body: Any
) -> None:
    create(client, endpoint_body, "sleeper")
    clock.advance(5)
    client.post(f"/v2/endpoint/{USER}/sleeper/pause")
    sandbox.reset_counts()
    report = run(hub, deployed, clock, target("sleeper"))
    (e,) = report.endpoints
    assert (e.outcome, report.polls, for_wait(report)) == (Outcome.FAILED, 1, ExitCode.FAILURE)
    assert e.hint and "endpointctl resume sleeper" in e.hint


def test_failure_beats_timeout_and_not_found_is_a_failure(
    hub: Hub, deployed: DeployedClient, clock: ManualClock, sandbox: Sandbox, client: Any, endpoint_body: Any
) -> None:
    create(client, endpoint_body, "slow")
    sandbox.add_middleware(failing_health({"slow"}))
    report = run(hub, deployed, clock, target("slow"), target("ghost"), timeout=10)
    assert [e.outcome for e in report.endpoints] == [Outcome.TIMEOUT, Outcome.FAILED]
    assert report.endpoints[1].status == "notFound"
    assert for_wait(report) is ExitCode.FAILURE


# -- timeout and cancel -----------------------------------------------------------------------------


def test_timeout_reports_the_last_status_and_the_port_hint_for_a_custom_container(
    hub: Hub, deployed: DeployedClient, clock: ManualClock, client: Any, endpoint_body: Any
) -> None:
    image = {"custom": {"url": "ghcr.io/acme/server:1", "port": 8080, "healthRoute": "/ping"}}
    create(client, endpoint_body, "custom", model={**endpoint_body()["model"], "image": image})
    start = clock.now()
    report = run(hub, deployed, clock, target("custom"), timeout=1.5)
    (e,) = report.endpoints
    assert (e.outcome, e.status, for_wait(report)) == (Outcome.TIMEOUT, "initializing", ExitCode.TIMEOUT)
    assert e.message == "Endpoint is initializing"
    assert e.hint and "wrong port" in e.hint and "8080" in e.hint
    assert clock.now() - start == pytest.approx(1.5)  # the last poll is at the deadline, not past it


def test_cancel_stops_the_wait_and_changes_nothing(
    hub: Hub, deployed: DeployedClient, clock: ManualClock, sandbox: Sandbox, client: Any, endpoint_body: Any
) -> None:
    create(client, endpoint_body, "a")
    sandbox.reset_counts()
    cancel = threading.Event()
    recorder = Recorder(on_update=cancel.set)  # Ctrl-C during the first poll
    report = run(hub, deployed, clock, target("a"), cancel=cancel, display=recorder)
    assert report.polls == 1
    assert [e.outcome for e in report.endpoints] == [Outcome.INTERRUPTED]
    assert for_wait(report) is ExitCode.INTERRUPTED
    assert sandbox.mutating_count() == 0
    assert recorder.reports == [report]


def test_without_a_prober_ready_means_deployed(
    hub: Hub, clock: ManualClock, sandbox: Sandbox, client: Any, endpoint_body: Any
) -> None:
    create(client, endpoint_body, "a")
    report = run(hub, None, clock, target("a"))
    assert report.endpoints[0].ready and not report.endpoints[0].health_checked
    assert HEALTH not in sandbox.counts()


# -- what apply and resume wait for -----------------------------------------------------------------


def test_targets_from_apply_results() -> None:
    from builders import live

    spec = desired()
    paused_spec = desired(state="paused")
    updating = live(status=Status.UPDATING, updated_at="2026-11-25T01:00:00Z")
    results = [
        Result(
            Change(
                "gpt2-demo", "acme", Action.UPDATE, steps=(Step(StepKind.UPDATE),), desired=spec, live=live()
            ),
            ApplyOutcome.OK,
            done=["update"],
            endpoint=updating,
        ),
        Result(
            Change("left-paused", "acme", Action.NOOP, desired=spec, live=live(status=Status.PAUSED)),
            ApplyOutcome.UNCHANGED,
        ),
        Result(
            Change("to-pause", "acme", Action.PAUSE, desired=paused_spec), ApplyOutcome.OK, done=["pause"]
        ),
        Result(Change("broken", "acme", Action.UPDATE, desired=spec), ApplyOutcome.FAILED),
        Result(Change("gone", "acme", Action.DELETE), ApplyOutcome.OK, done=["delete"]),
    ]
    targets = targets_from_results(results)
    assert [(t.name, t.state) for t in targets] == [
        ("gpt2-demo", DesiredState.RUNNING),
        ("left-paused", DesiredState.PAUSED),  # no state in the manifest: apply leaves it paused
        ("to-pause", DesiredState.PAUSED),
    ]
    assert targets[0].updated_since == "2026-11-25T01:00:00Z"
    assert targets[0].desired is spec and targets[0].reported is Status.UPDATING
    assert targets[1].updated_since is None and targets[1].desired is None


def test_targets_after_resume() -> None:
    from builders import live

    results = [
        Result(
            Change("a", "acme", Action.RESUME),
            ApplyOutcome.OK,
            done=["resume"],
            endpoint=live(status=Status.PENDING),
        ),
        Result(Change("b", "acme", Action.NOOP), ApplyOutcome.UNCHANGED),
        Result(Change("c", "acme", Action.RESUME), ApplyOutcome.FAILED),
    ]
    targets = targets_after_resume(results)
    assert [(t.name, t.resumed, t.reported) for t in targets] == [
        ("a", True, Status.PENDING),
        ("b", False, None),
    ]


# -- many endpoints: noticed promptly, at few reads ---------------------------------------------------


def test_twenty_endpoints_ready_at_different_moments_are_noticed_within_seconds_at_few_reads(
    hub: Hub, deployed: DeployedClient, clock: ManualClock, sandbox: Sandbox, client: Any, endpoint_body: Any
) -> None:
    """Issue 12's figure: 20 endpoints booting at once, each ready at its own moment (its health route
    answers 200 from then on). One list per poll covers all of them, so the poll may be frequent: the
    median notice within 5 s of readiness, the latest within 8 s, at most 4 status reads per
    endpoint-minute (a list counted once)."""
    names = [f"ep-{i:02d}" for i in range(20)]
    start = clock.now()
    ready_at = {name: start + 10.0 + 7.3 * i for i, name in enumerate(names)}  # 10 s ... 149 s

    def healthy_from(request: Request, call: Handler) -> Response:
        name = request.params.get("name")
        if request.route == HEALTH and name in ready_at and clock.now() < ready_at[name]:
            return json_response({"error": "model still loading"}, status=503)
        return call(request)

    sandbox.add_middleware(healthy_from)
    for name in names:
        create(client, endpoint_body, name, instanceSize="x1", maxReplica=1)  # within the CPU quota
    sandbox.reset_counts()

    report = wait_for(hub, deployed, [target(n) for n in names], clock=clock, rng=random.Random(3))

    assert all(e.ready for e in report.endpoints)
    delays = sorted(e.elapsed - (ready_at[e.target.name] - start) for e in report.endpoints)
    assert all(d >= 0 for d in delays)
    assert delays[len(delays) // 2] <= 5.0, delays
    assert delays[-1] <= 8.0, delays
    reads = sandbox.counts()[LIST] + sandbox.counts().get(GET_ONE, 0)
    endpoint_minutes = sum(e.elapsed for e in report.endpoints) / 60
    assert reads / endpoint_minutes <= 4.0, (reads, endpoint_minutes)


def test_one_endpoint_alone_is_still_read_at_most_every_fifteen_seconds_once_the_backoff_grows() -> None:
    from endpointctl.core.backoff import SHARED_POLL_FLOOR, shared_poll_cap

    assert shared_poll_cap(1, 1) == 15.0
    assert shared_poll_cap(1, 20) == SHARED_POLL_FLOOR  # 0.75 s would do; never below the floor
    assert shared_poll_cap(2, 4) == 7.5  # two namespaces: two lists per poll
    assert shared_poll_cap(1, 0) == POLL.cap
    delays = [POLL.ceiling(attempt, shared_poll_cap(1, 20)) for attempt in range(1, 12)]
    assert delays[:3] == [1.0, 1.5, 2.25] and max(delays) == SHARED_POLL_FLOOR

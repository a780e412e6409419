"""Holding under faults: the sandbox injects them, the CLI must survive them end to end.

The fault injector is tested on its own first (rules, determinism, counters), then every command is
run through huggingface_hub against a sandbox that rate-limits, fails, hangs or drops connections.
"""

from __future__ import annotations

import dataclasses
import email.utils
import itertools
import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import click
import httpx2
import pytest
from clirunner import Cli, assert_replan_empty
from test_cli_apply import manifest, write

from endpointctl.cli.sandbox import fault_config
from endpointctl.core.errors import Interrupted, WaitTimeout
from endpointctl.core.settings import TokenInfo
from endpointctl.core.tags import MANAGED_TAG
from endpointctl.engine.executor import wait_absent
from endpointctl.hub import Hub
from endpointctl.hub import client as hub_module
from endpointctl.sandbox import ManualClock, Request, Response, Sandbox
from endpointctl.sandbox.faults import FaultConfig, FaultInjector, FaultKind, FaultRule, parse_rule

ROOT = pathlib.Path(__file__).resolve().parent.parent
USER = "sandbox-user"
CREATE = "POST /v2/endpoint/{namespace}"
LIST = "GET /v2/endpoint/{namespace}"
SMALL = {"accelerator": "cpu", "instanceType": "intel-spr", "instanceSize": "x1"}


# -- rules from the command line ----------------------------------------------------------------------


def test_rules_parse_from_their_command_line_form() -> None:
    assert parse_rule("status=429,p=0.3,retry-after=1") == FaultRule(
        FaultKind.STATUS, status=429, probability=0.3, retry_after=1.0
    )
    assert parse_rule("status=429, retry-after-date=5, route=GET *") == FaultRule(
        FaultKind.STATUS, status=429, retry_after=5.0, retry_after_date=True, route="GET *"
    )
    assert parse_rule("status=503,ratelimit=12,times=2") == FaultRule(
        FaultKind.STATUS, status=503, ratelimit_reset=12, limit=2
    )
    assert parse_rule("latency=0.5,route=POST /v2/endpoint/{namespace}") == FaultRule(
        FaultKind.LATENCY, latency=0.5, route=CREATE
    )
    assert parse_rule("hang,p=0.1") == FaultRule(FaultKind.HANG, probability=0.1)
    assert parse_rule("drop,route=POST /v2/endpoint/{namespace},times=1") == FaultRule(
        FaultKind.DROP, route=CREATE, limit=1
    )


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("p=0.5", "no fault given"),
        ("status=429,hang", "one fault per rule"),
        ("status=200", "must be an error"),
        ("status=429,p=1.5", "probability"),
        ("status=abc", "invalid literal"),
        ("hang=1", "takes no value"),
        ("latency", "needs a value"),
        ("status=503,color=red", "unknown key 'color'"),
        ("status=503,sometimes", "is not KEY=VALUE"),
        ("status=429,retry-after=1,retry-after-date=1", "not both"),
    ],
)
def test_bad_rules_say_what_is_wrong(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_rule(text)


def test_serve_flags_become_the_sandbox_fault_config() -> None:
    config = fault_config(["status=429,p=0.3,retry-after=1", "drop,route=POST /v2/endpoint/{namespace}"], 7)
    assert config is not None and config.seed == 7
    assert [rule.kind for rule in config.rules] == [FaultKind.STATUS, FaultKind.DROP]
    assert fault_config([], 0) is None
    with pytest.raises(click.BadParameter, match="no fault given"):
        fault_config(["p=1"], 0)


def test_serve_refuses_a_bad_fault_flag_before_serving(cli: Cli) -> None:
    result = cli("sandbox", "serve", "--port", "0", "--fault", "status=99")
    assert result.code == 2
    assert "--fault" in result.stderr and "must be an error" in result.stderr


def test_serve_help_names_every_kind_of_fault() -> None:
    from click.testing import CliRunner

    from endpointctl.cli import cli

    # click wraps its help at hyphens ("end- after"): read as one line, as a user would.
    output = CliRunner().invoke(cli, ["sandbox", "serve", "--help"]).output
    shown = " ".join(output.split()).replace("- ", "-")
    assert [kind.value for kind in FaultKind if kind.value not in shown] == []


# -- the injector on its own --------------------------------------------------------------------------


def request(path: str = "/v2/endpoint/acme", route: str = LIST, body: bytes = b"") -> Request:
    return Request(method=route.split()[0], path=path, query={}, headers={}, body=body, route=route)


def ok(_: Request) -> Response:
    return Response(200, b"{}")


def test_the_same_seed_injects_the_same_faults_whatever_the_order() -> None:
    rule = FaultRule(FaultKind.STATUS, status=503, probability=0.5)
    paths = [f"/v2/endpoint/acme/ep-{i}" for i in range(40)]

    def statuses(order: list[str], seed: int) -> dict[str, int]:
        injector = FaultInjector(FaultConfig((rule,), seed=seed))
        return {
            path: injector(request(path, "GET /v2/endpoint/{namespace}/{name}"), ok).status for path in order
        }

    first = statuses(paths, seed=1)
    assert statuses(list(reversed(paths)), seed=1) == first
    assert 5 < sum(status == 503 for status in first.values()) < 35
    assert statuses(paths, seed=2) != first


def test_rules_match_routes_count_what_they_inject_and_respect_their_limit() -> None:
    rules = (
        FaultRule(FaultKind.STATUS, route=CREATE, status=429, retry_after=3, limit=2),
        FaultRule(FaultKind.STATUS, route="GET *", status=502),
    )
    injector = FaultInjector(FaultConfig(rules))
    create = [injector(request(route=CREATE), ok) for _ in range(3)]
    assert [r.status for r in create] == [429, 429, 200]
    assert create[0].headers["Retry-After"] == "3"
    assert json.loads(create[0].body)["error"].startswith("Too Many Requests")
    assert injector(request(route=LIST), ok).status == 502
    assert injector(request(route="DELETE /v2/endpoint/{namespace}/{name}"), ok).status == 200
    assert injector.injected() == {f"{CREATE} 429": 2, f"{LIST} 502": 1}
    assert injector.total() == 3


def test_retry_after_as_a_date_and_a_ratelimit_header() -> None:
    rule = FaultRule(FaultKind.STATUS, status=429, retry_after=5, retry_after_date=True, ratelimit_reset=9)
    injector = FaultInjector(FaultConfig((rule,)), wall=lambda: 1_760_000_000.4)
    response = injector(request(), ok)
    when = email.utils.parsedate_to_datetime(response.headers["Retry-After"]).timestamp()
    assert when == 1_760_000_006  # rounded up: never sooner than asked
    assert response.headers["RateLimit"] == '"default";r=0;t=9'


def test_drop_commits_then_drops_and_latency_carries_on() -> None:
    committed: list[Request] = []

    def handler(req: Request) -> Response:
        committed.append(req)
        return Response(200, b"{}")

    injector = FaultInjector(
        FaultConfig((FaultRule(FaultKind.LATENCY, latency=0.01), FaultRule(FaultKind.DROP, route=CREATE)))
    )
    response = injector(request(route=CREATE), handler)
    assert response.drop_connection and len(committed) == 1
    started = time.monotonic()
    assert not injector(request(route=LIST), handler).drop_connection
    assert time.monotonic() - started >= 0.01


def test_a_held_request_is_released_when_the_sandbox_stops(sandbox: Sandbox) -> None:
    sandbox.install_faults(FaultConfig((FaultRule(FaultKind.HANG, route="GET /v2/provider"),)))
    handlers: list[threading.Thread] = []
    handled = threading.Event()

    def note_thread(req: Request, call_next: Callable[[Request], Response]) -> Response:
        handlers.append(threading.current_thread())
        handled.set()
        return call_next(req)

    sandbox.add_middleware(note_thread)
    with pytest.raises(httpx2.ReadTimeout):
        httpx2.get(f"{sandbox.url}/v2/provider", timeout=0.1)
    # The client may give up before the server has read the request (it is read all the same, from the
    # socket's buffer): wait for its handler rather than make every run wait longer for it.
    assert handled.wait(timeout=10)
    (held,) = handlers
    assert held.is_alive()  # still waiting for an answer that never comes
    started = time.monotonic()
    sandbox.stop()
    held.join(timeout=5)
    assert not held.is_alive()
    assert time.monotonic() - started < 10  # a guard against a hang; the join above proves the release
    assert sandbox.faults is not None and sandbox.faults.injected() == {"GET /v2/provider hang": 1}


# -- end to end: the CLI against a faulty sandbox ------------------------------------------------------


@dataclasses.dataclass
class Seen:
    key: str  # method, path and body: the same request sent again is the same key
    at: float
    status: int
    retry_after: str | None


def record(sandbox: Sandbox, clock: ManualClock) -> list[Seen]:
    """Every request as the client saw it, faults included: add after the faults (outermost)."""
    seen: list[Seen] = []
    lock = threading.Lock()

    def middleware(req: Request, call_next: Callable[[Request], Response]) -> Response:
        at = clock.now()
        response = call_next(req)
        with lock:
            key = f"{req.method} {req.path}?{sorted(req.query.items())} {req.body!r}"
            seen.append(Seen(key, at, response.status, response.headers.get("Retry-After")))
        return response

    sandbox.add_middleware(middleware)
    return seen


def count_commits(sandbox: Sandbox) -> list[str]:
    """Creates the store accepted: add before the faults (innermost), so it sees only what got through."""
    commits: list[str] = []

    def middleware(req: Request, call_next: Callable[[Request], Response]) -> Response:
        response = call_next(req)
        if req.route == CREATE and response.status == 200:
            commits.append(json.loads(req.body)["name"])
        return response

    sandbox.add_middleware(middleware)
    return commits


def retried_too_soon(seen: list[Seen]) -> list[tuple[Seen, Seen]]:
    last: dict[str, Seen] = {}
    early = []
    for entry in seen:
        before = last.get(entry.key)
        # A hair of tolerance: the ManualClock's float sums round at this magnitude (~1e-7 s).
        if before and before.retry_after and entry.at - before.at < float(before.retry_after) - 1e-6:
            early.append((before, entry))
        last[entry.key] = entry
    return early


def test_apply_under_30_percent_429s_converges_with_one_create_each(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    for i in range(20):
        write(tmp_path, f"ep-{i:02d}.yaml", manifest(f"ep-{i:02d}", compute=SMALL))
    commits = count_commits(sandbox)
    faults = sandbox.install_faults(
        FaultConfig((FaultRule(FaultKind.STATUS, status=429, probability=0.3, retry_after=1),), seed=4)
    )
    seen = record(sandbox, clock)

    result = cli("apply", str(tmp_path), "--yes", "-o", "json")

    assert result.code == 0, result.all
    assert {r["outcome"] for r in json.loads(result.stdout)} == {"ok"}
    assert sorted(commits) == [f"ep-{i:02d}" for i in range(20)]  # exactly one committed create each
    assert faults.injected().get(f"{CREATE} 429", 0) > 0  # the creates themselves were rate-limited
    assert sum(1 for s in seen if s.status == 429) == faults.total() > 5
    assert retried_too_soon(seen) == []
    sandbox.clear_middleware()
    status = json.loads(cli("status", "-o", "json").stdout)
    assert len(status) == 20


def test_when_every_listing_answers_503_apply_stops_within_its_budget(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    # The listing only: the test clock adds up every thread's sleeps, so the hardware catalog's retries
    # side by side with the listing's would move it by both their backoffs, past a budget each kept.
    path = write(tmp_path, "m.yaml", manifest(compute=SMALL))
    sandbox.install_faults(FaultConfig((FaultRule(FaultKind.STATUS, route=LIST, status=503),)))
    started = clock.now()
    env = {"ENDPOINTCTL_RETRY_SECONDS": "20", "ENDPOINTCTL_NAMESPACE": USER}

    result = cli("apply", path, "--yes", env=env)

    assert result.code == 1
    assert clock.now() - started <= 20
    attempts = sandbox.counts()[LIST]
    assert attempts > 1
    assert (
        f"error: listing endpoints of namespace '{USER}': gave up after {attempts} attempts in"
        in result.stderr
    )
    assert "the API last answered 503: Service Unavailable" in result.stderr
    assert f"listing endpoints of namespace '{USER}': the API answered 503" in result.stderr  # progress
    assert "; retrying in " in result.stderr
    assert sandbox.mutating_count() == 0


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_answers_that_mean_no_are_not_retried(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, status: int
) -> None:
    sandbox.install_faults(FaultConfig((FaultRule(FaultKind.STATUS, route=LIST, status=status),)))
    seen = record(sandbox, clock)
    result = cli("status", env={"ENDPOINTCTL_NAMESPACE": USER})
    assert result.code == 1
    # Not retried; a 400/422 may be a refused page size, so the listing is asked once more without one.
    refused_limit = status in (400, 422)
    assert sandbox.counts()[LIST] == (2 if refused_limit else 1)
    if refused_limit:
        assert "'limit', '100'" in seen[0].key and "limit" not in seen[1].key
    assert f"the API answered {status}" in result.stderr


def test_403_names_the_token_source_and_owner_but_never_the_token(
    cli: Cli, sandbox: Sandbox, token: str
) -> None:
    sandbox.install_faults(FaultConfig((FaultRule(FaultKind.STATUS, route=LIST, status=403),)))
    result = cli("status", env={"ENDPOINTCTL_NAMESPACE": USER})
    assert result.code == 1
    assert "HF_TOKEN environment variable" in result.stderr
    assert f"belongs to '{USER}'" in result.stderr
    assert "Inference Endpoints read access" in result.stderr
    assert token not in result.all


def test_a_create_committed_then_dropped_is_adopted_not_repeated(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, "m.yaml", manifest(compute=SMALL))
    commits = count_commits(sandbox)
    faults = sandbox.install_faults(FaultConfig((FaultRule(FaultKind.DROP, route=CREATE),)))

    result = cli("apply", path, "--yes", "-o", "json")

    assert result.code == 0, result.all
    assert faults.injected() == {f"{CREATE} drop": 1}
    assert commits == ["gpt2-demo"]
    assert sandbox.counts()[CREATE] == 1
    assert sandbox.counts()["GET /v2/endpoint/{namespace}/{name}"] == 1  # the read that resolved it
    clock.advance(10)
    assert_replan_empty(cli, sandbox, path)


def _someone_else_creates_first(sandbox: Sandbox, then: str) -> None:
    """On our create, another client's create of the same name lands first (without our tags)."""

    def middleware(req: Request, call_next: Callable[[Request], Response]) -> Response:
        if req.route != CREATE:
            return call_next(req)
        body = json.loads(req.body)
        body["tags"] = ["owner=someone-else"]
        call_next(dataclasses.replace(req, body=json.dumps(body).encode()))
        if then == "drop":
            return Response(200, drop_connection=True)
        return call_next(req)  # ours now answers 409: the name is taken

    sandbox.add_middleware(middleware)


@pytest.mark.parametrize("then", ["drop", "409"])
def test_an_ambiguous_create_that_finds_someone_elses_endpoint_stops(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, client: httpx2.Client, then: str
) -> None:
    path = write(tmp_path, "m.yaml", manifest(compute=SMALL))
    commits = count_commits(sandbox)
    _someone_else_creates_first(sandbox, then)

    result = cli("apply", path, "--yes", "-o", "json")

    assert result.code == 1
    (row,) = json.loads(result.stdout)
    assert row["outcome"] == "failed"
    assert "exists without endpointctl's ownership tag" in row["error"]
    assert "quota" not in row["error"].lower()
    assert commits == ["gpt2-demo"]  # only the other client's; ours was never sent again
    (endpoint,) = client.get(f"/v2/endpoint/{USER}").json()["items"]
    assert MANAGED_TAG not in endpoint["tags"]


def test_a_quota_409_is_reported_as_quota_with_figures(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, client: httpx2.Client, endpoint_body: Any
) -> None:
    filler = {**SMALL, "instanceSize": "x8", "scaling": {"minReplica": 1, "maxReplica": 4}}
    assert (
        client.post(f"/v2/endpoint/{USER}", json=endpoint_body("filler", compute=filler)).status_code == 200
    )
    path = write(tmp_path, "m.yaml", manifest(compute=SMALL))
    sandbox.add_middleware(_stale_first_catalog())  # the preflight's read: taken since, by another client
    sandbox.reset_counts()

    result = cli("apply", path, "--yes", "-o", "json")

    assert result.code == 1
    (row,) = json.loads(result.stdout)
    assert "Quota exceeded for intel-spr" in row["error"]
    assert "quota for intel-spr: 32 of 32 accelerators in use, and this endpoint needs 1" in row["error"]
    assert "ownership" not in row["error"] and "exists" not in row["error"]
    assert sandbox.counts()[CREATE] == 1
    assert "GET /v2/endpoint/{namespace}/{name}" not in sandbox.counts()


def _stale_first_catalog() -> Callable[[Request, Callable[[Request], Response]], Response]:
    """The first hardware catalog answered as if no accelerator were in use; the next ones as they are."""
    served = itertools.count()

    def middleware(req: Request, call_next: Callable[[Request], Response]) -> Response:
        response = call_next(req)
        if req.route == "GET /v2/provider/{namespace}" and next(served) == 0:
            doc = json.loads(response.body)
            for vendor in doc["vendors"]:
                for region in vendor["regions"]:
                    for compute in region["computes"]:
                        compute["quota"]["usedAccelerators"] = 0
            response.body = json.dumps(doc).encode()
        return response

    return middleware


def _fail_later_pages(sandbox: Sandbox) -> None:
    def middleware(req: Request, call_next: Callable[[Request], Response]) -> Response:
        if req.route == LIST and req.query.get("cursor"):
            return Response(503, b'{"error": "Service Unavailable"}')
        return call_next(req)

    sandbox.add_middleware(middleware)


def test_a_listing_page_that_fails_stops_plan_apply_and_prune_with_no_mutation(
    cli: Cli,
    sandbox: Sandbox,
    tmp_path: pathlib.Path,
    client: httpx2.Client,
    endpoint_body: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ours = ["managed-by=endpointctl", "endpointctl-stack=prod"]
    small = {**SMALL, "scaling": {"minReplica": 1, "maxReplica": 1}}
    for name in ("gpt2-demo", "old-one", "older-one"):
        body = endpoint_body(name, compute=small, tags=ours)
        assert client.post(f"/v2/endpoint/{USER}", json=body).status_code == 200
    # gpt2-demo's manifest changes a field, a new one is wanted, and the others are prunable.
    write(
        tmp_path, "a.yaml", manifest("gpt2-demo", compute=SMALL, scaling={"minReplica": 1, "maxReplica": 2})
    )
    write(tmp_path, "b.yaml", manifest("new-one", compute=SMALL))
    monkeypatch.setattr(hub_module, "PAGE_SIZE", 2)
    _fail_later_pages(sandbox)
    sandbox.reset_counts()
    env = {"ENDPOINTCTL_RETRY_SECONDS": "10"}

    for argv in (
        ("plan", str(tmp_path)),
        ("apply", str(tmp_path), "--yes"),
        ("apply", str(tmp_path), "--yes", "--prune", "--stack", "prod"),
    ):
        result = cli(*argv, env=env)
        assert result.code == 1, argv
        assert f"listing endpoints of namespace '{USER}': gave up" in result.stderr
        assert sandbox.mutating_count() == 0, argv
    assert len(client.get(f"/v2/endpoint/{USER}").json()["items"]) == 3


class RealTimeInstantSleep:
    """Real elapsed time, because socket timeouts are real; sleeps that return at once."""

    def __init__(self) -> None:
        self._skipped = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.monotonic() + self._skipped

    def wall(self) -> float:
        return time.time() + self._skipped

    def sleep(self, seconds: float, cancel: Any = None) -> bool:
        if cancel is not None and cancel.is_set():
            return False
        with self._lock:
            self._skipped += max(seconds, 0.0)
        return True


def test_a_server_that_never_answers_cannot_hold_any_command(
    sandbox: Sandbox, token: str, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, "m.yaml", manifest(compute=SMALL))
    sandbox.install_faults(FaultConfig((FaultRule(FaultKind.HANG),)))
    # Every attempt waits out the real timeout, the backoff between attempts only virtually: a short
    # timeout keeps the wall time small, and the budget, kept as it was, still lets each command try
    # again (as often as before, or more: the backoff's delays are the same, the attempts shorter).
    # A read timeout is all a hang can cause: connecting and sending to loopback never wait on it.
    timeout, budget = 0.05, 1.0
    cli = Cli(
        environ={
            "ENDPOINTCTL_API_URL": sandbox.url,
            "HF_TOKEN": token,
            "ENDPOINTCTL_STATE_DIR": str(tmp_path),
            "ENDPOINTCTL_REQUEST_TIMEOUT": str(timeout),
            "ENDPOINTCTL_RETRY_SECONDS": str(budget),
        },
        clock=RealTimeInstantSleep(),
    )
    for argv, env in (
        (("status",), {}),
        (("plan", path), {"ENDPOINTCTL_NAMESPACE": USER}),
        (("apply", path, "--yes"), {"ENDPOINTCTL_NAMESPACE": USER}),
        (("hardware",), {"ENDPOINTCTL_NAMESPACE": USER}),
        (("pause", "x"), {"ENDPOINTCTL_NAMESPACE": USER}),
        (("delete", "x", "--yes"), {"ENDPOINTCTL_NAMESPACE": USER}),
    ):
        started = time.monotonic()
        result = cli(*argv, env=env)
        elapsed = time.monotonic() - started
        assert result.code == 1, (argv, result.all)
        # Ends within its own budget (virtual sleeps, real socket timeouts); the ceiling is a generous guard
        # against a hang that still tolerates a loaded CI machine.
        assert elapsed < budget + timeout + 15.0, argv
        assert f"answered nothing within {timeout:g} s (ReadTimeout)" in result.stderr
    assert sandbox.mutating_count() == 0


# -- `sandbox serve --fault` as a process ------------------------------------------------------------------


def test_sandbox_serve_injects_the_faults_its_flags_ask_for(tmp_path: pathlib.Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "ENDPOINTCTL_"))}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "endpointctl",
            "sandbox",
            "serve",
            "--port",
            "0",
            "--fault",
            "status=429,retry-after=7,route=GET /v2/provider",
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert server.stderr is not None
        url = server.stderr.readline().split("serving at ", 1)[1].split()[0]
        response = httpx2.get(f"{url}/v2/provider", timeout=5)
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "7"
        assert httpx2.get(f"{url}/api/whoami-v2", timeout=5).status_code == 401  # other routes untouched
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=20) == 0
    assert server.stderr is not None
    log = server.stderr.read()
    assert "injecting 429 Retry-After 7 s p=1 on GET /v2/provider" in log
    assert "'GET /v2/provider 429': 1" in log


# -- waiting for a delete to be done --------------------------------------------------------------------

GET_ONE = "GET /v2/endpoint/{namespace}/{name}"


def _still_there_for(sandbox: Sandbox, clock: ManualClock, doc: dict[str, Any], reads: int) -> list[float]:
    """The API deleting asynchronously: the first ``reads`` GETs of the endpoint still find it."""
    seen: list[float] = []

    def middleware(req: Request, call_next: Callable[[Request], Response]) -> Response:
        if req.route != GET_ONE:
            return call_next(req)
        seen.append(clock.now())
        if len(seen) <= reads:
            return Response(200, json.dumps(doc).encode())
        return call_next(req)

    sandbox.add_middleware(middleware)
    return seen


def _deleted(
    sandbox: Sandbox, clock: ManualClock, client: httpx2.Client, endpoint_body: Any, token: str
) -> tuple[Hub, dict[str, Any]]:
    assert client.post(f"/v2/endpoint/{USER}", json=endpoint_body("gone-soon")).status_code == 200
    doc = client.get(f"/v2/endpoint/{USER}/gone-soon").json()
    hub = Hub(token=TokenInfo(token, "test"), api_url=sandbox.url, clock=clock, rng=random.Random(5))
    hub.delete(USER, "gone-soon")
    sandbox.reset_counts()
    return hub, doc


def test_wait_absent_reads_until_404_backing_off_on_the_clock(
    sandbox: Sandbox, clock: ManualClock, client: httpx2.Client, endpoint_body: Any, token: str
) -> None:
    hub, doc = _deleted(sandbox, clock, client, endpoint_body, token)
    seen = _still_there_for(sandbox, clock, doc, reads=6)
    start = clock.now()
    wait_absent(hub, USER, "gone-soon", clock=clock, timeout=120)
    assert len(seen) == 7  # six answers "still there", then the 404
    waits = [b - a for a, b in itertools.pairwise(seen)]
    assert 0.5 <= waits[0] <= 1.0 and all(w <= 10.0 for w in waits)
    assert waits[-1] > waits[0]  # backs off
    assert clock.now() - start < 120
    assert sandbox.mutating_count() == 0  # reading changes nothing


def test_wait_absent_reads_again_past_an_answer_with_an_error_beside_it(
    sandbox: Sandbox, clock: ManualClock, client: httpx2.Client, endpoint_body: Any, token: str
) -> None:
    """Mid-replace, the old endpoint deleted: an answer that is not whole says neither "still there" nor
    "gone", and stopping on it would leave nothing running. It is read again, until the 404."""
    hub, doc = _deleted(sandbox, clock, client, endpoint_body, token)
    seen = _still_there_for(sandbox, clock, {**doc, "error": "backend timed out; partial results"}, reads=2)
    wait_absent(hub, USER, "gone-soon", clock=clock, timeout=120)
    assert len(seen) == 3  # two partial answers, then the 404


def test_wait_absent_is_bounded_by_its_timeout(
    sandbox: Sandbox, clock: ManualClock, client: httpx2.Client, endpoint_body: Any, token: str
) -> None:
    hub, doc = _deleted(sandbox, clock, client, endpoint_body, token)
    _still_there_for(sandbox, clock, doc, reads=10_000)
    start = clock.now()
    with pytest.raises(WaitTimeout, match="'sandbox-user/gone-soon' was deleted but still exists after 30 s"):
        wait_absent(hub, USER, "gone-soon", clock=clock, timeout=30)
    assert clock.now() - start == pytest.approx(30, abs=1e-3)


def test_wait_absent_stops_at_once_on_an_interrupt(
    sandbox: Sandbox, clock: ManualClock, client: httpx2.Client, endpoint_body: Any, token: str
) -> None:
    _, doc = _deleted(sandbox, clock, client, endpoint_body, token)
    cancel = threading.Event()
    hub = Hub(token=TokenInfo(token, "test"), api_url=sandbox.url, clock=clock, cancel=cancel)
    seen = _still_there_for(sandbox, clock, doc, reads=10_000)

    def ctrl_c(req: Request, call_next: Callable[[Request], Response]) -> Response:
        cancel.set()  # during the first read
        return call_next(req)

    sandbox.add_middleware(ctrl_c)
    start = clock.now()
    with pytest.raises(Interrupted, match="to be gone after its delete; it was still there"):
        wait_absent(hub, USER, "gone-soon", clock=clock, timeout=300, cancel=cancel)
    assert len(seen) == 1 and clock.now() == start


def test_wait_absent_returns_at_once_when_already_gone(
    sandbox: Sandbox, clock: ManualClock, client: httpx2.Client, endpoint_body: Any, token: str
) -> None:
    hub, _ = _deleted(sandbox, clock, client, endpoint_body, token)
    start = clock.now()
    wait_absent(hub, USER, "gone-soon", clock=clock, timeout=30)
    assert clock.now() == start
    assert sandbox.counts() == {GET_ONE: 1}


def test_wait_absent_that_never_reads_a_whole_answer_says_whether_it_is_gone_is_unknown(
    sandbox: Sandbox, clock: ManualClock, client: httpx2.Client, endpoint_body: Any, token: str
) -> None:
    hub, doc = _deleted(sandbox, clock, client, endpoint_body, token)
    _still_there_for(sandbox, clock, {**doc, "error": "partial results"}, reads=10_000)
    with pytest.raises(WaitTimeout, match="whether it is gone is unknown after 30 s") as raised:
        wait_absent(hub, USER, "gone-soon", clock=clock, timeout=30)
    assert "still exists" not in raised.value.message

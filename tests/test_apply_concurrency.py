"""Issue 12: apply and plan overlap what does not depend on each other, within a cap per namespace.

Through the sandbox over loopback, with middlewares that count requests and hold them: the reads a plan
makes (every namespace's listing, each hardware catalog, each branch's commit) are all in flight at once;
creates run ``--parallelism`` at a time in each namespace, never more; failures and Ctrl-C during the
concurrent reads end the command as the reads one after another did, having changed nothing. No test
sleeps or times anything: a held request is released by the others' arrival, with a bounded wait whose
running out is recorded and fails the test.
"""

from __future__ import annotations

import json
import pathlib
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from clirunner import Cli
from test_cli_apply import manifest, write

from endpointctl.engine.executor import DEFAULT_PARALLELISM
from endpointctl.sandbox import Response, Sandbox

USER, ORG = "sandbox-user", "acme"
CREATE, LIST, CATALOG = (
    "POST /v2/endpoint/{namespace}",
    "GET /v2/endpoint/{namespace}",
    "GET /v2/provider/{namespace}",
)
WHOAMI, REVISION = "GET /api/whoami-v2", "GET /api/models/{owner}/{model}/revision/{rev}"
BOUND = 30.0  # seconds a held request waits for the others at most; running out fails the test
Handler = Callable[[Any], Response]


def _manifests(
    tmp_path: pathlib.Path, per_namespace: int, alternate: Sequence[dict[str, Any]] = (), **extra: Any
) -> str:
    """``per_namespace`` manifests in each of the user's namespace and the org's, one instance each;
    with ``alternate``, the i-th takes the (i mod n)-th of its settings too (quotas are per instance type)."""
    directory = tmp_path / "manifests"
    directory.mkdir()
    for ns in (USER, ORG):
        for i in range(per_namespace):
            name = f"{ns[:4]}-{i:02d}"
            own = alternate[i % len(alternate)] if alternate else {}
            write(directory, f"{ns}-{i:02d}.yaml", manifest(name, namespace=ns, **extra, **own))
    return str(directory)


class Gate:
    """Holds each create until ``width`` creates of its namespace are in flight (or the namespace's last
    ones have all arrived), and records the most in flight per namespace at any moment."""

    def __init__(self, width: int, totals: dict[str, int]) -> None:
        self.width, self.totals = width, totals
        self.in_flight: Counter[str] = Counter()
        self.arrived: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.timed_out = 0
        self._cond = threading.Condition()

    def __call__(self, request: Any, call_next: Handler) -> Response:
        if request.route != CREATE:
            return call_next(request)
        ns = request.params["namespace"]
        with self._cond:
            self.in_flight[ns] += 1
            self.arrived[ns] += 1
            self.peak[ns] = max(self.peak[ns], self.in_flight[ns])
            self._cond.notify_all()
            full = self._cond.wait_for(
                lambda: self.in_flight[ns] >= self.width or self.arrived[ns] == self.totals[ns], timeout=BOUND
            )
            self.timed_out += not full
        try:
            return call_next(request)
        finally:
            with self._cond:
                self.in_flight[ns] -= 1


@pytest.mark.parametrize("width", [1, 3])
def test_creates_run_parallelism_at_a_time_in_each_namespace_never_more(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, width: int
) -> None:
    per_namespace = 7  # batches of 3, 3 and 1 at width 3
    gate = Gate(width, {USER: per_namespace, ORG: per_namespace})
    sandbox.add_middleware(gate)
    result = cli("apply", _manifests(tmp_path, per_namespace), "--yes", "--parallelism", str(width))
    assert result.code == 0, result.all
    assert gate.timed_out == 0  # each namespace reached `width` in flight: the cap is per namespace
    assert dict(gate.peak) == {USER: width, ORG: width}
    counts = sandbox.counts()
    assert counts.get(CREATE) == 2 * per_namespace
    assert counts.get(LIST) == 2 and counts.get(CATALOG) == 2
    assert WHOAMI not in counts  # every manifest names its namespace: nobody asks whose token it is


def test_the_default_parallelism_is_reached_in_each_namespace_and_not_exceeded(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    per_namespace = DEFAULT_PARALLELISM + 1  # one batch full, then one more
    gate = Gate(DEFAULT_PARALLELISM, {USER: per_namespace, ORG: per_namespace})
    sandbox.add_middleware(gate)
    # One instance each, within each instance type's quota: the sandbox allows 32 intel-spr, then a T4.
    spr = {"compute": {"accelerator": "cpu", "instanceType": "intel-spr", "instanceSize": "x1"}}
    t4 = {"compute": {"accelerator": "gpu", "instanceType": "nvidia-t4", "instanceSize": "x1"}}
    within = [spr] * min(per_namespace - 1, 32) + [t4]
    result = cli("apply", _manifests(tmp_path, per_namespace, alternate=within), "--yes")
    assert result.code == 0, result.all
    assert gate.timed_out == 0
    assert dict(gate.peak) == {USER: DEFAULT_PARALLELISM, ORG: DEFAULT_PARALLELISM}
    assert sandbox.counts().get(CREATE) == 2 * per_namespace


def test_the_flag_defaults_to_the_engine_default() -> None:
    from endpointctl.cli.declarative import apply

    (flag,) = [p for p in apply.params if p.name == "parallelism"]
    assert flag.default == DEFAULT_PARALLELISM
    assert "per namespace" in (getattr(flag, "help", None) or "")


def _held_until_all_arrive(
    routes: set[str], count: int
) -> tuple[Callable[[Any, Handler], Response], list[str]]:
    """A middleware holding each request of ``routes`` until ``count`` of them are in flight together;
    the list records each one's route, and "timeout" for any that waited in vain."""
    arrived: list[str] = []
    barrier = threading.Barrier(count, timeout=BOUND)

    def hold(request: Any, call_next: Handler) -> Response:
        if request.route in routes:
            arrived.append(request.route)
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                arrived.append("timeout")
        return call_next(request)

    return hold, arrived


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_listings_catalogs_and_revision_lookups_are_all_in_flight_at_once(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, command: str
) -> None:
    directory = _manifests(tmp_path, 2)
    # One branch to look up: the same (repository, revision) in every manifest is looked up once.
    for path in pathlib.Path(directory).glob("*.yaml"):
        path.write_text(path.read_text().replace("repository:", "revision: main\n    repository:", 1))
    hold, arrived = _held_until_all_arrive({LIST, CATALOG, REVISION}, 5)  # 2 lists, 2 catalogs, 1 lookup
    sandbox.add_middleware(hold)
    result = cli(command, directory, *(["--yes"] if command == "apply" else []))
    assert result.code in (0, 2), result.all  # plan: 2 = changes to make (with --detailed-exitcode only)
    assert "timeout" not in arrived, arrived
    assert sorted(arrived) == sorted([LIST, LIST, CATALOG, CATALOG, REVISION])
    assert sandbox.counts().get(CREATE, 0) == (4 if command == "apply" else 0)


def test_when_reads_fail_the_error_is_the_first_in_order_and_nothing_is_changed(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    """Both listings fail; the second namespace's failure is answered first, yet the error named is the
    first namespace's, as when the reads ran one after another; no create is sent for either."""
    answered: dict[str, threading.Event] = {USER: threading.Event(), ORG: threading.Event()}
    order = [USER, ORG]  # the manifests' order: the files are read sorted, "acme-" before "sandbox-user-"
    order.sort(key=lambda ns: f"{ns}-")
    first, second = order
    waited: list[bool] = []

    def refuse(request: Any, call_next: Handler) -> Response:
        if request.route != LIST:
            return call_next(request)
        ns = request.params["namespace"]
        if ns == first:
            waited.append(answered[second].wait(timeout=BOUND))  # fails only after the other has failed
        answered[ns].set()
        body = json.dumps({"error": f"listing {ns} is refused"}).encode()
        return Response(status=500, body=body, headers={"Content-Type": "application/json"})  # not retried

    sandbox.add_middleware(refuse)
    result = cli("apply", _manifests(tmp_path, 1), "--yes")
    assert result.code == 1, result.all
    assert waited == [True]
    assert f"listing {first} is refused" in result.stderr
    assert f"listing {second} is refused" not in result.stderr
    assert sandbox.mutating_count() == 0


def test_a_catalog_that_cannot_be_read_stops_the_apply_though_the_listings_were_read(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    def refuse(request: Any, call_next: Handler) -> Response:
        if request.route == CATALOG and request.params["namespace"] == ORG:
            return Response(status=500, body=b'{"error": "no catalog"}', headers={})
        return call_next(request)

    sandbox.add_middleware(refuse)
    result = cli("apply", _manifests(tmp_path, 1), "--yes")
    assert result.code == 1, result.all
    assert "no catalog" in result.stderr
    assert sandbox.mutating_count() == 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_the_concurrent_reads_stops_at_once_and_changes_nothing(
    sandbox: Sandbox, token: str, tmp_path: pathlib.Path, sig: signal.Signals
) -> None:
    """Two namespaces, so the listings run in threads of their own; both are held until the end."""
    arrived: list[str] = []
    both, release = threading.Event(), threading.Event()

    def hold(request: Any, call_next: Handler) -> Response:
        if request.route == LIST:
            arrived.append(request.params["namespace"])
            if len(arrived) == 2:
                both.set()
            release.wait(timeout=60)
        return call_next(request)

    sandbox.add_middleware(hold)
    directory = _manifests(tmp_path, 1)
    env = {"ENDPOINTCTL_API_URL": sandbox.url, "HF_TOKEN": token, "ENDPOINTCTL_STATE_DIR": str(tmp_path)}
    child = subprocess.Popen(
        [sys.executable, "-m", "endpointctl", "apply", directory, "--yes"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert both.wait(timeout=30)
        child.send_signal(sig)
        _, stderr = child.communicate(timeout=20)  # while both listings are still held
    finally:
        release.set()
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 130, stderr
    assert "error: interrupted" in stderr
    assert sandbox.mutating_count() == 0

"""schedule run interrupted (SIGTERM from cron or CI, or Ctrl-C) still prints a record for every endpoint.

A pipeline parses stdout: an interrupt while the run waits for another command's lock, reads, or moves
endpoints leaves a JSON record per endpoint saying what was and was not done, and exits 130. A second
signal still stops it at once. Each test runs ``schedule run`` as a process of its own, so the signals are
real ones, and delivers them only once the child says (on stderr) that it is where the test wants it.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from clirunner import Cli
from clocks import InterruptedAt
from held_routes import hold_route
from test_schedule_run_each_endpoint import LIST, START, USER, deploy_running, held, states

from endpointctl.sandbox import ManualClock, Response, Sandbox

ROOT = pathlib.Path(__file__).resolve().parent.parent
AT = START.isoformat()  # the window has closed: every endpoint is to be paused


@pytest.fixture
def clock() -> InterruptedAt:
    """The sandbox's and the in-process CLI's clock: no Ctrl-C on it until a test sets ``at``."""
    return InterruptedAt(START.timestamp(), at=math.inf)


def schedule_run(sandbox: Sandbox, token: str, state: pathlib.Path, path: str) -> subprocess.Popen[str]:
    """``schedule run PATH -o json`` as cron runs it, with a lock wait far longer than any test takes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "ENDPOINTCTL_"))}
    env |= {"ENDPOINTCTL_API_URL": sandbox.url, "HF_TOKEN": token, "ENDPOINTCTL_STATE_DIR": str(state)}
    argv = ["schedule", "run", path, "--at", AT, "--lock-timeout", "600", "-o", "json"]
    return subprocess.Popen(
        [sys.executable, "-m", "endpointctl", *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def read_until(child: subprocess.Popen[str], text: str) -> str:
    """The child's stderr up to and including the first line with ``text`` (all of it, if none has)."""
    assert child.stderr is not None
    seen: list[str] = []
    for line in iter(child.stderr.readline, ""):
        seen.append(line)
        if text in line:
            break
    return "".join(seen)


def test_sigterm_while_waiting_for_a_lock_prints_every_record_and_moves_nothing(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, token: str
) -> None:
    path = deploy_running(cli, clock, tmp_path, "a", "b", "c")
    sandbox.reset_counts()
    # b's lock is another command's: the run takes a's, then waits for b's (c's is still to come).
    with held(tmp_path, f"endpoint:{USER}/b"):
        child = schedule_run(sandbox, token, tmp_path, path)
        try:
            before = read_until(child, f"waiting for the lock on endpoint '{USER}/b'")
            assert "waiting for the lock" in before, before
            child.send_signal(signal.SIGTERM)
            stdout, rest = child.communicate(timeout=30)
        finally:
            child.kill()  # a no-op once it has ended; on a failed assertion, no child left behind
    stderr = before + rest
    assert child.returncode == 130, stderr
    assert "interrupted: finishing the call in flight" in stderr
    assert "error: interrupted" not in stderr  # not the bare line that came instead of the records
    records = {r["name"]: r for r in json.loads(stdout)}
    assert set(records) == {"a", "b", "c"}  # those it held, the one it waited for, and the one not reached
    for record in records.values():
        assert (record["action"], record["outcome"], record["before"]) == ("none", "interrupted", "unknown")
        assert record["desired"] == "paused" and record["nextChange"] is not None
        assert record["error"] == (
            f"left as it is, not read: interrupted while waiting for the lock on endpoint '{USER}/b'; "
            "nothing was changed"
        )
    assert sandbox.mutating_count() == 0 and sandbox.counts().get(LIST, 0) == 0  # not even read
    clock.advance(10)
    assert states(cli) == {"a": "running", "b": "running", "c": "running"}


def test_sigterm_while_reading_finishes_the_read_and_moves_nothing_saying_so(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, token: str
) -> None:
    path = deploy_running(cli, clock, tmp_path, "a", "b")
    sandbox.reset_counts()
    arrived, release = hold_route(sandbox, LIST)
    child = schedule_run(sandbox, token, tmp_path, path)
    try:
        assert arrived.wait(timeout=30)
        child.send_signal(signal.SIGTERM)
        seen = read_until(child, "interrupted:")  # the signal was taken while the listing is in flight
        release.set()
        stdout, rest = child.communicate(timeout=30)
    finally:
        release.set()
        child.kill()
    assert child.returncode == 130, seen + rest
    records = {r["name"]: r for r in json.loads(stdout)}
    for name in ("a", "b"):  # read, so what it would have done is known; not done
        record = records[name]
        assert (record["before"], record["action"], record["outcome"]) == ("running", "pause", "interrupted")
        assert record["error"] == "interrupted before pause"
    assert sandbox.counts()[LIST] == 1 and sandbox.mutating_count() == 0
    clock.advance(10)
    assert states(cli) == {"a": "running", "b": "running"}


def test_a_second_sigterm_while_a_read_hangs_stops_at_once(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, token: str
) -> None:
    path = deploy_running(cli, clock, tmp_path, "a")
    sandbox.reset_counts()
    arrived, release = hold_route(sandbox, LIST)
    child = schedule_run(sandbox, token, tmp_path, path)
    try:
        assert arrived.wait(timeout=30)
        child.send_signal(signal.SIGTERM)
        seen = read_until(child, "interrupted:")
        child.send_signal(signal.SIGTERM)
        stdout, rest = child.communicate(timeout=20)  # the listing is still held: only a hard stop ends it
    finally:
        release.set()
        child.kill()
    assert child.returncode == 130
    assert "interrupted again: stopping at once" in seen + rest
    assert stdout == "" and sandbox.mutating_count() == 0


def test_an_interrupt_between_retries_of_the_listing_leaves_every_endpoint_unread(
    cli: Cli, sandbox: Sandbox, clock: InterruptedAt, tmp_path: pathlib.Path
) -> None:
    """In-process, on a clock on which Ctrl-C comes during the backoff after the listing's first 503."""
    path = deploy_running(cli, clock, tmp_path, "a", "b")

    def unavailable(request: Any, call_next: Callable[[Any], Response]) -> Response:
        if request.route == LIST:
            return Response(status=503, body=b'{"error": "unavailable"}', headers={})
        return call_next(request)

    sandbox.add_middleware(unavailable)
    sandbox.reset_counts()
    clock.at = clock.now() + 0.01  # in the first backoff sleep
    result = cli("schedule", "run", path, "--at", AT, "-o", "json")
    assert result.code == 130, result.all
    records = {r["name"]: r for r in json.loads(result.stdout)}
    assert set(records) == {"a", "b"}
    for record in records.values():
        assert (record["action"], record["outcome"], record["before"]) == ("none", "interrupted", "unknown")
        assert record["error"].startswith("left as it is, not read: ")
        assert "interrupted after 1 attempt" in record["error"]
    assert sandbox.counts()[LIST] == 1 and sandbox.mutating_count() == 0

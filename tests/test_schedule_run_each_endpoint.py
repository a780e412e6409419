"""schedule run: an endpoint or namespace it cannot handle blocks itself, never the nightly pause of the rest.

Each endpoint's lock is taken on its own (waited for at most ``--lock-timeout`` in all), and each namespace
whose listing is complete is acted on: ``schedule run`` never deletes, so it needs no more than that. What
was left out is a ``blocked`` record saying why, and the run exits 1; the JSON still has every endpoint.
"""

from __future__ import annotations

import contextlib
import json
import pathlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from clirunner import Cli
from clocks import InterruptedAt
from test_cli_apply import manifest, write

from endpointctl.cli import cli as main_group
from endpointctl.core.errors import Interrupted
from endpointctl.engine import locks
from endpointctl.sandbox import ManualClock, Sandbox

START = datetime(2026, 3, 23, 19, 10, tzinfo=UTC)  # Mon 20:10 in Berlin: the window has closed
OFFICE = {"timezone": "Europe/Berlin", "running": ["Mon-Fri 08:00-20:00"]}
USER = "sandbox-user"
LIST = "GET /v2/endpoint/{namespace}"
PAUSE = "POST /v2/endpoint/{namespace}/{name}/pause"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=START.timestamp())


def deploy_running(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path, *names: str) -> str:
    """``names`` deployed and running; the directory of their scheduled manifests."""
    (tmp_path / "setup").mkdir(exist_ok=True)
    (tmp_path / "m").mkdir(exist_ok=True)
    for name in names:
        write(tmp_path / "setup", f"{name}.yaml", manifest(name))
        write(tmp_path / "m", f"{name}.yaml", manifest(name, schedule=OFFICE))
    applied = cli("apply", str(tmp_path / "setup"), "--yes")
    assert applied.code == 0, applied.all
    clock.advance(10)
    return str(tmp_path / "m")


def states(cli: Cli) -> dict[str, str]:
    return {row["name"]: row["status"] for row in json.loads(cli("status", "-o", "json").stdout)}


@contextlib.contextmanager
def held(state_dir: pathlib.Path, *keys: str) -> Iterator[locks.Holder]:
    """Another command's locks (in this process: flock locks of two opens exclude each other)."""
    with locks.hold(
        keys, directory=state_dir, command="endpointctl apply other/", timeout=0, clock=ManualClock()
    ) as holder:
        yield holder


def test_an_endpoint_whose_lock_is_held_is_blocked_and_the_others_are_paused(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    path = deploy_running(cli, clock, tmp_path, "a", "b", "c")
    sandbox.reset_counts()
    started = clock.now()
    with held(tmp_path, f"endpoint:{USER}/a") as holder:
        result = cli("schedule", "run", path, "-o", "json")
    assert result.code == 1, result.all
    records = {r["name"]: r for r in json.loads(result.stdout)}
    assert set(records) == {"a", "b", "c"}  # a record per endpoint, the blocked one too
    assert (records["a"]["action"], records["a"]["outcome"]) == ("none", "blocked")
    assert records["a"]["before"] == "running"
    assert f"locked by pid {holder.pid} on {holder.host} (endpointctl apply other/" in records["a"]["error"]
    assert {records[n]["outcome"] for n in ("b", "c")} == {"ok"}
    assert sandbox.counts()[LIST] == 1 and sandbox.counts()[PAUSE] == 2 and sandbox.mutating_count() == 2
    # It waited for the lock, at most --lock-timeout (60 s unless told), and said so, naming the option.
    assert clock.now() - started <= 60 + 1
    assert "waiting for the lock on endpoint 'sandbox-user/a'" in result.stderr
    assert "(--lock-timeout)" in result.stderr
    assert "sandbox-user/a: locked by" in result.stderr  # the warning on stderr, as for every blocked one
    clock.advance(10)
    assert states(cli) == {"a": "running", "b": "paused", "c": "paused"}
    # The holder is gone: the next run, 15 minutes later, pauses it, and only it.
    clock.advance(15 * 60)
    sandbox.reset_counts()
    again = cli("schedule", "run", path, "-o", "json")
    assert again.code == 0, again.all
    assert sandbox.counts()[PAUSE] == 1 and sandbox.mutating_count() == 1


def test_lock_timeout_0_does_not_wait_and_other_values_bound_the_wait(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    path = deploy_running(cli, clock, tmp_path, "a", "b")
    with held(tmp_path, f"endpoint:{USER}/b"):
        started = clock.now()
        result = cli("schedule", "run", path, "--lock-timeout", "0", "-o", "json")
        assert result.code == 1, result.all
        assert clock.now() == started and "waiting for the lock" not in result.stderr
        started = clock.now()
        result = cli("schedule", "run", path, "--lock-timeout", "5", "-o", "json")
        assert result.code == 1, result.all
        assert 5 <= clock.now() - started < 7
        assert "giving up in 5 s (--lock-timeout)" in result.stderr
    assert {r["name"]: r["outcome"] for r in json.loads(result.stdout)} == {"a": "unchanged", "b": "blocked"}
    helped = CliRunner().invoke(main_group, ["schedule", "run", "--help"])
    assert helped.exit_code == 0 and "--lock-timeout SECONDS" in helped.output


def test_a_lock_held_on_every_endpoint_still_gives_every_record(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    path = deploy_running(cli, clock, tmp_path, "a", "b")
    sandbox.reset_counts()
    with held(tmp_path, f"endpoint:{USER}/a", f"endpoint:{USER}/b"):
        result = cli("schedule", "run", path, "--lock-timeout", "0", "-o", "json")
    assert result.code == 1, result.all
    outcomes = [(r["name"], r["outcome"]) for r in json.loads(result.stdout)]
    assert outcomes == [("a", "blocked"), ("b", "blocked")]
    assert sandbox.mutating_count() == 0


def test_a_namespace_that_cannot_be_listed_blocks_its_endpoints_only(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    path = deploy_running(cli, clock, tmp_path, "office")
    write(tmp_path / "m", "other.yaml", manifest("other", namespace="not-a-member-org", schedule=OFFICE))
    for dry in (("--dry-run",), ()):
        sandbox.reset_counts()
        result = cli("schedule", "run", path, *dry, "-o", "json")
        assert result.code == 1, result.all
        records = {r["name"]: r for r in json.loads(result.stdout)}
        assert records["office"]["action"] == "pause"
        assert records["office"]["outcome"] == ("planned" if dry else "ok")
        other = records["other"]
        assert other["namespace"] == "not-a-member-org"
        assert (other["action"], other["outcome"]) == ("none", "blocked")
        assert other["before"] == "unknown"  # not read, so not "not deployed" (null)
        assert other["desired"] == "paused" and other["nextChange"] is not None
        assert "namespace 'not-a-member-org' could not be read" in other["error"]
        assert sandbox.counts()[LIST] == 2
        assert sandbox.mutating_count() == (0 if dry else 1)
    clock.advance(10)
    assert states(cli) == {"office": "paused"}


def test_hold_each_takes_the_free_locks_and_names_the_holders_of_the_others(tmp_path: pathlib.Path) -> None:
    clock = ManualClock(start=0.0)
    groups = [[f"lease:ns/{name}", f"endpoint:ns/{name}"] for name in "abc"]
    with held(tmp_path, "endpoint:ns/b") as holder:
        heard: list[str] = []
        with locks.hold_each(
            groups, directory=tmp_path, command="me", timeout=10, clock=clock, on_wait=heard.append
        ) as missed:
            assert missed[0] is None and missed[2] is None
            assert missed[1] == f"locked by {holder.describe()}"
            # Held: nobody else gets a or c now; b's lease lock, taken before its endpoint's, was let go.
            for key in ("endpoint:ns/a", "lease:ns/c", "endpoint:ns/c"):
                with pytest.raises(locks.LockTimeout), held(tmp_path, key):
                    pass
            with held(tmp_path, "lease:ns/b"):
                pass
        assert len(heard) == 1 and "endpoint 'ns/b'" in heard[0]
        assert clock.now() == 10.0  # waited out the timeout once, for b; then c at once
    with held(tmp_path, "endpoint:ns/a", "lease:ns/c"):  # all let go at the end
        pass


def test_hold_each_interrupted_while_waiting_lets_go_of_what_it_held(tmp_path: pathlib.Path) -> None:
    cancel = threading.Event()
    with (
        held(tmp_path, "endpoint:ns/b"),
        pytest.raises(Interrupted),
        locks.hold_each(
            [["endpoint:ns/a"], ["endpoint:ns/b"]],
            directory=tmp_path,
            command="me",
            timeout=10,
            clock=InterruptedAt(0.0, at=5.0),
            cancel=cancel,
        ),
    ):
        pass
    assert cancel.is_set()
    with held(tmp_path, "endpoint:ns/a"):
        pass

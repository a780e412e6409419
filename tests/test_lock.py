"""Two applies of one stack or endpoint on one machine never interleave; the waiter names the holder."""

from __future__ import annotations

import contextlib
import io
import os
import pathlib
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from clirunner import Cli, Run
from clocks import InterruptedAt
from test_cli_apply import manifest, write

from endpointctl.cli import CommandEnv, main
from endpointctl.core.errors import Interrupted
from endpointctl.engine import locks as lock
from endpointctl.engine.clock import SystemClock
from endpointctl.sandbox import ManualClock, Sandbox
from endpointctl.ui.sink import Output

USER = "sandbox-user"


@pytest.fixture
def state_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    # The directory the conftest `cli` fixture gives the CLI as ENDPOINTCTL_STATE_DIR.
    return tmp_path


@pytest.fixture
def manifests(tmp_path: pathlib.Path) -> str:
    directory = tmp_path / "manifests"
    directory.mkdir()
    write(directory, "a.yaml", manifest("lock-a"))
    write(directory, "b.yaml", manifest("lock-b"))
    return str(directory)


@contextlib.contextmanager
def held(
    state_dir: pathlib.Path, *keys: str, command: str = "endpointctl apply other/"
) -> Iterator[lock.Holder]:
    with lock.hold(keys, directory=state_dir, command=command, timeout=0, clock=ManualClock()) as holder:
        yield holder


def test_keys_are_the_stack_and_every_endpoint_addressed() -> None:
    assert lock.apply_keys("prod", [("acme", "b"), ("acme", "a"), ("acme", "a")]) == [
        "endpoint:acme/a",
        "endpoint:acme/b",
        "stack:prod",
    ]
    assert lock.apply_keys(None, [("acme", "a")]) == ["endpoint:acme/a"]
    # One namespace whatever its case: a manifest's `Acme` and a command's `acme` take one lock.
    assert lock.apply_keys(None, [("Acme", "a")]) == lock.apply_keys(None, [("acme", "a")])


def test_held_stack_times_out_naming_the_holder_with_no_mutating_call(
    cli: Cli, sandbox: Sandbox, state_dir: pathlib.Path, manifests: str
) -> None:
    with held(state_dir, "stack:prod") as holder:
        run = cli("apply", manifests, "--stack", "prod", "--yes", "--lock-timeout", "30")
        assert run.code == 1, run.all
        assert f"waiting for the lock on stack 'prod' held by pid {holder.pid}" in run.stderr
        assert (
            f"held by pid {holder.pid} on {holder.host} (endpointctl apply other/, since {holder.since})"
            in (run.stderr)
        )
        assert "gave up after 30 s" in run.stderr
        assert sandbox.mutating_count() == 0
        assert run.stdout == ""

    released = cli("apply", manifests, "--stack", "prod", "--yes")
    assert released.code == 0, released.all
    assert sandbox.counts()["POST /v2/endpoint/{namespace}"] == 2


def test_an_endpoint_named_by_another_apply_is_locked_without_a_stack(
    cli: Cli, sandbox: Sandbox, state_dir: pathlib.Path, manifests: str
) -> None:
    with held(state_dir, f"endpoint:{USER}/lock-b"):
        run = cli("apply", manifests, "--yes", "--lock-timeout", "0")
        assert run.code == 1
        assert f"endpoint '{USER}/lock-b'" in run.stderr
        assert sandbox.mutating_count() == 0


def test_other_stacks_and_endpoints_do_not_wait(
    cli: Cli, sandbox: Sandbox, state_dir: pathlib.Path, manifests: str
) -> None:
    with held(state_dir, "stack:staging", f"endpoint:{USER}/someone-else"):
        run = cli("apply", manifests, "--stack", "prod", "--yes", "--lock-timeout", "0")
        assert run.code == 0, run.all
        assert "waiting" not in run.stderr


def test_plan_and_dry_run_take_no_lock(
    cli: Cli, sandbox: Sandbox, state_dir: pathlib.Path, manifests: str
) -> None:
    with held(state_dir, "stack:prod", f"endpoint:{USER}/lock-a", f"endpoint:{USER}/lock-b"):
        assert cli("plan", manifests, "--stack", "prod").code == 0
        dry = cli("apply", manifests, "--stack", "prod", "--dry-run", "--lock-timeout", "0")
        assert dry.code == 0, dry.all
        assert "waiting" not in dry.stderr
    assert sandbox.mutating_count() == 0


class _Watched(io.StringIO):
    """A stderr that signals when a line containing ``marker`` is written."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker
        self.seen = threading.Event()

    def write(self, text: str) -> int:
        if self.marker in text:
            self.seen.set()
        return super().write(text)


def test_a_waiting_apply_proceeds_once_the_holder_releases(
    sandbox: Sandbox, token: str, state_dir: pathlib.Path, manifests: str
) -> None:
    stderr = _Watched("waiting for the lock")
    env = CommandEnv(
        environ={
            "ENDPOINTCTL_API_URL": sandbox.url,
            "HF_TOKEN": token,
            "ENDPOINTCTL_STATE_DIR": str(state_dir),
        },
        # Real time: the wait must outlast the moment the test releases the lock.
        clock=SystemClock(),
        interactive=False,
        out=Output(stdout=io.StringIO(), stderr=stderr),
    )
    codes: list[int] = []
    with held(state_dir, "stack:prod"):
        waiter = threading.Thread(
            target=lambda: codes.append(main(["apply", manifests, "--stack", "prod", "--yes"], env=env))
        )
        waiter.start()
        assert stderr.seen.wait(timeout=30), stderr.getvalue()
        assert sandbox.mutating_count() == 0  # still waiting: nothing read or changed under the lock yet
    waiter.join(timeout=30)
    assert codes == [0], stderr.getvalue()
    assert sandbox.counts()["POST /v2/endpoint/{namespace}"] == 2


def test_the_holder_record_is_written_while_held_and_removed_after(state_dir: pathlib.Path) -> None:
    assert lock.read_holder(state_dir, "stack:prod") is None
    with held(state_dir, "stack:prod", command="endpointctl apply x/ --stack prod") as holder:
        assert lock.read_holder(state_dir, "stack:prod") == holder
        assert holder.pid == os.getpid()
    assert lock.read_holder(state_dir, "stack:prod") is None
    # Released: taking it again does not wait.
    with held(state_dir, "stack:prod"):
        pass


_HOLD_AND_BLOCK = """
import sys
from endpointctl.core.errors import Interrupted
from endpointctl.engine import locks as lock
from endpointctl.engine.clock import SystemClock
with lock.hold(["stack:prod"], directory=__import__("pathlib").Path(sys.argv[1]), command="killed apply",
               timeout=0, clock=SystemClock()):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_killed_holder_leaves_no_lock_behind(cli: Cli, state_dir: pathlib.Path, manifests: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_AND_BLOCK, str(state_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        record = lock.read_holder(state_dir, "stack:prod")
        assert record is not None and record.pid == holder.pid and record.command == "killed apply"
        blocked = cli("apply", manifests, "--stack", "prod", "--yes", "--lock-timeout", "0")
        assert blocked.code == 1 and f"pid {holder.pid}" in blocked.stderr
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    # The kernel dropped the flock with the process; its stale record does not stand in the way.
    run: Run = cli("apply", manifests, "--stack", "prod", "--yes", "--lock-timeout", "0")
    assert run.code == 0, run.all


def test_lifecycle_commands_take_the_endpoint_lock(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    assert cli("apply", write(tmp_path, "m.yaml", manifest("web")), "--yes").code == 0
    clock.advance(10)
    sandbox.reset_counts()
    keys = lock.apply_keys(None, [(USER, "web")])
    with lock.hold(keys, directory=tmp_path, command="endpointctl apply x", timeout=0, clock=ManualClock()):
        blocked = cli("pause", "web")
    assert blocked.code == 1
    assert "endpointctl apply x" in blocked.stderr
    assert sandbox.mutating_count() == 0
    assert cli("pause", "web").code == 0


def test_an_interrupt_ends_the_wait_for_a_lock_holding_nothing(state_dir: pathlib.Path) -> None:
    cancel = threading.Event()
    clock = InterruptedAt(1_000.0, at=1_001.0, cancel=cancel)
    with (
        held(state_dir, "stack:prod"),
        pytest.raises(Interrupted, match="waiting for the lock on stack 'prod'"),
        lock.hold(
            ["endpoint:acme/a", "stack:prod"],
            directory=state_dir,
            command="second",
            timeout=300,
            clock=clock,
            cancel=cancel,
        ),
    ):
        pytest.fail("the lock was taken while another held it")
    assert clock.now() == 1_001.0  # at the interrupt, not at the timeout
    # What it had taken before the interrupt (endpoint:acme/a) was let go.
    with held(state_dir, "endpoint:acme/a"):
        pass


def test_a_waiter_says_once_whom_it_waits_for(state_dir: pathlib.Path) -> None:
    said: list[str] = []
    with (
        held(state_dir, "stack:prod"),
        pytest.raises(lock.LockTimeout),
        lock.hold(
            ["stack:prod"],
            directory=state_dir,
            command="x",
            timeout=5,
            clock=ManualClock(),
            on_wait=said.append,
        ),
    ):
        pass
    assert len(said) == 1 and "waiting for the lock on stack 'prod'" in said[0]  # 20 tries, one line


def test_with_no_time_to_wait_it_does_not_say_it_waits(state_dir: pathlib.Path) -> None:
    said: list[str] = []
    with (
        held(state_dir, "stack:prod"),
        pytest.raises(lock.LockTimeout, match="gave up after 0 s"),
        lock.hold(
            ["stack:prod"],
            directory=state_dir,
            command="x",
            timeout=0,
            clock=ManualClock(),
            on_wait=said.append,
        ),
    ):
        pass
    assert said == []


@pytest.mark.parametrize("command", ["pause", "resume"])
def test_a_command_without_lock_timeout_never_says_to_raise_it(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, state_dir: pathlib.Path, manifests: str, command: str
) -> None:
    """pause and resume wait the default: the hint names the option only where the command takes it."""
    assert cli("apply", manifests, "--yes").code == 0
    if command == "resume":
        clock.advance(10)
        assert cli("pause", "lock-a").code == 0
    with held(state_dir, "endpoint:sandbox-user/lock-a"):
        run = cli(command, "lock-a")
    assert run.code == 1, run.all
    assert "gave up after" in run.stderr and "wait for it to finish" in run.stderr
    assert "--lock-timeout" not in run.all
    with held(state_dir, "endpoint:sandbox-user/lock-a"):
        applied = cli("apply", manifests, "--yes", "--lock-timeout", "0")
    assert "raise --lock-timeout" in applied.stderr  # apply takes it

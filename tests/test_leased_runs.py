"""endpointctl run: wake an endpoint for a batch command, then put it back as it was found (issue 10).

In-process runs share the test's ManualClock with the sandbox; the runs in child processes (a signal, a
second overlapping run) have the sandbox's clock jump on each resume, so nobody sleeps.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from clirunner import Cli
from clocks import InterruptedAt
from conftest import PHASES
from fake_processes import HERE_BOOT, HERE_NAMESPACE, FakeProcesses, container_holder
from rewritten_answers import each_endpoint, rewriting
from test_cli_apply import USER, manifest, write

from endpointctl.core.defaults import LEASE_EXPIRY, LEASE_RENEWAL
from endpointctl.core.targets import Target
from endpointctl.engine import locks
from endpointctl.engine.leases import LeaseBook, lease_key, parse_stamp
from endpointctl.engine.locks import Holder, stamp
from endpointctl.sandbox import ManualClock, Response, Sandbox, SandboxConfig

LIST = "GET /v2/endpoint/{namespace}"
ONE = "GET /v2/endpoint/{namespace}/{name}"
RESUME = "POST /v2/endpoint/{namespace}/{name}/resume"
PAUSE = "POST /v2/endpoint/{namespace}/{name}/pause"
SCALE_TO_ZERO = "POST /v2/endpoint/{namespace}/{name}/scale-to-zero"
ENV_KEYS = ("ENDPOINT_URL", "ENDPOINT_NAME", "ENDPOINT_NAMESPACE")


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def records_env(path: pathlib.Path, exit_code: int = 0) -> list[str]:
    """A command that writes the ENDPOINT_* variables it was given to ``path``, then exits ``exit_code``."""
    return python(
        "import json, os, pathlib, sys; "
        f"seen = {{k: os.environ.get(k) for k in {ENV_KEYS!r}}}; "
        f"pathlib.Path({str(path)!r}).write_text(json.dumps(seen)); "
        f"sys.exit({exit_code})"
    )


def state(cli: Cli, name: str = "job") -> str:
    rows = json.loads(cli("status", name, "-o", "json").stdout)
    return str(rows[0]["status"])


def book(tmp_path: pathlib.Path, name: str = "job") -> LeaseBook:
    return LeaseBook(tmp_path, Target(USER, name))


def holder(pid: int) -> Holder:
    return Holder(pid=pid, host=socket.gethostname(), command="endpointctl run job -- other", since="x")


def deploy(cli: Cli, clock: Any, tmp_path: pathlib.Path, then: str | None = None, **spec: Any) -> str:
    """``job`` deployed and running, then paused or scaled to zero (``then``); its manifest's path."""
    path = write(tmp_path, "job.yaml", manifest("job", **spec))
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    if then is not None:
        assert cli(then, "job").code == 0
    return path


@pytest.fixture
def live_pid() -> Iterator[int]:
    """A process that runs until the test ends: a holder whose pid is alive."""
    process = subprocess.Popen(python("import sys; sys.stdin.read()"), stdin=subprocess.PIPE)
    try:
        yield process.pid
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)


def dead_pid() -> int:
    process = subprocess.Popen(python("pass"))
    process.wait(timeout=30)  # reaped: its pid runs nothing now
    return process.pid


def test_a_paused_endpoint_is_woken_for_the_command_and_paused_again(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, then="pause")
    sandbox.reset_counts()
    seen = tmp_path / "env.json"
    result = cli("run", "job", "--", *records_env(seen))
    assert result.code == 0, result.all
    env = json.loads(seen.read_text())
    assert env["ENDPOINT_URL"] == f"{sandbox.url}/endpoints/{USER}/job"
    assert (env["ENDPOINT_NAME"], env["ENDPOINT_NAMESPACE"]) == ("job", USER)
    assert state(cli) == "paused"
    counts = sandbox.counts()
    assert (counts.get(RESUME), counts.get(PAUSE), sandbox.mutating_count()) == (1, 1, 2)
    assert result.stdout == ""  # stdout is the command's
    leases = book(tmp_path)
    assert leases.recorded() is None and list(leases.directory.glob("holder-*")) == []


@pytest.mark.parametrize(
    ("code", "expected"),
    [("import sys; sys.exit(3)", 3), ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", 137)],
    ids=["exit-3", "killed-by-SIGKILL"],
)
def test_a_failing_command_s_status_is_the_exit_code_and_the_endpoint_is_paused_again(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path, code: str, expected: int
) -> None:
    deploy(cli, clock, tmp_path, then="pause")
    sandbox.reset_counts()
    result = cli("run", "job", "--", *python(code))
    assert result.code == expected, result.all
    assert state(cli) == "paused"
    assert sandbox.mutating_count() == 2


def _programs(tmp_path: pathlib.Path) -> pathlib.Path:
    """A PATH directory holding ``runnable`` (a script), ``unrunnable`` (no execute bit) and ``folder``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "runnable").write_text("#!/bin/sh\nexit 5\n")
    (bin_dir / "runnable").chmod(0o755)
    (bin_dir / "unrunnable").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "unrunnable").chmod(0o644)
    (bin_dir / "folder").mkdir()
    return bin_dir


@pytest.mark.parametrize(
    ("program", "expected", "said"),
    [
        ("no-such-command-xyz", 127, "not found"),  # a bare name on no PATH directory
        ("{bin}/no-such-command", 127, "not found"),  # a path to nothing
        ("unrunnable", 126, "permission denied"),  # on the PATH, without the execute bit
        ("{bin}/unrunnable", 126, "permission denied"),
        ("{bin}/folder", 126, "permission denied"),  # a directory
    ],
    ids=["bare-name", "path", "bare-name-not-executable", "path-not-executable", "directory"],
)
def test_a_command_that_cannot_start_exits_127_or_126_before_any_api_call(
    cli: Cli,
    sandbox: Sandbox,
    clock: Any,
    tmp_path: pathlib.Path,
    program: str,
    expected: int,
    said: str,
) -> None:
    deploy(cli, clock, tmp_path, then="pause")
    bin_dir = _programs(tmp_path)
    sandbox.reset_counts()
    command = program.format(bin=bin_dir)
    result = cli("run", "job", "--", command, "--flag", env={"PATH": str(bin_dir)})
    assert result.code == expected, result.all
    assert f"cannot run {command!r}: {said}" in result.stderr
    assert sandbox.counts() == {}  # not woken, not even looked up: a typo costs no cold start
    assert state(cli) == "paused"


def test_a_bare_command_name_is_looked_for_on_the_path_the_command_gets(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, then="pause")
    bin_dir = _programs(tmp_path)
    sandbox.reset_counts()
    elsewhere = cli("run", "job", "--", "runnable", env={"PATH": str(tmp_path / "empty")})
    assert elsewhere.code == 127, elsewhere.all  # not on COMMAND's PATH, whatever endpointctl's own is
    assert sandbox.counts() == {}
    result = cli("run", "job", "--", "runnable", env={"PATH": f"{tmp_path / 'empty'}:{bin_dir}"})
    assert result.code == 5, result.all  # found in the second directory, started, its status the exit
    assert state(cli) == "paused"


def test_a_running_endpoint_is_left_running_with_no_mutating_call(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path)
    sandbox.reset_counts()
    seen = tmp_path / "env.json"
    result = cli("run", "job", "--", *records_env(seen))
    assert result.code == 0, result.all
    assert json.loads(seen.read_text())["ENDPOINT_NAME"] == "job"
    assert state(cli) == "running"
    assert sandbox.mutating_count() == 0


def test_a_scaled_to_zero_endpoint_is_scaled_to_zero_again(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, then="scale-to-zero")
    sandbox.reset_counts()
    result = cli("run", "job", "--", *python("pass"))
    assert result.code == 0, result.all
    assert state(cli) == "scaledToZero"
    counts = sandbox.counts()
    assert (counts.get(RESUME), counts.get(SCALE_TO_ZERO), sandbox.mutating_count()) == (1, 1, 2)


def test_an_endpoint_that_never_gets_ready_runs_no_command_exits_1_and_is_paused_again(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, then="pause", repository="sandbox/fail-deploy")
    sandbox.reset_counts()
    seen = tmp_path / "env.json"
    result = cli("run", "job", "--", *records_env(seen))
    assert result.code == 1, result.all
    assert not seen.exists()
    assert state(cli) == "paused"
    assert sandbox.counts().get(PAUSE) == 1


def test_a_timeout_runs_no_command_exits_4_and_the_endpoint_is_paused_again(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, then="pause")
    seen = tmp_path / "env.json"
    result = cli("run", "job", "--timeout", "1", "--", *records_env(seen))  # deploying takes 2 s
    assert result.code == 4, result.all
    assert "timed out" in result.stderr
    assert not seen.exists()
    assert state(cli) == "paused"


def test_a_smoke_test_that_fails_runs_no_command(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    path = deploy(cli, clock, tmp_path, then="pause")
    sandbox.set_dataplane(USER, "job", status=500, body={"error": "broken"})
    seen = tmp_path / "env.json"
    result = cli("run", "-f", path, "--smoke", "--", *records_env(seen))
    assert result.code == 1, result.all
    assert not seen.exists()
    assert state(cli) == "paused"
    sandbox.clear_dataplane(USER, "job")
    assert cli("run", "-f", path, "--smoke", "--", *records_env(seen)).code == 0
    assert json.loads(seen.read_text())["ENDPOINT_NAME"] == "job"


def test_usage_errors_exit_2_before_any_api_call(cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    two = write(tmp_path, "two.yaml", manifest("one") + "---\n" + manifest("two"))
    sandbox.reset_counts()
    for argv in (
        ["run", "-f", two, "--", "true"],  # the manifests name two endpoints
        ["run", "job", "true"],  # no `--`
        ["run", "job", "--"],  # nothing after it
        ["run", "--", "true"],  # neither NAME nor -f
        ["run", "job", "-f", two, "--", "true"],  # both
    ):
        result = cli(*argv)
        assert result.code == 2, (argv, result.all)
    assert "exactly one endpoint" in cli("run", "-f", two, "--", "true").stderr
    assert sum(sandbox.counts().values()) == 0


def test_an_absent_endpoint_is_exit_1_and_nothing_runs(cli: Cli, tmp_path: pathlib.Path) -> None:
    seen = tmp_path / "env.json"
    result = cli("run", "nope", "--", *records_env(seen))
    assert result.code == 1
    assert f"{USER}/nope" in result.stderr
    assert not seen.exists()


def test_while_another_live_lease_holds_it_the_run_does_not_put_it_back_and_the_last_does(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, then="pause")
    helper = subprocess.Popen(python("import sys; sys.stdin.read()"), stdin=subprocess.PIPE)
    try:
        # Another run found it paused and holds it (the process lives).
        book(tmp_path).record("paused")
        book(tmp_path).add(holder(helper.pid))
        sandbox.reset_counts()
        first = cli("run", "job", "--", *python("pass"))
        assert first.code == 0, first.all
        assert "1 other run(s) still use it" in first.stderr
        assert state(cli) == "running"  # the other run still uses it
        assert sandbox.counts().get(RESUME) == 1 and PAUSE not in sandbox.counts()
    finally:
        assert helper.stdin is not None
        helper.stdin.close()
        helper.wait(timeout=30)
    # That run was killed (its file is left, its pid is gone): ignored, and the next run, the last, puts
    # the endpoint back in the state the first lease found, though it found it running itself.
    sandbox.reset_counts()
    last = cli("run", "job", "--", *python("pass"))
    assert last.code == 0, last.all
    assert state(cli) == "paused"
    assert (RESUME in sandbox.counts(), sandbox.counts().get(PAUSE)) == (False, 1)
    assert list(book(tmp_path).directory.glob("holder-*")) == []
    assert book(tmp_path).recorded() is None


def test_a_stale_lease_of_a_dead_process_is_ignored(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, then="pause")
    book(tmp_path).add(holder(dead_pid()))
    sandbox.reset_counts()
    result = cli("run", "job", "--", *python("pass"))
    assert result.code == 0, result.all
    assert "other run" not in result.stderr
    assert state(cli) == "paused"
    assert sandbox.mutating_count() == 2
    assert list(book(tmp_path).directory.glob("holder-*")) == []


def test_a_restore_that_fails_makes_a_successful_command_exit_1_and_the_next_run_puts_it_back(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, then="pause")

    def refuse_pause(request: Any, call_next: Callable[[Any], Response]) -> Response:
        if request.route == PAUSE:
            return Response(status=400, body=b'{"error": "not now"}', headers={})
        return call_next(request)

    sandbox.add_middleware(refuse_pause)
    failed = cli("run", "job", "--", *python("pass"))
    assert failed.code == 1, failed.all
    assert "could not put it back to paused" in failed.stderr
    assert state(cli) == "running"
    assert book(tmp_path).recorded() == "paused"  # kept for the next run
    sandbox.clear_middleware()
    again = cli("run", "job", "--", *python("import sys; sys.exit(5)"))
    assert again.code == 5, again.all
    assert state(cli) == "paused"
    assert book(tmp_path).recorded() is None


def test_a_restore_blocked_by_a_state_endpointctl_does_not_know_says_why_and_suggests_no_pause(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    """While COMMAND runs the API starts answering `deleting`: the restore is blocked (never acted on), and
    its reason is said, not "see above" with nothing above; a pause suggested would be blocked alike."""
    deploy(cli, clock, tmp_path, then="pause")
    marker = tmp_path / "ran"

    def deleting(item: dict[str, Any]) -> None:
        if marker.exists():
            item["status"]["state"] = "deleting"

    sandbox.add_middleware(rewriting((LIST, ONE), each_endpoint(deleting)))
    sandbox.reset_counts()
    touch = f"import pathlib; pathlib.Path({str(marker)!r}).write_text('x')"
    result = cli("run", "job", "--", *python(touch))
    assert marker.exists(), result.all
    assert result.code == 1, result.all
    assert PAUSE not in sandbox.counts(), sandbox.counts()
    assert (
        "could not put it back to paused: its state 'deleting' is not one endpointctl knows: not paused"
        in result.stderr
    ), result.stderr
    assert "see above" not in result.stderr and "endpointctl pause" not in result.stderr, result.stderr
    assert f"`endpointctl status job --namespace {USER}` shows it" in result.stderr, result.stderr


@contextlib.contextmanager
def own_sandbox(clock: ManualClock, tmp_path: pathlib.Path, token: str) -> Iterator[tuple[Sandbox, Cli]]:
    """A sandbox on ``clock`` (a clock of the test's own kind) and a Cli speaking to it, its state in
    ``tmp_path``; closed when the block ends."""
    sandbox = Sandbox(SandboxConfig(db_path=tmp_path / "sb.sqlite", phases=dict(PHASES), clock=clock))
    sandbox.start(host="127.0.0.1", port=0)
    try:
        environ = {
            "ENDPOINTCTL_API_URL": sandbox.url,
            "HF_TOKEN": token,
            "ENDPOINTCTL_STATE_DIR": str(tmp_path),
        }
        yield sandbox, Cli(environ, clock)
    finally:
        sandbox.close()


def test_an_interrupt_during_the_wait_runs_no_command_and_still_puts_it_back(
    token: str, tmp_path: pathlib.Path
) -> None:
    clock = InterruptedAt(1_760_000_000.0, at=float("inf"))
    with own_sandbox(clock, tmp_path, token) as (_sandbox, cli):
        deploy(cli, clock, tmp_path, then="pause")
        clock.at = clock.now() + 0.5  # Ctrl-C while it is still pending
        seen = tmp_path / "env.json"
        result = cli("run", "job", "--", *records_env(seen))
        assert result.code == 130, result.all
        assert not seen.exists()
        assert state(cli) == "paused"  # the restore ran though the interrupt stops everything else


def _resumes_at_once(sandbox: Sandbox, clock: Any) -> None:
    """For runs in child processes (their own real clock): each resume is done deploying at once."""

    def jump(request: Any, call_next: Callable[[Any], Response]) -> Response:
        response = call_next(request)
        if request.route == RESUME:
            clock.advance(10)
        return response

    sandbox.add_middleware(jump)


def _run_in_child(sandbox: Sandbox, token: str, tmp_path: pathlib.Path, code: str) -> subprocess.Popen[str]:
    env = {"ENDPOINTCTL_API_URL": sandbox.url, "HF_TOKEN": token, "ENDPOINTCTL_STATE_DIR": str(tmp_path)}
    return subprocess.Popen(
        [sys.executable, "-m", "endpointctl", "run", "job", "--", *python(code)],
        env=env,
        stdin=subprocess.PIPE,  # never a terminal: a SIGINT is passed on (cli/child.py)
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, so _end_all can end the command with it
    )


def _end_all(child: subprocess.Popen[str]) -> None:
    """After a failed assertion: the run and its command, not left behind."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
    child.wait(timeout=30)


# Writes go straight to the pipe (os.write): the test sends its signal the moment "ready" arrives, which
# can be while print() is still inside the stream's flush, and a handler that printed too would then
# fail with "reentrant call" instead of saying what it got.
_WAITS_FOR_A_SIGNAL = """
import os, signal, sys
def stop(signum, frame):
    os.write(1, f"got {signum}\\n".encode())
    sys.exit(3)
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
os.write(1, b"ready\\n")
while True:
    signal.pause()
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_reaches_the_command_then_the_endpoint_is_paused_again_and_the_exit_is_130(
    cli: Cli, sandbox: Sandbox, clock: Any, token: str, tmp_path: pathlib.Path, sig: signal.Signals
) -> None:
    deploy(cli, clock, tmp_path, then="pause")
    _resumes_at_once(sandbox, clock)
    sandbox.reset_counts()
    child = _run_in_child(sandbox, token, tmp_path, _WAITS_FOR_A_SIGNAL)
    assert child.stdout is not None
    try:
        assert child.stdout.readline() == "ready\n"  # the command runs: the endpoint was woken
        assert state(cli) == "running"
        child.send_signal(sig)
        rest, stderr = child.communicate(timeout=60)
    finally:
        _end_all(child)
    assert child.returncode == 130, stderr
    assert rest == f"got {int(sig)}\n", stderr  # passed on once, and waited for
    assert "putting it back to paused" in stderr
    assert state(cli) == "paused"
    counts = sandbox.counts()
    assert (counts.get(RESUME), counts.get(PAUSE)) == (1, 1)


def test_two_overlapping_runs_share_it_and_the_last_to_finish_pauses_it(
    cli: Cli, sandbox: Sandbox, clock: Any, token: str, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, then="pause")
    _resumes_at_once(sandbox, clock)
    sandbox.reset_counts()
    # The long run: holds the endpoint until the test writes a line to it.
    long = _run_in_child(
        sandbox, token, tmp_path, "import sys; print('ready', flush=True); sys.stdin.readline()"
    )
    assert long.stdout is not None and long.stdin is not None
    try:
        assert long.stdout.readline() == "ready\n"
        short = cli("run", "job", "--", *python("pass"))  # joins while it runs, and finishes first
        assert short.code == 0, short.all
        assert "the last to finish puts it back to paused" in short.stderr
        assert state(cli) == "running"
        assert PAUSE not in sandbox.counts()
        long.stdin.write("done\n")
        long.stdin.flush()
        _, stderr = long.communicate(timeout=60)
    finally:
        _end_all(long)
    assert long.returncode == 0, stderr
    assert state(cli) == "paused"
    counts = sandbox.counts()
    assert (counts.get(RESUME), counts.get(PAUSE)) == (1, 1)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_before_popen_returns_is_passed_on_once_the_child_runs(
    monkeypatch: pytest.MonkeyPatch, sig: signal.Signals
) -> None:
    """The window the end-to-end test above once fell into on a loaded machine: the child was already
    running (it printed "ready" and was signalled) before Popen had returned and the handlers were set,
    so the signal never reached it and endpointctl waited for it to the test's timeout."""
    from endpointctl.cli import child as child_module

    real_popen = subprocess.Popen
    got: list[int] = []

    def signalled_in_the_window(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        started = real_popen(*args, **kwargs)
        os.kill(os.getpid(), sig)  # the signal lands here, between the fork and Popen's return
        return started

    monkeypatch.setattr(child_module.subprocess, "Popen", signalled_in_the_window)
    previous = {s: signal.signal(s, lambda signum, frame: got.append(signum)) for s in (sig,)}
    try:
        # Never signalled, it would sleep out its minute and exit 0.
        status = child_module.run(
            [sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ), print
        )
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    assert status == 128 + int(sig)  # killed by the signal passed on (the child set no handler)
    assert got == [int(sig)]  # and the handler before endpointctl's still ran, once


# -- runs in other containers, told by their heartbeat; this run's own heartbeat ----------------------------


def test_a_run_killed_in_another_container_is_taken_as_gone_said_and_its_state_put_back(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    here = replace(cli, processes=FakeProcesses())
    deploy(cli, clock, tmp_path)  # awake: the killed run woke it from paused
    book(tmp_path).record("paused")
    killed = container_holder(clock.wall() - LEASE_EXPIRY - 1)
    book(tmp_path).add(killed)
    sandbox.reset_counts()
    result = here("run", "job", "--", *python("pass"))
    assert result.code == 0, result.all
    assert (
        f"{USER}/job: the lease of pid 1 on 3f2a9c1b7d0e (endpointctl run office -- batch.py) was last "
        f"renewed {killed.renewed}, over 10 minutes ago"
    ) in result.stderr
    assert "taken as gone" in result.stderr and "found it paused" in result.stderr
    assert state(cli) == "paused" and sandbox.counts().get(PAUSE) == 1
    assert list(book(tmp_path).directory.glob("holder-*")) == []


def test_a_live_run_in_another_container_shares_it_and_is_not_paused_under(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    here = replace(cli, processes=FakeProcesses())
    deploy(cli, clock, tmp_path)
    book(tmp_path).record("paused")
    book(tmp_path).add(container_holder(clock.wall() - 30))
    sandbox.reset_counts()
    result = here("run", "job", "--", *python("pass"))
    assert result.code == 0, result.all
    assert "shared with 1 other run(s) (pid 1)" in result.stderr
    assert "1 other run(s) still use it" in result.stderr
    assert state(cli) == "running" and sandbox.mutating_count() == 0


def test_an_old_record_from_another_host_that_cannot_be_told_stops_the_run_before_it_acts(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, then="pause")
    leases = book(tmp_path)
    leases.directory.mkdir(parents=True)
    path = leases.directory / "holder-4242.json"
    since = stamp(clock.wall() - LEASE_EXPIRY - 1)
    path.write_text(
        json.dumps({"pid": 4242, "host": "elsewhere", "command": "endpointctl run", "since": since})
    )
    sandbox.reset_counts()
    seen = tmp_path / "env.json"
    result = cli("run", "job", "--", *records_env(seen))
    assert result.code == 1, result.all
    assert "cannot be told" in result.stderr and f"if it is gone, remove {path}" in result.stderr
    assert not seen.exists() and sandbox.mutating_count() == 0 and state(cli) == "paused"
    path.unlink()
    assert cli("run", "job", "--", *records_env(seen)).code == 0 and seen.exists()


def _holder_records(directory: pathlib.Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(directory.glob("holder-*")) if path.is_file()]


class OneBeat:
    """The heartbeat's timer in a run: its first period passes at once (and moves the test's clock on by
    it), the second only ends when the run stops the heartbeat. The lease records before and after that
    one renewal are kept; ``beaten`` is set once it is done."""

    def __init__(self, clock: Any, directory: pathlib.Path) -> None:
        self.clock, self.directory = clock, directory
        self.periods: list[float] = []
        self.before: list[dict[str, Any]] = []
        self.after: list[dict[str, Any]] = []
        self.beaten = threading.Event()
        self.stopped = False
        self.events: list[str] = []  # "stopped" when the run stopped the heartbeat; the test adds its own

    def now(self) -> float:
        return float(self.clock.now())

    def wall(self) -> float:
        return float(self.clock.wall())

    def sleep(self, seconds: float, cancel: Any = None) -> bool:
        self.periods.append(seconds)
        if len(self.periods) == 1:
            self.before = _holder_records(self.directory)
            self.clock.advance(seconds)
            return True
        self.after = _holder_records(self.directory)
        self.beaten.set()
        self.stopped = cancel.wait(60)  # returns once the run stops its heartbeat
        self.events.append("stopped")
        return False


def test_a_run_renews_its_lease_record_while_it_holds_it_and_stops_before_leaving(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, then="pause")
    timer = OneBeat(clock, book(tmp_path).directory)
    here = replace(cli, processes=FakeProcesses(running={os.getpid(): 4321}), timer=timer)

    def after_the_renewal(request: Any, call_next: Callable[[Any], Response]) -> Response:
        # The resume waits for the renewal: the heartbeat runs from the moment the lease is taken. Not
        # for good: without a heartbeat the run goes on, and the assertions below say what is missing.
        if request.route == RESUME:
            timer.beaten.wait(10)
        if request.route == PAUSE:  # leaving: its record removed just before, under the lease lock
            timer.events.append(f"pause, {len(list(book(tmp_path).directory.glob('holder-*')))} record(s)")
        return call_next(request)

    sandbox.add_middleware(after_the_renewal)
    result = here("run", "job", "--", *python("pass"))
    assert result.code == 0, result.all
    assert timer.periods == [LEASE_RENEWAL, LEASE_RENEWAL] and timer.stopped
    (first,) = timer.before
    (renewed,) = timer.after
    assert first["renewed"] == first["since"]
    assert renewed == {**first, "renewed": renewed["renewed"]}  # the rest of the record as it was
    at, since = parse_stamp(renewed["renewed"]), parse_stamp(first["since"])
    assert at is not None and since is not None and at >= since + LEASE_RENEWAL  # on the run's clock
    assert (first["pid"], first["host"], first["start_time"]) == (os.getpid(), "batch-host", 4321)
    assert (first["boot_id"], first["pid_namespace"]) == (HERE_BOOT, HERE_NAMESPACE)
    assert list(book(tmp_path).directory.glob("holder-*")) == []  # not written again once it left
    assert state(cli) == "paused"
    # Stopped (and any beat under way finished) before the run left: no renewal can write its record
    # again once it is removed, nor keep the endpoint "in use" after it was put back.
    assert timer.events == ["stopped", "pause, 0 record(s)"]


class LockReleasedLater(ManualClock):
    """A ManualClock on which a lock ``held`` by another command is let go once the clock reaches
    ``release_at``: a wait for it takes that long, and no real time passes."""

    def __init__(self, start: float) -> None:
        super().__init__(start)
        self.held = contextlib.ExitStack()
        self.release_at = float("inf")

    def sleep(self, seconds: float, cancel: Any = None) -> bool:
        slept = super().sleep(seconds, cancel)
        if self.now() >= self.release_at:
            self.held.close()
        return slept


def test_a_run_s_first_lease_record_is_renewed_when_it_is_written_however_long_joining_took(
    token: str, tmp_path: pathlib.Path
) -> None:
    """The run waited 4 minutes for its lease lock (a `schedule run` held it) and its read of the endpoint
    took 7 more (retried): its record said it was renewed when it asked for the lock, 11 minutes before it
    was written, and a reader in another container took the live batch as gone from its first moment."""
    clock = LockReleasedLater(1_760_000_000.0)
    with own_sandbox(clock, tmp_path, token) as (sandbox, cli):
        deploy(cli, clock, tmp_path, then="pause")
        key = lease_key(Target(USER, "job"))
        clock.held.enter_context(
            locks.hold([key], directory=tmp_path, command="endpointctl schedule run", clock=clock)
        )
        asked = clock.now()
        clock.release_at = asked + 240
        read: list[float] = []
        at_resume: dict[str, Any] = {}

        def slow_read_then_look(request: Any, call_next: Callable[[Any], Response]) -> Response:
            if request.route == LIST and not read:
                read.append(clock.advance(420))  # the join's read of the endpoint, retried for 7 minutes
            if request.route == RESUME and not at_resume:
                # The record was written just before: nothing has moved the clock since.
                another_container = FakeProcesses(host_name="8c1d", boot="another-boot")
                at_resume.update(
                    wall=clock.wall(),
                    records=_holder_records(book(tmp_path).directory),
                    reading=book(tmp_path).read(another_container, clock.wall(), tidy=False),
                )
            return call_next(request)

        sandbox.add_middleware(slow_read_then_look)
        result = cli("run", "job", "--", *python("pass"))
        assert result.code == 0, result.all
        assert "waiting for the lock on lease" in result.stderr
        assert at_resume["wall"] - asked > LEASE_EXPIRY  # joining took longer than the expiry
        (record,) = at_resume["records"]
        assert record["renewed"] == record["since"] == stamp(at_resume["wall"])
        (live,) = at_resume["reading"].live
        assert live.pid == os.getpid() and at_resume["reading"].gone == []
        assert state(cli) == "paused"


class Beats:
    """The heartbeat's timer in a run: its first ``len(before)`` periods pass at once, each moving the
    test's clock on by it, ``before[i]`` (given the lease directory) run as the i-th one starts; the next
    only ends when the run stops the heartbeat. ``records[i]``: the holder records as the i-th period
    started (what the beats before it left); ``at[i]``: the clock when the i-th beat came."""

    def __init__(
        self, clock: Any, directory: pathlib.Path, before: list[Callable[[pathlib.Path], None]]
    ) -> None:
        self.clock, self.directory, self.before = clock, directory, before
        self.records: list[list[dict[str, Any]]] = []
        self.at: list[float] = []
        self.beaten = threading.Event()
        self.stopped = False

    def now(self) -> float:
        return float(self.clock.now())

    def wall(self) -> float:
        return float(self.clock.wall())

    def sleep(self, seconds: float, cancel: Any = None) -> bool:
        started = len(self.records)
        self.records.append(_holder_records(self.directory))
        if started < len(self.before):
            self.before[started](self.directory)
            self.at.append(self.clock.advance(seconds))
            return True
        self.beaten.set()
        self.stopped = cancel.wait(60)  # returns once the run stops its heartbeat
        return False


def _waits_for(timer: Beats) -> Callable[[Any, Callable[[Any], Response]], Response]:
    """A middleware: the resume waits for the timer's beats (not for good: without them the run goes on,
    and the test's assertions say what is missing)."""

    def after_the_beats(request: Any, call_next: Callable[[Any], Response]) -> Response:
        if request.route == RESUME:
            timer.beaten.wait(10)
        return call_next(request)

    return after_the_beats


class ReaderGone(io.StringIO):
    """stderr whose reader has gone by the time the heartbeat speaks (`2> >(logger)`, the logger dead)."""

    def write(self, text: str) -> int:
        if threading.current_thread().name == "endpointctl-lease":
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


def _in_the_way(directory: pathlib.Path) -> None:
    """The run's record replaced by a directory: renewing it fails (as on a full disk)."""
    (path,) = directory.glob("holder-*")
    path.unlink()
    path.mkdir()


def _out_of_the_way(directory: pathlib.Path) -> None:
    (path,) = directory.glob("holder-*")
    path.rmdir()


def test_a_renewal_that_fails_and_a_stderr_that_cannot_be_written_do_not_stop_the_heartbeat(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    """A renewal failed, or said something on a stderr whose reader had gone, and the heartbeat thread
    died: no more renewals, and ten minutes on a `schedule run` in another container took the live batch
    as gone and paused its endpoint under it."""
    deploy(cli, clock, tmp_path, then="pause")
    timer = Beats(clock, book(tmp_path).directory, [_in_the_way, _out_of_the_way, lambda _: None])
    here = replace(
        cli, processes=FakeProcesses(running={os.getpid(): 4321}), timer=timer, stderr_type=ReaderGone
    )
    sandbox.add_middleware(_waits_for(timer))
    result = here("run", "job", "--", *python("pass"))
    assert result.code == 0, result.all
    assert timer.stopped and len(timer.records) == 4  # a fourth period: the heartbeat outlived both
    # The first beat failed (the record was a directory); the second wrote it again (it had been
    # "removed"), the third renewed it: each saying so raised, and each was renewed all the same.
    assert [record["renewed"] for (record,) in timer.records[2:]] == [stamp(timer.at[1]), stamp(timer.at[2])]
    assert "lease record" not in result.stderr  # never written: the pipe was broken
    assert list(book(tmp_path).directory.glob("holder-*")) == [] and state(cli) == "paused"


def test_a_renewal_that_keeps_failing_is_said_once(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, then="pause")
    timer = Beats(clock, book(tmp_path).directory, [_in_the_way, lambda _: None, _out_of_the_way])
    here = replace(cli, processes=FakeProcesses(running={os.getpid(): 4321}), timer=timer)
    sandbox.add_middleware(_waits_for(timer))
    result = here("run", "job", "--", *python("pass"))
    assert result.code == 0, result.all
    assert timer.stopped and result.stderr.count("cannot be renewed") == 1, result.stderr
    assert result.stderr.count("the record is written again") == 1


@pytest.mark.parametrize("where", ["waiting", "command"])
def test_an_unexpected_error_while_waiting_or_in_the_command_still_leaves_the_lease_and_puts_it_back(
    cli: Cli,
    sandbox: Sandbox,
    clock: Any,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    """A bug (any exception, not an endpointctl error) after the lease was taken: the run's record is
    still removed, the state it found still put back, and the error still said (exit 1)."""
    from endpointctl.cli import child
    from endpointctl.engine.flows import wait

    deploy(cli, clock, tmp_path, then="pause")

    def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError(f"a bug while {where}")

    monkeypatch.setattr(*((wait, "wait_on") if where == "waiting" else (child, "run")), boom)
    sandbox.reset_counts()
    result = cli("run", "job", "--", *python("pass"))
    assert result.code == 1 and f"a bug while {where}" in result.stderr, result.all
    assert "putting it back to paused" in result.stderr
    assert state(cli) == "paused" and sandbox.counts().get(PAUSE) == 1
    assert list(book(tmp_path).directory.glob("holder-*")) == [] and book(tmp_path).recorded() is None

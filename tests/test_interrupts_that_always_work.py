"""Issue 8, class 6: interrupts that always work, wherever they arrive.

At a question, while reading, while the output is busy, during waits and smoke tests: Ctrl-C and SIGTERM
end the command (exit 130, with a line) or, while changes are made, start nothing new.
"""

from __future__ import annotations

import json
import pathlib
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest
from clirunner import Cli
from clocks import InterruptedAt
from held_routes import hold_route
from test_cli_apply import manifest, write

from endpointctl.cli import CommandEnv, main
from endpointctl.sandbox import Response, Sandbox
from endpointctl.ui.sink import Output

T0 = 1_760_000_000.0
LOADING = {"error": "Model is currently loading", "estimated_time": 20.0}


def _apply_held_at(
    sandbox: Sandbox, token: str, tmp_path: pathlib.Path, route: str
) -> tuple[threading.Event, threading.Event, subprocess.Popen[str]]:
    """``apply --yes`` of one manifest in a child process, the sandbox holding ``route``'s first call
    until ``release`` is set; ``arrived`` is set when it is held."""
    write(tmp_path, "a.yaml", manifest("a"))
    arrived, release = hold_route(sandbox, route)
    env = {"ENDPOINTCTL_API_URL": sandbox.url, "HF_TOKEN": token, "ENDPOINTCTL_STATE_DIR": str(tmp_path)}
    child = subprocess.Popen(
        [sys.executable, "-m", "endpointctl", "apply", str(tmp_path), "--yes"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return arrived, release, child


def test_ctrl_c_at_the_confirmation_stops_with_130_and_changes_nothing(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path, token: str
) -> None:
    assert cli("apply", write(tmp_path, "a.yaml", manifest("old")), "--yes", "--stack", "s").code == 0
    (tmp_path / "a.yaml").unlink()
    write(tmp_path, "b.yaml", manifest("new"))
    sandbox.reset_counts()

    def ctrl_c(_text: str) -> bool:
        raise KeyboardInterrupt

    env = CommandEnv(environ=cli.environ, clock=clock, interactive=True, prompt=ctrl_c, out=Output())
    assert main(["apply", str(tmp_path), "--stack", "s", "--prune"], env=env) == 130
    assert sandbox.mutating_count() == 0


@pytest.fixture
def clock() -> InterruptedAt:
    # Ctrl-C arrives 200 s in: well after the sandbox's deploy phases, during the smoke tests' cold start.
    return InterruptedAt(T0, at=T0 + 200)


def test_an_interrupt_during_a_cold_start_ends_it_and_calls_no_other_endpoint(
    sandbox: Sandbox, clock: InterruptedAt, token: str, tmp_path: pathlib.Path
) -> None:
    slow = {"coldStartTimeoutSeconds": 1000}
    write(tmp_path, "a.yaml", manifest("a-loading", smokeTest=slow))
    write(tmp_path, "b.yaml", manifest("b-next", smokeTest=slow))
    called: list[str] = []

    def loading(request: Any, call_next: Callable[[Any], Response]) -> Response:
        if request.route.startswith("POST /endpoints/"):
            called.append(request.params["name"])
            if request.params["name"] == "a-loading":
                return Response(status=503, body=json.dumps(LOADING).encode(), headers={})
        return call_next(request)

    sandbox.add_middleware(loading)
    cli = Cli(
        {"ENDPOINTCTL_API_URL": sandbox.url, "HF_TOKEN": token, "ENDPOINTCTL_STATE_DIR": str(tmp_path)}, clock
    )
    result = cli("apply", str(tmp_path), "--yes", "--smoke", "-o", "json")
    assert result.code == 130, result.all
    assert clock.now() == pytest.approx(T0 + 200)  # ended at the interrupt, not at the 1000 s budget
    assert set(called) == {"a-loading"}  # b-next was never called
    smoke = {r["name"]: r["smoke"] for r in json.loads(result.stdout)}
    assert smoke["b-next"]["verdict"] == "skipped"
    assert smoke["b-next"]["reason"] == "interrupted before it was called"
    assert smoke["a-loading"]["verdict"] == "fail"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_reading_the_live_state_stops_at_once(
    sandbox: Sandbox, token: str, tmp_path: pathlib.Path, sig: signal.Signals
) -> None:
    """Reading and planning are not the executor's work: Ctrl-C there ends the command straight away."""
    arrived, release, child = _apply_held_at(sandbox, token, tmp_path, "GET /v2/endpoint/{namespace}")
    try:
        assert arrived.wait(timeout=30)
        child.send_signal(sig)
        _, stderr = child.communicate(timeout=20)  # without waiting for the held call to be answered
    finally:
        release.set()
    assert child.returncode == 130, stderr
    assert "error: interrupted" in stderr
    assert sandbox.mutating_count() == 0


def test_an_interrupt_during_the_wait_runs_no_smoke_test(
    sandbox: Sandbox, clock: InterruptedAt, token: str, tmp_path: pathlib.Path
) -> None:
    write(tmp_path, "a.yaml", manifest("never-healthy"))
    calls: list[str] = []

    def unhealthy(request: Any, call_next: Callable[[Any], Response]) -> Response:
        if request.route.startswith(("GET /endpoints/", "POST /endpoints/")):
            calls.append(request.route)
            if request.route.startswith("GET"):  # the health route: never ready
                return Response(status=503, body=b'{"error": "loading"}', headers={})
        return call_next(request)

    sandbox.add_middleware(unhealthy)
    environ = {"ENDPOINTCTL_API_URL": sandbox.url, "HF_TOKEN": token, "ENDPOINTCTL_STATE_DIR": str(tmp_path)}
    result = Cli(environ, clock)("apply", str(tmp_path), "--yes", "--smoke", "-o", "json")
    assert result.code == 130, result.all
    assert calls and all(route.startswith("GET") for route in calls)  # probed, never smoke-tested
    (record,) = json.loads(result.stdout)
    assert record["wait"]["outcome"] == "interrupted"
    assert "smoke" not in record


def test_the_signal_handler_takes_no_lock_so_a_busy_output_cannot_hang_it() -> None:
    """The handler only marks the event; the line is printed by a watcher thread, when the output is free."""
    import io

    from endpointctl.cli.signals import interruptible
    from endpointctl.engine.cancel import CancelEvent

    stderr = io.StringIO()
    out = Output(stdout=io.StringIO(), stderr=stderr)
    cancel = CancelEvent()
    holding, release = threading.Event(), threading.Event()

    def busy_writer() -> None:  # as if a progress line were being written when Ctrl-C came
        with out._lock:
            holding.set()
            release.wait(timeout=30)

    writer = threading.Thread(target=busy_writer)
    with interruptible(cancel, out):
        writer.start()
        assert holding.wait(timeout=30)
        signal.raise_signal(signal.SIGINT)
        assert cancel.is_set()  # at once, in this thread, while the output is still held
        release.set()
        writer.join(timeout=30)
        assert cancel.wait(timeout=30)  # the watcher set the event itself
    assert stderr.getvalue() == "interrupted: finishing the call in flight, starting nothing new\n"


def test_outside_the_changes_sigterm_is_ctrl_c() -> None:
    from endpointctl.cli.signals import ended_by_sigterm

    with pytest.raises(KeyboardInterrupt), ended_by_sigterm():
        signal.raise_signal(signal.SIGTERM)


def test_a_second_interrupt_stops_at_once_even_while_a_call_hangs(
    sandbox: Sandbox, token: str, tmp_path: pathlib.Path
) -> None:
    arrived, release, child = _apply_held_at(sandbox, token, tmp_path, "POST /v2/endpoint/{namespace}")
    try:
        assert arrived.wait(timeout=30)
        child.send_signal(signal.SIGINT)
        assert child.stderr is not None
        seen: list[str] = []
        for line in iter(child.stderr.readline, ""):
            seen.append(line)
            if "interrupted:" in line:
                break
        child.send_signal(signal.SIGINT)
        _, rest = child.communicate(timeout=20)  # the create is still held: only a hard stop ends it
    finally:
        release.set()
    assert child.returncode == 130
    assert "interrupted again: stopping at once" in "".join(seen) + rest


_SIGTERM_WHILE_IMPORTING = """
import importlib.abc, os, signal, sys

class SigtermOnClick(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "click":  # the CLI's imports have begun
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGTERM)
        return None

sys.meta_path.insert(0, SigtermOnClick())
sys.argv = ["endpointctl", "status"]
from endpointctl.__main__ import run
run()
"""


def test_sigterm_while_the_cli_is_still_being_imported_exits_130_with_a_line(tmp_path: pathlib.Path) -> None:
    env = {"ENDPOINTCTL_STATE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    child = subprocess.run(
        [sys.executable, "-c", _SIGTERM_WHILE_IMPORTING], env=env, capture_output=True, text=True, timeout=60
    )
    assert child.returncode == 130, child.stderr
    assert child.stderr == "error: interrupted\n"


def test_the_console_script_runs_the_guarded_entry_point() -> None:
    """The installed ``endpointctl`` must start at ``run``, or SIGTERM during its imports is exit 143."""
    from importlib.metadata import entry_points

    (script,) = [point for point in entry_points(group="console_scripts") if point.name == "endpointctl"]
    assert script.value == "endpointctl.__main__:run"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_that_surfaces_as_another_error_is_still_an_interrupt(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, sig: signal.Signals
) -> None:
    """The KeyboardInterrupt a signal raises can land inside a lock's bookkeeping (the main thread
    waiting for the readers) and come out as "RuntimeError: release unlocked lock": that read as a bug,
    exit 1, in a CI run. A real signal is sent here, and its interrupt turned into that error."""
    from endpointctl.ui import render

    def read_while_signalled(*args: Any, **kwargs: Any) -> Any:
        try:
            signal.raise_signal(sig)
        except KeyboardInterrupt:
            raise RuntimeError("release unlocked lock") from None
        raise AssertionError("the signal raised nothing")

    monkeypatch.setattr(render, "endpoints", read_while_signalled)
    result = cli("status")
    assert (result.code, result.stderr) == (130, "error: interrupted\n"), result.all
    monkeypatch.setattr(render, "endpoints", lambda *args, **kwargs: (_ for _ in ()).throw(RuntimeError("x")))
    bug = cli("status")  # no signal this time: the same error is a bug, as before
    assert bug.code == 1 and "this is a bug in endpointctl" in bug.stderr

"""The CLI as a separate process: the README's --sandbox flow, `sandbox serve`, tokens, interrupts."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

import pytest
from clirunner import Cli
from test_cli_apply import manifest, write

from endpointctl.sandbox import ManualClock, Response, Sandbox

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(*argv: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "endpointctl", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


@pytest.fixture
def isolated_env(tmp_path: pathlib.Path) -> dict[str, str]:
    """No token anywhere, and state under tmp_path: what a newcomer's machine looks like."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "ENDPOINTCTL_"))}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    env["HF_HOME"] = str(tmp_path / "hf-home")
    return env


def test_sandbox_flag_runs_the_readme_flow_and_state_persists(
    isolated_env: dict[str, str], clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The flag in a process of its own; then, once that process has ended, the variable, `sandbox reset`
    and the flag again through the same entry point in this process (a child costs ~0.5 s), their
    embedded sandboxes on the state the child left: the sandbox takes its state directory from the
    process's own XDG_STATE_HOME, set here as in the child."""
    applied = run("--sandbox", "apply", "manifests/gpt2.yaml", "--yes", "-o", "json", env=isolated_env)
    assert applied.returncode == 0, applied.stderr
    assert json.loads(applied.stdout)[0]["outcome"] == "ok"
    assert "sandbox: serving" in applied.stderr  # progress on stderr, stdout stays parseable

    monkeypatch.setenv("XDG_STATE_HOME", isolated_env["XDG_STATE_HOME"])
    here = Cli(environ=isolated_env, clock=clock)
    status = here("status", "-o", "json", env={"ENDPOINTCTL_SANDBOX": "1"})
    assert status.code == 0, status.all
    (row,) = json.loads(status.stdout)
    assert (row["name"], row["security"]) == ("gpt2-demo", "private")
    assert (ROOT / "manifests" / "gpt2.yaml").exists()
    state = pathlib.Path(isolated_env["XDG_STATE_HOME"]) / "endpointctl" / "sandbox.sqlite"
    assert state.exists()

    reset = here("sandbox", "reset")
    assert reset.code == 0, reset.all
    empty = here("--sandbox", "status", "-o", "json")
    assert empty.code == 0, empty.all
    assert json.loads(empty.stdout) == []


def test_no_token_is_a_usage_error_with_a_hint(isolated_env: dict[str, str]) -> None:
    result = run("status", env={**isolated_env, "ENDPOINTCTL_API_URL": "http://127.0.0.1:9"})
    assert result.returncode == 2
    assert "HF_TOKEN" in result.stderr and "--sandbox" in result.stderr


def _serve(env: dict[str, str]) -> subprocess.Popen[str]:
    """`endpointctl sandbox serve` on a free port, its stderr to read (the first line gives the URL)."""
    return subprocess.Popen(
        [sys.executable, "-m", "endpointctl", "sandbox", "serve", "--port", "0"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )


def test_sandbox_serve_in_the_foreground(
    isolated_env: dict[str, str], clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    server = _serve(isolated_env)
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        url = line.split("serving at ", 1)[1].split()[0]
        # The server is the process under test; its clients run in this one (as everywhere else in the
        # suite), with another token than the sandbox user's and a state directory of their own. Two
        # more interpreters importing the CLI cost more than the rest of the test.
        client = Cli(
            environ={
                "ENDPOINTCTL_API_URL": url,
                "HF_TOKEN": "hf_someone_else",
                "ENDPOINTCTL_STATE_DIR": str(tmp_path / "client"),
            },
            clock=clock,
        )
        applied = client("apply", str(ROOT / "manifests" / "sentiment.yaml"), "--yes")
        assert applied.code == 0, applied.all
        listed = client("status", "-o", "json")
        assert listed.code == 0, listed.all
        status = json.loads(listed.stdout)
        assert [row["name"] for row in status] == ["sentiment-en"]
        assert status[0]["status"] in ("pending", "initializing", "running")
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=20) == 0


def test_a_ctrl_c_as_soon_as_serve_says_where_it_serves_stops_it_cleanly(
    isolated_env: dict[str, str],
) -> None:
    """The earliest a script can stop it: on the line that gives the URL, before the hints after it."""
    server = _serve(isolated_env)
    try:
        assert server.stderr is not None
        assert "serving at http://127.0.0.1:" in server.stderr.readline()
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=20) == 0, server.stderr.read()
    finally:
        server.kill()
        server.wait(20)


def _hold_first_create(sandbox: Sandbox) -> tuple[threading.Event, threading.Event]:
    """Stop the first create inside the server until the test releases it."""
    arrived, release = threading.Event(), threading.Event()

    def middleware(request: Any, call_next: Callable[[Any], Response]) -> Response:
        if request.route == "POST /v2/endpoint/{namespace}" and not arrived.is_set():
            arrived.set()
            release.wait(timeout=30)
        return call_next(request)

    sandbox.add_middleware(middleware)
    return arrived, release


def _read_until(stream: IO[str], marker: str, lines: list[str]) -> None:
    for line in iter(stream.readline, ""):
        lines.append(line)
        if marker in line:
            return


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_finishes_the_call_in_flight_and_starts_nothing_new(
    sandbox: Sandbox, token: str, tmp_path: pathlib.Path, isolated_env: dict[str, str], sig: signal.Signals
) -> None:
    for name in ("one", "two", "three"):
        write(tmp_path, f"{name}.yaml", manifest(name))
    arrived, release = _hold_first_create(sandbox)
    env = {**isolated_env, "ENDPOINTCTL_API_URL": sandbox.url, "HF_TOKEN": token}
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "endpointctl",
            "apply",
            str(tmp_path),
            "--yes",
            "--parallelism",
            "1",
            "-o",
            "json",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []
    try:
        assert arrived.wait(timeout=30)
        child.send_signal(sig)
        # Release the held create only once the child says it took the interrupt: otherwise the create
        # could return first and the next one start before the signal is handled.
        assert child.stderr is not None
        noticed = threading.Thread(target=_read_until, args=(child.stderr, "interrupted:", seen), daemon=True)
        noticed.start()
        noticed.join(timeout=30)
        assert any("interrupted:" in line for line in seen), seen
    finally:
        release.set()
    stdout, rest = child.communicate(timeout=30)
    stderr = "".join(seen) + rest
    assert child.returncode == 130, stderr
    outcomes = sorted(r["outcome"] for r in json.loads(stdout))
    assert outcomes == ["interrupted", "interrupted", "ok"]
    assert sandbox.counts()["POST /v2/endpoint/{namespace}"] == 1
    assert "interrupted" in stderr

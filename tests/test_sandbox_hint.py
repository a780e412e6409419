"""The line `sandbox serve` prints for its users works as printed: its variables and command, run, get an
answer from the sandbox (on loopback, and with --allow-remote, where a token goes over plain http only
if ENDPOINTCTL_ALLOW_HTTP says so)."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest
from test_sandbox_as_a_server import ROOT, process_env, serve_process, stop  # noqa: F401 (a fixture)

HINT = "use it with: "


@pytest.mark.parametrize("args", [(), ("--host", "0.0.0.0", "--allow-remote")], ids=["loopback", "remote"])
def test_the_printed_command_works_as_printed(process_env: dict[str, str], args: tuple[str, ...]) -> None:  # noqa: F811
    server = serve_process(process_env, *args)
    try:
        assert server.stderr is not None
        line = ""
        for _ in range(5):  # "serving at", perhaps a warning, then the hint
            line = server.stderr.readline()
            if line.startswith(HINT):
                break
        words = shlex.split(line.removeprefix(HINT))
        assignments = dict(word.split("=", 1) for word in words if "=" in word.split()[0])
        command = [word for word in words if word not in {f"{k}={v}" for k, v in assignments.items()}]
        assert command == ["endpointctl", "status"], line
        assert ("ENDPOINTCTL_ALLOW_HTTP" in assignments) == bool(args)
        done = subprocess.run(
            [sys.executable, "-m", "endpointctl", *command[1:]],
            env={**process_env, **assignments},
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stderr
    finally:
        stop(server)

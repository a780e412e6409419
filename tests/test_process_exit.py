"""How the endpointctl process ends (``endpointctl.__main__``): with the command's exit code, all its
output flushed and the exit functions run, without waiting on the interpreter's teardown or on a thread
left stuck in a call."""

from __future__ import annotations

import io
import os
import pathlib
import subprocess
import sys
import textwrap

from endpointctl.__main__ import GC_THRESHOLDS
from endpointctl.cli import CommandEnv, main
from endpointctl.ui.sink import Output

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "endpointctl", *argv], capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def test_output_larger_than_any_buffer_arrives_whole_through_a_pipe() -> None:
    stdout = io.StringIO()
    assert main(["schema"], env=CommandEnv(environ={}, out=Output(stdout=stdout, stderr=io.StringIO()))) == 0
    assert len(stdout.getvalue()) > 8192  # more than one buffer's worth
    process = _run("schema")
    assert process.returncode == 0, process.stderr
    assert process.stdout == stdout.getvalue()


def test_the_commands_exit_code_is_the_processes(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: endpointctl/v1\nkind: InferenceEndpoint\nmetadata: {name: x}\nspec: 3\n")
    process = _run("validate", str(bad))
    assert process.returncode == 2
    assert str(bad) in process.stderr


_STUCK_THREAD = """
import atexit, sys, threading
import endpointctl.__main__ as entry

stuck = threading.Event()
threading.Thread(target=stuck.wait, name="a call that never returns").start()  # not a daemon
atexit.register(lambda: sys.stdout.write("exit functions ran\\n"))  # buffered: a pipe
sys.argv = ["endpointctl", "--version"]
entry.run()
"""


def run_entry_point(script: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``script`` in a new interpreter, which it must leave with 0."""
    process = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )
    assert process.returncode == 0, process.stderr
    return process


def test_exit_functions_run_and_a_stuck_thread_cannot_hold_the_exit() -> None:
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # as stdout is by default
    process = run_entry_point(_STUCK_THREAD, env=buffered)
    assert process.stdout.startswith("endpointctl")
    assert process.stdout.endswith("exit functions ran\n")  # run, then flushed


_THRESHOLDS = """
import atexit, gc, sys
import endpointctl.__main__ as entry

atexit.register(lambda: sys.stdout.write(f"\\n{gc.isenabled()} {gc.get_threshold()}\\n"))
sys.argv = ["endpointctl", "--version"]
entry.run()
"""


def test_the_collector_stays_on_with_start_up_thresholds() -> None:
    process = run_entry_point(_THRESHOLDS)
    enabled, thresholds = process.stdout.splitlines()[-1].split(" ", 1)
    # On: a long-running command's cycles are still collected. Raised: start-up's are not chased.
    assert enabled == "True"
    assert thresholds == str(GC_THRESHOLDS)
    assert GC_THRESHOLDS[0] >= 10_000

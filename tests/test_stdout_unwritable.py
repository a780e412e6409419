"""Standard output that cannot be written is said as such, never reported as a bug of endpointctl.

A CI step's stdout on a full disk, a descriptor closed by a wrapper script, a reader that left (`| head`):
before, each ended in "unexpected OSError ... this is a bug in endpointctl" (or an AttributeError with a
traceback, for a closed descriptor). Now it is exit 1 with what happened, and nothing from a reader that
left, which is how a command in a pipeline ends.
"""

from __future__ import annotations

import errno
import io
import os
import pathlib
import subprocess
import sys
from typing import Any

import pytest
from clirunner import Cli, Run
from conftest import TOKEN
from test_cli_apply import manifest, write

from endpointctl.sandbox import Sandbox

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _process(
    *argv: str, stdout: Any, tmp_path: pathlib.Path, environ: dict[str, str] | None = None, **extra: Any
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "ENDPOINTCTL_"))}
    env |= {"XDG_STATE_HOME": str(tmp_path / "state"), **(environ or {})}
    return subprocess.run(
        [sys.executable, "-m", "endpointctl", *argv],
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
        **extra,
    )


def _said_plainly(stderr: str, why: str) -> None:
    assert f"could not write the result to standard output: {why}" in stderr, stderr
    assert "bug" not in stderr and "Traceback" not in stderr and "unexpected" not in stderr, stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_under_stdout_is_exit_1_saying_so(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    with open("/dev/full", "w") as full:
        done = _process("validate", path, "-o", "json", stdout=full, tmp_path=tmp_path)
    assert done.returncode == 1
    _said_plainly(done.stderr, os.strerror(errno.ENOSPC))


def test_a_closed_stdout_is_exit_1_saying_so(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    done = _process(
        "validate", path, "-o", "json", stdout=None, tmp_path=tmp_path, preexec_fn=lambda: os.close(1)
    )
    assert done.returncode == 1
    _said_plainly(done.stderr, "it is closed")


class _Refusing(io.StringIO):
    error: OSError = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def write(self, text: str) -> int:
        raise self.error


class _ReaderLeft(_Refusing):
    error = BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def test_an_apply_whose_result_cannot_be_written_says_what_it_did_stays_done(
    sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    cli = Cli({"ENDPOINTCTL_API_URL": sandbox.url, "HF_TOKEN": TOKEN}, clock, stdout_type=_Refusing)
    result = cli("apply", write(tmp_path, "m.yaml", manifest()), "--yes", "-o", "json")
    assert result.code == 1
    _said_plainly(result.stderr, os.strerror(errno.ENOSPC))
    assert "stays done" in result.stderr
    assert sandbox.counts().get("POST /v2/endpoint/{namespace}") == 1  # the create happened, and is kept


def _validated_into(stdout: type[io.StringIO], sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path) -> Run:
    cli = Cli({"ENDPOINTCTL_API_URL": sandbox.url, "HF_TOKEN": TOKEN}, clock, stdout_type=stdout)
    return cli("validate", write(tmp_path, "m.yaml", manifest()), "-o", "json")


def test_a_reader_that_left_ends_the_command_without_a_word(
    sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    result = _validated_into(_ReaderLeft, sandbox, clock, tmp_path)
    assert result.code == 1
    assert "error" not in result.stderr and "bug" not in result.stderr, result.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_manifest_problem_with_stdout_full_is_still_exit_2_with_the_problems_on_stderr(
    tmp_path: pathlib.Path,
) -> None:
    """Review: the JSON records of the problems could not be written, and that escaped as a traceback."""
    path = tmp_path / "bad.yaml"
    path.write_text(manifest().replace("openai-community/gpt2", "not a repository!"))
    with open("/dev/full", "w") as full:
        done = _process("validate", str(path), "-o", "json", stdout=full, tmp_path=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "spec.model.repository" in done.stderr and f"{path}:" in done.stderr
    assert "Traceback" not in done.stderr and "bug" not in done.stderr


def test_an_encoding_that_cannot_write_the_result_says_so(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "m.yaml", manifest(env={"GREETING": "héllo ☃"}))
    done = _process(
        "--sandbox",
        "plan",
        path,
        "-o",
        "yaml",
        stdout=subprocess.PIPE,
        tmp_path=tmp_path,
        environ={"PYTHONIOENCODING": "ascii"},
    )
    assert done.returncode == 1, done.stderr
    assert "its encoding (ascii) cannot write a character of it" in done.stderr
    assert "PYTHONIOENCODING=utf-8" in done.stderr and "bug" not in done.stderr


class _NotTheStream(io.StringIO):
    def write(self, text: str) -> int:
        raise ValueError("raised by something other than the stream")


def test_a_value_error_of_an_open_stream_is_no_closed_stdout(
    sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    result = _validated_into(_NotTheStream, sandbox, clock, tmp_path)
    assert result.code == 1
    assert "it is closed" not in result.stderr and "a bug in endpointctl" in result.stderr

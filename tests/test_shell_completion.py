"""Issue 11 (ergonomics): `endpointctl completion SHELL` and endpoint names completed from -f manifests.

Completion is driven the way a shell drives it: the installed command called back with
``_ENDPOINTCTL_COMPLETE`` set, in a child process with no token and no API to reach. Where a test asks
several things of the same completion, one of them goes through a child process (the wiring: console
entry, environment, exit) and the rest through the same entry point in this process (``in_process``),
each child costing ~0.6 s of start-up and imports.
"""

from __future__ import annotations

import io
import os
import pathlib
import subprocess
import sys

import pytest
from clirunner import Cli
from hypothesis import given
from hypothesis import strategies as st

from endpointctl.cli import CommandEnv, main
from endpointctl.cli.name_completion import manifest_names
from endpointctl.ui.sink import Output

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "manifests"
EXAMPLE_NAMES = {
    "flan-t5-xxl",
    "gpt2-demo",
    "pert-embeddings-zh",
    "sentiment-en",
    "sentiment-zh",
    "translate-en-zh",
    "whisper-medium",
}


def complete(words: str, tmp_path: pathlib.Path) -> list[str]:
    """What bash would offer for the last word of ``words``."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "ENDPOINTCTL_STATE_DIR": str(tmp_path),
        "_ENDPOINTCTL_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
    }
    run = subprocess.run(
        [sys.executable, "-m", "endpointctl"], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    return [line.split(",", 1)[1] for line in run.stdout.splitlines() if line]


def in_process(
    words: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> list[str]:
    """``complete``, through the same entry point in this process: ``endpointctl.cli.main``, where click
    reads the request from the process's variables, answers on stdout and exits before any command runs.

    The command sees the child's environment (no token, no API URL, home and state under tmp_path),
    injected, so huggingface_hub never looks at this machine's login; the live list's cache, which the
    child keeps under its HOME, is under tmp_path too.
    """
    environ = {
        "HOME": str(tmp_path),
        "ENDPOINTCTL_STATE_DIR": str(tmp_path),
        "ENDPOINTCTL_CACHE_DIR": str(tmp_path / "cache"),
    }
    monkeypatch.setenv("_ENDPOINTCTL_COMPLETE", "bash_complete")
    monkeypatch.setenv("COMP_WORDS", words)
    monkeypatch.setenv("COMP_CWORD", str(len(words.split(" ")) - 1))
    capsys.readouterr()
    out = Output(stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(SystemExit) as exited:  # click ends a completion request by exiting, 0 if it went well
        main([], CommandEnv(environ=environ, out=out, own=False))
    assert exited.value.code == 0, out.stderr.getvalue()  # type: ignore[attr-defined]
    return [line.split(",", 1)[1] for line in capsys.readouterr().out.splitlines() if line]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_a_script_that_calls_endpointctl_back(cli: Cli, shell: str) -> None:
    run = cli("completion", shell)
    assert run.code == 0, run.all
    assert "_ENDPOINTCTL_COMPLETE" in run.stdout and "endpointctl" in run.stdout


def test_an_unknown_shell_is_a_usage_error(cli: Cli) -> None:
    run = cli("completion", "powershell")
    assert run.code == 2 and "powershell" in run.stderr


def test_names_complete_from_the_manifests_given_with_f(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert set(complete(f"endpointctl status -f {EXAMPLES} ", tmp_path)) == EXAMPLE_NAMES
    # The prefix and a single file change nothing a process does differently: asked in this one.
    assert in_process(f"endpointctl pause -f {EXAMPLES} sen", tmp_path, monkeypatch, capsys) == [
        "sentiment-zh",
        "sentiment-en",
    ]
    assert in_process(f"endpointctl delete -f {EXAMPLES / 'gpt2.yaml'} ", tmp_path, monkeypatch, capsys) == [
        "gpt2-demo"
    ]


def test_commands_and_flags_complete_too(tmp_path: pathlib.Path) -> None:
    assert {"schedule", "status", "smoke"} <= set(complete("endpointctl s", tmp_path))
    assert "--selector" in complete("endpointctl pause --sel", tmp_path)


def test_files_that_cannot_be_read_offer_nothing_and_never_fail(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In this process (the wiring is test_names_complete_from_the_manifests_given_with_f's): a failure
    would end in main's error handling (exit 1, no SystemExit), not in click's exit 0."""
    (tmp_path / "bad.yaml").write_text("metadata: [unclosed\n")
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    (tmp_path / "ok.yaml").write_text("metadata: {name: only-this}\n---\nmetadata: {name: 7}\n")
    words = f"endpointctl status -f {tmp_path} -f {tmp_path / 'missing.yaml'} "
    assert in_process(words, tmp_path, monkeypatch, capsys) == ["only-this"]


@given(st.lists(st.from_regex(r"[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?", fullmatch=True), max_size=6))
def test_every_name_in_a_file_is_offered_once_in_order(names: list[str]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        path = pathlib.Path(directory) / "m.yaml"
        path.write_text("\n---\n".join(f"metadata: {{name: '{name}'}}" for name in names) + "\n")
        assert manifest_names((str(path),)) == list(dict.fromkeys(names))

"""Issue 11 (ergonomics): `endpointctl completion SHELL` and endpoint names completed from -f manifests.

Completion is driven the way a shell drives it: the installed command called back with
``_ENDPOINTCTL_COMPLETE`` set, in a child process with no token and no API to reach.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
from clirunner import Cli
from hypothesis import given
from hypothesis import strategies as st

from endpointctl.cli.name_completion import manifest_names

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


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_a_script_that_calls_endpointctl_back(cli: Cli, shell: str) -> None:
    run = cli("completion", shell)
    assert run.code == 0, run.all
    assert "_ENDPOINTCTL_COMPLETE" in run.stdout and "endpointctl" in run.stdout


def test_an_unknown_shell_is_a_usage_error(cli: Cli) -> None:
    run = cli("completion", "powershell")
    assert run.code == 2 and "powershell" in run.stderr


def test_names_complete_from_the_manifests_given_with_f(tmp_path: pathlib.Path) -> None:
    assert set(complete(f"endpointctl status -f {EXAMPLES} ", tmp_path)) == EXAMPLE_NAMES
    assert complete(f"endpointctl pause -f {EXAMPLES} sen", tmp_path) == ["sentiment-zh", "sentiment-en"]
    assert complete(f"endpointctl delete -f {EXAMPLES / 'gpt2.yaml'} ", tmp_path) == ["gpt2-demo"]


def test_commands_and_flags_complete_too(tmp_path: pathlib.Path) -> None:
    assert {"schedule", "status", "smoke"} <= set(complete("endpointctl s", tmp_path))
    assert "--selector" in complete("endpointctl pause --sel", tmp_path)


def test_files_that_cannot_be_read_offer_nothing_and_never_fail(tmp_path: pathlib.Path) -> None:
    (tmp_path / "bad.yaml").write_text("metadata: [unclosed\n")
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    (tmp_path / "ok.yaml").write_text("metadata: {name: only-this}\n---\nmetadata: {name: 7}\n")
    assert complete(f"endpointctl status -f {tmp_path} -f {tmp_path / 'missing.yaml'} ", tmp_path) == [
        "only-this"
    ]


@given(st.lists(st.from_regex(r"[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?", fullmatch=True), max_size=6))
def test_every_name_in_a_file_is_offered_once_in_order(names: list[str]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        path = pathlib.Path(directory) / "m.yaml"
        path.write_text("\n---\n".join(f"metadata: {{name: '{name}'}}" for name in names) + "\n")
        assert manifest_names((str(path),)) == list(dict.fromkeys(names))

"""Under GitHub Actions, text from outside on stderr never acts as a workflow command: an API error that
carries ``::error``, ``::add-mask::``, ``::stop-commands::`` at the start of a line, or the legacy
``##[...]`` anywhere, is shown with that character escaped; endpointctl's own annotations still are
commands. Outside GitHub Actions the text is shown as it came."""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
from collections.abc import Callable

import pytest
import yaml
from clirunner import Cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_cli_apply import manifest, write

from endpointctl.core.settings import OutputMode
from endpointctl.sandbox import Request, Response, Sandbox
from endpointctl.ui import render, yaml_output
from endpointctl.ui.escapes import inert

LIST = "GET /v2/endpoint/{namespace}"
HOSTILE = (
    "quota check failed\n::error title=pwned::owned\n   ::add-mask::hf\n::stop-commands::x\nsee ##[group]x"
)
# What the runner takes as a command: "::" after leading whitespace, or "##[" anywhere in the line.
COMMAND = re.compile(r"^\s*::|##\[", re.MULTILINE)


def _refusing(message: str) -> Callable[[Request, Callable[[Request], Response]], Response]:
    def middleware(request: Request, call_next: Callable[[Request], Response]) -> Response:
        if request.route == LIST:
            return Response(status=400, body=json.dumps({"error": message}).encode())
        return call_next(request)

    return middleware


@pytest.mark.parametrize("github", [True, False], ids=["github-actions", "elsewhere"])
def test_an_api_error_with_workflow_commands_is_inert_under_github_actions(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, github: bool
) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    sandbox.add_middleware(_refusing(HOSTILE))
    env = {"GITHUB_ACTIONS": "true" if github else "false"}
    result = cli("plan", path, env=env)
    assert result.code == 1, result.all
    assert "quota check failed" in result.stderr
    if github:
        assert not COMMAND.search(result.stderr), result.stderr
        assert "\\x3a:error title=pwned::owned" in result.stderr  # still readable
    else:
        assert "\n::error title=pwned::owned" in result.stderr


def test_own_annotations_stay_commands_while_a_manifests_text_is_inert(
    cli: Cli, tmp_path: pathlib.Path
) -> None:
    bad = write(tmp_path, "bad.yaml", manifest().replace("gpt2-demo", "'::add-mask::x ##[group]y'"))
    result = cli("validate", bad, env={"GITHUB_ACTIONS": "true"})
    assert result.code == 2
    commands = [line for line in result.stderr.splitlines() if COMMAND.search(line)]
    assert commands and all(
        line.startswith(("::error file=", "::stop-commands::")) or re.fullmatch(r"::[0-9a-f]{32}::", line)
        for line in commands
    ), commands


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from([":", "#", "[", " ", "\t", "a", "\n", "\r", "\x0b"]), max_size=40))
def test_no_line_made_inert_can_start_a_command(text: str) -> None:
    for line in text.splitlines(keepends=True):
        shown = inert(line)
        assert not COMMAND.search(shown)
        assert inert(shown) == shown  # twice is once: lines made inert before reach the sink again


def _warning_header(value: str) -> Callable[[Request, Callable[[Request], Response]], Response]:
    def middleware(request: Request, call_next: Callable[[Request], Response]) -> Response:
        response = call_next(request)
        response.headers["X-HF-Warning"] = value
        return response

    return middleware


@pytest.mark.parametrize("github", [True, False], ids=["github-actions", "elsewhere"])
def test_huggingface_hubs_own_warning_lines_are_shown_as_outside_text(
    sandbox: Sandbox, token: str, tmp_path: pathlib.Path, github: bool
) -> None:
    """huggingface_hub logs a server's X-HF-Warning to stderr through its own handler, not endpointctl's
    output: the line still gets control characters escaped and, under GitHub Actions, no command."""
    sandbox.add_middleware(_warning_header("::add-mask::secret-ish \x9b31m ##[error]from the server"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "ENDPOINTCTL_", "GITHUB_"))}
    env |= {"ENDPOINTCTL_API_URL": sandbox.url, "HF_TOKEN": token, "ENDPOINTCTL_STATE_DIR": str(tmp_path)}
    env["GITHUB_ACTIONS"] = "true" if github else "false"
    process = subprocess.run(
        [sys.executable, "-m", "endpointctl", "status"], env=env, capture_output=True, text=True, timeout=60
    )
    assert process.returncode == 0, process.stderr
    assert "from the server" in process.stderr  # the warning was shown
    assert "\x9b" not in process.stderr and "\\x9b31m" in process.stderr  # CSI shown as an escape
    assert bool(COMMAND.search(process.stderr)) is not github, process.stderr


PIECES = [":", "#", "[", " ", "a", "\n", "::error::", "##[group]", "word " * 8]
COMMAND_TEXT = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=150)
@given(st.lists(st.dictionaries(st.sampled_from(["m", "::k", "##["]), COMMAND_TEXT, max_size=3), max_size=3))
def test_json_and_yaml_output_made_inert_read_back_as_the_same_data(data: list[dict[str, str]]) -> None:
    """Under GitHub Actions stdout goes through ``inert`` too, whatever the mode: a JSON or YAML document
    holds no command, and what was made inert is still the same data (long strings fold in YAML)."""
    for text, read in (
        (render.dump(data, OutputMode.JSON), json.loads),
        (yaml_output.dump(data), yaml.safe_load),
    ):
        shown = "".join(inert(line) for line in text.splitlines(keepends=True))
        assert not COMMAND.search(shown), shown
        assert read(shown) == data

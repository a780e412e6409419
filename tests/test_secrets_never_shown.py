"""Token and secret values, and their base64 forms, appear in no output of any command in any mode."""

from __future__ import annotations

import base64
import os
import pathlib
import subprocess
import sys
from typing import Any

import pytest
from clirunner import Cli, Run
from test_cli_apply import manifest, write

from endpointctl.redact import Redactor
from endpointctl.sandbox import Sandbox

SECRET = "sk-live-7f3a9c1e5b2d4f60"
TOKEN = "hf_sandbox_test_token_123"


def forms(value: str) -> list[str]:
    raw = value.encode()
    return [
        value,
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    ]


def assert_clean(run: Run | subprocess.CompletedProcess[str]) -> None:
    text = run.all if isinstance(run, Run) else run.stdout + run.stderr
    for value in (SECRET, TOKEN):
        for form in forms(value):
            assert form not in text


@pytest.fixture
def cli(sandbox: Sandbox, clock: Any) -> Cli:
    return Cli(
        environ={"ENDPOINTCTL_API_URL": sandbox.url, "HF_TOKEN": TOKEN, "MY_SECRET": SECRET}, clock=clock
    )


@pytest.fixture
def secret_manifest(tmp_path: pathlib.Path) -> str:
    return write(tmp_path, "m.yaml", manifest(secrets={"API_KEY": "${MY_SECRET}"}, env={"LOG": "debug"}))


@pytest.mark.parametrize("mode", ["table", "json", "yaml"])
def test_every_command_in_every_mode(
    cli: Cli, clock: Any, secret_manifest: str, tmp_path: pathlib.Path, mode: str
) -> None:
    runs = [
        cli("validate", secret_manifest, "-o", mode),
        cli("plan", secret_manifest, "-o", mode),
        cli("apply", secret_manifest, "--yes", "-o", mode),
    ]
    clock.advance(10)
    changed = write(
        tmp_path, "m.yaml", manifest(secrets={"API_KEY": "${MY_SECRET}", "OTHER": "${MY_SECRET}"})
    )
    runs += [
        cli("plan", changed, "-o", mode),
        cli("apply", changed, "--yes", "--rotate-secrets", "-o", mode),
        cli("status", "-o", mode),
        cli("status", "-f", changed, "-o", mode),
        cli("pause", "gpt2-demo", "-o", mode),
        cli("resume", "gpt2-demo", "-o", mode),
        cli("hardware", "-o", mode),
        cli("delete", "gpt2-demo", "--yes", "-o", mode),
    ]
    assert [r.code for r in runs] == [0] * len(runs), [r.all for r in runs if r.code]
    plan_text = runs[3].stdout
    assert "API_KEY" in plan_text and "OTHER" in plan_text  # names show, values never
    for run in runs:
        assert_clean(run)


def test_errors_do_not_echo_secrets(cli: Cli, tmp_path: pathlib.Path) -> None:
    bad = write(tmp_path, "bad.yaml", manifest(secrets={"API_KEY": SECRET}))
    run = cli("validate", bad)
    assert run.code == 2
    assert "spec.model.secrets.API_KEY" in run.stderr
    assert_clean(run)
    wrong_token = cli("plan", bad.replace("bad", "none"), env={"HF_TOKEN": "hf_x"})
    assert_clean(wrong_token)


def test_token_flag_warns_and_is_never_printed(cli: Cli, secret_manifest: str) -> None:
    run = cli("--token", TOKEN, "plan", secret_manifest)
    assert run.code == 0, run.all
    assert "prefer HF_TOKEN" in run.stderr
    assert_clean(run)


def test_api_error_echoing_the_request_is_scrubbed() -> None:
    redactor = Redactor([SECRET, TOKEN])
    body = f'{{"secrets": {{"API_KEY": "{SECRET}"}}}}'
    echoed = f'{{"error": "bad body", "body": {body}, "b64": "{forms(SECRET)[1]}"}}'
    scrubbed = redactor.scrub(echoed)
    assert SECRET not in scrubbed and forms(SECRET)[1] not in scrubbed
    assert "bad body" in scrubbed


def test_hf_debug_log_is_scrubbed(sandbox: Sandbox, secret_manifest: str) -> None:
    """huggingface_hub's HF_DEBUG curl log prints request bodies, secrets included."""
    env = {
        **os.environ,
        "ENDPOINTCTL_API_URL": sandbox.url,
        "HF_TOKEN": TOKEN,
        "MY_SECRET": SECRET,
        "HF_DEBUG": "1",
    }
    run = subprocess.run(
        [sys.executable, "-m", "endpointctl", "apply", secret_manifest, "--yes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert "curl" in run.stderr  # the debug log did run
    assert "API_KEY" in run.stderr
    assert_clean(run)

"""Usage mistakes that are refused before any API call: nothing is read, nothing is changed."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
from clirunner import Cli
from conftest import TOKEN
from test_cli_apply import USER, manifest, write

from endpointctl.sandbox import Sandbox


def test_prune_without_stack_is_refused_before_any_call(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    for command in ("plan", "apply"):
        result = (
            cli(command, path, "--prune", "--yes") if command == "apply" else cli(command, path, "--prune")
        )
        assert result.code == 2
        assert "--stack" in result.stderr
    assert sum(sandbox.counts().values()) == 0


def test_one_endpoint_defined_twice_through_the_default_namespace(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    write(tmp_path, "a.yaml", manifest("twin"))
    write(tmp_path, "b.yaml", manifest("twin", namespace=USER))
    result = cli("apply", str(tmp_path), "--yes")
    assert result.code == 2
    assert "defined twice" in result.stderr and "a.yaml" in result.stderr and "b.yaml" in result.stderr
    assert sandbox.mutating_count() == 0


def test_private_link_needs_its_region(cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "m.yaml", manifest(security="private", privateLink={"accountId": "123456789012"}))
    result = cli("apply", path, "--yes")
    assert result.code == 2
    assert "spec.privateLink.region" in result.stderr
    assert sum(sandbox.counts().values()) == 0


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["pause"], "name the endpoints to pause"),
        (["wait"], "name the endpoints to wait for"),
        (["smoke"], "name the endpoints to smoke-test"),
        (["delete", "x"], "refusing to delete without confirmation"),
        (["status", "-l", "team"], "--selector takes key=value"),
        (["--sandbox", "pause"], "name the endpoints to pause"),
    ],
)
def test_a_refusal_comes_before_the_token_is_needed_or_the_sandbox_starts(
    clock: Any, tmp_path: pathlib.Path, argv: list[str], says: str
) -> None:
    """No token anywhere: what is wrong with the command line is still what the user is told."""
    no_token = Cli(environ={"HF_HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path)}, clock=clock)
    result = no_token(*argv)
    assert result.code == 2, result.all
    assert says in result.stderr
    assert "token" not in result.stderr
    assert "sandbox: serving" not in result.stderr


def test_delete_without_yes_is_refused_before_a_broken_manifest_is_read(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    broken = write(tmp_path, "broken.yaml", "kind: [")
    result = cli("delete", "-f", broken)
    assert result.code == 2
    assert "refusing to delete without confirmation" in result.stderr
    assert sum(sandbox.counts().values()) == 0


@pytest.mark.parametrize("how", ["--namespace", "ENDPOINTCTL_NAMESPACE"])
def test_validate_finds_one_endpoint_defined_twice_through_a_namespace_it_is_given(
    sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path, how: str
) -> None:
    """What plan refuses, validate refuses too when the namespace is known offline (review)."""
    write(tmp_path, "a.yaml", manifest("twin"))
    write(tmp_path, "b.yaml", manifest("twin", namespace="acme"))
    environ = {"ENDPOINTCTL_API_URL": sandbox.url, "HF_TOKEN": TOKEN}
    flags = ["--namespace", "acme"] if how == "--namespace" else []
    if how == "ENDPOINTCTL_NAMESPACE":
        environ["ENDPOINTCTL_NAMESPACE"] = "acme"
    result = Cli(environ=environ, clock=clock)("validate", str(tmp_path), *flags, "-o", "json")
    assert result.code == 2, result.all
    assert "endpoint acme/twin is defined twice" in result.stderr
    assert "a.yaml" in result.stderr and "b.yaml" in result.stderr
    assert sum(sandbox.counts().values()) == 0
    elsewhere = Cli(environ=environ, clock=clock)(
        "validate", str(tmp_path), "--namespace", "other", "-o", "json"
    )
    if how == "--namespace":
        assert elsewhere.code == 0, elsewhere.all
        assert {r["namespace"] for r in json.loads(elsewhere.stdout)} == {"acme", "other"}


def test_validate_refuses_a_namespace_no_hub_name_can_be(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    write(tmp_path, "a.yaml", manifest("one"))
    result = cli("validate", str(tmp_path), "--namespace", "a/b")
    assert result.code == 2 and "--namespace" in result.stderr, result.all
    assert sum(sandbox.counts().values()) == 0


@pytest.mark.parametrize(
    "setting",
    [
        {"HF_TOKEN": "hf_abc def"},
        {"HF_TOKEN": "\r\n"},
        {"ENDPOINTCTL_REQUEST_TIMEOUT": "abc"},
        {"ENDPOINTCTL_RETRY_SECONDS": "-1"},
    ],
)
@pytest.mark.parametrize("command", [["validate"], ["schedule", "show"]])
def test_offline_commands_read_no_setting_they_do_not_use(
    clock: Any, tmp_path: pathlib.Path, setting: dict[str, str], command: list[str]
) -> None:
    """A pre-commit hook's validate must not stop on a token or a timeout it never uses (review)."""
    doc = manifest("one", namespace="acme", schedule={"timezone": "UTC", "running": ["Mon-Fri 08:00-18:00"]})
    path = write(tmp_path, "a.yaml", doc)
    result = Cli(environ={**setting, "ENDPOINTCTL_NAMESPACE": "acme"}, clock=clock)(
        *command, path, "-o", "json"
    )
    assert result.code == 0, result.all
    bad = Cli(environ={**setting, "ENDPOINTCTL_NAMESPACE": "a/b"}, clock=clock)(*command, path)
    assert bad.code == 2 and "ENDPOINTCTL_NAMESPACE" in bad.stderr, bad.all  # the one setting they use

"""Usage mistakes that are refused before any API call: nothing is read, nothing is changed."""

from __future__ import annotations

import pathlib

from clirunner import Cli
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

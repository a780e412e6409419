"""Issue 8, class 5: a selector that changes endpoints reaches only ours; an empty selector is refused.

Someone else's endpoint that happens to carry `team=nlp` must not be paused or deleted by
`endpointctl delete -l team=nlp --yes`; naming it explicitly still works, as before.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
from clirunner import Cli
from test_cli_apply import USER, manifest, write

from endpointctl.sandbox import Sandbox


@pytest.fixture
def mixed(cli: Cli, client: Any, endpoint_body: Any, clock: Any, tmp_path: pathlib.Path) -> None:
    """ours (made by endpointctl) and theirs (made by hand), both labelled team=nlp."""
    assert (
        cli("apply", write(tmp_path, "ours.yaml", manifest("ours", labels={"team": "nlp"})), "--yes").code
        == 0
    )
    response = client.post(f"/v2/endpoint/{USER}", json=endpoint_body("theirs", tags=["team=nlp"]))
    assert response.status_code == 200, response.text
    clock.advance(10)


def statuses(cli: Cli) -> dict[str, str]:
    return {row["name"]: row["status"] for row in json.loads(cli("status", "-o", "json").stdout)}


@pytest.mark.parametrize("command", [["pause"], ["scale-to-zero"], ["delete", "--yes"]])
def test_a_selector_leaves_unmanaged_endpoints_alone_and_says_so(
    cli: Cli, sandbox: Sandbox, mixed: None, command: list[str]
) -> None:
    sandbox.reset_counts()
    result = cli(*command, "-l", "team=nlp", "-o", "json")
    assert result.code == 0, result.all
    assert [record["name"] for record in json.loads(result.stdout)] == ["ours"]
    assert "1 endpoint(s) matched the selector but were left alone" in result.stderr
    assert f"{USER}/theirs" in result.stderr and "--include-unmanaged" in result.stderr
    assert statuses(cli)["theirs"] == "running"
    paths = [route for route in sandbox.counts() if route.startswith(("POST", "DELETE"))]
    assert all("theirs" not in path for path in paths)
    assert sandbox.mutating_count() == 1


def test_include_unmanaged_reaches_them_and_names_always_did(cli: Cli, mixed: None) -> None:
    result = cli("pause", "-l", "team=nlp", "--include-unmanaged", "-o", "json")
    assert result.code == 0, result.all
    assert sorted(record["name"] for record in json.loads(result.stdout)) == ["ours", "theirs"]
    assert "left alone" not in result.stderr
    assert cli("resume", "theirs").code == 0  # by name: as before, no flag needed
    assert statuses(cli)["theirs"] in ("pending", "initializing", "running")


def test_reading_commands_still_see_every_match(cli: Cli, mixed: None) -> None:
    found = json.loads(cli("status", "-l", "team=nlp", "-o", "json").stdout)
    assert sorted(row["name"] for row in found) == ["ours", "theirs"]


def test_a_selector_that_matches_only_unmanaged_endpoints_matches_nothing(
    cli: Cli, sandbox: Sandbox, mixed: None
) -> None:
    assert cli("delete", "ours", "--yes").code == 0
    sandbox.reset_counts()
    result = cli("delete", "-l", "team=nlp", "--yes")
    assert result.code == 1  # nothing matched: a typo-guard, as for any empty selection
    assert "left alone" in result.stderr and "no endpoint matches" in result.stderr
    assert sandbox.mutating_count() == 0


@pytest.mark.parametrize("selector", ["team=", "=nlp", "team", "team= ", "a=b,c="])
@pytest.mark.parametrize("command", [["pause"], ["delete", "--yes"], ["status"], ["wait"], ["smoke"]])
def test_an_empty_key_or_value_is_a_usage_error_before_any_call(
    cli: Cli, sandbox: Sandbox, selector: str, command: list[str]
) -> None:
    result = cli(*command, "-l", selector)
    assert result.code == 2, result.all
    assert "--selector" in result.stderr
    assert sum(sandbox.counts().values()) == 0


@pytest.mark.parametrize(
    ("selectors", "says"),
    [
        (["env=dev,env=prod"], "two values ('dev' and 'prod')"),
        (["env=dev", "env=prod"], "two values ('dev' and 'prod')"),
        (["team=nlp,env=dev", "env= prod"], "two values ('dev' and 'prod')"),
        (["env!=dev"], "only key=value"),
        (["env==dev"], "only key=value"),
        (["team=nlp,env != dev"], "only key=value"),
    ],
)
@pytest.mark.parametrize("command", [["pause"], ["delete", "--yes"], ["status"]])
def test_a_selector_no_endpoint_could_match_is_a_usage_error_before_any_call(
    cli: Cli, sandbox: Sandbox, selectors: list[str], says: str, command: list[str]
) -> None:
    """Every term must match: `-l env=dev,env=prod` once kept the last value and deleted prod; kubectl's
    `!=` and `==` were read as a key "env!" or a value "=dev", matching nothing
    (a no-op with --allow-empty)."""
    result = cli(*command, *(arg for selector in selectors for arg in ("-l", selector)), "--allow-empty")
    assert result.code == 2, result.all
    assert says in result.stderr
    assert sum(sandbox.counts().values()) == 0


def test_a_label_repeated_with_its_one_value_is_one_term(cli: Cli, mixed: None) -> None:
    result = cli("status", "-l", "team=nlp,team=nlp", "-l", " team = nlp ", "-o", "json")
    assert result.code == 0, result.all
    assert sorted(row["name"] for row in json.loads(result.stdout)) == ["ours", "theirs"]


def test_a_name_with_a_selector_still_reaches_an_unmanaged_endpoint(cli: Cli, mixed: None) -> None:
    result = cli("pause", "theirs", "-l", "team=nlp", "-o", "json")
    assert result.code == 0, result.all
    assert [record["name"] for record in json.loads(result.stdout)] == ["theirs"]

"""`--prune` never deletes an endpoint of its stack whose state endpointctl does not know, or which the API
does not report: unknown is never acted on, and a delete least of all. It is kept, blocked, saying why.

Through the CLI and the sandbox over loopback, with a middleware that reshapes that endpoint's answers and
the sandbox's count of the requests it serves.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
from clirunner import Cli
from rewritten_answers import each_endpoint, rewriting
from test_cli_apply import manifest, write

from endpointctl.sandbox import ManualClock, Sandbox

LIST = "GET /v2/endpoint/{namespace}"
ONE = "GET /v2/endpoint/{namespace}/{name}"
DELETE = "DELETE /v2/endpoint/{namespace}/{name}"


def a_stack_with_one_gone_from_the_manifests(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path) -> str:
    """ "keep" and "gone" applied in stack s1, then gone's manifest removed; the manifests' directory."""
    folder = tmp_path / "m"
    folder.mkdir()
    write(folder, "keep.yaml", manifest("keep"))
    gone = write(folder, "gone.yaml", manifest("gone"))
    assert cli("apply", str(folder), "--stack", "s1", "--yes").code == 0
    clock.advance(30)
    pathlib.Path(gone).unlink()
    return str(folder)


@pytest.mark.parametrize(
    "state", ["deleting", "hibernating", None, ""], ids=["deleting", "new", "absent", "empty"]
)
def test_prune_keeps_an_endpoint_in_an_unknown_state_and_says_why(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path, state: str | None
) -> None:
    folder = a_stack_with_one_gone_from_the_manifests(cli, clock, tmp_path)

    def edit(item: dict[str, Any]) -> None:
        if item.get("name") == "gone":
            if state is None:
                item["status"].pop("state")
            else:
                item["status"]["state"] = state

    sandbox.add_middleware(rewriting((LIST, ONE), each_endpoint(edit)))
    shown = state or "not reported"
    why = f"its state '{shown}' is not one endpointctl knows; --prune does not delete it"

    plan = cli("plan", folder, "--stack", "s1", "--prune", "-o", "json")
    (gone,) = [change for change in json.loads(plan.stdout) if change["name"] == "gone"]
    assert (gone["action"], gone["steps"]) == ("blocked", []), gone
    assert gone["reason"].startswith(why), gone

    sandbox.reset_counts()
    applied = cli("apply", folder, "--stack", "s1", "--prune", "--yes")
    assert applied.code == 1, applied.all  # a blocked change, as the README's exit codes say
    assert why in applied.all
    assert sandbox.counts().get(DELETE, 0) == 0 and sandbox.mutating_count() == 0, sandbox.counts()


def test_once_its_state_is_known_again_the_prune_deletes_it(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    folder = a_stack_with_one_gone_from_the_manifests(cli, clock, tmp_path)
    sandbox.reset_counts()
    applied = cli("apply", folder, "--stack", "s1", "--prune", "--yes")
    assert applied.code == 0, applied.all
    assert sandbox.counts().get(DELETE) == 1

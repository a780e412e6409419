"""`pause`, `resume` and `scale-to-zero` never act on an endpoint whose state endpointctl does not know, or
which the API does not report: it is blocked, saying why, and the command exits 1 (README, exit codes: a
blocked change), while the other endpoints it reaches are moved.

Through the CLI and the sandbox over loopback, with a middleware that reshapes one endpoint's answers and
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
VERBS = {"pause": "paused", "resume": "resumed", "scale-to-zero": "scaled to zero"}


def two_dev_endpoints(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path) -> None:
    """Two endpoints, "odd" and "fine", both labelled env=dev, applied and running."""
    for name in ("odd", "fine"):
        path = write(tmp_path, f"{name}.yaml", manifest(name, labels={"env": "dev"}))
        assert cli("apply", path, "--yes").code == 0
    clock.advance(30)


def reporting(sandbox: Sandbox, state: str | None) -> None:
    """odd's answers report ``state`` from now on (None: no state at all)."""

    def edit(item: dict[str, Any]) -> None:
        if item.get("name") == "odd":
            if state is None:
                item["status"].pop("state")
            else:
                item["status"]["state"] = state

    sandbox.add_middleware(rewriting((LIST, ONE), each_endpoint(edit)))


@pytest.mark.parametrize("how", ["selector", "name"])
@pytest.mark.parametrize("state", ["deleting", "hibernating", None], ids=["deleting", "new", "absent"])
@pytest.mark.parametrize("command", list(VERBS))
def test_an_endpoint_in_an_unknown_state_is_blocked_and_the_others_are_moved(
    cli: Cli,
    clock: ManualClock,
    sandbox: Sandbox,
    tmp_path: pathlib.Path,
    command: str,
    state: str | None,
    how: str,
) -> None:
    two_dev_endpoints(cli, clock, tmp_path)
    if command == "resume":  # so that "fine" has something to do
        assert cli("pause", "odd", "fine").code == 0
    reporting(sandbox, state)
    sandbox.reset_counts()

    reach = ("--selector", "env=dev") if how == "selector" else ("odd", "fine")
    ran = cli(command, *reach, "-o", "json")
    assert ran.code == 1, ran.all  # a blocked change
    results = {r["name"]: r for r in json.loads(ran.stdout)}
    shown = state or "not reported"
    assert results["odd"]["action"] == "blocked", results["odd"]
    assert results["odd"]["error"] == (
        f"its state '{shown}' is not one endpointctl knows: not {VERBS[command]} until the API reports a "
        "known one; `endpointctl status odd --namespace sandbox-user` shows it"
    )
    assert results["fine"]["outcome"] == "ok", results["fine"]
    # One change, and it is fine's: nothing is sent for the endpoint in the unknown state.
    assert sandbox.mutating_count() == 1, sandbox.counts()
    (route,) = [route for route in sandbox.counts() if route.startswith("POST")]
    assert route.endswith(
        {"pause": "/pause", "resume": "/resume", "scale-to-zero": "/scale-to-zero"}[command]
    )


def test_an_endpoint_in_an_unknown_state_can_still_be_deleted_by_name(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    """A delete is asked for by name, with confirmation: the way out of a state that stays."""
    two_dev_endpoints(cli, clock, tmp_path)
    reporting(sandbox, "deleting")
    assert cli("delete", "odd", "--yes").code == 0

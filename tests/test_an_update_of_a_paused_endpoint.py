"""An update of a paused endpoint answered with a deploying state (`updating`, `pending`, `initializing`)
is not followed by a pause on that answer: whether the update woke the endpoint is unknown from it. The
endpoint is read until it settles, and the settled state decides: still paused, nothing more is sent;
awake, it is paused again, as the plan promised ("stays paused"); still deploying at the deadline, it is
not paused, and the run says so and exits 1 (a failed change).

Through the CLI and the sandbox over loopback, with middlewares that reshape its answers by the injected
clock (no sleeps: the reads' waits advance the ManualClock), and the sandbox's count of requests by route.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from typing import Any

import pytest
from clirunner import Cli
from rewritten_answers import each_endpoint, rewriting
from test_cli_apply import manifest, write

from endpointctl.sandbox import ManualClock, Sandbox

ONE = "GET /v2/endpoint/{namespace}/{name}"
UPDATE = "PUT /v2/endpoint/{namespace}/{name}"
PAUSE = "POST /v2/endpoint/{namespace}/{name}/pause"


def paused(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path) -> str:
    """gpt2-demo applied, running, then paused; a manifest that changes its env (no `state`: it stays
    paused)."""
    assert cli("apply", write(tmp_path, "m.yaml", manifest()), "--yes").code == 0
    clock.advance(30)
    assert cli("pause", "gpt2-demo").code == 0
    return write(tmp_path, "m.yaml", manifest(env={"A": "1"}))


def answered(state: str) -> Callable[[dict[str, Any]], None]:
    return each_endpoint(lambda item: item["status"].update(state=state))


def read_as(clock: ManualClock, until: float, then: str | None) -> Callable[[dict[str, Any]], None]:
    """Each read answers `updating` until the clock reaches ``until``, then ``then`` (None: as stored)."""

    def edit(item: dict[str, Any]) -> None:
        if clock.now() < until:
            item["status"]["state"] = "updating"
        elif then is not None:
            item["status"]["state"] = then

    return each_endpoint(edit)


@pytest.mark.parametrize("state", ["updating", "pending", "initializing"])
def test_an_update_answered_as_deploying_is_not_followed_by_a_pause_when_it_settles_paused(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path, state: str
) -> None:
    path = paused(cli, clock, tmp_path)
    sandbox.add_middleware(rewriting(UPDATE, answered(state)))
    sandbox.add_middleware(rewriting(ONE, read_as(clock, clock.now() + 20, None)))  # then paused, as stored
    sandbox.reset_counts()
    applied = cli("apply", path, "--yes", "-o", "json")
    assert applied.code == 0, applied.all
    (record,) = json.loads(applied.stdout)
    assert (record["done"], record["notDone"]) == (["update"], []), record
    counts = sandbox.counts()
    assert counts[UPDATE] == 1 and PAUSE not in counts, counts
    assert counts[ONE] >= 2, counts  # read until it settled
    assert f"the update was answered '{state}'; reading it until it settles" in applied.stderr
    assert "pausing it again" not in applied.stderr


def test_an_update_answered_updating_that_settles_awake_is_paused_again(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = paused(cli, clock, tmp_path)
    sandbox.add_middleware(rewriting(UPDATE, answered("updating")))
    sandbox.add_middleware(rewriting(ONE, read_as(clock, clock.now() + 20, "running")))
    sandbox.reset_counts()
    applied = cli("apply", path, "--yes", "-o", "json")
    assert applied.code == 0, applied.all
    (record,) = json.loads(applied.stdout)
    assert (record["done"], record["notDone"]) == (["update", "pause"], []), record
    counts = sandbox.counts()
    assert counts[UPDATE] == 1 and counts[PAUSE] == 1, counts
    assert "the update woke the paused endpoint; pausing it again" in applied.stderr


def test_an_update_answered_updating_that_never_settles_is_not_paused_and_says_so(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = paused(cli, clock, tmp_path)
    sandbox.add_middleware(rewriting(UPDATE, answered("updating")))
    sandbox.add_middleware(rewriting(ONE, answered("updating")))
    sandbox.reset_counts()
    applied = cli("apply", path, "--yes", "-o", "json")
    assert applied.code == 1, (
        applied.all
    )  # a failed change, as a settle before a scale-to-zero that times out
    (record,) = json.loads(applied.stdout)
    assert (record["done"], record["notDone"]) == (["update"], ["pause"]), record
    assert "whether the update woke it is unknown, so it was not paused again" in record["error"]
    assert PAUSE not in sandbox.counts(), sandbox.counts()

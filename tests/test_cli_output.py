"""Where each part of a command's output goes: the result on stdout, the plan, progress and warnings on
stderr; a half-done endpoint is said to be half-done, in the table, in JSON and as a warning."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from typing import Any

from clirunner import Cli
from test_cli_apply import manifest, write

from endpointctl.sandbox import Response, Sandbox

APPLY_RECORD_KEYS = {
    "name",
    "namespace",
    "action",
    "outcome",
    "done",
    "notDone",
    "error",
    "status",
    "url",
    "notes",
}


def test_the_plan_goes_to_stderr_and_the_results_to_stdout(cli: Cli, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    table = cli("apply", path, "--yes")
    assert table.code == 0
    assert "+ create sandbox-user/gpt2-demo" in table.stderr and "Plan: 1 create" in table.stderr
    assert "Plan:" not in table.stdout and "+ create" not in table.stdout
    assert table.stdout.split()[:5] == ["NAME", "NAMESPACE", "ACTION", "OUTCOME", "DETAIL"]
    assert "not done" not in table.stdout  # only a change that did not finish says what it left


def test_with_json_the_plan_is_not_repeated_on_stderr_unless_there_is_nothing_to_do(
    cli: Cli, tmp_path: pathlib.Path, clock: Any
) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    changed = cli("apply", path, "--yes", "-o", "json")
    assert changed.code == 0
    assert "Plan:" not in changed.stderr
    assert json.loads(changed.stdout)[0]["outcome"] == "ok"
    clock.advance(10)
    unchanged = cli("apply", path, "--yes", "-o", "json")
    assert "No changes." in unchanged.stderr
    assert json.loads(unchanged.stdout)[0]["outcome"] == "unchanged"


def _refuse_creates(request: Any, call_next: Callable[[Any], Response]) -> Response:
    if request.route == "POST /v2/endpoint/{namespace}":
        return Response(
            status=400, body=b'{"error": "no capacity"}', headers={"Content-Type": "application/json"}
        )
    return call_next(request)


def test_a_replace_that_deletes_but_cannot_create_says_it_is_part_way(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, clock: Any
) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    path = write(tmp_path, "m.yaml", manifest(security="private"))
    sandbox.add_middleware(_refuse_creates)

    as_json = cli("apply", path, "--allow-replace", "--yes", "-o", "json")
    assert as_json.code == 1
    (record,) = json.loads(as_json.stdout)
    assert set(record) == APPLY_RECORD_KEYS  # README, Output: keys are only ever added
    assert (record["outcome"], record["done"], record["notDone"]) == ("failed", ["delete"], ["create"])
    warning = "warning: sandbox-user/gpt2-demo is part-way: done delete; not done create."
    assert warning in as_json.stderr and "Run the same command again to converge." in as_json.stderr
    assert "part-way" not in as_json.stdout

    table = cli("apply", path, "--yes")  # the endpoint is gone now: a create, refused again
    assert table.code == 1
    row = next(line for line in table.stdout.splitlines() if line.startswith("gpt2-demo"))
    assert "(not done: create)" in row

"""A replica count the API sends as text ("2") is unknown for that endpoint, not a malformed listing.

A review found one endpoint nobody here manages, its maxReplica or readyReplica answered as "2", made
status, plan, pause and schedule run fail for every endpoint of its namespace. Through the CLI and the
sandbox over loopback, with a middleware that reshapes that one endpoint's answers and another that records
every change the sandbox receives.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import httpx2 as httpx
import pytest
from clirunner import Cli
from rewritten_answers import each_endpoint, rewriting
from test_cli_apply import manifest, write

from endpointctl.sandbox import ManualClock, Request, Response, Sandbox
from endpointctl.sandbox.transport import Handler

LIST = "GET /v2/endpoint/{namespace}"
ONE = "GET /v2/endpoint/{namespace}/{name}"
FOREIGN = "someone-elses"
OFFICE = {"timezone": "Europe/Berlin", "running": ["Mon-Fri 08:00-20:00"]}
EVENING = "2026-03-23T21:00:00+01:00"  # a Monday, after the window: the schedule pauses "office"
COUNTS = {
    "minReplica": ("compute", "scaling"),
    "maxReplica": ("compute", "scaling"),
    "scaleToZeroTimeout": ("compute", "scaling"),
    "readyReplica": ("status",),
    "targetReplica": ("status",),
}


@pytest.fixture
def changes(sandbox: Sandbox) -> list[str]:
    """Every change the sandbox receives, as "METHOD path"."""
    seen: list[str] = []

    def capture(request: Request, call_next: Handler) -> Response:
        if request.method in ("PUT", "POST", "DELETE"):
            seen.append(f"{request.method} {request.path}")
        return call_next(request)

    sandbox.add_middleware(capture)
    return seen


def a_namespace_with_one_odd_count(
    cli: Cli,
    clock: ManualClock,
    sandbox: Sandbox,
    client: httpx.Client,
    body: Any,
    tmp_path: pathlib.Path,
    key: str,
    odd: Any = "2",
) -> str:
    """ "office" (managed, with a schedule) beside a foreign endpoint whose ``key`` is answered as ``odd``
    ("2"); the schedule's manifest path."""
    (tmp_path / "setup").mkdir()
    assert cli("apply", write(tmp_path / "setup", "m.yaml", manifest("office")), "--yes").code == 0
    assert client.post("/v2/endpoint/sandbox-user", json=body(FOREIGN, scaleToZeroTimeout=15)).is_success
    clock.advance(30)

    def edit(item: dict[str, Any]) -> None:
        if item.get("name") == FOREIGN:
            parent = item
            for part in COUNTS[key]:
                parent = parent[part]
            parent[key] = odd

    sandbox.add_middleware(rewriting((LIST, ONE), each_endpoint(edit)))
    return write(tmp_path, "office.yaml", manifest("office", schedule=OFFICE))


@pytest.mark.parametrize("key", list(COUNTS))
def test_one_endpoints_count_as_text_leaves_the_others_readable_and_itself_unknown(
    cli: Cli,
    clock: ManualClock,
    sandbox: Sandbox,
    client: httpx.Client,
    endpoint_body: Any,
    tmp_path: pathlib.Path,
    changes: list[str],
    key: str,
) -> None:
    path = a_namespace_with_one_odd_count(cli, clock, sandbox, client, endpoint_body, tmp_path, key)
    changes.clear()  # the set-up's creates

    shown = cli("status", "-o", "json")
    assert shown.code == 0, shown.all
    listed = {item["name"]: item for item in json.loads(shown.stdout)}
    assert set(listed) == {"office", FOREIGN}
    assert listed["office"]["maxReplica"] == 1 and listed["office"]["readyReplica"] == 1
    if key != "scaleToZeroTimeout":  # status shows replicas only
        assert listed[FOREIGN][key] is None, listed[FOREIGN]  # unknown, never the text read as 2
    if key != "scaleToZeroTimeout" and key != "targetReplica":  # the table's READY/MIN-MAX
        table = cli("status")
        assert table.code == 0 and "?" in next(line for line in table.stdout.splitlines() if FOREIGN in line)
    if key == "maxReplica":  # a maxReplica that may be a pause's 0 leaves the minReplica beside it unknown
        assert listed[FOREIGN]["minReplica"] is None

    assert cli("status", "office").code == 0
    plan = cli("plan", path, "--detailed-exitcode")
    assert plan.code == 0, plan.all
    assert changes == []

    scheduled = cli("schedule", "run", path, "--at", EVENING, "-o", "json")
    assert scheduled.code == 0, scheduled.all
    (move,) = json.loads(scheduled.stdout)
    assert (move["name"], move["action"], move["outcome"]) == ("office", "pause", "ok")
    assert changes == ["POST /v2/endpoint/sandbox-user/office/pause"]

    assert cli("resume", "office").code == 0
    paused = cli("pause", "office")
    assert paused.code == 0, paused.all
    # The foreign endpoint is never acted on, from its count or otherwise: only the managed one moves.
    assert changes[1:] == [
        "POST /v2/endpoint/sandbox-user/office/resume",
        "POST /v2/endpoint/sandbox-user/office/pause",
    ]


@pytest.mark.parametrize("key", ["readyReplica", "maxReplica"])
def test_a_count_sent_as_a_boolean_is_unknown_in_every_output(
    cli: Cli,
    clock: ManualClock,
    sandbox: Sandbox,
    client: httpx.Client,
    endpoint_body: Any,
    tmp_path: pathlib.Path,
    key: str,
) -> None:
    """JSON's true is a Python int: read as a count it would be 1. Unknown instead: null in JSON, `?` in
    the table and in markdown (never Python's "None" or "True")."""
    a_namespace_with_one_odd_count(cli, clock, sandbox, client, endpoint_body, tmp_path, key, odd=True)
    listed = {item["name"]: item for item in json.loads(cli("status", "-o", "json").stdout)}
    assert listed[FOREIGN][key] is None, listed[FOREIGN]
    for mode in ("table", "markdown"):
        shown = cli("status", "-o", mode)
        assert shown.code == 0, shown.all
        (row,) = [line for line in shown.stdout.splitlines() if FOREIGN in line]
        assert "?" in row and "None" not in row and "True" not in row, row


def test_the_endpoint_itself_is_not_changed_on_its_unknown_count(
    cli: Cli,
    clock: ManualClock,
    sandbox: Sandbox,
    client: httpx.Client,
    endpoint_body: Any,
    tmp_path: pathlib.Path,
    changes: list[str],
) -> None:
    """A managed endpoint whose maxReplica comes as text: its manifest's maxReplica is not compared with it
    (no update on every run), and a change it does know is still planned."""
    path = write(tmp_path, "office.yaml", manifest("office"))
    assert cli("apply", path, "--yes").code == 0
    clock.advance(30)
    changes.clear()  # the create
    sandbox.add_middleware(
        rewriting((LIST, ONE), each_endpoint(lambda item: item["compute"]["scaling"].update(maxReplica="5")))
    )
    assert cli("plan", path, "--detailed-exitcode").code == 0
    assert cli("apply", path, "--yes").code == 0
    assert changes == []
    planned = cli("plan", write(tmp_path, "office.yaml", manifest("office", env={"A": "1"})), "-o", "json")
    (change,) = json.loads(planned.stdout)
    assert [field["path"] for field in change["fields"]] == ["model.env", "tags"]

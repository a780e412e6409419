"""What an update sends is what the plan shows: no field the API left unknown rides along with a change.

Through the CLI and the sandbox over loopback, with a middleware that reshapes its answers as the real
service might, and another that records every PUT body the sandbox receives.
"""

from __future__ import annotations

import copy
import json
import pathlib
from typing import Any

import pytest
import yaml
from builders import BASE_DOC
from clirunner import Cli
from rewritten_answers import each_endpoint, rewriting

from endpointctl.sandbox import ManualClock, Request, Response, Sandbox
from endpointctl.sandbox.transport import Handler

LIST = "GET /v2/endpoint/{namespace}"
ONE = "GET /v2/endpoint/{namespace}/{name}"
UPDATE = "PUT /v2/endpoint/{namespace}/{name}"


@pytest.fixture
def puts(sandbox: Sandbox) -> list[dict[str, Any]]:
    """The body of every update the sandbox receives, as sent."""
    bodies: list[dict[str, Any]] = []

    def capture(request: Request, call_next: Handler) -> Response:
        if request.route == UPDATE:
            bodies.append(json.loads(request.body))
        return call_next(request)

    sandbox.add_middleware(capture)
    return bodies


def deployed(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path) -> str:
    """BASE_DOC (cpu, intel-spr, x2) applied and running; its path."""
    path = tmp_path / "gpt2-demo.yaml"
    path.write_text(yaml.safe_dump(copy.deepcopy(BASE_DOC), sort_keys=False))
    applied = cli("apply", str(path), "--yes")
    assert applied.code == 0, applied.all
    clock.advance(30)
    return str(path)


@pytest.mark.parametrize(
    "unknown",
    [("accelerator",), ("instanceType",), ("accelerator", "instanceType")],
    ids=["accelerator", "instanceType", "both"],
)
@pytest.mark.parametrize("how", ["null", "absent"])
def test_a_compute_field_the_answer_leaves_unknown_is_not_sent_with_a_compute_change(
    cli: Cli,
    clock: ManualClock,
    sandbox: Sandbox,
    tmp_path: pathlib.Path,
    puts: list[dict[str, Any]],
    unknown: tuple[str, ...],
    how: str,
) -> None:
    path = deployed(cli, clock, tmp_path)

    def edit(item: dict[str, Any]) -> None:
        for key in unknown:
            if how == "null":
                item["compute"][key] = None
            else:
                del item["compute"][key]
        item["compute"]["instanceSize"] = "x4"  # known, and not the manifest's x2

    sandbox.add_middleware(rewriting((LIST, ONE), each_endpoint(edit)))
    plan = cli("plan", path, "-o", "json")
    (change,) = json.loads(plan.stdout)
    assert [field["path"] for field in change["fields"]] == ["compute.instanceSize"]
    held = " and ".join(f"compute.{key}" for key in unknown)
    assert any(note.startswith(f"{held} not sent: the API does not report") for note in change["notes"])

    applied = cli("apply", path, "--yes")
    assert applied.code == 0, applied.all
    (body,) = puts
    reported = {"accelerator": "cpu", "instanceType": "intel-spr"}
    expected = {key: value for key, value in reported.items() if key not in unknown}
    assert body["compute"] == {"instanceSize": "x2", **expected}
    assert f"{held} not sent" in applied.stdout


def test_compute_fields_the_answer_reports_go_unchanged_with_a_compute_change_and_the_plan_says_so(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path, puts: list[dict[str, Any]]
) -> None:
    path = deployed(cli, clock, tmp_path)
    sandbox.add_middleware(
        rewriting((LIST, ONE), each_endpoint(lambda item: item["compute"].update(instanceSize="x4")))
    )
    plan = cli("plan", path, "-o", "json")
    (change,) = json.loads(plan.stdout)
    assert [field["path"] for field in change["fields"]] == ["compute.instanceSize"]
    sent = "compute.accelerator and compute.instanceType sent unchanged with the compute change, as the API"
    assert f"{sent} reports them" in change["notes"]
    assert cli("apply", path, "--yes").code == 0
    (body,) = puts
    assert body["compute"] == {"accelerator": "cpu", "instanceType": "intel-spr", "instanceSize": "x2"}


def test_a_change_outside_compute_sends_no_compute_field(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path, puts: list[dict[str, Any]]
) -> None:
    path = deployed(cli, clock, tmp_path)
    doc = yaml.safe_load(pathlib.Path(path).read_text())
    doc["spec"]["scaling"]["maxReplica"] = 3
    pathlib.Path(path).write_text(yaml.safe_dump(doc))
    assert cli("apply", path, "--yes").code == 0
    (body,) = puts
    assert body["compute"] == {"scaling": {"maxReplica": 3}}

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


# -- after a resume: the resume's answer, not the 1/1 the plan assumed ------------------------------------

RESUME = "POST /v2/endpoint/{namespace}/{name}/resume"
OFFICE = {"timezone": "Europe/Berlin", "running": ["Mon-Fri 08:00-20:00"]}
MORNING = "2026-03-23T10:00:00+01:00"  # a Monday, inside the window: the schedule resumes it


def paused(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path, **spec: Any) -> str:
    """BASE_DOC (scaling 1/2) with ``spec``, applied, running, then paused; its path."""
    doc = copy.deepcopy(BASE_DOC)
    doc["spec"].update(spec)
    path = tmp_path / "gpt2-demo.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    applied = cli("apply", str(path), "--yes")
    assert applied.code == 0, applied.all
    clock.advance(30)
    assert cli("pause", "gpt2-demo").code == 0
    return str(path)


def answering_replicas(sandbox: Sandbox, low: int, high: int) -> None:
    """Every answer (list, read, resume) reports these replicas: an API that keeps the configuration
    through a pause and a resume, or (0/0) one that reports none while it is not running."""

    def edit(item: dict[str, Any]) -> None:
        item["compute"]["scaling"].update(minReplica=low, maxReplica=high)

    sandbox.add_middleware(rewriting((LIST, ONE, RESUME), each_endpoint(edit)))


def test_apply_after_a_resume_sends_no_scaling_its_answer_already_shows(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path, puts: list[dict[str, Any]]
) -> None:
    path = paused(cli, clock, tmp_path, state="running")
    answering_replicas(sandbox, 1, 2)  # the manifest's 1/2, kept through the resume
    sandbox.reset_counts()
    applied = cli("apply", path, "--yes")
    assert applied.code == 0, applied.all
    assert puts == [] and sandbox.mutating_count() == 1, sandbox.counts()  # the resume only
    assert "the resume's answer shows scaling.maxReplica as the manifest says" in applied.all


def test_a_scheduled_resume_sends_no_scaling_its_answer_already_shows(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path, puts: list[dict[str, Any]]
) -> None:
    path = paused(cli, clock, tmp_path, schedule=OFFICE)
    answering_replicas(sandbox, 1, 2)
    sandbox.reset_counts()
    ran = cli("schedule", "run", path, "--at", MORNING, "-o", "json")
    assert ran.code == 0, ran.all
    (move,) = json.loads(ran.stdout)
    assert (move["action"], move["outcome"]) == ("resume", "ok"), move
    assert puts == [] and sandbox.mutating_count() == 1, sandbox.counts()


@pytest.mark.parametrize("answer", ["reset to 1/1", "0/0 (unknown)", "other 1/3"])
def test_after_a_resume_that_does_not_show_the_manifests_scaling_the_planned_update_is_sent(
    cli: Cli,
    clock: ManualClock,
    sandbox: Sandbox,
    tmp_path: pathlib.Path,
    puts: list[dict[str, Any]],
    answer: str,
) -> None:
    """The sandbox resets replicas to 1/1 on resume (the documented behaviour); an answer of 0/0 says
    nothing; 1/3 is not the manifest's 1/2. Each way the plan's update is sent as the plan showed it, and
    nothing it did not show."""
    path = paused(cli, clock, tmp_path, state="running")
    if answer != "reset to 1/1":
        answering_replicas(sandbox, *((0, 0) if answer.startswith("0/0") else (1, 3)))
    plan = cli("plan", path, "-o", "json")
    (change,) = json.loads(plan.stdout)
    assert [f["path"] for f in change["fields"]] == ["scaling.maxReplica", "state"]
    assert cli("apply", path, "--yes").code == 0
    assert puts == [{"compute": {"scaling": {"maxReplica": 2}}}]

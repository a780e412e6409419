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


# -- after a resume: the plan's scaling is sent, whatever the resume's answer shows -------------------------

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


def answering_replicas(
    sandbox: Sandbox, low: int, high: int, routes: tuple[str, ...] = (LIST, ONE, RESUME)
) -> None:
    """Each answer of ``routes`` reports these replicas: an API that keeps the configuration through a
    pause and a resume, one whose resume echoes the configuration it had while resetting it, or (0/0) one
    that reports none while it is not running."""

    def edit(item: dict[str, Any]) -> None:
        item["compute"]["scaling"].update(minReplica=low, maxReplica=high)

    sandbox.add_middleware(rewriting(routes, each_endpoint(edit)))


ANSWERS = {
    "reset to 1/1": None,  # the sandbox's own, the documented behaviour
    "kept 1/2": (1, 2, (LIST, ONE, RESUME)),
    "echoed 1/2, reset": (1, 2, (RESUME,)),  # the resume's answer says 1/2; the endpoint is at 1/1
    "0/0 (unknown)": (0, 0, (LIST, ONE, RESUME)),
    "other 1/3": (1, 3, (LIST, ONE, RESUME)),
}


@pytest.mark.parametrize("answer", list(ANSWERS))
def test_after_a_resume_the_planned_scaling_is_sent_whatever_the_resumes_answer_shows(
    cli: Cli,
    clock: ManualClock,
    sandbox: Sandbox,
    tmp_path: pathlib.Path,
    puts: list[dict[str, Any]],
    answer: str,
) -> None:
    """Whether the API resets replicas on resume is unconfirmed [U], and a resume's answer may echo the
    configuration the endpoint had while it is being reset: no answer is taken as proof that the scaling
    holds. The plan's update is sent as the plan showed it (idempotent where the API kept them), and
    nothing it did not show; where the resume did reset them, the next plan is empty."""
    path = paused(cli, clock, tmp_path, state="running")
    rewrite = ANSWERS[answer]
    if rewrite is not None:
        answering_replicas(sandbox, *rewrite)
    plan = cli("plan", path, "-o", "json")
    (change,) = json.loads(plan.stdout)
    assert [f["path"] for f in change["fields"]] == ["scaling.maxReplica", "state"]
    assert cli("apply", path, "--yes").code == 0
    assert puts == [{"compute": {"scaling": {"maxReplica": 2}}}]
    if answer in ("reset to 1/1", "echoed 1/2, reset"):
        sandbox.clear_middleware()
        clock.advance(30)
        again = cli("plan", path, "--detailed-exitcode")
        assert again.code == 0, again.all  # converged: the manifest's 1/2 stands


def test_a_scheduled_resume_sends_the_manifests_scaling_even_when_its_answer_shows_it(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path, puts: list[dict[str, Any]]
) -> None:
    path = paused(cli, clock, tmp_path, schedule=OFFICE)
    answering_replicas(sandbox, 1, 2, (RESUME,))  # echoed; the sandbox reset it to 1/1
    sandbox.reset_counts()
    ran = cli("schedule", "run", path, "--at", MORNING, "-o", "json")
    assert ran.code == 0, ran.all
    (move,) = json.loads(ran.stdout)
    assert (move["action"], move["outcome"]) == ("resume", "ok"), move
    assert puts == [{"compute": {"scaling": {"maxReplica": 2}}}], sandbox.counts()

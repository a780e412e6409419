"""A morning run cut between its resume and the scaling update after it is finished by the next run.

The service resets replicas to 1/1 on resume, so ``schedule run`` sends the manifest's scaling right after
its own resume: two calls. A run refused, killed or timed out between them (a CronJob's deadline sends
SIGTERM) left the endpoint at 1/1 for good: every later run saw it running and did nothing, and with
``minReplica: 0`` it never slept all day. An awake endpoint still at a resume's 1/1 gets the manifest's
scaling back; other replicas are someone's choice, left to ``apply``.
"""

from __future__ import annotations

import json
import pathlib

import pytest
from builders import desired, live
from clirunner import Cli
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cli_apply import manifest, write
from test_schedule_run import INSIDE, OFFICE, START, UPDATE, deploy, run

from endpointctl.core.endpoint import Status
from endpointctl.core.plan import Action, StepKind
from endpointctl.core.schedule_plan import plan_schedules
from endpointctl.sandbox import ManualClock, Sandbox
from endpointctl.sandbox.faults import FaultConfig, FaultKind, FaultRule


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=START.timestamp())


@pytest.fixture(autouse=True)
def _setup_dir(tmp_path: pathlib.Path) -> None:
    (tmp_path / "setup").mkdir()


def replicas(cli: Cli) -> tuple[str, int, int]:
    (row,) = json.loads(cli("status", "-o", "json").stdout)
    return row["status"], row["minReplica"], row["maxReplica"]


def test_the_next_run_restores_the_scaling_a_refused_update_left_at_one(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, "paused", maxReplica=3)
    path = write(
        tmp_path, "s.yaml", manifest("office", schedule=OFFICE, scaling={"minReplica": 0, "maxReplica": 3})
    )
    sandbox.install_faults(FaultConfig((FaultRule(FaultKind.STATUS, route=UPDATE, status=400, limit=1),)))
    code, (first,) = run(cli, path, "--at", INSIDE)
    assert code == 1 and first["action"] == "resume", first
    clock.advance(10)
    assert replicas(cli) == ("running", 1, 1)  # resumed, and the update after it refused

    sandbox.reset_counts()
    code, (second,) = run(cli, path, "--at", INSIDE)
    assert code == 0, second
    assert (second["before"], second["action"], second["outcome"]) == ("running", "update", "ok")
    assert sandbox.counts().get(UPDATE) == 1 and sandbox.mutating_count() == 1
    clock.advance(10)
    assert replicas(cli) == ("running", 0, 3)

    sandbox.reset_counts()
    code, (third,) = run(cli, path, "--at", INSIDE)
    assert code == 0 and sandbox.mutating_count() == 0, third


def test_replicas_someone_chose_are_left_to_apply(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, "running", minReplica=2, maxReplica=5)
    path = write(
        tmp_path, "s.yaml", manifest("office", schedule=OFFICE, scaling={"minReplica": 1, "maxReplica": 3})
    )
    sandbox.reset_counts()
    code, (record,) = run(cli, path, "--at", INSIDE)
    assert code == 0 and record["action"] == "none" and sandbox.mutating_count() == 0, record
    assert replicas(cli) == ("running", 2, 5)


@settings(max_examples=150, deadline=None)
@given(
    status=st.sampled_from(list(Status)),
    low=st.sampled_from([0, 1, 2, None]),
    high=st.sampled_from([1, 2, 3, None]),
    want_low=st.sampled_from([0, 1, 2]),
    want_high=st.sampled_from([1, 3]),
)
def test_only_an_awake_endpoint_at_a_resumes_replicas_gets_the_scaling_back(
    status: Status, low: int | None, high: int | None, want_low: int, want_high: int
) -> None:
    want_low = min(want_low, want_high)
    want = desired(schedule=OFFICE, scaling={"minReplica": want_low, "maxReplica": want_high})
    have = live(status=status, min_replica=low, max_replica=high)
    at = START.replace(hour=9)  # Mon 10:00 Berlin: inside the window
    (move,) = plan_schedules([("acme", want)], {"acme": [have]}, at)
    kinds = [step.kind for step in move.change.steps]
    awake = status in (Status.PENDING, Status.INITIALIZING, Status.RUNNING)
    restores = awake and (low, high) == (1, 1) and (want_low, want_high) != (1, 1)
    if restores:
        assert move.change.action is Action.UPDATE and kinds == [StepKind.UPDATE], move
        assert {f.path for f in move.change.fields} <= {"scaling.minReplica", "scaling.maxReplica"}
    else:
        assert StepKind.UPDATE not in kinds or StepKind.RESUME in kinds, move

"""Replicas reported as 0/0 by an endpoint that is not serving are the service's, not the manifest's.

The API sets minReplica and maxReplica both to 0 when it pauses an endpoint (reference §states); whether it
does the same while an endpoint is scaled to zero, deploying, updating or after a failed update is
unconfirmed. A maxReplica of 0 is no configuration at all (the manifest's is 1 or more): it is that
signature, and the minReplica beside it is the service's too. Both are unknown, never drift: read as the
endpoint's scaling, a manifest's `minReplica: 1, maxReplica: 2` planned a PUT on every run for as long as
the endpoint slept. A configured answer (0/2 while scaled to zero, 1/2 while running) is still compared,
and the resume of a paused endpoint still restores the manifest's scaling.

Pure (the API's answer through hub/responses.py into the plan), then through the CLI against a sandbox
that answers 0/0 whenever an endpoint is not running (``SandboxConfig.zero_replicas_unless_running``).
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
from builders import desired, raw_endpoint
from clirunner import Cli, assert_replan_empty
from conftest import PHASES, USER
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cli_apply import manifest, write

from endpointctl.core.plan import Action, Change, Options, StepKind, compute
from endpointctl.core.spec import MAX_REPLICAS
from endpointctl.core.tags import MANAGED_TAG
from endpointctl.hub.responses import to_endpoint
from endpointctl.sandbox import ManualClock, Sandbox, SandboxConfig

NOT_SERVING = ("scaledToZero", "pending", "initializing", "updating", "updateFailed")
REPLICAS = ("scaling.minReplica", "scaling.maxReplica")
TAGS = ("team=nlp", MANAGED_TAG, "endpointctl-labels=team")  # what an apply of the manifest left
ZERO = {"minReplica": 0, "maxReplica": 0}


def plan(spec: dict[str, Any], state: str, scaling: dict[str, Any]) -> Change:
    """The plan of ``desired(**spec)`` against an endpoint answered in ``state`` with ``scaling``."""
    raw = raw_endpoint(state=state, scaling=scaling, tags=TAGS)
    for key in [key for key, value in scaling.items() if value is ...]:  # ...: left out of the answer
        del raw["compute"]["scaling"][key]
    live = to_endpoint(raw, "acme")
    (change,) = compute([("acme", desired(**spec))], {"acme": [live]}, Options()).changes
    return change


def replica_fields(change: Change) -> list[tuple[str, Any, Any]]:
    return [(f.path, f.before, f.after) for f in change.fields if f.path in REPLICAS]


def sent_replicas(change: Change) -> list[str]:
    return [path for step in change.steps for path in step.paths if path in REPLICAS]


# -- reading ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [*NOT_SERVING, "paused", "running"])
def test_a_zero_maximum_makes_both_replica_counts_unknown(state: str) -> None:
    endpoint = to_endpoint(raw_endpoint(state=state, scaling=ZERO), "acme")
    assert (endpoint.min_replica, endpoint.max_replica) == (None, None)
    configured = to_endpoint(raw_endpoint(state=state, scaling={"minReplica": 0, "maxReplica": 2}), "acme")
    assert (configured.min_replica, configured.max_replica) == (0, 2)


# -- planning --------------------------------------------------------------------------------------------

MANIFESTS = [
    {"state": "scaledToZero", "scaling": {"minReplica": 0, "maxReplica": 2}},
    {"state": "running", "scaling": {"minReplica": 0, "maxReplica": 2}},
    {"scaling": {"minReplica": 1, "maxReplica": 2}},
    {"scaling": {"minReplica": 2, "maxReplica": 4, "scaleToZeroTimeout": 30}},
    {"state": "running", "scaling": {"minReplica": 1, "maxReplica": 3}},
]


@pytest.mark.parametrize("spec", MANIFESTS)
@pytest.mark.parametrize("state", NOT_SERVING)
def test_zero_replicas_while_not_serving_plan_no_scaling_update(state: str, spec: dict[str, Any]) -> None:
    change = plan(spec, state, ZERO)
    assert replica_fields(change) == [] and sent_replicas(change) == [], change
    assert StepKind.UPDATE not in [step.kind for step in change.steps], change


@pytest.mark.parametrize("state", ["scaledToZero", "pending", "initializing", "updating"])
def test_a_sleeping_endpoint_the_manifest_leaves_alone_is_nothing_to_do(state: str) -> None:
    change = plan({"scaling": {"minReplica": 1, "maxReplica": 2}}, state, ZERO)
    assert change.action is Action.NOOP and change.steps == (), change


def test_a_failed_update_reporting_zero_replicas_says_they_are_unknown_and_changes_nothing() -> None:
    change = plan({"scaling": {"minReplica": 1, "maxReplica": 2}}, "updateFailed", ZERO)
    assert change.action is Action.NOOP and change.steps == (), change
    (note,) = change.notes
    assert "scaling.minReplica, scaling.maxReplica" in note and "nothing is changed" in note


@pytest.mark.parametrize(
    ("state", "answered", "spec", "expected"),
    [
        # Running: the manifest's new maximum and minimum are drift, as ever.
        ("running", {"minReplica": 1, "maxReplica": 2}, {"minReplica": 1, "maxReplica": 4}, [("max", 2, 4)]),
        ("running", {"minReplica": 0, "maxReplica": 2}, {"minReplica": 1, "maxReplica": 2}, [("min", 0, 1)]),
        # Scaled to zero with its configuration reported (0/2 is one, 0/0 is none): compared.
        (
            "scaledToZero",
            {"minReplica": 0, "maxReplica": 2},
            {"minReplica": 0, "maxReplica": 4},
            [("max", 2, 4)],
        ),
        ("updating", {"minReplica": 1, "maxReplica": 2}, {"minReplica": 1, "maxReplica": 3}, [("max", 2, 3)]),
    ],
)
def test_a_configuration_the_answer_reports_is_still_compared(
    state: str, answered: dict[str, int], spec: dict[str, int], expected: list[tuple[str, int, int]]
) -> None:
    change = plan({"scaling": spec}, state, answered)
    assert change.action is Action.UPDATE, change
    paths = [(f"scaling.{key}Replica", before, after) for key, before, after in expected]
    assert replica_fields(change) == paths
    assert sent_replicas(change) == [path for path, _, _ in paths]


def test_resuming_a_paused_endpoint_still_restores_the_manifests_scaling() -> None:
    change = plan({"state": "running", "scaling": {"minReplica": 1, "maxReplica": 3}}, "paused", ZERO)
    assert [step.kind for step in change.steps] == [StepKind.RESUME, StepKind.UPDATE]
    assert replica_fields(change) == [("scaling.maxReplica", 1, 3)]  # resume sets 1/1


ZERO_ANSWERS = st.fixed_dictionaries(
    {
        # The pause's signature in any spelling: 0 or 0.0, the minimum beside it left out or null.
        "maxReplica": st.sampled_from([0, 0.0]),
        "minReplica": st.sampled_from([0, 0.0, None, ...]),
        "scaleToZeroTimeout": st.sampled_from([None, ..., 15]),
    }
)


@st.composite
def manifests(draw: st.DrawFn) -> dict[str, Any]:
    low, high = sorted(draw(st.lists(st.integers(0, MAX_REPLICAS), min_size=2, max_size=2)))
    scaling = {"minReplica": low, "maxReplica": max(high, 1), "scaleToZeroTimeout": draw(st.integers(1, 60))}
    kept = draw(st.sets(st.sampled_from(sorted(scaling)), min_size=1))
    spec: dict[str, Any] = {"scaling": {key: scaling[key] for key in kept}}
    state = draw(st.sampled_from([None, "running", "scaledToZero", "paused"]))
    if state is not None:
        spec["state"] = state
    return spec


@settings(max_examples=400, deadline=None)
@given(state=st.sampled_from([*NOT_SERVING, "paused"]), answered=ZERO_ANSWERS, spec=manifests())
def test_no_replica_update_is_ever_planned_from_a_zero_answer(
    state: str, answered: dict[str, Any], spec: dict[str, Any]
) -> None:
    change = plan(spec, state, answered)
    kinds = [step.kind for step in change.steps]
    if state == "paused" and StepKind.RESUME in kinds:
        # The one scaling update: after its own resume, which resets replicas to 1 (never from the answer).
        assert all(before == 1 for _, before, _ in replica_fields(change)), change
        assert StepKind.UPDATE not in kinds[: kinds.index(StepKind.RESUME)], change
        return
    assert replica_fields(change) == [] and sent_replicas(change) == [], change


# -- through the CLI, against a sandbox that answers 0/0 whenever an endpoint is not running -------------


@pytest.fixture
def sandbox(tmp_path: pathlib.Path, clock: ManualClock) -> Iterator[Sandbox]:
    config = SandboxConfig(
        db_path=tmp_path / "sandbox.sqlite",
        phases=dict(PHASES),
        clock=clock,
        zero_replicas_unless_running=True,
    )
    sb = Sandbox(config)
    sb.start(host="127.0.0.1", port=0)
    try:
        yield sb
    finally:
        sb.close()


def answered(sandbox: Sandbox, token: str, name: str = "gpt2-demo") -> tuple[str, int, int]:
    """(state, minReplica, maxReplica) as the sandbox answers them."""
    headers = {"Authorization": f"Bearer {token}"}
    doc = httpx.get(f"{sandbox.url}/v2/endpoint/{USER}/{name}", headers=headers, timeout=10).json()
    scaling = doc["compute"]["scaling"]
    return doc["status"]["state"], scaling["minReplica"], scaling["maxReplica"]


def assert_nothing_to_do(cli: Cli, sandbox: Sandbox, path: str) -> None:
    """Plan shows no change and exits 0 with --detailed-exitcode, twice; apply then sends nothing."""
    assert_replan_empty(cli, sandbox, path)
    assert_replan_empty(cli, sandbox, path)
    before = sandbox.mutating_count()
    applied = cli("apply", path, "--yes")
    assert applied.code == 0, applied.all
    assert sandbox.mutating_count() == before, sandbox.counts()


def test_the_sandbox_answers_either_way(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, token: str
) -> None:
    path = write(tmp_path, "m.yaml", manifest(scaling={"minReplica": 1, "maxReplica": 2}))
    assert cli("apply", path, "--yes").code == 0
    assert answered(sandbox, token) == ("pending", 0, 0)
    clock.advance(10)
    assert answered(sandbox, token) == ("running", 1, 2)
    assert cli("scale-to-zero", "gpt2-demo").code == 0
    assert answered(sandbox, token) == ("scaledToZero", 0, 0)
    default = Sandbox(SandboxConfig(db_path=tmp_path / "sandbox.sqlite", clock=clock))
    try:
        default.start(host="127.0.0.1", port=0)
        assert answered(default, token) == ("scaledToZero", 1, 2)  # the configured values, as before
    finally:
        default.close()


def test_an_endpoint_kept_scaled_to_zero_converges(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, token: str
) -> None:
    path = write(
        tmp_path, "m.yaml", manifest(state="scaledToZero", scaling={"minReplica": 0, "maxReplica": 2})
    )
    applied = cli("apply", path, "--yes")
    assert applied.code == 0, applied.all
    clock.advance(10)
    assert answered(sandbox, token) == ("scaledToZero", 0, 0)
    assert_nothing_to_do(cli, sandbox, path)


@pytest.mark.parametrize("state", [None, "running"])
def test_an_endpoint_scaled_to_zero_by_hand_is_left_asleep(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, token: str, state: str | None
) -> None:
    """`minReplica: 0` (running is satisfied by scaled to zero), or no state at all: nothing to do."""
    extra = {"state": state} if state else {}
    low = 0 if state == "running" else 1
    path = write(tmp_path, "m.yaml", manifest(scaling={"minReplica": low, "maxReplica": 2}, **extra))
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    assert cli("scale-to-zero", "gpt2-demo").code == 0
    assert answered(sandbox, token) == ("scaledToZero", 0, 0)
    assert_nothing_to_do(cli, sandbox, path)


def test_nothing_to_do_while_it_deploys_or_updates(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, token: str
) -> None:
    path = write(tmp_path, "m.yaml", manifest(scaling={"minReplica": 1, "maxReplica": 2}))
    assert cli("apply", path, "--yes").code == 0
    assert answered(sandbox, token)[0] == "pending"
    assert_replan_empty(cli, sandbox, path)
    clock.advance(1.5)
    assert answered(sandbox, token)[0] == "initializing"
    assert_replan_empty(cli, sandbox, path)
    clock.advance(10)
    changed = write(tmp_path, "m.yaml", manifest(scaling={"minReplica": 1, "maxReplica": 2}, env={"A": "1"}))
    assert cli("apply", changed, "--yes").code == 0
    assert answered(sandbox, token) == ("updating", 0, 0)
    assert_replan_empty(cli, sandbox, changed)


def test_a_scaling_change_of_a_running_endpoint_is_still_applied(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, token: str
) -> None:
    path = write(tmp_path, "m.yaml", manifest(scaling={"minReplica": 1, "maxReplica": 2}))
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    bigger = write(tmp_path, "m.yaml", manifest(scaling={"minReplica": 1, "maxReplica": 3}))
    shown = cli("plan", bigger, "--detailed-exitcode", "-o", "json")
    assert shown.code == 3, shown.all
    (change,) = json.loads(shown.stdout)
    assert [(f["path"], f["before"], f["after"]) for f in change["fields"]] == [("scaling.maxReplica", 2, 3)]
    assert cli("apply", bigger, "--yes").code == 0
    clock.advance(10)
    assert answered(sandbox, token) == ("running", 1, 3)
    assert_nothing_to_do(cli, sandbox, bigger)


def test_resume_restores_the_manifests_scaling(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, token: str
) -> None:
    path = write(tmp_path, "m.yaml", manifest(state="paused", scaling={"minReplica": 1, "maxReplica": 3}))
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    assert answered(sandbox, token) == ("paused", 0, 0)
    assert_nothing_to_do(cli, sandbox, path)
    running = write(tmp_path, "m.yaml", manifest(state="running", scaling={"minReplica": 1, "maxReplica": 3}))
    applied = cli("apply", running, "--yes", "-o", "json")
    assert applied.code == 0, applied.all
    clock.advance(10)
    assert answered(sandbox, token) == ("running", 1, 3)
    assert_nothing_to_do(cli, sandbox, running)

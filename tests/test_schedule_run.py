"""schedule run / schedule show / apply with schedules, end to end against the sandbox on a ManualClock.

The clock starts on Monday 2026-03-23 at 06:00 in Berlin, before the office window opens at 08:00.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from clirunner import Cli
from conftest import PHASES, TOKEN, USER
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_cli_apply import manifest, write

from endpointctl.core.schedule_holds import TOKEN_USER
from endpointctl.sandbox import ManualClock, Response, Sandbox, SandboxConfig

START = datetime(2026, 3, 23, 5, 0, tzinfo=UTC)  # Mon 06:00 Europe/Berlin
OFFICE = {"timezone": "Europe/Berlin", "running": ["Mon-Fri 08:00-20:00"]}
INSIDE = "2026-03-23T10:00:00+01:00"
OUTSIDE = "2026-03-23T21:00:00+01:00"
CREATE = "POST /v2/endpoint/{namespace}"
UPDATE = "PUT /v2/endpoint/{namespace}/{name}"
DELETE = "DELETE /v2/endpoint/{namespace}/{name}"
LIST = "GET /v2/endpoint/{namespace}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=START.timestamp())


def scheduled(tmp_path: pathlib.Path, name: str = "office", file: str = "s.yaml", **schedule: Any) -> str:
    return write(tmp_path, file, manifest(name, schedule={**OFFICE, **schedule}))


def states(cli: Cli) -> dict[str, str]:
    return {row["name"]: row["status"] for row in json.loads(cli("status", "-o", "json").stdout)}


def run(cli: Cli, *args: str) -> tuple[int, list[dict[str, Any]]]:
    result = cli("schedule", "run", *args, "-o", "json")
    assert result.code in (0, 1), result.all
    return result.code, json.loads(result.stdout)


def deploy(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path, state: str, **scaling: int) -> None:
    """The endpoint 'office' deployed without a schedule and brought into ``state``."""
    body = manifest("office", state=state, scaling={"minReplica": 1, "maxReplica": 1, **scaling})
    applied = cli("apply", write(tmp_path / "setup", "m.yaml", body), "--yes")
    assert applied.code == 0, applied.all
    clock.advance(10)
    assert states(cli)["office"] == state


@pytest.fixture(autouse=True)
def _setup_dir(tmp_path: pathlib.Path) -> None:
    (tmp_path / "setup").mkdir()


# -- every live state against inside and outside: at most one mutation, then none ----------------------


@pytest.mark.parametrize("live", ["running", "paused", "scaledToZero"])
@pytest.mark.parametrize(
    ("at", "otherwise", "expected"),
    [
        (INSIDE, "paused", {"running": "running", "paused": "running", "scaledToZero": "running"}),
        (OUTSIDE, "paused", {"running": "paused", "paused": "paused", "scaledToZero": "paused"}),
        # A paused endpoint stays paused outside a scaledToZero window: it bills nothing either.
        (
            OUTSIDE,
            "scaledToZero",
            {"running": "scaledToZero", "paused": "paused", "scaledToZero": "scaledToZero"},
        ),
    ],
)
def test_each_state_converges_in_one_mutation_and_the_next_run_makes_none(
    cli: Cli,
    sandbox: Sandbox,
    clock: ManualClock,
    tmp_path: pathlib.Path,
    live: str,
    at: str,
    otherwise: str,
    expected: dict[str, str],
) -> None:
    deploy(cli, clock, tmp_path, live)
    path = scheduled(tmp_path, otherwise=otherwise)
    sandbox.reset_counts()
    code, (record,) = run(cli, path, "--at", at)
    assert code == 0, record
    assert sandbox.mutating_count() <= 1
    assert sandbox.counts()[LIST] == 1  # one list call for the namespace, then only the mutations
    assert record["before"] == live
    assert record["outcome"] in ("ok", "unchanged")
    clock.advance(10)
    assert states(cli)["office"] == expected[live]
    sandbox.reset_counts()
    code, (again,) = run(cli, path, "--at", at)
    assert code == 0 and sandbox.mutating_count() == 0
    assert (again["action"], again["outcome"]) == ("none", "unchanged")


def test_scaled_to_zero_with_a_floor_of_zero_is_running_already(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, "scaledToZero", minReplica=0)
    path = write(
        tmp_path, "s.yaml", manifest("office", schedule=OFFICE, scaling={"minReplica": 0, "maxReplica": 1})
    )
    sandbox.reset_counts()
    code, (record,) = run(cli, path, "--at", INSIDE)
    assert code == 0 and sandbox.mutating_count() == 0
    assert (record["desired"], record["before"], record["action"]) == ("running", "scaledToZero", "none")


def test_the_record_shape_and_next_change(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path) -> None:
    deploy(cli, clock, tmp_path, "running")
    code, (record,) = run(cli, scheduled(tmp_path), "--at", OUTSIDE)
    assert code == 0
    assert {k: record[k] for k in ("name", "namespace", "desired", "before", "action", "outcome")} == {
        "name": "office",
        "namespace": "sandbox-user",
        "desired": "paused",
        "before": "running",
        "action": "pause",
        "outcome": "ok",
    }
    assert record["nextChange"] == {"at": "2026-03-24T08:00:00+01:00", "state": "running"}


def test_after_a_resume_the_manifests_scaling_is_restored_and_nothing_else_is_sent(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, "paused", maxReplica=3)
    scaling = {"minReplica": 1, "maxReplica": 3}
    path = write(tmp_path, "s.yaml", manifest("office", schedule=OFFICE, scaling=scaling))
    sandbox.reset_counts()
    code, (record,) = run(cli, path, "--at", INSIDE)
    assert code == 0 and record["action"] == "resume"
    assert sandbox.counts().get(UPDATE) == 1 and sandbox.mutating_count() == 2
    clock.advance(10)
    (live,) = json.loads(cli("status", "-o", "json").stdout)
    assert (live["status"], live["minReplica"], live["maxReplica"]) == ("running", 1, 3)
    sandbox.reset_counts()
    assert run(cli, path, "--at", INSIDE)[0] == 0 and sandbox.mutating_count() == 0


# -- what it never does, and what it reports ------------------------------------------------------------


def test_absent_and_failed_endpoints_exit_1_while_the_rest_converge(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    broken = manifest("broken", repository="sandbox/fail-deploy")
    assert cli("apply", write(tmp_path / "setup", "b.yaml", broken), "--yes").code == 0
    deploy(cli, clock, tmp_path, "paused")
    assert states(cli)["broken"] == "failed"
    scheduled(tmp_path, "office", "a.yaml")
    scheduled(tmp_path, "ghost", "b.yaml")
    write(tmp_path, "c.yaml", manifest("broken", repository="sandbox/fail-deploy", schedule=OFFICE))
    sandbox.reset_counts()
    result = cli(
        "schedule",
        "run",
        str(tmp_path / "a.yaml"),
        str(tmp_path / "b.yaml"),
        str(tmp_path / "c.yaml"),
        "--at",
        INSIDE,
        "-o",
        "json",
    )
    assert result.code == 1, result.all
    records = {r["name"]: r for r in json.loads(result.stdout)}
    assert records["office"]["outcome"] == "ok" and records["office"]["action"] == "resume"
    assert records["ghost"]["before"] is None and "not deployed" in records["ghost"]["error"]
    assert records["broken"]["before"] == "failed" and "not resumed" in records["broken"]["error"]
    assert {records[n]["outcome"] for n in ("ghost", "broken")} == {"blocked"}
    assert "ghost" in result.stderr and "run `endpointctl apply`" in result.stderr
    assert sandbox.counts().get(CREATE) is None and sandbox.mutating_count() == 1
    clock.advance(10)
    assert states(cli) == {"office": "running", "broken": "failed"}


def test_only_manifests_with_a_schedule_are_acted_on(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, "running")
    path = write(tmp_path, "plain.yaml", manifest("office"))
    sandbox.reset_counts()
    result = cli("schedule", "run", path, "--at", OUTSIDE, "-o", "json")
    assert result.code == 0 and json.loads(result.stdout) == []
    assert "no manifest has a schedule" in result.stderr
    assert sandbox.counts() == {}


def test_dry_run_changes_nothing(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, "running")
    sandbox.reset_counts()
    code, (record,) = run(cli, scheduled(tmp_path), "--at", OUTSIDE, "--dry-run")
    assert code == 0 and (record["action"], record["outcome"]) == ("pause", "planned")
    assert sandbox.mutating_count() == 0


@pytest.mark.parametrize("bad", ["yesterday", "2026-03-23T10:00:00"])
def test_at_must_be_an_instant_with_an_offset(cli: Cli, tmp_path: pathlib.Path, bad: str) -> None:
    result = cli("schedule", "run", scheduled(tmp_path), "--at", bad)
    assert result.code == 2 and "--at" in result.stderr


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(instants=st.lists(st.integers(0, 14 * 24 * 60), min_size=1, max_size=4))
def test_never_a_create_update_or_delete_over_random_instants(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, instants: list[int]
) -> None:
    # Fixtures live across examples: the endpoint is deployed and the manifests written by the first.
    path, ghost = str(tmp_path / "s.yaml"), str(tmp_path / "ghost.yaml")
    if not (tmp_path / "ghost.yaml").exists():
        deploy(cli, clock, tmp_path, "running")
        scheduled(tmp_path, otherwise="scaledToZero", running=["Mon-Fri 08:00-20:00", "Sat 22:00-02:00"])
        scheduled(tmp_path, "ghost", "ghost.yaml")  # never deployed: reported, never created
    for minutes in instants:
        sandbox.reset_counts()
        at = (START + timedelta(minutes=minutes)).isoformat()
        code, records = run(cli, path, ghost, "--at", at)
        assert code == 1 and {r["name"]: r["outcome"] for r in records}["ghost"] == "blocked"
        counts = sandbox.counts()
        assert not any(counts.get(route) for route in (CREATE, UPDATE, DELETE)), counts
        assert sandbox.mutating_count() <= 1
        clock.advance(5)  # the endpoint moves on between runs: pending, initializing, running


# -- time: dropped runs, DST, midnight, except days and holidays -------------------------------------------


def test_after_dropped_runs_the_next_run_lands_in_the_right_state(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    path = scheduled(tmp_path)
    applied = cli("apply", path, "--yes", "-o", "json")  # at Monday 06:00: created, then paused
    assert applied.code == 0, applied.all
    clock.advance(10)
    assert states(cli)["office"] == "paused"
    clock.advance(timedelta(days=2, hours=5).total_seconds())  # Wednesday 11:00; every run between lost
    code, (record,) = run(cli, path)
    assert code == 0 and (record["before"], record["action"]) == ("paused", "resume")
    clock.advance(timedelta(days=3).total_seconds())  # Saturday 11:00
    code, (record,) = run(cli, path)
    assert (record["before"], record["action"], record["desired"]) == ("running", "pause", "paused")
    assert record["nextChange"] == {"at": "2026-03-30T08:00:00+02:00", "state": "running"}  # after DST


@pytest.fixture(scope="module")
def running_office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cli, Sandbox]]:
    """A sandbox on its ManualClock with 'office' deployed and running, shared by the dry runs of the time
    rules below: a dry run changes nothing (each checks it made no mutating call), so each sees what a
    sandbox of its own would show it, without starting one and deploying to it again (~30 ms each)."""
    root = tmp_path_factory.mktemp("running-office")
    clock = ManualClock(start=START.timestamp())
    sandbox = Sandbox(SandboxConfig(db_path=root / "sandbox.sqlite", phases=dict(PHASES), clock=clock))
    sandbox.start(host="127.0.0.1", port=0)
    try:
        environ = {"ENDPOINTCTL_API_URL": sandbox.url, "HF_TOKEN": TOKEN, "ENDPOINTCTL_STATE_DIR": str(root)}
        cli = Cli(environ=environ, clock=clock)
        (root / "setup").mkdir()
        deploy(cli, clock, root, "running")
        sandbox.reset_counts()
        yield cli, sandbox
    finally:
        sandbox.close()


@pytest.mark.parametrize(
    ("schedule", "at", "desired"),
    [
        # Berlin, clocks forward on 2026-03-29 at 02:00: the window 01:00-04:00 lasts two hours.
        ({"running": ["Sun 01:00-04:00"]}, "2026-03-29T01:59:00+01:00", "running"),
        ({"running": ["Sun 01:00-04:00"]}, "2026-03-29T03:59:00+02:00", "running"),
        ({"running": ["Sun 01:00-04:00"]}, "2026-03-29T04:00:00+02:00", "paused"),
        # Berlin, clocks back on 2026-10-25 at 03:00: 02:30 shows twice; the window holds through both.
        ({"running": ["Sun 02:00-02:45"]}, "2026-10-25T02:50:00+02:00", "running"),
        ({"running": ["Sun 02:00-02:45"]}, "2026-10-25T02:44:00+01:00", "running"),
        ({"running": ["Sun 02:00-02:45"]}, "2026-10-25T02:45:00+01:00", "paused"),
        # New York, clocks back on 2026-11-01 at 02:00: 01:00-01:59 shows twice.
        (
            {"timezone": "America/New_York", "running": ["Sun 00:00-01:30"]},
            "2026-11-01T01:15:00-05:00",
            "running",
        ),
        ({"timezone": "America/New_York", "running": ["Sun 00:00-01:30"]}, "2026-11-01T06:30:00Z", "paused"),
        # New York, clocks forward on 2026-03-08 at 02:00: a window opening at 02:30 opens at 03:00.
        (
            {"timezone": "America/New_York", "running": ["Sun 02:30-04:00"]},
            "2026-03-08T03:00:00-04:00",
            "running",
        ),
        (
            {"timezone": "America/New_York", "running": ["Sun 02:30-04:00"]},
            "2026-03-08T01:59:00-05:00",
            "paused",
        ),
        # Across midnight: Friday's window runs into Saturday.
        ({"running": ["Fri 22:00-02:00"]}, "2026-03-28T01:30:00+01:00", "running"),
        ({"running": ["Fri 22:00-02:00"]}, "2026-03-28T02:00:00+01:00", "paused"),
        # except days and holidays beat windows.
        ({"except": ["2026-12-24..2026-12-31"]}, "2026-12-28T10:00:00+01:00", "paused"),
        ({"except": ["2026-12-24..2026-12-31"]}, "2027-01-04T10:00:00+01:00", "running"),
        ({"holidays": "DE"}, "2026-05-01T10:00:00+02:00", "paused"),  # Labour Day, a Friday
        (
            {"holidays": "US", "timezone": "America/New_York"},
            "2026-07-03T10:00:00-04:00",
            "paused",
        ),  # observed
    ],
)
def test_time_rules_through_the_command(
    running_office: tuple[Cli, Sandbox],
    tmp_path: pathlib.Path,
    schedule: dict[str, Any],
    at: str,
    desired: str,
) -> None:
    cli, sandbox = running_office
    rules = dict(schedule)  # the parameter itself stays as written
    running = rules.pop("running", OFFICE["running"])
    code, (record,) = run(cli, scheduled(tmp_path, running=running, **rules), "--at", at, "--dry-run")
    assert code == 0 and record["desired"] == desired, record
    assert sandbox.mutating_count() == 0  # the next test's sandbox is still as deployed


# -- apply respects schedules, and schedule show ---------------------------------------------------------


def test_apply_moves_to_the_scheduled_state_and_says_so(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, "running")  # Monday 06:00: outside the window
    path = scheduled(tmp_path)
    plan = cli("plan", path)
    assert plan.code == 0, plan.all
    assert "pause sandbox-user/office" in plan.stdout
    assert "scheduled: paused until Mon 08:00 Europe/Berlin" in plan.stdout
    assert cli("apply", path, "--yes").code == 0
    assert states(cli)["office"] == "paused"
    clock.advance(timedelta(hours=3).total_seconds())  # 09:00, inside
    (change,) = json.loads(cli("plan", path, "-o", "json").stdout)
    assert change["action"] == "resume"
    assert "scheduled: running until Mon 20:00 Europe/Berlin" in change["notes"]
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    sandbox.reset_counts()
    assert json.loads(cli("plan", path, "-o", "json").stdout) == []  # converged: nothing to say


def test_schedule_show_lists_transitions_offline(cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    path = scheduled(tmp_path, running=["Mon-Fri 08:00-20:00"])
    sandbox.reset_counts()
    result = cli("schedule", "show", path, "--from", "2026-03-27T12:00:00+01:00", "--days", "4", "-o", "json")
    assert result.code == 0, result.all
    (record,) = json.loads(result.stdout)
    assert record["name"] == "office" and record["timezone"] == "Europe/Berlin"
    assert record["transitions"] == [
        {"at": "2026-03-27T20:00:00+01:00", "state": "paused"},
        {"at": "2026-03-30T08:00:00+02:00", "state": "running"},
        {"at": "2026-03-30T20:00:00+02:00", "state": "paused"},
        {"at": "2026-03-31T08:00:00+02:00", "state": "running"},
    ]
    assert sandbox.counts() == {}
    table = cli("schedule", "show", path, "--from", "2026-03-27T12:00:00+01:00", "--days", "4")
    assert "Mon 2026-03-30 08:00 CEST" in table.stdout


def test_a_whoami_that_fails_blocks_only_the_endpoints_whose_manifest_names_no_namespace(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    """whoami failing (here a 503 until the retries give up; the route is rate-limited on the real Hub) used
    to end the whole run with no records, the endpoints whose manifests name their namespace left running
    all night too. (A 429 would hold back the sandbox's listing as well: one server, one shared limiter.)"""
    for name in ("office", "backoffice"):
        body = manifest(name, scaling={"minReplica": 1, "maxReplica": 1})
        assert cli("apply", write(tmp_path / "setup", f"{name}.yaml", body), "--yes").code == 0
    clock.advance(10)
    own = write(tmp_path, "own.yaml", manifest("backoffice", namespace=USER, schedule=OFFICE))
    implied = scheduled(tmp_path)  # "office", no namespace: the token's user
    sandbox.add_middleware(
        lambda request, call_next: (
            Response(status=503, body=b'{"error": "busy"}')
            if request.route == "GET /api/whoami-v2"
            else call_next(request)
        )
    )
    sandbox.reset_counts()
    _, planned = run(cli, own, implied, "--at", OUTSIDE, "--dry-run")
    assert sorted((r["name"], r["namespace"]) for r in planned) == [
        ("backoffice", USER),
        ("office", TOKEN_USER),
    ]
    assert sandbox.mutating_count() == 0
    code, records = run(cli, own, implied, "--at", OUTSIDE)
    assert code == 1, records
    by_name = {r["name"]: r for r in records}
    assert (by_name["backoffice"]["namespace"], by_name["backoffice"]["outcome"]) == (USER, "ok"), by_name[
        "backoffice"
    ]["error"]
    office = by_name["office"]
    assert (office["namespace"], office["outcome"], office["before"]) == (
        "(the token's user)",
        "blocked",
        "unknown",
    )
    assert "names no namespace" in office["error"] and "503" in office["error"], office
    clock.advance(10)
    listed = json.loads(cli("status", "--namespace", USER, "-o", "json").stdout)  # whoami still fails
    assert {row["name"]: row["status"] for row in listed} == {"office": "running", "backoffice": "paused"}

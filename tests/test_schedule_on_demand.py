"""Scaled to zero means asleep until a request comes: neither ``schedule run`` nor ``apply`` fights the
traffic that woke an endpoint.

With ``minReplica`` 0, the service puts an awake endpoint back to sleep after ``scaleToZeroTimeout``
without traffic. Scaling it to zero on every run cut the users who had just woken it (the next request met
another cold start). An awake endpoint whose live ``minReplica`` is 0 is left alone where it was woken
since the scaled-to-zero state began: for a schedule, where the API's ``updatedAt`` is at or after the
schedule's last change; for a fixed ``state``, always. One awake since before the window closed is scaled
to zero at once, as is one that would never sleep (``minReplica`` above 0 or unknown) or whose ``updatedAt``
cannot be read.
"""

from __future__ import annotations

import json
import pathlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from builders import desired, live
from clirunner import Cli
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_cli_apply import manifest, write

from endpointctl.core.endpoint import Status
from endpointctl.core.plan import Action, Options, StepKind, compute
from endpointctl.core.schedule_plan import plan_schedules
from endpointctl.sandbox import ManualClock, Sandbox

BERLIN_OFFSET = timedelta(hours=1)  # CET in March 2026, before the clocks change on the 29th
OPEN = datetime(2026, 3, 23, 10, 0, tzinfo=UTC) - BERLIN_OFFSET  # Mon 10:00 Berlin, inside the window
CLOSE = datetime(2026, 3, 23, 20, 0, tzinfo=UTC) - BERLIN_OFFSET  # Mon 20:00 Berlin: the window closes
NIGHT = {
    "timezone": "Europe/Berlin",
    "running": ["Mon-Fri 08:00-20:00"],
    "otherwise": "scaledToZero",
}
ON_DEMAND = {"minReplica": 0, "maxReplica": 1, "scaleToZeroTimeout": 15}
SCALE_TO_ZERO = "POST /v2/endpoint/{namespace}/{name}/scale-to-zero"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=OPEN.timestamp())


def status(cli: Cli) -> dict[str, Any]:
    (row,) = json.loads(cli("status", "-o", "json").stdout)
    assert isinstance(row, dict)
    return row


def scheduled_run(cli: Cli, path: str) -> dict[str, Any]:
    result = cli("schedule", "run", path, "-o", "json")
    assert result.code == 0, result.all
    (record,) = json.loads(result.stdout)
    assert isinstance(record, dict)
    return record


def wake(cli: Cli, clock: ManualClock) -> None:
    """A user's request wakes it (the cold start); once the replica is up, requests are served."""
    assert status(cli)["status"] == "scaledToZero"
    cli("invoke", "office", "--data", '{"inputs": "hi"}')
    clock.advance(120)
    assert status(cli)["status"] == "running"
    served = cli("invoke", "office", "--data", '{"inputs": "hi"}')
    assert served.code == 0, served.all


def test_the_window_closing_scales_it_to_zero_and_a_user_waking_it_later_is_left_alone(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, "s.yaml", manifest("office", schedule=NIGHT, scaling=ON_DEMAND))
    assert cli("apply", path, "--yes", "--wait").code == 0
    assert status(cli)["status"] == "running"

    # Used until 19:48 (asleep in between: 15 idle minutes), then at 20:02, awake from before the window
    # closed, it is scaled to zero at once, not 15 idle minutes later.
    clock.advance((CLOSE - OPEN).total_seconds() - 14 * 60)
    wake(cli, clock)  # served at 19:48
    clock.advance(14 * 60)  # 20:02, idle for 14 minutes: still awake
    assert status(cli)["status"] == "running"
    sandbox.reset_counts()
    closing = scheduled_run(cli, path)
    assert (closing["before"], closing["action"], closing["outcome"]) == ("running", "scale-to-zero", "ok")
    assert sandbox.counts()[SCALE_TO_ZERO] == 1
    clock.advance(60)
    assert status(cli)["status"] == "scaledToZero"

    # 21:00 a user wakes it; at 21:15 the cron run leaves it to the service's own timeout.
    clock.advance(55 * 60)
    wake(cli, clock)
    clock.advance(10 * 60)
    sandbox.reset_counts()
    later = scheduled_run(cli, path)
    assert (later["before"], later["action"], later["outcome"]) == ("running", "none", "unchanged")
    assert sandbox.mutating_count() == 0
    assert any("woken since the schedule turned scaledToZero" in note for note in later["notes"]), later
    assert cli("invoke", "office", "--data", '{"inputs": "hi"}').code == 0  # no second cold start
    # apply agrees: the same instant, the same reading.
    planned = cli("plan", path, "--detailed-exitcode")
    assert planned.code == 0, planned.all
    assert "woken since the schedule turned scaledToZero" in planned.all
    # And so does wait -f: ready where it is, not waiting for a scale-to-zero no run will make (review).
    waited = cli("wait", "-f", path, "--timeout", "5", "-o", "json")
    assert waited.code == 0, waited.all
    assert json.loads(waited.stdout)[0]["status"] == "running"


@pytest.mark.parametrize("wake_moves_updated_at", [False, True])
def test_one_asleep_before_the_close_and_woken_after_it_either_way_updatedat_is_answered(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, wake_moves_updated_at: bool
) -> None:
    """Asleep on its own since 10:15, woken at 21:00. Whether a wake-up moves updatedAt is unconfirmed:
    if it does, the night's run leaves it to sleep again by itself; if not, updatedAt says it has been
    awake since the morning, and it is scaled to zero once, then left alone (the scale-to-zero moved it)."""
    sandbox.config.wake_moves_updated_at = wake_moves_updated_at
    path = write(tmp_path, "s.yaml", manifest("office", schedule=NIGHT, scaling=ON_DEMAND))
    assert cli("apply", path, "--yes", "--wait").code == 0
    clock.advance((CLOSE - OPEN).total_seconds() + 60 * 60)
    wake(cli, clock)
    sandbox.reset_counts()
    first = scheduled_run(cli, path)
    assert sandbox.counts().get(SCALE_TO_ZERO, 0) == (0 if wake_moves_updated_at else 1), first
    clock.advance(10 * 60)
    if not wake_moves_updated_at:
        wake(cli, clock)
    sandbox.reset_counts()
    later = scheduled_run(cli, path)
    assert (later["action"], later["outcome"]) == ("none", "unchanged"), later
    assert sandbox.mutating_count() == 0


def test_a_fixed_scaled_to_zero_state_is_enforced(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    """Nothing says when a fixed state began, so an endpoint up for days would read as just woken: the
    state is enforced (``apply --wait`` reaches it), and leaving ``state`` out lets the service decide."""
    awake = write(tmp_path, "a.yaml", manifest("office", state="running", scaling=ON_DEMAND))
    assert cli("apply", awake, "--yes", "--wait").code == 0
    path = write(tmp_path, "s.yaml", manifest("office", state="scaledToZero", scaling=ON_DEMAND))
    sandbox.reset_counts()
    applied = cli("apply", path, "--yes", "--wait", "--timeout", "600")
    assert applied.code == 0, applied.all
    assert sandbox.counts()[SCALE_TO_ZERO] == 1
    assert status(cli)["status"] == "scaledToZero"


def test_an_update_to_a_floor_above_zero_is_no_reason_to_leave_it_awake(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    """Woken at night with minReplica 0, but the manifest now says 1: the update would keep it awake for
    good, so it is scaled to zero with it."""
    path = write(tmp_path, "s.yaml", manifest("office", schedule=NIGHT, scaling=ON_DEMAND))
    assert cli("apply", path, "--yes", "--wait").code == 0
    clock.advance((CLOSE - OPEN).total_seconds() - 4 * 60)
    wake(cli, clock)  # in use at 19:58
    clock.advance(7 * 60)
    assert cli("scale-to-zero", "office").code == 0  # 20:05, after the window closed
    clock.advance(53 * 60)
    wake(cli, clock)  # 21:00
    assert "woken since the schedule turned" in cli("plan", path).all  # left alone, as it is
    floor = write(
        tmp_path, "s.yaml", manifest("office", schedule=NIGHT, scaling={**ON_DEMAND, "minReplica": 1})
    )
    sandbox.reset_counts()
    assert cli("apply", floor, "--yes").code == 0
    assert sandbox.counts()[SCALE_TO_ZERO] == 1


def test_one_that_would_never_sleep_is_still_scaled_to_zero(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    """minReplica 1 live (set by hand): the service keeps a replica up forever, so the state is enforced."""
    awake = write(tmp_path, "a.yaml", manifest("office", scaling={"minReplica": 1, "maxReplica": 1}))
    assert cli("apply", awake, "--yes", "--wait").code == 0
    path = write(tmp_path, "s.yaml", manifest("office", state="scaledToZero", scaling={"maxReplica": 1}))
    sandbox.reset_counts()
    assert cli("apply", path, "--yes").code == 0
    assert sandbox.counts()[SCALE_TO_ZERO] == 1


# -- the rule, over every reading ----------------------------------------------------------------------

READINGS = st.sampled_from(
    [Status.RUNNING, Status.INITIALIZING, Status.PENDING, Status.UPDATING, Status.SCALED_TO_ZERO]
)
UPDATED = st.one_of(
    st.integers(-3 * 24 * 60, 14 * 60).map(
        lambda minutes: (CLOSE + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
    ),
    st.integers(0, 60).map(  # just after the window closed: woken since, the case held
        lambda minutes: (CLOSE + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
    ),
    st.integers(-3 * 24 * 60, 14 * 60).map(
        lambda minutes: (CLOSE + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
    ),
    st.sampled_from(["", "yesterday", "2026-03-23T21:00:00"]),  # unreadable, or no zone: placed nowhere
)


def _left_alone(
    state: Status, min_replica: int | None, floor: int, updated: str, fixed: bool, at: datetime
) -> bool:
    if fixed or state not in (Status.RUNNING, Status.INITIALIZING) or min_replica != 0 or floor != 0:
        return False
    try:
        when = datetime.fromisoformat(updated)
    except ValueError:
        return False
    # Woken since the window closed, and not later than this clock allows (5 minutes of skew).
    return when.tzinfo is not None and CLOSE <= when <= at + timedelta(minutes=5)


# Pinned: woken just before the close, with the manifest's floor 1 or 0; an updatedAt in the future; a
# fixed state.
PINNED = [
    {"floor": 1, "updated": "2026-03-23T19:30:00Z", "fixed": False},
    {"floor": 0, "updated": "2026-03-23T19:30:00Z", "fixed": False},
    {"floor": 0, "updated": "2030-01-01T00:00:00Z", "fixed": False},
    {"floor": 0, "updated": "2026-03-23T19:30:00Z", "fixed": True},
]


def pinned(test: Any) -> Any:
    for case in PINNED:
        test = example(state=Status.RUNNING, min_replica=0, minutes_after=60, **case)(test)
    return test


@settings(max_examples=200, deadline=None)
@pinned
@given(
    state=READINGS,
    min_replica=st.sampled_from([0, 1, None]),
    floor=st.sampled_from([0, 1]),
    updated=UPDATED,
    fixed=st.booleans(),
    minutes_after=st.integers(0, 11 * 60),  # 20:00 to 07:00: the window is closed all the while
)
def test_scale_to_zero_is_planned_unless_it_was_woken_since_the_state_began(
    state: Status, min_replica: int | None, floor: int, updated: str, fixed: bool, minutes_after: int
) -> None:
    at = CLOSE + timedelta(minutes=minutes_after)
    want = desired(
        scaling={**ON_DEMAND, "minReplica": floor},
        **({"state": "scaledToZero"} if fixed else {"schedule": NIGHT}),
    )
    have = live(
        status=state, min_replica=min_replica, max_replica=1, scale_to_zero_timeout=15, updated_at=updated
    )
    plan = compute([("acme", want)], {"acme": [have]}, Options(at=at))
    (change,) = plan.changes
    steps = [step.kind for step in change.steps]
    expected = state is not Status.SCALED_TO_ZERO and not _left_alone(
        state, min_replica, floor, updated, fixed, at
    )
    assert (StepKind.SCALE_TO_ZERO in steps) is expected, (change, steps)
    if not fixed:  # schedule run reads it the same way, and leaves one still deploying to a later run
        (move,) = plan_schedules([("acme", want)], {"acme": [have]}, at)
        deploying = state in (Status.PENDING, Status.INITIALIZING, Status.UPDATING)
        assert (StepKind.SCALE_TO_ZERO in [s.kind for s in move.change.steps]) is (expected and not deploying)


# -- an endpoint still deploying when the window closes --------------------------------------------------


@pytest.mark.parametrize("slow", ["pending", "initializing"])
def test_one_still_deploying_is_left_to_a_later_run_without_waiting(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, slow: str
) -> None:
    """A slow deploy (45 minutes) at 19:50: the 20:05 run does not wait for it under its locks (the
    executor's settle waited up to 20 minutes, past a cron job's deadline); a run after it has deployed
    scales it to zero."""
    clock.advance((CLOSE - OPEN).total_seconds() - 10 * 60)
    sandbox.config.phases.update(
        {"pending": 60.0 if slow == "initializing" else 45 * 60, "initializing": 45 * 60}
    )
    path = write(
        tmp_path, "s.yaml", manifest("office", schedule=NIGHT, scaling={"minReplica": 1, "maxReplica": 1})
    )
    assert cli("apply", path, "--yes").code == 0
    clock.advance(15 * 60)
    assert status(cli)["status"] == slow
    started = clock.now()
    sandbox.reset_counts()
    record = scheduled_run(cli, path)
    assert clock.now() == started  # no wait, not even on the test's clock
    assert (record["before"], record["action"], record["outcome"]) == (slow, "none", "unchanged")
    assert record["notes"] == [f"still {slow}: scaled to zero by a run after it has deployed"]
    assert sandbox.mutating_count() == 0
    # Deploying for longer than apply would wait for it: maybe stuck (a crash loop bills all night), so no
    # longer a quiet note: blocked, exit 1, for someone to look.
    clock.advance(20 * 60)
    stuck = cli("schedule", "run", path, "-o", "json")
    assert stuck.code == 1, stuck.all
    (blocked,) = json.loads(stuck.stdout)
    assert (blocked["action"], blocked["outcome"]) == ("none", "blocked")
    assert f"still {slow} since" in blocked["error"] and "endpointctl logs" in blocked["error"]
    assert sandbox.mutating_count() == 0
    clock.advance(90 * 60)
    assert status(cli)["status"] == "running"
    later = scheduled_run(cli, path)
    assert (later["action"], later["outcome"]) == ("scale-to-zero", "ok")


@pytest.mark.parametrize("seconds_after", [1, 4, 60, 299])
def test_one_deploying_since_just_after_the_runs_instant_is_not_called_stuck(seconds_after: int) -> None:
    """updatedAt a little after the run's instant: this clock behind the API's, or a person's resume while
    the run waited for its locks (review: a false "stuck, billing all night" block, exit 1)."""
    at = CLOSE + timedelta(minutes=5)
    since = (at + timedelta(seconds=seconds_after)).isoformat()
    want = desired(scaling={"minReplica": 1, "maxReplica": 1}, schedule=NIGHT)
    have = live(status=Status.INITIALIZING, min_replica=1, max_replica=1, updated_at=since)
    (move,) = plan_schedules([("acme", want)], {"acme": [have]}, at)
    assert move.change.action is Action.NOOP and move.change.reason is None, move.change
    assert move.change.notes == ("still initializing: scaled to zero by a run after it has deployed",)
    # Far in the future is no reading of a deploy that has just begun: it may be stuck.
    have = live(
        status=Status.INITIALIZING,
        min_replica=0,
        max_replica=1,
        updated_at=(at + timedelta(hours=1)).isoformat(),
    )
    (move,) = plan_schedules([("acme", want)], {"acme": [have]}, at)
    assert move.change.reason is not None and "longer than a deployment takes" in move.change.reason


@pytest.mark.parametrize("minutes", [-60, 60], ids=["inside its window", "after it closed"])
def test_an_endpoint_whose_update_failed_is_named_in_the_runs_record(minutes: int) -> None:
    """updateFailed: it still serves its former configuration. Inside the window nothing is to be done,
    but a cron job's log must say it (review: it read as fine); after the window it is stopped, and said."""
    at = CLOSE + timedelta(minutes=minutes)
    want = desired(scaling={"minReplica": 1, "maxReplica": 1}, schedule=NIGHT)
    have = live(status=Status.UPDATE_FAILED, min_replica=1, max_replica=1)
    (move,) = plan_schedules([("acme", want)], {"acme": [have]}, at)
    assert any("its last update failed" in note for note in move.change.notes), move.change
    assert bool(move.change.steps) is (minutes > 0)

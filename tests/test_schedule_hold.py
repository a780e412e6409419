"""schedule hold / schedule release: the hold tag keeps a scheduled endpoint awake, for schedule run, apply
and run alike, end to end against the sandbox on a ManualClock; its pure parts over varying inputs.

The clock starts on Monday 2026-03-23 at 21:00 in Berlin, after the office window closed at 20:00.
"""

from __future__ import annotations

import json
import pathlib
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2 as httpx
import pytest
from builders import desired, live
from clirunner import Cli
from hypothesis import given
from hypothesis import strategies as st
from test_cli_apply import USER, manifest, write

from endpointctl.core.desired_state import DesiredState
from endpointctl.core.endpoint import Status
from endpointctl.core.hold_tag import MAX_AHEAD, UnreadableHold, hold_tag, read_hold, with_hold, without_hold
from endpointctl.core.scheduled import held_state
from endpointctl.core.tags import HOLD_KEY, MANAGED_TAG
from endpointctl.sandbox import ManualClock, Sandbox

START = datetime(2026, 3, 23, 20, 0, tzinfo=UTC)  # Mon 21:00 Europe/Berlin: outside the window
OFFICE = {"timezone": "Europe/Berlin", "running": ["Mon-Fri 08:00-20:00"]}
UPDATE = "PUT /v2/endpoint/{namespace}/{name}"
RESUME = "POST /v2/endpoint/{namespace}/{name}/resume"
PAUSE = "POST /v2/endpoint/{namespace}/{name}/pause"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=START.timestamp())


@pytest.fixture(autouse=True)
def _dirs(tmp_path: pathlib.Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "setup").mkdir()


@pytest.fixture
def scheduled(tmp_path: pathlib.Path) -> str:
    return write(tmp_path / "m", "office.yaml", manifest("office", schedule=OFFICE))


def deploy(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path, state: str = "running") -> None:
    body = manifest("office", state=state)
    applied = cli("apply", write(tmp_path / "setup", "office.yaml", body), "--yes")
    assert applied.code == 0, applied.all
    clock.advance(10)
    assert status(cli)["status"] == state


def status(cli: Cli) -> dict[str, Any]:
    result = cli("status", "office", "-o", "json")
    assert result.code == 0, result.all
    record: dict[str, Any] = json.loads(result.stdout)[0]
    return record


def tags(client: httpx.Client) -> list[str]:
    found: list[str] = client.get(f"/v2/endpoint/{USER}/office").json()["tags"]
    return found


def records(cli: Cli, *args: str, code: int = 0) -> list[dict[str, Any]]:
    result = cli(*args, "-o", "json")
    assert result.code == code, result.all
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


# -- schedule run honours a hold; release hands the endpoint back to the schedule -------------------------


def test_a_hold_at_night_keeps_schedule_run_from_pausing_and_a_release_lets_the_next_run_pause(
    cli: Cli,
    sandbox: Sandbox,
    clock: ManualClock,
    tmp_path: pathlib.Path,
    scheduled: str,
    client: httpx.Client,
) -> None:
    deploy(cli, clock, tmp_path)
    (held,) = records(cli, "schedule", "hold", "office", "--for", "12h")
    assert (held["action"], held["outcome"]) == ("update", "ok")
    assert status(cli)["heldUntil"] == "2026-03-24T08:00:00+00:00"
    assert f"{HOLD_KEY}=20260324T0800Z" in tags(client)

    sandbox.reset_counts()
    (record,) = records(cli, "schedule", "run", scheduled)
    assert sandbox.mutating_count() == 0
    assert (record["desired"], record["before"], record["action"], record["outcome"]) == (
        "paused",
        "running",
        "none",
        "unchanged",
    )
    (note,) = record["notes"]
    assert note.startswith("held awake until Tue 08:00 UTC") and "schedule release office" in note

    (released,) = records(cli, "schedule", "release", "office")
    assert (released["action"], released["outcome"]) == ("update", "ok")
    assert status(cli)["heldUntil"] is None
    assert status(cli)["status"] == "running"  # a release does not pause
    sandbox.reset_counts()
    (record,) = records(cli, "schedule", "run", scheduled)
    assert (record["action"], record["outcome"]) == ("pause", "ok")
    assert sandbox.counts().get(PAUSE) == 1
    (again,) = records(cli, "schedule", "release", "office")  # idempotent
    assert (again["action"], again["outcome"], again["notes"]) == (
        "noop",
        "unchanged",
        ["not held: nothing to release"],
    )


@pytest.mark.parametrize("asleep", ["paused", "scaledToZero"])
def test_a_hold_on_an_endpoint_asleep_resumes_it_after_setting_the_tag(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, scheduled: str, asleep: str
) -> None:
    deploy(cli, clock, tmp_path, asleep)
    sandbox.reset_counts()
    (held,) = records(cli, "schedule", "hold", "office", "--until", "2026-03-24T01:30:00+01:00")
    assert (held["action"], held["outcome"], held["done"]) == ("resume", "ok", ["update", "resume"])
    assert (sandbox.counts().get(UPDATE), sandbox.counts().get(RESUME)) == (1, 1)
    clock.advance(60)
    assert status(cli)["status"] == "running"
    assert status(cli)["heldUntil"] == "2026-03-24T00:30:00+00:00"
    sandbox.reset_counts()
    (record,) = records(cli, "schedule", "run", scheduled)
    assert record["action"] == "none" and sandbox.mutating_count() == 0
    # The same hold again: nothing to send.
    sandbox.reset_counts()
    (again,) = records(cli, "schedule", "hold", "office", "--until", "2026-03-24T00:30Z")
    assert (again["action"], again["outcome"]) == ("noop", "unchanged") and sandbox.mutating_count() == 0


def test_a_hold_that_has_ended_is_ignored_with_a_note(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, scheduled: str
) -> None:
    deploy(cli, clock, tmp_path)
    records(cli, "schedule", "hold", "office", "--for", "1h")
    clock.advance(2 * 3600)
    sandbox.reset_counts()
    (record,) = records(cli, "schedule", "run", scheduled)
    assert (record["action"], record["outcome"]) == ("pause", "ok")
    assert "hold ended at 2026-03-23 21:00 UTC" in record["notes"]
    assert sandbox.counts().get(PAUSE) == 1


# -- a hold tag that cannot be read: the stop is blocked, never guessed ---------------------------------


@pytest.mark.parametrize(
    "hold",
    [
        [f"{HOLD_KEY}=tomorrow"],
        [f"{HOLD_KEY}=20261399T0800Z"],  # digits, no date
        [f"{HOLD_KEY}=20260324T0800Z", f"{HOLD_KEY}=20260325T0800Z"],  # two
        [HOLD_KEY],  # no value at all
    ],
)
def test_an_unreadable_hold_blocks_the_stop_in_schedule_run_and_plan_and_sends_nothing(
    cli: Cli,
    sandbox: Sandbox,
    clock: ManualClock,
    tmp_path: pathlib.Path,
    scheduled: str,
    client: httpx.Client,
    hold: list[str],
) -> None:
    deploy(cli, clock, tmp_path)
    put = client.put(f"/v2/endpoint/{USER}/office", json={"tags": [*tags(client), *hold]})
    assert put.status_code == 200, put.text
    clock.advance(10)
    sandbox.reset_counts()
    (record,) = records(cli, "schedule", "run", scheduled, code=1)
    assert (record["action"], record["outcome"]) == ("pause", "blocked") or record["outcome"] == "blocked"
    assert "cannot be read" in record["error"] and "endpointctl schedule release office" in record["error"]
    assert sandbox.mutating_count() == 0
    (planned,) = records(cli, "plan", scheduled)
    assert planned["action"] == "blocked" and "schedule release office" in planned["reason"]
    assert sandbox.mutating_count() == 0
    # The fix the reason names works: released, the next run pauses it.
    records(cli, "schedule", "release", "office")
    assert not any(tag.startswith(HOLD_KEY) for tag in tags(client))
    (record,) = records(cli, "schedule", "run", scheduled)
    assert (record["action"], record["outcome"]) == ("pause", "ok")


def test_an_unreadable_hold_does_not_block_a_resume(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, client: httpx.Client
) -> None:
    deploy(cli, clock, tmp_path, "paused")
    assert client.put(
        f"/v2/endpoint/{USER}/office", json={"tags": [*tags(client), f"{HOLD_KEY}=x"]}
    ).is_success
    path = write(tmp_path / "setup", "s.yaml", manifest("office", schedule=OFFICE))
    (record,) = records(cli, "schedule", "run", path, "--at", "2026-03-24T09:00:00+01:00")
    assert (record["action"], record["outcome"]) == ("resume", "ok")


# -- the hold's flags are checked before any API call ---------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--until", "2026-03-23T19:00:00Z"], "not in the future"),
        (["--until", "2026-03-23T20:00:30Z"], "not in the future"),  # to the minute: now
        (["--until", "2026-03-30T20:01:00Z"], "more than 7 days ahead"),
        (["--for", "8d"], "at most 7 days"),
        (["--for", "99999999d"], "not a duration"),
        (["--for", "12x"], "not a duration"),
        (["--for", "0m"], "no time at all"),
        (["--until", "tomorrow"], "not an ISO-8601 instant"),
        (["--until", "2026-03-24T08:00:00"], "no UTC offset"),
        ([], "give one of --until"),
        (["--for", "1h", "--until", "2026-03-24T08:00Z"], "give one of --until"),
    ],
)
def test_a_hold_not_ahead_or_too_far_or_misspelt_is_exit_2_with_no_api_call(
    cli: Cli, sandbox: Sandbox, flags: list[str], says: str
) -> None:
    sandbox.reset_counts()
    result = cli("schedule", "hold", "office", *flags)
    assert result.code == 2, result.all
    assert says in result.stderr
    assert sum(sandbox.counts().values()) == 0


def test_seven_days_exactly_is_allowed(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path) -> None:
    deploy(cli, clock, tmp_path)
    (held,) = records(cli, "schedule", "hold", "office", "--for", "7d")
    assert held["outcome"] == "ok"
    assert status(cli)["heldUntil"] == "2026-03-30T20:00:00+00:00"


# -- apply and run honour it too; a manifest cannot set it ------------------------------------------------


def test_apply_with_changed_labels_keeps_the_hold_tag_and_does_not_pause(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, client: httpx.Client
) -> None:
    deploy(cli, clock, tmp_path)
    records(cli, "schedule", "hold", "office", "--for", "10h")
    relabelled = write(
        tmp_path / "setup", "s.yaml", manifest("office", schedule=OFFICE, labels={"team": "asia"})
    )
    sandbox.reset_counts()
    applied = cli("apply", relabelled, "--yes", "-o", "json")
    assert applied.code == 0, applied.all
    assert sandbox.counts().get(UPDATE) == 1 and sandbox.counts().get(PAUSE) is None
    live_tags = tags(client)
    assert f"{HOLD_KEY}=20260324T0600Z" in live_tags and "team=asia" in live_tags
    assert status(cli)["status"] == "running"
    planned = records(cli, "plan", relabelled)
    assert [p["action"] for p in planned] in ([], ["noop"])


def test_a_run_ending_at_night_leaves_a_held_endpoint_awake(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, scheduled: str
) -> None:
    deploy(cli, clock, tmp_path, "paused")
    records(cli, "schedule", "hold", "office", "--for", "3h")
    clock.advance(60)
    sandbox.reset_counts()
    batch = cli("run", "-f", scheduled, "--", sys.executable, "-c", "pass")
    assert batch.code == 0, batch.all
    assert sandbox.counts().get(PAUSE) is None
    assert "held awake until" in batch.stderr
    assert status(cli)["status"] == "running"


def test_a_manifest_label_may_not_set_the_hold(tmp_path: pathlib.Path, cli: Cli, sandbox: Sandbox) -> None:
    path = write(tmp_path, "m.yaml", manifest("office", labels={HOLD_KEY: "20260324T0800Z"}))
    result = cli("validate", path)
    assert result.code == 2, result.all
    assert HOLD_KEY in result.stderr + result.stdout


def test_status_wide_marks_a_hold(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path) -> None:
    deploy(cli, clock, tmp_path)
    assert "(held until" not in cli("status", "-o", "wide").stdout
    records(cli, "schedule", "hold", "office", "--for", "2h")
    assert "running (held until 2026-03-23T22:00Z)" in cli("status", "-o", "wide").stdout


# -- the pure parts ---------------------------------------------------------------------------------------

MINUTES = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
).map(lambda when: when.replace(second=0, microsecond=0))
OTHER_TAGS = st.lists(st.sampled_from(["team=nlp", MANAGED_TAG, "endpointctl-stack=prod", "bare", "x=1"]))


@given(MINUTES, OTHER_TAGS)
def test_a_hold_tag_reads_back_as_the_minute_it_was_written_for(when: datetime, others: list[str]) -> None:
    tag = hold_tag(when)
    assert len(tag) == 31 and ":" not in tag
    assert read_hold([*others, tag]) == when
    assert read_hold(with_hold([*others, tag, f"{HOLD_KEY}=junk"], when)) == when
    assert without_hold(with_hold(others, when)) == tuple(others)
    assert read_hold(without_hold([*others, tag])) is None


@given(st.text(max_size=20))
def test_a_hold_value_reads_as_its_instant_only_when_written_as_one(value: str) -> None:
    found = read_hold([f"{HOLD_KEY}={value}"])
    assert found is not None
    if not isinstance(found, UnreadableHold):
        assert hold_tag(found) == f"{HOLD_KEY}={value}"


STOPPED_OR_AWAKE = st.sampled_from(
    [Status.RUNNING, Status.INITIALIZING, Status.SCALED_TO_ZERO, Status.PAUSED]
)
NIGHT = datetime(2026, 3, 23, 20, 0, tzinfo=UTC)


@given(
    st.timedeltas(min_value=timedelta(minutes=1), max_value=MAX_AHEAD * 3),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=14)),
    STOPPED_OR_AWAKE,
    st.sampled_from(["paused", "scaledToZero"]),
    st.integers(0, 1),
)
def test_held_state_never_stops_an_endpoint_while_a_valid_hold_lasts(
    ahead: timedelta, shift: timedelta, status: Status, otherwise: str, floor: int
) -> None:
    at = (NIGHT + shift).replace(second=0, microsecond=0)
    until = at + ahead
    spec = desired(
        schedule={**OFFICE, "otherwise": otherwise}, scaling={"minReplica": floor, "maxReplica": 1}
    )
    endpoint = live(
        status=status,
        tags=(MANAGED_TAG, hold_tag(until)),
        min_replica=floor,
        updated_at="2026-03-23T00:00:00Z",
    )
    wanted = held_state(spec, endpoint, at)
    assert wanted.blocked is None
    stops = {DesiredState.PAUSED: Status.PAUSED, DesiredState.SCALED_TO_ZERO: Status.SCALED_TO_ZERO}
    assert wanted.state not in stops or stops[wanted.state] is status  # a stop only where it is one already


def test_a_fixed_state_is_not_held_and_says_so() -> None:
    endpoint = live(tags=(MANAGED_TAG, hold_tag(NIGHT + timedelta(hours=5))))
    wanted = held_state(desired(state="paused"), endpoint, NIGHT)
    assert wanted.state is DesiredState.PAUSED and wanted.blocked is None
    (note,) = wanted.notes
    assert "not honoured" in note and "state: paused" in note


def test_a_hold_set_by_hand_beyond_seven_days_is_honoured_with_its_date() -> None:
    endpoint = live(tags=(MANAGED_TAG, hold_tag(NIGHT + timedelta(days=20))))
    wanted = held_state(desired(schedule=OFFICE), endpoint, NIGHT)
    assert wanted.state is None
    (note,) = wanted.notes
    assert "2026-04-12" in note and "more than 7 days ahead" in note

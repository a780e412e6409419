"""schedule hold / schedule release: the hold tag keeps a scheduled endpoint awake, for schedule run, apply
and run alike, end to end against the sandbox on a ManualClock; its pure parts over varying inputs.

The clock starts on Monday 2026-03-23 at 21:00 in Berlin, after the office window closed at 20:00.
"""

from __future__ import annotations

import json
import os
import pathlib
import socket
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2 as httpx
import pytest
import yaml
from builders import desired, live
from clirunner import Cli
from hypothesis import assume, given
from hypothesis import strategies as st
from rewritten_answers import each_endpoint, rewrite
from test_cli_apply import USER, manifest, write

from endpointctl.core.desired_state import DesiredState
from endpointctl.core.endpoint import Status
from endpointctl.core.hold_plan import not_taken, unconfirmed
from endpointctl.core.hold_tag import (
    READ_AHEAD,
    UnreadableHold,
    hold_tag,
    read_hold,
    with_hold,
    without_hold,
)
from endpointctl.core.outcomes import ChangeOutcome, ChangeResult
from endpointctl.core.plan import Action, Change, Step, StepKind
from endpointctl.core.scheduled import held_state
from endpointctl.core.tags import HOLD_KEY, MANAGED_TAG
from endpointctl.core.targets import Target
from endpointctl.engine.leases import LeaseBook
from endpointctl.engine.locks import Holder
from endpointctl.sandbox import ManualClock, Sandbox
from endpointctl.ui.records import held_until, hold_marker

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
    assert "hold ended at 2026-03-23T21:00Z" in record["notes"]
    assert sandbox.counts().get(PAUSE) == 1


@pytest.mark.parametrize(
    ("asleep", "floor", "action"),
    [
        ("paused", 1, "resume"),
        ("scaledToZero", 1, "resume"),
        ("scaledToZero", 0, "none"),  # with minReplica 0, asleep counts as running, as inside a window
    ],
)
def test_a_held_endpoint_found_asleep_is_resumed_by_the_next_run(
    cli: Cli,
    sandbox: Sandbox,
    clock: ManualClock,
    tmp_path: pathlib.Path,
    client: httpx.Client,
    asleep: str,
    floor: int,
    action: str,
) -> None:
    """The race's end: A's `schedule run` read the endpoint before B's hold and paused it after. The hold
    is on a paused endpoint; the next run, level-triggered, wakes it."""
    deploy(cli, clock, tmp_path, asleep)
    hold = hold_tag(START + timedelta(hours=3))
    assert client.put(f"/v2/endpoint/{USER}/office", json={"tags": [*tags(client), hold]}).is_success
    clock.advance(10)
    path = write(
        tmp_path / "setup", "s.yaml", manifest("office", schedule=OFFICE, scaling={"minReplica": floor})
    )
    sandbox.reset_counts()
    (record,) = records(cli, "schedule", "run", path)
    assert (record["desired"], record["before"], record["action"]) == ("paused", asleep, action)
    assert record["outcome"] == ("ok" if action == "resume" else "unchanged")
    assert sandbox.counts().get(RESUME) == (1 if action == "resume" else None)
    assert any(note.startswith("held awake until Mon 23:00 UTC") for note in record["notes"])
    # Level-triggered: the next run has nothing left to do.
    clock.advance(60)
    sandbox.reset_counts()
    (again,) = records(cli, "schedule", "run", path)
    assert again["action"] == "none" and sandbox.mutating_count() == 0


@pytest.mark.parametrize(
    ("at", "action"),
    [
        ("2026-03-23T21:59:00Z", "none"),  # a minute before the hold's: held
        ("2026-03-23T22:00:00Z", "pause"),  # the hold's own minute is its end
        ("2026-03-23T22:01:00Z", "pause"),
    ],
)
def test_a_hold_ends_at_its_minute(
    cli: Cli, clock: ManualClock, tmp_path: pathlib.Path, scheduled: str, at: str, action: str
) -> None:
    deploy(cli, clock, tmp_path)
    records(cli, "schedule", "hold", "office", "--until", "2026-03-23T22:00:00Z")
    (record,) = records(cli, "schedule", "run", scheduled, "--dry-run", "--at", at)
    assert record["action"] == action
    (note,) = record["notes"]
    assert (
        note.startswith("held awake until") if action == "none" else note == "hold ended at 2026-03-23T22:00Z"
    )


def test_a_hold_that_is_the_endpoints_only_tag_is_released_with_an_empty_list(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, client: httpx.Client
) -> None:
    deploy(cli, clock, tmp_path)
    hold = hold_tag(START + timedelta(hours=2))
    assert client.put(f"/v2/endpoint/{USER}/office", json={"tags": [hold]}).is_success
    sandbox.reset_counts()
    (released,) = records(cli, "schedule", "release", "office")
    assert (released["action"], released["outcome"], released["heldUntil"]) == ("update", "ok", None)
    assert sandbox.counts().get(UPDATE) == 1 and tags(client) == []


@pytest.mark.parametrize("reading", ["ignore", "refuse"])
def test_a_release_an_api_does_not_take_is_a_failure_that_says_the_hold_stays(
    cli: Cli,
    sandbox: Sandbox,
    clock: ManualClock,
    tmp_path: pathlib.Path,
    client: httpx.Client,
    reading: str,
) -> None:
    # Unconfirmed whether the real API takes `tags: []`: one that ignores it (or refuses it) must not have
    # the release said done while the hold keeps the endpoint awake, billing, and the next run honours it.
    deploy(cli, clock, tmp_path)
    hold = hold_tag(START + timedelta(hours=2))
    assert client.put(f"/v2/endpoint/{USER}/office", json={"tags": [hold]}).is_success
    sandbox.config.empty_tags = reading
    (released,) = records(cli, "schedule", "release", "office", code=1)
    assert released["outcome"] == "failed" and tags(client) == [hold]
    if reading == "ignore":
        assert "still on it" in released["error"] and "empty tag list" in released["error"]
        assert "stays awake" in released["error"]
    else:
        assert "422" in released["error"] or "at least 1 item" in released["error"]
    assert status(cli)["heldUntil"] == "2026-03-23T22:00:00+00:00"  # what a person checking then sees


def test_a_release_beside_other_tags_is_taken_whatever_an_api_does_with_an_empty_list(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, client: httpx.Client
) -> None:
    deploy(cli, clock, tmp_path)
    others = tags(client)
    hold = hold_tag(START + timedelta(hours=2))
    assert client.put(f"/v2/endpoint/{USER}/office", json={"tags": [*others, hold]}).is_success
    sandbox.config.empty_tags = "refuse"
    (released,) = records(cli, "schedule", "release", "office")
    assert released["outcome"] == "ok" and sorted(tags(client)) == sorted(others)


@each_endpoint
def _no_tags(endpoint: dict[str, Any]) -> None:
    endpoint.pop("tags", None)


GET = "GET /v2/endpoint/{namespace}/{name}"
LIST = "GET /v2/endpoint/{namespace}"


def test_a_hold_whose_answer_lists_no_tags_is_confirmed_by_reading_it_again(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, client: httpx.Client
) -> None:
    deploy(cli, clock, tmp_path)
    rewrite(sandbox, UPDATE, _no_tags)
    sandbox.reset_counts()
    (held,) = records(cli, "schedule", "hold", "office", "--for", "2h")
    assert (held["outcome"], held["heldUntil"]) == ("ok", "2026-03-23T22:00:00+00:00")
    assert sandbox.counts().get(GET) == 1 and hold_tag(START + timedelta(hours=2)) in tags(client)


def test_a_hold_nothing_confirms_is_a_failure_saying_so(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path)
    rewrite(sandbox, UPDATE, _no_tags)
    rewrite(sandbox, GET, _no_tags)
    (held,) = records(cli, "schedule", "hold", "office", "--for", "2h", code=1)
    assert held["outcome"] == "failed" and "whether the hold took is unknown" in held["error"]
    assert held["notes"] == []  # not "held awake until ...": that did not happen as far as anyone knows


def test_a_hold_is_judged_by_the_updates_answer_not_the_resumes_after_it(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    # Asleep, a hold is an update then a resume. An update answered without the hold, then a resume
    # answered without tags: the update's answer says the hold was not set, whatever the resume's says.
    deploy(cli, clock, tmp_path, state="paused")
    rewrite(sandbox, UPDATE, each_endpoint(lambda ep: ep.update(tags=without_hold(ep["tags"]))))
    rewrite(sandbox, RESUME, _no_tags)
    (held,) = records(cli, "schedule", "hold", "office", "--for", "2h", code=1)
    assert held["outcome"] == "failed" and "the hold was not set" in held["error"]


@pytest.mark.parametrize("verb", ["hold", "release"])
@pytest.mark.parametrize("listed", [None, "absent", [None, 5], "text"])
def test_an_endpoint_listed_without_a_readable_tag_list_is_blocked_and_nothing_is_sent(
    cli: Cli,
    sandbox: Sandbox,
    clock: ManualClock,
    tmp_path: pathlib.Path,
    client: httpx.Client,
    verb: str,
    listed: Any,
) -> None:
    # A hold sends the full tag list: from a list it cannot see, it would drop the ownership tag and the
    # labels (the endpoint then left unmanaged, never paused again), and a release would say "not held".
    deploy(cli, clock, tmp_path)
    before = tags(client)

    @each_endpoint
    def unreadable(endpoint: dict[str, Any]) -> None:
        if listed == "absent":
            endpoint.pop("tags", None)
        else:
            endpoint["tags"] = listed

    rewrite(sandbox, LIST, unreadable)
    sandbox.reset_counts()
    args = ("--for", "2h") if verb == "hold" else ()
    result = cli("schedule", verb, "office", *args, "-o", "json")
    if listed == "text":  # not a list at all: the listing is malformed, and read as an error
        assert result.code == 1 and sandbox.mutating_count() == 0, result.all
        return
    (record,) = json.loads(result.stdout)
    assert result.code == 1 and record["outcome"] == "blocked", result.all
    assert "no readable tag list" in record["error"]
    assert sandbox.mutating_count() == 0 and tags(client) == before


def test_schedule_run_stops_nothing_listed_without_a_readable_tag_list(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, scheduled: str
) -> None:
    # At night it would be paused, but a hold may be among the tags it cannot see.
    deploy(cli, clock, tmp_path)
    rewrite(sandbox, LIST, _no_tags)
    sandbox.reset_counts()
    (run,) = records(cli, "schedule", "run", scheduled, code=1)
    assert run["outcome"] == "blocked" and "no readable tag list" in run["error"]
    assert sandbox.mutating_count() == 0


def test_apply_changes_nothing_on_an_endpoint_listed_without_a_readable_tag_list(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path)
    rewrite(sandbox, LIST, each_endpoint(lambda ep: ep.update(tags=[1, "managed-by=endpointctl"])))
    sandbox.reset_counts()
    changed = write(tmp_path / "setup", "office.yaml", manifest("office", state="paused"))
    for argv in (("apply", changed, "--yes"), ("apply", changed, "--yes", "--adopt")):
        result = cli(*argv)
        assert result.code == 1 and "no readable tag list" in result.all, result.all
    assert sandbox.mutating_count() == 0


def _done(change_tags: tuple[str, ...], answered: tuple[str, ...], *, reported: bool = True) -> ChangeResult:
    ep = live(tags=("team=nlp",))
    change = Change(ep.name, ep.namespace, Action.UPDATE, steps=(Step(StepKind.UPDATE, tags=change_tags),))
    answer = replace(ep, tags=answered if reported else (), tags_reported=reported)
    return ChangeResult(change, ChangeOutcome.OK, done=["update"], endpoint=answer, updated=answer)


@given(
    until=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)).map(
        lambda d: d.replace(tzinfo=UTC)
    ),
    others=st.lists(st.sampled_from(["team=nlp", MANAGED_TAG, "env=prod"]), unique=True).map(tuple),
)
def test_an_answer_is_a_hold_taken_only_when_it_carries_exactly_the_hold_tags_sent(
    until: datetime, others: tuple[str, ...]
) -> None:
    held = with_hold(others, until)
    assert not_taken(_done(held, held)) is None
    assert not_taken(_done(held, tuple(reversed(held)))) is None  # the API's order is its own
    assert "the hold was not set" in (not_taken(_done(held, others)) or "")
    later = with_hold(others, until + timedelta(hours=1))
    assert "the hold was not set" in (not_taken(_done(held, later)) or "")
    assert not_taken(_done(others, others)) is None  # a release taken
    assert "still on it" in (not_taken(_done(others, held)) or "")
    # An answer without a tag list tells nothing: not a failure, but not confirmed either.
    assert not_taken(_done(held, (), reported=False)) is None and unconfirmed(_done(held, (), reported=False))
    assert not unconfirmed(_done(held, held))


def test_a_release_not_done_or_failed_is_not_judged_by_its_answer() -> None:
    failed = replace(_done((), (hold_tag(START),)), done=[])
    assert not_taken(failed) is None and not unconfirmed(failed)


@pytest.mark.parametrize("body", [{}, {"state": "paused"}])
def test_a_hold_on_a_manifest_without_a_schedule_is_refused_before_any_api_call(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, body: dict[str, str]
) -> None:
    path = write(tmp_path / "setup", "plain.yaml", manifest("office", **body))
    sandbox.reset_counts()
    result = cli("schedule", "hold", "-f", path, "--for", "2h")
    assert result.code == 2, result.all
    assert "has no schedule" in result.stderr and "endpointctl resume office" in result.stderr
    assert sum(sandbox.counts().values()) == 0


def test_hold_and_release_records_say_until_when_and_status_only_while_it_lasts(
    cli: Cli, clock: ManualClock, tmp_path: pathlib.Path, scheduled: str
) -> None:
    deploy(cli, clock, tmp_path)
    (held,) = records(cli, "schedule", "hold", "-f", scheduled, "--for", "90m")
    assert held["heldUntil"] == "2026-03-23T21:30:00+00:00"
    again = cli("schedule", "hold", "office", "--for", "90m", "-o", "markdown")  # the same minute: a no-op
    assert again.code == 0, again.all
    assert (
        "| Held until |" in again.stdout
        and "<code>2026-03-23T21&#58;30&#58;00+00&#58;00</code>" in again.stdout
    )
    (yaml_record,) = yaml.safe_load(cli("schedule", "hold", "office", "--for", "90m", "-o", "yaml").stdout)
    assert yaml_record["heldUntil"] == "2026-03-23T21:30:00+00:00"
    clock.advance(90 * 60)  # the hold's minute: it has ended
    assert status(cli)["heldUntil"] is None
    assert "held until" not in cli("status", "-o", "wide").stdout
    (released,) = records(cli, "schedule", "release", "office")
    assert released["heldUntil"] is None


# -- a hold tag that cannot be read: the stop is blocked, never guessed ---------------------------------


@pytest.mark.parametrize(
    "hold",
    [
        [f"{HOLD_KEY}=tomorrow"],
        [f"{HOLD_KEY}=20261399T0800Z"],  # digits, no date
        [f"{HOLD_KEY}=20260324T0800Z", f"{HOLD_KEY}=20260325T0800Z"],  # two
        [HOLD_KEY],  # no value at all
        [f"{HOLD_KEY}=99991231T2359Z"],  # practically forever: not one `schedule hold` sets
        ["Endpointctl-Hold=20260324T0800Z"],  # meant as a hold, spelt otherwise
        [f" {HOLD_KEY}=20260324T0800Z"],
        [f"{HOLD_KEY}:20260324T0800Z"],
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


def test_a_run_by_name_ending_at_night_leaves_a_held_endpoint_awake_and_says_so(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, client: httpx.Client
) -> None:
    """Found paused, so to be put back to paused: the hold set on it meanwhile (here before, by hand, as
    the race leaves it) keeps it awake at the end."""
    deploy(cli, clock, tmp_path, "paused")
    hold = hold_tag(START + timedelta(hours=3))
    assert client.put(f"/v2/endpoint/{USER}/office", json={"tags": [*tags(client), hold]}).is_success
    sandbox.reset_counts()
    batch = cli("run", "office", "--", sys.executable, "-c", "pass")
    assert batch.code == 0, batch.all
    assert sandbox.counts().get(RESUME) == 1 and sandbox.counts().get(PAUSE) is None
    assert "held awake until 2026-03-23T23:00Z" in batch.stderr and "not put back to paused" in batch.stderr
    assert status(cli)["status"] == "running"


@pytest.mark.parametrize("scheduled_manifest", [False, True])
def test_a_run_ending_on_an_unreadable_hold_does_not_stop_it_and_exits_1_naming_the_fix(
    cli: Cli,
    sandbox: Sandbox,
    clock: ManualClock,
    tmp_path: pathlib.Path,
    client: httpx.Client,
    scheduled: str,
    scheduled_manifest: bool,
) -> None:
    deploy(cli, clock, tmp_path, "paused")
    hold = f"{HOLD_KEY}=99991231T2359Z"
    assert client.put(f"/v2/endpoint/{USER}/office", json={"tags": [*tags(client), hold]}).is_success
    sandbox.reset_counts()
    which = ["-f", scheduled] if scheduled_manifest else ["office"]
    batch = cli("run", *which, "--", sys.executable, "-c", "pass")
    assert batch.code == 1, batch.all
    assert sandbox.counts().get(PAUSE) is None
    assert "cannot be read" in batch.stderr and "endpointctl schedule release office" in batch.stderr
    assert status(cli)["status"] == "running"


def test_while_a_run_uses_a_held_endpoint_schedule_run_records_running_to_put_it_back_in(
    cli: Cli, clock: ManualClock, tmp_path: pathlib.Path, scheduled: str
) -> None:
    deploy(cli, clock, tmp_path)
    records(cli, "schedule", "hold", "office", "--for", "3h")
    book = LeaseBook(tmp_path, Target(USER, "office"))
    book.record("paused")  # found paused by a run (this process, alive) that woke it
    book.add(Holder(pid=os.getpid(), host=socket.gethostname(), command="endpointctl run office", since="x"))
    (record,) = records(cli, "schedule", "run", scheduled)
    assert record["action"] == "none" and status(cli)["status"] == "running"
    assert book.recorded() == "running"  # not the schedule's paused: the run ends it awake


@pytest.mark.parametrize("key", [HOLD_KEY, "Endpointctl-Hold"])
def test_a_manifest_label_may_not_set_the_hold(
    tmp_path: pathlib.Path, cli: Cli, sandbox: Sandbox, key: str
) -> None:
    path = write(tmp_path, "m.yaml", manifest("office", labels={key: "20260324T0800Z"}))
    result = cli("validate", path)
    assert result.code == 2, result.all
    assert key in result.stderr + result.stdout and "reserved" in result.stderr + result.stdout


def test_status_wide_marks_a_hold(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path) -> None:
    deploy(cli, clock, tmp_path)
    assert "(held until" not in cli("status", "-o", "wide").stdout
    records(cli, "schedule", "hold", "office", "--for", "2h")
    assert "running (held until 2026-03-23T22:00Z)" in cli("status", "-o", "wide").stdout


# -- the pure parts ---------------------------------------------------------------------------------------

MINUTES = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
).map(lambda when: when.replace(second=0, microsecond=0))
OTHER_TAGS = st.lists(
    st.sampled_from(
        ["team=nlp", MANAGED_TAG, "endpointctl-stack=prod", "bare", "x=1", "endpointctl-holder=x", "k=hold"]
    )
)
LAST = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)  # read at the end of time, no hold is too far ahead


@given(MINUTES, OTHER_TAGS)
def test_a_hold_tag_reads_back_as_the_minute_it_was_written_for(when: datetime, others: list[str]) -> None:
    tag = hold_tag(when)  # year 1 too: four digits, where %Y wrote "1"
    assert len(tag) == 31 and ":" not in tag
    assert read_hold([*others, tag], when) == when
    assert read_hold(with_hold([*others, tag, f"{HOLD_KEY}=junk"], when), when) == when
    assert without_hold(with_hold(others, when)) == tuple(others)
    assert read_hold(without_hold([*others, tag]), when) is None


@given(st.text(max_size=20))
def test_a_hold_value_reads_as_its_instant_only_when_written_as_one(value: str) -> None:
    found = read_hold([f"{HOLD_KEY}={value}"], LAST)
    assert found is not None
    if not isinstance(found, UnreadableHold):
        assert hold_tag(found) == f"{HOLD_KEY}={value}"


STOPPED_OR_AWAKE = st.sampled_from(
    [Status.RUNNING, Status.INITIALIZING, Status.SCALED_TO_ZERO, Status.PAUSED]
)
NIGHT = datetime(2026, 3, 23, 20, 0, tzinfo=UTC)


@given(
    st.timedeltas(min_value=timedelta(minutes=1), max_value=READ_AHEAD),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=14)),
    STOPPED_OR_AWAKE,
    st.sampled_from(["paused", "scaledToZero"]),
    st.integers(0, 1),
)
def test_held_state_wants_it_running_while_a_valid_hold_lasts(
    ahead: timedelta, shift: timedelta, status: Status, otherwise: str, floor: int
) -> None:
    at = (NIGHT + shift).replace(second=0, microsecond=0)
    until = (at + ahead).replace(second=0, microsecond=0)
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
    # Inside the window or held: running either way, and the hold is said where it made the difference.
    assert wanted.state is DesiredState.RUNNING
    assert wanted.held_until in (None, until)


def test_a_fixed_state_is_not_held_and_says_so() -> None:
    endpoint = live(tags=(MANAGED_TAG, hold_tag(NIGHT + timedelta(hours=5))))
    wanted = held_state(desired(state="paused"), endpoint, NIGHT)
    assert wanted.state is DesiredState.PAUSED and wanted.blocked is None
    (note,) = wanted.notes
    assert "not honoured" in note and "state: paused" in note


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("99991231T2359Z", "9999-12-31T23:59Z is more than 7 days ahead"),
        ("20621204T0800Z", "2062-12-04T08:00Z is more than 7 days ahead"),  # a typo for 2026
        ("20260331T2001Z", "more than 7 days ahead"),  # a minute beyond the day's slack
    ],
)
def test_a_hold_further_ahead_than_schedule_hold_sets_is_unreadable(value: str, says: str) -> None:
    endpoint = live(tags=(MANAGED_TAG, f"{HOLD_KEY}={value}"))
    wanted = held_state(desired(schedule=OFFICE), endpoint, NIGHT)
    assert wanted.state is DesiredState.PAUSED and wanted.blocked is not None
    assert says in wanted.blocked
    assert "`endpointctl schedule release gpt2-demo --namespace acme`" in wanted.blocked


def test_a_hold_within_the_days_slack_is_honoured() -> None:
    until = NIGHT + READ_AHEAD  # set on a machine whose clock runs a day ahead: still read
    wanted = held_state(desired(schedule=OFFICE), live(tags=(MANAGED_TAG, hold_tag(until))), NIGHT)
    assert (wanted.state, wanted.held_until, wanted.blocked) == (DesiredState.RUNNING, until, None)


def _recased(word: str, upper: list[bool]) -> str:
    return "".join(c.upper() if up else c for c, up in zip(word, upper + [False] * len(word), strict=False))


BLANKS = st.sampled_from(["", " ", "  ", "\t"])


@given(
    st.lists(st.booleans(), max_size=len(HOLD_KEY)),
    BLANKS,
    BLANKS,
    st.sampled_from(["=", ":"]),
    BLANKS,
    OTHER_TAGS,
)
def test_a_tag_spelt_nearly_as_the_hold_is_an_unreadable_hold_not_ignored(
    upper: list[bool], before: str, after: str, separator: str, then: str, others: list[str]
) -> None:
    tag = f"{before}{_recased(HOLD_KEY, upper)}{after}{separator}{then}20260324T0800Z"
    assume(tag != hold_tag(datetime(2026, 3, 24, 8, 0, tzinfo=UTC)))
    found = read_hold([*others, tag], NIGHT)
    assert isinstance(found, UnreadableHold) and found.tags == (tag,)
    wanted = held_state(desired(schedule=OFFICE), live(tags=(MANAGED_TAG, *others, tag)), NIGHT)
    assert wanted.blocked is not None and "schedule release" in wanted.blocked  # the stop is not made
    assert without_hold([*others, tag]) == tuple(others)  # and release removes it


def test_a_hold_shown_by_status_has_a_four_digit_year_and_only_while_it_lasts() -> None:
    start = datetime(1, 1, 1, tzinfo=UTC)
    endpoint = live(tags=(MANAGED_TAG, f"{HOLD_KEY}=00010102T0000Z"))
    assert hold_marker(endpoint, start) == " (held until 0001-01-02T00:00Z)"
    assert held_until(endpoint, start) == "0001-01-02T00:00:00+00:00"
    ended = datetime(1, 1, 2, tzinfo=UTC)
    assert (hold_marker(endpoint, ended), held_until(endpoint, ended)) == ("", None)

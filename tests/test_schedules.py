"""Schedules, pure: the syntax, state_at/transitions/running_hours against hand-computed days and an
independent minute-by-minute evaluation (DST included), and offline manifest validation."""

from __future__ import annotations

import io
import json
import pathlib
import random
from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml
from builders import BASE_DOC
from hypothesis import example, given, settings
from hypothesis import strategies as st

from endpointctl.cli import CommandEnv, main
from endpointctl.core.desired_state import DesiredState
from endpointctl.core.schedule import Schedule, Window, next_change, running_hours, state_at, transitions
from endpointctl.core.schedule_syntax import parse_days, parse_schedule, parse_window
from endpointctl.ui.sink import Output

RUNNING, PAUSED, ZERO = DesiredState.RUNNING, DesiredState.PAUSED, DesiredState.SCALED_TO_ZERO
BERLIN = "Europe/Berlin"


def at(text: str, zone: str = BERLIN) -> datetime:
    """A wall-clock time in ``zone`` (first showing of an ambiguous one)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def office(**extra: object) -> Schedule:
    return parse_schedule(BERLIN, ["Mon-Fri 08:00-20:00", "Sat 10:00-14:00"], **extra)  # type: ignore[arg-type]


# -- syntax -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Mon", {0}),
        ("Mon-Fri", {0, 1, 2, 3, 4}),
        ("Mon,Wed,Fri", {0, 2, 4}),
        ("Mon-Wed,Sat", {0, 1, 2, 5}),
        ("Fri-Mon", {4, 5, 6, 0}),
        ("daily", set(range(7))),
        ("sat,SUN", {5, 6}),
    ],
)
def test_days(text: str, days: set[int]) -> None:
    assert parse_days(text, text) == frozenset(days)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Mon-Fri 8:00-20:00", "malformed window"),
        ("Mon-Fri 08:00", "malformed window"),
        ("Mon-Fir 08:00-20:00", "did you mean 'Fri'"),
        ("Mon- 08:00-20:00", "not a list of days"),
        ("Mon 08:00-08:00", "ends when it starts"),
        ("Mon 24:00-02:00", "not a time of day"),
        ("Mon 08:60-09:00", "not a time of day"),
        ("Mon 08:00-24:30", "not a time of day"),
    ],
)
def test_malformed_windows_say_why(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_window(text)


def test_a_window_may_end_at_midnight_or_cross_it() -> None:
    assert parse_window("daily 00:00-24:00").end == 1440
    assert parse_window("Fri 22:00-02:00").crosses_midnight


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"timezone": "Europe/Berln"}, "did you mean 'Europe/Berlin'"),
        ({"otherwise": "running"}, "all the time"),
        ({"except_days": ["2026-12-31..2026-12-24"]}, "ends before it starts"),
        ({"except_days": ["24.12.2026"]}, "YYYY-MM-DD"),
        ({"holidays": "XX"}, "unknown country code"),
        ({"running": []}, "at least one"),
    ],
)
def test_schedule_problems(kwargs: dict[str, object], problem: str) -> None:
    args: dict[str, object] = {"timezone": BERLIN, "running": ["daily 08:00-09:00"], **kwargs}
    with pytest.raises(ValueError, match=problem):
        parse_schedule(**args)  # type: ignore[arg-type]


# -- evaluation, by hand --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wall", "state"),
    [
        ("2026-03-23T07:59", PAUSED),  # Monday
        ("2026-03-23T08:00", RUNNING),
        ("2026-03-23T19:59:59", RUNNING),
        ("2026-03-23T20:00", PAUSED),
        ("2026-03-28T10:30", RUNNING),  # Saturday
        ("2026-03-28T14:00", PAUSED),
        ("2026-03-29T12:00", PAUSED),  # Sunday
    ],
)
def test_state_at(wall: str, state: DesiredState) -> None:
    assert state_at(office(), at(wall)) is state
    # The same instant written in another zone is the same instant.
    assert state_at(office(), at(wall).astimezone(UTC)) is state


def test_otherwise_scaled_to_zero_and_naive_instants_are_refused() -> None:
    schedule = office(otherwise="scaledToZero")
    assert state_at(schedule, at("2026-03-23T21:00")) is ZERO
    with pytest.raises(ValueError, match="timezone-aware"):
        state_at(schedule, datetime(2026, 3, 23, 21))


def test_a_window_crossing_midnight_runs_into_the_next_day() -> None:
    schedule = parse_schedule(BERLIN, ["Fri 22:00-02:00"])
    assert state_at(schedule, at("2026-03-27T21:59")) is PAUSED
    assert state_at(schedule, at("2026-03-27T23:00")) is RUNNING
    assert state_at(schedule, at("2026-03-28T01:59")) is RUNNING  # Saturday
    assert state_at(schedule, at("2026-03-28T02:00")) is PAUSED
    assert state_at(schedule, at("2026-03-28T23:00")) is PAUSED  # Saturday opens no window
    assert running_hours(schedule, at("2026-03-23T00:00"), at("2026-03-30T00:00")) == 4.0


def test_except_days_and_holidays_beat_windows() -> None:
    schedule = office(except_days=["2026-12-24..2026-12-26", "2027-01-06"], holidays="DE")
    assert state_at(schedule, at("2026-12-23T12:00")) is RUNNING
    for day in ("2026-12-24", "2026-12-25", "2027-01-06"):
        assert state_at(schedule, at(f"{day}T12:00")) is PAUSED
    assert state_at(schedule, at("2027-01-05T12:00")) is RUNNING
    assert state_at(schedule, at("2026-10-03T12:00")) is PAUSED  # German Unity Day, a Saturday
    assert state_at(schedule, at("2026-05-01T12:00")) is PAUSED  # Labour Day, a Friday
    assert state_at(office(), at("2026-05-01T12:00")) is RUNNING


def test_a_subdivision_adds_its_own_holidays_to_its_countrys() -> None:
    """Epiphany (6 January) is a holiday in Bavaria, not in Germany as a whole nor in Berlin."""
    epiphany, unity_day = at("2026-01-06T12:00"), at("2026-10-05T12:00")  # a Tuesday; a Monday
    assert state_at(office(holidays="DE-BY"), epiphany) is PAUSED
    assert state_at(office(holidays="DE"), epiphany) is RUNNING
    assert state_at(office(holidays="DE-BE"), epiphany) is RUNNING
    assert state_at(office(holidays="DE-BY"), at("2026-05-01T12:00")) is PAUSED  # the country's too
    assert state_at(office(holidays="DE-BY"), unity_day) is RUNNING  # an ordinary Monday
    # The library's named areas are subdivisions too: Augsburg's peace festival, a Saturday in 2026.
    peace_festival = at("2026-08-08T12:00")
    assert state_at(office(holidays="DE-Augsburg"), peace_festival) is PAUSED
    assert state_at(office(holidays="DE-BY"), peace_festival) is RUNNING


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("DE-XX", "unknown subdivision 'XX' of DE"),
        ("DE-by", "did you mean 'DE-BY'"),
        ("US-CAL", "did you mean 'US-CA'"),
        ("DE-", "nothing after the '-'"),
        ("ZZ-BY", "unknown country code 'ZZ'"),
        ("de-BY", "did you mean 'DE'"),
    ],
)
def test_holiday_subdivisions_that_do_not_exist_are_refused(code: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        office(holidays=code)


def test_an_unknown_subdivision_lists_every_one_of_its_country() -> None:
    with pytest.raises(ValueError) as raised:
        office(holidays="US-XX")
    for code in ("AK", "CA", "WY", "VI"):  # the first, a middle, the last of the states, a territory
        assert f" {code}," in str(raised.value) or str(raised.value).endswith(f" {code}")
    assert "..." not in str(raised.value)


def test_an_except_day_stops_a_window_at_its_midnight_and_opens_none() -> None:
    # Fri 22:00-02:00 with Saturday excepted stops at midnight; with Friday excepted it never opens.
    saturday_off = parse_schedule(BERLIN, ["Fri 22:00-02:00"], except_days=["2026-03-28"])
    assert state_at(saturday_off, at("2026-03-27T23:00")) is RUNNING
    assert state_at(saturday_off, at("2026-03-28T00:30")) is PAUSED
    friday_off = parse_schedule(BERLIN, ["Fri 22:00-02:00"], except_days=["2026-03-27"])
    assert state_at(friday_off, at("2026-03-27T23:00")) is PAUSED
    assert state_at(friday_off, at("2026-03-28T00:30")) is PAUSED


def test_transitions_and_next_change() -> None:
    schedule = office()
    found = transitions(schedule, at("2026-03-27T12:00"), at("2026-03-30T12:00"))
    assert [(t.isoformat(), s.value) for t, s in found] == [
        ("2026-03-27T20:00:00+01:00", "paused"),
        ("2026-03-28T10:00:00+01:00", "running"),
        ("2026-03-28T14:00:00+01:00", "paused"),
        ("2026-03-30T08:00:00+02:00", "running"),  # after the clocks went forward
    ]
    assert next_change(schedule, at("2026-03-28T14:00")) == (at("2026-03-30T08:00"), RUNNING)
    # A change exactly at the start is a change in [start, end); next_change is strictly after.
    assert transitions(schedule, at("2026-03-30T08:00"), at("2026-03-30T09:00")) == [
        (at("2026-03-30T08:00"), RUNNING)
    ]
    assert next_change(schedule, at("2026-03-30T08:00")) == (at("2026-03-30T20:00"), PAUSED)
    assert next_change(parse_schedule(BERLIN, ["daily 00:00-24:00"]), at("2026-03-30T08:00")) is None


def test_next_change_looks_past_a_long_except_range() -> None:
    schedule = office(except_days=["2026-01-01..2026-12-31"])
    assert next_change(schedule, at("2026-02-01T12:00")) == (at("2027-01-01T08:00"), RUNNING)


def test_next_change_skips_decades_of_except_days_and_back_to_back_ranges() -> None:
    schedule = office(except_days=["2026-12-24..2026-12-31", "2027-01-01..2089-12-31", "2090-01-01"])
    # A Friday evening before the ranges: Saturday's window, as on any weekend.
    assert next_change(schedule, at("2026-12-18T21:00")) == (at("2026-12-19T10:00"), RUNNING)
    # The Wednesday evening before them: the first working morning after them all (Mon 2 January 2090).
    assert next_change(schedule, at("2026-12-23T21:00")) == (at("2090-01-02T08:00"), RUNNING)
    assert next_change(schedule, at("2050-06-01T12:00")) == (at("2090-01-02T08:00"), RUNNING)
    # Inside a window on the last day before the ranges: it closes at 20:00 as usual.
    assert next_change(schedule, at("2026-12-23T12:00")) == (at("2026-12-23T20:00"), PAUSED)


# -- DST: Berlin's last Sundays of March and October, New York's second Sunday of March, first of November


@pytest.mark.parametrize(
    ("zone", "day", "window", "hours"),
    [
        (BERLIN, "2026-03-29", "Sun 01:00-04:00", 2.0),  # 02:00 -> 03:00
        (BERLIN, "2026-10-25", "Sun 01:00-04:00", 4.0),  # 03:00 -> 02:00
        (BERLIN, "2026-03-29", "Sun 02:00-03:00", 0.0),  # the hour that never shows
        (BERLIN, "2026-10-25", "Sun 02:00-03:00", 2.0),  # the hour that shows twice
        (BERLIN, "2026-03-29", "Sun 02:30-05:00", 2.0),  # opens when the clock jumps to 03:00
        (BERLIN, "2026-10-25", "Sun 02:30-05:00", 3.5),  # from the first 02:30 to 05:00
        (BERLIN, "2026-10-25", "Sun 00:00-02:30", 3.5),  # to the last 02:30
        (BERLIN, "2026-10-25", "Sun 02:15-02:45", 1.5),  # from the first 02:15 to the last 02:45
        (BERLIN, "2026-03-28", "Sat 22:00-06:00", 7.0),  # across midnight and the change
        (BERLIN, "2026-10-24", "Sat 22:00-06:00", 9.0),
        (BERLIN, "2026-10-25", "Sun 00:00-24:00", 25.0),
        ("America/New_York", "2026-03-08", "Sun 00:00-05:00", 4.0),
        ("America/New_York", "2026-11-01", "Sun 00:00-05:00", 6.0),
        ("America/New_York", "2026-11-01", "Sun 01:30-02:00", 1.5),
        ("America/New_York", "2026-11-01", "Sun 00:00-01:30", 2.5),
    ],
)
def test_dst_days(zone: str, day: str, window: str, hours: float) -> None:
    schedule = parse_schedule(zone, [window])
    start = at(f"{day}T00:00", zone)
    assert running_hours(schedule, start, start + timedelta(days=3)) == hours
    assert running_hours(schedule, start, start + timedelta(days=3)) == _brute_hours(schedule, start, 3)


def test_a_month_with_a_dst_change() -> None:
    # March 2026 in Berlin: 22 weekdays x 12 h and 4 Saturdays x 4 h; the change falls on a Sunday.
    schedule = office()
    assert running_hours(schedule, at("2026-03-01T00:00"), at("2026-04-01T00:00")) == 22 * 12 + 4 * 4
    always = parse_schedule(BERLIN, ["daily 00:00-24:00"])
    assert running_hours(always, at("2026-03-01T00:00"), at("2026-04-01T00:00")) == 31 * 24 - 1
    assert running_hours(always, at("2026-10-01T00:00"), at("2026-11-01T00:00")) == 31 * 24 + 1


# -- an independent brute-force evaluation ----------------------------------------------------------------


def _oracle(schedule: Schedule, start: datetime, minutes: int) -> list[DesiredState]:
    """The state of each minute from ``start``, computed another way: a window opening on day D covers
    every minute whose wall time (date and time) lies in [D start, D(+1) end), and everything between
    the first of those and the last minute showing its end; except days as the README says."""
    zone = schedule.zone
    # A window spans at most a day of wall time, and at most an hour more where the clocks go back: with
    # this margin every minute of a window that reaches into the range lies on the grid.
    margin = 26 * 60
    first = int(start.timestamp()) - 60 * margin
    # Aware datetimes of one tzinfo compare (and sort) by their wall times, which is what is compared.
    walls = [datetime.fromtimestamp(first + 60 * i, zone) for i in range(minutes + 2 * margin)]
    # The grid's minutes in the order of their wall times: those whose wall time lies in [lo, hi) are
    # one slice of it, found by bisection, however often the clocks went back and forth (a scan of the
    # whole grid for every window of every day found the same minutes, several times slower).
    by_wall = sorted(range(len(walls)), key=walls.__getitem__)
    sorted_walls = [walls[i] for i in by_wall]

    def excepted(day: date) -> bool:  # the generated schedules name no holidays
        return any(a <= day <= b for a, b in schedule.except_days)

    covered = [False] * len(walls)
    for day_offset in range(-4, minutes // 1440 + 5):
        day = (start.astimezone(zone) + timedelta(days=day_offset)).date()
        if excepted(day):
            continue
        for window in schedule.windows:
            if day.weekday() not in window.days:
                continue
            lo = datetime.combine(day, datetime.min.time(), zone) + timedelta(minutes=window.start)
            end_day = day + timedelta(days=1) if window.end <= window.start else day
            hi = datetime.combine(end_day, datetime.min.time(), zone) + timedelta(minutes=window.end)
            inside = by_wall[bisect_left(sorted_walls, lo) : bisect_left(sorted_walls, hi)]
            if inside:
                # It closes at the last minute whose wall time is its end, where the end shows (twice
                # where the clocks go back to it); else after the last minute inside (a gap).
                ends = by_wall[bisect_left(sorted_walls, hi) : bisect_right(sorted_walls, hi)]
                stop = max(ends) if ends else max(inside) + 1
                covered[min(inside) : stop] = [True] * (stop - min(inside))
    return [
        RUNNING if covered[i] and not excepted(walls[i].date()) else schedule.otherwise
        for i in range(margin, margin + minutes)
    ]


def _brute_hours(schedule: Schedule, start: datetime, days: int) -> float:
    minutes = days * 24 * 60
    return sum(1 for s in _oracle(schedule, start, minutes) if s is RUNNING) / 60


ZONES = [BERLIN, "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Santiago", "UTC"]
# Quarter hours, often between 00:00 and 04:00, where clocks change.
times = st.integers(0, 24 * 4 - 1).map(lambda q: q * 15) | st.integers(0, 16).map(lambda q: q * 15)


@st.composite
def schedules(draw: st.DrawFn) -> tuple[Schedule, datetime]:
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    windows = []
    for _ in range(draw(st.integers(1, 3))):
        days = frozenset(draw(st.sets(st.integers(0, 6), min_size=1)))
        start = draw(times)
        end = draw(times.filter(lambda m, s=start: m != s) | st.just(1440))
        windows.append(Window(days, start, end, "generated"))
    # Around the DST changes of the zones above, and an ordinary week.
    base = draw(st.sampled_from([date(2026, 3, 7), date(2026, 3, 27), date(2026, 4, 4), date(2026, 10, 24)]))
    base += timedelta(days=draw(st.integers(0, 3)))
    excepted = draw(st.lists(st.integers(-1, 3), max_size=2))
    except_days = tuple((base + timedelta(days=d), base + timedelta(days=d)) for d in excepted)
    otherwise = draw(st.sampled_from([PAUSED, ZERO]))
    start = datetime.combine(base, datetime.min.time()).replace(tzinfo=zone)
    start += timedelta(minutes=draw(st.integers(0, 1439)))
    return Schedule(zone, tuple(windows), otherwise, except_days), start


def _minutes_to_check(
    first: datetime, expected: list[DesiredState], found: list[datetime], seed: int
) -> list[int]:
    """The minutes after ``first`` at which state_at is compared with the oracle: every one where the
    oracle's state or transitions' (``found``) changes and the one before it; every quarter hour of UTC
    and the minute before it, as every window edge, midnight and clock change of these zones (all at
    offsets of whole quarter hours) falls on one; and a random quarter of the rest. A wrong state_at that
    misplaces an edge by any amount is wrong at one of the first two kinds; only a state flipping and
    flipping back within one quarter hour, where nothing changes, is left to the random ones."""
    minutes = len(expected)
    check = {i for i in range(1, minutes) if expected[i] is not expected[i - 1]}
    check |= {int((t - first).total_seconds()) // 60 for t in found}
    check |= set(range(-first.minute % 15, minutes, 15))
    check |= {i - 1 for i in check}
    check |= set(random.Random(seed).sample(range(minutes), minutes // 4))
    return sorted(i for i in check if 0 <= i < minutes)


# The end shown twice where it is the very wall time the clocks go back to (Lord Howe's 02:00 -> 01:30,
# Berlin's 03:00 -> 02:00): the window closes at its last showing, the instant of the jump (README, DST).
LORD_HOWE_BACK = datetime(2026, 4, 4, 20, 0, tzinfo=ZoneInfo("Australia/Lord_Howe"))
BERLIN_BACK = datetime(2026, 10, 24, 20, 0, tzinfo=ZoneInfo(BERLIN))


@settings(max_examples=60, deadline=None)
@given(schedules(), st.integers(0, 2**32 - 1))
@example(
    (
        Schedule(LORD_HOWE_BACK.tzinfo, (Window(frozenset({6}), 0, 90, "Sun 00:00-01:30"),), PAUSED),
        LORD_HOWE_BACK,
    ),
    0,
)
@example(
    (
        Schedule(BERLIN_BACK.tzinfo, (Window(frozenset({6}), 60, 120, "Sun 01:00-02:00"),), PAUSED),
        BERLIN_BACK,
    ),
    0,
)
def test_state_at_agrees_with_a_minute_by_minute_evaluation(
    case: tuple[Schedule, datetime], seed: int
) -> None:
    schedule, start = case
    minutes = 2 * 24 * 60
    expected = _oracle(schedule, start, minutes)
    first = start.astimezone(UTC)
    end = first + timedelta(minutes=minutes)
    found = [(t.astimezone(UTC), s) for t, s in transitions(schedule, first + timedelta(minutes=1), end)]
    # state_at against the oracle at the minutes where a wrong one shows (_minutes_to_check): calling it
    # at all 2880 minutes of every example took seconds. The sample's seed is drawn, so that a failure
    # replays with the same minutes.
    checked = _minutes_to_check(first, expected, [t for t, _ in found], seed)
    wrong = [
        (i, got, expected[i])
        for i in checked
        if (got := state_at(schedule, first + timedelta(minutes=i))) is not expected[i]
    ]
    assert not wrong, f"(minute, state_at, oracle): {wrong[:10]}"
    # running_hours is the sum of the running minutes; transitions are where the minutes change.
    assert running_hours(schedule, first, end) == pytest.approx(expected.count(RUNNING) / 60, abs=1e-9)
    changes = [
        (first + timedelta(minutes=i), expected[i])
        for i in range(1, minutes)
        if expected[i] is not expected[i - 1]
    ]
    assert found == changes
    assert all(t.tzinfo is schedule.zone for t, _ in transitions(schedule, first, end))


# -- the manifest -------------------------------------------------------------------------------------------


def _validate(tmp_path: pathlib.Path, schedule: dict[str, object], **spec: object) -> tuple[int, list[dict]]:  # type: ignore[type-arg]
    doc = json.loads(json.dumps(BASE_DOC))
    doc["spec"]["schedule"] = schedule
    doc["spec"].update(spec)
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    out = Output(stdout=io.StringIO(), stderr=io.StringIO())
    code = main(["validate", str(tmp_path), "-o", "json"], env=CommandEnv(environ={}, out=out))
    return code, json.loads(out.stdout.getvalue())  # type: ignore[attr-defined]


GOOD = {
    "timezone": BERLIN,
    "running": ["Mon-Fri 08:00-20:00", "Sat 10:00-14:00"],
    "otherwise": "paused",
    "except": ["2026-12-24..2026-12-31", "2027-01-06"],
    "holidays": "DE",
}


def test_a_good_schedule_validates(tmp_path: pathlib.Path) -> None:
    code, records = _validate(tmp_path, GOOD)
    assert code == 0, records


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"timezone": "Mars/Olympus"}, "spec.schedule.timezone", "unknown time zone"),
        (
            {"running": ["Mon-Fri 08:00-20:00", "weekdays 9-5"]},
            "spec.schedule.running[1]",
            "malformed window",
        ),
        ({"running": ["Mon 10:00-10:00"]}, "spec.schedule.running[0]", "ends when it starts"),
        ({"holidays": "ZZ"}, "spec.schedule.holidays", "unknown country code"),
        ({"holidays": "DE-XY"}, "spec.schedule.holidays", "unknown subdivision 'XY' of DE"),
        ({"otherwise": "running"}, "spec.schedule.otherwise", "all the time"),
        ({"except": ["2026-02-30"]}, "spec.schedule.except[0]", "YYYY-MM-DD"),
        ({"timezone": None}, "spec.schedule.timezone", "expected a string"),
        ({"exceptions": []}, "spec.schedule.exceptions", "did you mean 'except'"),
    ],
)
def test_schedule_problems_exit_2_at_their_line(
    tmp_path: pathlib.Path, change: dict[str, object], path: str, words: str
) -> None:
    code, records = _validate(tmp_path, {**GOOD, **change})
    assert code == 2
    (record,) = records
    assert record["path"] == path and words in record["message"], record
    assert isinstance(record["line"], int) and record["line"] > 1


def test_a_schedule_and_a_state_together_are_refused(tmp_path: pathlib.Path) -> None:
    code, records = _validate(tmp_path, GOOD, state="running")
    assert code == 2
    (record,) = records
    assert record["path"] == "spec.state" and "schedule" in record["message"]


def test_the_schema_documents_the_schedule() -> None:
    out = Output(stdout=io.StringIO(), stderr=io.StringIO())
    assert main(["schema"], env=CommandEnv(environ={}, out=out)) == 0
    schema = json.loads(out.stdout.getvalue())  # type: ignore[attr-defined]
    properties = schema["$defs"]["ScheduleSpec"]["properties"]
    assert set(properties) == {"timezone", "running", "otherwise", "except", "holidays"}

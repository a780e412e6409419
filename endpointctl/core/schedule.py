"""PURE: when a scheduled endpoint should run, evaluated at any instant, exactly across DST changes.

A ``Schedule`` is parsed and validated (``core.schedule_syntax`` reads the manifest's text into one). The
rules, as the README states them:

- A window is wall-clock time in the schedule's zone: ``Mon-Fri 08:00-20:00`` runs from the instant the
  clock there reads 08:00 on a Monday to the instant it reads 20:00. An end at or before the start crosses
  midnight (``Fri 22:00-02:00`` ends on Saturday at 02:00); ``24:00`` is the end of the day.
- Precedence: ``except`` days and public holidays beat windows; windows beat ``otherwise``. An except day
  is ``otherwise`` for the whole calendar day in the zone, and a window that opens on an except day does
  not run at all, not even past midnight. A window that opens the evening before stops at its midnight.
- DST: a window opens at the first instant its start reads on the wall clock and closes at the last
  instant its end does, so on the day clocks go forward a window spanning 02:00-03:00 is an hour shorter
  (a start or end that never shows on the clock is the instant the clock jumps), and on the day they go
  back it is an hour longer.

Every instant taken or returned is timezone-aware; sums of time are taken in UTC, never on wall clocks.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from endpointctl.core.desired_state import DesiredState

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MINUTES_PER_DAY = 24 * 60
_EPSILON = timedelta(microseconds=1)
# How far ``next_change`` looks past the last except day: a window runs at least once a week, and no
# country's holidays span more than a few weeks, so nothing within this means nothing ever.
_HORIZON = timedelta(days=400)
_CHUNK = timedelta(days=31)
# The years an instant or a month asked for (``--at``, ``--from``, ``--month``) may fall in: far enough
# from the calendar's ends (years 1 and 9999) that the days around them, and a year ahead, exist.
YEARS = range(1900, 3000)


@dataclass(frozen=True)
class Window:
    """One running window: on each of ``days`` (0 = Monday), from ``start`` to ``end`` minutes after
    midnight; ``end <= start`` ends on the next day, and ``end == 1440`` is midnight."""

    days: frozenset[int]
    start: int
    end: int
    text: str  # as the manifest wrote it, for messages

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True)
class Schedule:
    zone: ZoneInfo
    windows: tuple[Window, ...]
    otherwise: DesiredState = DesiredState.PAUSED  # PAUSED or SCALED_TO_ZERO (checked when parsed)
    except_days: tuple[tuple[date, date], ...] = ()  # inclusive ranges of calendar days in the zone
    holidays: str | None = None  # a country the ``holidays`` library knows, e.g. "DE", or "DE-BY"

    @property
    def zone_name(self) -> str:
        return self.zone.key


# -- instants of wall-clock times ---------------------------------------------------------------------


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"a schedule needs a timezone-aware instant, got {instant.isoformat()}")
    return instant.astimezone(UTC)


def _first_at_offset(zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The instant in (low, high] where the zone's offset becomes ``high``'s, to the second (bisection)."""
    target = high.astimezone(zone).utcoffset()
    lo, hi = int(low.timestamp()), int(high.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, UTC).astimezone(zone).utcoffset() == target:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def wall_instant(zone: ZoneInfo, day: date, minutes: int, *, latest: bool) -> datetime:
    """The UTC instant the wall clock in ``zone`` reads ``minutes`` past midnight of ``day``.

    A time shown twice (clocks going back) is its first showing, or its last with ``latest``; a time never
    shown (clocks going forward) is the instant of the jump, the first whose wall time is later.
    """
    naive = datetime.combine(day, time()) + timedelta(minutes=minutes)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first == second:
        return first
    early, late = min(first, second), max(first, second)
    if first.astimezone(zone).replace(tzinfo=None) == naive:  # shown twice
        return late if latest else early
    return _first_at_offset(zone, early, late)  # in the gap


# -- which days count ---------------------------------------------------------------------------------


def split_region(code: str) -> tuple[str, str | None]:
    """``DE-BY`` -> ("DE", "BY"); ``DE`` -> ("DE", None): a country, then a subdivision after a "-"."""
    country, _, subdivision = code.partition("-")
    return country, subdivision or None


@functools.lru_cache(maxsize=256)
def _holiday_dates(region: str, year: int) -> frozenset[date]:
    import holidays as holiday_calendars  # slow to import: only for a schedule's holidays

    country, subdivision = split_region(region)
    return frozenset(holiday_calendars.country_holidays(country, subdiv=subdivision, years=year))


def is_except_day(schedule: Schedule, day: date) -> bool:
    """Whether ``day`` is ``otherwise`` all day: listed in ``except``, or a public holiday of its country."""
    if any(first <= day <= last for first, last in schedule.except_days):
        return True
    return schedule.holidays is not None and day in _holiday_dates(schedule.holidays, day.year)


@functools.lru_cache(maxsize=4096)
def _occurrences(schedule: Schedule, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """[open, close) in UTC of each window that opens on ``day``; none on an except day."""
    if is_except_day(schedule, day):
        return ()
    found = []
    for window in schedule.windows:
        if day.weekday() not in window.days:
            continue
        opens = wall_instant(schedule.zone, day, window.start, latest=False)
        close_day = day + timedelta(days=1) if window.crosses_midnight else day
        closes = wall_instant(schedule.zone, close_day, window.end, latest=True)
        if opens < closes:  # a window inside a skipped hour never opens
            found.append((opens, closes))
    return tuple(found)


def _local_day(schedule: Schedule, instant: datetime) -> date:
    return instant.astimezone(schedule.zone).date()


# -- evaluation ---------------------------------------------------------------------------------------


def state_at(schedule: Schedule, instant: datetime) -> DesiredState:
    """RUNNING inside a window (unless the day is an except day or a holiday), else ``otherwise``."""
    moment = _aware(instant)
    today = _local_day(schedule, moment)
    if is_except_day(schedule, today):
        return schedule.otherwise
    # A window closes at most a day after it opens; two days back also covers a fold across midnight.
    for back in (2, 1, 0):
        for opens, closes in _occurrences(schedule, today - timedelta(days=back)):
            if opens <= moment < closes:
                return DesiredState.RUNNING
    return schedule.otherwise


def _offset_changes(zone: ZoneInfo, start: datetime, end: datetime) -> Iterator[datetime]:
    """Each instant in (start, end] where the zone's UTC offset changes (hourly probes, then bisection)."""
    probe, offset = start, start.astimezone(zone).utcoffset()
    while probe < end:
        following = min(probe + timedelta(hours=1), end)
        now_offset = following.astimezone(zone).utcoffset()
        if now_offset != offset:
            yield _first_at_offset(zone, probe, following)
            offset = now_offset
        probe = following


def _candidates(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """Every instant in [start, end) where the state could change: windows opening and closing, local
    midnights (except days start and end there) and the zone's offset changes (the date can jump there)."""
    first_day = _local_day(schedule, start) - timedelta(days=2)
    last_day = _local_day(schedule, end) + timedelta(days=1)
    found: set[datetime] = set(_offset_changes(schedule.zone, start - timedelta(days=1), end))
    day = first_day
    while day <= last_day:
        for opens, closes in _occurrences(schedule, day):
            found.update((opens, closes))
        for latest in (False, True):
            found.add(wall_instant(schedule.zone, day, 0, latest=latest))
        day += timedelta(days=1)
    return sorted(c for c in found if start <= c < end)


def _changes(schedule: Schedule, start: datetime, end: datetime) -> Iterator[tuple[datetime, DesiredState]]:
    """(UTC instant, new state) for each change in [start, end); a change at ``start`` itself counts."""
    before = state_at(schedule, start - _EPSILON)
    for candidate in _candidates(schedule, start, end):
        state = state_at(schedule, candidate)
        if state is not before:
            yield candidate, state
            before = state


def transitions(schedule: Schedule, start: datetime, end: datetime) -> list[tuple[datetime, DesiredState]]:
    """Each change of state in [start, end), as aware datetimes in the schedule's zone.

    Subtract them after ``astimezone(UTC)``: Python subtracts two datetimes of one zone on the wall clock.
    """
    begin, finish = _aware(start), _aware(end)
    return [(at.astimezone(schedule.zone), state) for at, state in _changes(schedule, begin, finish)]


def last_change(schedule: Schedule, instant: datetime, within: timedelta) -> datetime | None:
    """The latest change at or before ``instant`` and after ``instant - within``, or None if there is none."""
    moment = _aware(instant)
    found = list(_changes(schedule, moment - within, moment + _EPSILON))
    return found[-1][0].astimezone(schedule.zone) if found else None


def _after_listed_except(schedule: Schedule, instant: datetime) -> datetime | None:
    """The local midnight that ends the run of listed ``except`` days ``instant`` falls in, or None."""
    day, ends = _local_day(schedule, instant), None
    while last := max((last for first, last in schedule.except_days if first <= day <= last), default=None):
        day = ends = last + timedelta(days=1)
    return None if ends is None else wall_instant(schedule.zone, ends, 0, latest=False)


def next_change(schedule: Schedule, instant: datetime) -> tuple[datetime, DesiredState] | None:
    """The first change strictly after ``instant`` (in the schedule's zone), or None if none ever comes.

    None too when none comes before the end of the calendar (year 9999): ``except`` may run that far.
    """
    try:
        return _next_change(schedule, _aware(instant) + _EPSILON)
    except OverflowError:
        return None


def _next_change(schedule: Schedule, begin: datetime) -> tuple[datetime, DesiredState] | None:
    last_except = max((last for _, last in schedule.except_days), default=_local_day(schedule, begin))
    limit = max(begin, datetime.combine(last_except, time(), UTC)) + _HORIZON
    while begin < limit:
        skip = _after_listed_except(schedule, begin)
        if skip is not None:  # nothing changes inside listed except days, however many years they span
            begin = skip
            continue
        found = next(_changes(schedule, begin, begin + _CHUNK), None)
        if found is not None:
            return found[0].astimezone(schedule.zone), found[1]
        begin += _CHUNK
    return None


def running_hours(schedule: Schedule, start: datetime, end: datetime) -> float:
    """Elapsed hours inside windows between two instants (except days and holidays applied), DST-exact."""
    begin, finish = _aware(start), _aware(end)
    if finish <= begin:
        return 0.0
    seconds = 0.0
    since, state = begin, state_at(schedule, begin)
    for at, new_state in _changes(schedule, begin + _EPSILON, finish):
        if state is DesiredState.RUNNING:
            seconds += (at - since).total_seconds()
        since, state = at, new_state
    if state is DesiredState.RUNNING:
        seconds += (finish - since).total_seconds()
    return seconds / 3600

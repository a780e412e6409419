"""PURE: a schedule's text, as a manifest writes it, read into a ``Schedule`` or refused with a message.

Each reader raises ``ValueError`` with a sentence that says what was found and what is allowed; the
manifest's pydantic model (``core.schedule_spec``) calls them, so the message lands on the key's line.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Sequence
from datetime import date
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from endpointctl.core.desired_state import DesiredState
from endpointctl.core.schedule import DAY_NAMES, MINUTES_PER_DAY, Schedule, Window, split_region
from endpointctl.core.suggest import did_you_mean

WINDOW_FORMAT = "'DAYS HH:MM-HH:MM', e.g. 'Mon-Fri 08:00-20:00', 'Sat,Sun 10:00-14:00' or 'daily 22:00-02:00'"
EXCEPT_FORMAT = "a day 'YYYY-MM-DD' or a range 'YYYY-MM-DD..YYYY-MM-DD'"
_WINDOW_RE = re.compile(r"^\s*(?P<days>\S+)\s+(?P<start>\d{2}:\d{2})\s*-\s*(?P<end>\d{2}:\d{2})\s*$")
_TIME_RE = re.compile(r"^(?P<hours>[01]\d|2[0-4]):(?P<minutes>[0-5]\d)$")
_DAY_INDEX = {name.lower(): index for index, name in enumerate(DAY_NAMES)}
_OTHERWISE = (DesiredState.PAUSED, DesiredState.SCALED_TO_ZERO)


def _minutes(text: str, window: str, *, end: bool) -> int:
    match = _TIME_RE.match(text)
    minutes = int(match["hours"]) * 60 + int(match["minutes"]) if match else -1
    # 24:00 ends a day; as a start, or 24:xx anywhere, it is no time on a clock.
    if match is None or minutes > MINUTES_PER_DAY or (minutes == MINUTES_PER_DAY and not end):
        allowed = "00:00 to 24:00" if end else "00:00 to 23:59"
        raise ValueError(f"window {window!r}: {text!r} is not a time of day ({allowed}, as HH:MM)")
    return minutes


def _day(text: str, window: str) -> int:
    index = _DAY_INDEX.get(text.lower())
    if index is None:
        close = difflib.get_close_matches(text.lower(), list(_DAY_INDEX), n=1)
        hint = f" (did you mean '{DAY_NAMES[_DAY_INDEX[close[0]]]}'?)" if close else ""
        raise ValueError(
            f"window {window!r}: unknown day {text!r}{hint}; days are {', '.join(DAY_NAMES)}, "
            "ranges such as Mon-Fri, lists such as Mon,Wed,Fri, or daily"
        )
    return index


def parse_days(text: str, window: str) -> frozenset[int]:
    """``Mon``, ``Mon-Fri`` (a range may wrap: ``Fri-Mon``), ``Mon,Wed,Fri``, ``Mon-Wed,Fri`` or ``daily``."""
    if text.lower() == "daily":
        return frozenset(range(7))
    days: set[int] = set()
    for item in text.split(","):
        first, dash, last = item.partition("-")
        if not first or (dash and not last):
            raise ValueError(f"window {window!r}: {text!r} is not a list of days; expected {WINDOW_FORMAT}")
        start = _day(first, window)
        stop = _day(last, window) if dash else start
        days.update((start + step) % 7 for step in range((stop - start) % 7 + 1))
    return frozenset(days)


def parse_window(text: str) -> Window:
    match = _WINDOW_RE.match(text)
    if match is None:
        raise ValueError(f"malformed window {text!r}: expected {WINDOW_FORMAT}")
    days = parse_days(match["days"], text)
    start = _minutes(match["start"], text, end=False)
    end = _minutes(match["end"], text, end=True)
    if end == start:
        raise ValueError(
            f"window {text!r} ends when it starts; for all day, write 00:00-24:00, and a window that "
            "crosses midnight ends earlier than it starts (22:00-02:00)"
        )
    return Window(days=days, start=start, end=end, text=text)


def parse_except(text: str) -> tuple[date, date]:
    """A day or an inclusive range of days, as (first, last)."""
    first_text, dots, last_text = text.strip().partition("..")
    try:
        first = date.fromisoformat(first_text.strip())
        last = date.fromisoformat(last_text.strip()) if dots else first
    except ValueError:
        raise ValueError(f"{text!r} is not {EXCEPT_FORMAT}") from None
    if last < first:
        raise ValueError(f"the range {text!r} ends before it starts")
    return first, last


@functools.cache
def iana_names() -> frozenset[str]:
    """The zone names the tzdata package lists: the same on every machine, unlike the system's directory,
    which also holds ``localtime`` (this machine's own zone, whatever it is) and files that are no zone."""
    return frozenset(resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split())


@functools.lru_cache(maxsize=64)
def load_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (from the tzdata package where the system has none), or a ValueError."""
    if name in iana_names():
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    close = difflib.get_close_matches(name, sorted(iana_names()), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise ValueError(f"unknown time zone {name!r}{hint}; expected an IANA name such as Europe/Berlin")


def check_country(code: str) -> str:
    """A country the ``holidays`` library knows (ISO 3166 alpha-2: DE, US, GB), optionally with one of its
    subdivisions after a "-" (ISO 3166-2: DE-BY, US-CA, ES-MD), whose own holidays then count too; or a
    ValueError saying which part is unknown."""
    import holidays as holiday_calendars  # slow to import: only for a schedule's holidays

    supported = holiday_calendars.list_supported_countries()
    country, subdivision = split_region(code)
    if country not in supported:
        hint = did_you_mean(country, list(supported))
        raise ValueError(
            f"unknown country code {country!r} for holidays{hint}; expected an ISO 3166 code such as DE, US "
            "or GB, optionally with a subdivision: DE-BY, US-CA"
        )
    if subdivision is None and code != country:
        raise ValueError(
            f"holidays {code!r}: nothing after the '-'; write {country} or {country}-SUBDIVISION"
        )
    if subdivision is None or subdivision in supported[country]:
        return code
    hint = did_you_mean(code, [f"{country}-{known}" for known in supported[country]])
    # Every one (the US has 57): a list cut short would hide the very code someone looks for.
    known = ", ".join(supported[country])
    raise ValueError(
        f"unknown subdivision {subdivision!r} of {country} for holidays{hint}; "
        + (f"{country}'s are: {known}" if known else f"{country} has none: write {country} alone")
    )


def check_otherwise(value: str) -> DesiredState:
    if value == DesiredState.RUNNING.value:
        raise ValueError(
            "otherwise: running would run the endpoint all the time; outside the windows it is paused or "
            "scaledToZero"
        )
    allowed = [state.value for state in _OTHERWISE]
    if value not in allowed:
        raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
    return DesiredState(value)


def parse_schedule(
    timezone: str,
    running: Sequence[str],
    otherwise: str = DesiredState.PAUSED.value,
    except_days: Sequence[str] = (),
    holidays: str | None = None,
) -> Schedule:
    """A whole schedule from its manifest text; raises ValueError at the first problem."""
    if not running:
        raise ValueError("a schedule needs at least one running window")
    return Schedule(
        zone=load_zone(timezone),
        windows=tuple(parse_window(text) for text in running),
        otherwise=check_otherwise(otherwise),
        except_days=tuple(parse_except(text) for text in except_days),
        holidays=None if holidays is None else check_country(holidays),
    )

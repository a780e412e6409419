"""PURE: the hold tag, ``endpointctl-hold=YYYYMMDDTHHMMZ``: keep a scheduled endpoint awake until then.

It lives on the endpoint, not in a file, because every runner must see it: a cron job in a CI container
shares no disk with the laptop that set it. The instant is UTC to the minute with no ':' (a tag is
``key=value``, and a ':' or an offset would only invite other spellings): 31 characters in all, under the
36 of the longest tag endpointctl writes elsewhere (the API's tag limit is unknown: core/tags.py).

Unknown is never read as either answer: a value that does not parse, or two hold tags, is ``UnreadableHold``,
and what depends on it (a stop) is blocked rather than guessed (core/scheduled.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from endpointctl.core.errors import UsageError
from endpointctl.core.tags import HOLD_KEY

# The longest `schedule hold` sets: long enough for a week's demo, short enough that a forgotten hold
# does not bill for a month. One written by hand further ahead is honoured, with its date said.
MAX_AHEAD = timedelta(days=7)
_FORMAT = "%Y%m%dT%H%MZ"
_VALUE_RE = re.compile(r"\d{8}T\d{4}Z")


@dataclass(frozen=True)
class UnreadableHold:
    """Hold tags that cannot be read as one instant: ``tags`` as found, and why."""

    tags: tuple[str, ...]
    why: str


def hold_tag(until: datetime) -> str:
    """The tag for ``until`` (timezone-aware), to the minute: seconds are dropped."""
    return f"{HOLD_KEY}={until.astimezone(UTC).strftime(_FORMAT)}"


def _is_hold(tag: str) -> bool:
    return tag.partition("=")[0] == HOLD_KEY


def read_hold(tags: Iterable[str]) -> datetime | UnreadableHold | None:
    """The instant the endpoint is held awake until (UTC), None without a hold tag, or ``UnreadableHold``."""
    found = tuple(tag for tag in tags if _is_hold(tag))
    if not found:
        return None
    if len(found) > 1:
        return UnreadableHold(found, f"{len(found)} hold tags, where one is set")
    _, sep, value = found[0].partition("=")
    if not sep or not _VALUE_RE.fullmatch(value):
        return UnreadableHold(found, "not a time in the form YYYYMMDDTHHMMZ")
    try:
        return datetime.strptime(value, _FORMAT).replace(tzinfo=UTC)
    except ValueError:  # digits that are no date (month 13, 25 o'clock)
        return UnreadableHold(found, "not a time that exists")


def with_hold(tags: Iterable[str], until: datetime) -> tuple[str, ...]:
    """``tags`` with every hold tag (a malformed or second one included) replaced by one for ``until``."""
    return (*without_hold(tags), hold_tag(until))


def without_hold(tags: Iterable[str]) -> tuple[str, ...]:
    """``tags`` without any hold tag; every other tag as it was, in its order."""
    return tuple(tag for tag in tags if not _is_hold(tag))


def hold_until(at: datetime, *, until: datetime | None, seconds: float | None) -> datetime:
    """The instant a hold asked for at ``at`` lasts until, to the minute (seconds dropped, so never later
    than asked); UsageError when it is not after ``at`` or more than ``MAX_AHEAD`` after it."""
    if (until is None) == (seconds is None):
        raise UsageError("give one of --until ISO-8601 and --for DURATION")
    flag = "--until" if until is not None else "--for"
    if seconds is not None and seconds > MAX_AHEAD.total_seconds():  # before a sum that could overflow
        raise UsageError(f"{flag}: a hold may last at most {MAX_AHEAD.days} days (7d)")
    asked = until if until is not None else at + timedelta(seconds=seconds or 0)
    when = asked.astimezone(UTC).replace(second=0, microsecond=0)
    if when <= at:
        shown = f"{when:%Y-%m-%dT%H:%MZ}"
        now = f"{at.astimezone(UTC):%Y-%m-%dT%H:%MZ}"
        raise UsageError(
            f"{flag}: a hold until {shown} (to the minute) is not in the future: it is {now} now"
        )
    if when - at > MAX_AHEAD:
        raise UsageError(
            f"{flag}: a hold until {when:%Y-%m-%dT%H:%MZ} is more than {MAX_AHEAD.days} days ahead; "
            "hold it again later, or change the manifest's schedule"
        )
    return when

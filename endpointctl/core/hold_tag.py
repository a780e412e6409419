"""PURE: the hold tag, ``endpointctl-hold=YYYYMMDDTHHMMZ``: keep a scheduled endpoint awake until then.

It lives on the endpoint, not in a file, because every runner must see it: a cron job in a CI container
shares no disk with the laptop that set it. The instant is UTC to the minute with no ':' (a tag is
``key=value``, and a ':' or an offset would only invite other spellings): 31 characters in all, under the
36 of the longest tag endpointctl writes elsewhere (the API's tag limit is unknown: core/tags.py).

Unknown is never read as either answer: a value that does not parse, two hold tags, a tag that is meant as
one but spelt otherwise (``Endpointctl-Hold=...``, ``endpointctl-hold:...``, blanks around the key), or an
instant further ahead than ``schedule hold`` ever sets (a typo's year 2062 kept it awake for good) is
``UnreadableHold``, and what depends on it (a stop) is blocked rather than guessed (core/scheduled.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from endpointctl.core.errors import UsageError
from endpointctl.core.tags import HOLD_KEY

# The longest `schedule hold` sets: long enough for a week's demo, short enough that a forgotten hold
# does not bill for a month.
MAX_AHEAD = timedelta(days=7)
# A hold read further ahead than this was not set by `schedule hold` (a hand-written one, a typo): not
# honoured. The day beyond MAX_AHEAD is for a reader whose clock runs behind the setter's.
READ_AHEAD = MAX_AHEAD + timedelta(days=1)
_FORMAT = "%Y%m%dT%H%MZ"
_VALUE_RE = re.compile(r"\d{8}T\d{4}Z")
_KEY_END = re.compile("[=:]")


@dataclass(frozen=True)
class UnreadableHold:
    """Hold tags that cannot be read as one instant: ``tags`` as found, and why."""

    tags: tuple[str, ...]
    why: str


def hold_tag(until: datetime) -> str:
    """The tag for ``until`` (timezone-aware), to the minute: seconds are dropped."""
    when = until.astimezone(UTC)
    return f"{HOLD_KEY}={when.year:04d}{when:%m%dT%H%MZ}"  # %Y writes year 1 as "1" on glibc


def minute_text(when: datetime) -> str:
    """``2026-03-24T08:00Z``: an instant in UTC to the minute, the year in four digits (``%Y`` is not)."""
    when = when.astimezone(UTC)
    return f"{when.year:04d}-{when:%m-%dT%H:%MZ}"


def is_hold_tag(tag: str) -> bool:
    """Meant as a hold tag: its key, blanks dropped and case folded, is ``endpointctl-hold``, whether '='
    or ':' follows. Only the exact spelling is read; the others are kept from being ignored (a stop made
    under a hold someone meant) by being unreadable."""
    key = _KEY_END.split(tag, maxsplit=1)[0]
    return "".join(key.split()).casefold() == HOLD_KEY


def read_hold(tags: Iterable[str], at: datetime) -> datetime | UnreadableHold | None:
    """The instant the endpoint is held awake until (UTC; it may have passed ``at``), None without a hold
    tag, or ``UnreadableHold``: also one more than ``READ_AHEAD`` after ``at``."""
    found = tuple(tag for tag in tags if is_hold_tag(tag))
    if not found:
        return None
    if len(found) > 1:
        return UnreadableHold(found, f"{len(found)} hold tags, where one is set")
    key, sep, value = found[0].partition("=")
    if key != HOLD_KEY:
        return UnreadableHold(found, f"not spelt {HOLD_KEY}=YYYYMMDDTHHMMZ")
    if not sep or not _VALUE_RE.fullmatch(value):
        return UnreadableHold(found, "not a time in the form YYYYMMDDTHHMMZ")
    try:
        until = datetime.strptime(value, _FORMAT).replace(tzinfo=UTC)
    except ValueError:  # digits that are no date (month 13, 25 o'clock)
        return UnreadableHold(found, "not a time that exists")
    if until - at > READ_AHEAD:
        return UnreadableHold(
            found,
            f"{minute_text(until)} is more than {MAX_AHEAD.days} days ahead, further than "
            "`schedule hold` sets",
        )
    return until


def with_hold(tags: Iterable[str], until: datetime) -> tuple[str, ...]:
    """``tags`` with every hold tag (a malformed or second one included) replaced by one for ``until``."""
    return (*without_hold(tags), hold_tag(until))


def without_hold(tags: Iterable[str]) -> tuple[str, ...]:
    """``tags`` without any hold tag; every other tag as it was, in its order."""
    return tuple(tag for tag in tags if not is_hold_tag(tag))


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
        shown = minute_text(when)
        now = minute_text(at)
        raise UsageError(
            f"{flag}: a hold until {shown} (to the minute) is not in the future: it is {now} now"
        )
    if when - at > MAX_AHEAD:
        raise UsageError(
            f"{flag}: a hold until {minute_text(when)} is more than {MAX_AHEAD.days} days ahead; "
            "hold it again later, or change the manifest's schedule"
        )
    return when

"""PURE: an endpoint's log lines and replicas as endpointctl reads them, and the choices made about them.

The service's logs routes answer text lines (README, "Seeing what happens"); which part of a line is its
time is not documented, so a line is read as dated when it *starts* with an RFC 3339 timestamp, and
``--since`` (which the routes do not take) is applied here, on those dates. A line without a date is a
continuation of the line before it (a traceback's lines), and goes with it.

Log lines are what a container printed: they may echo a secret. Lines are scrubbed by the redactor like
every other text (it knows the token and the loaded manifests' secret values), and anything shaped like a
Hugging Face token is masked here too, since the API never says which values an endpoint's secrets hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from endpointctl.core.durations import parse_duration
from endpointctl.core.redact import TOKEN_PREFIXES

# --tail: what is asked for by default, and the most one request may ask for.
DEFAULT_TAIL = 200
MAX_TAIL = 10_000
# Characters of one line the service is asked for (``line_max_length``), and the most kept of a line a
# server sends longer anyway; the rest is cut, and the cut marked.
LINE_MAX_LENGTH = 2_000
CUT_MARK = "…"
# What a failed or timed-out wait shows of the endpoint's logs: its last lines, each cut to a width.
WAIT_TAIL = 20
WAIT_LINE_WIDTH = 200
# --since: the service keeps logs for 30 days.
MAX_SINCE_SECONDS = 30 * 24 * 3600

# An RFC 3339 date and time at the very start of a line (a space instead of the T too, as some loggers
# write it); its fraction and offset are optional, a missing offset read as UTC.
_STAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?"
    r"(Z|z|[+-]\d{2}:?\d{2})?(?=$|[\s\]|,;])"
)
# A Hugging Face user or organization token: never shown, whoever's it is.
TOKEN_LIKE = re.compile(r"\b(" + "|".join(map(re.escape, TOKEN_PREFIXES)) + r")[A-Za-z0-9]{20,}")


def parse_since(text: str) -> float:
    """Seconds in a duration like ``30s``, ``10m``, ``2h``, ``1d`` or ``1h30m``; ValueError saying why not."""
    seconds = parse_duration(text)
    if seconds > MAX_SINCE_SECONDS:
        raise ValueError(f"{text!r} is more than 30d, as long as the service keeps logs")
    return seconds


def line_time(line: str) -> float | None:
    """The epoch seconds of the timestamp a line starts with; None when it starts with none."""
    found = _STAMP.match(line)
    if found is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = found.groups()
    zone = "+00:00" if offset is None or offset in ("Z", "z") else offset
    if len(zone) == 5:  # +0200
        zone = f"{zone[:3]}:{zone[3:]}"
    micros = (fraction or "0")[:6].ljust(6, "0")
    try:
        when = datetime.fromisoformat(f"{year}-{month}-{day}T{hour}:{minute}:{second}.{micros}{zone}")
    except ValueError:  # a date that is not one (month 13, 25 o'clock)
        return None
    return when.timestamp()


@dataclass
class SinceFilter:
    """``--since``: keeps the lines dated at or after ``cutoff`` (epoch seconds), one line at a time, so it
    serves a stream as well as a list. An undated line goes with the dated line before it; those before
    any dated line are kept (nothing says they are old). ``dated`` tells whether any line had a date."""

    cutoff: float | None
    dated: bool = False
    _keeping: bool = True

    def keep(self, line: str) -> bool:
        if self.cutoff is None:
            return True
        when = line_time(line)
        if when is not None:
            self.dated = True
            self._keeping = when >= self.cutoff
        return self._keeping

    def apply(self, lines: Iterable[str]) -> list[str]:
        return [line for line in lines if self.keep(line)]


def mask_tokens(text: str) -> str:
    """Anything shaped like a Hugging Face token, masked: ``hf_***``."""
    return TOKEN_LIKE.sub(lambda m: f"{m.group(1)}***", text)


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, the cut marked (scrub before cutting: a cut secret's start
    is masked only where the redactor sees the mark)."""
    return text if len(text) <= width else text[: max(0, width - len(CUT_MARK))] + CUT_MARK


@dataclass(frozen=True)
class LogTail:
    """An endpoint's last log lines, as a failed or timed-out wait shows them, or why they are not there."""

    lines: tuple[str, ...] = ()
    unavailable: str | None = None  # "logs unavailable: <this>"


@dataclass(frozen=True)
class Replica:
    """One replica as the replica list reports it. Its schema is not documented: every field may be
    absent (None: unknown, shown as such), and whatever else an entry carries is kept in ``other``."""

    id: str | None
    status: str | None
    created_at: str | None = None
    message: str | None = None
    other: dict[str, str] = field(default_factory=dict)


def sse_data(line: str) -> str | None:
    """A log line from one line of a server-sent event stream: the text of a ``data:`` field; None for a
    comment (a keep-alive), a blank line between events, or another field (``event:``, ``id:``)."""
    if line.startswith("data:"):
        data = line[5:]
        return data[1:] if data.startswith(" ") else data
    if line == "data":
        return ""
    return None


def lines_of(texts: Iterable[str]) -> Iterator[str]:
    """Each text's lines: a multi-line log message becomes lines of its own."""
    for text in texts:
        yield from text.splitlines() or [""]

"""Showing a wait: a live table on a terminal, timestamped lines in CI, nothing with --quiet.

The engine's waiter only calls ``update`` and ``done``; these classes decide what a person sees.
Every text cell passes the Output's redactor, including the live table, which rich writes itself. A name,
state or message the API returned is then shown on one line with its control characters escaped
(``printable``), and handed to rich as plain ``Text``: as a str rich would read ``[red]`` or ``[link=...]``
in it as markup (and fail on ``[/red]``), and ``:smile:`` as an emoji.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import TextIO

from endpointctl.core.outcomes import WaitOutcome, WaitReport
from endpointctl.core.redact import Redactor
from endpointctl.ui import logs
from endpointctl.ui.escapes import printable
from endpointctl.ui.render import elapsed_text
from endpointctl.ui.sink import Output

WallClock = Callable[[], float]  # seconds since the epoch


def timestamp(wall: float) -> str:
    return datetime.fromtimestamp(wall, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def summary(report: WaitReport) -> str:
    counts: dict[WaitOutcome, int] = {}
    for e in report.endpoints:
        counts[e.outcome] = counts.get(e.outcome, 0) + 1
    parts = [f"{n} {outcome.value}" for outcome in WaitOutcome if (n := counts.get(outcome, 0))]
    return f"waited {elapsed_text(report.elapsed)}: {', '.join(parts) or 'nothing to wait for'}"


def shown(redactor: Redactor, text: str) -> str:
    """What the API said, for one line: scrubbed, then escaped (escaping first would hide a secret)."""
    return printable(redactor.scrub(text))


def _arrow(stream: TextIO) -> str:
    # A CI runner with an ASCII or cp1252 stream would fail on the arrow.
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return "→"
    try:
        "→".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "->"
    return "→"


class ProgressDisplay:
    """A display is also a context manager, so a live one is stopped whatever happens."""

    def update(self, key: str, state: str, message: str, elapsed: float, *, final: bool = False) -> None:
        pass

    def done(self, report: WaitReport) -> None:
        pass

    def __enter__(self) -> ProgressDisplay:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        pass


class QuietDisplay(ProgressDisplay):
    """--quiet: nothing while waiting; the final result is printed by the command."""


class PlainDisplay(ProgressDisplay):
    """Without a terminal: one line per change of state (or message), with a UTC timestamp."""

    def __init__(self, out: Output, wall: WallClock) -> None:
        self._out = out
        self._wall = wall
        self._last: dict[str, tuple[str, str]] = {}
        self._arrow = _arrow(out.stderr)

    def update(self, key: str, state: str, message: str, elapsed: float, *, final: bool = False) -> None:
        previous = self._last.get(key)
        if previous == (state, message):
            return
        self._last[key] = (state, message)
        moved = previous is not None and previous[0] != state
        states = f"{previous[0]} {self._arrow} {state}" if moved and previous else state
        # One line each, even when a message holds a newline: a line that looks like ours is ours.
        line = " ".join(shown(self._out.redactor, part) for part in (key, states))
        self._out.info(f"{timestamp(self._wall())} {line}: {shown(self._out.redactor, message)}")

    def done(self, report: WaitReport) -> None:
        self._out.info(f"{timestamp(self._wall())} {summary(report)}")


def choose(out: Output, *, quiet: bool, wall: WallClock, now: Callable[[], float]) -> ProgressDisplay:
    """The display for this stream: quiet, live on a terminal, plain lines otherwise."""
    if quiet:
        return QuietDisplay()
    isatty = getattr(out.stderr, "isatty", None)
    if callable(isatty) and isatty():
        # rich only where it draws: a pipe, a CI log or a file never loads it (~40 ms).
        from endpointctl.ui import live_display

        return live_display.on_terminal(out, now)
    return PlainDisplay(out, wall)


def report_problems(out: Output, report: WaitReport) -> None:
    """One error per endpoint not ready, with its last status and message and what to do next."""
    for e in report.not_ready:
        # Each on one line, like the progress lines: a newline in a message would forge the next error.
        # (A hint may quote the endpoint too: its health route.)
        key, status, message = (shown(out.redactor, text) for text in (e.target.key, e.status, e.message))
        hint = None if e.hint is None else shown(out.redactor, e.hint)
        if e.outcome is WaitOutcome.FAILED:
            out.error(message, hint)
        elif e.outcome is WaitOutcome.TIMEOUT:
            out.error(
                f"timed out after {elapsed_text(report.timeout)}: '{key}' is still {status}: {message}",
                hint or f"wait longer with --timeout SECONDS, or look at `{e.target.command('status')}`",
            )
        if e.outcome in (WaitOutcome.FAILED, WaitOutcome.TIMEOUT):
            # Part of the error, so shown with --quiet too: what the endpoint's containers last printed.
            for line in logs.tail_lines(e, out.redactor.scrub):
                out.diagnostic(line)
        else:
            out.error(f"stopped waiting for '{key}' ({status}: {message}); nothing was changed")

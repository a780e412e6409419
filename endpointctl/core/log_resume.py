"""PURE: following a log stream on after it ended or broke off, no line twice, and none lost unsaid.

The logs routes take no cursor (no ``since``, no ``Last-Event-ID`` is documented [U]), so a reconnect asks
for the last ``RESUME_TAIL`` lines again, and the new stream starts with lines already shown. ``Seen``
remembers the last lines received; ``Rejoin`` reads the new stream against them, on the RFC 3339
timestamp each line starts with (``line_time``; an undated line goes with the dated line before it):

- a line dated before the last dated line received is old: skipped;
- lines dated at that same time (and the undated lines after them) may be old or new: held until they
  end with the lines received at that time (then those are old, and what follows is new), or until a
  later line comes (then the longest run of them that continues what was received is old);
- a line dated after it is new, and so is every line after it.

With nothing dated received, the last ``MATCHED`` lines received are looked for as a whole in the new
stream: held until found, or until more lines came than the window holds (its lines were then all
replayed, and what follows is new). Equal lines at one time are told apart only by where they stand:
the run that matches most of what was received is taken as what was received.

When the new stream holds neither a line older than the last one received nor that line itself, the
window did not reach back to it: lines printed meanwhile may be missing, and ``Rejoin.missing`` says so
rather than pretending they were all shown.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from endpointctl.core.logs import line_time

# Lines a reconnect asks for again: enough to reach back over a reconnect's wait on a busy endpoint, few
# enough to be read and scrubbed again at once (MAX_TAIL would be 20 MB of 2000-character lines).
RESUME_TAIL = 1_000
# The last lines received that a new stream is matched against: enough to be told apart from other
# lines, far fewer than RESUME_TAIL, so that a window which reaches back finds them all.
MATCHED = 50


@dataclass
class Seen:
    """The last lines received (before --since: the server's order is what is matched), and the time of
    the last dated one. ``since(t)``: nothing received yet, but a line before ``t`` is not wanted
    (``--tail 0`` asked for no line older than the first connection)."""

    lines: deque[str] = field(default_factory=lambda: deque(maxlen=MATCHED))
    last_time: float | None = None

    def add(self, line: str) -> None:
        when = line_time(line)
        if when is not None:
            self.last_time = when
        self.lines.append(line)

    def restart(self, lines: list[str]) -> None:
        """What was received is ``lines`` alone: after a gap, the lines before it are no run of the
        server's lines with what follows, and a later stream matched against them would find nothing."""
        self.lines.clear()
        self.last_time = None
        for line in lines:
            self.add(line)

    def since(self, when: float) -> None:
        if self.last_time is None:
            self.last_time = when

    def group(self) -> list[str]:
        """The lines received at the last dated time: from the first kept line dated then (undated lines
        before it belong to an earlier one). With nothing dated received, every kept line."""
        kept = list(self.lines)
        if self.last_time is None:
            return kept
        start = len(kept)
        for index in range(len(kept) - 1, -1, -1):
            when = line_time(kept[index])
            if when is None:
                continue
            if when != self.last_time:
                break
            start = index
        return kept[start:]


class Rejoin:
    """One new stream read against what was received: ``feed`` each line, and pass on what it returns
    (each line it returns is added to ``seen``). ``finish`` when the stream ends cleanly: the lines still
    held are judged as they are. ``missing`` is set once the window proved not to reach back."""

    def __init__(self, seen: Seen, window: int) -> None:
        self._seen = seen
        self._window = window
        self._last = seen.last_time
        self._group = seen.group()
        self._held: list[str] = []
        # This stream's lines read so far, skipped ones included (a run of the server's lines, as
        # ``Seen`` must hold): what was received, once a gap is found.
        self._consumed: deque[str] = deque(maxlen=MATCHED)
        self._read = 0  # lines of this stream read, skipped ones included: the window's lines come first
        self._time: float | None = None  # the time of the last dated line of this stream
        self._older = False  # a line older than the last one received came: the window reached back
        self._joined = not self._group and self._last is None  # nothing received: every line is new
        self.missing = False

    @property
    def joined(self) -> bool:
        return self._joined

    def feed(self, line: str) -> list[str]:
        if self._joined:
            self._seen.add(line)
            return [line]
        self._read += 1
        self._consumed.append(line)
        dated = line_time(line)
        if dated is not None:
            self._time = dated
        if self._last is not None:
            if self._time is None or self._time < self._last:
                # Older, or undated before this stream's first date (the end of a line the window cut).
                self._older = self._older or self._time is not None
                return self._when_full()
            if self._time > self._last or not self._group:
                return self._join(self._best(), also=[line])
        self._held.append(line)
        if self._ends_with_group():
            return self._join(len(self._held))
        return self._when_full()

    def finish(self) -> list[str]:
        """What the held lines' new ones are, the stream having ended before it was clear where they
        stand: none yet. A stream that ends cleanly before its window came whole (a proxy, a server
        closing it) leaves them undecided, as a break does; they are judged on the next stream, or once
        a later line comes (a window that came whole decides on its last line: ``_when_full``)."""
        return []

    def _when_full(self) -> list[str]:
        # The window's lines all came: whatever comes next is new, and what is held is judged now.
        return self._join(self._best()) if self._read >= self._window else []

    def _ends_with_group(self) -> bool:
        group, held = self._group, self._held
        if not group or len(held) < len(group) or held[-1] != group[-1]:
            return False
        return held[-len(group) :] == group

    def _best(self) -> int:
        """How many held lines are old: the longest start of them that the lines received end with."""
        group, held = self._group, self._held
        for count in range(min(len(group), len(held)), 0, -1):
            if held[:count] == group[-count:]:
                return count
        return 0

    def _join(self, old: int, also: list[str] | None = None) -> list[str]:
        # Reached back: a line older than the last received came, or the last received lines were found.
        self.missing = bool(self._group) and not (self._older or old > 0)
        new = self._held[old:] + (also or [])
        if self.missing:
            consumed = list(self._consumed)
            self._seen.restart(consumed[: max(len(consumed) - len(new), 0)])
        for line in new:
            self._seen.add(line)
        self._held = []
        self._joined = True
        return new

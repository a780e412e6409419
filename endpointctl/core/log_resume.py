"""PURE: following a log stream on after it ended or broke off, no entry twice, and none lost unsaid.

The logs routes take no cursor (no ``since``, no ``Last-Event-ID`` is documented [U]), so a reconnect asks
for the last ``RESUME_TAIL`` entries again, and the new stream starts with entries already shown. An entry
is what the server counts in ``tail``: one server-sent event, all of its lines (a traceback is one entry);
one line of a plain-text stream. ``Seen`` remembers what was received; ``Rejoin`` reads the new stream
against it, on the RFC 3339 timestamp an entry starts with (``line_time``; an undated entry goes with the
dated one before it):

- an entry dated before the latest time received is old: skipped (a replica's late line included: what
  was received is taken as shown);
- an entry dated at that same time is old while it is one of the entries received at that time (counted:
  equal entries are told apart by how many came), and new once it is not; the order they come in does not
  matter (a server may sort replicas' lines again on each read);
- an entry dated after it is new, and so is every entry after it. The count of entries read is not
  trusted here: a server that sends more than ``tail`` asked, or counts lines, cannot make old lines new.

With nothing dated received, the last ``MATCHED`` entries received are looked for as a run in the new
stream: held until found, or until the window's ``tail`` entries all came, or the server goes quiet (a
keep-alive comment: it sent all it had); what follows is then new. Equal entries are told apart only by
where they stand: the start of the held run that ends what was received is taken as what was received.
Undated entries a dated window begins with (of an entry it cut) are placed the same way, by the entry
after them. Entries are remembered by a digest each, and what is held is bounded (``HELD_CHARS``).

When the new stream holds none of the entries received at the latest time and nothing older, the window
did not reach back: entries printed meanwhile may be missing, and ``Rejoin.missing`` says so rather than
pretending they were all shown.
"""

from __future__ import annotations

import hashlib
from collections import Counter, deque
from dataclasses import dataclass, field

from endpointctl.core.defaults import API_ANSWER_BYTES
from endpointctl.core.logs import line_time

# Entries a reconnect asks for again: enough to reach back over a reconnect's wait on a busy endpoint, few
# enough to be read and scrubbed again at once (MAX_TAIL would be 20 MB of 2000-character lines).
RESUME_TAIL = 1_000
# The last undated entries received that a new stream is matched against: enough to be told apart from
# other entries, far fewer than RESUME_TAIL, so that a window which reaches back finds them all.
MATCHED = 50

Entry = tuple[str, ...]  # one log entry's lines, as the server sent them
# What is remembered of an entry received: enough to know it again, a few bytes whatever its size (a
# server's entries at one time could otherwise hold gigabytes).
Digest = bytes
# Characters of undated entries held before they can be placed: past it, they are placed at once.
HELD_CHARS = API_ANSWER_BYTES


def entry_time(entry: Entry) -> float | None:
    return line_time(entry[0]) if entry else None


def digest(entry: Entry) -> Digest:
    # Lines hold no newline (the hub splits them there), so joining on one is unambiguous.
    return hashlib.blake2b("\n".join(entry).encode(errors="surrogatepass"), digest_size=16).digest()


@dataclass
class Seen:
    """What was received: the last entries (in the server's order: what an undated stream is matched
    against), the latest time of a dated one, and the entries received at that time. ``since(t)``: nothing
    received yet, but nothing before ``t`` is wanted (``--tail 0`` asked for no older entry)."""

    entries: deque[Digest] = field(default_factory=lambda: deque(maxlen=MATCHED))
    last_time: float | None = None
    # At the latest time: as many as a reconnect can replay (more could never be matched anyway).
    at_last: deque[Digest] = field(default_factory=lambda: deque(maxlen=RESUME_TAIL))
    # The time of the last dated entry: an undated one goes with it.
    _carried: float | None = field(default=None, init=False)

    def add(self, entry: Entry) -> None:
        self.record(entry_time(entry), digest(entry))

    def record(self, when: float | None, entry: Digest) -> None:
        """An entry received, by its own time (None: undated) and its digest."""
        if when is None:
            when = self._carried
        self._carried = when
        if when is None:
            if self.last_time is None:
                self.at_last.append(entry)  # before any date: it may be at the first one
        elif self.last_time is None or when > self.last_time:
            if self.last_time is not None:
                self.at_last.clear()
            self.last_time = when
            self.at_last.append(entry)
        elif when == self.last_time:
            self.at_last.append(entry)
        self.entries.append(entry)

    def restart(self, entries: list[Digest]) -> None:
        """The run received is ``entries`` alone: after a gap, the entries before it are no run of the
        server's with what follows, and a later stream matched against them would find nothing. (What
        was received at the latest time is known by what it is, not where it stands: it is kept.)"""
        self.entries.clear()
        self.entries.extend(entries)

    def since(self, when: float) -> None:
        if self.last_time is None:
            self.last_time = when


class Rejoin:
    """One new stream read against what was received: ``feed`` each entry, and pass on the lines it
    returns (each entry they come from is added to ``seen``); an empty entry says the server went quiet.
    A stream that ends or breaks off leaves what is held undecided: the next stream sends it again.
    ``missing`` is set once the window proved not to reach back. A ``window`` of 0 replays nothing: every
    entry is new."""

    def __init__(self, seen: Seen, window: int) -> None:
        self._seen = seen
        self._window = window
        self._last = seen.last_time
        self._pending = Counter(seen.at_last)  # received at the latest time, not found again yet
        self._expected = bool(seen.at_last)  # something dated was received: the window should reach it
        self._found = False  # an entry older than the latest time, or one received at it, came
        self._run = list(seen.entries)
        self._held: list[tuple[Entry, Digest]] = []
        self._held_chars = 0
        # This stream's entries read so far, skipped ones included (a run of the server's, as ``Seen``
        # must hold): what was received, once a gap is found.
        self._consumed: deque[Digest] = deque(maxlen=MATCHED)
        self._read = 0
        self._quiets = 0  # keep-alives received
        self._time: float | None = None  # of this stream's last dated entry
        self._joined = window == 0 or (self._last is None and not self._run)
        self.missing = False

    def feed(self, entry: Entry) -> list[str]:
        if not entry:
            return self._quiet()
        if self._joined:
            self._seen.add(entry)
            return list(entry)
        key = digest(entry)
        self._read += 1
        self._consumed.append(key)
        when = entry_time(entry)
        if when is not None:
            self._time = when
        if self._last is not None and self._time is not None:
            return self._dated(entry, key)
        self._held.append((entry, key))
        self._held_chars += sum(map(len, entry))
        # Undated logs are placed once what was received ends them, or once the window's entries all
        # came (whatever comes next is new); so are the lines a dated window begins with (of an entry
        # it cut), by the entry after them, or the same. Past HELD_CHARS they are placed at once.
        full = self._read >= self._window or self._held_chars > HELD_CHARS
        if self._last is not None:
            return self._place(None) if full else []
        if self._ends_with_run():
            return self._join_run(len(self._held))
        return self._join_run(self._best()) if full else []

    def _quiet(self) -> list[str]:
        """The server went quiet (an empty entry: a keep-alive): it sent all it had, so the window came
        whole, what is held is placed, and what comes next is new. Before any entry, a comment may be a
        server's greeting at connecting: only a second one says a log with nothing in it."""
        self._quiets += 1
        if self._joined or (not self._read and self._quiets < 2):
            return []
        if not self._held:
            self._joined = True
            return []
        return self._place(None) if self._last is not None else self._join_run(self._best())

    def _dated(self, entry: Entry, key: Digest) -> list[str]:
        last, when = self._last, self._time
        assert last is not None and when is not None
        if when < last or (when == last and self._pending[key] > 0):
            if when == last:
                self._pending[key] -= 1
            self._found = True
            self._held, self._held_chars = [], 0  # what came before an old entry is older still
            return []
        return self._place((entry, key))

    def _place(self, entry: tuple[Entry, Digest] | None) -> list[str]:
        """``entry`` is new: later than the latest time, or at it and not one received then (None: the
        window came whole, undated). The undated entries held before it are new if they continue what was
        received (it ends with the start of them, or with all of its run before them); otherwise the
        window cut them from a line it does not show, whose time is not known: they are not shown (a
        later, longer window shows them after their line), and nothing old came first: a gap."""
        old = self._best()
        new = (self._held[old:] if old else []) + ([] if entry is None else [entry])
        if self._expected and not self._found and old == 0:
            self._gap(new)
        self._found = True  # said once
        self._held, self._held_chars = [], 0
        later = self._time is not None and self._last is not None and self._time > self._last
        self._joined = entry is None or later
        return self._new(new)

    def _ends_with_run(self) -> bool:
        run, held = self._run, self._held
        if len(held) < len(run) or held[-1][1] != run[-1]:
            return False
        return [key for _, key in held[-len(run) :]] == run

    def _best(self) -> int:
        """How many held entries are old: up to the last place where they end with what was received
        (all of its run, or, at their start, the end of it)."""
        run, held = self._run, [key for _, key in self._held]
        for place in range(len(held), 0, -1):
            size = min(place, len(run))
            if size and held[place - size : place] == run[-size:]:
                return place
        return 0

    def _join_run(self, old: int) -> list[str]:
        new = self._held[old:]
        if old == 0:
            self._gap(new)
        self._held, self._held_chars = [], 0
        self._joined = True
        return self._new(new)

    def _gap(self, new: list[tuple[Entry, Digest]]) -> None:
        # The window did not reach back: what was received before it is no run of the server's entries
        # with what follows, so what was received is this stream's entries alone (the new ones to come).
        self.missing = True
        consumed = list(self._consumed)
        self._seen.restart(consumed[: max(len(consumed) - len(new), 0)])

    def _new(self, entries: list[tuple[Entry, Digest]]) -> list[str]:
        for entry, key in entries:
            self._seen.record(entry_time(entry), key)
        return [line for entry, _ in entries for line in entry]

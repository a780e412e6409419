"""core.log_resume: a stream read again after a drop or an end passes each line the server has once.

A model server holds a history of lines (equal timestamps, undated continuation lines, and logs with no
dates at all); the client reconnects after each stream, asking for a window of the last lines, and a
stream may break off anywhere. What the client passes on is compared with the history.
"""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from endpointctl.core import log_resume
from endpointctl.core.log_resume import Entry, Rejoin, Seen, entry_time

START = 1_760_000_000.0


def stamp(seconds: float) -> str:
    return (
        datetime.fromtimestamp(START + seconds, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    )


@st.composite
def histories(draw: st.DrawFn) -> list[Entry]:
    """Entries in the server's order: dated ones (a time equal to the one before, often), each with 0-2
    undated lines, in the entry (an event's lines) or as entries of their own (plain text); or, sometimes,
    no date at all. Every text is its own: equal entries at one time cannot be told apart by anyone, and
    are tested alone."""
    count = draw(st.integers(1, 60))
    dated = draw(st.booleans()) or draw(st.booleans())
    events = draw(st.booleans())
    entries: list[Entry] = []
    second = 0
    for index in range(count):
        frames = [f"  at frame {index}.{k}" for k in range(draw(st.integers(0, 2)))]
        if not dated:
            entries.append((f"line {index}", *frames) if events else (f"line {index}",))
            continue
        second += draw(st.sampled_from([0, 0, 1, 2]))
        head = f"{stamp(second)} r1 line {index}"
        entries.extend([(head, *frames)] if events else [(head,), *((frame,) for frame in frames)])
    return entries


def least_window(history: list[Entry]) -> int:
    """1, or in dated logs more than the longest run of undated entries (a plain-text traceback)."""
    if all(entry_time(entry) is None for entry in history):
        return 1
    runs = "".join("u" if entry_time(entry) is None else " " for entry in history).split()
    return 1 + max((len(run) for run in runs), default=0)


def read(rejoin: Rejoin, stream: list[Entry]) -> list[str]:
    return [passed for entry in stream for passed in rejoin.feed(entry)]


def lines(entries: list[Entry]) -> list[str]:
    return [line for entry in entries for line in entry]


@given(histories(), st.data())
def test_each_line_passes_once_in_order_across_drops_and_ends(
    history: list[Entry], data: st.DataObject
) -> None:
    seen = Seen()
    passed: list[str] = []
    now = data.draw(st.integers(0, len(history)), label="entries when first connected")
    passed += read(Rejoin(seen, 10_000), history[:now])  # the first stream: everything it has
    missed = False
    for _ in range(data.draw(st.integers(1, 4), label="reconnects")):
        now = data.draw(st.integers(now, len(history)), label="entries the server has then")
        # A window holds a dated entry when the history has any: one of only the undated lines of a
        # traceback cannot be placed (RESUME_TAIL is far longer than a traceback).
        window = data.draw(st.integers(least_window(history), 80), label="tail asked")
        replay = history[:now][-window:]
        # Nothing received yet: nothing to reach back to, so a window shorter than the history loses
        # entries unsaid (README: what was never received cannot be looked for).
        missed = missed or (not passed and window < now)
        rejoin = Rejoin(seen, window)
        how = data.draw(st.sampled_from(["broke off", "ended early", "ended"]), label="how it stopped")
        broke = how != "ended"
        # A comment may greet the client at connecting; one after the window says the server is idle.
        greeting: list[Entry] = [()] if data.draw(st.booleans(), label="greeting") else []
        if how == "ended":
            idle: list[Entry] = [()] * data.draw(st.integers(0, 2), label="keep-alives after")
            passed += read(rejoin, greeting + replay + idle)
        else:
            # Broken off, or ended cleanly by a server or a proxy before all of its window came: what
            # was held is left undecided, and sent again next time.
            cut = data.draw(st.integers(0, len(replay)), label="where")
            passed += read(rejoin, greeting + replay[:cut])
        missed = missed or rejoin.missing
    everything = lines(history)
    if not missed:
        assert passed == everything[: len(passed)]
        if not broke:  # the last stream ended cleanly: every line the server had came
            assert passed == lines(history[:now])
    else:
        # Lines may be missing, and it was said; still none twice. (One that a gap had hidden may come
        # late: entries at one time are known by what they are, not by where they stand.)
        positions = [everything.index(line) for line in passed]
        assert len(positions) == len(set(positions))


@given(histories(), st.data())
def test_dated_entries_never_pass_twice_however_much_the_server_sends(
    history: list[Entry], data: st.DataObject
) -> None:
    """A server that sends more than ``tail`` asked (all it has), or counts lines rather than entries:
    what was received is known by its time, never by how many entries came."""
    if entry_time(history[0]) is None:
        return  # undated logs are matched by position: a window's size is all there is to go on
    received = data.draw(st.integers(1, len(history)), label="entries received")
    seen = Seen()
    passed = read(Rejoin(seen, 10_000), history[:received])
    window = data.draw(st.integers(1, 5), label="tail asked")
    passed += read(Rejoin(seen, window), history)
    assert passed == lines(history)


@given(histories())
def test_a_window_that_reaches_back_loses_nothing(history: list[Entry]) -> None:
    for received in range(1, len(history)):
        seen = Seen()
        read(Rejoin(seen, 10_000), history[:received])
        rejoin = Rejoin(seen, len(history) + 5)
        assert read(rejoin, history) == lines(history[received:]) and not rejoin.missing


def each(*texts: str) -> list[Entry]:
    """Lines of a plain-text stream: each an entry of its own."""
    return [(text,) for text in texts]


def test_equal_lines_at_one_time_new_after_the_drop_are_shown() -> None:
    same = f"{stamp(0)} r1 GET /health 200"
    seen = Seen()
    read(Rejoin(seen, 100), each(f"{stamp(-1)} r1 start", same))
    rejoin = Rejoin(seen, 100)
    assert read(rejoin, each(f"{stamp(-1)} r1 start", same, same, same, f"{stamp(1)} r1 next")) == [
        same,
        same,
        f"{stamp(1)} r1 next",
    ]
    assert not rejoin.missing


def test_a_traceback_is_one_entry_of_the_window() -> None:
    """The server's ``tail`` counts entries: a window of 2 after a traceback holds all of its lines, and
    none of them is shown again (counting lines, the window would end early and the rest look new)."""
    boom = (f"{stamp(1)} r1 Traceback (most recent call last):", '  File "app.py", line 3', "ValueError: x")
    seen = Seen()
    read(Rejoin(seen, 100), [(f"{stamp(0)} r1 start",), boom])
    rejoin = Rejoin(seen, 2)
    later = f"{stamp(2)} r1 next"
    assert read(rejoin, [(f"{stamp(0)} r1 start",), boom, (later,)]) == [later]
    assert not rejoin.missing


@pytest.mark.parametrize("sorted_again", [False, True])
def test_replicas_lines_out_of_time_order_are_not_shown_again(sorted_again: bool) -> None:
    """r2's clock is behind r1's: its line dated 4 came after r1's dated 5. A reconnect replays both, in
    the order received or sorted by time; neither is new, the line dated 6 is."""
    r1, r2, later = f"{stamp(5)} r1 ready", f"{stamp(4)} r2 ready", f"{stamp(6)} r1 next"
    seen = Seen()
    read(Rejoin(seen, 100), each(r1, r2))
    replay = each(r2, r1, later) if sorted_again else each(r1, r2, later)
    rejoin = Rejoin(seen, 100)
    assert read(rejoin, replay) == [later]
    assert not rejoin.missing


def test_a_window_that_does_not_reach_back_says_so() -> None:
    seen = Seen()
    read(Rejoin(seen, 100), each(f"{stamp(0)} r1 one"))
    rejoin = Rejoin(seen, 2)
    assert read(rejoin, each(f"{stamp(5)} r1 five", f"{stamp(6)} r1 six")) == [
        f"{stamp(5)} r1 five",
        f"{stamp(6)} r1 six",
    ]
    assert rejoin.missing


def test_nothing_received_but_a_start_time_shows_only_later_lines() -> None:
    seen = Seen()
    seen.since(START + 1)
    rejoin = Rejoin(seen, 100)
    assert read(rejoin, each(f"{stamp(0)} r1 old", "  its frame", f"{stamp(2)} r1 new")) == [
        f"{stamp(2)} r1 new"
    ]
    assert not rejoin.missing


def test_a_window_of_none_replays_nothing_so_every_entry_is_new() -> None:
    """``--tail 0``: the first stream asks for no entry, so its first live ones are new even when undated
    or dated before the start (a replica's clock behind the client's)."""
    seen = Seen()
    seen.since(START + 1)
    assert read(Rejoin(seen, 0), each(f"{stamp(0)} r1 behind", "  its frame")) == [
        f"{stamp(0)} r1 behind",
        "  its frame",
    ]


def test_lines_received_before_any_date_are_known_again_at_the_first_date() -> None:
    """A first stream (``--tail 2``) began inside W's traceback: its undated line came before any date.
    A reconnect reaches back to W: W was never shown (it comes late, and a gap is said), its traceback
    line was (skipped), and so was X."""
    w, frame, x, y = f"{stamp(0)} r1 W", "  frame of W", f"{stamp(0)} r1 X", f"{stamp(1)} r1 Y"
    seen = Seen()
    assert read(Rejoin(seen, 2), each(frame, x)) == [frame, x]
    assert read(Rejoin(seen, 1000), each(w, frame, x, y)) == [w, y]


def test_what_is_remembered_of_large_entries_is_small() -> None:
    """A server's entries at one time could be large and many: what ``Seen`` keeps of them is a digest
    each, so 10 MB of lines received leave well under 1 MB held."""
    big = [(f"{stamp(0)} r1 {index} " + "x" * 50_000,) for index in range(200)]
    tracemalloc.start()
    try:
        seen = Seen()
        before = tracemalloc.get_traced_memory()[0]
        read(Rejoin(seen, 10_000), big)
        del big[:]
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 1_000_000
    assert len(seen.at_last) == 200


def test_undated_lines_held_past_their_bound_are_placed_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undated logs whose last lines received are not found again are held until the window's entries
    all came, or until they hold ``HELD_CHARS``: a server's window of huge entries cannot fill memory."""
    monkeypatch.setattr(log_resume, "HELD_CHARS", 100)
    seen = Seen()
    read(Rejoin(seen, 10), each("received"))
    rejoin = Rejoin(seen, 1_000)
    assert rejoin.feed(("a" * 60,)) == []
    assert rejoin.feed(("b" * 60,)) == ["a" * 60, "b" * 60]  # 120 characters held: placed, as new
    assert rejoin.missing
    assert rejoin.feed(("c",)) == ["c"]


def test_undated_logs_that_started_over_are_shown_once_the_server_goes_quiet() -> None:
    """No date, and none of the last entries shown in the new stream (a replica restarted): a keep-alive
    (an empty entry) says the server sent all it had, so what came is new, and lines may be missing."""
    seen = Seen()
    read(Rejoin(seen, 10), each("a", "b"))
    rejoin = Rejoin(seen, 1_000)
    assert rejoin.feed(("x",)) == []  # the last entries shown may yet come
    assert rejoin.feed(()) == ["x"]
    assert rejoin.missing
    assert rejoin.feed(("y",)) == ["y"]


def test_a_comment_at_connecting_is_no_quiet_but_a_second_one_is() -> None:
    seen = Seen()
    read(Rejoin(seen, 10), each("a", "b"))
    greeted = Rejoin(seen, 1_000)
    assert read(greeted, [(), ("a",), ("b",), ("c",)]) == ["c"]  # a greeting, then the replay
    assert not greeted.missing
    empty = Rejoin(seen, 1_000)
    assert read(empty, [(), (), ("d",)]) == ["d"]  # nothing in the log, then a new line
    assert not empty.missing  # nothing came that could have been matched

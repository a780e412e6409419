"""core.log_resume: a stream read again after a drop or an end passes each line the server has once.

A model server holds a history of lines (equal timestamps, undated continuation lines, and logs with no
dates at all); the client reconnects after each stream, asking for a window of the last lines, and a
stream may break off anywhere. What the client passes on is compared with the history.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from endpointctl.core.log_resume import Rejoin, Seen

START = 1_760_000_000.0


def stamp(seconds: float) -> str:
    return (
        datetime.fromtimestamp(START + seconds, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    )


@st.composite
def histories(draw: st.DrawFn) -> list[str]:
    """Lines in the server's order: dated ones (a time equal to the one before, often), each followed by
    0-2 undated lines; or, sometimes, no date at all. Every text is its own: equal lines at one time
    cannot be told apart by anyone, and are tested alone."""
    count = draw(st.integers(1, 60))
    dated = draw(st.booleans()) or draw(st.booleans())
    lines: list[str] = []
    second = 0
    for index in range(count):
        if not dated:
            lines.append(f"line {index}")
            continue
        second += draw(st.sampled_from([0, 0, 1, 2]))
        lines.append(f"{stamp(second)} r1 line {index}")
        lines.extend(f"  at frame {index}.{k}" for k in range(draw(st.integers(0, 2))))
    return lines


def read(rejoin: Rejoin, stream: list[str]) -> list[str]:
    return [passed for line in stream for passed in rejoin.feed(line)]


@given(histories(), st.data())
def test_each_line_passes_once_in_order_across_drops_and_ends(
    history: list[str], data: st.DataObject
) -> None:
    seen = Seen()
    passed: list[str] = []
    now = data.draw(st.integers(0, len(history)), label="lines when first connected")
    passed += read(Rejoin(seen, 10_000), history[:now])  # the first stream: everything it has
    missed = False
    for _ in range(data.draw(st.integers(1, 4), label="reconnects")):
        now = data.draw(st.integers(now, len(history)), label="lines the server has then")
        window = data.draw(st.integers(1, 80), label="tail asked")
        replay = history[:now][-window:]
        # Nothing received yet: nothing to reach back to, so a window shorter than the history loses
        # lines unsaid (README: what was never received cannot be looked for).
        missed = missed or (not passed and window < now)
        rejoin = Rejoin(seen, window)
        how = data.draw(st.sampled_from(["broke off", "ended early", "ended"]), label="how it stopped")
        broke = how != "ended"
        if how == "broke off":
            cut = data.draw(st.integers(0, len(replay)), label="where")
            passed += read(rejoin, replay[:cut])  # what was held is dropped: sent again next time
        elif how == "ended early":
            # A server (or a proxy) that ends the stream cleanly before all of its window came.
            cut = data.draw(st.integers(0, len(replay)), label="where")
            passed += read(rejoin, replay[:cut]) + rejoin.finish()
        else:
            passed += read(rejoin, replay) + rejoin.finish()
        missed = missed or rejoin.missing
    if not missed:
        assert passed == history[: len(passed)]
        if not broke:  # the last stream ended cleanly: every line the server had came
            assert passed == history[:now]
    else:
        # Lines may be missing, and it was said; still none twice, and none out of order.
        positions = [history.index(line) for line in passed]
        assert positions == sorted(set(positions))


@given(histories())
def test_a_window_that_reaches_back_loses_nothing(history: list[str]) -> None:
    for received in range(1, len(history)):
        seen = Seen()
        read(Rejoin(seen, 10_000), history[:received])
        rejoin = Rejoin(seen, len(history) + 5)
        again = read(rejoin, history) + rejoin.finish()
        assert again == history[received:] and not rejoin.missing


def test_equal_lines_at_one_time_new_after_the_drop_are_shown() -> None:
    same = f"{stamp(0)} r1 GET /health 200"
    seen = Seen()
    read(Rejoin(seen, 100), [f"{stamp(-1)} r1 start", same])
    rejoin = Rejoin(seen, 100)
    assert read(rejoin, [f"{stamp(-1)} r1 start", same, same, same, f"{stamp(1)} r1 next"]) == [
        same,
        same,
        f"{stamp(1)} r1 next",
    ]
    assert not rejoin.missing


def test_a_window_that_does_not_reach_back_says_so() -> None:
    seen = Seen()
    read(Rejoin(seen, 100), [f"{stamp(0)} r1 one"])
    rejoin = Rejoin(seen, 2)
    assert read(rejoin, [f"{stamp(5)} r1 five", f"{stamp(6)} r1 six"]) == [
        f"{stamp(5)} r1 five",
        f"{stamp(6)} r1 six",
    ]
    assert rejoin.missing


def test_nothing_received_but_a_start_time_shows_only_later_lines() -> None:
    seen = Seen()
    seen.since(START + 1)
    rejoin = Rejoin(seen, 100)
    assert read(rejoin, [f"{stamp(0)} r1 old", "  its frame", f"{stamp(2)} r1 new"]) == [f"{stamp(2)} r1 new"]
    assert not rejoin.missing

"""The one polling loop, on its own: done, out of time, interrupted; never past the deadline."""

from __future__ import annotations

import random
import threading

import pytest
from clocks import InterruptedAt
from hypothesis import given
from hypothesis import strategies as st

from endpointctl.core.backoff import ABSENT, LOCK, POLL, RETRY, Backoff
from endpointctl.engine.polling import PollOutcome, pacer, poll
from endpointctl.sandbox import ManualClock

T0 = 1_000.0
STEADY = Backoff(initial=2.0, factor=1.0, cap=2.0, low=1.0, high=1.0)


class Attempts:
    """Done on the ``done_at``-th call (never, when None); records the clock at each call."""

    def __init__(self, clock: ManualClock, done_at: int | None, asks: float = 0.0) -> None:
        self.clock, self.done_at, self.asks = clock, done_at, asks
        self.at: list[float] = []

    def __call__(self) -> float | None:
        self.at.append(self.clock.now())
        return None if len(self.at) == self.done_at else self.asks


def test_done_at_the_first_attempt_does_not_sleep() -> None:
    clock = ManualClock(T0)
    polled = poll(Attempts(clock, 1), clock=clock, timeout=60, backoff=STEADY)
    assert (polled.outcome, polled.attempts, polled.elapsed) == (PollOutcome.DONE, 1, 0.0)


def test_waits_by_the_backoff_between_attempts() -> None:
    clock = ManualClock(T0)
    attempts = Attempts(clock, 4)
    polled = poll(attempts, clock=clock, timeout=60, backoff=STEADY)
    assert polled.done and polled.attempts == 4
    assert attempts.at == [T0, T0 + 2, T0 + 4, T0 + 6]


def test_what_the_other_side_asks_for_replaces_the_backoff() -> None:
    clock = ManualClock(T0)
    attempts = Attempts(clock, 3, asks=7.5)
    poll(attempts, clock=clock, timeout=60, backoff=STEADY)
    assert attempts.at == [T0, T0 + 7.5, T0 + 15]


def test_the_last_attempt_is_made_at_the_deadline_never_past_it() -> None:
    clock = ManualClock(T0)
    attempts = Attempts(clock, None)
    polled = poll(attempts, clock=clock, timeout=5, backoff=STEADY)
    assert polled.outcome is PollOutcome.TIMEOUT
    assert attempts.at == [T0, T0 + 2, T0 + 4, T0 + 5]
    assert clock.now() == T0 + 5


def test_a_zero_timeout_still_tries_once() -> None:
    clock = ManualClock(T0)
    attempts = Attempts(clock, None)
    assert poll(attempts, clock=clock, timeout=0, backoff=STEADY).outcome is PollOutcome.TIMEOUT
    assert attempts.at == [T0]


def test_an_interrupt_ends_the_wait_at_once_and_starts_no_attempt() -> None:
    cancel = threading.Event()
    clock = InterruptedAt(T0, at=T0 + 3, cancel=cancel)
    attempts = Attempts(clock, None)
    polled = poll(attempts, clock=clock, timeout=60, cancel=cancel, backoff=STEADY)
    assert polled.outcome is PollOutcome.INTERRUPTED
    assert attempts.at == [T0, T0 + 2]  # the sleep from T0+2 ends at T0+3, and nothing is tried then
    assert clock.now() == T0 + 3


def test_cancelled_before_it_starts_tries_nothing() -> None:
    cancel = threading.Event()
    cancel.set()
    clock = ManualClock(T0)
    attempts = Attempts(clock, 1)
    assert poll(attempts, clock=clock, timeout=60, cancel=cancel).outcome is PollOutcome.INTERRUPTED
    assert attempts.at == []


def test_an_error_in_an_attempt_propagates() -> None:
    clock = ManualClock(T0)

    def broken() -> float | None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        poll(broken, clock=clock, timeout=60)


def test_a_pacer_lends_the_loop_with_its_clock() -> None:
    clock = ManualClock(T0)
    pace = pacer(clock, backoff=STEADY)
    assert pace(Attempts(clock, 2), 60) is True
    assert pace(Attempts(clock, None), 3) is False
    assert clock.now() == T0 + 2 + 3


@given(
    timeout=st.floats(min_value=0, max_value=500),
    asks=st.sampled_from([0.0, 0.3, 4.0, 45.0]),
    seed=st.integers(min_value=0, max_value=2**16),
    backoff=st.sampled_from([POLL, RETRY, ABSENT, LOCK]),
)
def test_never_sleeps_past_the_deadline(timeout: float, asks: float, seed: int, backoff: Backoff) -> None:
    clock = ManualClock(T0)
    attempts = Attempts(clock, None, asks=asks)
    polled = poll(attempts, clock=clock, timeout=timeout, backoff=backoff, rng=random.Random(seed))
    assert polled.outcome is PollOutcome.TIMEOUT
    assert clock.now() == pytest.approx(T0 + timeout)
    assert all(b > a for a, b in zip(attempts.at, attempts.at[1:], strict=False))


@given(attempt=st.integers(min_value=1, max_value=500), seed=st.integers(min_value=0, max_value=2**16))
def test_every_backoff_stays_within_its_jitter_band_and_cap(attempt: int, seed: int) -> None:
    for backoff in (POLL, RETRY, ABSENT, LOCK):
        delay = backoff.delay(attempt, random.Random(seed).uniform)
        ceiling = backoff.ceiling(attempt)
        assert ceiling <= backoff.cap
        assert ceiling * backoff.low <= delay <= ceiling * backoff.high

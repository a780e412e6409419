"""The retry policy on its own: what the server asked for, the backoff, and the loop's budget."""

from __future__ import annotations

import email.utils
import random
import threading
import time

import pytest
from clocks import InterruptedAt
from hypothesis import given
from hypothesis import strategies as st

from endpointctl.core.backoff import RETRY, Backoff
from endpointctl.core.errors import ApiError, Interrupted, OutcomeUnknown, UsageError
from endpointctl.core.settings import Settings
from endpointctl.engine.clock import SystemClock
from endpointctl.hub.retry import (
    Failure,
    RetryPolicy,
    parse_ratelimit_reset,
    parse_retry_after,
    server_floor,
)
from endpointctl.sandbox import ManualClock

NOW = 1_760_000_000.0


def http_date(epoch: float) -> str:
    return email.utils.formatdate(epoch, usegmt=True)


# -- Retry-After ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("2.5", 2.5),
        (http_date(NOW + 30), 30.0),
        (http_date(NOW - 30), 0.0),  # a date in the past asks for no wait
        ("Thu, 09 Oct 2025 21:20:30 -0000", 1_760_044_830.0 - NOW),  # naive form is GMT too
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
    ],
)
def test_retry_after_in_seconds_or_as_a_date(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, reference=NOW) == expected


# -- RateLimit (IETF draft) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"default";r=0;t=12', 12.0),
        ('"default";r=5;t=12', None),  # requests left: no need to wait
        ('"burst";r=0;t=3, "daily";r=0;t=600', 600.0),  # the latest exhausted reset wins
        ('"burst";r=4;t=3, "daily";r=0;t=60', 60.0),
        ('"default";t=7', 7.0),
        ('"default";r=0', None),
        ('"default";r=0;t=soon', None),
        ("", None),
        (None, None),
    ],
)
def test_ratelimit_reset(value: str | None, expected: float | None) -> None:
    assert parse_ratelimit_reset(value) == expected


def test_server_floor_takes_the_longest_ask() -> None:
    headers = {"retry-after": "3", "ratelimit": '"default";r=0;t=12'}
    assert server_floor(headers, wall=NOW) == 12.0
    assert server_floor({"retry-after": "3"}, wall=NOW) == 3.0
    assert server_floor({}, wall=NOW) == 0.0


def test_a_retry_after_date_is_measured_against_the_servers_own_date_header() -> None:
    # Our clock is an hour off; the server's Date and Retry-After agree with each other.
    server_now = NOW + 3600
    headers = {"date": http_date(server_now), "retry-after": http_date(server_now + 20)}
    assert server_floor(headers, wall=NOW) == 20.0
    # Without a Date header, our own wall clock is the reference.
    assert server_floor({"retry-after": http_date(NOW + 20)}, wall=NOW) == 20.0


# -- backoff ----------------------------------------------------------------------------------------------


def test_backoff_is_exponential_and_capped() -> None:
    backoff = RETRY
    assert [backoff.ceiling(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert backoff.ceiling(10_000) == 30.0  # no overflow on absurd attempt numbers


def test_backoff_draws_full_jitter_and_never_goes_below_the_servers_ask() -> None:
    backoff = RETRY
    assert backoff.delay(4, lambda low, high: high, 0.0) == 8.0
    assert backoff.delay(4, lambda low, high: low, 0.0) == 0.0  # full jitter reaches down to zero
    assert backoff.delay(4, lambda low, high: high, 20.0) == 20.0  # the server asked for more
    assert backoff.delay(9, lambda low, high: high, 45.0) == 45.0  # even beyond the cap


@given(
    attempt=st.integers(min_value=1, max_value=200),
    floor=st.floats(min_value=0, max_value=1e4),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_backoff_stays_between_the_floor_and_the_cap(attempt: int, floor: float, seed: int) -> None:
    backoff = Backoff(initial=0.5, factor=2.0, cap=20.0)
    delay = backoff.delay(attempt, random.Random(seed).uniform, floor)
    assert floor <= delay <= max(floor, backoff.ceiling(attempt))
    assert backoff.ceiling(attempt) <= 20.0


# -- the loop ---------------------------------------------------------------------------------------------


class Flaky:
    """Fails with the given failures in turn, then succeeds; records the clock at each call."""

    def __init__(self, clock: ManualClock, failures: list[Failure]) -> None:
        self.clock = clock
        self.failures = failures
        self.calls: list[float] = []

    def __call__(self) -> str:
        self.calls.append(self.clock.now())
        if len(self.calls) <= len(self.failures):
            raise Boom(self.failures[len(self.calls) - 1])
        return "ok"


class Boom(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.answer)
        self.failure = failure


def classify(error: BaseException) -> Failure | None:
    return error.failure if isinstance(error, Boom) else None


def policy(clock: ManualClock, budget: float = 300.0) -> RetryPolicy:
    return RetryPolicy(clock=clock, budget=budget, rng=random.Random(7))


def test_retries_until_success_and_never_sooner_than_asked() -> None:
    clock = ManualClock(NOW)
    limited = Failure("429: slow down", 429, {"retry-after": "5"})
    busy = Failure("503: busy", 503, {"ratelimit": '"default";r=0;t=9'})
    fn = Flaky(clock, [limited, busy, Failure("nothing within 30 s", None)])
    retry = policy(clock)
    op = retry.start("doing a thing")
    assert retry.run(op, fn, classify) == "ok"
    assert op.attempts == 4
    gaps = [b - a for a, b in zip(fn.calls, fn.calls[1:], strict=False)]
    assert gaps[0] >= 5 and gaps[1] >= 9
    assert gaps[2] <= RETRY.ceiling(3)


def test_each_retry_is_reported_as_progress() -> None:
    clock = ManualClock(NOW)
    lines: list[str] = []
    retry = RetryPolicy(clock=clock, budget=60, rng=random.Random(1), report=lines.append)
    fn = Flaky(clock, [Failure("429: slow down", 429, {"retry-after": "2"})])
    retry.run(retry.start("creating endpoint 'acme/x'"), fn, classify)
    assert lines == [
        "creating endpoint 'acme/x': the API answered 429: slow down; retrying in 2.0 s (attempt 2)"
    ]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 500])
def test_answers_that_mean_no_are_not_retried(status: int) -> None:
    clock = ManualClock(NOW)
    fn = Flaky(clock, [Failure(f"{status}: no", status)])
    retry = policy(clock)
    op = retry.start("doing a thing")
    with pytest.raises(Boom):
        retry.run(op, fn, classify)
    assert len(fn.calls) == 1
    assert clock.now() == NOW


def test_an_error_that_is_not_an_api_failure_propagates_at_once() -> None:
    retry = policy(ManualClock(NOW))

    def broken() -> str:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        retry.run(retry.start("x"), broken, classify)


def test_gives_up_within_the_budget_and_says_what_how_often_and_what_was_answered() -> None:
    clock = ManualClock(NOW)
    fn = Flaky(clock, [Failure("503: Service Unavailable", 503)] * 1000)
    retry = policy(clock, budget=60)
    op = retry.start("listing endpoints of namespace 'acme'")
    with pytest.raises(ApiError) as caught:
        retry.run(op, fn, classify)
    assert clock.now() - NOW <= 60
    assert len(fn.calls) == op.attempts > 3
    message = caught.value.message
    assert message.startswith("listing endpoints of namespace 'acme': gave up after ")
    assert f"{op.attempts} attempts" in message
    assert "last answered 503: Service Unavailable" in message
    assert caught.value.status == 503
    assert "ENDPOINTCTL_RETRY_SECONDS" in (caught.value.hint or "")


def test_giving_up_before_the_budget_has_passed_is_not_said_as_after_it() -> None:
    """ "gave up after 3 attempts in 2 s" beside "nothing more was tried after 3 s" (review): the rule is
    that no try falls after the budget, so the run may end before it."""
    clock = ManualClock(NOW)
    fn = Flaky(clock, [Failure("503: Service Unavailable", 503)] * 1000)
    retry = policy(clock, budget=3)
    with pytest.raises(ApiError) as caught:
        retry.run(retry.start("x"), fn, classify)
    assert clock.now() - NOW < 3  # ended before the budget: the next try would have fallen after it
    assert caught.value.hint == (
        "retries stop where the next would fall after 3 s (ENDPOINTCTL_RETRY_SECONDS); "
        "run the same command again later"
    )


def test_a_wait_longer_than_the_budget_left_is_not_waited_for() -> None:
    clock = ManualClock(NOW)
    fn = Flaky(clock, [Failure("429: later", 429, {"retry-after": "600"})])
    retry = policy(clock, budget=300)
    with pytest.raises(ApiError) as caught:
        retry.run(retry.start("creating endpoint 'acme/x'"), fn, classify)
    assert clock.now() == NOW  # gave up at once instead of sleeping past the deadline
    assert "asked to wait 600 s" in caught.value.message


def test_a_zero_budget_turns_retries_off() -> None:
    clock = ManualClock(NOW)
    fn = Flaky(clock, [Failure("503: busy", 503)])
    retry = policy(clock, budget=0)
    with pytest.raises(ApiError, match="gave up after 1 attempt in 0 s"):
        retry.run(retry.start("x"), fn, classify)


def test_a_sub_operation_shares_the_deadline_it_is_given() -> None:
    clock = ManualClock(NOW)
    retry = policy(clock, budget=100)
    outer = retry.start("outer")
    clock.advance(90)
    inner = retry.start("inner", deadline=outer.deadline)
    assert inner.deadline == NOW + 100


def test_failure_kinds() -> None:
    assert Failure("x", 503).outcome_unknown and Failure("x", 503).retryable
    assert Failure("x", None).outcome_unknown and Failure("x", None).retryable
    assert not Failure("x", 429).outcome_unknown and Failure("x", 429).retryable
    not_sent = Failure("x", None, sent=False)
    assert not not_sent.outcome_unknown and not_sent.retryable
    assert not Failure("x", 500).retryable and not Failure("x", 500).outcome_unknown


def test_an_interrupt_starts_no_new_attempt() -> None:
    clock = ManualClock(NOW)
    cancel = threading.Event()
    calls: list[float] = []

    def interrupted_while_failing() -> str:
        calls.append(clock.now())
        cancel.set()
        raise Boom(Failure("503: busy", 503))

    retry = RetryPolicy(clock=clock, budget=300, rng=random.Random(1), cancel=cancel)
    with pytest.raises(Interrupted, match="x: interrupted after 1 attempt; the API last answered 503: busy"):
        retry.run(retry.start("x"), interrupted_while_failing, classify)
    assert len(calls) == 1 and clock.now() == NOW


def test_an_interrupt_during_the_backoff_wakes_it_and_sends_nothing_more() -> None:
    cancel = threading.Event()
    clock = InterruptedAt(NOW, at=NOW + 3, cancel=cancel)
    fn = Flaky(clock, [Failure("429: slow down", 429, {"retry-after": "60"})] * 5)
    retry = RetryPolicy(clock=clock, budget=300, rng=random.Random(1), cancel=cancel)
    with pytest.raises(Interrupted) as caught:
        retry.run(retry.start("creating endpoint 'acme/x'"), fn, classify)
    assert len(fn.calls) == 1  # not sent again
    assert clock.now() - NOW < 4  # woken within a slice of the interrupt, not after the 60 s
    assert caught.value.exit_code == 130
    assert caught.value.message == (
        "creating endpoint 'acme/x': interrupted after 1 attempt; the API last answered 429: slow down, "
        "and it was not sent again; it was not done"
    )


def test_an_interrupt_after_an_unknown_outcome_says_it_may_have_taken_effect() -> None:
    cancel = threading.Event()
    clock = InterruptedAt(NOW, at=NOW + 0.1, cancel=cancel)
    fn = Flaky(clock, [Failure("503: busy", 503, {"retry-after": "30"})] * 5)
    retry = RetryPolicy(clock=clock, budget=300, rng=random.Random(1), cancel=cancel)
    with pytest.raises(Interrupted) as caught:
        retry.run(retry.start("updating endpoint 'acme/x'", changes=True), fn, classify)
    assert len(fn.calls) == 1
    assert "leaves unknown whether it took effect" in caught.value.message
    assert "endpointctl plan" in (caught.value.hint or "")
    assert caught.value.outcome_unknown  # the executor shows the step as unknown, not "not done"


@pytest.mark.parametrize("changes", [True, False], ids=["a change", "a read"])
def test_a_change_given_up_on_after_5xx_is_unknown_and_a_read_is_not(changes: bool) -> None:
    clock = ManualClock(NOW)
    fn = Flaky(clock, [Failure("503: busy", 503)] * 50)
    retry = RetryPolicy(clock=clock, budget=30, rng=random.Random(1))
    with pytest.raises(ApiError) as caught:
        retry.run(retry.start("updating endpoint 'acme/x'", changes=changes), fn, classify)
    assert isinstance(caught.value, OutcomeUnknown) is changes
    assert ("leaves unknown whether it took effect" in caught.value.message) is changes
    assert caught.value.message.startswith("updating endpoint 'acme/x': gave up after")


def test_with_the_system_clock_the_backoff_sleep_is_woken_by_the_interrupt_itself() -> None:
    cancel = threading.Event()
    calls: list[float] = []

    def limited() -> str:
        calls.append(time.monotonic())
        raise Boom(Failure("429: slow down", 429, {"retry-after": "60"}))

    # The interrupt arrives as the 60 s sleep begins (reported just before it): no real wait follows.
    retry = RetryPolicy(
        clock=SystemClock(), budget=300, rng=random.Random(1), cancel=cancel, report=lambda _: cancel.set()
    )
    started = time.monotonic()
    with pytest.raises(Interrupted):
        retry.run(retry.start("x"), limited, classify)
    assert time.monotonic() - started < 5
    assert len(calls) == 1


def test_a_callers_deadline_caps_the_operations_budget() -> None:
    clock = ManualClock(NOW)
    retry = policy(clock, budget=300)
    assert retry.start("x", not_after=NOW + 20).deadline == NOW + 20
    assert retry.start("x", not_after=NOW + 900).deadline == NOW + 300
    fn = Flaky(clock, [Failure("503: busy", 503)] * 1000)
    with pytest.raises(ApiError, match="gave up"):
        retry.run(retry.start("x", not_after=NOW + 20), fn, classify)
    assert clock.now() - NOW <= 20


# -- settings -----------------------------------------------------------------------------------------


def test_timeout_and_retry_budget_come_from_the_environment() -> None:
    default = Settings.resolve({})
    assert (default.request_timeout, default.retry_seconds) == (30.0, 300.0)
    tuned = Settings.resolve({"ENDPOINTCTL_REQUEST_TIMEOUT": "2.5", "ENDPOINTCTL_RETRY_SECONDS": "0"})
    assert (tuned.request_timeout, tuned.retry_seconds) == (2.5, 0.0)  # 0: no retries


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ENDPOINTCTL_REQUEST_TIMEOUT", "0"),
        ("ENDPOINTCTL_REQUEST_TIMEOUT", "soon"),
        ("ENDPOINTCTL_RETRY_SECONDS", "-1"),
        ("ENDPOINTCTL_RETRY_SECONDS", "inf"),
        ("ENDPOINTCTL_RETRY_SECONDS", "nan"),
    ],
)
def test_bad_timing_settings_are_usage_errors(name: str, value: str) -> None:
    with pytest.raises(UsageError, match=name):
        Settings.resolve({name: value})

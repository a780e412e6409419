"""When a management API call is tried again, and how long to wait first.

Retries wrap whole hub operations instead of sitting in an httpx transport: only the hub knows what a
request is for — which operation a retry budget belongs to, what to say when the budget runs out, and
that a create whose outcome is unknown must be resolved by reading before it is ever sent again.

What the server asked for (``parse_retry_after``, ``parse_ratelimit_reset``, ``server_floor``) is pure, and
the backoff is ``core.backoff.RETRY``; the loop (``RetryPolicy.run``) is tenacity with the injected clock
and random source, so tests drive it without sleeping.

An interrupt (the ``cancel`` event, set on SIGINT/SIGTERM) wakes a backoff sleep at once and starts no
new attempt: the operation ends with ``Interrupted``, saying what was sent and what was not.

When a ``limiter`` is given (the server's, ``limiter``), a failure whose answer asks for a wait holds
back every request of the process to that server, and each attempt first waits until the gate is open.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import NoReturn, TypeVar

import tenacity

from endpointctl.core.backoff import RETRY, Backoff
from endpointctl.core.clock import Cancel, Clock
from endpointctl.core.errors import ApiError, Interrupted, OutcomeUnknown
from endpointctl.hub.limiter import Limiter, Verdict

T = TypeVar("T")
log = logging.getLogger("endpointctl.retry")

# Answers that mean "not now" rather than "no": rate limited, or a gateway or backend briefly away.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
# Gateway answers after which the backend may or may not have acted on the request.
UNKNOWN_OUTCOME_STATUSES = frozenset({502, 503, 504})


# -- what the server asked for (pure) -------------------------------------------------------------------


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" parses naive; HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def parse_retry_after(value: str | None, *, reference: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).

    ``reference`` is "now" in epoch seconds, against which a date is measured; a date in the past asks
    for no wait. None when the header is absent or unreadable.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        when = _http_date(text)
        return None if when is None else max(0.0, when - reference)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def parse_ratelimit_reset(value: str | None) -> float | None:
    """Seconds until an exhausted ``RateLimit`` policy resets (draft-ietf-httpapi-ratelimit-headers).

    ``RateLimit: "default";r=0;t=12`` gives 12. A policy with requests left (r > 0) asks for no wait;
    when several are exhausted the latest reset wins. None when absent or unreadable.
    """
    if not value:
        return None
    resets: list[float] = []
    for item in value.split(","):
        params: dict[str, str] = {}
        for part in item.split(";")[1:]:
            key, sep, raw = part.partition("=")
            if sep:
                params[key.strip().lower()] = raw.strip()
        try:
            remaining = int(params.get("r", "0"))
            reset = int(params["t"])
        except (KeyError, ValueError):
            continue
        if remaining <= 0 and reset >= 0:
            resets.append(float(reset))
    return max(resets, default=None)


def server_floor(headers: Mapping[str, str], *, wall: float) -> float:
    """The least the server asked us to wait before trying again; 0 when it did not say.

    ``headers`` has lower-cased names. A Retry-After date is measured against the response's own
    ``Date`` when it has one: both come from the server's clock, so our clock's skew drops out.
    """
    reference = _http_date(headers.get("date"))
    asks = (
        parse_retry_after(headers.get("retry-after"), reference=wall if reference is None else reference),
        parse_ratelimit_reset(headers.get("ratelimit")),
    )
    return max((ask for ask in asks if ask is not None), default=0.0)


# -- the loop -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """One failed attempt, described as far as retrying and error messages care."""

    answer: str  # what the server last answered, for messages: "503: Service Unavailable"
    status: int | None = None  # None: no HTTP answer at all (timeout, dropped connection)
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-cased names
    sent: bool = True  # False only when the request surely never reached the server

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status in RETRYABLE_STATUSES

    @property
    def outcome_unknown(self) -> bool:
        """The server may have acted on the request, and nothing in the answer says whether it did."""
        return self.sent and (self.status is None or self.status in UNKNOWN_OUTCOME_STATUSES)


# What to do after a change whose outcome is unknown: plan reads where things stand.
SEE_PLAN = "run `endpointctl plan` to see where things stand"

Classify = Callable[[BaseException], Failure | None]  # None: not an API failure, never retried


@dataclass
class Operation:
    """One logical API operation: what it does, when its retry budget ends, what happened so far."""

    doing: str
    started: float
    deadline: float
    attempts: int = 0
    last: Failure | None = None
    # Set by the caller during an attempt whose answer left the outcome unknown, once it has read back
    # that the request did not take effect (a create checked by name); reset at each attempt.
    not_done: bool = False
    # A caller's deadline (``wait --timeout``): no request of this operation may outlast it either.
    not_after: float | None = None
    # A change (create, update, pause, delete, ...): the server may act on it whatever its answer, so an
    # answer that cannot be read, or none, leaves unknown whether it took effect.
    changes: bool = False
    # What an attempt was answered that left unknown whether it took effect (a 5xx, a timeout), kept
    # whatever later attempts are answered: a 429 or a 400 after it does not undo what it may have done.
    # None: every failed attempt so far was surely not acted on, or was read back as not done.
    maybe_done_by: str | None = None

    @property
    def unknown(self) -> bool:
        """Whether some failed attempt leaves unknown if the change took effect."""
        return self.maybe_done_by is not None

    def why_unknown(self) -> str:
        """Which answer leaves it unknown, as the end of a message about the last one."""
        if self.last is not None and self.last.outcome_unknown and self.last.answer == self.maybe_done_by:
            return "that answer leaves unknown whether it took effect"
        return (
            f"an earlier attempt was answered {self.maybe_done_by}, which leaves unknown whether it took "
            "effect"
        )


class RetryPolicy:
    def __init__(
        self,
        *,
        clock: Clock,
        budget: float,
        backoff: Backoff = RETRY,
        rng: random.Random | None = None,
        cancel: Cancel | None = None,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self.clock = clock
        self._report = report  # progress: a user waiting out a rate limit should know why
        self._cancel = cancel  # set on SIGINT/SIGTERM: an interrupted command starts no new attempt
        self.budget = budget
        self.backoff = backoff
        self._rng = rng or random.Random()

    def start(
        self,
        doing: str,
        deadline: float | None = None,
        *,
        not_after: float | None = None,
        changes: bool = False,
    ) -> Operation:
        """A new operation; pass ``deadline`` to share the budget of the operation it is part of.

        ``not_after`` caps the operation's own budget with a caller's deadline (``wait --timeout``), so
        its retries never run past it; both are on this policy's clock. ``changes``: it is a change.
        """
        now = self.clock.now()
        end = now + self.budget if deadline is None else deadline
        if not_after is not None:
            end = min(end, not_after)
        return Operation(doing, started=now, deadline=end, not_after=not_after, changes=changes)

    def run(
        self, op: Operation, fn: Callable[[], T], classify: Classify, limiter: Limiter | None = None
    ) -> T:
        """Call ``fn`` until it succeeds, fails in a way not worth retrying, or the budget is spent.

        A non-retryable failure propagates unchanged; a spent budget raises ApiError saying what was
        being done, how many attempts were made and what the server last answered. With ``limiter``,
        every attempt first waits out the server's hold (``_pass_gate``), and a failure whose answer asks
        for a wait (``Retry-After``, ``RateLimit``) raises that hold for every request to the server.
        """

        def attempt() -> T:
            if op.attempts and self._cancelled():
                raise self._interrupted(op)  # woken from the backoff by an interrupt: send nothing more
            if limiter is not None:
                self._pass_gate(op, limiter)
            op.attempts += 1
            op.not_done = False
            return fn()

        def should_retry(error: BaseException) -> bool:
            failure = classify(error)
            if failure is None:
                return False
            op.last = failure
            if failure.outcome_unknown and not op.not_done:
                op.maybe_done_by = failure.answer
            if limiter is not None and failure.retryable and failure.status is not None:
                # The server's "not before": for the whole process, not only this operation.
                floor = server_floor(failure.headers, wall=self.clock.wall())
                if floor > 0:
                    limiter.hold_until(self.clock.now() + floor, failure.answer, failure.status)
            return failure.retryable

        floors: list[float] = []

        def wait(state: tenacity.RetryCallState) -> float:
            assert op.last is not None
            # The wall clock dates a Retry-After date when the answer carries no Date of its own.
            floor = server_floor(op.last.headers, wall=self.clock.wall())
            floors.append(floor)
            return self.backoff.delay(state.attempt_number, self._rng.uniform, floor)

        def stop(state: tenacity.RetryCallState) -> bool:
            # Stop before a wait that would end past the deadline: trying later than that is pointless,
            # and trying sooner than the server asked is not allowed.
            return self._cancelled() or self.clock.now() + state.upcoming_sleep > op.deadline

        def give_up(state: tenacity.RetryCallState) -> NoReturn:
            if self._cancelled():
                raise self._interrupted(op)
            raise self._exhausted(op, floors[-1] if floors else 0.0)

        def note(state: tenacity.RetryCallState) -> None:
            line = (
                f"{op.doing}: the API answered {op.last.answer if op.last else '?'}; "
                f"retrying in {state.upcoming_sleep:.1f} s (attempt {op.attempts + 1})"
            )
            self._say(line)

        def pause(seconds: float) -> None:
            self.clock.sleep(
                seconds, self._cancel
            )  # an interrupt ends it early; attempt() sends nothing more

        retrying = tenacity.Retrying(
            sleep=pause,
            retry=tenacity.retry_if_exception(should_retry),
            wait=wait,
            stop=stop,
            before_sleep=note,
            retry_error_callback=give_up,
        )
        return retrying(attempt)

    def _say(self, line: str) -> None:
        """A retry or a hold: to the log, and to the command's progress lines."""
        log.info("%s", line)
        if self._report is not None:
            self._report(line)

    def _pass_gate(self, op: Operation, limiter: Limiter) -> None:
        """Wait until no hold keeps requests from the server; raise instead when that cannot be in time."""
        hold = limiter.hold
        left = hold.until - self.clock.now()
        if left > 0 and left <= op.deadline - self.clock.now() and limiter.first_to_announce():
            line = (
                f"{op.doing}: holding every request to {limiter.server} back {left:.1f} s, "
                f"as the API asked (it answered {hold.why})"
            )
            self._say(line)
        verdict = limiter.wait(self.clock, deadline=op.deadline, cancel=self._cancel)
        if verdict is Verdict.OPEN:
            return
        if verdict is Verdict.CANCELLED:
            if op.attempts:
                raise self._interrupted(op)
            raise Interrupted(
                f"{op.doing}: interrupted while holding back for the API's rate limit; it was not sent"
            )
        hold = limiter.hold
        now = self.clock.now()
        raise ApiError(
            f"{op.doing}: not sent: the API asked for no request to {limiter.server} for "
            f"{hold.until - now:.0f} s more (it answered {hold.why}), past the "
            f"{max(op.deadline - now, 0):.0f} s this operation had left",
            status=hold.status,
            hint="run the same command again later; "
            "ENDPOINTCTL_RETRY_SECONDS sets how long an operation may wait",
        )

    def _cancelled(self) -> bool:
        return self._cancel is not None and self._cancel.is_set()

    def _interrupted(self, op: Operation) -> Interrupted:
        """What was sent and what was not, for an operation stopped between attempts."""
        assert op.last is not None
        tries = f"{op.attempts} attempt{'s' if op.attempts != 1 else ''}"
        message = (
            f"{op.doing}: interrupted after {tries}; the API last answered {op.last.answer}, "
            "and it was not sent again"
        )
        if op.unknown:
            return Interrupted(
                f"{message}; {op.why_unknown()}",
                hint=SEE_PLAN,
                outcome_unknown=op.changes,
            )
        return Interrupted(message + "; it was not done")

    def _exhausted(self, op: Operation, floor: float) -> ApiError:
        assert op.last is not None
        elapsed = self.clock.now() - op.started
        tries = f"{op.attempts} attempt{'s' if op.attempts != 1 else ''}"
        message = (
            f"{op.doing}: gave up after {tries} in {elapsed:.0f} s; the API last answered {op.last.answer}"
        )
        left = op.deadline - self.clock.now()
        if floor > left:
            message += f" and asked to wait {floor:.0f} s, more than the {max(left, 0):.0f} s left to retry"
        if op.changes and op.unknown:
            # The last attempt may have taken effect: "gave up" must not read as "not done".
            return OutcomeUnknown(
                f"{message}; {op.why_unknown()}",
                status=op.last.status,
                hint=SEE_PLAN,
            )
        if self.budget == 0:
            hint = "retries are off (ENDPOINTCTL_RETRY_SECONDS=0): nothing was tried again"
        else:
            # Said as the rule it is: the run may stop before the budget has passed, when the next try
            # would fall after it ("gave up after 3 attempts in 2 s" beside "after 3 s" read as a lie).
            hint = (
                f"retries stop where the next would fall after {self.budget:g} s "
                "(ENDPOINTCTL_RETRY_SECONDS); run the same command again later"
            )
        return ApiError(message, status=op.last.status, hint=hint)

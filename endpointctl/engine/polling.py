"""The one polling loop: try, and until done, wait on the clock (an interrupt ends the wait) and try again.

Every wait in endpointctl is this loop with its own attempt and backoff: waiting for endpoints to be
ready (and apply's settling before a scale-to-zero), waiting for a deleted endpoint to be gone, waiting
for another process's lock, and (through ``pacer``) the data plane's cold-start retries. The deadline,
the backoff with jitter and the cancel check are written here once, on the injected clock, so tests
drive every wait without sleeping.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from endpointctl.core.backoff import POLL, Backoff
from endpointctl.core.clock import Cancel, Clock

# An attempt returns None when done; otherwise how long the other side asked to wait before the next
# one, or 0 to let the backoff decide.
Attempt = Callable[[], float | None]


class PollOutcome(StrEnum):
    DONE = "done"
    TIMEOUT = "timeout"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Polled:
    outcome: PollOutcome
    attempts: int
    elapsed: float

    @property
    def done(self) -> bool:
        return self.outcome is PollOutcome.DONE


def poll(
    attempt: Attempt,
    *,
    clock: Clock,
    timeout: float,
    cancel: Cancel | None = None,
    backoff: Backoff = POLL,
    rng: random.Random | None = None,
    cap: Callable[[], float] | None = None,
) -> Polled:
    """Call ``attempt`` until it returns None, ``timeout`` seconds pass, or ``cancel`` is set.

    ``cap``, asked after each attempt, lowers the backoff's cap for the next delay (a wait whose one
    read covers many endpoints can afford to read more often).

    The first attempt is made at once (also with a zero timeout). No sleep ever runs past the deadline,
    and the last attempt is made at it rather than skipped. An exception from ``attempt`` propagates.
    """
    uniform = (rng or random.Random()).uniform
    start = clock.now()
    deadline = start + timeout
    attempts = 0
    while True:
        if cancel is not None and cancel.is_set():
            return Polled(PollOutcome.INTERRUPTED, attempts, clock.now() - start)
        asked = attempt()
        attempts += 1
        now = clock.now()
        if asked is None:
            return Polled(PollOutcome.DONE, attempts, now - start)
        if now >= deadline:
            return Polled(PollOutcome.TIMEOUT, attempts, now - start)
        delay = asked if asked > 0 else backoff.delay(attempts, uniform, cap=cap() if cap else None)
        if not clock.sleep(min(delay, deadline - now), cancel):
            return Polled(PollOutcome.INTERRUPTED, attempts, clock.now() - start)


def pacer(
    clock: Clock, *, cancel: Cancel | None = None, backoff: Backoff = POLL, rng: random.Random | None = None
) -> Callable[[Attempt, float], bool]:
    """``poll`` lent to a layer that may not import the engine (the data plane's cold starts): it gets
    a plain function, attempt and budget in, True out when the attempt finished within the budget."""

    def run(attempt: Attempt, budget: float) -> bool:
        return poll(attempt, clock=clock, timeout=budget, cancel=cancel, backoff=backoff, rng=rng).done

    return run

"""PURE: how long to wait before the next try, for every loop that tries again (retries and polls).

One shape serves them all: a ceiling that starts at ``initial`` and grows by ``factor`` up to ``cap``,
and a delay drawn uniformly between ``low`` and ``high`` times that ceiling. Jitter spreads apart the
clients that would otherwise poll or retry in lockstep (a CI matrix, apply's parallel calls against one
rate limit). The random source is the caller's, so tests choose it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

Uniform = Callable[[float, float], float]  # random.Random.uniform


@dataclass(frozen=True)
class Backoff:
    initial: float = 1.0
    factor: float = 2.0
    cap: float = 30.0
    low: float = 0.0  # full jitter: anywhere from nothing up to the ceiling
    high: float = 1.0

    def ceiling(self, attempt: int, cap: float | None = None) -> float:
        """The unjittered delay after the given (1-based) attempt; ``cap`` lowers the cap for this one."""
        top = self.cap if cap is None else min(self.cap, cap)
        return min(top, self.initial * self.factor ** min(attempt - 1, 64))

    def delay(self, attempt: int, uniform: Uniform, floor: float = 0.0, cap: float | None = None) -> float:
        """A jittered delay after ``attempt``, never below ``floor`` (what a server asked for)."""
        ceiling = self.ceiling(attempt, cap)
        return max(floor, uniform(ceiling * self.low, ceiling * self.high))

    def delays(self, uniform: Uniform) -> Iterator[float]:
        attempt = 1
        while True:
            yield self.delay(attempt, uniform)
            attempt += 1


# Retrying one API operation: capped exponential backoff with full jitter, never below what the server
# asked for (``Retry-After``, ``RateLimit``).
RETRY = Backoff(initial=1.0, factor=2.0, cap=30.0, low=0.0, high=1.0)
# Polling the API while waiting for endpoints: from 1 s up to 20 s, each within ±20%.
POLL = Backoff(initial=1.0, factor=1.5, cap=20.0, low=0.8, high=1.2)
# Waiting on many endpoints costs one list per namespace per poll, however many it covers: the more
# endpoints one list answers for, the more often it can be read within this budget of reads per
# endpoint-minute (a list counted once). hf's wait() reads each endpoint every 5 s, 12 per minute.
READS_PER_ENDPOINT_MINUTE = 4.0
# ... but never more often than this: a readiness is then noticed within ~3.6 s (with jitter).
SHARED_POLL_FLOOR = 3.0


def shared_poll_cap(lists_per_poll: int, endpoints: int) -> float:
    """The longest pause between polls that one list per namespace covering ``endpoints`` needs to stay
    within ``READS_PER_ENDPOINT_MINUTE``: one endpoint alone is read every 15 s at most, twenty at
    once every ``SHARED_POLL_FLOOR`` seconds. ``POLL``'s own cap still applies above it."""
    if endpoints <= 0:
        return POLL.cap
    return max(SHARED_POLL_FLOOR, 60.0 * max(lists_per_poll, 1) / (READS_PER_ENDPOINT_MINUTE * endpoints))


# Reading a deleted endpoint until it is gone: from 1 s doubling up to 10 s, from the upper half.
ABSENT = Backoff(initial=1.0, factor=2.0, cap=10.0, low=0.5, high=1.0)
# Connecting a log stream again after it ended or broke off: soon while lines flow, from 1 s doubling up
# to 30 s while each new stream ends with nothing new (a paused or scaled-to-zero endpoint), from the
# upper half, so that followers do not reconnect in lockstep (log_follow keeps each wait no shorter than
# the one before while the quiet lasts: the steps overlap at the cap).
FOLLOW = Backoff(initial=1.0, factor=2.0, cap=30.0, low=0.5, high=1.0)
# Trying a lock another process holds: often enough to start promptly once it is free.
LOCK = Backoff(initial=0.25, factor=1.0, cap=0.25, low=1.0, high=1.0)

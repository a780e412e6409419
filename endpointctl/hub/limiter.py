"""A server's "back off", kept for the whole process: no request to it until the time it asked for.

A 429 (or a 502/503/504) with ``Retry-After`` or an exhausted ``RateLimit`` policy is the server saying
"not before then" to this client, not to one operation: other workers sending on would each get the same
answer, amplifying the storm, and count against the same limit. So the retry loop raises the gate of
that server (``hold_until``) and every request to it, from any thread and any operation, first waits at
the gate (``wait``) until the time has passed.

There is one ``Limiter`` per server origin (scheme, host and port) and per clock (``limiter_for``): a
command has one clock, so every thread and every Hub of the process share it, while tests, each with its
own ManualClock, never see another's hold. The waiting is on the injected clock, so tests never sleep, and
on the command's cancel event, so an interrupt ends it at once. A hold that would outlast the waiting
operation's deadline is not waited for: the caller says so instead of sending (``Verdict``).
"""

from __future__ import annotations

import math
import threading
import weakref
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlsplit

from endpointctl.core.clock import Cancel, Clock


class Verdict(Enum):
    OPEN = "open"  # the gate is open (now, or after waiting): send
    PAST_DEADLINE = "past deadline"  # the hold ends after the caller's deadline: do not send
    CANCELLED = "cancelled"  # interrupted while waiting: do not send


@dataclass(frozen=True)
class Hold:
    """The gate's state: closed until ``until`` (on the limiter's clock), because of ``why``."""

    until: float
    why: str = ""  # what the server answered, for messages: "429: Too Many Requests"
    status: int | None = None  # its status


class Limiter:
    """The gate for one server: thread-safe; times are on the clock given to ``wait``."""

    def __init__(self, server: str = "the API") -> None:
        self.server = server  # "host:port", for messages
        self._lock = threading.Lock()
        self._hold = Hold(-math.inf)
        self._announced = -math.inf  # the latest hold someone has already said it waits for

    @property
    def hold(self) -> Hold:
        with self._lock:
            return self._hold

    def hold_until(self, until: float, why: str = "", status: int | None = None) -> bool:
        """Close the gate until ``until``, or leave it as it is if it is already closed for longer.

        True when this raised the gate (a later time than before)."""
        with self._lock:
            if not until > self._hold.until:
                return False
            self._hold = Hold(until, why, status)
            return True

    def left(self, now: float) -> float:
        """Seconds until the gate opens; 0 when it is open."""
        return max(0.0, self.hold.until - now)

    def first_to_announce(self) -> bool:
        """True once per hold: for the one waiter that tells the user why everything stopped."""
        with self._lock:
            if self._announced >= self._hold.until:
                return False
            self._announced = self._hold.until
            return True

    def wait(self, clock: Clock, *, deadline: float = math.inf, cancel: Cancel | None = None) -> Verdict:
        """Block until the gate is open (``OPEN``), never past ``deadline``, nor past an interrupt.

        An open gate never stops a request, interrupted or not: whether to send after an interrupt is the
        caller's to decide (the retry loop sends no new attempt; a put-back after Ctrl-C must go).

        A hold raised again while waiting is waited for too; one that ends after ``deadline`` is not
        waited for at all (``PAST_DEADLINE``): waiting for a request that could never be sent in time
        helps no one."""
        while True:
            until = self.hold.until
            now = clock.now()
            if now >= until:
                return Verdict.OPEN  # an open gate lets through even after an interrupt (a put-back)
            if until > deadline:
                return Verdict.PAST_DEADLINE
            if cancel is not None and cancel.is_set():
                return Verdict.CANCELLED
            if not clock.sleep(until - now, cancel):
                return Verdict.CANCELLED


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL (the unit a server rate-limits), lower-cased."""
    parts = urlsplit(url)
    if not parts.netloc:
        return url.lower()
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    host = (parts.hostname or "").lower()
    return f"{parts.scheme.lower()}://{host}:{port}"


# clock -> origin -> limiter. Keyed weakly by the clock: a limiter's times mean something only on its
# clock, and an ended test's ManualClock takes its holds with it.
_registry: weakref.WeakKeyDictionary[Clock, dict[str, Limiter]] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def limiter_for(url: str, clock: Clock) -> Limiter:
    """The process's limiter for the server at ``url``, on ``clock``."""
    key = origin(url)
    server = urlsplit(url).netloc or url
    with _registry_lock:
        try:
            limiters = _registry.setdefault(clock, {})
        except TypeError:  # a clock that cannot be weakly referenced or hashed: a gate of its own
            return Limiter(server)
        if key not in limiters:
            limiters[key] = Limiter(server)
        return limiters[key]

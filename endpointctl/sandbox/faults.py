"""Fault injection: the failures a robust client must survive, on demand and reproducibly.

A ``FaultInjector`` is a server middleware (see ``server.Middleware``). Each ``FaultRule`` names a
route pattern and one fault: an error status (429 with ``Retry-After`` in seconds or as a date, a 5xx),
added latency, a response that never comes, "commit the change, then drop the connection", or, for a
streamed answer (the logs' event stream), its end after N events, cleanly or by a broken connection.

Whether a rule fires is a draw from an RNG seeded with the configured seed *and the request itself*
(its method, path, query, body and how many times that same request was seen). One shared random
stream would hand out faults in whatever order the server's threads happen to run, so a parallel
client would see different faults on every run; keyed draws make a seed mean the same faults.
"""

from __future__ import annotations

import email.utils
import fnmatch
import hashlib
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from http import HTTPStatus

from .transport import Handler, Request, Response, json_response


class FaultKind(StrEnum):
    STATUS = "status"  # answer with an error status instead of calling the route
    LATENCY = "latency"  # wait, then carry on (further rules, then the route)
    HANG = "hang"  # never answer (until the sandbox stops)
    DROP = "drop"  # call the route, so its change is committed, then close without answering
    END_AFTER = "end-after"  # a streamed answer ends (cleanly) after ``events`` chunks
    BREAK_AFTER = "break-after"  # a streamed answer's connection is closed mid-body after ``events`` chunks


# The longest latency a rule may add: a day (a test or a demo never needs more); the furthest date a
# Retry-After may name (about 300 years: an HTTP date has four digits for its year).
MAX_FAULT_SECONDS = 24 * 3600.0
MAX_DATE_SECONDS = 1e10


@dataclass(frozen=True)
class FaultRule:
    kind: FaultKind
    route: str = "*"  # a route key ("POST /v2/endpoint/{namespace}") or a glob of one ("GET *", "*")
    probability: float = 1.0
    status: int = 503  # STATUS only
    retry_after: float | None = None  # STATUS: advertise this wait in Retry-After
    retry_after_date: bool = False  # ... as an HTTP date instead of seconds
    ratelimit_reset: int | None = None  # STATUS: send `RateLimit: "default";r=0;t=N`
    latency: float = 0.0  # LATENCY: seconds, real time (client timeouts are real)
    limit: int | None = None  # fire at most this many times
    events: int = 0  # END_AFTER, BREAK_AFTER: chunks sent first (an event each; a keep-alive is one too)

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability must be between 0 and 1, found {self.probability}")
        if self.kind is FaultKind.STATUS and not 400 <= self.status <= 599:
            raise ValueError(f"an injected status must be an error (400-599), found {self.status}")
        # nan passes every comparison, and a time no clock or date can hold crashed the handler on every
        # request (review). A huge Retry-After in seconds stays possible: a broken server sends one.
        retry_cap = MAX_DATE_SECONDS if self.retry_after_date else math.inf
        for name, seconds, cap in (
            ("latency", self.latency, MAX_FAULT_SECONDS),
            ("retry-after", self.retry_after, retry_cap),
        ):
            if seconds is not None and not (math.isfinite(seconds) and 0 <= seconds <= cap):
                raise ValueError(f"{name} must be a number of seconds from 0 to {cap:g}, found {seconds}")
        if self.events < 0:
            raise ValueError(f"events cannot be negative, found {self.events}")
        if self.limit is not None and self.limit < 0:
            raise ValueError("times cannot be negative")

    @property
    def label(self) -> str:
        """How the fault is counted: the status it answers, or the kind."""
        return str(self.status) if self.kind is FaultKind.STATUS else self.kind.value

    def matches(self, route: str) -> bool:
        return fnmatch.fnmatchcase(route, self.route)

    def describe(self) -> str:
        parts = [self.label]
        if self.kind is FaultKind.LATENCY:
            parts[0] = f"latency {self.latency:g} s"
        if self.kind in _STREAM_KINDS:
            parts[0] = f"{self.kind.value} {self.events} events"
        if self.retry_after is not None:
            parts.append(
                f"Retry-After {self.retry_after:g} s" + (" as a date" if self.retry_after_date else "")
            )
        if self.ratelimit_reset is not None:
            parts.append(f"RateLimit t={self.ratelimit_reset}")
        parts.append(f"p={self.probability:g}")
        if self.limit is not None:
            parts.append(f"at most {self.limit} times")
        return " ".join(parts) + f" on {self.route}"


@dataclass(frozen=True)
class FaultConfig:
    rules: tuple[FaultRule, ...] = ()
    seed: int = 0


_KINDS = {
    "status": FaultKind.STATUS,
    "latency": FaultKind.LATENCY,
    "hang": FaultKind.HANG,
    "drop": FaultKind.DROP,
    "end-after": FaultKind.END_AFTER,
    "break-after": FaultKind.BREAK_AFTER,
}
_STREAM_KINDS = (FaultKind.END_AFTER, FaultKind.BREAK_AFTER)
RULE_SYNTAX = (
    "comma-separated: one of status=CODE, latency=SECONDS, hang, drop, end-after=EVENTS, "
    "break-after=EVENTS (a stream's end, clean or broken off); optionally p=PROBABILITY, "
    "route=ROUTE (e.g. 'POST /v2/endpoint/{namespace}', default '*'), retry-after=SECONDS, "
    "retry-after-date=SECONDS, ratelimit=SECONDS, times=N"
)


def parse_rule(text: str) -> FaultRule:
    """A rule from its command-line form, e.g. ``status=429,p=0.3,retry-after=1,route=GET *``.

    ValueError says what is wrong and what the syntax is.
    """
    kind: FaultKind | None = None
    values: dict[str, str] = {}
    for token in (part.strip() for part in text.split(",")):
        if not token:
            continue
        key, sep, value = token.partition("=")
        key, value = key.strip().lower(), value.strip()
        if key in _KINDS:
            if kind is not None:
                raise ValueError(f"{text!r}: one fault per rule, found both {kind.value} and {key}")
            kind = _KINDS[key]
            if (kind in (FaultKind.HANG, FaultKind.DROP)) == bool(sep):
                raise ValueError(f"{text!r}: {key} {'takes no value' if sep else 'needs a value'}")
        elif not sep:
            raise ValueError(f"{text!r}: {token!r} is not KEY=VALUE; syntax: {RULE_SYNTAX}")
        if sep:
            values[key] = value
    if kind is None:
        raise ValueError(f"{text!r}: no fault given; syntax: {RULE_SYNTAX}")
    unknown = set(values) - {
        "status",
        "latency",
        "p",
        "route",
        "retry-after",
        "retry-after-date",
        "ratelimit",
        "times",
        "end-after",
        "break-after",
    }
    if unknown:
        raise ValueError(f"{text!r}: unknown key {sorted(unknown)[0]!r}; syntax: {RULE_SYNTAX}")
    if "retry-after" in values and "retry-after-date" in values:
        raise ValueError(f"{text!r}: give retry-after or retry-after-date, not both")
    try:
        retry_after = values.get("retry-after") or values.get("retry-after-date")
        return FaultRule(
            kind=kind,
            route=values.get("route") or "*",
            probability=float(values.get("p", "1")),
            status=int(values.get("status", "503")),
            retry_after=float(retry_after) if retry_after is not None else None,
            retry_after_date="retry-after-date" in values,
            ratelimit_reset=int(values["ratelimit"]) if "ratelimit" in values else None,
            latency=float(values.get("latency", "0")),
            limit=int(values["times"]) if "times" in values else None,
            events=int(values.get("end-after") or values.get("break-after") or "0"),
        )
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from None


@dataclass
class FaultInjector:
    """The middleware. ``released`` frees every held ("hang") request; the Sandbox sets it on stop()."""

    config: FaultConfig
    released: threading.Event = field(default_factory=threading.Event)
    wall: Callable[[], float] = time.time  # the HTTP server stamps `Date` from real time; dates must agree
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _seen: Counter[str] = field(default_factory=Counter, repr=False)
    _fired: Counter[int] = field(default_factory=Counter, repr=False)
    _injected: Counter[str] = field(default_factory=Counter, repr=False)

    def __call__(self, request: Request, call_next: Handler) -> Response:
        key = _request_key(request)
        with self._lock:
            nth = self._seen[key]
            self._seen[key] += 1
        route = request.route or request.path
        for index, rule in enumerate(self.config.rules):
            if not rule.matches(route) or not self._fires(index, rule, key, nth, route):
                continue
            if rule.kind is FaultKind.LATENCY:
                self.released.wait(rule.latency)
                continue
            if rule.kind is FaultKind.STATUS:
                return self._error(rule)
            if rule.kind is FaultKind.HANG:
                self.released.wait()
                return Response(status=503, drop_connection=True)
            response = call_next(request)
            if rule.kind in _STREAM_KINDS:
                if response.stream is not None:
                    response.stream = _first(response.stream, rule.events)
                    response.unfinished = rule.kind is FaultKind.BREAK_AFTER
                return response
            response.drop_connection = True
            return response
        return call_next(request)

    def injected(self) -> dict[str, int]:
        """Faults injected so far, keyed ``"<route> <status or kind>"``."""
        with self._lock:
            return dict(self._injected)

    def total(self) -> int:
        with self._lock:
            return sum(self._injected.values())

    def _fires(self, index: int, rule: FaultRule, key: str, nth: int, route: str) -> bool:
        draw = random.Random(f"{self.config.seed}/{index}/{key}/{nth}").random()
        if draw >= rule.probability:
            return False
        with self._lock:
            if rule.limit is not None and self._fired[index] >= rule.limit:
                return False
            self._fired[index] += 1
            self._injected[f"{route} {rule.label}"] += 1
        return True

    def _error(self, rule: FaultRule) -> Response:
        phrase = HTTPStatus(rule.status).phrase if rule.status in HTTPStatus._value2member_map_ else "Error"
        headers: dict[str, str] = {}
        if rule.retry_after is not None:
            if rule.retry_after_date:
                # Rounded up, so that truncating to whole seconds never shortens the wait asked for.
                when = math.ceil(self.wall()) + math.ceil(rule.retry_after)
                headers["Retry-After"] = email.utils.formatdate(when, usegmt=True)
            else:
                headers["Retry-After"] = f"{math.ceil(rule.retry_after)}"
        if rule.ratelimit_reset is not None:
            headers["RateLimit"] = f'"default";r=0;t={rule.ratelimit_reset}'
        return json_response(
            {"error": f"{phrase} (sandbox fault injection)"}, status=rule.status, headers=headers
        )


def _first(chunks: Iterator[bytes], count: int) -> Iterator[bytes]:
    """The first ``count`` chunks; none is asked for past them (the next may be long in coming)."""
    try:
        for _ in range(count):
            chunk = next(chunks, None)
            if chunk is None:
                return
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if callable(close):
            close()


def _request_key(request: Request) -> str:
    query = "&".join(f"{k}={v}" for k, v in sorted(request.query.items()))
    body = hashlib.sha256(request.body).hexdigest()[:16]
    return f"{request.method} {request.path}?{query}#{body}"

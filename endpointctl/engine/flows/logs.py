"""logs and replicas: what an endpoint's containers print, and which replicas it runs; and the last log
lines a failed or timed-out wait shows.

``--since`` is applied here (``core.logs.SinceFilter``): the logs routes take no such parameter, so the
lines asked for are filtered on the timestamp each starts with, against the session's wall clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from endpointctl.core.errors import ApiError, EndpointctlError
from endpointctl.core.logs import (
    DEFAULT_TAIL,
    MAX_TAIL,
    WAIT_LINE_WIDTH,
    WAIT_TAIL,
    LogTail,
    Replica,
    SinceFilter,
    cut,
)
from endpointctl.core.outcomes import EndpointWait, WaitOutcome, WaitReport
from endpointctl.core.targets import Target
from endpointctl.engine.session import Session

# How long a failed wait may spend reading the logs of all its endpoints together, retries included.
TAIL_BUDGET = 10.0
_ENDED_ON = frozenset({"failed", "updateFailed"})  # the states whose cause the logs should show


@dataclass(frozen=True)
class LogQuery:
    tail: int | None = None  # None: DEFAULT_TAIL, or MAX_TAIL with ``since`` (the filter needs lines)
    since: float | None = None  # seconds before now
    replica: str | None = None

    @property
    def lines_asked(self) -> int:
        if self.tail is not None:
            return self.tail
        return MAX_TAIL if self.since is not None else DEFAULT_TAIL


@dataclass(frozen=True)
class LogsRead:
    lines: list[str]
    # --since was given, lines came, and none started with a timestamp: nothing could be filtered.
    undated: bool = False


class FollowEnd(StrEnum):
    DELETED = "deleted"  # the stream ended, and the endpoint is gone
    ENDED = "ended"  # the server ended the stream; the endpoint is still there (or unknown)
    INTERRUPTED = "interrupted"  # the command's cancel event was set


def _since(session: Session, query: LogQuery) -> SinceFilter:
    cutoff = None if query.since is None else session.clock.wall() - query.since
    return SinceFilter(cutoff)


def read(session: Session, target: Target, query: LogQuery) -> LogsRead:
    """The endpoint's last lines, oldest first, those before ``--since`` left out."""
    lines = session.hub.logs(target.namespace, target.name, tail=query.lines_asked, replica=query.replica)
    since = _since(session, query)
    kept = since.apply(lines)
    return LogsRead(kept, undated=query.since is not None and bool(lines) and not since.dated)


def follow(session: Session, target: Target, query: LogQuery, show: Callable[[str], None]) -> FollowEnd:
    """Each line as the server sends it, to ``show``, until the stream ends or the command is cancelled
    (Ctrl-C raises KeyboardInterrupt through here; the stream is closed on the way out)."""
    since = _since(session, query)
    with session.hub.follow_logs(
        target.namespace, target.name, tail=query.lines_asked, replica=query.replica
    ) as lines:
        for line in lines:
            if session.cancel.is_set():
                return FollowEnd.INTERRUPTED
            if since.keep(line):
                show(line)
    try:
        gone = session.hub.get(target.namespace, target.name) is None
    except ApiError:
        gone = False  # cannot tell: the stream ended, which is all that is known
    return FollowEnd.DELETED if gone else FollowEnd.ENDED


def replicas(session: Session, target: Target) -> list[Replica]:
    return session.hub.replicas(target.namespace, target.name)


# -- a failed wait's last lines -------------------------------------------------------------------------


def wants_tail(e: EndpointWait) -> bool:
    """A wait that ended on ``failed``, ``updateFailed`` or a timeout on an endpoint that exists."""
    if e.outcome is WaitOutcome.FAILED:
        return e.endpoint is not None and e.status in _ENDED_ON
    return e.outcome is WaitOutcome.TIMEOUT and e.endpoint is not None


def tail_of(session: Session, target: Target, deadline: float) -> LogTail:
    """The last ``WAIT_TAIL`` lines, each at most ``WAIT_LINE_WIDTH`` wide; never raises: a logs route
    that fails (404 where the service has none, 403 for a plan without logs, a timeout) says why instead,
    and the wait's own outcome stands."""
    try:
        lines = session.hub.logs(
            target.namespace,
            target.name,
            tail=WAIT_TAIL,
            line_max_length=WAIT_LINE_WIDTH,
            deadline=deadline,
        )
    except EndpointctlError as error:
        return LogTail(unavailable=error.message)
    except Exception as error:  # the wait's own outcome is what matters: never lost to the logs
        return LogTail(unavailable=f"unexpected {type(error).__name__}: {error}")
    return LogTail(tuple(cut(line, WAIT_LINE_WIDTH) for line in lines))


def with_tails(session: Session, report: WaitReport) -> WaitReport:
    """The report, each endpoint that failed or timed out carrying its last log lines."""
    if session.cancel.is_set() or not any(wants_tail(e) for e in report.endpoints):
        return report
    deadline = session.clock.now() + TAIL_BUDGET
    endpoints = tuple(
        replace(e, logs=tail_of(session, Target(e.target.namespace, e.target.name), deadline))
        if wants_tail(e)
        else e
        for e in report.endpoints
    )
    return replace(report, endpoints=endpoints)

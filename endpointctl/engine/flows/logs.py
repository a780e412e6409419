"""logs and replicas: what an endpoint's containers print, and which replicas it runs; and the last log
lines a failed or timed-out wait shows.

``--since`` is applied here (``core.logs.SinceFilter``): the logs routes take no such parameter, so the
lines asked for are filtered on the timestamp each starts with, against the session's wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from endpointctl.core.errors import ApiError, EndpointctlError, NotFound, NothingMatched
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
from endpointctl.core.suggest import command_for
from endpointctl.core.targets import Target
from endpointctl.engine.session import Session

# How long a failed wait may spend reading the logs of all its endpoints together, retries included.
TAIL_BUDGET = 10.0
_ENDED_ON = frozenset({"failed", "updateFailed"})  # the states whose cause the logs should show
_REPLICAS_LISTED = 10  # replica IDs an unmatched --replica names


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


def since_filter(session: Session, query: LogQuery) -> SinceFilter:
    cutoff = None if query.since is None else session.clock.wall() - query.since
    return SinceFilter(cutoff)


def read(session: Session, target: Target, query: LogQuery) -> LogsRead:
    """The endpoint's last lines, oldest first, those before ``--since`` left out."""
    lines = session.hub.logs(target.namespace, target.name, tail=query.lines_asked, replica=query.replica)
    if query.replica is not None and not lines:
        # No line at all (before --since): a replica that printed nothing yet, or an ID that names none.
        check_replica(session, target, query.replica, lines_read=query.lines_asked > 0)
    since = since_filter(session, query)
    kept = since.apply(lines)
    return LogsRead(kept, undated=query.since is not None and bool(lines) and not since.dated)


def replicas(session: Session, target: Target) -> list[Replica]:
    return session.hub.replicas(target.namespace, target.name)


def check_replica(session: Session, target: Target, replica: str, *, lines_read: bool) -> None:
    """NothingMatched unless ``replica`` names one of the endpoint's replicas: one the replica list shows
    now, or one with a line in the logs (a replica that has stopped, whose lines are still kept).

    The routes themselves cannot tell: the logs of an ID that matches nothing are just empty, and a
    scheduled ``logs --replica`` with a typo must not pass as "it printed nothing" (README, exit codes).
    ``lines_read``: the caller already asked the logs for this replica's lines and got none.
    """
    try:
        listed: list[Replica] | None = session.hub.replicas(target.namespace, target.name)
        unlisted = ""
    except NotFound:
        raise  # the endpoint itself is gone: said as for any command
    except ApiError as error:
        listed, unlisted = None, error.message
    ids = [r.id for r in listed or [] if r.id is not None]
    if replica in ids:
        return
    if not lines_read and session.hub.logs(target.namespace, target.name, tail=1, replica=replica):
        return
    if listed is None:
        now = f"its replica list could not be read ({unlisted})"
    elif not ids:
        now = "it runs no replica now"
    else:
        more = f", and {len(ids) - _REPLICAS_LISTED} more" if len(ids) > _REPLICAS_LISTED else ""
        now = f"its replicas now: {', '.join(ids[:_REPLICAS_LISTED])}{more}"
    listing = command_for("replicas", target.namespace, target.name, implied=session.implied_namespace)
    raise NothingMatched(
        f"no replica '{replica}' of '{target.key}': no log line is from it, and {now}",
        hint=f"`{listing}` lists its replicas' IDs",
    )


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

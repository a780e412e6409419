"""logs --follow: an endpoint's log lines as they come, for as long as it exists, over streams that end.

Proxies and load balancers close server-sent event streams (idle timeouts, deploys), and a connection may
break off: either way, while the endpoint still exists, a new stream is opened after a wait on the
session's clock (an interrupt ends it), and its first lines, which repeat what was shown, are skipped
(``core.log_resume``). The waits grow while each new stream ends with nothing new (a paused or
scaled-to-zero endpoint: said once), and shrink again once lines flow. A connect that keeps failing ends
as every call does, within the retry budget (exit 1); the endpoint deleted ends the follow (exit 0).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from enum import StrEnum

from endpointctl.core.backoff import FOLLOW
from endpointctl.core.errors import ApiError, NotFound, StreamBroke
from endpointctl.core.log_resume import RESUME_TAIL, Rejoin, Seen
from endpointctl.core.logs import SinceFilter
from endpointctl.core.targets import Target
from endpointctl.engine.flows.logs import LogQuery, check_replica, since_filter
from endpointctl.engine.session import Session

Say = Callable[[str], None]
# Streams in a row that brought nothing new before the quiet is explained (once).
_QUIET_NOTE_AFTER = 2


class FollowEnd(StrEnum):
    DELETED = "deleted"  # a stream ended, and the endpoint is gone
    INTERRUPTED = "interrupted"  # the command's cancel event was set


class _Follower:
    def __init__(
        self, session: Session, target: Target, query: LogQuery, show: Say, report: Say, warn: Say
    ) -> None:
        self.session, self.target, self.query = session, target, query
        self.show, self.report, self.warn = show, report, warn
        self.seen = Seen()
        self.since: SinceFilter = since_filter(session, query)
        self.quiet = 0  # streams in a row that brought no new line
        self.explained = False
        # When the endpoint followed was created ("": not known): one of that name created later is
        # another endpoint, whose lines are all new.
        self.created = ""

    def identify(self) -> None:
        try:
            endpoint = self.session.hub.get(self.target.namespace, self.target.name)
        except ApiError:
            return  # not known: connecting tells whether it is there
        self.created = endpoint.created_at if endpoint is not None else ""

    def stream(self, tail: int) -> tuple[int, str]:
        """One stream read to its end: how many new lines it brought, and how it ended."""
        rejoin = Rejoin(self.seen, tail)
        got = 0
        hub, target, replica = self.session.hub, self.target, self.query.replica
        try:
            with hub.follow_logs(target.namespace, target.name, tail=tail, replica=replica) as entries:
                for entry in entries:
                    if self.session.cancel.is_set():
                        return got, ""
                    got += self._pass(rejoin, rejoin.feed(entry))
        except StreamBroke as error:
            # What was held stays unjudged: the next stream sends those lines again.
            return got, f"broke off ({error.why})"
        return got, "was ended by the server"

    def _pass(self, rejoin: Rejoin, lines: list[str]) -> int:
        if rejoin.missing:
            rejoin.missing = False  # said once per stream
            self.warn(
                f"lines of '{self.target.key}' may be missing: the last {RESUME_TAIL} entries sent again on "
                "reconnecting do not reach back to the last line shown"
            )
        for line in lines:
            if self.since.keep(line):
                self.show(line)
        return len(lines)

    def gone(self) -> bool:
        try:
            endpoint = self.session.hub.get(self.target.namespace, self.target.name)
        except ApiError:
            return False  # cannot tell: connecting again tells (a 404 there ends the follow)
        if endpoint is None:
            return True
        if self.created and endpoint.created_at and endpoint.created_at != self.created:
            self.report(
                f"'{self.target.key}' was deleted and created again (at {endpoint.created_at}): "
                "following the new endpoint's log from its start"
            )
            self.created, self.seen = endpoint.created_at, Seen()
        if self.quiet >= _QUIET_NOTE_AFTER and not self.explained:
            self.explained = True
            self.report(
                f"no new line from '{self.target.key}' (it is {endpoint.shown_state}): reconnecting less "
                f"often, at most every {FOLLOW.cap:g} s"
            )
        return False


def follow(
    session: Session,
    target: Target,
    query: LogQuery,
    show: Say,
    *,
    warn: Say,
    rng: random.Random | None = None,
) -> FollowEnd:
    """Each line as it comes, to ``show``, until the endpoint is deleted or the command is cancelled (a
    Ctrl-C raises KeyboardInterrupt through here; the stream is closed on the way out). Reconnects are
    said to ``session.report``, lines that may be missing to ``warn``; an error ends it as it is raised."""
    if query.replica is not None:
        # A stream of an ID that names no replica would print nothing, and never end: told first.
        check_replica(session, target, query.replica, lines_read=False)
    follower = _Follower(session, target, query, show, session.report, warn)
    follower.identify()
    uniform = (rng or random.Random()).uniform
    tail = query.lines_asked
    if tail == 0:
        follower.seen.since(session.clock.wall())  # a reconnect shows no line older than this one
    first, delay = True, 0.0
    while True:
        try:
            got, ended = follower.stream(tail if first else RESUME_TAIL)
        except NotFound:
            # Gone between a stream's end and the next connect, if reading it says so: a logs route that
            # answers 404 alone (a gateway, logs turned off) is an error, not a deletion.
            if first or not follower.gone():
                raise
            return FollowEnd.DELETED
        first = False
        if session.cancel.is_set():
            return FollowEnd.INTERRUPTED
        follower.quiet = 0 if got else follower.quiet + 1
        if follower.gone():
            return FollowEnd.DELETED
        # Randomised within each step, the steps overlap at the cap: never shorter than the last while
        # the quiet lasts.
        delay = max(FOLLOW.delay(follower.quiet + 1, uniform), delay if follower.quiet else 0.0)
        session.report(f"the log stream of '{target.key}' {ended}; reconnecting in {delay:.1f} s")
        if not session.clock.sleep(delay, session.cancel):
            return FollowEnd.INTERRUPTED

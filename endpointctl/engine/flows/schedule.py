"""schedule run: move scheduled endpoints to the state their schedule holds now.

``run`` takes each endpoint's lock on its own (``locks.hold_each``, the lock ``apply`` takes on it, in the
same order), then reads each namespace once and executes only the lifecycle moves
(``core.schedule_plan``) through the executor, so retries, interrupts and part-way results work as
everywhere else. One endpoint or namespace it cannot handle stops no other (``core.schedule_holds``): an
endpoint whose lock another command holds past ``--lock-timeout``, or whose namespace could not be listed,
is reported blocked and the rest converge; ``schedule run`` never deletes, so a complete listing of one
namespace is all a move there needs. (``schedule show`` needs no engine: it reads nothing live, see
``core.schedule_plan.coming``.)

With each endpoint's lock it takes its lease lock (``engine.leases``, the lock ``run`` takes to join and
leave), first, as ``run`` does: while an ``endpointctl run`` with this state directory uses an endpoint, it
is not paused or scaled to zero under the batch, and the state that run puts it back in follows the
schedule. A run whose pid cannot be checked here (another container) and whose heartbeat stopped over
``LEASE_EXPIRY`` ago is taken as gone, with a note in the endpoint's record; one that cannot be told alive
or gone blocks its endpoint.

From its first lock wait to its last move an interrupt (SIGINT/SIGTERM) only stops what is left: one
while it waits for a lock or reads leaves every endpoint as it is, and one while it moves starts no new
move; either way every endpoint still has its record, saying what was and was not done (exit 130).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from endpointctl.core import schedule_holds as holds
from endpointctl.core.defaults import SCHEDULE_LOCK_TIMEOUT
from endpointctl.core.errors import ApiError, EndpointctlError, Interrupted
from endpointctl.core.outcomes import ChangeOutcome, ChangeResult
from endpointctl.core.schedule_plan import ScheduledChange, as_plan, plan_schedules, scheduled
from endpointctl.core.spec import Desired
from endpointctl.core.targets import Target
from endpointctl.engine import locks
from endpointctl.engine.interaction import Hooks
from endpointctl.engine.leases import LeaseBook, LeaseBookUnreadable, gone_note, lease_key
from endpointctl.engine.locks import Holder
from endpointctl.engine.session import Placed, Session

Key = tuple[str, str]  # (namespace, name)


@dataclass(frozen=True)
class ScheduleRun:
    at: datetime
    moves: list[ScheduledChange]
    results: list[ChangeResult] | None  # None: a dry run, nothing executed

    def result_of(self, move: ScheduledChange) -> ChangeResult | None:
        by_key = {(r.change.namespace, r.change.name): r for r in self.results or ()}
        return by_key.get(move.key)


def now(session: Session) -> datetime:
    return datetime.fromtimestamp(session.clock.wall(), UTC)


def run(
    session: Session,
    desired: Sequence[Desired],
    *,
    at: datetime | None,
    dry_run: bool,
    hooks: Hooks,
    lock_timeout: float = SCHEDULE_LOCK_TIMEOUT,
) -> ScheduleRun:
    when = at or now(session)
    if not dry_run:
        locks.check_usable(session.locks_dir)  # before any API call
    placed, unplaced = _place(session, scheduled(desired), when)
    if not placed:
        return ScheduleRun(when, unplaced, session.execute(as_plan(unplaced)) if unplaced else [])
    if dry_run:  # changes nothing, so it neither takes nor waits for a lock, nor tidies a lease book
        found = _users(session, {_key(item): _book(session, item) for item in placed}, tidy=False)
        moves = _leased(_moves(session, placed, when, found.unknown), found, when)
        return ScheduleRun(when, moves + unplaced, None)
    # Sorted as apply sorts its keys, each lease key just before its endpoint's, as `run` takes them:
    # whoever waits for whom, nobody waits in a circle.
    order = sorted(placed, key=lambda item: _endpoint_key(item))
    command = "endpointctl schedule run " + " ".join(sorted({d.name for _, d in placed}))
    # Interruptible from the first lock wait on: a cron job's SIGTERM there still gets every record out.
    with hooks.interruptible(), contextlib.ExitStack() as held:
        try:
            missed = held.enter_context(
                locks.hold_each(
                    [[lease_key(Target(*_key(item))), _endpoint_key(item)] for item in order],
                    directory=session.locks_dir,
                    command=command,
                    timeout=lock_timeout,
                    clock=session.clock,
                    on_wait=session.report,
                    cancel=session.cancel,
                )
            )
            if at is None:
                # The lock wait may have lasted a minute: judge each endpoint at the time it is read now
                # (one a person just resumed would read as deploying since after ``when``).
                when = now(session)
            not_held = {_key(item): why for item, why in zip(order, missed, strict=True) if why}
            # Read under its lease lock: no run joins or leaves until this run has ended.
            books = {_key(item): _book(session, item) for item in order if _key(item) not in not_held}
            found = _users(session, books, tidy=True)
            books = {key: book for key, book in books.items() if key not in found.unknown}
            moves = _leased(_moves(session, placed, when, {**not_held, **found.unknown}), found, when)
            moves += unplaced
        except Interrupted as stopped:  # waiting for a lock, or reading: before any move
            return _not_reached(placed, when, stopped.message, unplaced)
        results = session.execute(as_plan(moves))  # interrupted, it starts no new move and says so
        _keep_records(session, books, found.users, moves, results, when)
    return ScheduleRun(when, moves, results)


def _place(
    session: Session, desired: Sequence[Desired], at: datetime
) -> tuple[list[Placed], list[ScheduledChange]]:
    """Each manifest's namespace. When the token's user cannot be read (whoami, a rate-limited route),
    only the endpoints of manifests that name no namespace are blocked: the others still move."""
    try:
        return session.place(desired), []
    except ApiError as error:
        named = [d for d in desired if d.manifest.metadata.namespace]
        if len(named) == len(desired):
            raise  # not whoami's: every manifest names its namespace
        unnamed = [holds.unplaced(d, at, error.message) for d in desired if not d.manifest.metadata.namespace]
        return session.place(named), unnamed


def _not_reached(
    placed: Sequence[Placed], at: datetime, why: str, unplaced: Sequence[ScheduledChange] = ()
) -> ScheduleRun:
    """Every endpoint, left as it is, each with its record: the run was interrupted before any move (those
    whose namespace is unknown keep their own reason)."""
    moves = [holds.not_reached(namespace, desired, at) for namespace, desired in placed]
    error = f"left as it is, not read: {why}"
    results = [ChangeResult(move.change, ChangeOutcome.INTERRUPTED, error=error) for move in moves]
    results += [ChangeResult(m.change, ChangeOutcome.BLOCKED, error=m.change.reason) for m in unplaced]
    return ScheduleRun(at, [*moves, *unplaced], results)


@dataclass(frozen=True)
class _Users:
    users: dict[Key, list[Holder]]  # who uses each endpoint through `endpointctl run`
    gone: dict[Key, list[Holder]]  # holders taken as gone by their heartbeat: said in the endpoint's record
    unknown: dict[Key, str]  # why who uses it cannot be told: blocked


def _users(session: Session, books: Mapping[Key, LeaseBook], *, tidy: bool) -> _Users:
    """Who uses each endpoint through ``endpointctl run``, and why that cannot be told for some: an
    endpoint whose lease book cannot be read is left as it is (blocked), never taken as one nobody uses.
    A holder's heartbeat is judged on this machine's clock, never ``--at``: it says when a run last lived."""
    found = _Users({}, {}, {})
    wall = session.clock.wall()
    for key, book in books.items():
        try:
            reading = book.read(session.processes, wall, tidy=tidy)
        except LeaseBookUnreadable as error:
            found.unknown[key] = f"whether `endpointctl run` uses it cannot be told ({error.message})"
            continue
        found.users[key] = reading.live
        if reading.gone:
            found.gone[key] = reading.gone
    return found


def _key(item: Placed) -> Key:
    return (item[0], item[1].name)


def _book(session: Session, item: Placed) -> LeaseBook:
    return LeaseBook(session.locks_dir, Target(*_key(item)))


def _endpoint_key(item: Placed) -> str:
    namespace, desired = item
    (key,) = locks.apply_keys(None, [(namespace, desired.name)])
    return key


def _moves(
    session: Session, placed: Sequence[Placed], at: datetime, not_held: Mapping[Key, str]
) -> list[ScheduledChange]:
    """Each endpoint's move, read after its lock was taken; what stands in its way makes it blocked."""
    readings = session.observe_each([namespace for namespace, _ in placed])
    listed = {ns: found for ns, found in readings.items() if not isinstance(found, EndpointctlError)}
    planned = {move.key: move for move in plan_schedules([p for p in placed if p[0] in listed], listed, at)}
    moves: list[ScheduledChange] = []
    for namespace, desired in placed:
        reading = readings[namespace]
        if isinstance(reading, EndpointctlError):
            moves.append(holds.unread(namespace, desired, at, reading.message))
            continue
        move = planned[(namespace, desired.name)]
        why = not_held.get(move.key)
        moves.append(holds.blocked(move, f"{why}; left to it, the next run looks again") if why else move)
    return moves


def _leased(moves: list[ScheduledChange], found: _Users, at: datetime) -> list[ScheduledChange]:
    """No pause or scale-to-zero under a live ``endpointctl run`` (``engine.leases``); a holder taken as
    gone is said in the endpoint's record, whatever its move."""
    leased: list[ScheduledChange] = []
    for move in moves:
        holders = found.users.get(move.key)
        if holders:
            move = holds.in_use(move, "; ".join(_user(h) for h in holders), at)
        for holder in found.gone.get(move.key, ()):
            move = holds.noted(move, gone_note(holder))
        leased.append(move)
    return leased


def _user(holder: Holder) -> str:
    renewed = f", renewed {holder.renewed}" if holder.renewed not in (None, holder.since) else ""
    return f"pid {holder.pid} on {holder.host}, since {holder.since}{renewed}"


def _keep_records(
    session: Session,
    books: Mapping[Key, LeaseBook],
    users: Mapping[Key, list[Holder]],
    moves: Sequence[ScheduledChange],
    results: Sequence[ChangeResult],
    at: datetime,
) -> None:
    """The lease records follow the schedule. While a run uses the endpoint, the state it puts it back in
    is the schedule's now (a batch that started before the window opens leaves it running inside). Once
    this run has put an endpoint no run uses in its schedule's state, a record left by a killed run is
    dropped: restoring it later would undo the schedule (a night's "paused" in the day)."""
    done = {(r.change.namespace, r.change.name): r.outcome for r in results}
    for move in moves:
        book = books.get(move.key)
        back = holds.put_back(move, at)
        if book is None or back is None:
            continue  # not had, not read, blocked, or a state endpointctl does not know: left as it is
        recorded = book.recorded()
        try:
            if users[move.key]:
                if recorded != back:
                    book.record(back)
            elif recorded is not None and done.get(move.key) in (ChangeOutcome.OK, ChangeOutcome.UNCHANGED):
                book.forget()
                session.report(
                    f"{move.change.namespace}/{move.change.name}: a run that ended without putting it back "
                    f"(killed?) recorded it as {recorded}; dropped, for its schedule holds {back} now"
                )
        except OSError as error:
            # The moves are made and their records must still be printed: said, not raised.
            session.report(
                f"{move.change.namespace}/{move.change.name}: its lease record could not be kept "
                f"({error}); a run using it may put it back in another state than its schedule's"
            )

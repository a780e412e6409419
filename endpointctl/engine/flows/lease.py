"""``endpointctl run``: lease an endpoint for one command — wake it, wait (and smoke), run, put it back.

The order, and why:

1. Join the lease (``engine.leases``) under the endpoint's ``lease:`` lock, reading the live state there:
   the first lease records the state it found; a later one takes that record, so whichever lease
   finishes last restores the state from before the first. From then until it leaves, the run renews its
   lease record every ``LEASE_RENEWAL`` seconds (``engine.heartbeat``, on ``Session.timer``), so that a
   reader that cannot check its pid (another container) can tell it from a run killed long ago.
2. Resume it if it is paused or scaled to zero (``lifecycle_plan``, ``Session.execute``, under the
   endpoint's lock as ``resume`` takes it), wait until it is ready (the one polling loop) and, with
   ``smoke``, smoke-test it.
3. Only when it is ready (and no interrupt came): run the command.
4. Always — the command failed, the endpoint never got ready, an interrupt came — leave the lease, and
   if no other live lease holds it, put it back: paused → pause, scaledToZero → scale-to-zero, anything
   else is left as it is. Given a manifest with a schedule, the state to put it back in is the one the
   schedule holds then (``core.scheduled.awake_state``), not the one found: a batch that started before
   the window opens and ends inside it leaves the endpoint running, and a killed run's record is no
   reason to pause it in the day. Given a NAME only, it is the record, which ``schedule run`` keeps to
   the schedule's state while the lease is held (``flows.schedule``). A hold (``schedule hold``) on the
   live endpoint keeps it awake either way, and one that cannot be read fails the restore (exit 1).

Everything from joining on runs inside ``hooks.interruptible``: a first SIGINT/SIGTERM stops the waiting
(the caller forwards it to the command) and the restore still happens; a second stops the process at
once, and the lease's crash safety hands the restore to the next run of that endpoint.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from endpointctl.core.defaults import LEASE_EXPIRY, LEASE_RENEWAL
from endpointctl.core.desired_state import DesiredState
from endpointctl.core.endpoint import Endpoint, Status
from endpointctl.core.errors import EndpointctlError, NothingMatched
from endpointctl.core.hold_tag import minute_text
from endpointctl.core.lifecycle_plan import lifecycle_plan
from endpointctl.core.outcomes import (
    ChangeOutcome,
    ChangeResult,
    SmokeResult,
    WaitOutcome,
    WaitReport,
    all_passed,
)
from endpointctl.core.plan import StepKind
from endpointctl.core.readiness import WaitTarget
from endpointctl.core.scheduled import awake_state, held_stop
from endpointctl.core.spec import Desired
from endpointctl.core.suggest import command_for
from endpointctl.core.targets import Target
from endpointctl.engine import heartbeat, locks
from endpointctl.engine.cancel import CancelEvent
from endpointctl.engine.executor import Executor
from endpointctl.engine.flows import smoke as smoking
from endpointctl.engine.flows import wait as waiting
from endpointctl.engine.interaction import Hooks
from endpointctl.engine.leases import LeaseBook, gone_note, identified, lease_key
from endpointctl.engine.session import Session

Command = Callable[[Endpoint], int]  # runs the command against the ready endpoint; its exit status

# The state found → the step that puts it back; any other state is left as the command left it.
_RESTORE = {Status.PAUSED.value: StepKind.PAUSE, Status.SCALED_TO_ZERO.value: StepKind.SCALE_TO_ZERO}
_ASLEEP = (Status.PAUSED, Status.SCALED_TO_ZERO)


@dataclass
class Leased:
    """What one leased run did, step by step; ``cli.run`` makes the exit code of it."""

    target: Target
    found: Endpoint  # as this run found it when it joined
    before: str  # the state the first lease found: the one it is put back in, unless ``scheduled``
    shared: int  # other live leases when this one joined
    woke: list[ChangeResult] = field(default_factory=list)  # the resume, when one was needed
    waited: WaitReport | None = None
    smoked: list[SmokeResult] | None = None  # None: not asked for, or never ready
    status: int | None = None  # the command's exit status; None when it did not run
    restored: list[ChangeResult] = field(default_factory=list)
    kept_for: int = 0  # live leases left when this one ended: the last of them restores
    restore_error: str | None = None
    scheduled: Desired | None = None  # a manifest with a schedule: its state at the end is the one
    put_back_to: str | None = None  # the state it was (to be) put back in, once decided

    @property
    def back_to(self) -> str:
        """The state it is put back in, as said before it is decided."""
        return self.before if self.scheduled is None else "the state its schedule holds when it ends"

    @property
    def restore_failed(self) -> bool:
        done = (ChangeOutcome.OK, ChangeOutcome.UNCHANGED)
        return self.restore_error is not None or any(r.outcome not in done for r in self.restored)


def run(
    session: Session,
    target: Target,
    desired: Desired | None,
    *,
    smoke: bool,
    timeout: float,
    hooks: Hooks,
    command: Command,
    command_line: str,
) -> Leased:
    """Lease ``target`` for ``command`` (see the module's docstring).

    Raises before the lease is taken (no such endpoint, the lease's lock not had, an interrupt while
    waiting for it); after that, an error still lets the restore happen first.
    """
    locks.check_usable(session.locks_dir)  # before any API call
    with hooks.interruptible():
        scheduled = desired if desired is not None and desired.spec.schedule is not None else None
        leased, mine = _join(session, target, command_line, scheduled)
        try:
            # Renewed from the moment it is written: the wait alone may outlast the expiry. Stopped (and
            # any renewal under way finished) before leaving, so that no renewal writes the file again
            # once the run has removed it.
            with _renewing(session, target, mine):
                ready = _wake(
                    session, leased, desired, smoke=smoke, timeout=timeout, hooks=hooks, line=command_line
                )
                if ready is not None and not session.cancel.is_set():
                    leased.status = command(ready)
        finally:
            _leave(session, leased, mine, command_line)
    return leased


def _lease_lock(
    session: Session, target: Target, command_line: str, *, interruptible: bool
) -> AbstractContextManager[locks.Holder]:
    return locks.hold(
        [lease_key(target)],
        directory=session.locks_dir,
        command=command_line,
        clock=session.clock,
        on_wait=session.report,
        # Joining may be given up on an interrupt; leaving (the restore) may not.
        cancel=session.cancel if interruptible else None,
        settable=False,  # run takes no --lock-timeout
    )


def _find(session: Session, target: Target) -> Endpoint | None:
    listing = session.observe([target.namespace])[target.namespace]
    return next((ep for ep in listing if ep.name == target.name), None)


@dataclass(frozen=True)
class _Mine:
    """This run's lease: its record and the file it is kept in."""

    holder: locks.Holder
    path: Path


def _others(session: Session, book: LeaseBook, target: Target) -> list[locks.Holder]:
    """The live holders but this run; those taken as gone by their heartbeat are said."""
    reading = book.read(session.processes, session.clock.wall(), me=os.getpid())
    for holder in reading.gone:
        session.report(f"{target.key}: {gone_note(holder)}")
    return reading.live


def _join(
    session: Session, target: Target, command_line: str, scheduled: Desired | None
) -> tuple[Leased, _Mine]:
    book = LeaseBook(session.locks_dir, target)
    with _lease_lock(session, target, command_line, interruptible=True) as holder:
        # Read under the lock: a last lease restoring at this moment has finished when this one reads.
        live = _find(session, target)
        if live is None:
            raise NothingMatched(f"no endpoint '{target.key}'", hint="check the name and the namespace")
        others = _others(session, book, target)
        recorded = book.recorded()
        before = recorded or live.shown_state
        leased = Leased(target, live, before, len(others), scheduled=scheduled)
        if recorded is not None and not others:
            session.report(
                f"{target.key}: a run that ended without putting it back (killed?) found it {recorded}; "
                f"this run puts it back to {leased.back_to} when it ends"
            )
        if recorded is None:
            book.record(before)
        # Stamped now, as it is written: the lock wait and the reads above may have taken minutes.
        identity = identified(holder, session.processes, session.clock.wall())
        mine = _Mine(identity, book.add(identity))
    if others:
        pids = ", ".join(str(h.pid) for h in others)
        session.report(
            f"{target.key}: shared with {len(others)} other run(s) (pid {pids}); the last to finish "
            f"puts it back to {leased.back_to}"
        )
    return leased, mine


def _renewing(session: Session, target: Target, mine: _Mine) -> AbstractContextManager[None]:
    """This run's lease renewed every LEASE_RENEWAL seconds while the block runs (``engine.heartbeat``).

    Nothing a renewal meets ends the renewing: a renewal that fails (a full disk, a bug) is said once and
    tried again the next period, and saying anything may fail too (stderr a pipe whose reader has gone)
    without stopping it. A heartbeat that stopped would, ten minutes on, have a `schedule run` in another
    container take this run as gone and pause its endpoint under the batch."""
    book = LeaseBook(session.locks_dir, target)
    failing = False  # a failure is said once, not every minute it lasts

    def say(message: str) -> None:
        with contextlib.suppress(Exception):
            session.report(f"{target.key}: {message}")

    def failed(error: Exception) -> None:
        nonlocal failing
        if not failing:
            failing = True  # set before saying it: a report that fails is not tried every minute
            say(
                f"its lease record {mine.path} cannot be renewed ({error}); once it is "
                f"{LEASE_EXPIRY / 60:g} minutes old, a `schedule run` on another host or container may "
                "take this run as gone and pause the endpoint under it"
            )

    def renew() -> None:
        nonlocal failing
        there = book.renew(mine.path, mine.holder, session.clock.wall())  # a failure: ``failed``
        failing = False
        if not there:
            say(
                f"its lease record had been removed, as a command that cannot check this "
                f"run's pid does once it is {LEASE_EXPIRY / 60:g} minutes old: it may have paused the "
                "endpoint under this run; the record is written again"
            )

    return heartbeat.beating(
        renew, period=LEASE_RENEWAL, clock=session.timer, name="endpointctl-lease", failed=failed
    )


def _wake(
    session: Session,
    leased: Leased,
    desired: Desired | None,
    *,
    smoke: bool,
    timeout: float,
    hooks: Hooks,
    line: str,
) -> Endpoint | None:
    """Resume (if asleep), wait, smoke: the ready endpoint, or None when it never got ready."""
    target, live = leased.target, leased.found
    deadline = session.clock.now() + timeout  # --timeout bounds the resume and the wait together
    wait_targets = [WaitTarget(target.namespace, target.name, reported=live.status)]
    if live.status in _ASLEEP:
        plan = lifecycle_plan(StepKind.RESUME, {target.namespace: [live]}, [target], allow_empty=False)
        with session.lock(
            _endpoint_keys(target), command=line, timeout=locks.DEFAULT_TIMEOUT, settable=False
        ):
            leased.woke = session.execute(plan)
        wait_targets = waiting.after_resume(leased.woke)
        if not wait_targets:  # the resume failed: the executor said why
            return None
    with hooks.waiting() as display:
        left = max(0.0, deadline - session.clock.now())
        leased.waited = waiting.wait_on(session, wait_targets, timeout=left, display=display)
    hooks.waited(leased.waited)
    (outcome,) = leased.waited.endpoints
    if outcome.outcome is not WaitOutcome.READY or outcome.endpoint is None:
        return None
    if smoke and not session.cancel.is_set():
        placed = [(target.namespace, desired)] if desired is not None else []
        leased.smoked = smoking.after_wait(session, leased.waited, placed)
        if not all_passed(leased.smoked):
            for result in leased.smoked:
                session.report(f"{target.key}: smoke test {result.outcome.value}: {result.reason}")
            return None
    return outcome.endpoint


def _leave(session: Session, leased: Leased, mine: _Mine, command_line: str) -> None:
    """Give the lease back; the last one puts the endpoint back where the first found it."""
    target = leased.target
    book = LeaseBook(session.locks_dir, target)
    try:
        with _lease_lock(session, target, command_line, interruptible=False):
            book.remove(mine.path)
            others = _others(session, book, target)
            if others:
                leased.kept_for = len(others)
                session.report(
                    f"{target.key}: {len(others)} other run(s) still use it; the last to finish puts it "
                    f"back to {leased.back_to}"
                )
                return
            # The record, not what this run found: `schedule run` keeps it to the schedule's state meanwhile.
            leased.restored = _restore(session, leased, book.recorded() or leased.before, command_line)
            if not leased.restore_failed:
                book.forget()
    except EndpointctlError as error:
        leased.restore_error = error.message
    if leased.restore_failed:
        # The record stays: the next run of this endpoint, finding no live lease, puts it back.
        back = leased.put_back_to or leased.back_to
        kind = _RESTORE.get(back)
        # A blocked restore (a state endpointctl does not know) was not reported by the executor: its
        # reason is said here, and no command is suggested, as it would be blocked for the same reason.
        blocked = [r.error for r in leased.restored if r.outcome is ChangeOutcome.BLOCKED and r.error]
        by_hand = ""
        if kind is not None and not blocked:
            again = command_for(kind.value, target.namespace, target.name, implied=session.implied_namespace)
            by_hand = f", or run `{again}`"
        why = leased.restore_error or "; ".join(blocked) or "see above"
        session.report(
            f"{target.key}: could not put it back to {back}: {why}; "
            f"the next `endpointctl run` of it will try again{by_hand}"
        )


def _endpoint_keys(target: Target) -> list[str]:
    # The lock `resume`, `pause` and `apply` take on this endpoint: they never interleave with ours.
    return locks.apply_keys(None, [(target.namespace, target.name)])


def _restore(session: Session, leased: Leased, recorded: str, line: str) -> list[ChangeResult]:
    target = leased.target
    observed = None
    back = recorded
    if leased.scheduled is not None:
        observed = session.observe([target.namespace])
        live = next((ep for ep in observed[target.namespace] if ep.name == target.name), None)
        if live is None:
            return []  # gone meanwhile (deleted): nothing to put back, and no error
        if live.status is Status.UNKNOWN:
            raise EndpointctlError(
                f"its state {live.shown_state!r} is not one endpointctl knows: left as it is"
            )
        at = datetime.fromtimestamp(session.clock.wall(), UTC)
        wanted = awake_state(leased.scheduled, live, at)
        if wanted.blocked is not None:
            raise EndpointctlError(wanted.blocked)  # a hold that cannot be read: not stopped on a guess
        for note in wanted.notes:
            session.report(f"{target.key}: {note}")
        back = wanted.state.value if wanted.state is not None else live.shown_state
    leased.put_back_to = back
    kind = _RESTORE.get(back)
    if kind is None:
        return []  # it was running (or starting), or its schedule holds running now: leave it running
    observed = observed or session.observe([target.namespace])
    if leased.scheduled is None and _kept_awake(session, leased, observed, back):
        return []
    # Gone meanwhile (deleted): nothing to put back, and no error.
    plan = lifecycle_plan(kind, observed, [target], allow_empty=True)
    as_scheduled = ", as its schedule holds now" if leased.scheduled is not None else ""
    session.report(f"{target.key}: putting it back to {back}{as_scheduled}")
    # Its own cancel event: the restore is what an interrupt asks for, so the first signal (which set the
    # session's) must not stop it; a second signal still ends the process at once (cli.signals).
    executor = Executor(hub=session.hub, clock=session.clock, report=session.report, cancel=CancelEvent())
    with session.lock(_endpoint_keys(target), command=line, timeout=locks.DEFAULT_TIMEOUT, settable=False):
        return executor.run(plan)


def _kept_awake(session: Session, leased: Leased, observed: Mapping[str, list[Endpoint]], back: str) -> bool:
    """Whether a hold on the endpoint (``schedule hold``) keeps it from being put back to ``back``, said.

    Given a NAME, the record is the state found, or the one a ``schedule run`` last recorded: a hold set
    since (by its owner, for tonight's demo) is on the live endpoint only, so it is read there. One that
    cannot be read is no ground to stop it on a guess: the restore fails (exit 1), naming the fix."""
    target = leased.target
    live = next((ep for ep in observed[target.namespace] if ep.name == target.name), None)
    if live is None:
        return False  # gone meanwhile: the plan says so
    wanted = held_stop(live, DesiredState(back), datetime.fromtimestamp(session.clock.wall(), UTC))
    if wanted.blocked is not None:
        raise EndpointctlError(wanted.blocked)
    if wanted.held_until is None:
        return False
    leased.put_back_to = live.shown_state
    release = command_for(
        "schedule", target.namespace, "release", target.name, implied=session.implied_namespace
    )
    session.report(
        f"{target.key}: held awake until {minute_text(wanted.held_until)} (endpointctl schedule hold): "
        f"left {live.shown_state}, not put back to {back}; `{release}` ends it"
    )
    return True

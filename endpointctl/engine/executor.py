"""Execute a plan through ``hub``: independent endpoints in parallel, steps of one endpoint in order.

One endpoint's failure does not stop the others. An interrupt (``cancel`` set) starts no new step;
the call in flight finishes. Every result says which steps were done and which were not, so an endpoint
is never left half-changed without saying so, and a re-run converges from wherever it stopped.
"""

from __future__ import annotations

import logging
import signal
import threading
import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field

from endpointctl.core.backoff import ABSENT
from endpointctl.core.clock import Cancel, Clock
from endpointctl.core.defaults import PARALLELISM, SETTLE_TIMEOUT
from endpointctl.core.diff import diff_endpoint
from endpointctl.core.endpoint import Endpoint, Status
from endpointctl.core.errors import (
    Conflict,
    EndpointctlError,
    EndpointFailed,
    Interrupted,
    OutcomeUnknown,
    PartialAnswer,
    WaitTimeout,
)
from endpointctl.core.outcomes import ChangeOutcome, ChangeResult, WaitOutcome
from endpointctl.core.plan import Action, Change, Plan, Step, StepKind
from endpointctl.core.readiness import WaitTarget
from endpointctl.core.spec import Desired
from endpointctl.core.suggest import command_for, manifest_command
from endpointctl.core.tags import MANAGED_TAG
from endpointctl.engine.polling import PollOutcome, poll
from endpointctl.engine.waiter import wait_for
from endpointctl.hub import Created, Hub
from endpointctl.hub.retry import SEE_PLAN

Reporter = Callable[[str], None]

DEFAULT_PARALLELISM = PARALLELISM  # endpoints changed at once in each namespace (core/defaults.py)
log = logging.getLogger("endpointctl.executor")

# Steps that the API refuses while an endpoint is still deploying.
_NEEDS_SETTLED = (StepKind.SCALE_TO_ZERO,)
_SETTLED = (Status.RUNNING, Status.SCALED_TO_ZERO, Status.PAUSED, Status.FAILED, Status.UPDATE_FAILED)
# Deploying: an answer in one of these says where the endpoint is going only once it has left it.
_MOVING = (Status.PENDING, Status.INITIALIZING, Status.UPDATING)
_BROKEN = (Status.FAILED, Status.UPDATE_FAILED)


def _signals_to_main_thread() -> None:
    """Keep SIGINT/SIGTERM away from workers: the main thread must see them to stop new steps at once."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


@dataclass
class Executor:
    hub: Hub
    clock: Clock
    report: Reporter
    cancel: Cancel = field(default_factory=threading.Event)
    parallelism: int = DEFAULT_PARALLELISM  # endpoints changed at once, in each namespace
    settle_timeout: float = SETTLE_TIMEOUT

    def run(self, plan: Plan) -> list[ChangeResult]:
        """Each namespace's changes in a pool of its own, ``parallelism`` wide: no more than that many of
        a namespace's endpoints are being changed (so no more of its calls are in flight) at any moment,
        and a namespace with many changes does not hold up another's. Results in the plan's order."""
        changes = [change for change in plan.changes if change.action is not Action.NOOP]
        unchanged = [
            ChangeResult(c, ChangeOutcome.UNCHANGED) for c in plan.changes if c.action is Action.NOOP
        ]
        if not changes:
            return unchanged
        per_namespace = Counter(change.namespace for change in changes)
        with ExitStack() as stack:
            pools = {
                namespace: stack.enter_context(
                    ThreadPoolExecutor(
                        max_workers=max(1, min(self.parallelism, count)),
                        initializer=_signals_to_main_thread,
                        thread_name_prefix=f"endpointctl-apply-{namespace}",
                    )
                )
                for namespace, count in per_namespace.items()
            }
            futures = [pools[change.namespace].submit(self._run_change, change) for change in changes]
            results = [future.result() for future in futures]
        return results + unchanged

    def _run_change(self, change: Change) -> ChangeResult:
        result = ChangeResult(change, ChangeOutcome.OK, not_done=[step.kind.value for step in change.steps])
        if change.action is Action.BLOCKED:
            result.outcome = ChangeOutcome.BLOCKED
            result.error = change.reason
            return result
        where = f"{change.namespace}/{change.name}"
        endpoint = change.live
        for step in change.steps:
            if self.cancel.is_set():
                result.outcome = ChangeOutcome.INTERRUPTED
                result.error = "interrupted before " + ", ".join(result.not_done)
                return result
            try:
                if step.kind in _NEEDS_SETTLED and endpoint is not None and endpoint.status not in _SETTLED:
                    endpoint = self._settle(change.namespace, change.name, resumed="resume" in result.done)
                if step.kind is StepKind.CREATE and StepKind.DELETE.value in result.done:
                    # A replace: the API may delete asynchronously, and a create of the same name
                    # before it is gone would collide with the endpoint being deleted.
                    wait_absent(
                        self.hub,
                        change.namespace,
                        change.name,
                        clock=self.clock,
                        timeout=self.settle_timeout,
                        cancel=self.cancel,
                    )
                self.report(f"{where}: {step.kind.value} ...")
                endpoint = self._do(change, step)
                if step.kind is StepKind.UPDATE:
                    result.updated = endpoint
                if self._may_wake(change, step) and endpoint is not None and endpoint.status in _MOVING:
                    # While it is read, the update is done and a pause may be owed: a failure says so.
                    _owe_pause(result)
                    latest: list[Endpoint | None] = [endpoint]
                    try:
                        self._settle_after_update(change, latest)
                    finally:
                        endpoint = latest[0]  # the last read, also when it ended otherwise (gone: None)
                    result.not_done[0] = result.done.pop()  # as before: the update's own bookkeeping follows
                if self._may_wake(change, step) and endpoint is not None and endpoint.status in _BROKEN:
                    # Not woken: failed. A pause would hide that (the next plan would read `paused`).
                    raise EndpointFailed(
                        f"endpoint '{where}' is {endpoint.status.value} after its update: not paused again",
                        hint=f"`{command_for('status', change.namespace, change.name)}` shows why",
                    )
                woken = self._woken_by_update(change, step, endpoint)
                if woken and endpoint is not None and endpoint.status is Status.UNKNOWN:
                    # A state we do not know is never acted on, a pause included: said, for a person to look.
                    self.report(
                        f"{where}: after the update the API reports the state {endpoint.shown_state!r}, "
                        "which endpointctl does not know: not paused again; see "
                        f"`{command_for('status', change.namespace, change.name)}`"
                    )
                elif woken and self.cancel.is_set():
                    # Interrupted while the update was in flight: nothing new starts, a pause included, as
                    # said; the pause is owed, and the result says so (not done).
                    _owe_pause(result)
                    raise Interrupted(f"interrupted: the update woke '{where}', and it was not paused again")
                elif woken:
                    # Unconfirmed on the real API whether an update keeps a paused endpoint paused; if it
                    # woke it, it bills, so put it back as the plan promised.
                    self.report(f"{where}: the update woke the paused endpoint; pausing it again")
                    # The update is done; what follows is a pause of its own, reported as that step.
                    _owe_pause(result)
                    endpoint = self.hub.pause(change.namespace, change.name)
            except (Interrupted, OutcomeUnknown) as error:
                interrupted = isinstance(error, Interrupted)
                result.outcome = ChangeOutcome.INTERRUPTED if interrupted else ChangeOutcome.FAILED
                result.error, result.hint = error.message, error.hint
                if isinstance(error, OutcomeUnknown) or error.outcome_unknown:
                    # Sent, and maybe done: reported as neither, so no one takes "not done" for a fact.
                    result.unknown.append(result.not_done[0])
                break
            except EndpointctlError as error:
                result.outcome = ChangeOutcome.FAILED
                result.error, result.hint = error.message, error.hint
                break
            except Exception as error:
                # A bug, not an API answer: say so, and keep the traceback for --traceback.
                result.outcome = ChangeOutcome.FAILED
                result.error = f"unexpected {type(error).__name__}: {error}"
                result.traceback = traceback.format_exc()
                break
            result.done.append(result.not_done.pop(0))
        result.endpoint = endpoint
        if result.outcome is ChangeOutcome.OK:
            self.report(f"{where}: {change.action.value} done")
        else:
            hint = f" ({result.hint})" if result.hint else ""
            self.report(f"{where}: {change.action.value} failed: {result.error}{hint}")
        return result

    @staticmethod
    def _may_wake(change: Change, step: Step) -> bool:
        """An update of a paused endpoint that the plan keeps paused (no resume or scale-to-zero after):
        paused when read, or by the plan's own pause, sent before the update."""
        kinds = [s.kind for s in change.steps]
        wants_awake = StepKind.RESUME in kinds or StepKind.SCALE_TO_ZERO in kinds
        paused_first = StepKind.PAUSE in kinds and StepKind.UPDATE in kinds[kinds.index(StepKind.PAUSE) :]
        was_paused = change.live is not None and change.live.status is Status.PAUSED
        return step.kind is StepKind.UPDATE and not wants_awake and (was_paused or paused_first)

    def _woken_by_update(self, change: Change, step: Step, endpoint: Endpoint | None) -> bool:
        return self._may_wake(change, step) and endpoint is not None and endpoint.status is not Status.PAUSED

    def _settle_after_update(self, change: Change, latest: list[Endpoint | None]) -> None:
        """Read the endpoint until it leaves the deploying state an update of it, paused, was answered
        with; ``latest[0]`` is the update's answer, then each read (None: gone), also when this raises.

        ``updating`` (or ``pending``, ``initializing``) does not say whether the update woke it: the API
        may be applying the configuration to an endpoint that stays paused [U]. A pause sent then, on a
        guess, would stop an endpoint mid-rollout for nothing; none sent, a woken one bills. So neither on
        the transitional answer: it is read until it settles (on the injected clock, within the settle
        timeout), and the settled state decides, paused (nothing to do), awake (paused again) or failed.
        Still moving at the deadline: not paused, and said, as a timeout, with the pause to run by hand:
        the manifest may set no state, so running the same command again would not pause it.
        """
        where = f"{change.namespace}/{change.name}"
        first = latest[0]
        assert first is not None
        self.report(
            f"{where}: the update was answered '{first.status.value}'; reading it until it settles, to "
            "tell whether it woke the paused endpoint"
        )

        def settled() -> float | None:
            latest[0] = read = self.hub.get(change.namespace, change.name)
            if read is None:
                raise EndpointFailed(f"endpoint '{where}' is gone after its update", hint=SEE_PLAN)
            return 0 if read.status in _MOVING else None

        polled = poll(settled, clock=self.clock, timeout=self.settle_timeout, cancel=self.cancel)
        state = latest[0].status.value if latest[0] is not None else "unknown"
        if polled.outcome is PollOutcome.INTERRUPTED:
            raise Interrupted(f"interrupted while '{where}' was {state} after its update")
        if polled.outcome is PollOutcome.TIMEOUT:
            status = command_for("status", change.namespace, change.name)
            pause = command_for("pause", change.namespace, change.name)
            raise WaitTimeout(
                f"endpoint '{where}' is still {state} {polled.elapsed:.0f}s after its update: whether the "
                "update woke it is unknown, so it was not paused again",
                hint=f"`{status}` shows it; if it is awake, `{pause}` puts it back to paused",
            )

    def _do(self, change: Change, step: Step) -> Endpoint | None:
        ns, name = change.namespace, change.name
        if step.kind is StepKind.CREATE:
            assert change.desired is not None
            return self._claim(self.hub.create(ns, change.desired, step.tags), change.desired, step.tags)
        if step.kind is StepKind.UPDATE:
            assert change.desired is not None or not step.paths, "only a tags-only update needs no manifest"
            return self.hub.update(ns, name, change.desired, step.paths, step.tags)
        if step.kind is StepKind.DELETE:
            self.hub.delete(ns, name)
            return None
        if step.kind is StepKind.PAUSE:
            return self.hub.pause(ns, name)
        if step.kind is StepKind.RESUME:
            return self.hub.resume(ns, name)
        return self.hub.scale_to_zero(ns, name)

    def _settle(self, namespace: str, name: str, *, resumed: bool = False) -> Endpoint:
        """Wait until a new endpoint has deployed, before a step the API refuses during deployment.

        Deployed is enough here (no health probe): the API only needs the deployment to be over.
        """
        self.report(f"{namespace}/{name}: waiting for the deployment to finish ...")
        report = wait_for(
            self.hub,
            None,
            # Just resumed: a lagging `paused` read is the API catching up, not a stop.
            [WaitTarget(namespace, name, resumed=resumed)],
            clock=self.clock,
            timeout=self.settle_timeout,
            cancel=self.cancel,
        )
        (outcome,) = report.endpoints
        if outcome.ready and outcome.endpoint is not None:
            return outcome.endpoint
        if outcome.outcome is WaitOutcome.INTERRUPTED:
            raise Interrupted(f"interrupted while '{namespace}/{name}' was {outcome.status}")
        if outcome.outcome is WaitOutcome.TIMEOUT:
            raise WaitTimeout(f"endpoint '{namespace}/{name}' is still {outcome.status}: {outcome.message}")
        raise EndpointFailed(outcome.message, hint=outcome.hint)

    def _claim(self, created: Created, desired: Desired, tags: tuple[str, ...]) -> Endpoint:
        """The endpoint a create made. When its answer was lost and one was then found by name, that one
        is adopted only if it carries our tag and is what the manifest asks for."""
        found = created.endpoint
        if created.found_after is None:
            return found
        doing = f"creating endpoint '{found.namespace}/{found.name}'"
        if not found.tags_reported:
            # Without its tags, ours cannot be told from someone else's: neither created nor not.
            raise OutcomeUnknown(
                f"{doing}: its answer ({created.found_after}) was lost, and an endpoint of that name exists, "
                "but the API did not list its tags; not sent again: whether this run created it is unknown",
                hint=SEE_PLAN,
            )
        if MANAGED_TAG not in found.tags:
            adopt = manifest_command("apply", desired.file, desired.run_namespace, "--adopt")
            raise Conflict(
                f"{doing}: an endpoint of that name exists without endpointctl's ownership tag "
                f"'{MANAGED_TAG}', so this run did not create it; nothing was changed",
                hint=f"find out who created it; `{adopt}` takes it over",
            )
        differing = [change.path for change in diff_endpoint(desired, found)]
        if set(tags) - set(found.tags):
            differing.append("tags")
        if differing:
            raise Conflict(
                f"{doing}: an endpoint of that name exists, tagged as endpointctl's, but differs from the "
                f"manifest in {', '.join(differing)}; another run may have created it",
                hint="run `endpointctl plan` to see the difference, then apply again",
            )
        log.info("%s: went through although its answer (%s) was lost; adopted", doing, created.found_after)
        return found


def _owe_pause(result: ChangeResult) -> None:
    """The update done, and a pause owed after it (not done until it is sent and answered)."""
    result.done.append(result.not_done.pop(0))
    result.not_done.insert(0, StepKind.PAUSE.value)


def wait_absent(
    hub: Hub, namespace: str, name: str, *, clock: Clock, timeout: float, cancel: Cancel | None = None
) -> None:
    """Read the endpoint until the API answers 404, for a create of the same name after a delete.

    The API may delete asynchronously: a create sent while the old endpoint is still there gets a 409.
    The reads' own retries end with the polling's deadline. Raises WaitTimeout when it is still there
    after ``timeout`` seconds, and Interrupted (at once) on an interrupt.
    """
    where = f"'{namespace}/{name}'"
    deadline = clock.now() + timeout
    last: list[Endpoint] = []
    partial: list[bool] = []  # [True] while the last answer was partial (PartialAnswer)

    def gone() -> float | None:
        doing = f"checking whether endpoint {where} is gone after its delete"
        try:
            found = hub.get(namespace, name, doing=doing, deadline=deadline)
        except PartialAnswer:
            partial[:] = [True]  # neither there nor gone, as far as that says: read again, to the deadline
            return 0.0
        partial.clear()
        if found is None:
            return None
        last[:] = [found]
        return 0.0

    polled = poll(gone, clock=clock, timeout=timeout, cancel=cancel, backoff=ABSENT)
    status = last[0].shown_state if last else "unknown"
    if polled.outcome is PollOutcome.TIMEOUT and partial:
        raise WaitTimeout(
            f"endpoint {where} was deleted, but whether it is gone is unknown after {timeout:g} s: the "
            "API's last answer carried an error beside it",
            hint="run `endpointctl plan` to see where things stand, and the same command again later",
        )
    if polled.outcome is PollOutcome.TIMEOUT:
        raise WaitTimeout(
            f"endpoint {where} was deleted but still exists after {timeout:g} s (status {status})",
            hint="the API may still be deleting it; run the same command again later",
        )
    if polled.outcome is PollOutcome.INTERRUPTED:
        raise Interrupted(
            f"interrupted while waiting for endpoint {where} to be gone after its delete; "
            f"it was still there (status {status})"
        )

"""Execute a plan through ``hub``: independent endpoints in parallel, steps of one endpoint in order.

One endpoint's failure does not stop the others. An interrupt (``cancel`` set) starts no new step;
the call in flight finishes. Every result says which steps were done and which were not, so an endpoint
is never left half-changed without saying so, and a re-run converges from wherever it stopped.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from endpointctl.core.errors import EndpointctlError, EndpointFailed, Interrupted, WaitTimeout
from endpointctl.core.models import Endpoint, Status
from endpointctl.core.outcomes import Outcome, Result
from endpointctl.core.plan import Action, Change, Plan, Step, StepKind
from endpointctl.core.readiness import WaitTarget
from endpointctl.engine.clock import Clock
from endpointctl.engine.waiter import Outcome as WaitOutcome
from endpointctl.engine.waiter import wait_for
from endpointctl.hub import Hub

Reporter = Callable[[str], None]

# Steps that the API refuses while an endpoint is still deploying.
_NEEDS_SETTLED = (StepKind.SCALE_TO_ZERO,)
_SETTLED = (Status.RUNNING, Status.SCALED_TO_ZERO, Status.PAUSED, Status.FAILED, Status.UPDATE_FAILED)


def _signals_to_main_thread() -> None:
    """Keep SIGINT/SIGTERM away from workers: the main thread must see them to stop new steps at once."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


@dataclass
class Executor:
    hub: Hub
    clock: Clock
    report: Reporter
    cancel: threading.Event = field(default_factory=threading.Event)
    parallelism: int = 8
    settle_timeout: float = 1200.0

    def run(self, plan: Plan) -> list[Result]:
        changes = [change for change in plan.changes if change.action is not Action.NOOP]
        unchanged = [Result(c, Outcome.UNCHANGED) for c in plan.changes if c.action is Action.NOOP]
        if not changes:
            return unchanged
        with ThreadPoolExecutor(
            max_workers=max(1, self.parallelism), initializer=_signals_to_main_thread
        ) as pool:
            results = list(pool.map(self._run_change, changes))
        return results + unchanged

    def _run_change(self, change: Change) -> Result:
        result = Result(change, Outcome.OK, not_done=[step.kind.value for step in change.steps])
        if change.action is Action.BLOCKED:
            result.outcome = Outcome.BLOCKED
            result.error = change.reason
            return result
        where = f"{change.namespace}/{change.name}"
        endpoint = change.live
        for step in change.steps:
            if self.cancel.is_set():
                result.outcome = Outcome.INTERRUPTED
                result.error = "interrupted before " + ", ".join(result.not_done)
                return result
            try:
                if step.kind in _NEEDS_SETTLED and endpoint is not None and endpoint.status not in _SETTLED:
                    endpoint = self._settle(change.namespace, change.name, resumed="resume" in result.done)
                if step.kind is StepKind.CREATE and StepKind.DELETE.value in result.done:
                    # A replace: the API may delete asynchronously, and a create of the same name
                    # before it is gone would collide with the endpoint being deleted.
                    self.hub.wait_absent(change.namespace, change.name, timeout=self.settle_timeout)
                self.report(f"{where}: {step.kind.value} ...")
                endpoint = self._do(change, step)
                if self._woken_by_update(change, step, endpoint):
                    # Unconfirmed on the real API whether an update keeps a paused endpoint paused; if it
                    # woke it, it bills, so put it back as the plan promised.
                    self.report(f"{where}: the update woke the paused endpoint; pausing it again")
                    endpoint = self.hub.pause(change.namespace, change.name)
            except Interrupted as error:
                result.outcome = Outcome.INTERRUPTED
                result.error = error.message
                break
            except EndpointctlError as error:
                result.outcome = Outcome.FAILED
                result.error = error.message
                break
            except Exception as error:
                result.outcome = Outcome.FAILED
                result.error = f"unexpected {type(error).__name__}: {error}"
                break
            result.done.append(result.not_done.pop(0))
        result.endpoint = endpoint
        if result.outcome is Outcome.OK:
            self.report(f"{where}: {change.action.value} done")
        else:
            self.report(f"{where}: {change.action.value} failed: {result.error}")
        return result

    @staticmethod
    def _woken_by_update(change: Change, step: Step, endpoint: Endpoint | None) -> bool:
        wants_awake = any(s.kind in (StepKind.RESUME, StepKind.SCALE_TO_ZERO) for s in change.steps)
        return (
            step.kind is StepKind.UPDATE
            and not wants_awake
            and change.live is not None
            and change.live.status is Status.PAUSED
            and endpoint is not None
            and endpoint.status is not Status.PAUSED
        )

    def _do(self, change: Change, step: Step) -> Endpoint | None:
        ns, name = change.namespace, change.name
        if step.kind is StepKind.CREATE:
            assert change.desired is not None
            return self.hub.create(ns, change.desired, step.tags)
        if step.kind is StepKind.UPDATE:
            assert change.desired is not None
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

"""plan and apply: lock, read, plan, confirm, change; then, if asked, wait until ready and smoke-test.

The lock is held from before the live state is read until the last change: a plan made while another
apply runs would be stale by the time it is executed. ``plan`` and ``apply --dry-run`` take no lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from endpointctl.core.outcomes import ChangeResult, SmokeResult, WaitReport
from endpointctl.core.plan import Options, Plan
from endpointctl.core.spec import Desired
from endpointctl.engine import locks
from endpointctl.engine.executor import DEFAULT_PARALLELISM
from endpointctl.engine.flows import smoke, wait
from endpointctl.engine.interaction import Consent, Hooks
from endpointctl.engine.session import Session
from endpointctl.engine.waiter import DEFAULT_TIMEOUT


@dataclass(frozen=True)
class ApplySettings:
    options: Options
    parallelism: int = DEFAULT_PARALLELISM  # endpoints changed at once, per namespace
    lock_timeout: float = locks.DEFAULT_TIMEOUT
    wait: bool = False
    smoke: bool = False  # implies wait
    timeout: float = DEFAULT_TIMEOUT
    logs: bool = True  # a wait that ends failed or timed out shows the endpoint's last log lines
    command: str = "endpointctl apply"  # how the lock's holder is described to a waiting apply


@dataclass(frozen=True)
class Applied:
    plan: Plan
    results: list[ChangeResult]
    waited: WaitReport | None = None  # with --wait or --smoke, unless interrupted first
    smoked: list[SmokeResult] | None = None  # with --smoke, unless interrupted first


def plan(session: Session, desired: Sequence[Desired], options: Options) -> Plan:
    """``plan`` and ``apply --dry-run``: what apply would do; changes nothing and takes no lock."""
    return session.plan(session.place(desired), options)


def apply(
    session: Session, desired: Sequence[Desired], how: ApplySettings, *, consent: Consent, hooks: Hooks
) -> Applied:
    locks.check_usable(session.locks_dir)  # before any API call
    placed = session.place(desired)
    keys = locks.apply_keys(how.options.stack, [(namespace, d.name) for namespace, d in placed])
    with session.lock(keys, command=how.command, timeout=how.lock_timeout):
        the_plan = session.plan(placed, how.options)
        hooks.planned(the_plan)
        consent.confirm(the_plan)
        with hooks.interruptible():
            results = session.execute(the_plan, parallelism=how.parallelism)
    if not (how.wait or how.smoke) or session.cancel.is_set():
        return Applied(the_plan, results)
    with hooks.interruptible():
        with hooks.waiting() as display:
            report = wait.wait_on(
                session, wait.after_apply(results), timeout=how.timeout, display=display, logs=how.logs
            )
        hooks.waited(report)
        if not how.smoke or session.cancel.is_set():
            return Applied(the_plan, results, report)
        return Applied(the_plan, results, report, smoke.after_wait(session, report, placed, results))

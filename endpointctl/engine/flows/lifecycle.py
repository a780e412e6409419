"""pause, resume, scale-to-zero and delete by name, manifest or selector: idempotent, and loud about typos.

Each takes this machine's locks on the endpoints it changes, after reading them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from endpointctl.core.lifecycle_plan import lifecycle_plan
from endpointctl.core.outcomes import ChangeResult, WaitReport
from endpointctl.core.plan import StepKind
from endpointctl.core.spec import Desired
from endpointctl.core.targets import Targets
from endpointctl.engine import locks
from endpointctl.engine.flows import wait as waiting
from endpointctl.engine.interaction import Consent, Hooks
from endpointctl.engine.selection import select
from endpointctl.engine.session import Session
from endpointctl.engine.waiter import DEFAULT_TIMEOUT


@dataclass(frozen=True)
class Changed:
    results: list[ChangeResult]
    waited: WaitReport | None = None  # resume --wait


def change(
    session: Session,
    kind: StepKind,
    targets: Targets,
    desired: Sequence[Desired],
    *,
    consent: Consent,
    hooks: Hooks,
    wait: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> Changed:
    if kind is StepKind.DELETE:
        consent.require("delete")
    locks.check_usable(session.locks_dir)  # before any API call
    targets.require(kind.value)
    selection = select(session, targets, desired, changing=True)
    if selection.unmanaged:
        shown = ", ".join(t.key for t in selection.unmanaged)
        session.report(
            f"{len(selection.unmanaged)} endpoint(s) matched the selector but were left alone, not being "
            f"managed by endpointctl: {shown} (--include-unmanaged acts on them too)"
        )
    plan = lifecycle_plan(kind, selection.observed, selection.targets, allow_empty=targets.allow_empty)
    consent.confirm(plan)
    for c in plan.changes:
        for note in c.notes:
            session.report(f"{c.namespace}/{c.name}: {note}")
    command = f"endpointctl {kind.value} " + " ".join(t.key for t in selection.targets)
    touched = [(c.namespace, c.name) for c in plan.changes if c.mutating]
    keys = locks.apply_keys(None, touched)
    with (
        session.lock(keys, command=command, timeout=locks.DEFAULT_TIMEOUT, settable=False),
        hooks.interruptible(),
    ):
        results = session.execute(plan)
    hooks.changed(results)
    if not wait or session.cancel.is_set():
        return Changed(results)
    with hooks.interruptible():
        with hooks.waiting() as display:
            report = waiting.wait_on(session, waiting.after_resume(results), timeout=timeout, display=display)
        hooks.waited(report)
    return Changed(results, report)

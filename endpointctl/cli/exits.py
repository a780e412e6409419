"""The one place outcomes become the process's exit code (errors carry theirs: ``core.errors``).

| code | meaning |
| 0 | success | 1 | operational failure | 2 | invalid usage or manifest; a refused destructive action |
| 3 | plan --detailed-exitcode found changes (1: one is blocked) | 4 | timed out waiting | 130 | interrupted |

When endpoints end differently the worst wins: interrupted, then failure, then timeout.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from endpointctl.core.errors import ExitCode
from endpointctl.core.outcomes import (
    ChangeOutcome,
    ChangeResult,
    SmokeResult,
    WaitOutcome,
    WaitReport,
    all_passed,
)

_CHANGE = {
    ChangeOutcome.OK: ExitCode.OK,
    ChangeOutcome.UNCHANGED: ExitCode.OK,
    ChangeOutcome.FAILED: ExitCode.FAILURE,
    ChangeOutcome.BLOCKED: ExitCode.FAILURE,
    ChangeOutcome.INTERRUPTED: ExitCode.INTERRUPTED,
}
_WAIT = {
    WaitOutcome.READY: ExitCode.OK,
    WaitOutcome.FAILED: ExitCode.FAILURE,
    WaitOutcome.TIMEOUT: ExitCode.TIMEOUT,
    WaitOutcome.INTERRUPTED: ExitCode.INTERRUPTED,
}
_PRECEDENCE = (ExitCode.INTERRUPTED, ExitCode.FAILURE, ExitCode.USAGE, ExitCode.TIMEOUT, ExitCode.CHANGES)


def worst(codes: Iterable[ExitCode]) -> ExitCode:
    """Interrupted, then failure (a failed endpoint will not get better by waiting), then timeout."""
    present = set(codes)
    return next((code for code in _PRECEDENCE if code in present), ExitCode.OK)


def for_changes(results: Sequence[ChangeResult], *, interrupted: bool) -> ExitCode:
    codes = [_CHANGE[r.outcome] for r in results]
    return worst([*codes, ExitCode.INTERRUPTED] if interrupted else codes)


def for_plan(*, changes: bool, blocked: bool, detailed: bool) -> ExitCode:
    """``plan``: 0; with --detailed-exitcode, 3 for changes and 1 when any is blocked.

    A blocked change is one apply would refuse (exit 1): a pull request's plan job reading 3 as "changes,
    fine" would pass a typo'd revision or an over-budget change that fails only at apply, on main.
    Without the flag, plan shows it and exits 0, as it always has.
    """
    if not detailed:
        return ExitCode.OK
    if blocked:
        return ExitCode.FAILURE
    return ExitCode.CHANGES if changes else ExitCode.OK


def for_wait(report: WaitReport) -> ExitCode:
    return worst(_WAIT[e.outcome] for e in report.endpoints)


def for_smoke(results: Sequence[SmokeResult], *, one_needed: bool = True) -> ExitCode:
    """0 only when every smoke test that ran passed, and (``one_needed``: the `smoke` command) at least
    one ran. ``apply --smoke`` skips only what its manifests keep asleep, whose state is the test, or what
    an interrupt or a failed wait already counts: none run is then no failure of its own."""
    if not one_needed and not any(r.ran for r in results):
        return ExitCode.OK
    return ExitCode.OK if all_passed(results) else ExitCode.FAILURE

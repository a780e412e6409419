"""PURE: what came of a command, per endpoint: a change applied, a wait, a smoke test.

One scheme for all three: a record per endpoint whose ``outcome`` is a ``…Outcome`` enum, its values the
strings the README documents for JSON output. The engine produces these records, ``ui`` renders them,
and ``cli.exits`` alone turns outcomes into the process's exit code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from endpointctl.core.endpoint import Endpoint
from endpointctl.core.logs import LogTail
from endpointctl.core.plan import Change
from endpointctl.core.readiness import WaitTarget


class ChangeOutcome(StrEnum):
    OK = "ok"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    BLOCKED = "blocked"
    INTERRUPTED = "interrupted"


@dataclass
class ChangeResult:
    """What happened to one endpoint when a plan was executed: which steps were done, which were not."""

    change: Change
    outcome: ChangeOutcome
    done: list[str] = field(default_factory=list)
    not_done: list[str] = field(default_factory=list)
    # Of ``not_done``, the step whose answer left unknown whether it took effect (OutcomeUnknown): not
    # known to be done, nor known not to be. Records keep it in ``notDone`` (a documented key set); their
    # ``error`` says it is unknown, and people see it apart.
    unknown: list[str] = field(default_factory=list)

    @property
    def surely_not_done(self) -> list[str]:
        return [step for step in self.not_done if step not in self.unknown]

    error: str | None = None
    hint: str | None = None  # what the error's hint says to do next
    endpoint: Endpoint | None = None  # the last answer: of the last step done
    # The answer to the change's update, kept beside ``endpoint``: a resume or a pause after it answers
    # for itself, and what the update did is judged from the update's own answer (``schedule hold``).
    updated: Endpoint | None = None
    # An unexpected exception's traceback, kept for --traceback instead of being thrown away.
    traceback: str | None = None

    @property
    def part_way(self) -> bool:
        return bool(self.done and self.not_done)

    @property
    def unplanned(self) -> list[str]:
        """Of ``not_done``, the steps the plan did not list (a pause owed after an update woke a paused
        endpoint): the same command run again plans from what it reads then, and may not do them."""
        planned = {step.kind.value for step in self.change.steps}
        return [step for step in self.not_done if step not in planned]


class WaitOutcome(StrEnum):
    READY = "ready"
    FAILED = "failed"
    TIMEOUT = "timeout"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class EndpointWait:
    """How the wait for one endpoint ended."""

    target: WaitTarget
    outcome: WaitOutcome
    status: str  # the API's state, or "notFound"
    message: str
    hint: str | None
    health_checked: bool
    elapsed: float
    endpoint: Endpoint | None  # the last observation
    # Its last log lines, read when the wait ended on failed, updateFailed or a timeout (unless --no-logs).
    logs: LogTail | None = None

    @property
    def ready(self) -> bool:
        return self.outcome is WaitOutcome.READY


@dataclass(frozen=True)
class WaitReport:
    endpoints: tuple[EndpointWait, ...]
    polls: int
    elapsed: float
    timeout: float

    @property
    def not_ready(self) -> tuple[EndpointWait, ...]:
        return tuple(e for e in self.endpoints if not e.ready)


class SmokeOutcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class SmokeResult:
    name: str
    namespace: str
    outcome: SmokeOutcome  # shown as "verdict" (README, Output)
    reason: str
    url: str | None = None
    status: int | None = None
    latency_ms: float | None = None
    attempts: int = 0
    cold_start_seconds: float | None = None  # time spent waking the endpoint; None when it was warm
    notes: tuple[str, ...] = field(default_factory=tuple)
    # apply --smoke: its wait did not end ready, so it was never called. Shown (a failure in JUnit, for a
    # report that would otherwise read green), but its wait's outcome is what the exit code counts.
    unreached: bool = False

    @property
    def ran(self) -> bool:
        return self.outcome is not SmokeOutcome.SKIPPED and not self.unreached


def all_passed(results: Sequence[SmokeResult]) -> bool:
    """Success only if at least one test ran and every one that ran passed: an empty run proves nothing."""
    ran = [r for r in results if r.ran]
    return bool(ran) and all(r.outcome is SmokeOutcome.PASS for r in ran)

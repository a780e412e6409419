"""PURE: what happened to each endpoint when a plan was executed."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from endpointctl.core.errors import ExitCode
from endpointctl.core.models import Endpoint
from endpointctl.core.plan import Change


class Outcome(StrEnum):
    OK = "ok"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    BLOCKED = "blocked"
    INTERRUPTED = "interrupted"


@dataclass
class Result:
    change: Change
    outcome: Outcome
    done: list[str] = field(default_factory=list)
    not_done: list[str] = field(default_factory=list)
    error: str | None = None
    endpoint: Endpoint | None = None

    @property
    def exit_code(self) -> ExitCode:
        return {
            Outcome.FAILED: ExitCode.FAILURE,
            Outcome.BLOCKED: ExitCode.FAILURE,
            Outcome.INTERRUPTED: ExitCode.INTERRUPTED,
        }.get(self.outcome, ExitCode.OK)

"""What the engine asks of whoever runs it: consent for destructive changes, and hooks that show progress.

The engine decides what happens and when; these only let a person answer and see it at the moment it
happens (the plan before a confirmation, results before a long wait), so output keeps its order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from endpointctl.core.errors import ConfirmationRequired
from endpointctl.core.outcomes import ChangeResult, WaitReport
from endpointctl.core.plan import Plan
from endpointctl.engine.waiter import Display

Prompt = Callable[[str], bool]  # ask the person at the terminal; True to go ahead


@dataclass(frozen=True)
class Consent:
    """Whether destructive changes (delete, replace, prune) may go ahead: --yes, or a person who says so."""

    yes: bool
    interactive: bool
    prompt: Prompt

    def require(self, verb: str) -> None:
        """For a command that is destructive whatever it finds (delete): decided before any API call,
        so a script without --yes does not even read."""
        if not self.yes and not self.interactive:
            raise ConfirmationRequired(
                f"refusing to {verb} without confirmation", hint="pass --yes, or run on a terminal"
            )

    def confirm(self, plan: Plan) -> None:
        """Raise ConfirmationRequired unless the plan's deletes may go ahead; a script without --yes stops."""
        destructive = plan.destructive
        if not destructive or self.yes:
            return
        what = ", ".join(f"{c.action.value} {c.namespace}/{c.name}" for c in destructive)
        if not self.interactive:
            raise ConfirmationRequired(
                f"refusing to {what} without confirmation",
                hint="run on a terminal to confirm, or pass --yes",
            )
        if not self.prompt(f"This will {what}. Continue?"):
            raise ConfirmationRequired("cancelled: nothing was changed")


class Hooks(Protocol):
    def planned(self, plan: Plan) -> None:
        """The plan, just before it is confirmed and carried out."""

    def changed(self, results: Sequence[ChangeResult]) -> None:
        """The results of a lifecycle change, before a wait that may follow."""

    def waiting(self) -> AbstractContextManager[Display]:
        """Where a wait shows its progress, for as long as it lasts."""
        ...

    def waited(self, report: WaitReport) -> None:
        """The problems a wait ended with."""

    def interruptible(self) -> AbstractContextManager[None]:
        """While changes are carried out and waited for: an interrupt (SIGINT/SIGTERM) sets the session's
        cancel event, so the call in flight finishes and nothing new starts. Reading, planning and
        questions stay outside, where Ctrl-C simply stops the command."""
        ...

"""What every engine call works with, and the steps they share: namespaces, observing, planning, confirming.

A ``Session`` holds the services one command uses (the hub, the data-plane client, the clock, where
progress goes, the cancel event an interrupt sets); the CLI builds it once, tests build it with their
own clock and a sandbox. Nothing here prints or parses flags.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from endpointctl.core.clock import Clock
from endpointctl.core.endpoint import Endpoint
from endpointctl.core.errors import ConfirmationRequired, UsageError
from endpointctl.core.outcomes import ChangeResult, WaitReport
from endpointctl.core.plan import Options, Plan, check_options, compute
from endpointctl.core.spec import Desired
from endpointctl.dataplane.client import DeployedClient
from endpointctl.engine import locks
from endpointctl.engine.executor import Executor
from endpointctl.engine.waiter import SILENT, Display
from endpointctl.hub import Hub

Report = Callable[[str], None]
Prompt = Callable[[str], bool]  # ask the person at the terminal; True to go ahead
Placed = tuple[str, Desired]  # a desired endpoint with its resolved namespace


@dataclass
class Session:
    hub: Hub
    deployed: DeployedClient
    clock: Clock
    report: Report
    default_namespace: str | None  # --namespace / ENDPOINTCTL_NAMESPACE; else the token's user
    cancel: threading.Event  # set on SIGINT/SIGTERM: nothing new starts, waits end, retries stop
    locks_dir: Path  # where this machine's apply locks live

    def namespace(self, explicit: str | None = None) -> str:
        return explicit or self.default_namespace or self.hub.whoami()

    def observe(self, namespaces: Sequence[str]) -> dict[str, list[Endpoint]]:
        """One complete listing per namespace; any failure stops before anything is changed."""
        return {ns: self.hub.list_endpoints(ns) for ns in dict.fromkeys(namespaces)}

    def place(self, desired: Sequence[Desired]) -> list[Placed]:
        """Resolve every manifest's namespace, once; two manifests for one endpoint are a usage error.

        Checked here rather than when loading: `namespace: alice` and no namespace (the token's user,
        alice) name the same endpoint, which only the resolved namespace shows.
        """
        placed: list[Placed] = []
        seen: dict[tuple[str, str], Desired] = {}
        for d in desired:
            namespace = self.namespace(d.manifest.metadata.namespace)
            first = seen.setdefault((namespace, d.name), d)
            if first is not d:
                raise UsageError(
                    f"endpoint {namespace}/{d.name} is defined twice: at {first.source} and at {d.source}",
                    hint="keep one manifest per endpoint; no API call changed anything",
                )
            placed.append((namespace, d))
        return placed

    def lock(
        self, keys: Sequence[str], *, command: str, timeout: float
    ) -> AbstractContextManager[locks.Holder]:
        """This machine's locks on ``keys``, waited for on the session's clock; an interrupt ends it."""
        return locks.hold(
            keys,
            directory=self.locks_dir,
            command=command,
            timeout=timeout,
            clock=self.clock,
            on_wait=self.report,
            cancel=self.cancel,
        )

    def plan(self, placed: Sequence[Placed], options: Options) -> Plan:
        check_options(options)
        observed = self.observe([ns for ns, _ in placed])
        return compute(list(placed), observed, options)

    def execute(self, plan: Plan, parallelism: int = 8) -> list[ChangeResult]:
        executor = Executor(
            hub=self.hub, clock=self.clock, report=self.report, cancel=self.cancel, parallelism=parallelism
        )
        return executor.run(plan)


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
    """How an engine flow shows what it does as it goes; the CLI renders, tests record or ignore.

    The engine decides what happens and when; the hooks only show it, at the moment it happens (the plan
    before a confirmation, results before a long wait), so output keeps its order.
    """

    def planned(self, plan: Plan) -> None: ...

    def changed(self, results: Sequence[ChangeResult]) -> None: ...

    def waiting(self) -> AbstractContextManager[Display]: ...

    def waited(self, report: WaitReport) -> None: ...


class SilentHooks:
    def planned(self, plan: Plan) -> None:
        pass

    def changed(self, results: Sequence[ChangeResult]) -> None:
        pass

    def waiting(self) -> AbstractContextManager[Display]:
        return nullcontext(SILENT)

    def waited(self, report: WaitReport) -> None:
        pass

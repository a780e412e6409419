"""What every engine call works with, and the steps they share: namespaces, observing, planning, locking.

A ``Session`` holds the services one command uses: the hub and the data-plane client (connected on first
use, so a command that is refused for its flags reads no token and starts no sandbox), the clock, where
progress goes, the cancel event an interrupt sets, where locks live, and this machine's processes as lease
records see them. The CLI builds it once; tests
build it with their own clock and a sandbox. Nothing here prints or parses flags.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from endpointctl.core import secret_values
from endpointctl.core.clock import Clock
from endpointctl.core.endpoint import Endpoint, Hardware
from endpointctl.core.errors import EndpointctlError, Interrupted
from endpointctl.core.outcomes import ChangeResult
from endpointctl.core.placement import check_one_each
from endpointctl.core.plan import Options, Plan, check_options, compute
from endpointctl.core.spec import Desired
from endpointctl.core.targets import namespace_key
from endpointctl.core.task_typos import block_task_typos
from endpointctl.dataplane.client import DeployedClient
from endpointctl.engine import locks, preflight, revisions, together
from endpointctl.engine.cancel import CancelEvent
from endpointctl.engine.executor import DEFAULT_PARALLELISM, Executor
from endpointctl.engine.processes import Processes
from endpointctl.hub import Hub
from endpointctl.hub.revisions import Unreadable

Report = Callable[[str], None]
Placed = tuple[str, Desired]  # a desired endpoint with its resolved namespace


@dataclass(frozen=True)
class Connection:
    hub: Hub
    deployed: DeployedClient


@dataclass(frozen=True)
class _PruneOnly:
    """A namespace a plan lists only for ``--prune --stack``: the default one, which no manifest names."""

    namespace: str
    stack: str

    def lister(self, list_it: Callable[[], list[Endpoint]]) -> Callable[[], list[Endpoint]]:
        """``list_it``, whose failure says why this namespace was read (no manifest names it)."""

        def read() -> list[Endpoint]:
            try:
                return list_it()
            except Interrupted:
                raise
            except EndpointctlError as error:
                raise _for_prune(error, self.stack, self.namespace) from error

        return read


def _for_prune(error: EndpointctlError, stack: str, namespace: str | None = None) -> EndpointctlError:
    """``error`` (a copy: whoami's is kept and raised again; its type, status and exit code as they are),
    saying that --prune is why the default namespace was looked for or listed: no manifest names it, so
    the error would otherwise be a puzzle. Nothing is planned from a reading without it: the stack's
    endpoints there would look absent rather than kept."""
    which = f"the default namespace '{namespace}'" if namespace else "the default namespace"
    said = copy.copy(error)
    said.message = (
        f"{error.message} (--prune --stack {stack} searches {which} too, though no manifest names it)"
    )
    step = (
        "nothing was changed; to prune without it, make the default a namespace the token can read "
        "(--namespace or ENDPOINTCTL_NAMESPACE)"
    )
    said.hint = f"{error.hint}; {step}" if error.hint else step
    return said


class Session:
    def __init__(
        self,
        *,
        connect: Callable[[], Connection],
        clock: Clock,
        report: Report,
        default_namespace: str | None,
        cancel: CancelEvent,
        locks_dir: Path,
        processes: Processes,
        timer: Clock,
        accepted_tasks: frozenset[str] = frozenset(),
    ) -> None:
        self._connect = connect
        self._connection: Connection | None = None
        self.clock = clock
        self.report = report
        self.default_namespace = default_namespace  # --namespace / ENDPOINTCTL_NAMESPACE; else the token's
        self._token_namespace: str | None = None  # the token's, once a namespace was resolved from it
        self.cancel = cancel  # set on SIGINT/SIGTERM: nothing new starts, waits end, retries stop
        self.locks_dir = locks_dir
        self.processes = processes  # who this process is, whether another runs: for lease records
        # What a thread of its own (a lease's heartbeat) waits on: never a test's clock that advances
        # whenever slept on, which such a thread would spin on, moving the test's time under it.
        self.timer = timer
        self.accepted_tasks = accepted_tasks  # ENDPOINTCTL_TASKS: never said to be a typo (a smoke's note)

    def _connected(self) -> Connection:
        if self._connection is None:
            self._connection = self._connect()
        return self._connection

    @property
    def hub(self) -> Hub:
        return self._connected().hub

    @property
    def deployed(self) -> DeployedClient:
        return self._connected().deployed

    def close(self) -> None:
        if self._connection is not None:
            self._connection.deployed.close()
            self._connection.hub.close()
            self._connection = None

    def namespace(self, explicit: str | None = None) -> str:
        given = explicit or self.default_namespace
        if given:
            return given
        self._token_namespace = self.hub.whoami()
        return self._token_namespace

    @property
    def implied_namespace(self) -> str | None:
        """Where a command given no --namespace lands, as far as this one knows, for the commands its hints
        suggest (``core.suggest.command_for``): the token's own namespace, once this command has resolved
        its namespace from the token. None when it was given one (--namespace or ENDPOINTCTL_NAMESPACE):
        every suggestion then names it again, for a pasted command may run without it."""
        return self._token_namespace

    def observe(
        self, namespaces: Sequence[str], *, deadline: float | None = None
    ) -> dict[str, list[Endpoint]]:
        """One complete listing per namespace, read at the same time; any failure stops before anything is
        changed (the first namespace's, in the order given, when several fail).

        ``deadline`` (on the session's clock): the listings, retries and requests included, end by then.
        """
        wanted = list(dict.fromkeys(namespaces))
        listings = together.gather([self._lister(ns, deadline) for ns in wanted], cancel=self.cancel)
        return dict(zip(wanted, listings, strict=True))

    def observe_each(self, namespaces: Sequence[str]) -> dict[str, list[Endpoint] | EndpointctlError]:
        """As ``observe``, for a command that acts on each namespace alone (``schedule run``, which never
        deletes): one namespace that cannot be read is its error, not the end of the others. An interrupt
        still ends them all."""
        wanted = list(dict.fromkeys(namespaces))
        readings = together.gather([self._reading(ns) for ns in wanted], cancel=self.cancel)
        return dict(zip(wanted, readings, strict=True))

    def _reading(self, namespace: str) -> Callable[[], list[Endpoint] | EndpointctlError]:
        lister = self._lister(namespace, None)

        def read() -> list[Endpoint] | EndpointctlError:
            try:
                return lister()
            except Interrupted:
                raise
            except EndpointctlError as error:
                return error

        return read

    def _lister(self, namespace: str, deadline: float | None) -> Callable[[], list[Endpoint]]:
        hub = self.hub  # connected here, in this thread, before any reader starts
        return lambda: hub.list_endpoints(namespace, deadline=deadline)

    def place(self, desired: Sequence[Desired]) -> list[Placed]:
        """Resolve every manifest's namespace, once; two manifests for one endpoint are a usage error
        (``core.placement``)."""
        run = self.default_namespace
        placed = [
            (self.namespace(d.manifest.metadata.namespace), replace(d, run_namespace=run)) for d in desired
        ]
        check_one_each(placed, nothing="no API call changed anything")
        return placed

    def lock(
        self, keys: Sequence[str], *, command: str, timeout: float, settable: bool = True
    ) -> AbstractContextManager[locks.Holder]:
        """This machine's locks on ``keys``, waited for on the session's clock (``settable``: the command
        takes ``--lock-timeout``)."""
        return locks.hold(
            keys,
            directory=self.locks_dir,
            command=command,
            timeout=timeout,
            clock=self.clock,
            on_wait=self.report,
            settable=settable,
        )

    def plan(self, placed: Sequence[Placed], options: Options) -> Plan:
        check_options(options)
        if options.at is None:  # schedules are evaluated now, on the session's clock
            options = replace(options, at=datetime.fromtimestamp(self.clock.wall(), UTC))
        # With --prune, the default namespace too: the last manifest of a namespace removed leaves endpoints
        # of the stack there that no remaining manifest names, and only a listing of it finds them.
        unnamed = self._unnamed_default(placed, options.stack) if options.prune and options.stack else None
        observed, found, catalogs = self._read(placed, unnamed)
        # Branches and tags become commits first: the service answers commits, so the plan compares them.
        pinned, unreadable = revisions.pin(self.hub, placed, found)
        typos_held = block_task_typos(compute(pinned, observed, options), options.accepted_tasks)
        planned = revisions.block_unreadable(typos_held, unreadable)
        # Hardware that does not exist, cannot be deployed or does not fit the quota: found before any change.
        # Budgets are checked over the 30 days from the instant the schedules were evaluated at.
        now = options.at or datetime.fromtimestamp(self.clock.wall(), UTC)
        checked = preflight.check(self.hub, planned, now, catalogs)
        secret_values.check(checked)  # a secret whose variable is unset, where a step would send it
        return checked

    def _unnamed_default(self, placed: Sequence[Placed], stack: str) -> _PruneOnly | None:
        """The default namespace (``--namespace``, ``ENDPOINTCTL_NAMESPACE``, else the token's user), when
        no manifest names it in any case: a prune reads it as well. Resolving it may ask whoami."""
        try:
            default = self.namespace()
        except Interrupted:
            raise
        except EndpointctlError as error:
            raise _for_prune(error, stack) from error
        named = {namespace_key(ns) for ns, _ in placed}
        return None if namespace_key(default) in named else _PruneOnly(default, stack)

    def _read(
        self, placed: Sequence[Placed], unnamed: _PruneOnly | None = None
    ) -> tuple[dict[str, list[Endpoint]], revisions.Found, dict[str, Sequence[Hardware]]]:
        """What a plan reads, all at the same time: they are independent, so the plan waits for the
        slowest, not for the sum. The listing of every namespace (``unnamed``'s too: a prune's), each
        branch's commit, and the hardware catalog of every namespace a manifest names. When reads fail,
        the error is the one reading them in that order would have stopped at (``unnamed``'s listing
        after the manifests' namespaces'); nothing is planned unless every read succeeded."""
        hub = self.hub  # connected here, in this thread, before any reader starts
        named = list(dict.fromkeys(ns for ns, _ in placed))
        # A namespace only a prune reads has no manifest, so no catalog: it is only listed.
        listed = [*named, unnamed.namespace] if unnamed else named
        keys = revisions.lookups(placed)
        reads: list[Callable[[], object]] = [
            *(self._lister(ns, None) for ns in named),
            *([unnamed.lister(self._lister(unnamed.namespace, None))] if unnamed else []),
            *((lambda key=key: hub.commit_of(*key)) for key in keys),
            *((lambda ns=ns: preflight.catalog(hub, ns)) for ns in named),
        ]
        answers = together.gather(reads, cancel=self.cancel)
        lists, commits, catalogs = (
            answers[: len(listed)],
            answers[len(listed) : len(listed) + len(keys)],
            answers[len(listed) + len(keys) :],
        )
        return (
            dict(zip(listed, cast(list[list[Endpoint]], lists), strict=True)),
            dict(zip(keys, cast(list[str | Unreadable], commits), strict=True)),
            dict(zip(named, cast(list[Sequence[Hardware]], catalogs), strict=True)),
        )

    def execute(self, plan: Plan, parallelism: int = DEFAULT_PARALLELISM) -> list[ChangeResult]:
        executor = Executor(
            hub=self.hub, clock=self.clock, report=self.report, cancel=self.cancel, parallelism=parallelism
        )
        return executor.run(plan)

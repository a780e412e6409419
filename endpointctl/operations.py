"""What each command does, independent of click: load, observe, plan, confirm, execute.

The CLI layer parses flags and renders; everything between lives here, so it can be driven from a
test with an injected hub, clock and confirmation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from endpointctl import manifest
from endpointctl.apply import Executor, Reporter
from endpointctl.clock import Clock
from endpointctl.errors import ConfirmationRequired, NothingMatched, UsageError
from endpointctl.hub import Hub
from endpointctl.models import Desired, Endpoint, Status, matches_selector
from endpointctl.plan import Action, Change, Options, Plan, Step, StepKind, compute
from endpointctl.results import Result

Confirm = Callable[[str], bool]


@dataclass
class Context:
    hub: Hub
    clock: Clock
    report: Reporter
    default_namespace: str | None  # --namespace / ENDPOINTCTL_NAMESPACE; else the token's user
    cancel: threading.Event = field(default_factory=threading.Event)

    def namespace(self, explicit: str | None = None) -> str:
        return explicit or self.default_namespace or self.hub.whoami()

    def observe(self, namespaces: Sequence[str]) -> dict[str, list[Endpoint]]:
        """One complete listing per namespace; any failure stops before anything is changed."""
        return {ns: self.hub.list_endpoints(ns) for ns in dict.fromkeys(namespaces)}


def parse_selector(raw: Sequence[str]) -> dict[str, str]:
    selector: dict[str, str] = {}
    for item in raw:
        for part in item.split(","):
            key, sep, value = part.partition("=")
            if not sep or not key.strip():
                raise UsageError(f"--selector takes key=value, found {part!r}")
            selector[key.strip()] = value.strip()
    return selector


def load(paths: Sequence[str], environ: Mapping[str, str], allow_public: bool = False) -> list[Desired]:
    if not paths:
        raise UsageError("no manifest given: name files or directories, e.g. `manifests/`")
    return manifest.load(paths, environ=environ, allow_public=allow_public)


def plan_manifests(ctx: Context, desired: list[Desired], options: Options) -> Plan:
    if options.prune and not options.stack:
        raise UsageError("--prune needs --stack NAME: only endpoints tagged with that stack are ever pruned")
    pairs = [(ctx.namespace(d.manifest.metadata.namespace), d) for d in desired]
    observed = ctx.observe([ns for ns, _ in pairs])
    return compute(pairs, observed, options)


def confirm_destructive(plan: Plan, *, yes: bool, interactive: bool, confirm: Confirm) -> None:
    destructive = plan.destructive
    if not destructive or yes:
        return
    what = ", ".join(f"{c.action.value} {c.namespace}/{c.name}" for c in destructive)
    if not interactive:
        raise ConfirmationRequired(
            f"refusing to {what} without confirmation",
            hint="run on a terminal to confirm, or pass --yes",
        )
    if not confirm(f"This will {what}. Continue?"):
        raise ConfirmationRequired("cancelled: nothing was changed")


def execute(ctx: Context, plan: Plan, parallelism: int = 8) -> list[Result]:
    executor = Executor(
        hub=ctx.hub, clock=ctx.clock, report=ctx.report, cancel=ctx.cancel, parallelism=parallelism
    )
    return executor.run(plan)


# -- commands that address endpoints by name, manifest or selector -------------------------------------


@dataclass(frozen=True)
class Target:
    namespace: str
    name: str


def select(
    ctx: Context,
    names: Sequence[str],
    desired: Sequence[Desired],
    selector: Mapping[str, str],
) -> tuple[dict[str, list[Endpoint]], list[Target]]:
    """The listing of every namespace involved, and the targets named by names, manifests and selector.

    With only a selector, every endpoint of the namespace whose labels match is a target.
    """
    targets = [Target(ctx.namespace(), name) for name in names]
    targets += [Target(ctx.namespace(d.manifest.metadata.namespace), d.name) for d in desired]
    namespaces = [t.namespace for t in targets] or [ctx.namespace()]
    observed = ctx.observe(namespaces)
    if selector:
        matching = [ep for eps in observed.values() for ep in eps if matches_selector(ep.labels, selector)]
        if targets:
            wanted = {(t.namespace, t.name) for t in targets}
            matching = [ep for ep in matching if (ep.namespace, ep.name) in wanted]
        targets = [Target(ep.namespace, ep.name) for ep in matching]
    return observed, list(dict.fromkeys(targets))


_LIFECYCLE: dict[StepKind, tuple[Action, tuple[Status, ...], str]] = {
    StepKind.PAUSE: (Action.PAUSE, (Status.PAUSED,), "already paused"),
    StepKind.RESUME: (
        Action.RESUME,
        (Status.RUNNING, Status.PENDING, Status.INITIALIZING, Status.UPDATING),
        "already running or starting",
    ),
    StepKind.SCALE_TO_ZERO: (Action.SCALE_TO_ZERO, (Status.SCALED_TO_ZERO,), "already scaled to zero"),
    StepKind.DELETE: (Action.DELETE, (), ""),
}


def lifecycle_plan(
    kind: StepKind,
    observed: Mapping[str, list[Endpoint]],
    targets: Sequence[Target],
    *,
    allow_empty: bool,
) -> Plan:
    """PURE: pause/resume/scale-to-zero/delete as a plan; idempotent, and loud about typos."""
    action, done_states, done_note = _LIFECYCLE[kind]
    live = {(ep.namespace, ep.name): ep for eps in observed.values() for ep in eps}
    changes: list[Change] = []
    missing: list[Target] = []
    for target in targets:
        ep = live.get((target.namespace, target.name))
        if ep is None:
            if kind is StepKind.DELETE:
                changes.append(Change(target.name, target.namespace, Action.NOOP, notes=("already absent",)))
            else:
                missing.append(target)
            continue
        if ep.status in done_states:
            changes.append(Change(ep.name, ep.namespace, Action.NOOP, live=ep, notes=(done_note,)))
            continue
        notes = ("the API resets replicas to 1; `endpointctl apply` restores the manifest's scaling",)
        changes.append(
            Change(
                ep.name,
                ep.namespace,
                action,
                steps=(Step(kind),),
                live=ep,
                notes=notes if kind is StepKind.RESUME else (),
            )
        )
    if (missing or not targets) and not allow_empty:
        what = ", ".join(f"{t.namespace}/{t.name}" for t in missing) or "the selector"
        raise NothingMatched(
            f"no endpoint matches {what}",
            hint="check the names and the namespace; pass --allow-empty if matching nothing is fine",
        )
    return Plan(tuple(changes))

"""What each command does, independent of click: load, observe, plan, confirm, execute.

The CLI layer parses flags and renders; everything between lives here, so it can be driven from a
test with an injected hub, clock and confirmation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from endpointctl import manifest
from endpointctl.core.errors import ConfirmationRequired, UsageError
from endpointctl.core.models import Desired, Endpoint, matches_selector
from endpointctl.core.outcomes import Result
from endpointctl.core.plan import Options, Plan, Target, compute
from endpointctl.engine.clock import Clock
from endpointctl.engine.executor import Executor, Reporter
from endpointctl.hub import Hub

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


Placed = tuple[str, Desired]  # a desired endpoint with its resolved namespace


def check_options(options: Options) -> None:
    """Flag combinations that are wrong whatever the live state: refused before any API call."""
    if options.prune and not options.stack:
        raise UsageError("--prune needs --stack NAME: only endpoints tagged with that stack are ever pruned")


def place(ctx: Context, desired: Sequence[Desired]) -> list[Placed]:
    """Resolve every manifest's namespace, once; two manifests for one endpoint are a usage error.

    Checked here rather than when loading: `namespace: alice` and no namespace (the token's user, alice)
    name the same endpoint, which only the resolved namespace shows.
    """
    placed: list[Placed] = []
    seen: dict[tuple[str, str], Desired] = {}
    for d in desired:
        namespace = ctx.namespace(d.manifest.metadata.namespace)
        first = seen.setdefault((namespace, d.name), d)
        if first is not d:
            raise UsageError(
                f"endpoint {namespace}/{d.name} is defined twice: at {first.source} and at {d.source}",
                hint="keep one manifest per endpoint; no API call changed anything",
            )
        placed.append((namespace, d))
    return placed


def plan_manifests(ctx: Context, placed: Sequence[Placed], options: Options) -> Plan:
    check_options(options)
    observed = ctx.observe([ns for ns, _ in placed])
    return compute(list(placed), observed, options)


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


def select(
    ctx: Context,
    names: Sequence[str],
    placed: Sequence[Placed],
    selector: Mapping[str, str],
) -> tuple[dict[str, list[Endpoint]], list[Target]]:
    """The listing of every namespace involved, and the targets named by names, manifests and selector.

    With only a selector, every endpoint of the namespace whose labels match is a target.
    """
    targets = [Target(ctx.namespace(), name) for name in names]
    targets += [Target(namespace, d.name) for namespace, d in placed]
    namespaces = [t.namespace for t in targets] or [ctx.namespace()]
    observed = ctx.observe(namespaces)
    if selector:
        matching = [ep for eps in observed.values() for ep in eps if matches_selector(ep.labels, selector)]
        if targets:
            wanted = {(t.namespace, t.name) for t in targets}
            matching = [ep for ep in matching if (ep.namespace, ep.name) in wanted]
        targets = [Target(ep.namespace, ep.name) for ep in matching]
    return observed, list(dict.fromkeys(targets))

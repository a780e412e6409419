"""Which live endpoints a command acts on: NAME..., the endpoints of -f manifests, and -l selectors.

One listing per namespace involved is read once here; it also serves as the commands' view of the live
state (status shows it, wait uses it as its first round, smoke and invoke call the URLs in it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from endpointctl.core.endpoint import Endpoint
from endpointctl.core.errors import NothingMatched
from endpointctl.core.spec import Desired
from endpointctl.core.tags import matches_selector
from endpointctl.core.targets import Target, Targets
from endpointctl.engine.session import Placed, Session


@dataclass(frozen=True)
class Selection:
    observed: dict[str, list[Endpoint]]  # the complete listing of every namespace involved
    targets: list[Target]  # what the command addresses, in the order given, each once
    placed: list[Placed]  # the -f manifests with their namespaces
    # Matched the selector but left alone: not endpointctl's (a changing command without --include-unmanaged).
    unmanaged: list[Target] = field(default_factory=list)

    def live(self, target: Target) -> Endpoint | None:
        return next(
            (ep for ep in self.observed.get(target.namespace, ()) if ep.name == target.name),
            None,
        )

    def desired(self, target: Target) -> Desired | None:
        return next((d for ns, d in self.placed if (ns, d.name) == (target.namespace, target.name)), None)

    def require_match(self) -> None:
        if not self.targets:
            raise NothingMatched(
                "no endpoint matches the selector", hint="check the labels and the namespace"
            )


def select(
    session: Session,
    targets: Targets,
    desired: Sequence[Desired],
    *,
    changing: bool = False,
    deadline: float | None = None,
) -> Selection:
    """The listing of every namespace involved, and the endpoints named by names, manifests and selector.

    With a selector, only endpoints whose labels match; with only a selector, every matching endpoint
    of the namespace. ``changing``: the command pauses, resumes or deletes what it selects, so a selector
    reaches only endpoints endpointctl manages (unless ``include_unmanaged``); names always reach theirs.
    """
    labels = targets.labels()
    placed = session.place(desired)
    named = [Target(session.namespace(), name) for name in targets.names]
    named += [Target(namespace, d.name) for namespace, d in placed]
    observed = session.observe([t.namespace for t in named] or [session.namespace()], deadline=deadline)
    if labels:
        listed = [ep for eps in observed.values() for ep in eps]
        if named:
            wanted = {(t.namespace, t.name) for t in named}
            listed = [ep for ep in listed if (ep.namespace, ep.name) in wanted]
        matching = [ep for ep in listed if matches_selector(ep.labels, labels)]
        unknown = [f"{ep.namespace}/{ep.name}" for ep in listed if not ep.tags_reported]
        if unknown:
            # Unknown labels match no selector (never acted on by guess), but not in silence: said.
            session.report(
                f"{len(unknown)} endpoint(s) not matched by the selector because the API gave no readable "
                f"tag list for them, so their labels are unknown: {', '.join(unknown)}"
            )
        unmanaged: list[Target] = []
        # Named endpoints are acted on managed or not; a selector alone reaches only ours.
        if changing and not targets.include_unmanaged and not named:
            unmanaged = [Target(ep.namespace, ep.name) for ep in matching if not ep.managed]
            matching = [ep for ep in matching if ep.managed]
        named = [Target(ep.namespace, ep.name) for ep in matching]
        return Selection(observed, list(dict.fromkeys(named)), placed, unmanaged)
    return Selection(observed, list(dict.fromkeys(named)), placed)

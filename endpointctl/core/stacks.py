"""PURE: which stack an endpoint belongs to, as ``--stack`` and ``--prune --stack`` read it.

An endpoint endpointctl manages carries at most one ``endpointctl-stack`` tag. One carrying several
(tags copied by hand, or an adoption by a release that kept a foreign stack tag) belongs to none that
can be told: it is never deleted on the word of one of them, and a stacked apply blocks on it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from endpointctl.core.endpoint import Endpoint, Status
from endpointctl.core.names import name_problem
from endpointctl.core.tags import STACK_KEY


def several_stacks(live: Endpoint) -> str:
    """Why an endpoint tagged with several stacks is left alone, naming them."""
    listed = ", ".join(f"'{stack}'" for stack in live.stacks)
    return (
        f"this endpoint is tagged with several stacks ({listed}), so which one it belongs to is unknown; "
        f"keep one {STACK_KEY} tag on it (in the Hub's endpoint settings) and run again"
    )


def prunable(
    observed: Mapping[str, Sequence[Endpoint]], wanted: set[tuple[str, str]], stack: str
) -> Iterator[tuple[Endpoint, str | None]]:
    """The managed endpoints of ``stack`` that no manifest names (``wanted``), namespace by namespace:
    each with None (to delete), or with why it is not deleted (tagged with ``stack`` among others, or in a
    state endpointctl does not know)."""
    for namespace in sorted(observed):
        for live in observed[namespace]:
            if (live.namespace, live.name) in wanted or not live.managed or stack not in live.stacks:
                continue
            if name_problem(live.name):
                # Listed as no endpoint can be named (another case, blanks): maybe a manifest's own
                # endpoint spelt otherwise, and a delete by this spelling may reach it. Unknown: kept.
                yield (
                    live,
                    f"listed as {live.name!r}, which is not an endpoint name; --prune does not delete it",
                )
                continue
            if live.status is Status.UNKNOWN:
                # Deleting already, a state of the future, or none reported: unknown is never acted on, and
                # a delete is the one change no later run can take back. Kept, saying so, as the cases above.
                yield (
                    live,
                    f"its state {live.shown_state!r} is not one endpointctl knows; --prune does not delete "
                    "it until the API reports a known one",
                )
                continue
            yield (
                live,
                (f"{several_stacks(live)}; --prune does not delete it" if len(live.stacks) > 1 else None),
            )

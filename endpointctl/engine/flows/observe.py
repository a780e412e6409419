"""status and hardware: reading what is live, and what could be."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from endpointctl.core.endpoint import Endpoint, Hardware, same_name
from endpointctl.core.errors import NothingMatched
from endpointctl.core.spec import Desired
from endpointctl.core.targets import Targets
from endpointctl.engine.selection import select
from endpointctl.engine.session import Session


@dataclass(frozen=True)
class StatusReport:
    endpoints: list[Endpoint]  # what was found, in the order asked for
    missing: list[str]  # "namespace/name" of what was named but is not there
    unmatched: bool  # a selector matched nothing

    def problem(self, allow_empty: bool) -> NothingMatched | None:
        """Why a scheduled job with a typo must not pass silently: what was asked for and not found."""
        if allow_empty:
            return None
        if self.missing:
            return NothingMatched(
                "not found: " + ", ".join(self.missing),
                hint="pass --allow-empty if absent endpoints are fine",
            )
        if self.unmatched:
            return NothingMatched(
                "no endpoint matches the selector", hint="pass --allow-empty if matching nothing is fine"
            )
        return None


def status(session: Session, targets: Targets, desired: Sequence[Desired]) -> StatusReport:
    """The named endpoints, or without names, manifests or selector, every endpoint of the namespace."""
    selection = select(session, targets, desired)
    if not targets.given:
        return StatusReport([ep for eps in selection.observed.values() for ep in eps], [], unmatched=False)
    found = [ep for t in selection.targets if (ep := selection.live(t)) is not None]
    missing = [t.key for t in selection.targets if selection.live(t) is None]
    return StatusReport(found, missing, unmatched=bool(targets.selector) and not found)


@dataclass(frozen=True)
class HardwareFilter:
    vendor: str | None = None
    region: str | None = None
    accelerator: str | None = None
    show_all: bool = False  # also what cannot be deployed now (deprecated, unavailable, over quota)

    def admits(self, h: Hardware) -> bool:
        return (
            (self.vendor is None or same_name(h.vendor, self.vendor))
            and (self.region is None or same_name(h.region, self.region))
            and (self.accelerator is None or h.accelerator == self.accelerator)
            and (self.show_all or h.deployable)
        )


def hardware(session: Session, only: HardwareFilter) -> list[Hardware]:
    return [h for h in session.hub.hardware(session.namespace()) if only.admits(h)]

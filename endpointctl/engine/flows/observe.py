"""status and hardware: reading what is live, and what could be."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from endpointctl.core.catalog_filter import HardwareFilter
from endpointctl.core.endpoint import Endpoint, Hardware
from endpointctl.core.errors import NothingMatched
from endpointctl.core.spec import Desired
from endpointctl.core.suggest import command_for
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


def hardware(session: Session, only: HardwareFilter) -> list[Hardware]:
    """The catalog's rows ``only`` admits; NothingMatched when one of its filters matches no row at all."""
    namespace = session.namespace()
    rows = session.hub.hardware(namespace)
    if (unmatched := only.unmatched(rows)) is not None:
        everything = command_for("hardware", namespace, "--all", implied=session.implied_namespace)
        raise NothingMatched(unmatched, hint=f"`{everything}` lists the whole catalog")
    shown = [h for h in rows if only.admits(h)]
    if not shown and (matched := sum(only.matches(h) for h in rows)):
        # Not a filter's mistake, an answer: still, an empty table alone would read as "nothing there".
        session.report(
            f"note: {matched} offer(s) match, none deployable now (deprecated, not available or over "
            "quota): --all shows them"
        )
    return shown

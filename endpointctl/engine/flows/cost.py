"""cost: a month projected per endpoint, priced from one hardware catalog call per namespace.

Reads no endpoint: the projection is of the manifests (what they would cost once applied), so it needs
only prices. The month is the one asked for, else the current month in each endpoint's own zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from endpointctl.core import cost, projection
from endpointctl.core.errors import ApiError
from endpointctl.core.projection import Month, Projection
from endpointctl.core.spec import Desired
from endpointctl.engine.session import Session


def project(session: Session, desired: Sequence[Desired], month: Month | None) -> list[Projection]:
    placed = session.place(desired)
    catalogs = {}
    for namespace in dict.fromkeys(ns for ns, _ in placed):
        try:
            catalogs[namespace] = session.hub.hardware(namespace)
        except ApiError as error:
            error.hint = error.hint or "prices come from the hardware catalog; nothing was changed"
            raise
    now = datetime.fromtimestamp(session.clock.wall(), UTC)
    projected: list[Projection] = []
    for namespace, d in placed:
        which = month or Month.containing(now, projection.zone_of(d.spec))
        price = cost.price_of(d.spec, catalogs[namespace])
        projected.append(projection.project(namespace, d, price, which))
    return projected

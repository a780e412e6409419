"""Reading the hardware catalog for a plan and acting on what ``core.preflight`` finds in it.

One catalog call (``GET /v2/provider/{namespace}``, what ``endpointctl hardware`` reads) per namespace a
manifest names, per plan. The same rows price every change (``core.cost``) and check budgets
(``core.budget``): money in a plan costs no call of its own. A catalog that cannot be read, or that
lists nothing, stops the plan with an error naming the call (exit 1) rather than letting changes go out
unchecked: a deprecated type or an exhausted quota would then be found by the API half-way through an
apply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from endpointctl.core import budget, cost, preflight
from endpointctl.core.endpoint import Hardware
from endpointctl.core.errors import ApiError, ManifestError
from endpointctl.core.plan import Plan

_HINT = "endpointctl checks the hardware catalog before it changes anything; nothing was changed"


class Catalogs(Protocol):
    def hardware(self, namespace: str) -> list[Hardware]: ...


def check(
    hub: Catalogs, plan: Plan, now: datetime, read: Mapping[str, Sequence[Hardware]] | None = None
) -> Plan:
    """``plan`` with creates and scale-ups the catalog rules out blocked, each change priced, and changes
    over their budget (the 30 days from ``now``) blocked; a ``ManifestError`` (exit 2) for hardware that
    does not exist, an ``ApiError`` (exit 1) when a catalog cannot be read. ``read``: catalogs already
    read (``catalog``, for the namespaces the manifests name); any other the plan needs is read here."""
    namespaces = dict.fromkeys(c.namespace for c in plan.changes if c.desired is not None)
    known = read or {}
    catalogs = {ns: known[ns] if ns in known else catalog(hub, ns) for ns in namespaces}
    checked = preflight.check(plan, catalogs)
    if checked.issues:
        raise ManifestError(
            list(checked.issues),
            hint="fix the manifests; `endpointctl hardware --all` lists every offer. "
            "The hardware catalog was read; nothing was changed",
        )
    return budget.check(cost.attach(checked.plan, catalogs), catalogs, now)


def catalog(hub: Catalogs, namespace: str) -> Sequence[Hardware]:
    """One namespace's usable catalog rows; an ``ApiError`` when it cannot be read or lists nothing."""
    doing = f"listing hardware for namespace '{namespace}' (GET /v2/provider/{namespace})"
    try:
        rows = hub.hardware(namespace)
    except ApiError as error:
        error.hint = error.hint or _HINT  # its message names the call already
        raise
    # A row without its names cannot match anything: read as "does not exist", it would blame the manifest.
    usable = [r for r in rows if r.vendor and r.region and r.instance_type and r.instance_size]
    if not usable:
        raise ApiError(
            f"{doing}: the answer lists no hardware"
            + (f" ({len(rows)} rows without vendor, region, instanceType or instanceSize)" if rows else "")
            + "; the preflight (which offers exist, their status and the quota) cannot run",
            hint=_HINT + "; run again later, or see `endpointctl hardware --all`",
        )
    return usable

"""PURE: what a plan says of a live security type it cannot compare with the manifest's.

A legacy type (core/security_level.py ``LEGACY_TYPES``) names no level for certain, so ``diff`` compares the
manifest's ``security`` with nothing, as for any unknown value. Unlike a type nobody documented, it is one
real endpoints of that time report: "no change" would then say nothing about who may call the endpoint,
and the reader of the plan should know it.
"""

from __future__ import annotations

from endpointctl.core.endpoint import Endpoint
from endpointctl.core.security_level import LEGACY_TYPES
from endpointctl.core.spec import Desired


def legacy_security_notes(desired: Desired, live: Endpoint) -> list[str]:
    """A note when the manifest sets ``security`` and the endpoint reports a legacy type; else none."""
    want = desired.spec.security
    if want is None or live.security is not None or live.reported_type not in LEGACY_TYPES:
        return []
    return [
        f"security: the API reports the legacy type '{live.reported_type}', from before today's levels; "
        f"which of them it is is unconfirmed, so the manifest's security: {want.value} is not compared "
        "and nothing is changed for it"
    ]

"""PURE: how a manifest's ``model.env`` compares with an endpoint's, and what a plan says of the rest.

Only the variables a manifest sets are compared, and those endpointctl sent before (the env record,
core/tags.py) that the manifest no longer sets: those are removed. Any other variable the endpoint has is
named in a note, never drift.
"""

from __future__ import annotations

from endpointctl.core.endpoint import Endpoint
from endpointctl.core.spec import Desired
from endpointctl.core.tags import owned_env_names


def env_differs(want: dict[str, str] | None, have: dict[str, str], live: Endpoint) -> bool:
    """Whether ``model.env`` needs an update: a variable the manifest sets is missing or has another
    value, or one endpointctl sent before (its record, core/tags.py) is there and the manifest dropped it.

    Other variables the live env has are not compared, as anything a manifest omits stays as the server
    has it (README) and as fields the service adds inside an image are not. Whether the service adds
    variables of its own is not documented (reference §2 says only "object of strings"); compared, one it
    added would plan an update (a redeploy) on every run, and apply would never settle. The record is read
    only on an endpoint we manage: on one being adopted it was not written by us. Without a record (an
    endpoint created before it existed, or names it could not hold) a variable removed from a manifest
    stays until the next env update, which sends the manifest's env whole (and so removes it, as updates
    replace env). A manifest that omits env but drops a recorded variable sends ``{}``.
    """
    wanted = want or {}
    return bool(_dropped(wanted, have, live)) or any(have.get(key) != value for key, value in wanted.items())


def _dropped(wanted: dict[str, str], have: dict[str, str], live: Endpoint) -> list[str]:
    recorded = owned_env_names(live.tags) if live.managed else frozenset()
    return sorted(name for name in recorded if name in have and name not in wanted)


def dropped_env_names(desired: Desired, live: Endpoint) -> list[str]:
    """The variables an env update removes because endpointctl sent them before and the manifest no longer
    sets them (the rest of what the endpoint has is only noted)."""
    return [] if live.env is None else _dropped(desired.spec.model.env or {}, live.env, live)


def env_notes(desired: Desired, live: Endpoint, update_paths: tuple[str, ...]) -> list[str]:
    """Variables the endpoint has and the manifest does not set are never compared (the service may add its
    own), except those endpointctl sent before (removed): a plan says which, by name, and what becomes of
    them."""
    have = live.env
    if have is None or (desired.spec.model.env is None and "model.env" not in update_paths):
        return []
    dropped = dropped_env_names(desired, live)
    notes = (
        [f"model.env: removes {', '.join(dropped)}: sent by endpointctl before, no longer in the manifest"]
        if dropped
        else []
    )
    extra = sorted(set(have) - set(desired.spec.model.env or {}) - set(dropped))
    if not extra:
        return notes
    names = ", ".join(extra)
    if "model.env" in update_paths:
        # Whether the API merges or replaces env is unconfirmed (reference §3): replaced, they go.
        return [
            *notes,
            f"model.env: the update sends the manifest's variables only, so {names} (not in it) may go",
        ]
    return [
        f"model.env: the endpoint also has {names}, which the manifest does not set: left as they are until "
        "the next change to model.env (whether the service adds variables of its own is unknown)"
    ]

"""Pinning revisions before a plan: each branch or tag the manifests name, resolved to its commit.

The service answers an endpoint's ``model.revision`` as the commit it resolved, so the plan compares
commits (``core.revisions``): a branch is looked up on the Hub once per distinct (repository, revision)
per run, a 40-hex commit and an omitted revision never. A revision that cannot be read stops the whole
plan before anything is changed, naming every endpoint it affects: planning around it would either
create an endpoint on a revision that does not exist or silently skip one the manifests ask for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from endpointctl.core.errors import ApiError
from endpointctl.core.revisions import needs_lookup
from endpointctl.core.spec import Desired
from endpointctl.hub.revisions import Unreadable

Placed = tuple[str, Desired]  # a desired endpoint with its resolved namespace


class Lookups(Protocol):
    def commit_of(self, repository: str, revision: str) -> str | Unreadable: ...


def _key(desired: Desired) -> tuple[str, str] | None:
    model = desired.spec.model
    if model.revision is None or not needs_lookup(model.revision):
        return None
    return (model.repository, model.revision)


def pin(hub: Lookups, placed: Sequence[Placed]) -> list[Placed]:
    """``placed`` with each branch's or tag's commit on ``Desired.revision_commit``."""
    keys = dict.fromkeys(key for _, d in placed if (key := _key(d)) is not None)
    found = {key: hub.commit_of(*key) for key in keys}
    unreadable = [
        f"  {namespace}/{d.name} ({d.source}): {key[0]}@{key[1]}: {answer.reason}"
        for namespace, d in placed
        if (key := _key(d)) is not None and isinstance(answer := found[key], Unreadable)
    ]
    if unreadable:
        count = len(unreadable)
        raise ApiError(
            f"the revision of {count} endpoint{'s' if count != 1 else ''} cannot be read on the Hub; "
            "nothing was changed:\n" + "\n".join(unreadable),
            hint="set spec.model.revision to a branch, tag or 40-hex commit the model has; for a gated or "
            "private model, use a token that may read it (request access on the model's Hub page)",
        )
    pinned: list[Placed] = []
    for namespace, d in placed:
        key = _key(d)
        commit = found[key] if key is not None else None
        pinned.append((namespace, replace(d, revision_commit=commit) if isinstance(commit, str) else d))
    return pinned

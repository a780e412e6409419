"""Pinning revisions before a plan: each branch or tag the manifests name, resolved to its commit.

The service answers an endpoint's ``model.revision`` as the commit it resolved, so the plan compares
commits (``core.revisions``): a branch is looked up on the Hub once per distinct (repository, revision)
per run, a 40-hex commit and an omitted revision never. A revision that cannot be read (no such branch,
tag or commit; a gated or private model this token may not read) fails that endpoint: its change is
blocked, with the reason, so nothing is sent for it (no create on a revision that does not exist, no
update to a guess), apply exits 1 for it, and the other endpoints go ahead as the preflight's blocks do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from endpointctl.core.plan import Action, Plan
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


UnreadableRevisions = dict[tuple[str, str], str]  # (namespace, name) -> why its revision cannot be read


Found = dict[tuple[str, str], str | Unreadable]  # (repository, revision) -> its commit, or why not


def lookups(placed: Sequence[Placed]) -> list[tuple[str, str]]:
    """The (repository, revision) pairs to look up on the Hub: each branch or tag once."""
    return list(dict.fromkeys(key for _, d in placed if (key := _key(d)) is not None))


def pin(
    hub: Lookups, placed: Sequence[Placed], found: Found | None = None
) -> tuple[list[Placed], UnreadableRevisions]:
    """``placed`` with each branch's or tag's commit on ``Desired.revision_commit``, and the endpoints
    whose revision cannot be read, with why. ``found``: the lookups already made (``lookups``); any
    missing is made here."""
    found = dict(found or {})
    for wanted in lookups(placed):
        if wanted not in found:
            found[wanted] = hub.commit_of(*wanted)
    pinned: list[Placed] = []
    unreadable: UnreadableRevisions = {}
    for namespace, d in placed:
        key = _key(d)
        answer = found[key] if key is not None else None
        if isinstance(answer, Unreadable) and key is not None:
            unreadable[(namespace, d.name)] = (
                f"its revision {key[0]}@{key[1]} cannot be read: {answer.reason}"
            )
        pinned.append((namespace, replace(d, revision_commit=answer) if isinstance(answer, str) else d))
    return pinned, unreadable


def block_unreadable(plan: Plan, unreadable: UnreadableRevisions) -> Plan:
    """Every change of an endpoint whose revision cannot be read, blocked: nothing is sent for it."""
    if not unreadable:
        return plan
    hint = (
        "set spec.model.revision to a branch, tag or 40-hex commit the model has; for a gated or private "
        "model, use a token that may read it (request access on the model's Hub page)"
    )
    return replace(
        plan,
        changes=tuple(
            replace(
                change, action=Action.BLOCKED, steps=(), reason=f"{why}; nothing is changed for it ({hint})"
            )
            if (why := unreadable.get((change.namespace, change.name))) is not None
            else change
            for change in plan.changes
        ),
    )

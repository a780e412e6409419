"""PURE: which manifest fields an in-place update sends, and what the plan says about the ones it adds.

The planner decides this, not the hub: the plan must show everything an apply sends.
"""

from __future__ import annotations

from endpointctl.core.diff import FieldChange, diff_endpoint
from endpointctl.core.endpoint import Endpoint
from endpointctl.core.spec import Desired

# Whether the API takes one compute field alone or wants all three together is unconfirmed [U]; the hub
# always sent them together. A companion the answer reported equals the manifest (else it would be a
# change), so sending it beside the change cannot move anything. One the answer left unknown (absent,
# null, a value we cannot read) is held back: sending the manifest's value could change the endpoint's
# hardware though the plan showed no such change. Held back, the worst is an API that refuses the update
# (nothing changes, the error is shown) or keeps its own value, which is what the user has now.
COMPUTE = ("compute.accelerator", "compute.instanceType", "compute.instanceSize")


def _reported(live: Endpoint, path: str) -> bool:
    value = {
        "compute.accelerator": live.accelerator,
        "compute.instanceType": live.instance_type,
        "compute.instanceSize": live.instance_size,
    }[path]
    return value is not None


def update_paths(fields: tuple[FieldChange, ...], live: Endpoint) -> tuple[tuple[str, ...], list[str]]:
    """The paths an update sends for ``fields`` (the plan's changes, tags aside), and notes naming each
    compute field sent unchanged beside them or held back, so the plan shows all that is sent."""
    changed = tuple(change.path for change in fields if change.path != "tags")
    if not set(changed) & set(COMPUTE):
        return changed, []
    others = [path for path in COMPUTE if path not in changed]
    sent = [path for path in others if _reported(live, path)]
    held = [path for path in others if path not in sent]
    notes = []
    if sent:
        notes.append(f"{' and '.join(sent)} sent unchanged with the compute change, as the API reports them")
    if held:
        notes.append(
            f"{' and '.join(held)} not sent: the API does not report "
            f"{'it' if len(held) == 1 else 'them'}, so the endpoint keeps its own (or the API refuses "
            "the update, and nothing changes)"
        )
    return changed + tuple(sent), notes


# What a plan assumes a resume leaves (core/diff.py ``replicas_after_resume``): the API's reset to 1/1.
_ASSUMED_AFTER_RESUME = {
    "scaling.minReplica": lambda e: e.min_replica,
    "scaling.maxReplica": lambda e: e.max_replica,
}


def shown_by_resume(paths: tuple[str, ...], desired: Desired, answer: Endpoint) -> tuple[str, ...]:
    """Of an update planned to follow a resume, the scaling paths the resume's own answer already shows
    as the manifest's: not to be sent.

    The plan compared them with the 1/1 the API is documented to set on resume, as it had nothing else
    before the resume; whether the API keeps the configured replicas instead is unconfirmed [U]. The
    answer is the better reading: where it reports the manifest's value, sending it again would be an
    update planned on a guess. Where it reports another value, or none (absent, or the 0/0 some states
    answer: unknown), the plan's update stands, as shown: what is sent is still only what the plan showed,
    never a path it did not.
    """
    differing = {change.path for change in diff_endpoint(desired, answer, compare_scaling=True)}
    return tuple(
        path
        for path in paths
        if path in _ASSUMED_AFTER_RESUME
        and _ASSUMED_AFTER_RESUME[path](answer) is not None
        and path not in differing
    )

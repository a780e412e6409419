"""PURE: which manifest fields an in-place update sends, and what the plan says about the ones it adds.

The planner decides this, not the hub: the plan must show everything an apply sends.
"""

from __future__ import annotations

from endpointctl.core.diff import FieldChange
from endpointctl.core.endpoint import Endpoint

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

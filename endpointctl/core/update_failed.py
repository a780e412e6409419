"""PURE: what a plan says of an endpoint whose last update failed (``updateFailed``) when the manifest
asks for nothing new: it still serves its former configuration, and nothing is ever replaced on it.

- A field the manifest sets that the API does not report, or a value no answer shows (a secret's, a
  registry password): whether the manifest asks for the configuration that failed cannot be told, and a
  new value may be the very fix. A note, and nothing is changed.
- Every field reported and equal: sending it again would fail again, and "no changes" would hide the
  failure, so the change is blocked. Not a replace, not even with --allow-replace: whether the answer
  reports the configuration that failed or the one still served is not documented [U], and either way a
  replace deletes what serves, to create what failed, or what needed nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from endpointctl.core.diff import unreported_fields, values_never_shown
from endpointctl.core.endpoint import Endpoint
from endpointctl.core.spec import Desired


@dataclass(frozen=True)
class FailedUpdate:
    """``blocked``: the change is blocked, ``text`` its reason; else ``text`` is a note, nothing changed."""

    blocked: bool
    text: str


def failed_note(live: Endpoint) -> str:
    return f"its last update failed ({live.message or 'no message'})"


def same_configuration(desired: Desired, live: Endpoint) -> FailedUpdate:
    failed = failed_note(live)
    if unknown := unreported_fields(desired, live):
        return FailedUpdate(
            False,
            f"{failed}; the API does not report {', '.join(unknown)}, so whether the manifest asks for that "
            "configuration is unknown: nothing is changed",
        )
    if hidden := values_never_shown(desired):
        return FailedUpdate(
            False,
            f"{failed}; the manifest's {' and '.join(hidden)} cannot be compared (the API never shows "
            "values), so whether it asks for that configuration is unknown: nothing is changed, not even "
            "with --allow-replace; --rotate-secrets sends them again in an update, and `endpointctl delete` "
            "then apply re-creates it",
        )
    return FailedUpdate(
        True,
        f"{failed}, and the manifest asks for the configuration the API reports (the one that failed, or "
        "the one it still serves: which is not documented); a replace would delete the endpoint that "
        "serves, so none is planned, not even with --allow-replace: fix the manifest, or "
        f"`endpointctl delete {live.name}` and apply to re-create it",
    )

"""PURE: the tags a create or an update sends: labels, ownership, and the records of what it sends.

A record (core/tags.py) changes only with what it records: a change that sends no env, or no secrets,
leaves that record as it is.
"""

from __future__ import annotations

from collections.abc import Iterable

from endpointctl.core.diff import ENV, SECRETS, FieldChange
from endpointctl.core.spec import Desired
from endpointctl.core.tags import desired_tags


def create_tags(desired: Desired, stack: str | None) -> tuple[str, ...]:
    model = desired.spec.model
    labels = desired.manifest.metadata.labels
    return desired_tags(labels, (), stack, sent_env=model.env or None, sent_secrets=model.secrets or None)


def update_tags(
    desired: Desired, live_tags: Iterable[str], stack: str | None, fields: Iterable[FieldChange]
) -> tuple[str, ...]:
    paths = {change.path for change in fields}
    model = desired.spec.model
    return desired_tags(
        desired.manifest.metadata.labels,
        live_tags,
        stack,
        sent_env=(model.env or {}) if ENV in paths else None,
        sent_secrets=(model.secrets or {}) if SECRETS in paths else None,
    )

"""PURE: the tags a create or an update sends: labels, ownership, and the records of what it sends.

A record (core/tags.py) changes only with what it records: a change that sends no env, no secrets or
no image leaves that record as it is.
"""

from __future__ import annotations

from collections.abc import Iterable

from endpointctl.core.diff import ENV, IMAGE, SECRETS, FieldChange
from endpointctl.core.spec import Desired
from endpointctl.core.tags import desired_tags


def _image_record(desired: Desired) -> tuple[str, ...]:
    """The reference a change sending the manifest's image records: its url, if it has one. Not one that
    holds a secret's value (a tag named after it): no digest of a value is ever written; its image is then
    unknown wherever the API shows it by digest alone, as without a record."""
    image = desired.spec.model.image or {}
    urls = [settings.get("url") for settings in image.values() if isinstance(settings, dict)]
    values = desired.sensitive_values()
    return tuple(url for url in urls if isinstance(url, str) and not any(value in url for value in values))


def create_tags(desired: Desired, stack: str | None) -> tuple[str, ...]:
    model = desired.spec.model
    labels = desired.manifest.metadata.labels
    return desired_tags(
        labels,
        (),
        stack,
        sent_env=model.env or None,
        sent_secrets=model.secrets or None,
        sent_image=_image_record(desired),
    )


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
        sent_image=_image_record(desired) if IMAGE in paths else None,
    )

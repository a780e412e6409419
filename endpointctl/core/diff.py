"""PURE: field-level comparison of one desired spec with one observed endpoint.

Only what the manifest sets is compared; what it omits stays as the server has it. Each path is named
as in the manifest, so a plan line points at the line to edit. Secrets are compared by name only:
the API never returns their values, and nothing derived from a value is kept. An image's registry
password (``credentials.password``) is not compared at all, for the same reason, and shows only as
"(sensitive)" in either image of a change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from endpointctl.core.endpoint import Endpoint, same_name, same_task
from endpointctl.core.env_diff import env_differs
from endpointctl.core.image_refs import same_image
from endpointctl.core.names import REPOSITORY_RE
from endpointctl.core.revisions import is_commit, revision_matches, revision_unknown, shown_revision
from endpointctl.core.secrets_diff import live_secret_names, secrets_differ, wanted_secrets
from endpointctl.core.spec import (
    CREDENTIALS_KEY,
    DEFAULT_FRAMEWORK,
    DEFAULT_IMAGE,
    DEFAULT_SECURITY,
    IMAGE_FIELDS,
    PASSWORD_KEY,
    Desired,
    EndpointSpec,
    registry_password,
)
from endpointctl.core.tags import sent_this_image

SENSITIVE = "(sensitive)"  # what a plan shows instead of a registry password, as render does for secrets
REVISION = "model.revision"
TASK = "model.task"
SECRETS = "model.secrets"
IMAGE = "model.image"
ENV = "model.env"


@dataclass(frozen=True)
class FieldChange:
    path: str
    before: Any
    after: Any
    forces_replace: bool = False
    sensitive: bool = False  # values are never shown: only "(sensitive)"


@dataclass(frozen=True)
class _Field:
    path: str
    desired: Callable[[EndpointSpec], Any]  # None when the manifest does not set it
    live: Callable[[Endpoint], Any]
    forces_replace: bool = False
    scaling: bool = False
    # A vendor's name for a region or an instance, or a repository id: an identifier, compared case aside.
    name: bool = False


def _json_kind(value: Any) -> str:
    """The JSON type of a value: int and float are both "number", and a bool is not one."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _differs(want: Any, have: Any) -> bool:
    """Whether a live value is known to differ from the manifest's.

    Absent or null is unknown, and so is a value of another JSON type than the manifest's ("1024" for
    1024, 1 for true): the service or a proxy may render numbers as text, and reading that as a change
    would redeploy an endpoint over a spelling. Only a value of the same type is compared.
    """
    return not _uncompared(want, have) and have != want


def _uncompared(want: Any, have: Any) -> bool:
    """Whether ``_differs`` cannot compare them: the live value absent, null or of another JSON type."""
    return have is None or _json_kind(have) != _json_kind(want)


def _image_pairs(want: dict[str, dict[str, Any]], live: Endpoint) -> list[tuple[Any, Any]] | None:
    """Each value the manifest sets inside its variant, with the live one; None without that variant.

    Inside ``credentials`` only the username and the like are paired: the API masks the password (or
    leaves it out), so comparing it would show a change on every plan. Credentials that are not an object
    pair each with None: unknown.
    """
    ((variant, settings),) = want.items()
    live_settings = (live.image or {}).get(variant)
    if not isinstance(live_settings, dict):
        return None
    pairs: list[tuple[Any, Any]] = []
    for key, value in settings.items():
        live_value = live_settings.get(key)
        if key == CREDENTIALS_KEY and isinstance(value, dict):
            login = live_value if isinstance(live_value, dict) else {}
            pairs += [(v, login.get(k)) for k, v in value.items() if k != PASSWORD_KEY]
        elif key == "healthRoute" and isinstance(value, str) and isinstance(live_value, str):
            # "/health/" is "/health" to a server; blanks are no part of a path, and a blank one is unknown.
            pairs.append((_route(value), _route(live_value) if live_value.strip() else None))
        elif key == "url" and isinstance(value, str) and isinstance(live_value, str):
            pairs.append(_image_url_pair(value, live_value, live))
        else:
            pairs.append((value, live_value))
    return pairs


def _image_url_pair(want: str, have: str, live: Endpoint) -> tuple[str, str | None]:
    """The container image as ``_differs`` should see it: another spelling of the manifest's reference
    is the manifest's, and a digest it may have resolved to is unknown (core/image_refs.py) unless
    endpointctl's record (core/tags.py, read only on an endpoint we manage) says the manifest has moved
    since the last reference it sent."""
    same = same_image(want, have, sent=sent_this_image(live.tags, want) if live.managed else None)
    return (want, want) if same else (want, None) if same is None else (want, have)


def _route(path: str) -> str:
    return path.strip().rstrip("/") or "/"


def _image_matches(want: dict[str, dict[str, Any]], live: Endpoint) -> bool:
    """The manifest's variant, and no field it sets inside it known to differ."""
    pairs = _image_pairs(want, live)
    return pairs is not None and not any(_differs(value, live) for value, live in pairs)


def _image_unknown(want: dict[str, dict[str, Any]], live: Endpoint) -> bool:
    """Whether a field the manifest sets inside its variant is reported so that ``_image_matches`` skips
    it (absent, null, another JSON type; credentials not an object). The password is not counted."""
    pairs = _image_pairs(want, live)
    return pairs is not None and any(_uncompared(value, live) for value, live in pairs)


def _has_password(image: dict[str, Any]) -> bool:
    return any(registry_password(settings) is not None for settings in image.values())


def shown_image(image: dict[str, Any]) -> dict[str, Any]:
    """``image`` as a plan may show it: any registry password, sent or reported, is "(sensitive)"."""
    shown: dict[str, Any] = {}
    for variant, settings in image.items():
        credentials = settings.get(CREDENTIALS_KEY) if isinstance(settings, dict) else None
        if isinstance(credentials, dict) and PASSWORD_KEY in credentials:
            settings = {**settings, CREDENTIALS_KEY: {**credentials, PASSWORD_KEY: SENSITIVE}}
        shown[variant] = settings
    return shown


def _private_link(spec: EndpointSpec) -> dict[str, Any] | None:
    link = spec.private_link
    if link is None:
        return None
    return {"accountId": link.account_id, **({"region": link.region} if link.region else {})}


def _live_private_link(live: Endpoint, want: dict[str, Any] | None) -> dict[str, Any] | None:
    link = live.private_link
    if link is None:
        return None
    result: dict[str, Any] = {"accountId": link.account_id}
    # The region is compared only when the answer carries it: answers have been seen without it.
    if want is not None and "region" in want and link.region is not None:
        result["region"] = link.region
    return result


def _case_aside(link: dict[str, Any] | None) -> dict[str, Any] | None:
    """A private link as compared: its region a name like the compute's (``same_name``)."""
    if link is None or not isinstance(link.get("region"), str):
        return link
    return {**link, "region": link["region"].casefold()}


def _private_link_change(spec: EndpointSpec, live: Endpoint) -> FieldChange | None:
    link = _private_link(spec)
    if link is None or not live.private_link_reported:
        return None
    live_link = _live_private_link(live, link)
    compared = link if live_link is None or "region" in live_link else {"accountId": link["accountId"]}
    if _case_aside(compared) == _case_aside(live_link):
        return None
    return FieldChange("privateLink", live_link, link, forces_replace=True)


def _variant(image: dict[str, Any]) -> str | None:
    """The image's variant (its engine: huggingface, tgi, vllm, llamacpp, custom...), None if unclear."""
    keys = [key for key, value in image.items() if isinstance(value, dict)]
    return keys[0] if len(keys) == 1 else None


def _image_known(want: dict[str, Any], have: dict[str, Any]) -> bool:
    """Whether the live image can be compared with the manifest's at all.

    It can when it reports the manifest's own variant, or exactly one variant endpointctl knows. No
    variant, several of them, or one endpointctl does not know (a future engine) is unknown: never drift.
    """
    if isinstance(have.get(next(iter(want))), dict):
        return True
    variant = _variant(have)
    return variant is not None and variant in IMAGE_FIELDS


def _image_change(spec: EndpointSpec, live: Endpoint, rotate_secrets: bool) -> FieldChange | None:
    image = spec.model.image
    if image is None or not live.image or not _image_known(image, live.image):
        return None  # not set, not reported, or not one we can read: never drift
    # The password cannot be compared, so --rotate-secrets is how a new one is sent, with the whole image.
    if _image_matches(image, live) and not (rotate_secrets and _has_password(image)):
        return None
    # The service cannot change an existing endpoint's engine: another variant means a new endpoint.
    have = _variant(live.image)
    engine_changes = have is not None and have != _variant(image)
    return FieldChange(IMAGE, shown_image(live.image), shown_image(image), forces_replace=engine_changes)


def _repository(reported: str | None) -> str | None:
    return reported if reported is not None and REPOSITORY_RE.fullmatch(reported) else None


_FIELDS: tuple[_Field, ...] = (
    # A repository id is the same whatever its case; one that is no owner/name (a trailing '/') is unknown.
    _Field("model.repository", lambda s: s.model.repository, lambda e: _repository(e.repository), name=True),
    _Field("model.revision", lambda s: s.model.revision, lambda e: e.revision),
    _Field(TASK, lambda s: s.model.task, lambda e: e.task),
    _Field("model.framework", lambda s: s.model.framework and s.model.framework.value, lambda e: e.framework),
    _Field(ENV, lambda s: s.model.env, lambda e: e.env),
    _Field("provider.vendor", lambda s: s.provider.vendor.value, lambda e: e.vendor, forces_replace=True),
    _Field(
        "provider.region", lambda s: s.provider.region, lambda e: e.region, forces_replace=True, name=True
    ),
    _Field("compute.accelerator", lambda s: s.compute.accelerator.value, lambda e: e.accelerator),
    _Field("compute.instanceType", lambda s: s.compute.instance_type, lambda e: e.instance_type, name=True),
    _Field("compute.instanceSize", lambda s: s.compute.instance_size, lambda e: e.instance_size, name=True),
    _Field(
        "scaling.minReplica",
        lambda s: s.scaling and s.scaling.min_replica,
        lambda e: e.min_replica,
        scaling=True,
    ),
    _Field(
        "scaling.maxReplica",
        lambda s: s.scaling and s.scaling.max_replica,
        lambda e: e.max_replica,
        scaling=True,
    ),
    _Field(
        "scaling.scaleToZeroTimeout",
        lambda s: s.scaling and s.scaling.scale_to_zero_timeout,
        lambda e: e.scale_to_zero_timeout,
        scaling=True,
    ),
    _Field(
        "security",
        lambda s: s.security and s.security.value,
        lambda e: e.security and e.security.value,
        forces_replace=True,
    ),
)


def diff_endpoint(
    desired: Desired,
    live: Endpoint,
    *,
    compare_scaling: bool = True,
    replicas_after_resume: bool = False,
    rotate_secrets: bool = False,
) -> tuple[FieldChange, ...]:
    spec = desired.spec
    changes: list[FieldChange] = []
    for f in _FIELDS:
        want = f.desired(spec)
        if f.path == ENV:
            # Before the "not set" skip: a variable we sent and the manifest dropped is removed even when
            # the manifest now sets no env at all.
            if live.env is not None and env_differs(want, live.env, live):
                changes.append(FieldChange(ENV, live.env, want or {}))
            continue
        if want is None or (f.scaling and not compare_scaling):
            continue
        have = f.live(live)
        if replicas_after_resume and f.path in ("scaling.minReplica", "scaling.maxReplica"):
            have = 1  # what the API sets on resume
        if have is None:
            # Unknown (absent, null, or a value we cannot read, such as a security type we do not know)
            # is never a reason to update, let alone to delete and re-create an endpoint.
            continue
        if f.path == REVISION:
            # Compared by the commit a branch or tag resolves to (core/revisions.py), not as text; a
            # live form it cannot compare (a short SHA, refs/heads/main) is unknown there, never drift.
            if not revision_matches(desired, have):
                changes.append(FieldChange(f.path, have, shown_revision(desired)))
            continue
        if f.path == TASK and same_task(want, have):
            continue  # the manifest's task, spelled otherwise ("Text_Generation"): core/endpoint.py
        if want != have and not (f.name and same_name(want, have)):
            changes.append(FieldChange(f.path, have, want, forces_replace=f.forces_replace))

    changes += [
        change
        for change in (_image_change(spec, live, rotate_secrets), _private_link_change(spec, live))
        if change is not None
    ]

    wanted = wanted_secrets(spec, live)
    rotate = rotate_secrets and spec.model.secrets is not None
    if wanted is not None and (rotate or secrets_differ(wanted, live)):
        # Unknown names (the API did not say) show as None: which ones are there is not known.
        reported = live_secret_names(live)
        before = None if reported is None else sorted(reported)
        changes.append(FieldChange(SECRETS, before, sorted(wanted), sensitive=True))
    return tuple(changes)


def secrets_notes(fields: tuple[FieldChange, ...]) -> list[str]:
    """Why a plan removes secrets the answer does not name (``{}``): endpointctl's record says it sent
    some. Where the answer names them, the field shows them (names only, never a value)."""
    change = next((field for field in fields if field.path == SECRETS), None)
    if change is None or change.after or change.before is not None:
        return []
    return [
        "model.secrets: removes the secrets endpointctl sent before (its record says some; the API does "
        "not name them): the manifest sets none"
    ]


def unreported_fields(desired: Desired, live: Endpoint) -> tuple[str, ...]:
    """The fields the manifest sets that the live endpoint leaves unknown (absent, null, or unreadable):
    what ``diff_endpoint`` compares with nothing, so "no change" says nothing about them."""
    spec = desired.spec
    unknown = [f.path for f in _FIELDS if f.desired(spec) is not None and f.live(live) is None]
    if live.revision is not None and (
        revision_unknown(desired, live.revision)
        # A name, the manifest's own, where a commit is sent: which commit is deployed is not said.
        or (desired.revision_commit is not None and not is_commit(live.revision))
    ):
        unknown.append(REVISION)
    image = spec.model.image
    if image is not None and (
        not live.image
        or not _image_known(image, live.image)
        or _variant(live.image) is None  # several variants: which one runs is not said
        or _image_unknown(image, live)
    ):
        unknown.append(IMAGE)
    if wanted_secrets(spec, live) is not None and live_secret_names(live) is None:
        unknown.append(SECRETS)
    link = _private_link(spec)
    if link is not None and (
        not live.private_link_reported
        or ("region" in link and live.private_link is not None and live.private_link.region is None)
    ):
        unknown.append("privateLink")
    return tuple(unknown)


def values_never_shown(desired: Desired) -> tuple[str, ...]:
    """What the manifest sets that no answer ever shows, so never compares: secrets' values (the API
    reports names only) and a registry password. A plan cannot tell whether they are the ones live."""
    spec = desired.spec
    hidden = [SECRETS] if spec.model.secrets else []
    if spec.model.image is not None and _has_password(spec.model.image):
        hidden.append("the registry password")
    return tuple(hidden)


def desired_fields(desired: Desired) -> tuple[FieldChange, ...]:
    """What a create sends, defaults included, for showing a create in a plan."""
    spec = desired.spec
    values: list[tuple[str, Any]] = [
        (f.path, shown_revision(desired) if f.path == REVISION else f.desired(spec)) for f in _FIELDS
    ]
    defaults = {
        "model.framework": DEFAULT_FRAMEWORK.value,
        "security": DEFAULT_SECURITY.value,
    }
    changes = [
        FieldChange(path, None, value if value is not None else defaults[path])
        for path, value in values
        if value is not None or path in defaults
    ]
    changes.append(FieldChange(IMAGE, None, shown_image(spec.model.image or DEFAULT_IMAGE)))
    link = _private_link(spec)
    if link is not None:
        changes.append(FieldChange("privateLink", None, link))
    if spec.model.secrets:
        changes.append(FieldChange(SECRETS, None, sorted(spec.model.secrets), sensitive=True))
    return tuple(changes)

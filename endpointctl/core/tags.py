"""PURE: the tags endpointctl owns on an endpoint, and labels (the tags that are not ours).

Ownership (``managed-by=endpointctl``, the stack) decides what endpointctl may touch; the labels
bookkeeping tag records which tags are labels a manifest set, so a label removed from a manifest is
removed from the endpoint while tags someone else added stay.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping

from endpointctl.core.image_refs import canonical_image
from endpointctl.core.suggest import manifest_command

# Tags endpointctl owns. A manifest may not set them through labels.
MANAGED_BY_KEY = "managed-by"
MANAGED_BY_VALUE = "endpointctl"
MANAGED_TAG = f"{MANAGED_BY_KEY}={MANAGED_BY_VALUE}"
STACK_KEY = "endpointctl-stack"
# Which tags are labels we set, so a label removed from a manifest is removed from the endpoint while
# tags someone else added stay. "+" cannot occur in a label key (LABEL_KEY_RE).
LABELS_KEY = "endpointctl-labels"
LABEL_SEPARATOR = "+"
# Which ``model.env`` variables endpointctl last sent, so one removed from a manifest is removed from the
# endpoint while variables someone else (or the service) added are never compared. Written only with a
# change that sends env (a create, an env update): it then says exactly what was sent, and a run that
# sends no env never plans a tag change for it. Names that could not be read back from a tag ("+", "=",
# ",") are not recorded, nor is a record longer than ENV_TAG_MAX (the API's tag limit is unknown): a
# variable not recorded is left on the endpoint when a manifest drops it, as before the record existed.
ENV_KEY = "endpointctl-env"
# Which ``model.secrets`` names endpointctl last sent, as a digest of them, written with every change that
# sends secrets. An answer naming no secrets where this record matches the manifest's names is unknown, not
# "none": whether the API reports secrets' names (the sandbox does, with masked values) or answers ``{}``
# to hide them is not known, and read as "none" the plan would send them again, a redeploy, on every run.
# Names only: no value enters the digest.
SECRETS_KEY = "endpointctl-secrets"
# Which container image reference (``model.image``'s url) endpointctl last sent, as a digest of it in
# Docker's reading (core/image_refs.py: each spelling of one reference is one record), written with every
# change that sends the image. An answer showing the image by digest alone cannot be compared with the
# manifest's tag: where this record is the manifest's own reference it stays unknown, where the manifest
# has moved since (a tag bump) the image is sent. A reference holding a secret's value is not recorded.
IMAGE_KEY = "endpointctl-image"
# The records above kept as a digest: only "the same as last sent?" is ever asked of them, so anything
# fits, the tag's length never grows with it (the API's tag limit is unknown: 36 characters, one tag per
# record), and what was sent cannot be read back from it.
DIGEST_LENGTH = 16
_DIGEST_RE = re.compile(f"[0-9a-f]{{{DIGEST_LENGTH}}}")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ENV_TAG_MAX = 255
# Until when `endpointctl schedule hold` keeps a scheduled endpoint awake (core/hold_tag.py). Set and
# removed by that command alone: apply never plans a change to it (it is in no change's ``ours``).
HOLD_KEY = "endpointctl-hold"


def not_managed(manifest: str, namespace: str | None) -> str:
    """Why an endpoint of the manifest's name is not changed, with the command (its file named, so that it
    runs as pasted) that takes it over; ``namespace`` as ``suggest.manifest_command`` takes it."""
    adopt = manifest_command("apply", manifest, namespace, "--adopt")
    return f"an endpoint of this name exists and is not managed by endpointctl; `{adopt}` takes it over"


# Why nothing is changed on an endpoint whose tags the API did not give as a list of text (Endpoint.
# tags_reported): whether endpointctl manages it, its labels and any hold live there, and a change that
# sends tags would replace the ones it cannot see.
UNKNOWN_TAGS = (
    "the API's answer gives no readable tag list for this endpoint, so whether endpointctl manages it, its "
    "labels and any hold are unknown: nothing is changed on it until the API lists its tags; "
    "`endpointctl status` shows it"
)
RESERVED_LABEL_KEYS = frozenset(
    {MANAGED_BY_KEY, STACK_KEY, LABELS_KEY, ENV_KEY, SECRETS_KEY, IMAGE_KEY, HOLD_KEY}
)

LABEL_KEY_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$")
# One pattern for label values and stack names (README, Manifests): they travel as `key=value` tags and
# select what --prune may delete, so nothing that could read as another tag, a list or a blank.
VALUE_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")
VALUE_RULE = (
    "letters, digits, '.', '_' and '-', starting and ending with a letter or digit, at most 63 characters"
)


def tag_value(tags: Iterable[str], key: str) -> str | None:
    """The value of the first ``key=value`` tag with this key."""
    for tag in tags:
        name, sep, value = tag.partition("=")
        if sep and name == key:
            return value
    return None


def owned_label_keys(tags: Iterable[str]) -> frozenset[str]:
    """The label keys endpointctl set on an endpoint, as its bookkeeping tag records them."""
    value = tag_value(tags, LABELS_KEY)
    return frozenset(value.split(LABEL_SEPARATOR)) if value else frozenset()


def env_tag(names: Iterable[str]) -> str | None:
    """The record of the env variables a change sends, or None when none can be recorded."""
    recorded = sorted({name for name in names if ENV_NAME_RE.fullmatch(name)})
    tag = f"{ENV_KEY}={LABEL_SEPARATOR.join(recorded)}"
    return tag if recorded and len(tag) <= ENV_TAG_MAX else None


def owned_env_names(tags: Iterable[str]) -> frozenset[str]:
    """The env variables endpointctl last sent, as its record says (names it could not have written are
    not taken from it)."""
    value = tag_value(tags, ENV_KEY)
    names = value.split(LABEL_SEPARATOR) if value else ()
    return frozenset(name for name in names if ENV_NAME_RE.fullmatch(name))


def _digest_tag(key: str, text: str) -> str:
    return f"{key}={hashlib.sha256(text.encode()).hexdigest()[:DIGEST_LENGTH]}"


def _digest_record(tags: Iterable[str], key: str) -> str | None:
    """The digest a record holds; None without one in the form endpointctl writes (a value empty or edited
    by hand is no record: it says nothing)."""
    value = tag_value(tags, key)
    return value if value is not None and _DIGEST_RE.fullmatch(value) else None


def secrets_tag(names: Iterable[str]) -> str:
    """The record of the secrets' names a change sends: a digest of them; any names fit."""
    return _digest_tag(SECRETS_KEY, "\0".join(sorted(set(names))))


def sent_these_secrets(tags: Iterable[str], names: Iterable[str]) -> bool:
    """Whether the secrets record says the last secrets endpointctl sent had exactly these names."""
    value = _digest_record(tags, SECRETS_KEY)
    return value is not None and f"{SECRETS_KEY}={value}" == secrets_tag(names)


def sent_some_secrets(tags: Iterable[str]) -> bool:
    """Whether a secrets record is there: endpointctl writes one only with names (a change sending none
    drops it), so it says the last secrets endpointctl sent were some."""
    return _digest_record(tags, SECRETS_KEY) is not None


def image_tag(url: str) -> str:
    """The record of the container image reference a change sends, as Docker reads it."""
    return _digest_tag(IMAGE_KEY, canonical_image(url))


def sent_this_image(tags: Iterable[str], url: str) -> bool | None:
    """Whether the image record says the last reference endpointctl sent is ``url`` (another spelling of
    it included); None without a record."""
    value = _digest_record(tags, IMAGE_KEY)
    return None if value is None else f"{IMAGE_KEY}={value}" == image_tag(url)


def labels_from_tags(tags: tuple[str, ...] | list[str]) -> dict[str, str]:
    """The ``key=value`` tags that are not ours, as labels (a bare tag maps to an empty value)."""
    labels: dict[str, str] = {}
    for tag in tags:
        key, _, value = tag.partition("=")
        if key not in RESERVED_LABEL_KEYS:
            labels[key] = value
    return labels


def matches_selector(labels: Mapping[str, str], selector: Mapping[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def ownership_tags(stack: str | None) -> tuple[str, ...]:
    return (MANAGED_TAG, f"{STACK_KEY}={stack}") if stack else (MANAGED_TAG,)


def desired_tags(
    labels: Mapping[str, str],
    live_tags: Iterable[str],
    stack: str | None,
    *,
    sent_env: Iterable[str] | None = None,
    sent_secrets: Iterable[str] | None = None,
    sent_image: tuple[str, ...] | None = None,
) -> tuple[str, ...]:
    """Union of what is live and what we own: tags someone else added are kept.

    A label the manifest sets replaces a live tag of the same key; a label we set before and the manifest
    no longer has is removed; our ownership tags are added. ``sent_env``, the names of the variables the
    change sends (None: it sends no env), replaces the env record; without it the record stays as it is.
    ``sent_secrets`` does the same for the secrets record, and ``sent_image`` (the reference a change
    sending the image records, or none) for the image record.

    Our bookkeeping is read only on an endpoint we manage. On one we are adopting, a tag under one of
    our keys was not written by us (a copy of another endpoint's tags, say): a labels record cannot say
    which of its tags are ours, and a stack tag would file the endpoint under a stack this run did not
    choose (beside ours, under two: a prune of the other would delete it); an env record would name
    variables to remove that we never set. All are dropped, ours added (none when the manifest sets no
    labels, no ``--stack`` is given, or no env is sent), and every other tag stays.
    """
    live = list(live_tags)
    managed = MANAGED_TAG in live
    set_before = owned_label_keys(live) if managed else frozenset()
    ours = set(labels) | set_before | {LABELS_KEY} | (set() if managed else {STACK_KEY})
    if sent_env is not None or not managed:
        ours.add(ENV_KEY)
    if sent_secrets is not None or not managed:
        ours.add(SECRETS_KEY)
    if sent_image is not None or not managed:
        ours.add(IMAGE_KEY)
    kept = [tag for tag in live if tag.partition("=")[0] not in ours]
    wanted = [f"{key}={value}" for key, value in labels.items()]
    if labels:
        wanted.append(f"{LABELS_KEY}={LABEL_SEPARATOR.join(sorted(labels))}")
    if sent_env is not None and (record := env_tag(sent_env)):
        wanted.append(record)
    if sent_secrets:
        wanted.append(secrets_tag(sent_secrets))
    wanted += [image_tag(url) for url in sent_image or ()]
    result: list[str] = []
    for tag in [*kept, *wanted, *ownership_tags(stack)]:
        if tag not in result:
            result.append(tag)
    return tuple(result)

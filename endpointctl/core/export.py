"""PURE: a live endpoint as a manifest that plans no change against it (``endpointctl export``).

What the API reported, and only that: a field it left out (or sent as null, or in a shape a manifest
cannot hold) is left out of the manifest, so it is not asserted and never drifts — never filled with a
default that the next apply would then send. Required fields the API did not report (the provider, the
compute) make the endpoint not exportable, with the reason.

- ``revision``: the commit the API reports, so the manifest pins what runs now.
- ``secrets``: values are write-only, so each is the placeholder ``${NAME}`` (named after the secret);
  a registry password is ``${REGISTRY_PASSWORD}``. Unset, the manifest still plans: a secret's value is
  needed only where it is sent (``core.secret_values``).
- ``labels``: for an endpoint endpointctl manages, the tags its bookkeeping tag records as labels; for
  another, every ``key=value`` tag a label can hold. Other tags stay on the endpoint either way (an update
  sends the union) and are left out, with a note.
- ``state``: the state it is in now (``running`` for one scaled to zero by its own ``minReplica: 0``, or
  on its way to running). Replicas of a paused endpoint are left out: what a paused endpoint reports is
  the pause, not its configuration. An endpoint scaled to zero whose ``minReplica`` is not known to be 0
  (the API may answer 0/0, unknown, while it sleeps) has no ``state``: the next request wakes it, and a
  ``scaledToZero`` would then plan to scale it down again.
- Every other string is written with ``$`` as ``$$``, so ``${...}`` interpolation gives it back as is.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from endpointctl.core.endpoint import Endpoint, Status
from endpointctl.core.hub_tasks import misspelt_task
from endpointctl.core.image_settings import setting_problem
from endpointctl.core.names import REPOSITORY_RE
from endpointctl.core.revisions import is_commit
from endpointctl.core.secrets_diff import live_secret_names
from endpointctl.core.spec import (
    API_VERSION,
    CONTROL_RE,
    CREDENTIALS_KEY,
    IMAGE_FIELDS,
    KIND,
    LEGACY_TYPES,
    MAX_REPLICA_VALUES,
    MIN_REPLICA_VALUES,
    NAME_MAX,
    NAME_RE,
    PASSWORD_KEY,
    REVISION_RE,
    SCALE_TO_ZERO_MINUTES_VALUES,
    WORD_PATTERN,
    Accelerator,
    Framework,
    Security,
    Vendor,
)
from endpointctl.core.tags import (
    LABEL_KEY_RE,
    RESERVED_LABEL_KEYS,
    VALUE_RE,
    owned_env_names,
    owned_label_keys,
    tag_value,
)
from endpointctl.core.variables import runner_variable

ACCOUNT_RE = re.compile(r"^[0-9]{12}$")
REGISTRY_PASSWORD = "REGISTRY_PASSWORD"
_RUNNING_SOON = (Status.PENDING, Status.INITIALIZING, Status.UPDATING, Status.RUNNING)


@dataclass(frozen=True)
class Exported:
    """One endpoint as a manifest document, and what the user should know about it."""

    namespace: str
    name: str
    document: dict[str, Any]
    # (key path in the manifest, variable): the placeholders written for write-only values.
    variables: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()  # what was left out, and why


@dataclass(frozen=True)
class ManifestText:
    """One manifest to write: its endpoint, its text, and what the user should know about it."""

    namespace: str
    name: str
    text: str
    document: dict[str, Any]
    variables: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    file: str | None = None  # where it was written; None: not written (printed)


@dataclass(frozen=True)
class NotExportable:
    namespace: str
    name: str
    reasons: tuple[str, ...] = field(default_factory=tuple)


# A placeholder named like a variable the runner sets for itself (core/variables.py) would send that
# variable's value — for HF_TOKEN, the very token endpointctl runs with; for CI_JOB_TOKEN, the runner's
# job token — as the endpoint's secret. Such a secret's placeholder is prefixed instead
# (``SECRET_HF_TOKEN``), with a note; so is one named like the registry password's placeholder.
SECRET_PREFIX = "SECRET_"


def _taken(variable: str) -> bool:
    return variable == REGISTRY_PASSWORD or runner_variable(variable)


def variable_name(name: str) -> str:
    """An environment variable name for a secret: its name, with what a variable cannot hold as ``_``,
    and ``SECRET_`` in front of a name the environment already uses for something else (``HF_TOKEN``)."""
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", name)
    cleaned = cleaned if re.match(r"[A-Za-z_]", cleaned) else f"_{cleaned}"
    return SECRET_PREFIX + cleaned if _taken(cleaned) else cleaned


def literal(value: Any) -> Any:
    """``value`` with every ``$`` in its strings written ``$$``, so interpolation reads it back as is."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {key: literal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [literal(item) for item in value]
    return value


def _printable(value: str) -> bool:
    return not CONTROL_RE.search(value)


def _word(value: str | None) -> bool:
    """Whether a manifest can hold ``value`` as its task, region or instance (spec.WORD_PATTERN)."""
    return value is not None and re.fullmatch(WORD_PATTERN, value) is not None


def _label(key: str, value: str) -> bool:
    return bool(LABEL_KEY_RE.fullmatch(key) and VALUE_RE.fullmatch(value))


def _labels(ep: Endpoint, notes: list[str]) -> dict[str, str]:
    if ep.managed:
        found = {key: tag_value(ep.tags, key) for key in sorted(owned_label_keys(ep.tags))}
        owned = {k: v for k, v in found.items() if v is not None and _label(k, v)}
        if len(owned) != len(found):
            notes.append("some labels its bookkeeping tag lists are missing or invalid; left out")
        return owned
    counts = Counter(tag.partition("=")[0] for tag in ep.tags)
    labels: dict[str, str] = {}
    for tag in ep.tags:
        key, sep, value = tag.partition("=")
        if key in RESERVED_LABEL_KEYS:
            continue
        if sep and counts[key] == 1 and _label(key, value):
            labels[key] = value
        else:
            notes.append(f"tag {tag!r} is not a label a manifest can hold; it stays on the endpoint")
    return labels


def _image(image: Mapping[str, Any], notes: list[str]) -> tuple[dict[str, Any] | None, bool]:
    """The image a manifest can hold, and whether it carries a registry password (then a placeholder)."""
    variants = [key for key, value in image.items() if isinstance(value, dict)]
    if len(variants) != 1 or variants[0] not in IMAGE_FIELDS:
        notes.append("its image is not one variant endpointctl knows; left out (not compared)")
        return None, False
    variant = variants[0]
    allowed = IMAGE_FIELDS[variant]
    settings = {k: v for k, v in image[variant].items() if k in allowed and v is not None}
    for key in [key for key, value in settings.items() if setting_problem(key, value)]:
        notes.append(
            f"its image's {key} is reported as a value a manifest cannot hold; left out (not compared)"
        )
        del settings[key]
    password = False
    credentials = settings.pop(CREDENTIALS_KEY, None)
    if isinstance(credentials, dict) and isinstance(credentials.get("username"), str):
        login: dict[str, Any] = {"username": literal(credentials["username"])}
        password = credentials.get(PASSWORD_KEY) is not None
        settings[CREDENTIALS_KEY] = login
    elif credentials is not None:
        notes.append("its registry credentials report no username; left out (not compared)")
    return {variant: {k: v if k == CREDENTIALS_KEY else literal(v) for k, v in settings.items()}}, password


def _never(_: str) -> bool:
    return False


def _env(
    ep: Endpoint, notes: list[str], holds_secret: Callable[[str], bool]
) -> tuple[dict[str, Any], list[str]]:
    """The variables a manifest can hold, and why the endpoint cannot be exported (a recorded secret).

    Only what a manifest sets is compared, so one left out is never drift, except one endpointctl sent
    (its record, core/tags.py): a plan on the manifest would remove it. Left out: a name holding a control
    character (never recorded: those names are plain), and a value holding a secret this run knows (the
    token, a value given as secret), which no file may hold; written as a mask instead, an apply would
    send the mask as its value.
    """
    env: dict[str, Any] = {}
    refused: list[str] = []
    recorded = owned_env_names(ep.tags) if ep.managed else frozenset()
    for key, value in (ep.env or {}).items():
        if not _printable(key):
            notes.append("an environment variable's name holds a control character; that variable left out")
        elif not holds_secret(value):
            env[key] = literal(value)
        elif key in recorded:
            refused.append(
                f"its model.env.{key} holds a secret value (the token, or one given as secret) that "
                "endpointctl sent: written out it would be in the file, left out a plan would remove it; "
                "move it to spec.model.secrets and apply, then export"
            )
        else:
            notes.append(
                f"model.env.{key} holds a secret value (the token, or one given as secret); left out (not "
                "compared): move it to spec.model.secrets"
            )
    return env, refused


def _model(
    ep: Endpoint,
    notes: list[str],
    variables: list[tuple[str, str]],
    env: dict[str, Any],
    accepted: frozenset[str],
) -> dict[str, Any]:
    model: dict[str, Any] = {"repository": ep.repository}
    if ep.revision is not None and _printable(ep.revision) and REVISION_RE.fullmatch(ep.revision):
        model["revision"] = ep.revision.lower() if is_commit(ep.revision) else literal(ep.revision)
    if ep.task is not None and _word(ep.task):
        meant = misspelt_task(ep.task, accepted)
        if meant is None:
            model["task"] = literal(ep.task)
        else:
            # Validate refuses it, so no manifest holds it; left out, it is not compared: never drift.
            notes.append(
                f"its task {ep.task!r} is a typo of {meant!r}, which a manifest cannot name; left out (not "
                f"compared): set spec.model.task: {meant} and apply to correct it"
            )
    if ep.framework in tuple(Framework):
        model["framework"] = ep.framework
    elif ep.framework is not None:
        notes.append(f"its framework {ep.framework!r} is not one a manifest can name; left out")
    if ep.image:
        image, password = _image(ep.image, notes)
        if image is not None:
            if password:
                ((variant, settings),) = image.items()
                settings[CREDENTIALS_KEY][PASSWORD_KEY] = f"${{{REGISTRY_PASSWORD}}}"
                variables.append((f"spec.model.image.{variant}.credentials.password", REGISTRY_PASSWORD))
            model["image"] = image
    if env:
        model["env"] = env
    if ep.secret_names:
        taken = {REGISTRY_PASSWORD} if any(v == REGISTRY_PASSWORD for _, v in variables) else set()
        secrets: dict[str, str] = {}
        for secret in sorted(ep.secret_names):
            var = plain = variable_name(secret)
            while var in taken:
                var += "_"
            if plain.startswith(SECRET_PREFIX) and not secret.startswith(SECRET_PREFIX):
                notes.append(
                    f"secret {secret!r} stands as ${{{var}}}, since the environment already uses "
                    f"{plain.removeprefix(SECRET_PREFIX)} for something else, not to be sent as it"
                )
            taken.add(var)
            secrets[secret] = f"${{{var}}}"
            variables.append((f"spec.model.secrets.{secret}", var))
        model["secrets"] = secrets
    return model


def _scaling(ep: Endpoint) -> dict[str, int]:
    scaling: dict[str, int] = {}
    if ep.status is not Status.PAUSED:  # a paused endpoint's replicas are the pause's
        low, high = ep.min_replica, ep.max_replica
        if low is not None and high is not None and not 0 <= low <= high:
            low = high = None
        if low is not None and low in MIN_REPLICA_VALUES:
            scaling["minReplica"] = low
        if high is not None and high in MAX_REPLICA_VALUES:
            scaling["maxReplica"] = high
    timeout = ep.scale_to_zero_timeout
    if timeout is not None and timeout in SCALE_TO_ZERO_MINUTES_VALUES:
        scaling["scaleToZeroTimeout"] = timeout
    return scaling


def _state(ep: Endpoint, notes: list[str]) -> str | None:
    if ep.status is Status.PAUSED:
        return "paused"
    if ep.status is Status.SCALED_TO_ZERO:
        if ep.min_replica == 0:
            # Scaled to zero by its own minReplica 0: `running` is what it is; the next request wakes it.
            return "running"
        # Its floor is unknown (the API may answer 0/0 while it sleeps) or above zero, and the next request
        # wakes it either way: written as scaledToZero, a plan after that wake would scale it down again.
        notes.append(
            "it is scaled to zero, which the next request ends, and its minReplica is "
            + ("not reported" if ep.min_replica is None else "above 0")
            + "; state left out (not compared), so no plan scales it down again once it wakes"
        )
        return None
    return "running" if ep.status in _RUNNING_SOON else None


def _required(ep: Endpoint) -> list[str]:
    missing = []
    if not NAME_RE.fullmatch(ep.name) or len(ep.name) > NAME_MAX:
        missing.append(f"its name {ep.name!r} is not one a manifest can hold")
    if ep.repository is None or not REPOSITORY_RE.fullmatch(ep.repository):
        missing.append("the API did not report its model.repository as an owner/name")
    if ep.vendor not in tuple(Vendor) or not _word(ep.region):
        missing.append(
            "the API did not report its provider (a vendor endpointctl knows, and a region of one word)"
        )
    if ep.accelerator not in tuple(Accelerator) or not _word(ep.instance_type) or not _word(ep.instance_size):
        missing.append(
            "the API did not report its compute (accelerator, instanceType and instanceSize, each one word)"
        )
    if ep.secret_names is not None and live_secret_names(ep) is None:
        # A manifest without secrets would plan their removal: endpointctl's record says it sent some.
        missing.append(
            "the API answers its secrets as {} and endpointctl's record says it sent some: their names "
            "cannot be written, and a manifest without them would remove them"
        )
    return missing


def export(
    ep: Endpoint, holds_secret: Callable[[str], bool] = _never, accepted_tasks: frozenset[str] = frozenset()
) -> Exported | NotExportable:
    """The manifest document of ``ep``, or why it cannot be written as one. ``holds_secret`` says whether a
    value holds a secret this run knows (the redactor would mask it); ``accepted_tasks``, the tasks taken
    as known (``hub_tasks.accepted_tasks``)."""
    notes: list[str] = []
    env, refused = _env(ep, notes, holds_secret)
    missing = _required(ep) + refused
    if missing:
        return NotExportable(ep.namespace, ep.name, tuple(missing))
    variables: list[tuple[str, str]] = []
    metadata: dict[str, Any] = {"name": ep.name, "namespace": ep.namespace}
    labels = _labels(ep, notes)
    if labels:
        metadata["labels"] = labels
    spec: dict[str, Any] = {
        "model": _model(ep, notes, variables, env, accepted_tasks),
        "provider": {"vendor": ep.vendor, "region": literal(ep.region)},
        "compute": {
            "accelerator": ep.accelerator,
            "instanceType": literal(ep.instance_type),
            "instanceSize": literal(ep.instance_size),
        },
    }
    scaling = _scaling(ep)
    if scaling:
        spec["scaling"] = scaling
    if ep.security is not None:
        spec["security"] = ep.security.value
        if ep.security is Security.PUBLIC:
            spec["allowPublic"] = True  # it is public already: the manifest says so on purpose
    elif ep.reported_type in LEGACY_TYPES:
        # Written as a level, it would be a guess: compared with nothing now, but what a re-create sends.
        notes.append(
            f"its security is the legacy type '{ep.reported_type}', whose level today is unconfirmed; "
            "left out (not compared): add security once you know who should call it"
        )
    link = ep.private_link
    if link is not None and ep.security in (Security.PRIVATE, None) and ep.vendor == Vendor.AWS.value:
        if ACCOUNT_RE.fullmatch(link.account_id) and _word(link.region):
            spec["privateLink"] = {"accountId": link.account_id, "region": literal(link.region)}
        else:
            notes.append("its PrivateLink is reported without a region; left out (not compared)")
    state = _state(ep, notes)
    if state is not None:
        spec["state"] = state
    document = {"apiVersion": API_VERSION, "kind": KIND, "metadata": metadata, "spec": spec}
    return Exported(ep.namespace, ep.name, document, tuple(variables), tuple(notes))

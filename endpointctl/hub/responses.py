"""The API's answers (raw dicts) as endpointctl's types, converted once per response.

Nothing past ``hub`` sees a raw dict. What an answer leaves out, or says in a form a manifest cannot
hold, is read as unknown wherever a guess could cause drift (a security type, vendor, accelerator or
framework we do not know, secret names it does not report, an env value that is not text, a replica count
or timeout that is not a finite number, or outside the manifest's bounds). A shape that cannot be read on
at all (an object that is a list, a hardware figure that is NaN or Infinity) is ``Malformed``, naming the
field: an error, never a guess.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from endpointctl.core import money
from endpointctl.core.endpoint import Endpoint, Hardware, PrivateLink, Status
from endpointctl.core.revisions import is_commit
from endpointctl.core.spec import (
    MAX_REPLICA_VALUES,
    MIN_REPLICA_VALUES,
    SCALE_TO_ZERO_MINUTES_VALUES,
    Accelerator,
    Framework,
    Security,
    Vendor,
)
from endpointctl.core.tags import labels_from_tags


def security_from_wire(value: str) -> Security | None:
    """The API's ``type`` as a security level; None for a type endpointctl does not know.

    A third-party client has seen "verified". An unknown type is neither an error (one endpoint would
    fail the whole listing) nor mapped to a known level: mapped, plan would compare that guess with the
    manifest and could propose a replace (delete, then create) over a value it cannot interpret. None
    says "unknown": it is shown as such, and not compared, so it is never drift. So does the legacy
    "protected" (``LEGACY_TYPES``), whose level today is not confirmed.
    """
    try:
        return Security.from_wire(value)
    except ValueError:
        return None


def secret_names_from_wire(model: Mapping[str, Any]) -> frozenset[str] | None:
    """The names of the secrets an endpoint has; None when the response does not say.

    Secret values are write-only; only names are kept. The API may leave ``model.secrets`` out of its
    answers altogether: absent is unknown, not "no secrets", so it is never drift.
    """
    secrets = model.get("secrets")
    if not isinstance(secrets, dict):  # absent, or null: the answer does not say
        return None
    return frozenset(str(k) for k in secrets)


class Malformed(ValueError):
    """An answer that is not the shape the API documents, naming the field."""


def _object(parent: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    """``parent[key]`` as an object: absent or null reads as empty; anything else is malformed."""
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Malformed(f"'{path}' is {type(value).__name__}, not an object")
    return value


def _number(value: Any, path: str) -> int | float:
    """A JSON number, finite. Python's json reads NaN, Infinity and 1e400 as floats no int can hold:
    malformed, named, rather than an OverflowError or ValueError that would surface as "a bug"."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed(f"'{path}' is {type(value).__name__}, not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise Malformed(f"'{path}' is {value}: not a finite number (NaN, Infinity or too large)")
    return value


def _count_of(value: Any) -> int | float | None:
    """A count's number; None when it is of another JSON type (text such as "2", a boolean, a list).

    Unknown, not ``Malformed``: a listing is read whole, so one endpoint's count sent as text, one nobody
    here manages included, made status, plan, pause and schedule run fail for every endpoint of its
    namespace. Read as unknown, it is shown as such and nothing is decided on it (it is never compared),
    and every other endpoint works. Not a guess either: "2" is not read as 2, as a server that sends text
    here may mean anything by it. So is NaN, Infinity or a number too large for any count.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN, Infinity or too large (1e400): no count, and the same for the namespace
    return value


def _count(parent: Mapping[str, Any], key: str) -> int | None:
    """A replica count the API reports on its own (ready, target): absent is 0, as ever; not a number is
    unknown (``_count_of``)."""
    value = parent.get(key)
    if value is None:
        return 0
    number = _count_of(value)
    return None if number is None else int(number)


def _maybe_count(parent: Mapping[str, Any], key: str, holds: range) -> int | None:
    """A number the answer may leave out: absent or null is unknown (None), never 0.

    These are the counts a manifest sets (replicas, minutes), and ``holds`` is every value the manifest
    may give this one (core/spec.py). A fraction (2.9) is not one: truncated, it would be a guess compared
    with the manifest, so it is unknown too. So is a count below the least of ``holds`` (a
    scaleToZeroTimeout of 0, a negative replica count): no configuration says that, so endpointctl cannot
    tell what it means, and read as a value it planned an update on every run. A count past the manifest's
    upper bound is read as itself: those bounds are endpointctl's own (the API's are not documented), and
    the count means what it says (150 replicas, set in the UI), so the manifest's is sent once and holds.
    """
    number = _count_of(parent.get(key))  # absent, null or not a number (text): unknown
    if number is None:
        return None
    count = int(number)
    return count if count == number and count >= holds.start else None


def _replicas(scaling: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """minReplica and maxReplica as far as they are the endpoint's configuration.

    A maxReplica of 0 is no configuration: a manifest's is 1 or more. It is what the service reports when it
    pauses an endpoint, setting both counts to 0 (reference §states), and may report while one is scaled to
    zero, deploying or updating (unconfirmed). The minReplica beside it is then the service's as well, not the
    endpoint's: read as its configuration, a manifest's ``minReplica: 1`` planned an update on every run for
    as long as the endpoint slept. Both are unknown. A configuration it does report (0/2 while scaled to
    zero) is read as ever. A maxReplica that is not a number (text "0"?) may be that 0 too: both unknown.
    """
    high = scaling.get("maxReplica")
    if high is not None and _count_of(high) in (None, 0):
        return None, None
    return (
        _maybe_count(scaling, "minReplica", MIN_REPLICA_VALUES),
        _maybe_count(scaling, "maxReplica", MAX_REPLICA_VALUES),
    )


def _maybe_text(parent: Mapping[str, Any], key: str, path: str) -> str | None:
    """A string the answer may leave out: absent, null or empty is unknown (None), never ""."""
    value = parent.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Malformed(f"'{path}' is {type(value).__name__}, not a string")
    return value


def _maybe_identifier(parent: Mapping[str, Any], key: str, path: str) -> str | None:
    """An identifier the answer may leave out (a repository, revision, task, region or instance): blanks
    around it are no part of it, and one that is blank is unknown (None), like an empty one.

    Read with them, " us-east-1" differed from the manifest's region: a replace, a delete, on every run.
    Only what is read loses them; an update sends the manifest's values, never these.
    """
    value = _maybe_text(parent, key, path)
    return None if value is None else value.strip() or None


def _maybe_revision(model: Mapping[str, Any]) -> str | None:
    """``model.revision``: as an identifier where, without its blanks, it is a full commit (which names
    one commit however it is spelt); else as sent. A name is a branch or a tag only as written: " 0" is
    no ref name (core/revisions.py: unknown), where "0" would be another revision, an update on every run.
    """
    value = _maybe_identifier(model, "revision", "model.revision")
    if value is None or is_commit(value):
        return value
    return _maybe_text(model, "revision", "model.revision")


# Documented in 2023 (reference §3), no longer offered: an endpoint of then may still report it.
LEGACY_FRAMEWORKS = ("tensorflow",)


def _maybe_choice(
    parent: Mapping[str, Any], key: str, path: str, choices: type[StrEnum], also: tuple[str, ...] = ()
) -> str | None:
    """A string that a manifest can only hold as one of ``choices``; anything else is unknown (None).

    The manifest's value is always one of the list, so a live value outside it (a future "zero_gpu", an
    "amazon", even "AWS" or "PyTorch") could only ever compare as different: an update, or for the
    vendor a replace, over a value endpointctl cannot interpret. Other case is not folded into a known
    value either: that would be a guess, and a guess compared with the manifest can delete an endpoint.

    ``also``: values the API documents that a manifest cannot hold (a 2023 framework): known, so they
    compare as different from the manifest's.
    """
    value = _maybe_text(parent, key, path)
    return value if value in choices._value2member_map_ or value in also else None


def _env(model: Mapping[str, Any]) -> dict[str, str] | None:
    """``model.env`` as reported; None (unknown, never compared) unless every value is a string.

    The API documents env as an object of strings. A null is not the text "None", and true, 8.0, a list
    or an object are not text: str() of them ("True", "8.0") is a guess that differs from what the
    manifest says, so the whole env is unknown rather than drift.
    """
    env = _maybe_object(model, "env", "model.env")
    if env is None or not all(isinstance(value, str) for value in env.values()):
        return None
    return {str(key): value for key, value in env.items()}


def _maybe_object(parent: Mapping[str, Any], key: str, path: str) -> dict[str, Any] | None:
    """An object the answer may leave out: absent or null is unknown (None), never {}."""
    return None if parent.get(key) is None else dict(_object(parent, key, path))


def _private_link(raw: Mapping[str, Any]) -> tuple[PrivateLink | None, bool]:
    """PrivateLink as reported, and whether the answer reported it at all.

    Absent or null ``privateService`` says nothing: answers have been seen without it, so reading it as
    "no PrivateLink" would make a manifest that asks for one plan a replace (a delete) every run.
    """
    private = _maybe_object(raw, "privateService", "privateService")
    if private is None:
        return None, False
    account = private.get("accountId")
    if isinstance(account, str):
        account = account.strip()  # blanks around an id are no part of it (``_maybe_identifier``)
    if account is None or account == "":
        # {} or a null account says nothing either: read as "no PrivateLink", it would plan a replace.
        return None, False
    if isinstance(account, bool) or not isinstance(account, str | int):
        raise Malformed(f"'privateService.accountId' is {type(account).__name__}, not an account id")
    if isinstance(account, int):
        # A number has lost any leading zero of the id (AWS's are twelve digits, "012345678901"): compared,
        # it would differ from the manifest's and plan a replace. Unknown instead.
        return None, False
    region = private.get("region")
    region = region.strip() if isinstance(region, str) else None
    return PrivateLink(str(account), region or None), True


def _state(status: Mapping[str, Any]) -> tuple[Status, str]:
    """The state as endpointctl knows it, and as the API named it (shown verbatim when unknown)."""
    state = status.get("state")
    if not isinstance(state, str) or not state:
        return Status.UNKNOWN, "not reported"
    if state in Status._value2member_map_ and state != Status.UNKNOWN.value:
        return Status(state), ""
    # Never mapped to a known state: "deleting" read as pending would be waited on, and "building" read
    # as running would be smoke-tested.
    return Status.UNKNOWN, state


def _list(parent: Mapping[str, Any], key: str, path: str) -> list[Any]:
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Malformed(f"'{path}' is {type(value).__name__}, not a list")
    return value


def to_endpoint(raw: Any, namespace: str) -> Endpoint:
    """An endpoint from the API's answer; ``Malformed`` naming the field when it cannot be one."""
    if not isinstance(raw, Mapping):
        raise Malformed(f"the endpoint is {type(raw).__name__}, not an object")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise Malformed(
            "'name' is missing" if name is None else f"'name' is {type(name).__name__}, not a name"
        )
    status = _object(raw, "status", "status")
    model = _object(raw, "model", "model")
    compute = _object(raw, "compute", "compute")
    scaling = _object(compute, "scaling", "compute.scaling")
    provider = _object(raw, "provider", "provider")
    listed = _list(raw, "tags", "tags")
    # A list holding anything but text is no tag list endpointctl can read, nor write back: unknown, as
    # an absent one is (whether endpointctl manages it, its labels and any hold with it).
    tags_reported = raw.get("tags") is not None and all(isinstance(tag, str) for tag in listed)
    tags = tuple(listed) if tags_reported else ()
    status_kind, state = _state(status)
    private_link, private_link_reported = _private_link(raw)
    min_replica, max_replica = _replicas(scaling)
    wire_type = raw.get("type")
    # Absent is unknown, not the API's default: a guess compared with the manifest could plan a replace.
    security = security_from_wire(wire_type) if isinstance(wire_type, str) else None
    return Endpoint(
        name=name,
        namespace=namespace,
        status=status_kind,
        state=state,
        message=str(status.get("message") or ""),
        url=_maybe_text(status, "url", "status.url"),
        repository=_maybe_identifier(model, "repository", "model.repository"),
        revision=_maybe_revision(model),
        task=_maybe_identifier(model, "task", "model.task"),
        framework=_maybe_choice(model, "framework", "model.framework", Framework, also=LEGACY_FRAMEWORKS),
        image=_maybe_object(model, "image", "model.image"),
        env=_env(model),
        secret_names=secret_names_from_wire(model),
        vendor=_maybe_choice(provider, "vendor", "provider.vendor", Vendor),
        region=_maybe_identifier(provider, "region", "provider.region"),
        accelerator=_maybe_choice(compute, "accelerator", "compute.accelerator", Accelerator),
        instance_type=_maybe_identifier(compute, "instanceType", "compute.instanceType"),
        instance_size=_maybe_identifier(compute, "instanceSize", "compute.instanceSize"),
        min_replica=min_replica,
        max_replica=max_replica,
        scale_to_zero_timeout=_maybe_count(scaling, "scaleToZeroTimeout", SCALE_TO_ZERO_MINUTES_VALUES),
        security=security,
        # Kept to be shown: a legacy "protected" has no known level, but it says something about it.
        reported_type=wire_type if isinstance(wire_type, str) and security is None else "",
        private_link=private_link,
        private_link_reported=private_link_reported,
        tags=tags,
        tags_reported=tags_reported,
        created_at=str(status.get("createdAt", "")),
        updated_at=str(status.get("updatedAt", "")),
        ready_replica=_count(status, "readyReplica"),
        target_replica=_count(status, "targetReplica"),
        health_route=str(raw.get("healthRoute") or "/health"),
        labels=labels_from_tags(tags),
    )


def _quota_figure(value: Any) -> int | None:
    """A quota figure as a whole number of accelerators; anything else (a string, a bool, a fraction, a
    negative number) is unknown: never a figure to block on, nor to do sums with."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _hardware_number(compute: Mapping[str, Any], key: str) -> int | float:
    """A hardware row's figure, 0 when absent; anything but a finite number is malformed."""
    return _number(compute.get(key) or 0, f"vendors[].regions[].computes[].{key}")


def _maybe_figure(value: Any) -> float | None:
    """A figure the answer may leave out or send as something else: unknown (None) unless a finite,
    non-negative number (a string "24" from an odd API is not one to do sums with)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def _hardware_status(compute: Mapping[str, Any]) -> str:
    """A hardware row's status: "available" when the row has none (the catalog's rows name only the
    exceptions), "unknown" when it is null or not text, shown so rather than as "None"."""
    if "status" not in compute:
        return "available"
    value = compute["status"]
    return value if isinstance(value, str) and value else "unknown"


def to_hardware(raw: Mapping[str, Any]) -> list[Hardware]:
    rows: list[Hardware] = []
    for vendor in raw.get("vendors") or ():
        for region in vendor.get("regions") or ():
            for compute in region.get("computes") or ():
                quota = compute.get("quota") or {}
                rows.append(
                    Hardware(
                        vendor=str(vendor.get("name", "")),
                        region=str(region.get("name", "")),
                        accelerator=str(compute.get("accelerator", "")),
                        instance_type=str(compute.get("instanceType", "")),
                        instance_size=str(compute.get("instanceSize", "")),
                        architecture=str(compute.get("architecture", "")),
                        num_accelerators=int(_hardware_number(compute, "numAccelerators")),
                        memory_gb=float(_hardware_number(compute, "memoryGb")),
                        gpu_memory_gb=_maybe_figure(compute.get("gpuMemoryGb")),
                        # Absent or null is unknown, never free (0 would show a GPU as costing nothing).
                        price_per_hour=money.exact(compute.get("pricePerHour")),
                        status=_hardware_status(compute),
                        quota_max=_quota_figure(quota.get("maxAccelerators")),
                        quota_used=_quota_figure(quota.get("usedAccelerators")),
                    )
                )
    return rows

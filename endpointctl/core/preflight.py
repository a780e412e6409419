"""PURE: the hardware preflight — a plan checked against each namespace's hardware catalog.

Run on the plan, before anything is sent, because the API finds these only with a 400 or a 409 in the
middle of an apply (reference §5):
- an offer (vendor, region, instance type, accelerator, size) the catalog does not list is a manifest
  problem, located at its key with a "did you mean" from the catalog;
- creating on, or moving to, an offer marked ``deprecated`` or ``not_available`` is blocked, naming what
  is available instead; an endpoint that merely stays on one gets a warning; ``low_availability`` a note;
- a create or scale-up that needs more accelerators than the namespace has free for that instance type
  (the catalog's quota ``maxAccelerators - usedAccelerators``, less what earlier changes of this plan
  take) is blocked with the figures. A quota the catalog does not report never blocks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from endpointctl.core.endpoint import Hardware, Status, row_of, same_name
from endpointctl.core.errors import ManifestIssue
from endpointctl.core.plan import Action, Change, Plan, StepKind
from endpointctl.core.suggest import did_you_mean

UNDEPLOYABLE = frozenset({"deprecated", "not_available"})
_ALTERNATIVE = frozenset({"available", "low_availability"})
_STATUS_TEXT = {"deprecated": "deprecated", "not_available": "not available"}
# States whose replicas hold no accelerators (the docs contradict each other on paused, reference §5 [U]):
# an endpoint in one holds nothing to credit against what its change needs.
_HOLDS_NOTHING = frozenset({Status.PAUSED, Status.FAILED})
_LISTED = 12  # choices named in one message
_ALTERNATIVES = 5

KeyPath = tuple[str, ...]


@dataclass(frozen=True)
class Checked:
    plan: Plan  # the plan with its blocked changes, warnings and notes
    issues: tuple[ManifestIssue, ...]  # offers that do not exist: manifest problems (exit 2)


def check(plan: Plan, catalogs: Mapping[str, Sequence[Hardware]]) -> Checked:
    """Check every change that has a manifest against its namespace's catalog in ``catalogs``.

    A namespace missing from ``catalogs`` was not read: its changes are passed through unchecked (the
    caller reads one catalog per namespace a manifest names, and fails when it cannot).
    """
    issues: list[ManifestIssue] = []
    changes: list[Change] = []
    taken: dict[tuple[str, str], int] = {}  # (namespace, instance type) -> accelerators this plan takes
    found: dict[tuple[object, ...], tuple[Hardware | None, tuple[KeyPath, str]]] = {}  # one search per offer
    for change in plan.changes:
        rows = catalogs.get(change.namespace)
        if change.desired is None or rows is None:
            changes.append(change)
            continue
        provider, compute = change.desired.spec.provider, change.desired.spec.compute
        asked: tuple[object, ...] = (change.namespace, provider.vendor, provider.region)
        asked += (compute.instance_type, compute.instance_size, compute.accelerator)
        if asked not in found:  # the answer depends on nothing else: 1000 manifests name a few offers
            found[asked] = find_offer(change, rows)
        offer, problem = found[asked]
        if offer is None:
            path, message = problem
            if _deploys(change):
                d = change.desired
                issues.append(ManifestIssue(d.file, d.line_of(*path), ".".join(path), message))
            else:
                # Nothing about its hardware is sent; a manifest that still names hardware the catalog no
                # longer lists (or that the API does not report) must not stop the rest of the apply.
                changes.append(_warn(change, f"{message}; it is left as it is"))
            continue
        changes.append(_check_offer(change, offer, rows, taken))
    return Checked(replace(plan, changes=tuple(changes)), tuple(issues))


def find_offer(change: Change, rows: Sequence[Hardware]) -> tuple[Hardware | None, tuple[KeyPath, str]]:
    """The catalog row the manifest asks for, or the first key that names nothing, with a message."""
    assert change.desired is not None
    provider, compute = change.desired.spec.provider, change.desired.spec.compute
    vendor, region = provider.vendor.value, provider.region
    itype, size, accelerator = compute.instance_type, compute.instance_size, compute.accelerator.value
    vendors = names_of(r.vendor for r in rows)
    if not _offered(vendor, vendors):
        return None, (
            ("spec", "provider", "vendor"),
            f"vendor '{vendor}' offers no hardware to namespace '{change.namespace}'"
            f"{did_you_mean(vendor, vendors)}; offered: {listed(vendors)}",
        )
    of_vendor = [r for r in rows if same_name(r.vendor, vendor)]
    regions = names_of(r.region for r in of_vendor)
    if not _offered(region, regions):
        return None, (
            ("spec", "provider", "region"),
            f"{vendor} has no region '{region}'{did_you_mean(region, regions)}; "
            f"its regions: {listed(regions)}",
        )
    here = [r for r in of_vendor if same_name(r.region, region)]
    types = names_of(r.instance_type for r in here)
    if not _offered(itype, types):
        elsewhere = names_of(r.region for r in of_vendor if same_name(r.instance_type, itype))
        also = f"; {itype} is offered in {vendor} {listed(elsewhere)}" if elsewhere else ""
        return None, (
            ("spec", "compute", "instanceType"),
            f"{vendor} {region} offers no instance type '{itype}'{did_you_mean(itype, types)}; "
            f"offered there: {listed(types)}{also}",
        )
    of_type = [r for r in here if same_name(r.instance_type, itype)]
    accelerators = names_of(r.accelerator for r in of_type)
    if accelerator not in accelerators:
        return None, (
            ("spec", "compute", "accelerator"),
            f"{itype} is a {' or '.join(accelerators)} instance type, not {accelerator}: "
            f"set accelerator: {accelerators[0]}",
        )
    sizes = names_of(r.instance_size for r in of_type if r.accelerator == accelerator)
    if not _offered(size, sizes):
        return None, (
            ("spec", "compute", "instanceSize"),
            f"{itype} in {vendor} {region} comes in {listed(sizes)}, not '{size}'{did_you_mean(size, sizes)}",
        )
    return next(r for r in of_type if r.accelerator == accelerator and same_name(r.instance_size, size)), (
        (),
        "",
    )


def _check_offer(
    change: Change, offer: Hardware, rows: Sequence[Hardware], taken: dict[tuple[str, str], int]
) -> Change:
    label = offer_text(offer)
    status = offer.status
    deploys = _deploys(change)
    if deploys and status in UNDEPLOYABLE and change.action is not Action.BLOCKED:
        return _block(
            change,
            f"{label} is {_STATUS_TEXT[status]}: the service creates no endpoint on it; "
            f"{alternatives(offer, rows)}",
        )
    checked = change
    if not deploys and status in UNDEPLOYABLE:
        checked = _warn(
            change,
            f"it runs on {label}, which is {_STATUS_TEXT[status]}: it keeps running, but could not be "
            f"created there again; {alternatives(offer, rows)}",
        )
    elif deploys and status == "low_availability":
        checked = _note(change, f"{label} has low availability: the endpoint may wait long for capacity")
    elif deploys and status not in _ALTERNATIVE and status not in UNDEPLOYABLE:
        checked = _note(change, f"{label} is marked '{status}' in the hardware catalog")
    if checked.action is Action.BLOCKED:
        return checked  # blocked already (e.g. a replace without --allow-replace): nothing is sent
    over = _over_quota(checked, offer, rows, taken)
    return _block(checked, over) if over is not None else checked


def _over_quota(
    change: Change, offer: Hardware, rows: Sequence[Hardware], taken: dict[tuple[str, str], int]
) -> str | None:
    """Why a create or scale-up does not fit the namespace's free quota, or None (fits, or unknown).

    When it fits, what it takes is added to ``taken``, so the next change of the same type sees less.
    """
    claim = _claim(change, offer, rows)
    if claim is None:
        return None
    replicas, extra, held = claim
    quota_max, quota_used = _count(offer.quota_max), _count(offer.quota_used)
    if extra <= 0 or quota_max is None or quota_used is None:
        return None  # nothing more needed, or a quota the catalog does not report: never a block
    key = (change.namespace, offer.instance_type)
    earlier = taken.get(key, 0)
    free = quota_max - quota_used - earlier
    if extra <= free:
        taken[key] = earlier + extra
        return None
    what = "create" if _creates(change) else "change"
    n = offer.num_accelerators
    before = f", {earlier} more taken by changes before this one in the plan" if earlier else ""
    sizing = f"{_plural(replicas, 'replica')} of {offer.instance_size}, {_plural(n, 'accelerator')} each"
    return (
        f"not enough quota for {offer.instance_type} in namespace '{change.namespace}': "
        f"{quota_used} of {quota_max} accelerators in use{before}, so {max(free, 0)} free; "
        f"this {what} needs {extra} ({sizing}" + (f", less the {held} it holds now" if held else "") + "); "
        "lower maxReplica, choose another instance type (`endpointctl hardware`), "
        "or ask Hugging Face for more quota"
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _claim(change: Change, offer: Hardware, rows: Sequence[Hardware]) -> tuple[int, int, int] | None:
    """(replicas, accelerators needed beyond what it holds, accelerators it holds), or None: unknown."""
    assert change.desired is not None
    kinds = {step.kind for step in change.steps}
    creating = StepKind.CREATE in kinds
    paths = {f.path for f in change.fields}
    if not creating and not (StepKind.UPDATE in kinds and ("scaling.maxReplica" in paths or _moves(change))):
        return None  # neither a create nor a scale-up nor a move to other hardware
    live = change.live
    scaling = change.desired.spec.scaling
    if scaling is not None and scaling.max_replica is not None:
        replicas: int | None = scaling.max_replica
    else:
        replicas = 1 if creating else (live.max_replica if live is not None else None)  # create's default
    if replicas is None:
        return None
    held = 0
    if live is not None:
        if not creating and live.status is Status.PAUSED and StepKind.RESUME not in kinds:
            return None  # stays paused: claims nothing now; a resume is the API's to refuse
        holds = live.status not in _HOLDS_NOTHING
        if holds and (live.instance_type is None or live.instance_size is None):
            return None  # on hardware the API did not say: what it holds is unknown, never block on a guess
        if holds and same_name(live.instance_type, offer.instance_type):
            now = row_of(live, rows)
            if now is None or live.max_replica is None:
                return None  # what it holds is unknown: never block on a guess
            held = live.max_replica * now.num_accelerators
    return replicas, replicas * offer.num_accelerators - held, held


def alternatives(offer: Hardware, rows: Sequence[Hardware]) -> str:
    """The offers of the same vendor, region and accelerator that can be deployed, closest first."""
    same = [
        r
        for r in rows
        if (r.vendor, r.region, r.accelerator) == (offer.vendor, offer.region, offer.accelerator)
        and r.status in _ALTERNATIVE
        and (r.instance_type, r.instance_size) != (offer.instance_type, offer.instance_size)
    ]
    same.sort(
        key=lambda r: (
            r.instance_type != offer.instance_type,  # another size of the same type first
            abs(r.num_accelerators - offer.num_accelerators),
            (r.price_per_hour is None, r.price_per_hour or 0),  # an unknown price last
            _natural(r.instance_type),
            _natural(r.instance_size),
        )
    )
    if not same:
        return (
            f"no {offer.accelerator} offer in {offer.vendor} {offer.region} can be deployed now; "
            "`endpointctl hardware --all` lists every offer"
        )
    shown = [
        f"{r.instance_type} {r.instance_size}" + (f" (${r.price_per_hour:g}/h)" if r.price_per_hour else "")
        for r in same[:_ALTERNATIVES]
    ]
    return "available instead: " + ", ".join(shown)


def _offered(name: str, names: Sequence[str]) -> bool:
    return any(same_name(name, known) for known in names)


def offer_text(offer: Hardware) -> str:
    return f"{offer.vendor} {offer.region} {offer.instance_type} {offer.instance_size}"


def _deploys(change: Change) -> bool:
    """Whether applying the change puts the endpoint on the manifest's hardware (create, replace, move)."""
    return change.action in (Action.CREATE, Action.REPLACE) or _moves(change)


def _moves(change: Change) -> bool:
    return any(f.path.startswith(("compute.", "provider.")) for f in change.fields)


def _creates(change: Change) -> bool:
    return any(step.kind is StepKind.CREATE for step in change.steps)


def _block(change: Change, reason: str) -> Change:
    return replace(change, action=Action.BLOCKED, steps=(), reason=reason)


def _warn(change: Change, warning: str) -> Change:
    return replace(change, warnings=(*change.warnings, warning))


def _note(change: Change, note: str) -> Change:
    return replace(change, notes=(*change.notes, note))


def _count(value: object) -> int | None:
    # The hub passes the catalog's quota through as it came: only a whole number is a figure to act on.
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _natural(text: str) -> tuple[str | int, ...]:
    # x2 before x16; the split always alternates text and digits, so the tuples compare.
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def names_of(values: Iterable[str]) -> list[str]:
    """The distinct non-empty names, in natural order (x2 before x16): what a message lists as offered."""
    return sorted({v for v in values if v}, key=_natural)


def listed(names: Sequence[str]) -> str:
    """At most a dozen names, then how many more: a message stays one readable line."""
    more = len(names) - _LISTED
    return ", ".join(names[:_LISTED]) + (f" and {more} more" if more > 0 else "")

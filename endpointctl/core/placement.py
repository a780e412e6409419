"""PURE: every manifest names one endpoint of its own, once its namespace is resolved.

Checked on the resolved namespace rather than when loading: `namespace: alice` and no namespace (the
token's user, alice) name the same endpoint, which only the resolved namespace shows. `plan` and `apply`
resolve it (from the token's user when they must); `validate` only where --namespace or
ENDPOINTCTL_NAMESPACE says it offline.
"""

from __future__ import annotations

from collections.abc import Sequence

from endpointctl.core.errors import UsageError
from endpointctl.core.spec import Desired
from endpointctl.core.targets import namespace_key


def check_one_each(placed: Sequence[tuple[str, Desired]], *, nothing: str) -> None:
    """A usage error when two manifests name one endpoint, or two spellings one namespace. ``nothing`` ends
    the hint: what the command has done so far (nothing)."""
    seen: dict[tuple[str, str], Desired] = {}
    spelled: dict[str, tuple[str, Desired]] = {}
    for namespace, d in placed:
        # The Hub's user and organization names are one whatever their case: two spellings may name one
        # namespace, whose listing would then miss the other's manifests (and --prune delete them).
        other, where = spelled.setdefault(namespace_key(namespace), (namespace, d))
        if other != namespace:
            raise UsageError(
                f"namespaces {other!r} ({where.source}) and {namespace!r} ({d.source}) differ only in case",
                hint=f"spell each namespace one way in every manifest; {nothing}",
            )
        first = seen.setdefault((namespace, d.name), d)
        if first is not d:
            raise UsageError(
                f"endpoint {namespace}/{d.name} is defined twice: at {first.source} and at {d.source}",
                hint=f"keep one manifest per endpoint; {nothing}",
            )

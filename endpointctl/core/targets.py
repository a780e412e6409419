"""PURE: how a command names the live endpoints it acts on: NAME..., -f PATH, -l KEY=VALUE, --allow-empty."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from endpointctl.core.errors import UsageError


def namespace_key(namespace: str) -> str:
    """A namespace as the Hub tells them apart: its user and organization names are one whatever their case.
    (An endpoint read is given the namespace its listing was asked for, however the answer spells it.)"""
    return namespace.casefold()


@dataclass(frozen=True)
class Target:
    namespace: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Targets:
    """The addressing flags of one command, as given; resolved against the live state by the engine."""

    names: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    selector: tuple[str, ...] = ()  # KEY=VALUE items, each possibly comma-separated
    allow_empty: bool = False
    # A selector that changes endpoints acts on endpointctl's own only, unless this is given.
    include_unmanaged: bool = False

    @property
    def given(self) -> bool:
        return bool(self.names or self.files or self.selector)

    def require(self, verb: str) -> None:
        """Refuse, before any API call, a command that names nothing to act on."""
        if not self.given:
            raise UsageError(f"name the endpoints to {verb}: NAME..., -f PATH or --selector KEY=VALUE")

    def labels(self) -> dict[str, str]:
        return parse_selector(self.selector)


def parse_selector(raw: tuple[str, ...] | list[str]) -> dict[str, str]:
    selector: dict[str, str] = {}
    for item in raw:
        for part in item.split(","):
            key, sep, value = part.partition("=")
            if not sep or not key.strip():
                raise UsageError(f"--selector takes key=value, found {part!r}")
            if not value.strip():
                # What `-l team=$TEAM` becomes when TEAM is unset: never a selector of its own.
                raise UsageError(
                    f"--selector {part!r} has an empty value",
                    hint="give the label's value; an unset shell variable leaves it empty",
                )
            key, value = key.strip(), value.strip()
            if key.endswith("!") or value.startswith("="):
                # kubectl's `team!=nlp` and `team==nlp`, read as key=value, would be the key "team!" or the
                # value "=nlp": a selector matching nothing, which --allow-empty turns into a silent no-op.
                raise UsageError(
                    f"--selector {part!r}: only key=value is supported (no !=, ==, in or notin)",
                    hint="every term must match; list each label once as key=value",
                )
            if selector.get(key, value) != value:
                # Every term must match, so no endpoint could; keeping the last value instead acted on
                # endpoints the other term excludes (`-l env=dev,env=prod` deleted prod).
                raise UsageError(
                    f"--selector gives the label {key!r} two values ({selector[key]!r} and {value!r})",
                    hint="every term must match, so no endpoint could: give each label once",
                )
            selector[key] = value
    return selector


# "name=URL" or "namespace/name=URL"; a bare URL has a ':' before any '=', so it never matches.
_NAMED_URL = re.compile(r"^([^=:]+)=(.+)$")


@dataclass(frozen=True)
class UrlOverride:
    """``--url [NAME=]URL``: call this URL instead of the endpoint's own (e.g. its PrivateLink interface).

    ``name`` is "name" or "namespace/name"; None for a bare URL, which only one selected endpoint may take.
    """

    name: str | None
    url: str

    @classmethod
    def parse(cls, raw: str) -> UrlOverride:
        if not raw.strip():
            # What `--url "$PRIVATE_URL"` becomes when the variable is unset: never "no override".
            raise UsageError("--url is empty", hint="give the URL; an unset shell variable leaves it empty")
        named = _NAMED_URL.match(raw)
        return cls(named[1], named[2]) if named else cls(None, raw)


def url_overrides(overrides: Sequence[UrlOverride], targets: Sequence[Target]) -> dict[str, str]:
    """The overrides by the endpoint they name; a bare URL only when exactly one endpoint is selected."""
    found: dict[str, str] = {}
    for override in overrides:
        if override.name is not None:
            found[override.name] = override.url
        elif len(targets) == 1:
            found[targets[0].key] = override.url
        else:
            raise UsageError(
                f"--url {override.url} names no endpoint, and {len(targets)} are selected",
                hint="write --url NAME=URL for each endpoint to call at another address",
            )
    return found

"""PURE: how a command names the live endpoints it acts on: NAME..., -f PATH, -l KEY=VALUE, --allow-empty."""

from __future__ import annotations

from dataclasses import dataclass

from endpointctl.core.errors import UsageError


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
            selector[key.strip()] = value.strip()
    return selector

"""PURE: who may call an endpoint (a manifest's ``security``), and the API's words for it (``type``)."""

from __future__ import annotations

from enum import StrEnum

# Types of the 2022/2023 API (public | protected | private, where private meant reachable only through
# PrivateLink) that today's (public | authenticated | private) does not have: answers still carried
# "protected" in March 2025. How they map onto today's levels is not confirmed (reference §4), so an
# endpoint reporting one has no known level: shown as it came, never compared with a manifest.
LEGACY_TYPES = ("protected",)


class Security(StrEnum):
    PUBLIC = "public"
    PROTECTED = "protected"
    PRIVATE = "private"

    @property
    def wire(self) -> str:
        """The API's ``type``: it renamed protected to authenticated."""
        return "authenticated" if self is Security.PROTECTED else self.value

    @property
    def reach(self) -> int:
        """Who may call: private (the namespace's organization) < protected (any HF account) < public."""
        return (Security.PRIVATE, Security.PROTECTED, Security.PUBLIC).index(self)

    @classmethod
    def from_wire(cls, value: str) -> Security:
        """The level an API ``type`` names; ValueError for one that names none for certain.

        The legacy "protected" is such a type (``LEGACY_TYPES``): read as today's authenticated, a
        manifest's ``security: private`` compared with it planned a replace (a delete) of an endpoint
        whose level may be private all along.
        """
        if value in LEGACY_TYPES:
            raise ValueError(f"the legacy type {value!r} names none of today's levels for certain")
        return cls.PROTECTED if value == "authenticated" else cls(value)

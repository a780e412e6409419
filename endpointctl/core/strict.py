"""PURE: the base of every manifest model: unknown keys are refused, and a validated model is immutable."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    # A misspelt key must fail loudly: the API would silently ignore it and the manifest would lie.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


class Expanded(str):
    """A manifest string that ``${VAR}`` expansion produced. Environment variables only hold text, so a
    field that wants a number reads an expanded "20" as 20; a literal quoted "20" stays text and is
    refused there, as YAML meant it."""

    __slots__ = ()


def expanded_number(value: Any) -> Any:
    if isinstance(value, Expanded) and value.strip().isascii() and value.strip().isdigit():
        return int(value)
    return value
